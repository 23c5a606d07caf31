//! Registering, changing and removing webhook endpoints. Registration makes the
//! signing secret, hands it back once in clear and keeps it in the log sealed.

use altegon_domain::events::WebhookScope;
use altegon_domain::meeting::Caller;
use altegon_domain::webhook::{WebhookChanges, WebhookCommand, WebhookEndpoint};
use altegon_domain::{DomainEvent, WebhookId};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use secrecy::SecretString;

use crate::CommandContext;
use crate::ids::new_object_id;
use crate::pipeline::{CommandBus, CommandError, Outcome};
use crate::sealed::SecretSealer;
use crate::store::Position;

/// Prefix of signing secrets, as the Standard Webhooks specification writes them.
pub const SECRET_PREFIX: &str = "whsec_";

/// A fresh signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_signing_secret() -> SecretString {
    let key: [u8; 32] = rand::random();
    SecretString::from(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// A registration request.
#[derive(Debug, Clone)]
pub struct RegisterWebhook {
    /// Whose events.
    pub scope: WebhookScope,
    /// Where deliveries go (already allowed by the URL policy).
    pub url: String,
    /// Public event types, or `*`.
    pub event_types: Vec<String>,
    /// The owner's note.
    pub description: String,
}

/// A registered endpoint: its id, its secret (shown once) and the position to wait for.
#[derive(Debug)]
pub struct Registered {
    /// The endpoint.
    pub endpoint_id: WebhookId,
    /// The signing secret in clear.
    pub secret: SecretString,
    /// Where its registration is in the log.
    pub position: Position,
}

/// Registers an endpoint owned by `caller`.
pub async fn register_webhook(
    bus: &CommandBus,
    ctx: &CommandContext,
    sealer: &SecretSealer,
    request: RegisterWebhook,
    caller: Caller,
) -> Result<Registered, CommandError> {
    use secrecy::ExposeSecret;
    let endpoint_id = WebhookId(
        bus.claim_id::<WebhookEndpoint>(ctx, new_object_id())
            .await?,
    );
    let secret = new_signing_secret();
    let command = WebhookCommand::Register {
        endpoint_id,
        scope: request.scope,
        url: request.url,
        event_types: request.event_types,
        description: request.description,
        secret: sealer.seal(secret.expose_secret()),
        caller,
        now: Utc::now(),
    };
    let outcome = bus
        .execute::<WebhookEndpoint>(ctx, endpoint_id, &command)
        .await?;
    // A retried registration (same Idempotency-Key) answers the secret it stored.
    let secret = match outcome.events.first() {
        Some(DomainEvent::WebhookEndpointRegistered(e)) if outcome.replayed => sealer
            .open(&e.secret)
            .map_err(|e| CommandError::Internal(format!("webhook secret: {e}")))?,
        _ => secret,
    };
    Ok(Registered {
        endpoint_id,
        secret,
        position: outcome.position,
    })
}

/// Changes an endpoint's settings or turns it on or off.
pub async fn update_webhook(
    bus: &CommandBus,
    ctx: &CommandContext,
    endpoint_id: WebhookId,
    changes: WebhookChanges,
    caller: Caller,
) -> Result<Outcome, CommandError> {
    let command = WebhookCommand::Update {
        changes,
        caller,
        now: Utc::now(),
    };
    bus.execute::<WebhookEndpoint>(ctx, endpoint_id, &command)
        .await
}

/// Turns a failing endpoint off, saying why.
pub async fn disable_failing_webhook(
    bus: &CommandBus,
    ctx: &CommandContext,
    endpoint_id: WebhookId,
    reason: String,
) -> Result<Outcome, CommandError> {
    let command = WebhookCommand::DisableFailing {
        reason,
        now: Utc::now(),
    };
    bus.execute::<WebhookEndpoint>(ctx, endpoint_id, &command)
        .await
}

/// Removes an endpoint.
pub async fn delete_webhook(
    bus: &CommandBus,
    ctx: &CommandContext,
    endpoint_id: WebhookId,
    caller: Caller,
) -> Result<Outcome, CommandError> {
    let command = WebhookCommand::Delete {
        caller,
        now: Utc::now(),
    };
    bus.execute::<WebhookEndpoint>(ctx, endpoint_id, &command)
        .await
}
