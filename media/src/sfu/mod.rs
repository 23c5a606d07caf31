//! The selective forwarding unit's core: sans-IO, one [`str0m::Rtc`] per peer
//! connection, time passed in. The socket task (later in the data flow) feeds it
//! datagrams from its one UDP port and the clock, and sends what it returns;
//! signaling (publish, subscribe, answers) reaches it from the room socket.
//!
//! As in the reference's flow, every published stream is its own peer connection
//! (the server receives), and every subscription is one more (the server sends the
//! publisher's tracks). Media a publisher sends is written unchanged, frame by
//! frame, to each subscriber of its stream; a subscriber's keyframe request (PLI
//! or FIR) goes to the publisher, and so does a request of the SFU's own when a
//! subscriber's connection comes up or a publisher's packets arrive with gaps.
//! A publisher's simulcast layers are measured, and each subscriber is sent the
//! best layer its connection's bandwidth estimate allows (`layers`). Text a
//! publisher sends on a data channel goes to the signaling layer, which relays it
//! to the room.

pub mod events;
mod layers;
mod peer;
pub mod server;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::bwe::{Bitrate, BweKind};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, MediaTime, Mid, Rid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Rtc};

use layers::{LayerRate, choose_layer};
use peer::{OutTrack, Peer, Role, Track};

/// A published stream, named by the signaling layer.
pub type StreamId = String;

/// One peer connection of the SFU; written as its number in signaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(u64);

impl std::fmt::Display for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for PeerId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(PeerId)
    }
}

/// Why a signaling request was refused.
#[derive(Debug, thiserror::Error)]
pub enum SfuError {
    /// A stream has one publisher.
    #[error("stream {0} is already published")]
    AlreadyPublished(StreamId),
    /// Subscribing to a stream nobody publishes.
    #[error("stream {0} is not published")]
    UnknownStream(StreamId),
    /// The publisher has not connected yet: its tracks are known once it has
    /// ([`SfuEvent::Connected`] for its peer is the moment to announce the stream).
    #[error("stream {0} has not started yet")]
    NotLive(StreamId),
    /// A peer connection that ended or never existed.
    #[error("no such peer connection")]
    UnknownPeer,
    /// An answer nobody asked for.
    #[error("the peer connection has no offer waiting for an answer")]
    NoPendingOffer,
    /// An offer without media or data channel.
    #[error("the offer carries no audio, video or data channel to publish")]
    NothingToPublish,
    /// Subscribing to a stream that carries only a data channel (its messages
    /// reach the room over the socket).
    #[error("stream {0} carries no audio or video")]
    NoMedia(StreamId),
    /// A session description str0m could not use.
    #[error("session description refused: {0}")]
    Sdp(#[from] str0m::RtcError),
    /// The configured address is not usable as an ICE candidate.
    #[error("the SFU's address {0} cannot be a host candidate: {1}")]
    Candidate(SocketAddr, String),
}

/// A datagram for the socket to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// The SFU's address it leaves from.
    pub source: SocketAddr,
    /// The peer's address.
    pub destination: SocketAddr,
    /// The bytes, at most one MTU.
    pub contents: Vec<u8>,
}

/// What the signaling layer is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SfuEvent {
    /// A peer connection finished ICE and DTLS.
    Connected(PeerId),
    /// A peer connection ended (ICE lost or closed); its stream or subscription is gone.
    Closed(PeerId),
    /// A publisher sent text on a data channel, for the room.
    ChannelMessage {
        /// The publisher's peer connection.
        peer: PeerId,
        /// The message as sent.
        text: String,
    },
}

/// Longest a publisher is asked for keyframes again while one is outstanding.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(500);

/// A subscriber's bandwidth estimate before its connection has measured one.
const INITIAL_ESTIMATE: Bitrate = Bitrate::kbps(300);

/// The forwarding core; see the module docs.
pub struct Sfu {
    /// Where the UDP socket listens, as peers reach it (the public address behind NAT).
    address: SocketAddr,
    peers: Vec<Peer>,
    next_id: u64,
    outbox: Outbox,
}

