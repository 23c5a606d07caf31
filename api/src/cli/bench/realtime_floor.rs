//! The floor of `bench realtime`: the least work any relay must do for the same
//! load, run in a process of its own. It speaks just enough Engine.IO and
//! Socket.IO for the load's clients to connect, then relays each `chat-box` the
//! publisher sends by framing it once and writing those bytes to every receiver's
//! TCP socket straight from the publisher's task: one `write` per delivery, no
//! per-socket task, queue or buffer. No checks, no log, no room membership.
//!
//! Server frames are unmasked, so one frame serves every receiver. What this
//! process spends per delivery is mostly the kernel's TCP send over loopback,
//! which a relay cannot avoid while each delivery is a write of its own.
//! Prints its port, then serves until killed.

use std::sync::{Arc, Mutex};

use futures::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// The `auth.token` the load's publisher connects with (see `bench realtime`).
pub const PUBLISHER: &str = "publisher";

type Receivers = Arc<Mutex<Vec<Arc<TcpStream>>>>;

/// Serves until killed.
pub async fn run() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    let receivers: Receivers = Arc::default();
    let mut sid = 0u64;
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        sid += 1;
        let receivers = receivers.clone();
        tokio::spawn(async move {
            if let Err(e) = serve(tcp, sid, receivers).await {
                eprintln!("realtime floor: connection {sid}: {e}");
            }
        });
    }
}

/// Opens the Engine.IO session and the default namespace, then either relays
/// (the publisher) or registers the socket as a receiver.
async fn serve(tcp: TcpStream, sid: u64, receivers: Receivers) -> anyhow::Result<()> {
    let mut ws = tokio_tungstenite::accept_async(tcp).await?;
    ws.send(Message::text(format!(
        r#"0{{"sid":"{sid}","upgrades":[],"pingInterval":300000,"pingTimeout":20000,"maxPayload":1000000}}"#
    )))
    .await?;
    let connect = next_text(&mut ws).await?;
    anyhow::ensure!(connect.starts_with("40"), "expected a connect packet");
    ws.send(Message::text(format!(r#"40{{"sid":"{sid}"}}"#)))
        .await?;
    if connect.contains(PUBLISHER) {
        while let Ok(packet) = next_text(&mut ws).await {
            if packet.starts_with(r#"42["chat-box""#) {
                relay(&frame(packet.as_bytes()), &receivers).await;
            }
        }
    } else {
        // The client sends nothing more until it closes; its bytes are read and
        // dropped so that the close completes.
        let tcp = Arc::new(ws.into_inner());
        receivers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tcp.clone());
        let mut sink = [0u8; 512];
        loop {
            tcp.readable().await?;
            match tcp.try_read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

async fn next_text(ws: &mut WebSocketStream<TcpStream>) -> anyhow::Result<String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
            Some(Ok(Message::Close(_))) | None => anyhow::bail!("closed"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
        }
    }
}

/// An unmasked, final WebSocket text frame.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(payload.len() + 10);
    frame.push(0x81);
    match payload.len() {
        n @ 0..=125 => frame.push(n as u8),
        n @ 126..=0xFFFF => {
            frame.push(126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(payload);
    frame
}

/// Writes the frame to every receiver; a socket that can't take it all at once
/// is waited for, in turn.
async fn relay(frame: &[u8], receivers: &Receivers) {
    let sockets = receivers.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for tcp in sockets {
        let mut sent = 0;
        while sent < frame.len() {
            match tcp.try_write(&frame[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if tcp.writable().await.is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::frame;

    #[test]
    fn frames_carry_their_length_in_the_shortest_form() {
        assert_eq!(frame(b"hi"), [0x81, 2, b'h', b'i']);
        let medium = frame(&[b'x'; 300]);
        assert_eq!(&medium[..4], &[0x81, 126, 0x01, 0x2C]);
        assert_eq!(medium.len(), 304);
        let large = frame(&vec![b'x'; 70_000]);
        assert_eq!(&large[..2], &[0x81, 127]);
        assert_eq!(&large[2..10], &70_000u64.to_be_bytes());
    }
}
