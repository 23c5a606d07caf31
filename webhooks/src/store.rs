//! The dispatcher's tables (`webhook_dispatch`, `webhook_targets`,
//! `webhook_deliveries`; created by the read side's migrations) and the SQL on
//! them, written once for PostgreSQL and SQLite.

use altegon_commands::store::Position;
use altegon_domain::events::WebhookScope;
use altegon_domain::webhook::{self, EndpointSettings, WebhookEndpoint, WebhookState};
use altegon_domain::{Aggregate, DomainEvent, UserId, WebhookId};
use sqlx::{AnyConnection, AnyPool, FromRow};

/// The scanner's row in `webhook_dispatch`.
const SCANNER: &str = "scanner";

/// Deliveries kept per endpoint once done (delivered or failed).
pub const KEPT_PER_ENDPOINT: i64 = 1000;

/// An endpoint as the dispatcher knows it at its place in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The endpoint.
    pub endpoint_id: WebhookId,
    /// Its owner.
    pub owner_id: UserId,
    /// Whose events it hears of.
    pub scope: WebhookScope,
    /// Where deliveries go.
    pub url: String,
    /// Public event types, or `*`.
    pub event_types: Vec<String>,
    /// The sealed signing secret.
    pub secret: String,
    /// Deliveries on.
    pub enabled: bool,
}

impl Target {
    /// Whether an event of `public_type` concerning `owner` goes to this endpoint.
    pub fn wants(&self, public_type: &str, owner: &UserId) -> bool {
        self.wants_type(public_type) && (self.scope == WebhookScope::App || self.owner_id == *owner)
    }

    /// Whether it wants events of `public_type` from anyone at all.
    pub fn wants_type(&self, public_type: &str) -> bool {
        self.enabled && webhook::wants(&self.event_types, public_type)
    }

    /// The target an endpoint's state describes; `None` for one never registered
    /// or deleted.
    pub fn from_state(state: &WebhookState) -> Option<Self> {
        let settings = state.live()?;
        Some(Self {
            endpoint_id: settings.endpoint_id,
            owner_id: settings.owner_id,
            scope: settings.scope,
            url: settings.url.clone(),
            event_types: settings.event_types.clone(),
            secret: settings.secret.clone(),
            enabled: state.disabled.is_none(),
        })
    }

    /// The target after one of its endpoint's events, folded by the aggregate's
    /// own `evolve` (the note and a disabling reason are not kept here).
    pub fn evolve(target: Option<&Self>, event: &DomainEvent) -> Option<Self> {
        let state = target.map_or_else(WebhookState::default, |t| WebhookState {
            settings: Some(EndpointSettings {
                endpoint_id: t.endpoint_id,
                owner_id: t.owner_id,
                scope: t.scope,
                url: t.url.clone(),
                event_types: t.event_types.clone(),
                description: String::new(),
                secret: t.secret.clone(),
            }),
            disabled: (!t.enabled).then(String::new),
            deleted: false,
        });
        Self::from_state(&WebhookEndpoint::evolve(state, event))
    }
}

#[derive(FromRow)]
struct TargetRow {
    endpoint_id: String,
    owner_id: String,
    scope: String,
    url: String,
    event_types: String,
    secret: String,
    enabled: i64,
}

impl TargetRow {
    fn into_target(self) -> Option<Target> {
        Some(Target {
            endpoint_id: self.endpoint_id.parse().ok()?,
            owner_id: self.owner_id.parse().ok()?,
            scope: if self.scope == "app" {
                WebhookScope::App
            } else {
                WebhookScope::User
            },
            url: self.url,
            event_types: serde_json::from_str(&self.event_types).ok()?,
            secret: self.secret,
            enabled: self.enabled != 0,
        })
    }
}

/// The scanner's place in the log (0 before its first batch).
pub async fn scan_position(pool: &AnyPool) -> Result<Position, sqlx::Error> {
    let position: Option<i64> =
        sqlx::query_scalar("SELECT position FROM webhook_dispatch WHERE name = $1")
            .bind(SCANNER)
            .fetch_optional(pool)
            .await?;
    Ok(position.map_or(0, |p| u64::try_from(p).unwrap_or(0)))
}

