//! Webhook endpoint use cases shared by the REST routes and GraphQL: who may see
//! and change an endpoint, URL checks under the deployment's policy, and the
//! shapes both interfaces answer with.

use altegon_commands::CommandContext;
use altegon_commands::handlers::webhooks::{
    RegisterWebhook, delete_webhook, register_webhook, update_webhook,
};
use altegon_domain::WebhookId;
use altegon_domain::events::WebhookScope;
use altegon_domain::webhook::{WebhookChanges, WebhookEndpoint};
use altegon_projections::models::webhooks::{self as endpoints, WebhookEndpointRow};
use altegon_webhooks::store::{DeliveryRow, Target};
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::auth::AuthUser;
use crate::consistency::wait_until_visible;
use crate::error::Error;
use crate::state::AppState;

/// Most deliveries one listing returns (and how many are kept per endpoint).
pub const MAX_DELIVERIES_PAGE: i64 = altegon_webhooks::store::KEPT_PER_ENDPOINT;

/// An endpoint as its owner sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointView {
    /// Id.
    pub id: String,
    /// The account that registered it.
    pub owner_id: String,
    /// `user` or `app`.
    pub scope: String,
    /// Delivery URL.
    pub url: String,
    /// Public event types, or `*`.
    pub event_types: Vec<String>,
    /// The owner's note.
    pub description: String,
    /// Whether deliveries are on.
    pub enabled: bool,
    /// Why they are off.
    pub disabled_reason: Option<String>,
    /// Since when.
    pub disabled_at: Option<String>,
    /// Registered at.
    pub created_at: String,
    /// Last changed at.
    pub updated_at: String,
}

