//! The `sessions` and `session_participants` read models and the reporting
//! queries on them (`/reporting/*`). A session row carries what every report
//! filters and groups by (host, type, domain, location, start day) and a count of
//! distinct participants, so each report is one indexed query over one table.

use std::collections::{BTreeSet, HashMap};

use altegon_domain::DomainEvent;
use altegon_domain::events::Location;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::sql::{Cell, load_by_ids, upsert};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `sessions` and `session_participants`.
pub struct SessionsProjection;

const TABLES: &[TableDef] = &[
    TableDef {
        name: "sessions",
        create: &[
            "CREATE TABLE {table} (
                id TEXT PRIMARY KEY,
                room_id TEXT NOT NULL,
                host_id TEXT NOT NULL,
                session_type TEXT NOT NULL,
                domain TEXT NOT NULL,
                city TEXT NOT NULL,
                region TEXT NOT NULL,
                country TEXT NOT NULL,
                country_name TEXT NOT NULL,
                started_at TEXT NOT NULL,
                started_day TEXT NOT NULL,
                ended_at TEXT,
                completed BIGINT NOT NULL,
                participants BIGINT NOT NULL
            )",
            // Covers every report: a host's completed sessions in a time range are
            // read from the index alone, without visiting the table.
            "CREATE INDEX ix_{ix} ON {table} (host_id, completed, started_at, session_type, \
             domain, started_day, city, region, country, country_name, participants)",
        ],
    },
    TableDef {
        name: "session_participants",
        create: &[
            "CREATE TABLE {table} (
                id TEXT PRIMARY KEY,
                session_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                name TEXT NOT NULL,
                city TEXT NOT NULL,
                region TEXT NOT NULL,
                country TEXT NOT NULL,
                country_name TEXT NOT NULL,
                joined_at TEXT NOT NULL,
                left_at TEXT,
                present BIGINT NOT NULL
            )",
            "CREATE INDEX ix_{ix} ON {table} (session_id)",
        ],
    },
];

const SESSION_COLUMN_LIST: [&str; 14] = [
    "id",
    "room_id",
    "host_id",
    "session_type",
    "domain",
    "city",
    "region",
    "country",
    "country_name",
    "started_at",
    "started_day",
    "ended_at",
    "completed",
    "participants",
];
const SESSION_COLUMNS: &str = "id, room_id, host_id, session_type, domain, city, region, \
    country, country_name, started_at, started_day, ended_at, completed, participants";

const PARTICIPANT_COLUMN_LIST: [&str; 11] = [
    "id",
    "session_id",
    "user_id",
    "name",
    "city",
    "region",
    "country",
    "country_name",
    "joined_at",
    "left_at",
    "present",
];
const PARTICIPANT_COLUMNS: &str = "id, session_id, user_id, name, city, region, country, \
    country_name, joined_at, left_at, present";

/// A session as the read model holds it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SessionRow {
    /// Id.
    pub id: String,
    /// The room.
    pub room_id: String,
    /// The room's owner.
    pub host_id: String,
    /// Type.
    pub session_type: String,
    /// Domain.
    pub domain: String,
    /// City of the session.
    pub city: String,
    /// Region.
    pub region: String,
    /// Country code.
    pub country: String,
    /// Country name.
    pub country_name: String,
    /// Start, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub started_at: String,
    /// Start day, `YYYY-MM-DD` (UTC).
    pub started_day: String,
    /// End, once ended.
    pub ended_at: Option<String>,
    /// 1 once ended.
    pub completed: i64,
    /// Distinct participants so far.
    pub participants: i64,
}

impl SessionRow {
    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Text(self.id),
            Cell::Text(self.room_id),
            Cell::Text(self.host_id),
            Cell::Text(self.session_type),
            Cell::Text(self.domain),
            Cell::Text(self.city),
            Cell::Text(self.region),
            Cell::Text(self.country),
            Cell::Text(self.country_name),
            Cell::Text(self.started_at),
            Cell::Text(self.started_day),
            Cell::MaybeText(self.ended_at),
            Cell::Int(self.completed),
            Cell::Int(self.participants),
        ]
    }
}

/// A participant of a session.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ParticipantRow {
    /// `{sessionId}/{userId}`.
    pub id: String,
    /// The session.
    pub session_id: String,
    /// The account.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// City they first joined from.
    pub city: String,
    /// Region.
    pub region: String,
    /// Country code.
    pub country: String,
    /// Country name.
    pub country_name: String,
    /// First join.
    pub joined_at: String,
    /// Last leave.
    pub left_at: Option<String>,
    /// 1 while in the session.
    pub present: i64,
}

impl ParticipantRow {
    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Text(self.id),
            Cell::Text(self.session_id),
            Cell::Text(self.user_id),
            Cell::Text(self.name),
            Cell::Text(self.city),
            Cell::Text(self.region),
            Cell::Text(self.country),
            Cell::Text(self.country_name),
            Cell::Text(self.joined_at),
            Cell::MaybeText(self.left_at),
            Cell::Int(self.present),
        ]
    }
}

