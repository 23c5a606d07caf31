//! The `webhook_endpoints` read model: the endpoints owners list and manage.
//! Delivery state is not here: it belongs to the webhooks dispatcher, which keeps
//! it beside its own checkpoint.

use std::collections::{BTreeMap, HashMap};

use altegon_domain::DomainEvent;
use altegon_domain::webhook::endpoint_of;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::sql::{Cell, load_by_ids, write_or_delete};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `webhook_endpoints`.
pub struct WebhookEndpointsProjection;

const TABLES: &[TableDef] = &[TableDef {
    name: "webhook_endpoints",
    create: &[
        "CREATE TABLE {table} (
            id TEXT PRIMARY KEY,
            owner_id TEXT NOT NULL,
            scope TEXT NOT NULL,
            url TEXT NOT NULL,
            event_types TEXT NOT NULL,
            description TEXT NOT NULL,
            enabled BIGINT NOT NULL,
            disabled_reason TEXT,
            disabled_at TEXT,
            registered_position BIGINT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )",
        "CREATE INDEX ix_{ix} ON {table} (owner_id, created_at)",
    ],
}];

const COLUMN_LIST: [&str; 12] = [
    "id",
    "owner_id",
    "scope",
    "url",
    "event_types",
    "description",
    "enabled",
    "disabled_reason",
    "disabled_at",
    "registered_position",
    "created_at",
    "updated_at",
];

const COLUMNS: &str = "id, owner_id, scope, url, event_types, description, enabled, \
    disabled_reason, disabled_at, registered_position, created_at, updated_at";

/// A webhook endpoint as listed.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct WebhookEndpointRow {
    /// Id.
    pub id: String,
    /// The account that registered it.
    pub owner_id: String,
    /// `user` or `app`.
    pub scope: String,
    /// Delivery URL.
    pub url: String,
    /// Public event types, as a JSON array.
    pub event_types: String,
    /// The owner's note.
    pub description: String,
    /// 1 when deliveries are on.
    pub enabled: i64,
    /// Why deliveries are off.
    pub disabled_reason: Option<String>,
    /// When they were turned off.
    pub disabled_at: Option<String>,
    /// The log position of its registration: it hears of later events.
    pub registered_position: i64,
    /// When it was registered.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

impl WebhookEndpointRow {
    /// The event types as a list.
    pub fn event_type_list(&self) -> Vec<String> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }

    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Text(self.id),
            Cell::Text(self.owner_id),
            Cell::Text(self.scope),
            Cell::Text(self.url),
            Cell::Text(self.event_types),
            Cell::Text(self.description),
            Cell::Int(self.enabled),
            Cell::MaybeText(self.disabled_reason),
            Cell::MaybeText(self.disabled_at),
            Cell::Int(self.registered_position),
            Cell::Text(self.created_at),
            Cell::Text(self.updated_at),
        ]
    }
}

/// One endpoint.
pub async fn by_id(
    pool: &AnyPool,
    id: &str,
) -> Result<Option<WebhookEndpointRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// A page of endpoints, oldest first: one owner's, or everyone's for `None`.
pub async fn list(
    pool: &AnyPool,
    owner_id: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<WebhookEndpointRow>, ProjectionError> {
    let rows =
        match owner_id {
            Some(owner) => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM webhook_endpoints WHERE owner_id = $1 \
                 ORDER BY created_at, id LIMIT $2 OFFSET $3"
                ))
                .bind(owner)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?
            }
            None => sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM webhook_endpoints ORDER BY created_at, id LIMIT $1 OFFSET $2"
            ))
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?,
        };
    Ok(rows)
}

/// How many endpoints an account owns.
pub async fn count_by_owner(pool: &AnyPool, owner_id: &str) -> Result<i64, ProjectionError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE owner_id = $1")
            .bind(owner_id)
            .fetch_one(pool)
            .await?,
    )
}

fn touched(event: &DomainEvent) -> Option<String> {
    endpoint_of(event).map(|id| id.to_string())
}

#[async_trait]
impl Projection for WebhookEndpointsProjection {
    fn name(&self) -> &'static str {
        "webhook_endpoints"
    }

    fn version(&self) -> u32 {
        1
    }

    fn tables(&self) -> &'static [TableDef] {
        TABLES
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        target: Target,
        batch: &[Applied<'_>],
    ) -> Result<(), ProjectionError> {
        let table = target.table("webhook_endpoints");
        let ids: Vec<String> = batch
            .iter()
            .filter_map(|a| touched(&a.event))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let mut rows: HashMap<String, WebhookEndpointRow> =
            load_by_ids::<WebhookEndpointRow>(conn, &table, COLUMNS, &ids)
                .await?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
        let mut changed: BTreeMap<String, bool> = BTreeMap::new();
        for applied in batch {
            let Some(id) = touched(&applied.event) else {
                continue;
            };
            match &applied.event {
                DomainEvent::WebhookEndpointRegistered(e) => {
                    let at = api_time(e.registered_at);
                    rows.entry(id.clone())
                        .or_insert_with(|| WebhookEndpointRow {
                            id: id.clone(),
                            owner_id: e.owner_id.to_string(),
                            scope: serde_json::to_value(e.scope)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default(),
                            url: e.url.clone(),
                            event_types: serde_json::to_string(&e.event_types)
                                .unwrap_or_else(|_| "[]".into()),
                            description: e.description.clone(),
                            enabled: 1,
                            disabled_reason: None,
                            disabled_at: None,
                            registered_position: i64::try_from(applied.recorded.position)
                                .unwrap_or(i64::MAX),
                            created_at: at.clone(),
                            updated_at: at,
                        });
                }
                DomainEvent::WebhookEndpointDeleted(_) => {
                    rows.remove(&id);
                    changed.insert(id, false);
                    continue;
                }
                event => {
                    let Some(row) = rows.get_mut(&id) else {
                        continue;
                    };
                    match event {
                        DomainEvent::WebhookEndpointUpdated(e) => {
                            if let Some(url) = &e.url {
                                row.url.clone_from(url);
                            }
                            if let Some(types) = &e.event_types {
                                row.event_types =
                                    serde_json::to_string(types).unwrap_or_else(|_| "[]".into());
                            }
                            if let Some(d) = &e.description {
                                row.description.clone_from(d);
                            }
                            row.updated_at = api_time(e.updated_at);
                        }
                        DomainEvent::WebhookEndpointDisabled(e) => {
                            row.enabled = 0;
                            row.disabled_reason = Some(e.reason.clone());
                            row.disabled_at = Some(api_time(e.disabled_at));
                            row.updated_at = api_time(e.disabled_at);
                        }
                        DomainEvent::WebhookEndpointEnabled(e) => {
                            row.enabled = 1;
                            row.disabled_reason = None;
                            row.disabled_at = None;
                            row.updated_at = api_time(e.enabled_at);
                        }
                        _ => {}
                    }
                }
            }
            changed.insert(id, true);
        }
        let out = changed
            .into_iter()
            .map(|(id, keep)| {
                let cells = if keep {
                    rows.remove(&id).map(WebhookEndpointRow::cells)
                } else {
                    None
                };
                (id, cells)
            })
            .collect();
        write_or_delete(conn, &table, &COLUMN_LIST, out).await?;
        Ok(())
    }
}
