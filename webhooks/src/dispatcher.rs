//! The delivery loop. One scanner follows the log from its checkpoint: it keeps
//! the endpoints as of its place (from their own events) and, for every event an
//! endpoint wants, creates a delivery row — rows, endpoint changes and the new
//! checkpoint in one transaction, so a crash neither loses nor doubles a delivery.
//! One worker per enabled endpoint sends its pending rows: of each ordering key
//! only the oldest (so a meeting's or room's events arrive in log order), up to a
//! bounded number at once, retrying failures with back-off until the retry window
//! closes, when the endpoint is disabled.
//!
//! On PostgreSQL the scanner and workers run in one process at a time (advisory
//! lock); other processes only write rows (replays, tests) that the active one
//! picks up on its next poll.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use altegon_commands::pipeline::decode;
use altegon_commands::store::{EventFilter, RecordedEvent, SubscriptionStart};
use altegon_commands::{Actor, CommandContext};
use altegon_domain::{DomainEvent, WebhookId};
use altegon_projections::sleep_or_stop;
use futures::StreamExt;
use sqlx::Connection;
use tokio::sync::watch;

use crate::payload::{self, SubjectResolver};
use crate::registry::LiveTarget;
use crate::store::{self, AttemptRecord, NewDelivery, PendingDelivery, Target};
use crate::{Inner, WebhookError, delivery_id, now_ms};

/// Events scanned per transaction at most.
const BATCH: usize = 500;
/// Pending rows a worker looks at per round, per delivery it may have in flight:
/// enough to find heads of several keys without reading a long backlog each time.
const ROWS_PER_SLOT: i64 = 4;
/// Rounds between two prunes of an endpoint's done deliveries.
const PRUNE_EVERY: u32 = 50;

