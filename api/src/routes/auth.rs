//! `POST /auth/register`, `POST /auth/login`, `POST /auth/logout` and
//! `POST /auth/revoke` (administrators).

use altegon_commands::handlers::users::{RegisterUser, register_user};
use altegon_domain::events::Role;
use altegon_domain::validate::{normalized_email, password_policy};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{AuthUser, CommandCtx, LoggedIn, log_in, log_out, revoke_tokens_of};
use crate::consistency::{position_header, wait_until_visible};
use crate::contracts::openapi::bodies;
use crate::contracts::openapi::errors::ErrorBody;
use crate::contracts::openapi::params::IdempotencyKey;
use crate::contracts::openapi::responses::{
    AdminOnly, BadRequest, JsonTooLarge, NotFound, NotYetVisible, Unauthorized,
};
use crate::error::{Error, FieldError};
use crate::json::ValidJson;
use crate::state::AppState;

/// `/auth/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/revoke", post(revoke))
}

// Every field is optional to serde so one answer names all that are missing; the
// contract states them as required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = RegisterRequest)]
pub(crate) struct RegisterBody {
    #[schema(value_type = String, format = Email)]
    pub(crate) email: Option<String>,
    #[schema(value_type = String, max_length = 100, pattern = r"\S")]
    pub(crate) f_name: Option<String>,
    #[schema(value_type = String, max_length = 100, pattern = r"\S")]
    pub(crate) l_name: Option<String>,
    /// Digits, `+`, `-`, spaces and parentheses.
    #[schema(value_type = String, max_length = 32, pattern = r"^\s*[0-9+()-]([0-9+() -]*[0-9+()-])?\s*$")]
    pub(crate) phone_number: Option<String>,
    #[schema(value_type = String, max_length = 100, pattern = r"\S")]
    pub(crate) country: Option<String>,
    #[schema(value_type = String, min_length = 8, max_length = 128)]
    pub(crate) password: Option<String>,
}

/// Names every missing field at once, then the malformed ones.
fn required(errors: &mut Vec<FieldError>, field: &str, value: &Option<String>) -> String {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => v.to_owned(),
        _ => {
            errors.push(FieldError {
                field: field.into(),
                message: "is required".into(),
            });
            String::new()
        }
    }
}

/// The registration command, once every field is present and well formed; a
/// 400 names every missing field at once, then the malformed ones.
pub(crate) fn registration(body: RegisterBody) -> Result<RegisterUser, Error> {
    let mut errors = Vec::new();
    let email = required(&mut errors, "email", &body.email);
    let f_name = required(&mut errors, "fName", &body.f_name);
    let l_name = required(&mut errors, "lName", &body.l_name);
    let phone_number = required(&mut errors, "phoneNumber", &body.phone_number);
    let country = required(&mut errors, "country", &body.country);
    let password = body.password.unwrap_or_default();
    let mut check = |result: Result<_, altegon_domain::DomainError>| {
        if let Err(altegon_domain::DomainError::Invalid { field, message }) = result
            && !errors.iter().any(|e| e.field == field)
        {
            errors.push(FieldError {
                field: field.into(),
                message,
            });
        }
    };
    if !email.is_empty() {
        check(normalized_email(&email).map(|_| ()));
    }
    check(password_policy(&password));
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok(RegisterUser {
        email,
        f_name,
        l_name,
        phone_number,
        country,
        password,
        role: Role::User,
    })
}

/// Register a user
#[utoipa::path(
    post,
    path = "/auth/register",
    tag = "auth",
    params(IdempotencyKey),
    request_body = RegisterBody,
    responses(
        (status = 201, description = "Created.", body = bodies::auth::RegisterResponse,
            headers(("x-altegon-position" = u64, description = "Global log position of the change; send it back on a read to wait for it."))),
        (status = 400, response = inline(BadRequest)),
        (status = 409, description = "The email is already registered (case-insensitively).", body = ErrorBody),
        (status = 413, response = inline(JsonTooLarge)),
        (status = 503, response = inline(NotYetVisible)),
    ),
)]
async fn register(
    State(state): State<AppState>,
    CommandCtx(ctx): CommandCtx,
    ValidJson(body): ValidJson<RegisterBody>,
) -> Result<impl IntoResponse, Error> {
    let request = registration(body)?;
    let (email, f_name, l_name) = (
        request.email.clone(),
        request.f_name.clone(),
        request.l_name.clone(),
    );
    let registered = register_user(&state.bus, &ctx, request).await?;
    wait_until_visible(&state, registered.position).await?;
    Ok((
        StatusCode::CREATED,
        position_header(registered.position),
        Json(json!({
            "success": true,
            "message": "User created successfully",
            "data": { "user": {
                "fName": f_name,
                "lName": l_name,
                "email": email,
                "_id": registered.user_id,
            }},
        })),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = LoginRequest)]
struct LoginBody {
    /// The account's email.
    user_name: String,
    password: String,
}

/// Log in
///
/// The response shape is not given by the reference; this one carries the token and the user with roles. Unknown email and wrong password get the same 401.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in.", body = bodies::auth::LoginResponse),
        (status = 400, response = inline(BadRequest)),
        (status = 401, description = "Invalid email or password.", body = ErrorBody),
    ),
)]
async fn login(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<LoginBody>,
) -> Result<impl IntoResponse, Error> {
    let LoggedIn { user, roles, token } = log_in(&state, &body.user_name, body.password).await?;
    Ok(Json(json!({
        "success": true,
        "message": "Login successful",
        "data": {
            "token": token,
            "tokenType": "Bearer",
            "expiresIn": state.keys.access_ttl().as_secs(),
            "user": {
                "_id": user.id,
                "fName": user.f_name,
                "lName": user.l_name,
                "email": user.email,
                "roles": roles,
            },
        },
    })))
}

/// Log out
///
/// Revokes the access token this request carries: from now on every server
/// process answers it with 401 `token revoked`, until it would have expired.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "The token is revoked."),
        (status = 401, response = inline(Unauthorized)),
        (status = 503, response = inline(NotYetVisible)),
    ),
    security(("bearer" = [])),
)]
async fn logout(
    State(state): State<AppState>,
    user: AuthUser,
    CommandCtx(ctx): CommandCtx,
) -> Result<StatusCode, Error> {
    log_out(&state, &ctx, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = RevokeTokensRequest)]
struct RevokeBody {
    /// The account whose tokens are revoked.
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    user_id: String,
}

/// Revoke a user's tokens
///
/// Administrators only: every access token the account holds now is refused
/// from now on (the user logs in again for a new one).
#[utoipa::path(
    post,
    path = "/auth/revoke",
    tag = "auth",
    request_body = RevokeBody,
    responses(
        (status = 204, description = "The account's tokens are revoked."),
        (status = 400, response = inline(BadRequest)),
        (status = 401, response = inline(Unauthorized)),
        (status = 403, response = inline(AdminOnly)),
        (status = 404, response = inline(NotFound)),
        (status = 413, response = inline(JsonTooLarge)),
        (status = 503, response = inline(NotYetVisible)),
    ),
    security(("bearer" = [])),
)]
async fn revoke(
    State(state): State<AppState>,
    admin: AuthUser,
    CommandCtx(ctx): CommandCtx,
    ValidJson(body): ValidJson<RevokeBody>,
) -> Result<StatusCode, Error> {
    admin.must_be_admin()?;
    let user_id = crate::routes::parse_id("userId", &body.user_id)?;
    revoke_tokens_of(&state, &ctx, &admin, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