/// One session.
pub async fn by_id(pool: &AnyPool, id: &str) -> Result<Option<SessionRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// A session's participants, in order of joining.
pub async fn participants(
    pool: &AnyPool,
    session_id: &str,
) -> Result<Vec<ParticipantRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {PARTICIPANT_COLUMNS} FROM session_participants WHERE session_id = $1 \
         ORDER BY joined_at, user_id"
    ))
    .bind(session_id)
    .fetch_all(pool)
    .await?)
}

/// What the reports are narrowed to. `None` means no filter. Dates are
/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, compared with the session's start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportFilter {
    /// The host whose sessions are counted.
    pub host_id: String,
    /// Domain.
    pub domain: Option<String>,
    /// Session type.
    pub session_type: Option<String>,
    /// Country code.
    pub country_code: Option<String>,
    /// Country name.
    pub country_name: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Earliest start, inclusive.
    pub start: Option<String>,
    /// Latest start, inclusive.
    pub end: Option<String>,
}

impl ReportFilter {
    /// `WHERE …` over completed sessions, and its values in `$n` order.
    fn clause(&self) -> (String, Vec<String>) {
        let mut conditions = vec!["host_id = $1".to_owned(), "completed = 1".to_owned()];
        let mut values = vec![self.host_id.clone()];
        let mut add = |condition: &str, value: &Option<String>| {
            if let Some(v) = value {
                values.push(v.clone());
                conditions.push(format!("{condition} ${}", values.len()));
            }
        };
        add("domain =", &self.domain);
        add("session_type =", &self.session_type);
        add("country =", &self.country_code);
        add("country_name =", &self.country_name);
        add("city =", &self.city);
        add("started_at >=", &self.start);
        add("started_at <=", &self.end);
        (format!("WHERE {}", conditions.join(" AND ")), values)
    }
}

async fn report<T>(
    pool: &AnyPool,
    sql: &str,
    filter: &ReportFilter,
) -> Result<Vec<T>, ProjectionError>
where
    T: for<'r> FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let (clause, values) = filter.clause();
    let sql = sql.replace("{where}", &clause);
    let mut query = sqlx::query_as::<_, T>(&sql);
    for v in values {
        query = query.bind(v);
    }
    Ok(query.fetch_all(pool).await?)
}

/// Completed sessions matching the filter.
pub async fn total_sessions(pool: &AnyPool, filter: &ReportFilter) -> Result<i64, ProjectionError> {
    let rows: Vec<(i64,)> = report(pool, "SELECT COUNT(*) FROM sessions {where}", filter).await?;
    Ok(rows.first().map_or(0, |r| r.0))
}

/// Sessions per start day and domain, by day then domain.
pub async fn per_day_and_domain(
    pool: &AnyPool,
    filter: &ReportFilter,
) -> Result<Vec<(String, String, i64)>, ProjectionError> {
    report(
        pool,
        "SELECT started_day, domain, COUNT(*) FROM sessions {where} \
         GROUP BY started_day, domain ORDER BY started_day, domain",
        filter,
    )
    .await
}

/// Sessions per type, most first.
pub async fn per_type(
    pool: &AnyPool,
    filter: &ReportFilter,
) -> Result<Vec<(String, i64)>, ProjectionError> {
    report(
        pool,
        "SELECT session_type, COUNT(*) AS n FROM sessions {where} \
         GROUP BY session_type ORDER BY n DESC, session_type",
        filter,
    )
    .await
}

/// Sessions per city, region and country, most first.
pub async fn per_location(
    pool: &AnyPool,
    filter: &ReportFilter,
) -> Result<Vec<(String, String, String, String, i64)>, ProjectionError> {
    report(
        pool,
        "SELECT city, region, country, country_name, COUNT(*) AS n FROM sessions {where} \
         GROUP BY city, region, country, country_name ORDER BY n DESC, city, region, country",
        filter,
    )
    .await
}

/// Sessions and their distinct participants per city, most sessions first.
pub async fn sessions_and_participants_per_city(
    pool: &AnyPool,
    filter: &ReportFilter,
) -> Result<Vec<(String, i64, i64)>, ProjectionError> {
    report(
        pool,
        "SELECT city, COUNT(*) AS n, CAST(COALESCE(SUM(participants), 0) AS BIGINT) FROM sessions {where} \
         GROUP BY city ORDER BY n DESC, city",
        filter,
    )
    .await
}

fn participant_id(session_id: &str, user_id: &str) -> String {
    format!("{session_id}/{user_id}")
}

