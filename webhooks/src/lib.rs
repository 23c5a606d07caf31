//! Webhooks from the event log: endpoints hear of sessions, participants,
//! recordings, summaries and storage warnings without polling.
//!
//! Data flow: endpoint commands (in `commands`) append `WebhookEndpoint*` events;
//! the [`dispatcher`] follows the log like a projection, turns each event an
//! endpoint wants into a delivery row in the same transaction as its checkpoint,
//! and workers post the rows, signed ([`signature`]), retried with back-off
//! ([`retry`]), only to allowed addresses ([`address`]). Delivery is
//! at-least-once: a row is marked delivered only after a 2xx answer, so a crash
//! in between repeats it with the same `webhook-id`.
#![warn(missing_docs)]

pub mod address;
mod dispatcher;
pub mod payload;
mod recorder;
mod registry;
pub mod retry;
pub mod sender;
pub mod signature;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use altegon_commands::CommandBus;
use altegon_commands::pipeline::CommandError;
use altegon_commands::sealed::{SealError, SecretSealer};
use altegon_commands::store::{Position, StoreError};
use altegon_domain::WebhookId;
use altegon_domain::webhook::TEST_EVENT_TYPE;
use altegon_projections::ReadDb;
use secrecy::ExposeSecret;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use address::{UrlPolicy, UrlRefused};
pub use retry::RetryPolicy;
pub use sender::Attempt;

use crate::registry::Registry;
use crate::sender::Sender;
use crate::store::{AttemptRecord, NewDelivery, Target};

/// Most deliveries one replay creates.
pub const MAX_REPLAYED: u64 = 10_000;

/// How deliveries are made.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// Which URLs are allowed.
    pub policy: UrlPolicy,
    /// When failed deliveries are tried again, and for how long.
    pub retry: RetryPolicy,
    /// Longest an attempt may take.
    pub timeout: Duration,
    /// Deliveries in flight per endpoint at most (each of another ordering key).
    pub max_in_flight: usize,
    /// How often an idle worker looks for rows other processes wrote.
    pub idle_poll: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            policy: UrlPolicy::default(),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(10),
            max_in_flight: 8,
            idle_poll: Duration::from_secs(1),
        }
    }
}

/// Why a webhook operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The dispatcher's tables could not be read or written.
    #[error("webhook storage: {0}")]
    Database(#[from] sqlx::Error),
    /// The event log failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A command failed.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// A sealed secret did not open.
    #[error("webhook secret: {0}")]
    Seal(#[from] SealError),
    /// The HTTP client could not be built.
    #[error("webhook client: {0}")]
    Client(#[from] reqwest::Error),
}

pub(crate) struct Inner {
    pub(crate) settings: WebhookSettings,
    pub(crate) db: ReadDb,
    pub(crate) bus: CommandBus,
    pub(crate) sealer: SecretSealer,
    pub(crate) sender: Sender,
    pub(crate) registry: Registry,
    pub(crate) recorder: recorder::Recorder,
}

/// The webhooks of one server process.
#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

/// The id of the delivery of event `event_id` to `endpoint`: the same on every
/// attempt, after restarts and in replays.
pub fn delivery_id(endpoint: &WebhookId, event_id: &uuid::Uuid) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6a1e_90b5_8c1d_4f7e_9b3a_5d2c_0e4f_7a11);
    let name = format!("{endpoint}/{event_id}");
    format!(
        "msg_{}",
        uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes()).simple()
    )
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// What a test delivery came to.
#[derive(Debug, Clone)]
pub struct TestDelivery {
    /// Its id.
    pub id: String,
    /// The attempt.
    pub attempt: Attempt,
    /// How long it took.
    pub duration: Duration,
}

