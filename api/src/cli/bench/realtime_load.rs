//! The load of `bench realtime`, run in a process of its own so that the server's
//! CPU figure is the server's alone: `clients` Socket.IO receivers (Engine.IO 4
//! over WebSocket, as socket.io-client v4 speaks it) join one room, one publisher
//! emits `chat-box` at `rate` messages per second for `seconds`, and every receiver
//! measures each message's delivery latency from the send time it carries.
//!
//! Written in Rust rather than with socket.io-client so that the clients' own
//! cost, on the same two cores, stays small beside the servers measured.
//! Prints `publishing` when the load starts, `delivered` when every message
//! arrived (or 10 s after the last was sent), then one JSON line of figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// What to load, as `bench realtime` passes it (one JSON argument).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The server's base URL (`http://host:port`).
    pub url: String,
    pub publisher_token: String,
    pub receiver_token: String,
    pub clients: usize,
    pub rate: u32,
    pub seconds: u32,
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Microseconds since the Unix epoch: the send time carried in each message.
fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Opens an Engine.IO session on the room data path and connects the default
/// namespace with `token` as the handshake's `auth.token`.
async fn connect(base: &str, token: &str) -> anyhow::Result<Socket> {
    let url = format!(
        "{}/erizocontroller/socket.io/?EIO=4&transport=websocket",
        base.replacen("http", "ws", 1)
    );
    // Without Nagle's algorithm, as browsers and Node's `ws` open their sockets.
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url.as_str(), None, true)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let open = next_text(&mut ws).await?;
    anyhow::ensure!(open.starts_with('0'), "expected an open packet, got {open}");
    ws.send(Message::text(format!("40{}", json!({ "token": token }))))
        .await?;
    loop {
        let packet = next_text(&mut ws).await?;
        match packet.get(..2) {
            Some("40") => return Ok(ws),
            Some("44") => anyhow::bail!("the server refused the socket: {packet}"),
            _ if packet == "2" => ws.send(Message::text("3")).await?,
            _ => {}
        }
    }
}

async fn next_text(ws: &mut Socket) -> anyhow::Result<String> {
    loop {
        match ws.next().await.context("the server closed the socket")?? {
            Message::Text(text) => return Ok(text.as_str().to_owned()),
            Message::Close(_) => anyhow::bail!("the server closed the socket"),
            _ => {}
        }
    }
}

/// The send time in a relayed `chat-box` packet (`42["chat-box",{…,"sent":N}]`).
fn sent_at(packet: &str) -> Option<u64> {
    if !packet.starts_with(r#"42["chat-box""#) {
        return None;
    }
    let rest = &packet[packet.rfind(r#""sent":"#)? + 7..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Reads one receiver's socket until told to stop; answers pings; returns the
/// delivery latencies in microseconds.
async fn receive(
    mut ws: Socket,
    arrived: Arc<AtomicU64>,
    last_packet: Arc<AtomicU64>,
    mut stop: watch::Receiver<bool>,
) -> Vec<u32> {
    let mut latencies = Vec::new();
    loop {
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    last_packet.store(now_us(), Ordering::Relaxed);
                    if let Some(sent) = sent_at(text.as_str()) {
                        latencies.push(now_us().saturating_sub(sent).min(u32::MAX.into()) as u32);
                        arrived.fetch_add(1, Ordering::Relaxed);
                    } else if text.as_str() == "2" && ws.send(Message::text("3")).await.is_err() {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            },
            _ = stop.changed() => break,
        }
    }
    let _ = ws.close(None).await;
    latencies
}

/// Runs the load described by `plan` (a JSON [`Plan`]).
pub async fn run(plan: &str) -> anyhow::Result<()> {
    let plan: Plan = serde_json::from_str(plan).context("the load plan")?;
    let arrived = Arc::new(AtomicU64::new(0));
    let last_packet = Arc::new(AtomicU64::new(now_us()));
    let (stop, stopped) = watch::channel(false);
    let mut receivers = tokio::task::JoinSet::new();
    let mut connected = 0;
    while connected < plan.clients {
        let batch = (plan.clients - connected).min(50);
        let sockets = futures::future::try_join_all(
            (0..batch).map(|_| connect(&plan.url, &plan.receiver_token)),
        )
        .await?;
        for ws in sockets {
            receivers.spawn(receive(
                ws,
                arrived.clone(),
                last_packet.clone(),
                stopped.clone(),
            ));
        }
        connected += batch;
    }
    let mut publisher = connect(&plan.url, &plan.publisher_token).await?;
    // What the joins set off (presence counts to everyone already in the room:
    // half a million packets for a thousand joins) is not what is measured: wait
    // until the receivers have heard nothing for half a second.
    let settling = tokio::time::Instant::now();
    while now_us().saturating_sub(last_packet.load(Ordering::Relaxed)) < 500_000
        && settling.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let total = u64::from(plan.rate) * u64::from(plan.seconds);
    let period = Duration::from_secs(1) / plan.rate.max(1);
    println!("publishing");
    let started = tokio::time::Instant::now();
    for i in 0..total {
        tokio::time::sleep_until(started + period * i as u32).await;
        let message = json!(["chat-box", {
            "type": "chat-box", "id": "bench", "username": "Bench",
            "msg": format!("message {i}"), "sent": now_us(),
        }]);
        publisher
            .send(Message::text(format!("42{message}")))
            .await?;
    }
    let expected = total * plan.clients as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while arrived.load(Ordering::Relaxed) < expected && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("delivered");
    let _ = stop.send(true);
    let mut latencies = Vec::with_capacity(expected as usize);
    while let Some(received) = receivers.join_next().await {
        latencies.extend(received?);
    }
    let _ = publisher.close(None).await;
    latencies.sort_unstable();
    let at = |p: f64| {
        latencies
            .get(((latencies.len().saturating_sub(1)) as f64 * p).round() as usize)
            .map(|us| f64::from(*us) / 1000.0)
    };
    println!(
        "{}",
        json!({
            "deliveries": latencies.len(),
            "expected": expected,
            "p50": at(0.5),
            "p99": at(0.99),
            "seconds": seconds,
        })
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sent_at;

    #[test]
    fn the_send_time_is_read_from_a_relayed_chat_message() {
        let packet = r#"42["chat-box",{"type":"chat-box","id":"bench","msg":"message 1","sent":1764400000123456}]"#;
        assert_eq!(sent_at(packet), Some(1_764_400_000_123_456));
    }

    #[test]
    fn other_packets_carry_no_send_time() {
        assert_eq!(sent_at(r#"42["view_count",{"count":3}]"#), None);
        assert_eq!(sent_at("2"), None);
        assert_eq!(sent_at(r#"42["chat-box",{"msg":"no time"}]"#), None);
    }
}
