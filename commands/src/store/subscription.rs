//! The catch-up subscription shared by the SQL backends: page through `read_all`
//! from the start position, then wait for a wake-up (an append in this process) or
//! a short poll (appends by other processes), and page on. Each event is delivered
//! once, in order, because the cursor only moves past events `read_all` returned
//! and `read_all` only returns events whose place is final.

use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use super::{EventFilter, EventStore, EventStream, Position, SubscriptionStart};

/// Events per page read from the log.
const PAGE: usize = 512;
/// Events buffered for a slow consumer before the reader waits.
const BUFFER: usize = 1024;

/// Starts a subscription task over `store`.
pub(crate) fn spawn<S: EventStore + Clone>(
    store: S,
    start: SubscriptionStart,
    filter: EventFilter,
    mut wake: watch::Receiver<Position>,
    poll: Duration,
) -> EventStream {
    let (tx, rx) = mpsc::channel(BUFFER);
    tokio::spawn(async move {
        let mut after = match start {
            SubscriptionStart::Beginning => 0,
            SubscriptionStart::After(p) => p,
            SubscriptionStart::End => match store.head_position().await {
                Ok(p) => p,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            },
        };
        loop {
            wake.borrow_and_update();
            let page = match store.read_all(after, PAGE).await {
                Ok(page) => page,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            if page.is_empty() {
                tokio::select! {
                    changed = wake.changed() => {
                        if changed.is_err() {
                            tokio::time::sleep(poll).await;
                        }
                    }
                    _ = tokio::time::sleep(poll) => {}
                    _ = tx.closed() => return,
                }
                continue;
            }
            for event in page {
                after = event.position;
                if filter.matches(&event) && tx.send(Ok(event)).await.is_err() {
                    return;
                }
            }
        }
    });
    ReceiverStream::new(rx).boxed()
}