impl Webhooks {
    /// Webhooks over the read database `db` (which holds the dispatcher's
    /// tables) and the log behind `bus`; secrets open with `sealer`.
    pub fn new(
        settings: WebhookSettings,
        db: ReadDb,
        bus: CommandBus,
        sealer: SecretSealer,
    ) -> Result<Self, WebhookError> {
        let sender = Sender::new(settings.policy, settings.timeout)?;
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                db: db.clone(),
                bus,
                sealer,
                sender,
                registry: Registry::default(),
                recorder: recorder::Recorder::spawn(db),
            }),
        })
    }

    /// The URL rules.
    pub fn policy(&self) -> UrlPolicy {
        self.inner.settings.policy
    }

    /// The sealer of signing secrets.
    pub fn sealer(&self) -> &SecretSealer {
        &self.inner.sealer
    }

    /// Starts delivering; stops when `shutdown` turns true.
    pub fn spawn(&self, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(dispatcher::run(self.inner.clone(), shutdown))
    }

    /// Sends a `webhook.test` event to an endpoint now and records the delivery.
    pub async fn send_test(
        &self,
        endpoint_id: WebhookId,
        url: &str,
        sealed_secret: &str,
    ) -> Result<TestDelivery, WebhookError> {
        let secret = self.inner.sealer.open(sealed_secret)?;
        let key = signature::key_of(secret.expose_secret()).map_err(|_| SealError::Malformed)?;
        let event_id = uuid::Uuid::now_v7();
        let id = delivery_id(&endpoint_id, &event_id);
        let payload = payload::envelope(
            &id,
            TEST_EVENT_TYPE,
            chrono::Utc::now(),
            0,
            &event_id,
            serde_json::json!({ "endpointId": endpoint_id.to_string(), "message": "This is a test event." }),
        );
        let started = std::time::Instant::now();
        let attempt = self.inner.sender.send(url, &id, &key, &payload).await;
        let duration = started.elapsed();
        let attempted = now_ms();
        let delivery = NewDelivery {
            id: id.clone(),
            endpoint_id,
            position: 0,
            event_id: event_id.to_string(),
            event_type: TEST_EVENT_TYPE.into(),
            ordering_key: format!("test-{id}"),
            payload,
        };
        let record = AttemptRecord {
            id: id.clone(),
            status: if attempt.acknowledged() {
                "delivered"
            } else {
                "failed"
            },
            next_attempt_ms: attempted,
            attempted_ms: attempted,
            status_code: attempt.status,
            error: attempt.error.clone(),
            response_prefix: attempt.response_prefix.clone(),
        };
        store::record_test(
            self.inner.db.pool(),
            self.inner.db.begin_write(),
            &delivery,
            &record,
        )
        .await?;
        Ok(TestDelivery {
            id,
            attempt,
            duration,
        })
    }

    /// Delivers again, from the event after `after` on, every event the endpoint
    /// wants (as it is set now), with the original delivery ids. Returns how many
    /// deliveries were queued and, when [`MAX_REPLAYED`] cut the replay short, the
    /// position to continue after.
    pub async fn replay(
        &self,
        target: Target,
        after: Position,
    ) -> Result<(u64, Option<Position>), WebhookError> {
        let store = self.inner.bus.store();
        let head = store.head_position().await?;
        let mut resolver = payload::SubjectResolver::new(self.inner.bus.clone());
        let mut cursor = after;
        let mut queued = 0u64;
        while cursor < head {
            let page = store.read_all(cursor, 512).await?;
            let Some(last) = page.last().map(|e| e.position) else {
                break;
            };
            let mut rows = Vec::new();
            for recorded in page.iter().filter(|e| e.position <= head) {
                rows.extend(
                    dispatcher::deliveries_of(&mut resolver, std::iter::once(&target), recorded)
                        .await,
                );
                cursor = recorded.position;
                if queued + rows.len() as u64 >= MAX_REPLAYED {
                    break;
                }
            }
            if !rows.is_empty() {
                use sqlx::Connection;
                let mut conn = self.inner.db.pool().acquire().await?;
                let mut tx = conn.begin_with(self.inner.db.begin_write()).await?;
                queued += store::insert_deliveries(&mut tx, &rows, now_ms(), true).await?;
                tx.commit().await?;
            }
            if queued >= MAX_REPLAYED {
                self.inner.registry.wake(&target.endpoint_id);
                return Ok((queued, (cursor < head).then_some(cursor)));
            }
            cursor = cursor.max(last);
        }
        self.inner.registry.wake(&target.endpoint_id);
        Ok((queued, None))
    }

    /// An endpoint's deliveries, newest first.
    pub async fn deliveries(
        &self,
        endpoint_id: &WebhookId,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<store::DeliveryRow>, WebhookError> {
        Ok(store::deliveries(self.inner.db.pool(), endpoint_id, status, limit, offset).await?)
    }
}
