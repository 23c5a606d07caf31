//! The `users` read model: accounts with their roles, looked up by id or email.

use altegon_commands::store::RecordedEvent;
use altegon_domain::DomainEvent;
use altegon_domain::events::Role;
use async_trait::async_trait;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::{Projection, ProjectionError, TableDef, Target, api_time};

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
        event: &DomainEvent,
        recorded: &RecordedEvent,
    ) -> Result<(), ProjectionError> {
        let table = target.table("users");
        match event {
            DomainEvent::UserRegistered(e) => {
                let roles = serde_json::json!([role_name(e.role)]).to_string();
                sqlx::query(&format!(
                    "INSERT INTO {table} (id, email, email_lower, f_name, l_name, phone_number, country, \
                     roles, password_hash, created_at, position) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING"
                ))
                .bind(e.user_id.to_string())
                .bind(&e.email)
                .bind(e.email.trim().to_lowercase())
                .bind(&e.f_name)
                .bind(&e.l_name)
                .bind(&e.phone_number)
                .bind(&e.country)
                .bind(roles)
                .bind(&e.password_hash)
                .bind(api_time(e.registered_at))
                .bind(i64::try_from(recorded.position).unwrap_or(i64::MAX))
                .execute(&mut *conn)
                .await?;
            }
            DomainEvent::UserRoleGranted(e) => {
                let id = e.user_id.to_string();
                let current: Option<(String,)> =
                    sqlx::query_as(&format!("SELECT roles FROM {table} WHERE id = $1"))
                        .bind(&id)
                        .fetch_optional(&mut *conn)
                        .await?;
                if let Some((roles,)) = current {
                    let mut list: Vec<String> = serde_json::from_str(&roles).unwrap_or_default();
                    let role = role_name(e.role).to_owned();
                    if !list.contains(&role) {
                        list.push(role);
                    }
                    sqlx::query(&format!("UPDATE {table} SET roles = $2 WHERE id = $1"))
                        .bind(&id)
                        .bind(serde_json::json!(list).to_string())
                        .execute(&mut *conn)
                        .await?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}