/// What the peers produced for the socket and for signaling.
#[derive(Default)]
struct Outbox {
    datagrams: VecDeque<Datagram>,
    events: VecDeque<SfuEvent>,
}

impl Sfu {
    /// An SFU reached by peers at `address` (its one UDP port).
    pub fn new(address: SocketAddr) -> Self {
        // The process-wide DTLS/SRTP provider; installing it twice is harmless.
        str0m::crypto::from_feature_flags().install_process_default();
        Self {
            address,
            peers: Vec::new(),
            next_id: 0,
            outbox: Outbox::default(),
        }
    }

    /// A peer connection; one sending simulcast estimates its bandwidth, to
    /// choose layers. (Others do not: the estimator paces what is sent to its
    /// estimate, which only delays media when there is no layer to choose.)
    fn new_rtc(&self, now: Instant, estimate_bandwidth: bool) -> Result<Rtc, SfuError> {
        let mut builder = Rtc::builder().set_ice_lite(true);
        if estimate_bandwidth {
            builder = builder.enable_bwe(Some(INITIAL_ESTIMATE));
        }
        let mut rtc = builder.build(now);
        let candidate = Candidate::host(self.address, "udp")
            .map_err(|e| SfuError::Candidate(self.address, e.to_string()))?;
        rtc.add_local_candidate(candidate);
        Ok(rtc)
    }

    fn next_peer_id(&mut self) -> PeerId {
        self.next_id += 1;
        PeerId(self.next_id)
    }

    /// Accepts a publisher's offer for `stream`: the answer goes back over signaling.
    pub fn publish(
        &mut self,
        now: Instant,
        stream: &str,
        offer: SdpOffer,
    ) -> Result<(PeerId, SdpAnswer), SfuError> {
        if self.publisher_of(stream).is_some() {
            return Err(SfuError::AlreadyPublished(stream.to_owned()));
        }
        let sdp = offer.to_sdp_string();
        if !["\nm=audio", "\nm=video", "\nm=application"]
            .iter()
            .any(|m| sdp.contains(m))
        {
            return Err(SfuError::NothingToPublish);
        }
        let mut rtc = self.new_rtc(now, false)?;
        let answer = rtc.sdp_api().accept_offer(offer)?;
        let id = self.next_peer_id();
        self.peers.push(Peer::new(
            id,
            rtc,
            Role::Publisher {
                stream: stream.to_owned(),
            },
        ));
        Ok((id, answer))
    }

    /// Makes a subscription to `stream`: the offer goes to the subscriber, whose
    /// answer comes back through [`accept_answer`](Self::accept_answer).
    pub fn subscribe(
        &mut self,
        now: Instant,
        stream: &str,
    ) -> Result<(PeerId, SdpOffer), SfuError> {
        let publisher = self
            .publisher_of(stream)
            .ok_or_else(|| SfuError::UnknownStream(stream.to_owned()))?;
        let tracks: Vec<Track> = publisher.tracks_in.clone();
        if tracks.is_empty() {
            return Err(if publisher.rtc.is_connected() {
                SfuError::NoMedia(stream.to_owned())
            } else {
                SfuError::NotLive(stream.to_owned())
            });
        }
        let simulcast = tracks.iter().any(Track::has_layers);
        let mut rtc = self.new_rtc(now, simulcast)?;
        let mut change = rtc.sdp_api();
        let mut tracks_out = Vec::with_capacity(tracks.len());
        for track in tracks {
            let mid = change.add_media(
                track.kind,
                Direction::SendOnly,
                Some(stream.to_owned()),
                None,
                None,
            );
            tracks_out.push(OutTrack {
                mid,
                mid_in: track.mid,
                follower: Default::default(),
            });
        }
        let (offer, pending) = change.apply().ok_or(SfuError::NothingToPublish)?;
        let id = self.next_peer_id();
        let mut peer = Peer::new(
            id,
            rtc,
            Role::Subscriber {
                stream: stream.to_owned(),
                tracks: tracks_out,
            },
        );
        peer.pending = Some(pending);
        self.peers.push(peer);
        Ok((id, offer))
    }