/// Runs the scanner (and through it the workers) until shutdown.
pub(crate) async fn run(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let held = inner
        .db
        .hold_advisory_lock("altegon_webhooks", Duration::from_secs(1), &mut shutdown)
        .await;
    let lock = match held {
        Ok(Some(lock)) => {
            tracing::info!("webhook dispatcher active");
            lock
        }
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "the webhook dispatcher could not take its lock");
            return;
        }
    };
    let mut backoff = Duration::from_millis(200);
    loop {
        match scan(&inner, &mut shutdown).await {
            Ok(()) => break,
            Err(e) => {
                tracing::error!(error = %e, "the webhook scanner failed; restarting");
                if sleep_or_stop(backoff, &mut shutdown).await {
                    break;
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
    // Workers finish the round in flight, so its outcomes are recorded.
    for worker in inner.registry.take_workers() {
        let _ = worker.await;
    }
    if let Some(conn) = lock {
        let _ = conn.close().await;
    }
}

async fn scan(
    inner: &Arc<Inner>,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), WebhookError> {
    let pool = inner.db.pool();
    let position = store::scan_position(pool).await?;
    for target in store::targets(pool).await? {
        let id = target.endpoint_id;
        inner
            .registry
            .set(id, Some(LiveTarget::open(target, &inner.sealer)));
        start_worker(inner, id, shutdown.clone());
    }
    let mut resolver = SubjectResolver::new(inner.bus.clone());
    let mut batches = inner
        .bus
        .store()
        .subscribe_to_all(SubscriptionStart::After(position), EventFilter::all())
        .ready_chunks(BATCH);
    loop {
        tokio::select! {
            batch = batches.next() => {
                let Some(batch) = batch else { return Ok(()) };
                let events = batch.into_iter().collect::<Result<Vec<_>, _>>()?;
                scan_batch(inner, &mut resolver, &events, shutdown).await?;
            }
            _ = shutdown.changed() => {
                if *shutdown.borrow() { return Ok(()) }
            }
        }
    }
}

/// Applies an endpoint's own event to the scanner's view of it; the endpoint's
/// id when the view changed.
fn apply_endpoint_event(
    targets: &mut BTreeMap<WebhookId, Target>,
    event: &DomainEvent,
) -> Option<WebhookId> {
    let id = altegon_domain::webhook::endpoint_of(event)?;
    let before = targets.get(&id);
    let after = Target::evolve(before, event);
    if before == after.as_ref() {
        return None;
    }
    match after {
        Some(target) => targets.insert(id, target),
        None => targets.remove(&id),
    };
    Some(id)
}

async fn scan_batch(
    inner: &Arc<Inner>,
    resolver: &mut SubjectResolver,
    events: &[RecordedEvent],
    shutdown: &watch::Receiver<bool>,
) -> Result<(), WebhookError> {
    let Some(last) = events.last() else {
        return Ok(());
    };
    let mut targets: BTreeMap<WebhookId, Target> = inner.registry.snapshot().into_iter().collect();
    let mut changed = HashSet::new();
    let mut deliveries = Vec::new();
    for recorded in events {
        if recorded.stream_id.starts_with("webhook-") {
            if let Ok(event) = decode(recorded)
                && let Some(id) = apply_endpoint_event(&mut targets, &event)
            {
                changed.insert(id);
            }
            continue;
        }
        deliveries.extend(deliveries_of(resolver, targets.values(), recorded).await);
    }
    let pool = inner.db.pool();
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin_with(inner.db.begin_write()).await?;
    for id in &changed {
        match targets.get(id) {
            Some(target) => store::save_target(&mut tx, target).await?,
            None => store::delete_target(&mut tx, id).await?,
        }
    }
    store::insert_deliveries(&mut tx, &deliveries, now_ms(), false).await?;
    store::set_scan_position(&mut tx, last.position).await?;
    tx.commit().await?;
    metrics::counter!("altegon_webhook_deliveries_created_total")
        .increment(deliveries.len() as u64);
    for id in &changed {
        let live = targets
            .get(id)
            .cloned()
            .map(|t| LiveTarget::open(t, &inner.sealer));
        inner.registry.set(*id, live);
        start_worker(inner, *id, shutdown.clone());
        inner.registry.wake(id);
    }
    let woken: HashSet<WebhookId> = deliveries.iter().map(|d| d.endpoint_id).collect();
    for id in woken {
        inner.registry.wake(&id);
    }
    Ok(())
}

/// The deliveries `recorded` makes for `targets`.
pub(crate) async fn deliveries_of<'a>(
    resolver: &mut SubjectResolver,
    targets: impl Iterator<Item = &'a Target> + Clone,
    recorded: &RecordedEvent,
) -> Vec<NewDelivery> {
    let Some(public) = altegon_domain::webhook::public_type(&recorded.event_type) else {
        return vec![];
    };
    if !targets.clone().any(|t| t.wants_type(public)) {
        return vec![];
    }
    let event = match decode(recorded) {
        Ok(event) => event,
        Err(e) => {
            tracing::warn!(event_id = %recorded.event_id, error = %e, "an event webhooks announce does not decode");
            return vec![];
        }
    };
    let Some((public, subject)) = resolver.resolve(recorded, &event).await else {
        return vec![];
    };
    let data = payload::data(&event);
    targets
        .filter(|t| t.wants(public, &subject.owner))
        .map(|t| {
            let id = delivery_id(&t.endpoint_id, &recorded.event_id);
            NewDelivery {
                payload: payload::body(&id, public, recorded, data.clone()),
                id,
                endpoint_id: t.endpoint_id,
                position: recorded.position,
                event_id: recorded.event_id.to_string(),
                event_type: public.to_owned(),
                ordering_key: subject.ordering_key.clone(),
            }
        })
        .collect()
}

fn start_worker(inner: &Arc<Inner>, id: WebhookId, shutdown: watch::Receiver<bool>) {
    if inner.registry.claim_worker(&id) {
        let worker = tokio::spawn(work(inner.clone(), id, shutdown));
        inner.registry.keep_worker(worker);
    }
}

/// Sends one endpoint's deliveries until it is disabled, deleted or shut down.
async fn work(inner: Arc<Inner>, id: WebhookId, mut shutdown: watch::Receiver<bool>) {
    let wake = inner.registry.waker(&id);
    let mut rounds = 0u32;
    loop {
        if *shutdown.borrow() {
            inner.registry.forget_worker(&id);
            return;
        }
        let Some(live) = inner.registry.get(&id).filter(|l| l.target.enabled) else {
            if inner.registry.release_worker(&id) {
                return;
            }
            continue;
        };
        let wait = match round(&inner, &live).await {
            Ok(Some(wait)) => wait,
            Ok(None) => {
                rounds += 1;
                if rounds.is_multiple_of(PRUNE_EVERY) {
                    let _ = store::prune(inner.db.pool(), &id).await;
                }
                continue;
            }
            Err(e) => {
                tracing::warn!(endpoint = %id, error = %e, "a webhook delivery round failed");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Sends what is due. `Some(wait)` when nothing was: how long until something may be.
async fn round(inner: &Arc<Inner>, live: &LiveTarget) -> Result<Option<Duration>, WebhookError> {
    let id = live.target.endpoint_id;
    let window = ROWS_PER_SLOT * i64::try_from(inner.settings.max_in_flight).unwrap_or(8);
    let rows = store::pending(inner.db.pool(), &id, window).await?;
    let now = now_ms();
    let (due, next) = due_heads(&rows, now, inner.settings.max_in_flight);
    if due.is_empty() {
        let idle = inner.settings.idle_poll;
        let wait = next.map_or(idle, |t| {
            Duration::from_millis(u64::try_from(t - now).unwrap_or(1).max(1)).min(idle)
        });
        return Ok(Some(wait));
    }
    let sent = futures::future::join_all(due.iter().map(|row| async move {
        let attempt = match &live.key {
            Some(key) => {
                inner
                    .sender
                    .send(&live.target.url, &row.id, key, &row.payload)
                    .await
            }
            None => crate::sender::Attempt {
                status: None,
                error: Some(
                    "the signing secret does not open with this server's webhook key".into(),
                ),
                response_prefix: None,
            },
        };
        (*row, attempt)
    }))
    .await;
    let attempted = now_ms();
    let mut records = Vec::with_capacity(sent.len());
    let mut expired = None;
    for (row, attempt) in sent {
        let acknowledged = attempt.acknowledged();
        let failures = u32::try_from(row.attempts + 1).unwrap_or(u32::MAX);
        let first = row.first_attempt_ms.unwrap_or(attempted);
        let elapsed = Duration::from_millis(u64::try_from(attempted - first).unwrap_or(0));
        let status = if acknowledged {
            "delivered"
        } else if inner.settings.retry.within_window(elapsed) {
            "pending"
        } else {
            expired = Some(attempt.error.clone().unwrap_or_default());
            "failed"
        };
        let delay = inner.settings.retry.delay(failures, rand::random::<f64>());
        metrics::counter!("altegon_webhook_attempts_total", "outcome" => status).increment(1);
        records.push(AttemptRecord {
            id: row.id.clone(),
            status,
            next_attempt_ms: attempted + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2),
            attempted_ms: attempted,
            status_code: attempt.status,
            error: attempt.error,
            response_prefix: attempt.response_prefix,
        });
    }
    inner.recorder.record(records).await?;
    if let Some(error) = expired {
        let window = humane(inner.settings.retry.window);
        let reason = format!("deliveries kept failing for {window}; last error: {error}");
        tracing::warn!(endpoint = %id, %reason, "disabling a webhook endpoint");
        inner.registry.mark_disabled(&id);
        let ctx = CommandContext::new(Actor::system());
        altegon_commands::handlers::webhooks::disable_failing_webhook(&inner.bus, &ctx, id, reason)
            .await?;
    }
    Ok(None)
}

/// Of each ordering key, the oldest pending row; those due now, up to `limit`,
/// and the earliest time a not-yet-due head falls due.
fn due_heads(
    rows: &[PendingDelivery],
    now: i64,
    limit: usize,
) -> (Vec<&PendingDelivery>, Option<i64>) {
    let mut seen = HashSet::new();
    let mut due = Vec::new();
    let mut next: Option<i64> = None;
    for row in rows {
        if !seen.insert(row.ordering_key.as_str()) {
            continue;
        }
        if row.next_attempt_ms <= now {
            if due.len() < limit {
                due.push(row);
            }
        } else {
            next = Some(next.map_or(row.next_attempt_ms, |n| n.min(row.next_attempt_ms)));
        }
    }
    (due, next)
}

fn humane(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 3600 && secs.is_multiple_of(3600) {
        format!("{} h", secs / 3600)
    } else if secs >= 60 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, key: &str, next: i64) -> PendingDelivery {
        PendingDelivery {
            id: id.into(),
            position: 0,
            ordering_key: key.into(),
            payload: String::new(),
            attempts: 0,
            next_attempt_ms: next,
            first_attempt_ms: None,
        }
    }

    #[test]
    fn only_the_oldest_row_of_each_key_goes_and_a_waiting_head_holds_its_key_back() {
        let rows = [
            row("a1", "meeting-a", 100),
            row("a2", "meeting-a", 0),
            row("b1", "meeting-b", 0),
            row("c1", "room-c", 0),
        ];
        let (due, next) = due_heads(&rows, 50, 8);
        let ids: Vec<_> = due.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["b1", "c1"]);
        assert_eq!(next, Some(100));
        let (due, _) = due_heads(&rows, 50, 1);
        assert_eq!(due.len(), 1);
    }
}
