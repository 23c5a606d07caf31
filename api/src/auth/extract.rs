//! Request extractors: [`AuthUser`] (a valid access token is required) and
//! [`CommandCtx`] (everything a command records about its request).

use altegon_commands::{Actor, CommandContext};
use altegon_domain::UserId;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::TokenError;
use crate::error::Error;
use crate::state::AppState;

/// Longest accepted `Idempotency-Key`.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// Their id.
    pub id: UserId,
    /// Their roles.
    pub roles: Vec<String>,
    /// The access token's id (`jti`), for logout.
    pub token_id: String,
    /// When the access token expires (seconds since the epoch).
    pub expires_at: i64,
}

impl AuthUser {
    /// The caller as a command actor.
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.id.to_string()),
            roles: self.roles.clone(),
        }
    }

    /// The caller as the domain's rules see them.
    pub fn caller(&self) -> altegon_domain::meeting::Caller {
        altegon_domain::meeting::Caller {
            user_id: self.id,
            is_admin: self.is_admin(),
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl AuthUser {
    /// The caller an access token names; a 401 saying why when it is not valid.
    pub fn from_token(state: &AppState, token: &str) -> Result<Self, Error> {
        let claims = state.keys.verify_access(token).map_err(|e| match e {
            TokenError::Expired => Error::Unauthorized("token expired"),
            _ => Error::Unauthorized("invalid token"),
        })?;
        if state.revocations.is_revoked(&claims) {
            return Err(Error::Unauthorized("token revoked"));
        }
        let id = claims
            .sub
            .parse()
            .map_err(|_| Error::Unauthorized("invalid token"))?;
        Ok(AuthUser {
            id,
            roles: claims.roles,
            token_id: claims.jti,
            expires_at: claims.exp,
        })
    }

    /// The caller of a request: `None` without a bearer token, a 401 for a bad one.
    pub fn from_headers(state: &AppState, headers: &HeaderMap) -> Result<Option<Self>, Error> {
        bearer(headers)
            .map(|token| Self::from_token(state, token))
            .transpose()
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(user.clone());
        }
        let token =
            bearer(&parts.headers).ok_or(Error::Unauthorized("a bearer token is required"))?;
        let user = Self::from_token(state, token)?;
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The context a command records: actor, request and correlation ids, client
/// address, `Idempotency-Key` and the digest of the request that carried it.
#[derive(Debug, Clone)]
pub struct CommandCtx(pub CommandContext);

impl CommandCtx {
    /// The context of a request made by `actor`.
    pub fn for_request(parts: &Parts, state: &AppState, actor: Actor) -> Result<Self, Error> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let mut ctx = CommandContext::new(actor);
        if let Some(id) = header("x-request-id") {
            ctx.request_id = id.clone();
            ctx.correlation_id = id;
        }
        if let Some(correlation) = header("x-correlation-id") {
            ctx.correlation_id = correlation;
        }
        ctx.client_ip = crate::client_ip::client_ip(parts, state.config.trust_forwarded_for)
            .map(|ip| ip.to_string());
        if let Some(value) = parts.headers.get("idempotency-key") {
            let key = value.to_str().ok().filter(|k| {
                !k.is_empty()
                    && k.len() <= MAX_IDEMPOTENCY_KEY
                    && k.bytes().all(|b| b.is_ascii_graphic())
            });
            let key = key.ok_or_else(|| {
                Error::invalid(
                    "Idempotency-Key",
                    format!("must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
                )
            })?;
            ctx.idempotency_key = Some(key.to_owned());
            ctx.request_digest = parts
                .extensions
                .get::<crate::idempotency::RequestDigest>()
                .map(|d| d.0.clone());
        }
        Ok(CommandCtx(ctx))
    }
}

impl FromRequestParts<AppState> for CommandCtx {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let actor = match bearer(&parts.headers) {
            Some(_) => AuthUser::from_request_parts(parts, state).await?.actor(),
            None => Actor::default(),
        };
        Self::for_request(parts, state, actor)
    }
}
