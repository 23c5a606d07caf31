//! The `audit_entries` read model: the audit trail, queryable by actor, action and
//! time for administrators (`GET /audit`, GraphQL `auditEntries`).

use altegon_domain::DomainEvent;
use altegon_domain::events::AuditOutcome;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::sql::{Cell, upsert};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `audit_entries`.
pub struct AuditProjection;

const TABLES: &[TableDef] = &[TableDef {
    name: "audit_entries",
    create: &[
        "CREATE TABLE {table} (
            id TEXT PRIMARY KEY,
            actor_id TEXT,
            action TEXT NOT NULL,
            resource TEXT NOT NULL,
            outcome TEXT NOT NULL,
            status BIGINT NOT NULL,
            ip TEXT,
            request_id TEXT NOT NULL,
            at TEXT NOT NULL,
            position BIGINT NOT NULL
        )",
        "CREATE INDEX ix_{ix} ON {table} (at, position)",
        "CREATE INDEX ix_{ix} ON {table} (actor_id, at)",
        "CREATE INDEX ix_{ix} ON {table} (action, at)",
    ],
}];

const COLUMNS: [&str; 10] = [
    "id",
    "actor_id",
    "action",
    "resource",
    "outcome",
    "status",
    "ip",
    "request_id",
    "at",
    "position",
];

/// An audit entry as the read model holds it (and as `GET /audit` answers it).
#[derive(Debug, Clone, PartialEq, FromRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRow {
    /// The event's id.
    pub id: String,
    /// The caller, when known.
    pub actor_id: Option<String>,
    /// Method and route.
    pub action: String,
    /// The path.
    pub resource: String,
    /// `allowed`, `denied` or `failed`.
    pub outcome: String,
    /// The HTTP status.
    pub status: i64,
    /// The client's address.
    pub ip: Option<String>,
    /// The request's id.
    pub request_id: String,
    /// When.
    pub at: String,
}

/// What an audit query is narrowed to; `None` means no filter. Times are
/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The caller.
    pub actor_id: Option<String>,
    /// The action, exactly.
    pub action: Option<String>,
    /// The outcome.
    pub outcome: Option<String>,
    /// Earliest time.
    pub from: Option<String>,
    /// Latest time.
    pub until: Option<String>,
}

/// Entries matching `filter`, newest first.
pub async fn list(
    pool: &AnyPool,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditRow>, ProjectionError> {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    let mut add = |condition: &str, value: &Option<String>| {
        if let Some(v) = value {
            values.push(v.clone());
            conditions.push(format!("{condition} ${}", values.len()));
        }
    };
    add("actor_id =", &filter.actor_id);
    add("action =", &filter.action);
    add("outcome =", &filter.outcome);
    add("at >=", &filter.from);
    add("at <=", &filter.until);
    let clause = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT id, actor_id, action, resource, outcome, status, ip, request_id, at \
         FROM audit_entries {clause} ORDER BY at DESC, position DESC LIMIT ${} OFFSET ${}",
        values.len() + 1,
        values.len() + 2
    );
    let mut query = sqlx::query_as::<_, AuditRow>(&sql);
    for v in values {
        query = query.bind(v);
    }
    Ok(query.bind(limit).bind(offset).fetch_all(pool).await?)
}

fn outcome_name(outcome: AuditOutcome) -> &'static str {
    match outcome {
        AuditOutcome::Allowed => "allowed",
        AuditOutcome::Denied => "denied",
        AuditOutcome::Failed => "failed",
    }
}

#[async_trait]
impl Projection for AuditProjection {
    fn name(&self) -> &'static str {
        "audit"
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
        let rows: Vec<Vec<Cell>> = batch
            .iter()
            .filter_map(|a| match &a.event {
                DomainEvent::AuditRecorded(e) => Some(vec![
                    Cell::Text(a.recorded.event_id.to_string()),
                    Cell::MaybeText(e.actor_id.map(|u| u.to_string())),
                    Cell::Text(e.action.clone()),
                    Cell::Text(e.resource.clone()),
                    Cell::Text(outcome_name(e.outcome).to_owned()),
                    Cell::Int(i64::from(e.status)),
                    Cell::MaybeText(e.ip.clone()),
                    Cell::Text(e.request_id.clone()),
                    Cell::Text(api_time(e.at)),
                    Cell::Int(i64::try_from(a.recorded.position).unwrap_or(i64::MAX)),
                ]),
                _ => None,
            })
            .collect();
        if !rows.is_empty() {
            upsert(conn, &target.table("audit_entries"), &COLUMNS, rows).await?;
        }
        Ok(())
    }
}
