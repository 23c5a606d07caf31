//! `/webhooks*`: endpoints that receive signed deliveries of what happens to a
//! user's meetings, rooms, recordings and storage (docs/webhooks.md).

use altegon_domain::webhook::{WEBHOOK_EVENT_TYPES, WebhookChanges};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::auth::{AuthUser, CommandCtx};
use crate::consistency::{Consistent, position_header};
use crate::contracts::openapi::errors::ErrorBody;
use crate::contracts::openapi::params::{IdempotencyKey, WaitForPosition, WebhookParam};
use crate::contracts::openapi::responses::{
    BadRequest, JsonTooLarge, NotFound, NotOwner, NotYetVisible, Unauthorized,
};
use crate::contracts::openapi::{bodies, keywords};
use crate::error::Error;
use crate::json::{ValidJson, ValidQuery};
use crate::state::AppState;
use crate::webhooks::{self as use_cases, Registration};

/// `/webhooks*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", post(register).get(list))
        .route("/webhooks/event-types", get(event_types))
        .route(
            "/webhooks/{webhook_id}",
            get(show).put(update).delete(remove),
        )
        .route("/webhooks/{webhook_id}/test", post(test))
        .route("/webhooks/{webhook_id}/deliveries", get(deliveries))
        .route("/webhooks/{webhook_id}/replay", post(replay))
}

/// The webhook event types
///
/// Each public type and the domain event whose fields a delivery's `data` carries.
#[utoipa::path(
    get,
    path = "/webhooks/event-types",
    tag = "webhooks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every type an endpoint may subscribe to.", body = bodies::webhooks::EventTypesResponse),
        (status = 401, response = inline(Unauthorized)),
    ),
)]
async fn event_types(_user: AuthUser) -> Json<Value> {
    let data: Vec<Value> = WEBHOOK_EVENT_TYPES
        .iter()
        .map(|(public, domain)| json!({ "type": public, "domainEvent": domain }))
        .collect();
    Json(json!({ "success": true, "data": data }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = RegisterWebhookRequest)]
struct RegisterBody {
    /// HTTPS URL on a public address (http and private addresses only when configured).
    #[schema(schema_with = keywords::webhook_url)]
    url: String,
    /// Public event types, or `["*"]` for all.
    #[schema(schema_with = keywords::webhook_event_types)]
    event_types: Vec<String>,
    #[schema(max_length = 500)]
    description: Option<String>,
    /// `user` (default) or `app` (administrators: everyone's events).
    #[schema(value_type = Option<WebhookScope>, inline)]
    scope: Option<String>,
}

// The `scope` and delivery `status` values the handlers accept (they match the strings).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code, reason = "documentation only; nothing constructs it")]
enum WebhookScope {
    User,
    App,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code, reason = "documentation only; nothing constructs it")]
enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// Register a webhook endpoint
///
/// The answer carries the signing secret; it is not shown again.
#[utoipa::path(
    post,
    path = "/webhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    params(IdempotencyKey),
    request_body = RegisterBody,
    responses(
        (status = 201, description = "Registered.", body = bodies::webhooks::RegisterResponse,
            headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, description = "An app-wide endpoint by a non-administrator.", body = ErrorBody),
        (status = 409, description = "The account has as many endpoints as it may.", body = ErrorBody),
        (status = 413, response = inline(JsonTooLarge)),
        (status = 503, response = inline(NotYetVisible)),
    ),
)]
async fn register(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    ValidJson(body): ValidJson<RegisterBody>,
) -> Result<impl IntoResponse, Error> {
    let registration = Registration {
        url: body.url,
        event_types: body.event_types,
        description: body.description,
        scope: use_cases::scope(body.scope.as_deref())?,
    };
    let (view, secret, position) = use_cases::register(&state, &ctx, &user, registration).await?;
    let mut data = serde_json::to_value(view).map_err(|e| Error::Internal(e.to_string()))?;
    data["secret"] = Value::String(secret);
    Ok((
        StatusCode::CREATED,
        position_header(position),
        Json(json!({
            "success": true,
            "data": data,
            "message": "Webhook endpoint registered. Keep the secret: it is not shown again.",
        })),
    ))
}

/// List webhook endpoints
///
/// Your endpoints; administrators see everyone's.
#[utoipa::path(
    get,
    path = "/webhooks",
    tag = "webhooks",
    security(("bearer" = [])),
    params(super::PageQuery, WaitForPosition),
    responses(
        (status = 200, description = "Oldest first.", body = bodies::webhooks::EndpointListResponse),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 503, response = inline(NotYetVisible)),
    ),
)]
async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    ValidQuery(page): ValidQuery<super::PageQuery>,
) -> Result<impl IntoResponse, Error> {
    let (limit, offset) = page.checked()?;
    let data = use_cases::list(&state, &user, limit, offset).await?;
    Ok(Json(json!({ "success": true, "data": data })))
}

/// Show a webhook endpoint
#[utoipa::path(
    get,
    path = "/webhooks/{webhookId}",
    tag = "webhooks",
    security(("bearer" = [])),
    params(WebhookParam, WaitForPosition),
    responses(
        (status = 200, description = "The endpoint.", body = bodies::webhooks::EndpointResponse),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(NotYetVisible)),
    ),
)]
async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    _: Consistent,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let row = use_cases::owned(&state, &user, &id).await?;
    Ok(Json(
        json!({ "success": true, "data": use_cases::EndpointView::from(row) }),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = UpdateWebhookRequest)]
