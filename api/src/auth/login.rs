//! Checking a login: the one place that turns an email and password into an
//! access token, for REST and GraphQL alike.

use altegon_commands::password::{hash_password, verify_password};
use altegon_projections::models::users::{self, UserRow};
use tokio::sync::OnceCell;

use crate::error::Error;
use crate::state::AppState;

/// The one message for every failed login, so it does not tell whether the email exists.
const BAD_CREDENTIALS: &str = "Invalid email or password";

/// A successful login.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The account.
    pub user: UserRow,
    /// Its roles, as the token carries them.
    pub roles: Vec<String>,
    /// The access token.
    pub token: String,
}

/// A hash to verify against when the email is unknown, so both failures take as long.
async fn decoy_hash() -> &'static str {
    static DECOY: OnceCell<String> = OnceCell::const_new();
    DECOY
        .get_or_init(|| async {
            hash_password(rand::random::<u64>().to_string())
                .await
                .unwrap_or_default()
        })
        .await
}

/// Checks the credentials and issues an access token; a 401 with the same
/// message and about the same delay whether or not the email exists.
pub async fn log_in(state: &AppState, email: &str, password: String) -> Result<LoggedIn, Error> {
    let user = users::by_email(state.read_pool(), email).await?;
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => decoy_hash().await.to_owned(),
    };
    let valid = verify_password(password, hash).await;
    let user = match user {
        Some(user) if valid => user,
        _ => return Err(Error::Unauthorized(BAD_CREDENTIALS)),
    };
    let roles = user.role_list();
    let token = state
        .keys
        .issue_access(&user.id, roles.clone())
        .map_err(|e| match e {
            super::TokenError::NotIssued => Error::Upstream(e.to_string()),
            e => Error::Internal(e.to_string()),
        })?;
    Ok(LoggedIn { user, roles, token })
}
