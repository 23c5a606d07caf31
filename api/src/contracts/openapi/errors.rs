//! The error bodies, as [`crate::error::Error`] renders them.

#![allow(
    dead_code,
    reason = "the types describe bodies built with json!; nothing constructs them"
)]

use utoipa::ToSchema;

use super::keywords;
use crate::error::FieldError;

#[derive(ToSchema)]
#[schema(as = Error)]
pub(crate) struct ErrorBody {
    #[schema(schema_with = keywords::always_false)]
    success: bool,
    message: String,
    /// On a read-your-writes timeout: the position to wait for.
    #[schema(required = false)]
    position: u64,
}

#[derive(ToSchema)]
pub(crate) struct ValidationError {
    #[serde(flatten)]
    error: ErrorBody,
    /// The first field at fault.
    #[schema(required = false)]
    field: String,
    #[schema(required = false)]
    errors: Vec<FieldError>,
}
