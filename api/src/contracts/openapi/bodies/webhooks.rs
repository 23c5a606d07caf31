//! `/webhooks*`.

use utoipa::ToSchema;

use crate::contracts::openapi::keywords;

/// A webhook endpoint.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase", as = WebhookEndpoint)]
pub(crate) struct EndpointBody {
    #[schema(pattern = "^[0-9a-f]{24}$")]
    id: String,
    /// The account that registered it.
    #[schema(pattern = "^[0-9a-f]{24}$")]
    owner_id: String,
    /// `user`: events about the owner's meetings, rooms, recordings and storage; `app`: everyone's (administrators only).
    scope: String,
    /// Where deliveries are posted.
    url: String,
    /// Public event types (see GET /webhooks/event-types), or `*`.
    event_types: Vec<String>,
    description: String,
    /// Whether deliveries are on.
    enabled: bool,
    /// Why deliveries are off: paused by a user, or failing for the whole retry window.
    disabled_reason: Option<String>,
    disabled_at: Option<String>,
    created_at: String,
    updated_at: String,
}

/// A webhook endpoint just registered, with its signing secret.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase", as = RegisteredWebhookEndpoint)]
pub(crate) struct RegisteredBody {
    #[serde(flatten)]
    endpoint: EndpointBody,
    /// `whsec_…`: the key of the `webhook-signature` header. Shown only in this answer.
    secret: String,
}

#[derive(ToSchema)]
#[schema(as = RegisterWebhookResponse)]
pub(crate) struct RegisterResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    /// The endpoint's fields and `secret`.
    #[schema(required = false)]
    data: RegisteredBody,
    #[schema(required = false)]
    message: String,
}

#[derive(ToSchema)]
pub(crate) struct EndpointResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    data: EndpointBody,
}

#[derive(ToSchema)]
pub(crate) struct EndpointListResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    data: Vec<EndpointBody>,
}

#[derive(ToSchema)]
pub(crate) struct DeletedResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    message: String,
}

/// One delivery of an event to an endpoint.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase", as = WebhookDelivery)]
pub(crate) struct DeliveryBody {
    /// Sent as `webhook-id`; the same on every attempt and in replays.
    id: String,
    endpoint_id: String,
    /// The event's log position, as a string (`0` for test events).
    position: String,
    event_id: String,
    /// Public event type.
    event_type: String,
    /// `pending`, `delivered` or `failed`.
    status: String,
    attempts: i64,
    /// When the next attempt is due, while pending.
    next_attempt_at: Option<String>,
    last_attempt_at: Option<String>,
    /// The receiver's last HTTP status.
    last_status_code: Option<i64>,
    last_error: Option<String>,
    /// The first 512 bytes of the receiver's last answer.
    response_prefix: Option<String>,
    created_at: String,
    /// When the receiver acknowledged it with a 2xx.
    delivered_at: Option<String>,
}

#[derive(ToSchema)]
pub(crate) struct DeliveryListResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    data: Vec<DeliveryBody>,
}

/// What a test delivery came to.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase", as = WebhookTestResult)]
pub(crate) struct TestBody {
    delivery_id: String,
    /// Whether the receiver answered 2xx.
    delivered: bool,
    status_code: Option<u16>,
    error: Option<String>,
    response_prefix: Option<String>,
    duration_ms: u64,
}

#[derive(ToSchema)]
pub(crate) struct TestResponse {
    /// Whether the receiver acknowledged the test event.
    #[schema(required = false)]
    success: bool,
    #[schema(required = false)]
    data: TestBody,
}

/// What a replay queued.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase", as = WebhookReplayResult)]
pub(crate) struct ReplayBody {
    /// Deliveries queued.
    queued: u64,
    /// Set when the replay stopped at its bound (10,000): replay again after this position.
    continue_after: Option<String>,
}

#[derive(ToSchema)]
pub(crate) struct ReplayResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    data: ReplayBody,
}

/// A webhook event type.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase", as = WebhookEventType)]
pub(crate) struct EventTypeBody {
    /// e.g. `session.started`.
    #[schema(rename = "type")]
    event_type: String,
    /// The domain event it announces; its fields are the delivery's `data` (schemas/events).
    domain_event: String,
}

#[derive(ToSchema)]
pub(crate) struct EventTypesResponse {
    #[schema(required = false, schema_with = keywords::always_true)]
    success: bool,
    #[schema(required = false)]
    data: Vec<EventTypeBody>,
}
