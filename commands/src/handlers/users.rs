//! Registering a user: reserve the email (stream `user-email-{sha256}`), then write
//! the account (stream `user-{id}`). Of concurrent registrations of one address,
//! exactly one reservation lands; the others are refused with `EmailTaken`.

use altegon_domain::email_reservation::{EmailReservation, ReservationCommand, ReservationState};
use altegon_domain::events::Role;
use altegon_domain::user::{User, UserCommand};
use altegon_domain::validate::{normalized_email, password_policy};
use altegon_domain::{Aggregate, UserId};
use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::CommandContext;
use crate::ids::new_object_id;
use crate::password::hash_password;
use crate::pipeline::{CommandBus, CommandError, Outcome};
use crate::store::Position;

/// A registration request as the client sent it.
#[derive(Debug, Clone)]
pub struct RegisterUser {
    /// Email address; unique, case-insensitively.
    pub email: String,
    /// First name.
    pub f_name: String,
    /// Last name.
    pub l_name: String,
    /// Contact number.
    pub phone_number: String,
    /// Country of residence.
    pub country: String,
    /// The password in clear; only its argon2id hash is stored.
    pub password: String,
    /// The new account's role.
    pub role: Role,
}

/// A registered account.
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    /// Its id.
    pub user_id: UserId,
    /// Wait for this position before reading the account from read models.
    pub position: Position,
}

/// The reservation stream's key for an address: SHA-256 of the lowercased form.
pub fn email_key(normalized_email: &str) -> String {
    hex::encode(Sha256::digest(normalized_email.as_bytes()))
}

/// Registers a user.
pub async fn register_user(
    bus: &CommandBus,
    ctx: &CommandContext,
    request: RegisterUser,
) -> Result<Registered, CommandError> {
    let email = normalized_email(&request.email)?;
    password_policy(&request.password)?;
    // Anonymous callers share one actor, so scope their key by the address.
    let ctx = CommandContext {
        idempotency_key: ctx
            .idempotency_key
            .as_ref()
            .map(|k| format!("{email}\n{k}")),
        ..ctx.clone()
    };
    let user_id = UserId(bus.claim_id::<User>(&ctx, new_object_id()).await?);
    let key = email_key(&email);

    let holder_registered = match bus.state::<EmailReservation>(&key).await? {
        ReservationState::Reserved {
            user_id: holder, ..
        } if holder != user_id => {
            let account = bus.load(&User::stream_name(holder)).await?;
            !account.is_empty()
        }
        _ => false,
    };
    let reserve = ReservationCommand::Reserve {
        user_id,
        holder_registered,
        now: Utc::now(),
    };
    bus.execute::<EmailReservation>(&ctx, &key, &reserve)
        .await?;

    let password_hash = hash_password(request.password)
        .await
        .map_err(|e| CommandError::Internal(e.to_string()))?;
    let register = UserCommand::Register {
        user_id,
        email: request.email,
        f_name: request.f_name,
        l_name: request.l_name,
        phone_number: request.phone_number,
        country: request.country,
        password_hash,
        role: request.role,
        now: Utc::now(),
    };
    let outcome = bus.execute::<User>(&ctx, user_id, &register).await?;
    Ok(Registered {
        user_id,
        position: outcome.position,
    })
}

/// Revokes one access token of `user_id` (logout, or an administrator); nothing
/// is recorded for a token that has expired already.
pub async fn revoke_token(
    bus: &CommandBus,
    ctx: &CommandContext,
    user_id: UserId,
    token_id: String,
    expires_at: chrono::DateTime<Utc>,
    by: UserId,
) -> Result<Outcome, CommandError> {
    let command = UserCommand::RevokeToken {
        user_id,
        token_id,
        expires_at,
        by,
        now: Utc::now(),
    };
    bus.execute::<User>(ctx, user_id, &command).await
}

/// Revokes every access token `user_id` holds (an administrator).
pub async fn revoke_all_tokens(
    bus: &CommandBus,
    ctx: &CommandContext,
    user_id: UserId,
    by: UserId,
) -> Result<Outcome, CommandError> {
    let command = UserCommand::RevokeAllTokens {
        user_id,
        by,
        now: Utc::now(),
    };
    bus.execute::<User>(ctx, user_id, &command).await
}
