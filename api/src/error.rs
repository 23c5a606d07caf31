//! The one place where failures become HTTP responses. Each variant documents its
//! status; internal details are logged, never sent to the client.

use altegon_commands::CommandError;
use altegon_commands::store::StoreError;
use altegon_domain::DomainError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error as the API reports it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: a field is missing or malformed; names the field.
    #[error("{field}: {message}")]
    BadRequest {
        /// The field as clients spell it.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// 401: no valid credentials.
    #[error("authentication required")]
    Unauthorized,
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing.
    #[error("{0} not found")]
    NotFound(String),
    /// 409: conflicts with the current state (duplicate, concurrent change).
    #[error("{0}")]
    Conflict(String),
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
            DomainError::Invalid { field, message } => Error::BadRequest {
                field: field.to_owned(),
                message,
            },
            DomainError::AlreadyExists(_) | DomainError::EmailTaken => {
                Error::Conflict(e.to_string())
            }
            DomainError::NotFound(what) => Error::NotFound(what.to_owned()),
            DomainError::Forbidden(why) => Error::Forbidden(why.to_owned()),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::WrongExpectedVersion { .. } | StoreError::EventIdReused => {
                Error::Conflict(e.to_string())
            }
            StoreError::InvalidAppend(m) => Error::BadRequest {
                field: "body".into(),
                message: m,
            },
            StoreError::Backend(m) => {
                tracing::error!(error = %m, "event store unavailable");
                Error::Unavailable { retry_after: 1 }
            }
            StoreError::Corrupt(m) => Error::Internal(m),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = match &self {
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut body = json!({ "success": false, "message": self.to_string() });
        if let Error::BadRequest { field, .. } = &self {
            body["field"] = json!(field);
        }
        let mut response = (status, Json(body)).into_response();
        if let Error::Unavailable { retry_after } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
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