struct UpdateBody {
    #[schema(schema_with = keywords::webhook_url_or_null, required = false)]
    url: Option<String>,
    #[schema(schema_with = keywords::webhook_event_types_or_null, required = false)]
    event_types: Option<Vec<String>>,
    #[schema(max_length = 500)]
    description: Option<String>,
    /// `false` pauses deliveries; `true` resumes them (also after the server disabled a failing endpoint).
    enabled: Option<bool>,
}

/// Change a webhook endpoint
///
/// Absent fields stay as they are.
#[utoipa::path(
    put,
    path = "/webhooks/{webhookId}",
    tag = "webhooks",
    security(("bearer" = [])),
    params(WebhookParam),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The endpoint afterwards.", body = bodies::webhooks::EndpointResponse,
            headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, response = inline(NotFound)),
        (status = 413, response = inline(JsonTooLarge)),
        (status = 503, response = inline(NotYetVisible)),
    ),
)]
async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<UpdateBody>,
) -> Result<impl IntoResponse, Error> {
    let changes = WebhookChanges {
        url: body.url,
        event_types: body.event_types,
        description: body.description,
        enabled: body.enabled,
    };
    let (view, position) = use_cases::update(&state, &ctx, &user, &id, changes).await?;
    Ok((
        position_header(position),
        Json(json!({ "success": true, "data": view })),
    ))
}

/// Delete a webhook endpoint
#[utoipa::path(
    delete,
    path = "/webhooks/{webhookId}",
    tag = "webhooks",
    security(("bearer" = [])),
    params(WebhookParam),
    responses(
        (status = 200, description = "Deleted; nothing more is delivered to it.", body = bodies::webhooks::DeletedResponse,
            headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, response = inline(NotFound)),
        (status = 503, response = inline(NotYetVisible)),
    ),
)]
async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let position = use_cases::delete(&state, &ctx, &user, &id).await?;
    Ok((
        position_header(position),
        Json(json!({ "success": true, "message": "Webhook endpoint deleted." })),
    ))
}

/// Send a test event
///
/// Posts a signed `webhook.test` event to the endpoint now and answers what the receiver said; the delivery is listed with the others.
#[utoipa::path(
    post,
    path = "/webhooks/{webhookId}/test",
    tag = "webhooks",
    security(("bearer" = [])),
    params(WebhookParam),
    responses(
        (status = 200, description = "Sent; `success` says whether the receiver acknowledged it.", body = bodies::webhooks::TestResponse),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, response = inline(NotFound)),
    ),
)]
async fn test(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Error> {
    let result = use_cases::send_test(&state, &user, &id).await?;
    Ok(Json(json!({ "success": result.delivered, "data": result })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveriesQuery {
    /// Only deliveries in this state.
    #[param(value_type = Option<DeliveryStatus>, inline, nullable = false)]
    status: Option<String>,
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    offset: Option<i64>,
}

/// List an endpoint's deliveries
///
/// Newest first; the last 1,000 done deliveries are kept per endpoint, pending ones until they are done.
#[utoipa::path(
    get,
    path = "/webhooks/{webhookId}/deliveries",
    tag = "webhooks",
    security(("bearer" = [])),
    params(WebhookParam, DeliveriesQuery),
    responses(
        (status = 200, description = "Newest first.", body = bodies::webhooks::DeliveryListResponse),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, response = inline(NotFound)),
    ),
)]
async fn deliveries(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ValidQuery(query): ValidQuery<DeliveriesQuery>,
) -> Result<impl IntoResponse, Error> {
    let data = use_cases::deliveries(
        &state,
        &user,
        &id,
        query.status.as_deref(),
        query.limit.unwrap_or(100),
        query.offset.unwrap_or(0),
    )
    .await?;
    Ok(Json(json!({ "success": true, "data": data })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ReplayWebhookRequest)]
struct ReplayBody {
    /// Deliver again every wanted event after this log position (a delivery's `position`, minus one to include it).
    #[schema(schema_with = keywords::log_position, example = "0")]
    after: Value,
}

/// Replay deliveries from a position
///
/// Queues again, with their original ids, the events after `after` that the endpoint wants as it is set now (at most 10,000 per call).
#[utoipa::path(
    post,
    path = "/webhooks/{webhookId}/replay",
    tag = "webhooks",
    security(("bearer" = [])),
    params(WebhookParam),
    request_body = ReplayBody,
    responses(
        (status = 202, description = "Queued.", body = bodies::webhooks::ReplayResponse),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(NotOwner)),
        (status = 404, response = inline(NotFound)),
        (status = 413, response = inline(JsonTooLarge)),
    ),
)]
async fn replay(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<ReplayBody>,
) -> Result<impl IntoResponse, Error> {
    let after = match &body.after {
        Value::Number(n) => crate::json::whole_u64(n),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .filter(|p| i64::try_from(*p).is_ok())
    .ok_or_else(|| Error::invalid("after", "must be a log position"))?;
    let (queued, continue_after) = use_cases::replay(&state, &user, &id, after).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "success": true,
            "data": { "queued": queued, "continueAfter": continue_after.map(|p| p.to_string()) },
        })),
    ))
}
