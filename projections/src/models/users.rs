//! The `users` read model: accounts with their roles, looked up by id or email.

use std::collections::{BTreeSet, HashMap};

use altegon_domain::DomainEvent;
use altegon_domain::events::Role;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::sql::{Cell, load_by_ids, upsert};
use crate::{Applied, Projection, ProjectionError, TableDef, Target, api_time};

/// Keeps `users`.
pub struct UsersProjection;

const TABLES: &[TableDef] = &[TableDef {
    name: "users",
    create: &[
        "CREATE TABLE {table} (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            email_lower TEXT NOT NULL,
            f_name TEXT NOT NULL,
            l_name TEXT NOT NULL,
            phone_number TEXT NOT NULL,
            country TEXT NOT NULL,
            roles TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            position BIGINT NOT NULL
        )",
        "CREATE INDEX ix_{ix} ON {table} (email_lower)",
    ],
}];

/// A user as the read model holds it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct UserRow {
    /// Id.
    pub id: String,
    /// Email as entered.
    pub email: String,
    /// First name.
    pub f_name: String,
    /// Last name.
    pub l_name: String,
    /// Contact number.
    pub phone_number: String,
    /// Country.
    pub country: String,
    /// Roles as a JSON array, e.g. `["user","admin"]`.
    pub roles: String,
    /// Argon2id PHC string, for login.
    pub password_hash: String,
    /// Registration time.
    pub created_at: String,
}

impl UserRow {
    /// The roles as a list.
    pub fn role_list(&self) -> Vec<String> {
        serde_json::from_str(&self.roles).unwrap_or_default()
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Admin => "admin",
    }
}

const COLUMNS: &str =
    "id, email, f_name, l_name, phone_number, country, roles, password_hash, created_at";

/// The user with this id.
pub async fn by_id(pool: &AnyPool, id: &str) -> Result<Option<UserRow>, ProjectionError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

/// The user with this email (case-insensitive); the earliest if several.
pub async fn by_email(pool: &AnyPool, email: &str) -> Result<Option<UserRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE email_lower = $1 ORDER BY position LIMIT 1"
    ))
    .bind(email.trim().to_lowercase())
    .fetch_optional(pool)
    .await?)
}

/// Every account, oldest first.
pub async fn list(
    pool: &AnyPool,
    limit: i64,
    offset: i64,
) -> Result<Vec<UserRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users ORDER BY position, id LIMIT $1 OFFSET $2"
    ))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?)
}

#[async_trait]
impl Projection for UsersProjection {
    fn name(&self) -> &'static str {
        "users"
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
        let table = target.table("users");
        let touched: Vec<String> = batch
            .iter()
            .filter_map(|a| match &a.event {
                DomainEvent::UserRegistered(e) => Some(e.user_id.to_string()),
                DomainEvent::UserRoleGranted(e) => Some(e.user_id.to_string()),
                _ => None,
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if touched.is_empty() {
            return Ok(());
        }
        let mut rows: HashMap<String, StoredUser> =
            load_by_ids::<StoredUser>(conn, &table, STORED_COLUMNS, &touched)
                .await?
                .into_iter()
                .map(|r| (r.id.clone(), r))
                .collect();
        let mut changed = BTreeSet::new();
        for applied in batch {
            match &applied.event {
                DomainEvent::UserRegistered(e) => {
                    let id = e.user_id.to_string();
                    if rows.contains_key(&id) {
                        continue;
                    }
                    rows.insert(
                        id.clone(),
                        StoredUser {
                            id: id.clone(),
                            email: e.email.clone(),
                            email_lower: e.email.trim().to_lowercase(),
                            f_name: e.f_name.clone(),
                            l_name: e.l_name.clone(),
                            phone_number: e.phone_number.clone(),
                            country: e.country.clone(),
                            roles: serde_json::json!([role_name(e.role)]).to_string(),
                            password_hash: e.password_hash.clone(),
                            created_at: api_time(e.registered_at),
                            position: i64::try_from(applied.recorded.position).unwrap_or(i64::MAX),
                        },
                    );
                    changed.insert(id);
                }
                DomainEvent::UserRoleGranted(e) => {
                    let id = e.user_id.to_string();
                    let Some(row) = rows.get_mut(&id) else {
                        continue;
                    };
                    let mut list: Vec<String> =
                        serde_json::from_str(&row.roles).unwrap_or_default();
                    let role = role_name(e.role).to_owned();
                    if !list.contains(&role) {
                        list.push(role);
                        row.roles = serde_json::json!(list).to_string();
                        changed.insert(id);
                    }
                }
                _ => {}
            }
        }
        let out = changed
            .into_iter()
            .filter_map(|id| rows.remove(&id))
            .map(StoredUser::cells)
            .collect();
        upsert(conn, &table, &STORED_COLUMN_LIST, out).await?;
        Ok(())
    }
}

/// A row with every stored column, as the projection reads and writes it.
#[derive(Debug, Clone, FromRow)]
struct StoredUser {
    id: String,
    email: String,
    email_lower: String,
    f_name: String,
    l_name: String,
    phone_number: String,
    country: String,
    roles: String,
    password_hash: String,
    created_at: String,
    position: i64,
}

const STORED_COLUMN_LIST: [&str; 11] = [
    "id",
    "email",
    "email_lower",
    "f_name",
    "l_name",
    "phone_number",
    "country",
    "roles",
    "password_hash",
    "created_at",
    "position",
];

const STORED_COLUMNS: &str = "id, email, email_lower, f_name, l_name, phone_number, country, \
    roles, password_hash, created_at, position";

impl StoredUser {
    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Text(self.id),
            Cell::Text(self.email),
            Cell::Text(self.email_lower),
            Cell::Text(self.f_name),
            Cell::Text(self.l_name),
            Cell::Text(self.phone_number),
            Cell::Text(self.country),
            Cell::Text(self.roles),
            Cell::Text(self.password_hash),
            Cell::Text(self.created_at),
            Cell::Int(self.position),
        ]
    }
}
