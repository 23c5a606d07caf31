//! API errors as GraphQL errors: the same messages as REST, with a
//! machine-readable `code` extension (`UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`,
//! `CONFLICT`, `BAD_USER_INPUT`, `UNAVAILABLE`, `INTERNAL_SERVER_ERROR`).

use async_graphql::ErrorExtensions;

use crate::error::Error;

impl ErrorExtensions for Error {
    fn extend(&self) -> async_graphql::Error {
        let message = self.to_string();
        async_graphql::Error::new(message).extend_with(|_, ext| match self {
            Error::Validation(fields) => {
                ext.set("code", "BAD_USER_INPUT");
                if let Some(first) = fields.first() {
                    ext.set("field", first.field.as_str());
                }
            }
            Error::PayloadTooLarge => ext.set("code", "BAD_USER_INPUT"),
            Error::Unauthorized(_) => ext.set("code", "UNAUTHENTICATED"),
            Error::Forbidden(_) => ext.set("code", "FORBIDDEN"),
            Error::NotFound(_) => ext.set("code", "NOT_FOUND"),
            Error::Conflict(_) => ext.set("code", "CONFLICT"),
            Error::NotYetVisible { position } => {
                ext.set("code", "UNAVAILABLE");
                ext.set("position", position.to_string());
                ext.set("retryAfter", 1);
            }
            Error::Upstream(_) => {
                ext.set("code", "UNAVAILABLE");
                ext.set("retryAfter", 5);
            }
            Error::Unavailable { retry_after } => {
                ext.set("code", "UNAVAILABLE");
                ext.set("retryAfter", *retry_after);
            }
            Error::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                ext.set("code", "INTERNAL_SERVER_ERROR");
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
