//! `POST /auth/register` and `POST /auth/login`.

use altegon_commands::handlers::users::{RegisterUser, register_user};
use altegon_commands::password::{hash_password, verify_password};
use altegon_domain::events::Role;
use altegon_domain::validate::{normalized_email, password_policy};
use altegon_projections::models::users;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::OnceCell;
use utoipa::ToSchema;

use crate::auth::CommandCtx;
use crate::consistency::{position_header, wait_until_visible};
use crate::contracts::openapi::bodies;
use crate::contracts::openapi::errors::ErrorBody;
use crate::contracts::openapi::params::IdempotencyKey;
use crate::contracts::openapi::responses::{BadRequest, JsonTooLarge, NotYetVisible};
use crate::error::{Error, FieldError};
use crate::json::ValidJson;
use crate::state::AppState;

/// The one message for every failed login, so it does not tell whether the email exists.
const BAD_CREDENTIALS: &str = "Invalid email or password";

/// `/auth/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
}

// Every field is optional to serde so one answer names all that are missing; the
// contract states them as required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = RegisterRequest)]
struct RegisterBody {
    #[schema(value_type = String, format = Email)]
    email: Option<String>,
    #[schema(value_type = String, max_length = 100)]
    f_name: Option<String>,
    #[schema(value_type = String, max_length = 100)]
    l_name: Option<String>,
    #[schema(value_type = String, max_length = 32)]
    phone_number: Option<String>,
    #[schema(value_type = String, max_length = 100)]
    country: Option<String>,
    #[schema(value_type = String, min_length = 8, max_length = 128)]
    password: Option<String>,
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
    let request = RegisterUser {
        email: email.clone(),
        f_name: f_name.clone(),
        l_name: l_name.clone(),
        phone_number,
        country,
        password,
        role: Role::User,
    };
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
    let user = users::by_email(state.read_pool(), &body.user_name).await?;
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => decoy_hash().await.to_owned(),
    };
    let valid = verify_password(body.password, hash).await;
    let user = match user {
        Some(user) if valid => user,
        _ => return Err(Error::Unauthorized(BAD_CREDENTIALS)),
    };
    let roles = user.role_list();
    let token = state
        .keys
        .issue_access(&user.id, roles.clone())
        .map_err(|e| Error::Internal(e.to_string()))?;
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