fn touched(event: &DomainEvent) -> Option<(String, Option<String>)> {
    match event {
        DomainEvent::SessionStarted(e) => Some((e.session_id.to_string(), None)),
        DomainEvent::ParticipantJoined(e) => Some((
            e.session_id.to_string(),
            Some(participant_id(
                &e.session_id.to_string(),
                &e.user_id.to_string(),
            )),
        )),
        DomainEvent::ParticipantLeft(e) => Some((
            e.session_id.to_string(),
            Some(participant_id(
                &e.session_id.to_string(),
                &e.user_id.to_string(),
            )),
        )),
        DomainEvent::SessionEnded(e) => Some((e.session_id.to_string(), None)),
        _ => None,
    }
}

fn place(l: &Location) -> [String; 4] {
    [
        l.city.clone(),
        l.region.clone(),
        l.country.clone(),
        l.country_name.clone(),
    ]
}

#[async_trait]
impl Projection for SessionsProjection {
    fn name(&self) -> &'static str {
        "sessions"
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
        let session_table = target.table("sessions");
        let participant_table = target.table("session_participants");
        let mut session_ids = BTreeSet::new();
        let mut participant_ids = BTreeSet::new();
        for applied in batch {
            if let Some((s, p)) = touched(&applied.event) {
                session_ids.insert(s);
                participant_ids.extend(p);
            }
        }
        if session_ids.is_empty() {
            return Ok(());
        }
        let session_ids: Vec<String> = session_ids.into_iter().collect();
        let participant_ids: Vec<String> = participant_ids.into_iter().collect();
        let mut sessions: HashMap<String, SessionRow> =
            load_by_ids::<SessionRow>(conn, &session_table, SESSION_COLUMNS, &session_ids)
                .await?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
        let mut people: HashMap<String, ParticipantRow> = load_by_ids::<ParticipantRow>(
            conn,
            &participant_table,
            PARTICIPANT_COLUMNS,
            &participant_ids,
        )
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
        let mut changed_sessions = BTreeSet::new();
        let mut changed_people = BTreeSet::new();
        for applied in batch {
            match &applied.event {
                DomainEvent::SessionStarted(e) => {
                    let id = e.session_id.to_string();
                    if sessions.contains_key(&id) {
                        continue;
                    }
                    let [city, region, country, country_name] = place(&e.location);
                    let started_at = api_time(e.started_at);
                    sessions.insert(
                        id.clone(),
                        SessionRow {
                            id: id.clone(),
                            room_id: e.room_id.to_string(),
                            host_id: e.host_id.to_string(),
                            session_type: e.session_type.clone(),
                            domain: e.domain.clone(),
                            city,
                            region,
                            country,
                            country_name,
                            started_day: started_at[..10].to_owned(),
                            started_at,
                            ended_at: None,
                            completed: 0,
                            participants: 0,
                        },
                    );
                    changed_sessions.insert(id);
                }
                DomainEvent::ParticipantJoined(e) => {
                    let session = e.session_id.to_string();
                    let id = participant_id(&session, &e.user_id.to_string());
                    if let Some(p) = people.get_mut(&id) {
                        p.present = 1;
                    } else {
                        let [city, region, country, country_name] = place(&e.location);
                        people.insert(
                            id.clone(),
                            ParticipantRow {
                                id: id.clone(),
                                session_id: session.clone(),
                                user_id: e.user_id.to_string(),
                                name: e.name.clone(),
                                city,
                                region,
                                country,
                                country_name,
                                joined_at: api_time(e.joined_at),
                                left_at: None,
                                present: 1,
                            },
                        );
                        if let Some(s) = sessions.get_mut(&session) {
                            s.participants += 1;
                            changed_sessions.insert(session);
                        }
                    }
                    changed_people.insert(id);
                }
                DomainEvent::ParticipantLeft(e) => {
                    let id = participant_id(&e.session_id.to_string(), &e.user_id.to_string());
                    if let Some(p) = people.get_mut(&id) {
                        p.present = 0;
                        p.left_at = Some(api_time(e.left_at));
                        changed_people.insert(id);
                    }
                }
                DomainEvent::SessionEnded(e) => {
                    let id = e.session_id.to_string();
                    if let Some(s) = sessions.get_mut(&id) {
                        s.completed = 1;
                        s.ended_at = Some(api_time(e.ended_at));
                        changed_sessions.insert(id);
                    }
                }
                _ => {}
            }
        }
        let rows = changed_sessions
            .into_iter()
            .filter_map(|id| sessions.remove(&id))
            .map(SessionRow::cells)
            .collect();
        upsert(conn, &session_table, &SESSION_COLUMN_LIST, rows).await?;
        let rows = changed_people
            .into_iter()
            .filter_map(|id| people.remove(&id))
            .map(ParticipantRow::cells)
            .collect();
        upsert(conn, &participant_table, &PARTICIPANT_COLUMN_LIST, rows).await?;
        Ok(())
    }
}
