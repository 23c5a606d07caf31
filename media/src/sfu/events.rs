//! The SFU task's events on their way to the signaling layer. Peers connecting
//! and closing always arrive, however far the reader has fallen behind, so that
//! every stream is announced and every closed one cleaned up; data channel text
//! is dropped once [`MAX_WAITING_TEXT`] messages wait, so that a stalled reader
//! cannot make the SFU hold text without bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc;

use super::SfuEvent;

/// Most data channel messages waiting for the reader.
pub const MAX_WAITING_TEXT: usize = 1_024;

/// A new channel of SFU events: the SFU task's end and the reader's.
pub(crate) fn channel() -> (EventSender, SfuEvents) {
    let (tx, rx) = mpsc::unbounded_channel();
    let waiting_text = Arc::new(AtomicUsize::new(0));
    (
        EventSender {
            tx,
            waiting_text: waiting_text.clone(),
            dropped_text: 0,
        },
        SfuEvents { rx, waiting_text },
    )
}

/// The SFU task's end.
pub(crate) struct EventSender {
    tx: mpsc::UnboundedSender<SfuEvent>,
    waiting_text: Arc<AtomicUsize>,
    dropped_text: u64,
}

impl EventSender {
    /// Passes the event on, unless it is text and too much text waits. Never blocks.
    pub(crate) fn send(&mut self, event: SfuEvent) {
        if matches!(event, SfuEvent::ChannelMessage { .. }) {
            if self.waiting_text.load(Ordering::Acquire) >= MAX_WAITING_TEXT {
                self.dropped_text += 1;
                if self.dropped_text.is_power_of_two() {
                    tracing::warn!(
                        dropped = self.dropped_text,
                        "data channel text dropped: the room sockets are not keeping up"
                    );
                }
                return;
            }
            self.waiting_text.fetch_add(1, Ordering::AcqRel);
        }
        // Nobody reads once the signaling layer has stopped.
        let _ = self.tx.send(event);
    }
}

/// The signaling layer's end: the SFU's events in the order they happened.
pub struct SfuEvents {
    rx: mpsc::UnboundedReceiver<SfuEvent>,
    waiting_text: Arc<AtomicUsize>,
}

impl SfuEvents {
    /// The next event; `None` once the SFU task has stopped.
    pub async fn recv(&mut self) -> Option<SfuEvent> {
        let event = self.rx.recv().await?;
        if matches!(event, SfuEvent::ChannelMessage { .. }) {
            self.waiting_text.fetch_sub(1, Ordering::AcqRel);
        }
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sfu::PeerId;

    fn text(n: usize) -> SfuEvent {
        SfuEvent::ChannelMessage {
            peer: PeerId(1),
            text: n.to_string(),
        }
    }

    async fn drain(events: &mut SfuEvents) -> Vec<SfuEvent> {
        let mut seen = Vec::new();
        while let Ok(Some(event)) =
            tokio::time::timeout(std::time::Duration::from_millis(10), events.recv()).await
        {
            seen.push(event);
        }
        seen
    }

    #[tokio::test]
    async fn peers_connecting_and_closing_arrive_however_much_text_waits() {
        let (mut sender, mut events) = channel();
        for n in 0..MAX_WAITING_TEXT + 10 {
            sender.send(text(n));
        }
        sender.send(SfuEvent::Connected(PeerId(2)));
        sender.send(SfuEvent::Closed(PeerId(1)));

        let seen = drain(&mut events).await;
        assert_eq!(
            seen.len(),
            MAX_WAITING_TEXT + 2,
            "the text over the limit is dropped"
        );
        assert!(matches!(seen[0], SfuEvent::ChannelMessage { ref text, .. } if text == "0"));
        assert!(matches!(
            seen[MAX_WAITING_TEXT],
            SfuEvent::Connected(PeerId(2))
        ));
        assert!(matches!(
            seen[MAX_WAITING_TEXT + 1],
            SfuEvent::Closed(PeerId(1))
        ));
    }

    #[tokio::test]
    async fn text_flows_again_once_the_reader_has_caught_up() {
        let (mut sender, mut events) = channel();
        for n in 0..MAX_WAITING_TEXT + 1 {
            sender.send(text(n));
        }
        assert_eq!(drain(&mut events).await.len(), MAX_WAITING_TEXT);

        sender.send(text(7));
        let seen = drain(&mut events).await;
        assert!(matches!(&seen[..], [SfuEvent::ChannelMessage { text, .. }] if text == "7"));
    }
}
