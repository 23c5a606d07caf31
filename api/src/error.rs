//! The one place where failures become HTTP responses. Each variant documents its
//! status; internal details are logged, never sent to the client.

use altegon_commands::CommandError;
use altegon_commands::store::StoreError;
use altegon_domain::DomainError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// One refused field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field as clients spell it.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An error as the API reports it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: fields are missing or malformed; each is named.
    #[error("{}", describe(.0))]
    Validation(Vec<FieldError>),
    /// 401: no valid credentials; says why.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing.
    #[error("{0} not found")]
    NotFound(String),
    /// 409: conflicts with the current state (duplicate, concurrent change).
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than allowed.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 429: the caller used up this route group's allowance.
    #[error("too many requests; retry in {retry_after} s")]
    TooManyRequests {
        /// Seconds until the next request is allowed.
        retry_after: u32,
    },
    /// 503: the change was recorded but read models have not caught up in time.
    #[error(
        "the change was recorded at position {position} but is not readable yet; retry shortly"
    )]
    NotYetVisible {
        /// The position to wait for (also in `x-altegon-position`).
        position: u64,
    },
    /// 503: a service this route depends on failed or is not configured; says which.
    #[error("{0}")]
    Upstream(String),
    /// 503: a backend is unavailable; retry later.
    #[error("service unavailable")]
    Unavailable {
        /// Seconds after which a retry makes sense.
        retry_after: u32,
    },
    /// 500: a bug or corrupt data; details are logged only.
    #[error("internal error")]
    Internal(String),
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// A 400 naming one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }
}

impl From<altegon_projections::ProjectionError> for Error {
    fn from(e: altegon_projections::ProjectionError) -> Self {
        use altegon_projections::ProjectionError as P;
        match e {
            P::NotYetVisible { position } => Error::NotYetVisible { position },
            P::Store(s) => s.into(),
            P::Database(ref d) if matches!(d, sqlx::Error::PoolTimedOut | sqlx::Error::Io(_)) => {
                tracing::error!(error = %e, "read model database unavailable");
                Error::Unavailable { retry_after: 1 }
            }
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<altegon_media::BlobError> for Error {
    fn from(e: altegon_media::BlobError) -> Self {
        use altegon_media::BlobError as B;
        match e {
            B::NotFound => Error::NotFound("file".into()),
            B::TooLarge { .. } => Error::PayloadTooLarge,
            B::Interrupted(m) => {
                Error::invalid("file", format!("the upload did not complete: {m}"))
            }
            B::Config(m) | B::Backend(m) => {
                tracing::error!(error = %m, "blob storage failed");
                Error::Unavailable { retry_after: 5 }
            }
        }
    }
}

impl From<altegon_media::files::FileError> for Error {
    fn from(e: altegon_media::files::FileError) -> Self {
        match e {
            altegon_media::files::FileError::Command(c) => c.into(),
            altegon_media::files::FileError::Blob(b) => b.into(),
        }
    }
}

impl From<altegon_webhooks::WebhookError> for Error {
    fn from(e: altegon_webhooks::WebhookError) -> Self {
        use altegon_webhooks::WebhookError;
        match e {
            WebhookError::Command(c) => c.into(),
            WebhookError::Store(s) => s.into(),
            WebhookError::Database(d) => altegon_projections::ProjectionError::Database(d).into(),
            WebhookError::Seal(_) | WebhookError::Client(_) => Error::Internal(e.to_string()),
        }
    }
}

impl From<CommandError> for Error {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Rejected(d) => d.into(),
            CommandError::Conflict { stream, .. } => {
                Error::Conflict(format!("{stream} is being changed by others; retry"))
            }
            CommandError::Store(s) => s.into(),
            CommandError::Corrupt { .. } | CommandError::Internal(_) => {
                Error::Internal(e.to_string())
            }
        }
    }
}

impl From<DomainError> for Error {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, message } => Error::invalid(field, message),
            DomainError::AlreadyExists(_) | DomainError::EmailTaken => {
                Error::Conflict(e.to_string())
            }
            DomainError::NotFound(what) => Error::NotFound(what.to_owned()),
            DomainError::Forbidden(why) => Error::Forbidden(why.to_owned()),
            DomainError::Conflict(why) => Error::Conflict(why.to_owned()),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::WrongExpectedVersion { .. } | StoreError::EventIdReused => {
                Error::Conflict(e.to_string())
            }
            StoreError::InvalidAppend(m) => Error::invalid("body", m),
            StoreError::Backend(m) => {
                tracing::error!(error = %m, "event store unavailable");
                Error::Unavailable { retry_after: 1 }
            }
            StoreError::Corrupt(m) => Error::Internal(m),
            StoreError::Closed => Error::Unavailable { retry_after: 1 },
        }
    }
}

impl Error {
    /// The HTTP status this error answers with; GraphQL codes follow from it.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Validation(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::NotYetVisible { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Upstream(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds after which a retry makes sense, for the answers that have one.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            Error::Unavailable { retry_after } | Error::TooManyRequests { retry_after } => {
                Some(*retry_after)
            }
            Error::Upstream(_) => Some(5),
            Error::NotYetVisible { .. } => Some(1),
            _ => None,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Error::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        let mut body = json!({ "success": false, "message": self.to_string() });
        match &self {
            Error::Validation(errors) => {
                body["field"] = json!(errors.first().map(|e| &e.field));
                body["errors"] = json!(errors);
            }
            Error::NotYetVisible { position } => body["position"] = json!(position),
            _ => {}
        }
        let mut response = (status, Json(body)).into_response();
        if let Error::NotYetVisible { position } = &self
            && let Ok(v) = HeaderValue::from_str(&position.to_string())
        {
            response
                .headers_mut()
                .insert(crate::consistency::POSITION_HEADER, v);
        }
        if let Some(secs) = self.retry_after()
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_rejections_map_to_client_errors() {
        let status = |e: Error| e.into_response().status();
        assert_eq!(
            status(DomainError::invalid("title", "empty").into()),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(status(DomainError::EmailTaken.into()), StatusCode::CONFLICT);
        assert_eq!(
            status(DomainError::NotFound("meeting").into()),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(DomainError::Forbidden("no").into()),
            StatusCode::FORBIDDEN
        );
        let conflict = CommandError::Conflict {
            stream: "meeting-1".into(),
            attempts: 8,
        };
        assert_eq!(status(conflict.into()), StatusCode::CONFLICT);
    }

    #[test]
    fn backend_failures_ask_to_retry_and_hide_details() {
        let r = Error::from(StoreError::Backend("password=hunter2 refused".into())).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let r = Error::Internal("secret detail".into()).into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