    /// Takes a subscriber's answer to the offer [`subscribe`](Self::subscribe) made.
    pub fn accept_answer(&mut self, peer: PeerId, answer: SdpAnswer) -> Result<(), SfuError> {
        let peer = self
            .peers
            .iter_mut()
            .find(|p| p.id == peer)
            .ok_or(SfuError::UnknownPeer)?;
        let pending = peer.pending.take().ok_or(SfuError::NoPendingOffer)?;
        peer.rtc.sdp_api().accept_answer(pending, answer)?;
        peer.dirty = true;
        Ok(())
    }

    /// Ends a publication or subscription (unpublish, unsubscribe, leave).
    /// Subscribers of an unpublished stream are closed too.
    pub fn remove(&mut self, peer: PeerId) -> Result<(), SfuError> {
        let index = self
            .peers
            .iter()
            .position(|p| p.id == peer)
            .ok_or(SfuError::UnknownPeer)?;
        let mut removed = self.peers.remove(index);
        removed.rtc.disconnect();
        self.outbox.events.push_back(SfuEvent::Closed(removed.id));
        if let Role::Publisher { stream } = &removed.role {
            let stream = stream.clone();
            let (gone, kept): (Vec<Peer>, Vec<Peer>) = std::mem::take(&mut self.peers)
                .into_iter()
                .partition(|p| p.subscribes_to(&stream));
            self.peers = kept;
            for mut subscriber in gone {
                subscriber.rtc.disconnect();
                self.outbox
                    .events
                    .push_back(SfuEvent::Closed(subscriber.id));
            }
        }
        Ok(())
    }

    /// A datagram that arrived on the SFU's port; `false` when no peer connection
    /// claims it (a stray packet, dropped).
    pub fn receive(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> bool {
        let Ok(contents) = contents.try_into() else {
            return false;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination,
                contents,
            },
        );
        let Some(index) = self.peers.iter().position(|p| p.rtc.accepts(&input)) else {
            return false;
        };
        let peer = &mut self.peers[index];
        if let Err(e) = peer.rtc.handle_input(input) {
            tracing::debug!(peer = peer.id.0, error = %e, "peer input refused");
        }
        peer.dirty = true;
        self.run(now);
        true
    }

    /// Advances the timers of the peer connections that are due (or changed).
    pub fn handle_timeout(&mut self, now: Instant) {
        for peer in &mut self.peers {
            let due = peer.dirty || peer.timeout.is_none_or(|at| at <= now);
            if !due || !peer.rtc.is_alive() {
                continue;
            }
            if let Err(e) = peer.rtc.handle_input(Input::Timeout(now)) {
                tracing::debug!(peer = peer.id.0, error = %e, "peer timer failed");
            }
            peer.dirty = true;
        }
        self.run(now);
    }