impl From<WebhookEndpointRow> for EndpointView {
    fn from(row: WebhookEndpointRow) -> Self {
        Self {
            event_types: row.event_type_list(),
            id: row.id,
            owner_id: row.owner_id,
            scope: row.scope,
            url: row.url,
            description: row.description,
            enabled: row.enabled != 0,
            disabled_reason: row.disabled_reason,
            disabled_at: row.disabled_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A delivery as its endpoint's owner sees it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// Delivery id, sent as `webhook-id`.
    pub id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// The event's log position (`0` for test events).
    pub position: String,
    /// The event's id.
    pub event_id: String,
    /// Public type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<String>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<String>,
    /// The receiver's last HTTP status.
    pub last_status_code: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The start of the receiver's last answer.
    pub response_prefix: Option<String>,
    /// Created at.
    pub created_at: String,
    /// Acknowledged at.
    pub delivered_at: Option<String>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(row: DeliveryRow) -> Self {
        let next_attempt_at = (row.status == "pending")
            .then(|| chrono::DateTime::from_timestamp_millis(row.next_attempt_ms))
            .flatten()
            .map(altegon_projections::api_time);
        Self {
            id: row.id,
            endpoint_id: row.endpoint_id,
            position: row.position.to_string(),
            event_id: row.event_id,
            event_type: row.event_type,
            status: row.status,
            attempts: row.attempts,
            next_attempt_at,
            last_attempt_at: row.last_attempt_at,
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            response_prefix: row.response_prefix,
            created_at: row.created_at,
            delivered_at: row.delivered_at,
        }
    }
}

/// What a test delivery came to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestView {
    /// The delivery's id.
    pub delivery_id: String,
    /// Whether the receiver acknowledged it (2xx).
    pub delivered: bool,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Why it failed.
    pub error: Option<String>,
    /// The start of the receiver's answer.
    pub response_prefix: Option<String>,
    /// How long the attempt took.
    pub duration_ms: u64,
}

/// A delivery URL allowed by the deployment's policy; a 400 names `url` otherwise.
async fn allowed_url(state: &AppState, url: &str) -> Result<String, Error> {
    let url = altegon_domain::webhook::delivery_url(url)?;
    state
        .webhooks
        .policy()
        .check_resolving(&url)
        .await
        .map_err(|refused| Error::invalid("url", refused.to_string()))?;
    Ok(url)
}

/// `user` (default) or `app`.
pub fn scope(value: Option<&str>) -> Result<WebhookScope, Error> {
    match value.map(str::trim) {
        None | Some("") | Some("user") => Ok(WebhookScope::User),
        Some("app") => Ok(WebhookScope::App),
        Some(_) => Err(Error::invalid("scope", "must be user or app")),
    }
}

/// What a registration asks for.
pub struct Registration {
    /// Delivery URL.
    pub url: String,
    /// Public event types, or `*`.
    pub event_types: Vec<String>,
    /// The owner's note.
    pub description: Option<String>,
    /// Whose events.
    pub scope: WebhookScope,
}

/// Registers an endpoint; answers it with its secret, shown this once.
pub async fn register(
    state: &AppState,
    ctx: &CommandContext,
    user: &AuthUser,
    registration: Registration,
) -> Result<(EndpointView, String, u64), Error> {
    let url = allowed_url(state, &registration.url).await?;
    let owned = endpoints::count_by_owner(state.read_pool(), &user.id.to_string()).await?;
    let max = i64::from(state.config.webhook_max_endpoints_per_user);
    if owned >= max {
        return Err(Error::Conflict(format!(
            "an account may register at most {max} webhook endpoints"
        )));
    }
    let registered = register_webhook(
        &state.bus,
        ctx,
        state.webhooks.sealer(),
        RegisterWebhook {
            scope: registration.scope,
            url,
            event_types: registration.event_types,
            description: registration.description.unwrap_or_default(),
        },
        user.caller(),
    )
    .await?;
    wait_until_visible(state, registered.position).await?;
    let view = visible(state, &registered.endpoint_id).await?;
    Ok((
        view,
        registered.secret.expose_secret().to_owned(),
        registered.position,
    ))
}

async fn visible(state: &AppState, id: &WebhookId) -> Result<EndpointView, Error> {
    endpoints::by_id(state.read_pool(), &id.to_string())
        .await?
        .map(EndpointView::from)
        .ok_or_else(|| {
            Error::Internal("a written webhook endpoint is not in the read model".into())
        })
}

/// An endpoint the caller owns (or any, for administrators): 404 when there is
/// none, 403 when it is someone else's.
pub async fn owned(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> Result<WebhookEndpointRow, Error> {
    Ok(owned_with_id(state, user, id).await?.1)
}

/// [`owned`], with the id parsed.
async fn owned_with_id(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> Result<(WebhookId, WebhookEndpointRow), Error> {
    let id: WebhookId = crate::routes::parse_id("webhookId", id)?;
    let row = endpoints::by_id(state.read_pool(), &id.to_string())
        .await?
        .ok_or_else(|| Error::NotFound("webhook endpoint".into()))?;
    if !user.owns(&row.owner_id) {
        return Err(Error::Forbidden(
            "only the owner or an administrator may use this webhook".into(),
        ));
    }
    Ok((id, row))
}

/// The caller's endpoints (everyone's for administrators), oldest first.
pub async fn list(
    state: &AppState,
    user: &AuthUser,
    limit: i64,
    offset: i64,
) -> Result<Vec<EndpointView>, Error> {
    let owner = (!user.is_admin()).then(|| user.id.to_string());
    let rows = endpoints::list(state.read_pool(), owner.as_deref(), limit, offset).await?;
    Ok(rows.into_iter().map(EndpointView::from).collect())
}

/// Changes an endpoint; answers it as it is afterwards.
pub async fn update(
    state: &AppState,
    ctx: &CommandContext,
    user: &AuthUser,
    id: &str,
    mut changes: WebhookChanges,
) -> Result<(EndpointView, u64), Error> {
    let (id, _) = owned_with_id(state, user, id).await?;
    if let Some(url) = &changes.url {
        changes.url = Some(allowed_url(state, url).await?);
    }
    let outcome = update_webhook(&state.bus, ctx, id, changes, user.caller()).await?;
    wait_until_visible(state, outcome.position).await?;
    Ok((visible(state, &id).await?, outcome.position))
}

/// Removes an endpoint.
pub async fn delete(
    state: &AppState,
    ctx: &CommandContext,
    user: &AuthUser,
    id: &str,
) -> Result<u64, Error> {
    let (id, _) = owned_with_id(state, user, id).await?;
    let outcome = delete_webhook(&state.bus, ctx, id, user.caller()).await?;
    wait_until_visible(state, outcome.position).await?;
    Ok(outcome.position)
}

/// The endpoint's settings as its stream holds them (with the sealed secret).
async fn target(state: &AppState, id: WebhookId) -> Result<Target, Error> {
    let endpoint = state.bus.state::<WebhookEndpoint>(id).await?;
    Target::from_state(&endpoint).ok_or_else(|| Error::NotFound("webhook endpoint".into()))
}

/// Sends a `webhook.test` event now.
pub async fn send_test(state: &AppState, user: &AuthUser, id: &str) -> Result<TestView, Error> {
    let (id, _) = owned_with_id(state, user, id).await?;
    let target = target(state, id).await?;
    let sent = state
        .webhooks
        .send_test(target.endpoint_id, &target.url, &target.secret)
        .await?;
    Ok(TestView {
        delivery_id: sent.id,
        delivered: sent.attempt.acknowledged(),
        status_code: sent.attempt.status,
        error: sent.attempt.error,
        response_prefix: sent.attempt.response_prefix,
        duration_ms: u64::try_from(sent.duration.as_millis()).unwrap_or(u64::MAX),
    })
}

/// Queues again every wanted event after `after`; answers how many and where a
/// replay cut short by its bound should continue.
pub async fn replay(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    after: u64,
) -> Result<(u64, Option<u64>), Error> {
    let (id, _) = owned_with_id(state, user, id).await?;
    let mut target = target(state, id).await?;
    target.enabled = true;
    Ok(state.webhooks.replay(target, after).await?)
}

/// An endpoint's deliveries, newest first.
pub async fn deliveries(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<DeliveryView>, Error> {
    let (id, _) = owned_with_id(state, user, id).await?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s @ ("pending" | "delivered" | "failed")) => Some(s),
        Some(_) => {
            return Err(Error::invalid(
                "status",
                "must be pending, delivered or failed",
            ));
        }
    };
    if !(1..=MAX_DELIVERIES_PAGE).contains(&limit) {
        return Err(Error::invalid(
            "limit",
            format!("must be between 1 and {MAX_DELIVERIES_PAGE}"),
        ));
    }
    if offset < 0 {
        return Err(Error::invalid("offset", "must not be negative"));
    }
    let rows = state
        .webhooks
        .deliveries(&id, status, limit, offset)
        .await?;
    Ok(rows.into_iter().map(DeliveryView::from).collect())
}
