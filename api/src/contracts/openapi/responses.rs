//! Error answers many routes share. Each type's doc comment is the description
//! clients read; routes with a more specific reason state it next to the handler.

#![allow(
    dead_code,
    reason = "the types describe answers built by crate::error; nothing constructs them"
)]

use utoipa::ToResponse;

use super::errors::{ErrorBody, ValidationError};

/// A field is missing or malformed; `field` and `errors` name it.
#[derive(ToResponse)]
pub(crate) struct BadRequest(ValidationError);

/// No valid bearer token (missing, expired, tampered or unsigned).
#[derive(ToResponse)]
pub(crate) struct Unauthorized(ErrorBody);

/// The caller may not act on this resource (only its owner or an admin).
#[derive(ToResponse)]
pub(crate) struct NotOwner(ErrorBody);

/// The caller may not do this (private room, not the host, another user's reports).
#[derive(ToResponse)]
pub(crate) struct NotAllowed(ErrorBody);

/// Administrators only.
#[derive(ToResponse)]
pub(crate) struct AdminOnly(ErrorBody);

/// No such resource.
#[derive(ToResponse)]
pub(crate) struct NotFound(ErrorBody);

/// No such session or room.
#[derive(ToResponse)]
pub(crate) struct NoSession(ErrorBody);

/// The session has ended, or the caller is not in it.
#[derive(ToResponse)]
pub(crate) struct NotInSession(ErrorBody);

/// The JSON body is larger than ALTEGON_MAX_JSON_BODY_BYTES.
#[derive(ToResponse)]
pub(crate) struct JsonTooLarge(ErrorBody);

/// The upload is larger than the configured limit; nothing was kept.
#[derive(ToResponse)]
pub(crate) struct UploadTooLarge(ErrorBody);

/// The change was recorded but read models did not catch up in time (retry the read), or a backend is unavailable. Carries Retry-After.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32)))]
pub(crate) struct NotYetVisible(ErrorBody);

/// Read models did not catch up in time, or a backend (event store, blob storage) is unavailable. Carries Retry-After.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32)))]
pub(crate) struct StorageUnavailable(ErrorBody);

/// Recorded, but read models did not catch up in time; or a backend is unavailable. Carries Retry-After.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32)))]
pub(crate) struct SessionUnavailable(ErrorBody);

/// The summarizer failed.
#[derive(ToResponse)]
pub(crate) struct SummarizerFailed(ErrorBody);

/// Too many requests from this caller on this route group; carries Retry-After (seconds).
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32)))]
pub(crate) struct TooManyRequests(ErrorBody);

/// A backend (event store, read models, blob storage) is unavailable, or read models did not catch up in time. Carries Retry-After.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u32)))]
pub(crate) struct Busy(ErrorBody);

/// The log is not in the state the request needs: `x-altegon-position` past its end, an `Idempotency-Key` used for another kind of request, or a concurrent change (retry).
#[derive(ToResponse)]
pub(crate) struct StateConflict(ErrorBody);
