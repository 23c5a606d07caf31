//! API errors as GraphQL errors: the same messages as REST, with a
//! machine-readable `code` extension derived from the REST status (`UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`,
//! `CONFLICT`, `BAD_USER_INPUT`, `RATE_LIMITED`, `UNAVAILABLE`, `INTERNAL_SERVER_ERROR`).

use async_graphql::ErrorExtensions;
use axum::http::StatusCode;

use crate::error::Error;

impl ErrorExtensions for Error {
    fn extend(&self) -> async_graphql::Error {
        let status = self.status();
        let code = match status {
            StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE => "BAD_USER_INPUT",
            StatusCode::UNAUTHORIZED => "UNAUTHENTICATED",
            StatusCode::FORBIDDEN => "FORBIDDEN",
            StatusCode::NOT_FOUND => "NOT_FOUND",
            StatusCode::CONFLICT => "CONFLICT",
            StatusCode::TOO_MANY_REQUESTS => "RATE_LIMITED",
            StatusCode::SERVICE_UNAVAILABLE => "UNAVAILABLE",
            _ => "INTERNAL_SERVER_ERROR",
        };
        if let Error::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error");
        }
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Error::Validation(fields) = self
                && let Some(first) = fields.first()
            {
                ext.set("field", first.field.as_str());
            }
            if let Error::NotYetVisible { position } = self {
                ext.set("position", position.to_string());
            }
            if let Some(secs) = self.retry_after() {
                ext.set("retryAfter", secs);
            }
        })
    }
}

/// An id argument, parsed; a malformed one is `BAD_USER_INPUT` naming `field`.
pub fn id_arg<T: std::str::FromStr>(
    field: &str,
    value: &async_graphql::ID,
) -> async_graphql::Result<T> {
    crate::routes::parse_id(field, value.as_str()).gql()
}

/// `?` for resolvers: API errors become GraphQL errors with their code.
pub trait OrGraphql<T> {
    /// The result with the error converted.
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<Error>> OrGraphql<T> for Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.into().extend())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(e: Error) -> String {
        let e = e.extend();
        let ext = e.extensions.expect("extensions");
        ext.get("code").expect("code").to_string()
    }

    #[test]
    fn each_kind_of_failure_has_its_code() {
        assert_eq!(code(Error::invalid("title", "empty")), "\"BAD_USER_INPUT\"");
        assert_eq!(code(Error::Unauthorized("no")), "\"UNAUTHENTICATED\"");
        assert_eq!(code(Error::Forbidden("no".into())), "\"FORBIDDEN\"");
        assert_eq!(code(Error::NotFound("meeting".into())), "\"NOT_FOUND\"");
        assert_eq!(code(Error::Conflict("taken".into())), "\"CONFLICT\"");
    }

    #[test]
    fn internal_details_stay_in_the_log() {
        let e = Error::Internal("password=hunter2".into()).extend();
        assert_eq!(e.message, "internal error");
    }
}
