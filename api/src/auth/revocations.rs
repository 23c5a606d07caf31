//! Revoked access tokens, as the log records them (`AccessTokenRevoked`,
//! `UserTokensRevoked`): kept in memory, filled from the whole log before the
//! server answers its first request and followed live after, so every server
//! process refuses a revoked token. Entries are dropped once the tokens they
//! concern have expired.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use altegon_commands::CommandContext;
use altegon_commands::handlers::users::{revoke_all_tokens, revoke_token};
use altegon_commands::pipeline::decode;
use altegon_commands::store::{EventFilter, SharedEventStore, StoreError, SubscriptionStart};
use altegon_domain::DomainEvent;
use altegon_domain::UserId;
use chrono::Utc;
use futures::StreamExt;

use super::{AccessClaims, AuthUser};
use crate::error::Error;
use crate::state::AppState;

/// The event types that revoke tokens.
const REVOKING: [&str; 2] = ["AccessTokenRevoked", "UserTokensRevoked"];

#[derive(Debug, Default)]
struct Revoked {
    /// Token id → its expiry (seconds).
    tokens: HashMap<String, i64>,
    /// Account → tokens issued before this (seconds) are refused.
    accounts: HashMap<String, i64>,
}

/// The revoked tokens of the deployment.
#[derive(Debug, Clone)]
pub struct Revocations {
    revoked: Arc<RwLock<Revoked>>,
    /// The longest an access token lives, in seconds: how long an account's
    /// revocation must be remembered.
    max_token_ttl_secs: i64,
}

impl Revocations {
    /// An empty list for tokens that live at most `max_token_ttl_secs`.
    pub fn new(max_token_ttl_secs: i64) -> Self {
        Self {
            revoked: Arc::default(),
            max_token_ttl_secs,
        }
    }

    /// Whether the token these claims come from was revoked.
    pub fn is_revoked(&self, claims: &AccessClaims) -> bool {
        let revoked = self.revoked.read().unwrap_or_else(|p| p.into_inner());
        revoked.tokens.contains_key(&claims.jti)
            || revoked
                .accounts
                .get(&claims.sub)
                .is_some_and(|before| claims.iat < *before)
    }

    /// Applies one revoking event; others are ignored.
    pub fn apply(&self, event: &DomainEvent) {
        let max_token_ttl_secs = self.max_token_ttl_secs;
        let mut revoked = self.revoked.write().unwrap_or_else(|p| p.into_inner());
        let now = Utc::now().timestamp();
        match event {
            DomainEvent::AccessTokenRevoked(e) if e.expires_at.timestamp() > now => {
                revoked
                    .tokens
                    .insert(e.token_id.clone(), e.expires_at.timestamp());
            }
            DomainEvent::UserTokensRevoked(e) => {
                // Whole seconds, as `iat` is: a token issued in the second of the
                // revocation is refused too.
                let before = e.issued_before.timestamp() + 1;
                if before + max_token_ttl_secs > now {
                    let entry = revoked.accounts.entry(e.user_id.to_string()).or_default();
                    *entry = (*entry).max(before);
                }
            }
            _ => {}
        }
        revoked.tokens.retain(|_, expires| *expires > now);
        revoked
            .accounts
            .retain(|_, before| *before + max_token_ttl_secs > now);
    }

    /// Applies revocations this process just recorded, so that its next request
    /// is refused without waiting for the log (other processes learn them from
    /// the log).
    fn remember(&self, events: &[DomainEvent]) {
        for event in events {
            self.apply(event);
        }
    }

    /// Reads every revocation in the log, then keeps following it in the
    /// background until the store closes.
    pub async fn follow(&self, store: SharedEventStore) -> anyhow::Result<()> {
        let filter = EventFilter::event_types(REVOKING);
        let head = store.head_position().await?;
        let mut after = 0;
        while after < head {
            let page = store.read_all(after, 10_000).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.position;
            for recorded in page.iter().filter(|e| filter.matches(e)) {
                if let Ok(event) = decode(recorded) {
                    self.apply(&event);
                }
            }
        }
        let mut events = store.subscribe_to_all(SubscriptionStart::After(after), filter);
        let this = self.clone();
        tokio::spawn(async move {
            while let Some(next) = events.next().await {
                match next {
                    Ok(recorded) => {
                        if let Ok(event) = decode(&recorded) {
                            this.apply(&event);
                        }
                    }
                    Err(StoreError::Closed) => return, // the server is stopping
                    Err(e) => {
                        tracing::error!(error = %e, "following token revocations stopped");
                        return;
                    }
                }
            }
        });
        Ok(())
    }
}

/// Logout: revokes the access token `user` signed in with (REST and GraphQL).
pub async fn log_out(state: &AppState, ctx: &CommandContext, user: &AuthUser) -> Result<(), Error> {
    let expires_at = chrono::DateTime::from_timestamp(user.expires_at, 0)
        .ok_or(Error::Unauthorized("invalid token"))?;
    let outcome = revoke_token(
        &state.bus,
        ctx,
        user.id,
        user.token_id.clone(),
        expires_at,
        user.id,
    )
    .await?;
    state.revocations.remember(&outcome.events);
    Ok(())
}

/// An administrator revokes every token of `user_id` (REST and GraphQL).
pub async fn revoke_tokens_of(
    state: &AppState,
    ctx: &CommandContext,
    admin: &AuthUser,
    user_id: UserId,
) -> Result<(), Error> {
    admin.must_be_admin()?;
    let outcome = revoke_all_tokens(&state.bus, ctx, user_id, admin.id).await?;
    state.revocations.remember(&outcome.events);
    Ok(())
}
