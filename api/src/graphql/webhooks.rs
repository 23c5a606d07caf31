//! Webhook endpoints in GraphQL: the same use cases as `/webhooks*`
//! (`crate::webhooks`), so ownership, URL policy and limits are the REST ones.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::caller::{app, command_ctx, signed_in};
use super::errors::OrGraphql;
use super::page::{Page, complexity};
use crate::webhooks::{self as use_cases, DeliveryView, EndpointView, Registration, TestView};

/// An endpoint that receives signed webhook deliveries.
pub struct WebhookEndpoint(pub EndpointView);

#[Object]
impl WebhookEndpoint {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The account that registered it.
    async fn owner_id(&self) -> ID {
        ID(self.0.owner_id.clone())
    }
    /// `user` (its owner's events) or `app` (everyone's).
    async fn scope(&self) -> &str {
        &self.0.scope
    }
    /// Where deliveries are posted.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// Public event types, or `*`.
    async fn event_types(&self) -> &[String] {
        &self.0.event_types
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Whether deliveries are on.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// Why deliveries are off.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    async fn disabled_at(&self) -> Option<&str> {
        self.0.disabled_at.as_deref()
    }
    async fn created_at(&self) -> &str {
        &self.0.created_at
    }
    async fn updated_at(&self) -> &str {
        &self.0.updated_at
    }

    /// Its deliveries, newest first (the last 1,000 done ones are kept).
    #[graphql(complexity = "complexity(first, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        status: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, WebhookDelivery>> {
        let user = signed_in(ctx)?;
        let page = Page::new(first, after.as_deref()).gql()?;
        let rows = use_cases::deliveries(
            app(ctx),
            user,
            &self.0.id,
            status.as_deref(),
            page.fetch(),
            page.offset,
        )
        .await
        .gql()?;
        Ok(page.connection(rows.into_iter().map(WebhookDelivery::from).collect()))
    }
}

/// One delivery of an event to an endpoint.
#[derive(SimpleObject)]
pub struct WebhookDelivery {
    /// Sent as `webhook-id`; the same on every attempt and in replays.
    pub id: ID,
    /// The event's log position (`0` for test events).
    pub position: String,
    /// The event's id.
    pub event_id: String,
    /// Public event type.
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
    /// When the receiver acknowledged it.
    pub delivered_at: Option<String>,
}

impl From<DeliveryView> for WebhookDelivery {
    fn from(d: DeliveryView) -> Self {
        Self {
            id: ID(d.id),
            position: d.position,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            response_prefix: d.response_prefix,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
        }
    }
}

/// A webhook event type and the domain event whose fields its `data` carries.
#[derive(SimpleObject)]
pub struct WebhookEventType {
    /// e.g. `session.started`.
    #[graphql(name = "type")]
    pub event_type: String,
    /// e.g. `SessionStarted` (schemas/events).
    pub domain_event: String,
}

