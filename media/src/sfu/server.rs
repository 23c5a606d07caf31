//! The SFU's one UDP port: a task owns the [`Sfu`] core, feeds it datagrams and
//! the clock, sends what it returns, and takes signaling requests from the room
//! sockets through an [`SfuHandle`].

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use super::events::{EventSender, SfuEvents};
use super::{PeerId, Sfu, SfuError};

/// Largest datagram read (above any path MTU).
const MAX_DATAGRAM: usize = 2_000;
/// Longest the task sleeps when no peer has a timer.
const IDLE: Duration = Duration::from_millis(100);

enum Command {
    Publish {
        stream: String,
        offer: Box<SdpOffer>,
        reply: oneshot::Sender<Result<(PeerId, SdpAnswer), SfuError>>,
    },
    Subscribe {
        stream: String,
        reply: oneshot::Sender<Result<(PeerId, SdpOffer), SfuError>>,
    },
    Answer {
        peer: PeerId,
        answer: Box<SdpAnswer>,
        reply: oneshot::Sender<Result<(), SfuError>>,
    },
    Remove {
        peer: PeerId,
        reply: oneshot::Sender<Result<(), SfuError>>,
    },
    Mute {
        stream: String,
        muted: bool,
        reply: oneshot::Sender<Result<(), SfuError>>,
    },
}

/// Errors of the handle: the core's, or the task having stopped.
#[derive(Debug, thiserror::Error)]
pub enum SfuServerError {
    /// The core refused the request.
    #[error(transparent)]
    Refused(#[from] SfuError),
    /// The SFU task is gone (the server is stopping).
    #[error("the SFU is not running")]
    Stopped,
}

/// Talks to the SFU task; clones share it.
#[derive(Clone)]
pub struct SfuHandle {
    commands: mpsc::Sender<Command>,
    events: std::sync::Arc<std::sync::Mutex<Option<SfuEvents>>>,
    address: SocketAddr,
}

impl SfuHandle {
    /// The address peers send media to (the ICE candidate).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Connected and closed peers and data channel text, for the signaling layer:
    /// one reader, so the first call takes them and later ones get `None`.
    pub fn take_events(&self) -> Option<SfuEvents> {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, SfuError>>) -> Command,
    ) -> Result<T, SfuServerError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(make(reply))
            .await
            .map_err(|_| SfuServerError::Stopped)?;
        Ok(answer.await.map_err(|_| SfuServerError::Stopped)??)
    }

    /// See [`Sfu::publish`].
    pub async fn publish(
        &self,
        stream: &str,
        offer: SdpOffer,
    ) -> Result<(PeerId, SdpAnswer), SfuServerError> {
        let stream = stream.to_owned();
        self.ask(|reply| Command::Publish {
            stream,
            offer: Box::new(offer),
            reply,
        })
        .await
    }

    /// See [`Sfu::subscribe`].
    pub async fn subscribe(&self, stream: &str) -> Result<(PeerId, SdpOffer), SfuServerError> {
        let stream = stream.to_owned();
        self.ask(|reply| Command::Subscribe { stream, reply }).await
    }

    /// See [`Sfu::accept_answer`].
    pub async fn accept_answer(
        &self,
        peer: PeerId,
        answer: SdpAnswer,
    ) -> Result<(), SfuServerError> {
        self.ask(|reply| Command::Answer {
            peer,
            answer: Box::new(answer),
            reply,
        })
        .await
    }

    /// See [`Sfu::remove`].
    pub async fn remove(&self, peer: PeerId) -> Result<(), SfuServerError> {
        self.ask(|reply| Command::Remove { peer, reply }).await
    }

    /// See [`Sfu::set_audio_muted`].
    pub async fn set_audio_muted(&self, stream: &str, muted: bool) -> Result<(), SfuServerError> {
        let stream = stream.to_owned();
        self.ask(|reply| Command::Mute {
            stream,
            muted,
            reply,
        })
        .await
    }
}

/// Binds `listen` and starts the SFU task, which ends with `shutdown`. Peers are
/// told to send to `public_address` (its port 0 means the bound port), by default
/// the bound address, which must then be a concrete IP.
pub async fn start(
    listen: SocketAddr,
    public_address: Option<SocketAddr>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<SfuHandle> {
    let socket = UdpSocket::bind(listen).await?;
    let bound = socket.local_addr()?;
    let mut address = public_address.unwrap_or(bound);
    if address.port() == 0 {
        address.set_port(bound.port());
    }
    if address.ip().is_unspecified() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "the SFU listens on {bound}, which peers cannot be sent to; set its public address"
            ),
        ));
    }
    let (commands, receiver) = mpsc::channel(256);
    let (events, reader) = super::events::channel();
    let handle = SfuHandle {
        commands,
        events: std::sync::Arc::new(std::sync::Mutex::new(Some(reader))),
        address,
    };
    tokio::spawn(async move {
        tokio::select! {
            () = run(Sfu::new(address), socket, receiver, events) => {}
            () = shutdown => {}
        }
    });
    tracing::info!(%bound, %address, "SFU listening");
    Ok(handle)
}

async fn run(
    mut sfu: Sfu,
    socket: UdpSocket,
    mut commands: mpsc::Receiver<Command>,
    mut events: EventSender,
) {
    let mut buf = vec![0_u8; MAX_DATAGRAM];
    let local = sfu.address;
    loop {
        let wake = sfu
            .poll_timeout()
            .map(tokio::time::Instant::from_std)
            .unwrap_or_else(|| tokio::time::Instant::now() + IDLE);
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else { break };
                perform(&mut sfu, command);
            }
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, source)) => {
                    sfu.receive(Instant::now(), source, local, &buf[..n]);
                }
                Err(e) => tracing::debug!(error = %e, "SFU socket read failed"),
            },
            () = tokio::time::sleep_until(wake) => sfu.handle_timeout(Instant::now()),
        }
        while let Some(datagram) = sfu.poll_datagram() {
            if let Err(e) = socket
                .send_to(&datagram.contents, datagram.destination)
                .await
            {
                tracing::debug!(error = %e, to = %datagram.destination, "SFU send failed");
            }
        }
        while let Some(event) = sfu.poll_event() {
            events.send(event);
        }
    }
}

fn perform(sfu: &mut Sfu, command: Command) {
    let now = Instant::now();
    // A requester that went away does not care for the answer.
    match command {
        Command::Publish {
            stream,
            offer,
            reply,
        } => {
            let _ = reply.send(sfu.publish(now, &stream, *offer));
        }
        Command::Subscribe { stream, reply } => {
            let _ = reply.send(sfu.subscribe(now, &stream));
        }
        Command::Answer {
            peer,
            answer,
            reply,
        } => {
            let _ = reply.send(sfu.accept_answer(peer, *answer));
        }
        Command::Remove { peer, reply } => {
            let _ = reply.send(sfu.remove(peer));
        }
        Command::Mute {
            stream,
            muted,
            reply,
        } => {
            let _ = reply.send(sfu.set_audio_muted(&stream, muted));
        }
    }
    // Offers and answers change what the peers send next.
    sfu.handle_timeout(now);
}