    /// The earliest time [`handle_timeout`](Self::handle_timeout) is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.peers.iter().filter_map(|p| p.timeout).min()
    }

    /// The next datagram to send.
    pub fn poll_datagram(&mut self) -> Option<Datagram> {
        self.outbox.datagrams.pop_front()
    }

    /// The next event for the signaling layer.
    pub fn poll_event(&mut self) -> Option<SfuEvent> {
        self.outbox.events.pop_front()
    }

    /// Stops (or resumes) forwarding a stream's audio to every subscriber: the
    /// host's mute controls. The publisher keeps sending; nobody hears it.
    pub fn set_audio_muted(&mut self, stream: &str, muted: bool) -> Result<(), SfuError> {
        let publisher = self
            .publisher_mut(stream)
            .ok_or_else(|| SfuError::UnknownStream(stream.to_owned()))?;
        publisher.audio_muted = muted;
        Ok(())
    }

    /// How many subscribers a stream has (for room state and limits).
    pub fn subscriber_count(&self, stream: &str) -> usize {
        self.peers
            .iter()
            .filter(|p| p.subscribes_to(stream))
            .count()
    }

    fn publisher_of(&self, stream: &str) -> Option<&Peer> {
        self.peers.iter().find(|p| p.publishes(stream))
    }

    fn publisher_mut(&mut self, stream: &str) -> Option<&mut Peer> {
        self.peers.iter_mut().find(|p| p.publishes(stream))
    }

    /// Polls the peers that had input until none has output left, passing media
    /// and keyframe requests between them; writes into one peer make output on
    /// it, hence the loop.
    fn run(&mut self, now: Instant) {
        loop {
            let mut work = Vec::new();
            for peer in self.peers.iter_mut().filter(|p| p.dirty) {
                peer.dirty = false;
                work.extend(drain(peer, &mut self.outbox, now));
            }
            if work.is_empty() {
                break;
            }
            for item in work {
                self.apply(item, now);
            }
        }
        let dead: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|p| !p.rtc.is_alive())
            .map(|p| p.id)
            .collect();
        for id in dead {
            let _ = self.remove(id);
        }
    }

    fn apply(&mut self, work: Work, now: Instant) {
        match work {
            Work::Forward {
                stream,
                data,
                layers,
                audio,
            } => self.forward(&stream, &data, &layers, audio, now),
            Work::Keyframe {
                stream,
                requests,
                kind,
            } => {
                if let Some(publisher) = self.publisher_mut(&stream) {
                    for (mid, rid) in requests {
                        publisher.request_keyframe(mid, rid, kind, now);
                    }
                }
            }
        }
    }

    /// Writes a publisher's frame to each subscriber of its stream that is sent
    /// its track (and layer); asks for keyframes of layers subscribers wait for.
    fn forward(
        &mut self,
        stream: &str,
        data: &MediaData,
        layers: &[LayerRate],
        audio: u64,
        now: Instant,
    ) {
        let mut wanted: Vec<Rid> = Vec::new();
        for peer in &mut self.peers {
            let Peer {
                role,
                rtc,
                estimate,
                ..
            } = peer;
            let Role::Subscriber { stream: s, tracks } = role else {
                continue;
            };
            if s != stream {
                continue;
            }
            let Some(track) = tracks.iter_mut().find(|t| t.mid_in == data.mid) else {
                continue;
            };
            let budget = estimate.map(|e| e.saturating_sub(audio));
            let target = choose_layer(layers, track.follower.current(), budget);
            let pass = track.follower.pass(data, target);
            if let Some(time) = pass.write {
                write_frame(rtc, track.mid, data, time);
                peer.dirty = true;
            }
            if let Some(rid) = pass.keyframe_of
                && !wanted.contains(&rid)
            {
                wanted.push(rid);
            }
            if let Some((_, best)) = layers.last() {
                peer.want_bitrate(best + audio);
            }
        }
        if wanted.is_empty() {
            return;
        }
        if let Some(publisher) = self.publisher_mut(stream) {
            for rid in wanted {
                publisher.request_keyframe(data.mid, Some(rid), KeyframeRequestKind::Fir, now);
            }
        }
    }
}

/// Takes `peer`'s output until its next timeout: datagrams are queued, events
/// become work for other peers.
fn drain(peer: &mut Peer, outbox: &mut Outbox, now: Instant) -> Vec<Work> {
    let mut work = Vec::new();
    while peer.rtc.is_alive() {
        let output = match peer.rtc.poll_output() {
            Ok(output) => output,
            Err(e) => {
                tracing::debug!(peer = peer.id.0, error = %e, "peer failed");
                peer.rtc.disconnect();
                break;
            }
        };
        match output {
            str0m::Output::Timeout(at) => {
                peer.timeout = Some(at);
                break;
            }
            str0m::Output::Transmit(t) => outbox.datagrams.push_back(Datagram {
                source: t.source,
                destination: t.destination,
                contents: t.contents.to_vec(),
            }),
            str0m::Output::Event(event) => {
                if let Some(item) = on_event(peer, outbox, event, now) {
                    work.push(item);
                }
            }
        }
    }
    work
}

