//! `/auth/register` and `/auth/login`.

use utoipa::ToSchema;

use crate::contracts::openapi::keywords;

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct UserSummary {
    #[schema(rename = "_id", required = false)]
    id: String,
    #[schema(required = false)]
    f_name: String,
    #[schema(required = false)]
    l_name: String,
    #[schema(required = false)]
    email: String,
}

#[derive(ToSchema)]
pub(crate) struct RegisterResponse {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false, example = "User created successfully")]
    message: String,
    #[schema(required = false, inline)]
    data: Registered,
}

#[derive(ToSchema)]
pub(crate) struct Registered {
    #[schema(required = false)]
    user: UserSummary,
}

#[derive(ToSchema)]
pub(crate) struct LoginResponse {
    #[schema(required = false)]
    success: bool,
    #[schema(required = false, example = "Login successful")]
    message: String,
    #[schema(required = false, inline)]
    data: LoggedIn,
}

#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct LoggedIn {
    /// HS256 JWT with sub, roles, iat, exp, iss, aud, jti.
    #[schema(required = false)]
    token: String,
    #[schema(required = false, schema_with = keywords::bearer)]
    token_type: String,
    /// Seconds.
    #[schema(required = false)]
    expires_in: u64,
    #[schema(required = false, inline)]
    user: UserWithRoles,
}

#[derive(ToSchema)]
pub(crate) struct UserWithRoles {
    #[serde(flatten)]
    summary: UserSummary,
    #[schema(required = false, inline)]
    roles: Vec<RoleName>,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub(crate) enum RoleName {
    User,
    Admin,
}