/// A new endpoint with its signing secret, shown only here.
#[derive(SimpleObject)]
pub struct RegisteredWebhook {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`, the key of the `webhook-signature` header.
    pub secret: String,
}

/// What a test delivery came to.
#[derive(SimpleObject)]
pub struct WebhookTestResult {
    /// Its delivery id.
    pub delivery_id: ID,
    /// Whether the receiver answered 2xx.
    pub delivered: bool,
    /// The receiver's status.
    pub status_code: Option<i32>,
    /// Why it failed.
    pub error: Option<String>,
    /// The start of the receiver's answer.
    pub response_prefix: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

impl From<TestView> for WebhookTestResult {
    fn from(t: TestView) -> Self {
        Self {
            delivery_id: ID(t.delivery_id),
            delivered: t.delivered,
            status_code: t.status_code.map(i32::from),
            error: t.error,
            response_prefix: t.response_prefix,
            duration_ms: i64::try_from(t.duration_ms).unwrap_or(i64::MAX),
        }
    }
}

/// What a replay queued.
#[derive(SimpleObject)]
pub struct WebhookReplayResult {
    /// Deliveries queued.
    pub queued: i64,
    /// Set when the replay stopped at its bound: replay again after this position.
    pub continue_after: Option<String>,
}

/// A new endpoint.
#[derive(Debug, InputObject)]
pub struct RegisterWebhookInput {
    /// HTTPS URL on a public address (http and private addresses only when configured).
    pub url: String,
    /// Public event types, or `["*"]`.
    pub event_types: Vec<String>,
    /// A note.
    pub description: Option<String>,
    /// `user` (default) or `app` (administrators).
    pub scope: Option<String>,
}

/// Changes to an endpoint; absent fields stay.
#[derive(Debug, InputObject)]
pub struct UpdateWebhookInput {
    /// New URL.
    pub url: Option<String>,
    /// New event types.
    pub event_types: Option<Vec<String>>,
    /// New note.
    pub description: Option<String>,
    /// Pause (`false`) or resume (`true`) deliveries.
    pub enabled: Option<bool>,
}

/// The caller's endpoints (everyone's for administrators).
pub async fn endpoints(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, WebhookEndpoint>> {
    let user = signed_in(ctx)?;
    let page = Page::new(first, after.as_deref()).gql()?;
    let rows = use_cases::list(app(ctx), user, page.fetch(), page.offset)
        .await
        .gql()?;
    Ok(page.connection(rows.into_iter().map(WebhookEndpoint).collect()))
}

/// One endpoint.
pub async fn endpoint(ctx: &Context<'_>, id: ID) -> async_graphql::Result<WebhookEndpoint> {
    let user = signed_in(ctx)?;
    let row = use_cases::owned(app(ctx), user, &id).await.gql()?;
    Ok(WebhookEndpoint(EndpointView::from(row)))
}

/// Every event type.
pub fn event_types() -> Vec<WebhookEventType> {
    altegon_domain::webhook::WEBHOOK_EVENT_TYPES
        .iter()
        .map(|(public, domain)| WebhookEventType {
            event_type: (*public).to_owned(),
            domain_event: (*domain).to_owned(),
        })
        .collect()
}

/// Registers an endpoint.
pub async fn register(
    ctx: &Context<'_>,
    input: RegisterWebhookInput,
) -> async_graphql::Result<RegisteredWebhook> {
    let user = signed_in(ctx)?;
    let registration = Registration {
        url: input.url,
        event_types: input.event_types,
        description: input.description,
        scope: use_cases::scope(input.scope.as_deref()).gql()?,
    };
    let (view, secret, _) = use_cases::register(app(ctx), &command_ctx(ctx)?, user, registration)
        .await
        .gql()?;
    Ok(RegisteredWebhook {
        endpoint: WebhookEndpoint(view),
        secret,
    })
}

/// Changes an endpoint.
pub async fn update(
    ctx: &Context<'_>,
    id: ID,
    input: UpdateWebhookInput,
) -> async_graphql::Result<WebhookEndpoint> {
    let user = signed_in(ctx)?;
    let changes = altegon_domain::webhook::WebhookChanges {
        url: input.url,
        event_types: input.event_types,
        description: input.description,
        enabled: input.enabled,
    };
    let (view, _) = use_cases::update(app(ctx), &command_ctx(ctx)?, user, &id, changes)
        .await
        .gql()?;
    Ok(WebhookEndpoint(view))
}

/// Removes an endpoint.
pub async fn delete(ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
    let user = signed_in(ctx)?;
    use_cases::delete(app(ctx), &command_ctx(ctx)?, user, &id)
        .await
        .gql()?;
    Ok(true)
}

/// Sends a test event now.
pub async fn test(ctx: &Context<'_>, id: ID) -> async_graphql::Result<WebhookTestResult> {
    let user = signed_in(ctx)?;
    let sent = use_cases::send_test(app(ctx), user, &id).await.gql()?;
    Ok(WebhookTestResult::from(sent))
}

/// Queues again every wanted event after `after`.
pub async fn replay(
    ctx: &Context<'_>,
    id: ID,
    after: String,
) -> async_graphql::Result<WebhookReplayResult> {
    let user = signed_in(ctx)?;
    let after = after
        .trim()
        .parse::<u64>()
        .map_err(|_| crate::error::Error::invalid("after", "must be a log position"))
        .gql()?;
    let (queued, continue_after) = use_cases::replay(app(ctx), user, &id, after).await.gql()?;
    Ok(WebhookReplayResult {
        queued: i64::try_from(queued).unwrap_or(i64::MAX),
        continue_after: continue_after.map(|p| p.to_string()),
    })
}