fn on_event(peer: &mut Peer, outbox: &mut Outbox, event: Event, now: Instant) -> Option<Work> {
    match event {
        Event::Connected => {
            outbox.events.push_back(SfuEvent::Connected(peer.id));
            // A new subscriber starts decoding at a keyframe.
            match &peer.role {
                // (A simulcast track asks for its layer's keyframe when it first
                // sees the layer.)
                Role::Subscriber { stream, tracks } => Some(Work::Keyframe {
                    stream: stream.clone(),
                    requests: tracks.iter().map(|t| (t.mid_in, None)).collect(),
                    kind: KeyframeRequestKind::Pli,
                }),
                Role::Publisher { .. } => None,
            }
        }
        Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
            peer.rtc.disconnect();
            None
        }
        Event::MediaAdded(added) => {
            if matches!(peer.role, Role::Publisher { .. })
                && added.direction.is_receiving()
                && !peer.tracks_in.iter().any(|t| t.mid == added.mid)
            {
                let simulcast = added
                    .simulcast
                    .is_some_and(|s| s.send.len() + s.recv.len() > 1);
                peer.tracks_in
                    .push(Track::new(added.mid, added.kind, simulcast));
            }
            None
        }
        Event::MediaData(data) => {
            let Role::Publisher { stream } = &peer.role else {
                return None;
            };
            let stream = stream.clone();
            if peer.audio_muted && peer.kind_of(data.mid) == Some(MediaKind::Audio) {
                return None;
            }
            // Lost packets the retransmissions did not recover: start again at a keyframe.
            if !data.contiguous {
                peer.request_keyframe(data.mid, data.rid, KeyframeRequestKind::Fir, now);
            }
            let (layers, audio) = peer.record(now, &data);
            Some(Work::Forward {
                stream,
                data: Box::new(data),
                layers,
                audio,
            })
        }
        Event::EgressBitrateEstimate(
            BweKind::Twcc { estimate, .. } | BweKind::Remb { estimate, .. },
        ) => {
            peer.estimate = Some(estimate.as_u64());
            None
        }
        Event::ChannelData(message) => {
            if matches!(peer.role, Role::Publisher { .. }) {
                match String::from_utf8(message.data) {
                    Ok(text) if !message.binary => {
                        outbox.events.push_back(SfuEvent::ChannelMessage {
                            peer: peer.id,
                            text,
                        });
                    }
                    _ => tracing::debug!(peer = peer.id.0, "binary data channel message dropped"),
                }
            }
            None
        }
        Event::KeyframeRequest(request) => match &peer.role {
            Role::Subscriber { stream, tracks } => {
                let track = tracks.iter().find(|t| t.mid == request.mid)?;
                Some(Work::Keyframe {
                    stream: stream.clone(),
                    requests: vec![(track.mid_in, track.follower.current())],
                    kind: request.kind,
                })
            }
            Role::Publisher { .. } => None,
        },
        _ => None,
    }
}

/// Writes one received frame to a subscriber's track, in the payload type the
/// subscriber negotiated for the same codec, at media time `time`.
fn write_frame(rtc: &mut Rtc, mid: Mid, data: &MediaData, time: MediaTime) {
    let Some(writer) = rtc.writer(mid) else {
        return; // not negotiated or not connected yet
    };
    let Some(pt) = writer.match_params(data.params) else {
        return; // the subscriber did not accept this codec
    };
    if let Err(e) = writer.write(pt, data.network_time, time, data.data.clone()) {
        tracing::debug!(error = %e, "forwarding a frame failed");
    }
}

/// What one peer's output asks of others.
enum Work {
    /// A publisher's frame, with its track's simulcast layers (none without
    /// simulcast) and the rate of the stream's audio.
    Forward {
        stream: StreamId,
        data: Box<MediaData>,
        layers: Vec<LayerRate>,
        audio: u64,
    },
    /// Keyframe requests for a publisher's tracks (and layers).
    Keyframe {
        stream: StreamId,
        requests: Vec<(Mid, Option<Rid>)>,
        kind: KeyframeRequestKind,
    },
}