/// Moves the scanner's place (inside its batch's transaction).
pub async fn set_scan_position(
    conn: &mut AnyConnection,
    position: Position,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_dispatch (name, position, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
    )
    .bind(SCANNER)
    .bind(i64::try_from(position).unwrap_or(i64::MAX))
    .bind(altegon_projections::api_time(chrono::Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Every endpoint the dispatcher knows.
pub async fn targets(pool: &AnyPool) -> Result<Vec<Target>, sqlx::Error> {
    let rows: Vec<TargetRow> = sqlx::query_as(
        "SELECT endpoint_id, owner_id, scope, url, event_types, secret, enabled FROM webhook_targets",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(TargetRow::into_target)
        .collect())
}

/// Writes an endpoint's current settings.
pub async fn save_target(conn: &mut AnyConnection, target: &Target) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_targets (endpoint_id, owner_id, scope, url, event_types, secret, enabled) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (endpoint_id) DO UPDATE SET owner_id = excluded.owner_id, scope = excluded.scope, \
         url = excluded.url, event_types = excluded.event_types, secret = excluded.secret, \
         enabled = excluded.enabled",
    )
    .bind(target.endpoint_id.to_string())
    .bind(target.owner_id.to_string())
    .bind(match target.scope {
        WebhookScope::App => "app",
        WebhookScope::User => "user",
    })
    .bind(&target.url)
    .bind(serde_json::to_string(&target.event_types).unwrap_or_else(|_| "[]".into()))
    .bind(&target.secret)
    .bind(i64::from(target.enabled))
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a deleted endpoint and its deliveries.
pub async fn delete_target(
    conn: &mut AnyConnection,
    endpoint_id: &WebhookId,
) -> Result<(), sqlx::Error> {
    let id = endpoint_id.to_string();
    sqlx::query("DELETE FROM webhook_targets WHERE endpoint_id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1")
        .bind(&id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A delivery to create.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Delivery id (`webhook-id`).
    pub id: String,
    /// The endpoint.
    pub endpoint_id: WebhookId,
    /// The event's position in the log.
    pub position: Position,
    /// The event's id.
    pub event_id: String,
    /// Public type.
    pub event_type: String,
    /// Deliveries with the same key go in log order.
    pub ordering_key: String,
    /// The request body.
    pub payload: String,
}

/// Creates deliveries; an existing one is left as it is, or, with `reset`, made
/// pending again from scratch (a replay).
pub async fn insert_deliveries(
    conn: &mut AnyConnection,
    deliveries: &[NewDelivery],
    now_ms: i64,
    reset: bool,
) -> Result<u64, sqlx::Error> {
    let conflict = if reset {
        "ON CONFLICT (id) DO UPDATE SET status = 'pending', attempts = 0, next_attempt_ms = excluded.next_attempt_ms, \
         first_attempt_ms = NULL, last_attempt_at = NULL, last_status_code = NULL, last_error = NULL, \
         response_prefix = NULL, delivered_at = NULL, payload = excluded.payload"
    } else {
        "ON CONFLICT (id) DO NOTHING"
    };
    let created = altegon_projections::api_time(chrono::Utc::now());
    let mut count = 0;
    for d in deliveries {
        count += sqlx::query(&format!(
            "INSERT INTO webhook_deliveries (id, endpoint_id, position, event_id, event_type, ordering_key, \
             payload, status, attempts, next_attempt_ms, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $9) {conflict}"
        ))
        .bind(&d.id)
        .bind(d.endpoint_id.to_string())
        .bind(i64::try_from(d.position).unwrap_or(i64::MAX))
        .bind(&d.event_id)
        .bind(&d.event_type)
        .bind(&d.ordering_key)
        .bind(&d.payload)
        .bind(now_ms)
        .bind(&created)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(count)
}

/// A delivery waiting to be sent.
#[derive(Debug, Clone, FromRow)]
pub struct PendingDelivery {
    /// Delivery id.
    pub id: String,
    /// Position of its event.
    pub position: i64,
    /// Its ordering key.
    pub ordering_key: String,
    /// The body.
    pub payload: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Not before this (unix ms).
    pub next_attempt_ms: i64,
    /// When it was first tried (unix ms).
    pub first_attempt_ms: Option<i64>,
}

/// The endpoint's oldest pending deliveries, in log order.
pub async fn pending(
    pool: &AnyPool,
    endpoint_id: &WebhookId,
    limit: i64,
) -> Result<Vec<PendingDelivery>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, position, ordering_key, payload, attempts, next_attempt_ms, first_attempt_ms \
         FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending' \
         ORDER BY position, id LIMIT $2",
    )
    .bind(endpoint_id.to_string())
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    /// Delivery id.
    pub id: String,
    /// `pending` (to retry), `delivered` or `failed`.
    pub status: &'static str,
    /// When to try next (unix ms), for `pending`.
    pub next_attempt_ms: i64,
    /// When the attempt was made (unix ms).
    pub attempted_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Why it failed.
    pub error: Option<String>,
    /// The start of the receiver's answer.
    pub response_prefix: Option<String>,
}

/// Records attempts, in one transaction.
pub async fn record_attempts(
    pool: &AnyPool,
    begin: &str,
    attempts: &[AttemptRecord],
) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin_with(begin.to_owned()).await?;
    for a in attempts {
        let at = chrono::DateTime::from_timestamp_millis(a.attempted_ms)
            .map(altegon_projections::api_time)
            .unwrap_or_default();
        let delivered_at = (a.status == "delivered").then(|| at.clone());
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_ms = $2, \
             first_attempt_ms = COALESCE(first_attempt_ms, $3), last_attempt_at = $4, \
             last_status_code = $5, last_error = $6, response_prefix = $7, delivered_at = $8 \
             WHERE id = $9 AND status = 'pending'",
        )
        .bind(a.status)
        .bind(a.next_attempt_ms)
        .bind(a.attempted_ms)
        .bind(at)
        .bind(a.status_code.map(i64::from))
        .bind(a.error.as_deref())
        .bind(a.response_prefix.as_deref())
        .bind(delivered_at)
        .bind(&a.id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Drops done deliveries of an endpoint beyond the newest [`KEPT_PER_ENDPOINT`].
pub async fn prune(pool: &AnyPool, endpoint_id: &WebhookId) -> Result<u64, sqlx::Error> {
    let id = endpoint_id.to_string();
    let result = sqlx::query(
        "DELETE FROM webhook_deliveries WHERE endpoint_id = $1 AND status <> 'pending' AND position < \
         (SELECT position FROM webhook_deliveries WHERE endpoint_id = $1 AND status <> 'pending' \
          ORDER BY position DESC LIMIT 1 OFFSET $2)",
    )
    .bind(&id)
    .bind(KEPT_PER_ENDPOINT - 1)
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}

/// A delivery as its endpoint's owner sees it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DeliveryRow {
    /// Delivery id (`webhook-id`).
    pub id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// Its event's position in the log (0 for test events).
    pub position: i64,
    /// Its event's id.
    pub event_id: String,
    /// Public type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (unix ms), while pending.
    pub next_attempt_ms: i64,
    /// When the last attempt was made.
    pub last_attempt_at: Option<String>,
    /// The receiver's last HTTP status.
    pub last_status_code: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The start of the receiver's last answer.
    pub response_prefix: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When the receiver acknowledged it.
    pub delivered_at: Option<String>,
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, position, event_id, event_type, status, attempts, \
    next_attempt_ms, last_attempt_at, last_status_code, last_error, response_prefix, created_at, delivered_at";

/// An endpoint's deliveries, newest first, optionally of one status.
pub async fn deliveries(
    pool: &AnyPool,
    endpoint_id: &WebhookId,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 \
         AND ($2 = '' OR status = $2) ORDER BY position DESC, created_at DESC, id LIMIT $3 OFFSET $4"
    ))
    .bind(endpoint_id.to_string())
    .bind(status.unwrap_or(""))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

/// Records a test delivery that was sent at once.
pub async fn record_test(
    pool: &AnyPool,
    begin: &str,
    delivery: &NewDelivery,
    attempt: &AttemptRecord,
) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    insert_deliveries(
        &mut conn,
        std::slice::from_ref(delivery),
        attempt.attempted_ms,
        false,
    )
    .await?;
    drop(conn);
    record_attempts(pool, begin, std::slice::from_ref(attempt)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use altegon_projections::ReadDb;

    async fn db() -> (tempfile::TempDir, ReadDb) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("read.db").display());
        let db = ReadDb::connect(&url, 4).await.unwrap();
        db.migrate().await.unwrap();
        (dir, db)
    }

    fn endpoint() -> WebhookId {
        "6929a1b2c3d4e5f601020304".parse().unwrap()
    }

    fn delivery(n: u64) -> NewDelivery {
        NewDelivery {
            id: format!("msg_{n}"),
            endpoint_id: endpoint(),
            position: n,
            event_id: format!("event-{n}"),
            event_type: "meeting.created".into(),
            ordering_key: format!("meeting-{n}"),
            payload: "{}".into(),
        }
    }

    fn delivered(n: u64) -> AttemptRecord {
        AttemptRecord {
            id: format!("msg_{n}"),
            status: "delivered",
            next_attempt_ms: 0,
            attempted_ms: 1_000,
            status_code: Some(200),
            error: None,
            response_prefix: None,
        }
    }

    #[tokio::test]
    async fn a_delivery_is_created_once_and_a_replay_makes_it_pending_again() {
        let (_dir, db) = db().await;
        let mut conn = db.pool().acquire().await.unwrap();
        assert_eq!(
            insert_deliveries(&mut conn, &[delivery(1)], 0, false)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            insert_deliveries(&mut conn, &[delivery(1)], 0, false)
                .await
                .unwrap(),
            0
        );
        drop(conn);
        record_attempts(db.pool(), db.begin_write(), &[delivered(1)])
            .await
            .unwrap();
        assert!(
            pending(db.pool(), &endpoint(), 10)
                .await
                .unwrap()
                .is_empty()
        );
        let mut conn = db.pool().acquire().await.unwrap();
        insert_deliveries(&mut conn, &[delivery(1)], 5, true)
            .await
            .unwrap();
        drop(conn);
        let again = pending(db.pool(), &endpoint(), 10).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 0);
        assert_eq!(again[0].first_attempt_ms, None);
    }

    #[tokio::test]
    async fn the_last_thousand_done_deliveries_and_every_pending_one_are_kept() {
        let (_dir, db) = db().await;
        let all: Vec<_> = (1..=1010).map(delivery).collect();
        let mut conn = db.pool().acquire().await.unwrap();
        insert_deliveries(&mut conn, &all, 0, false).await.unwrap();
        drop(conn);
        let done: Vec<_> = (1..=1005).map(delivered).collect();
        record_attempts(db.pool(), db.begin_write(), &done)
            .await
            .unwrap();
        assert_eq!(prune(db.pool(), &endpoint()).await.unwrap(), 5);
        let kept = deliveries(db.pool(), &endpoint(), None, 2000, 0)
            .await
            .unwrap();
        assert_eq!(kept.len(), 1005);
        assert_eq!(kept[0].position, 1010, "newest first");
        let done = deliveries(db.pool(), &endpoint(), Some("delivered"), 2000, 0)
            .await
            .unwrap();
        assert_eq!(done.len(), 1000);
        assert_eq!(done.last().unwrap().position, 6);
        assert_eq!(pending(db.pool(), &endpoint(), 100).await.unwrap().len(), 5);
    }
}
