//! `GET /blobs/{path}`: serves a blob of the local backend to holders of a URL
//! signed by this server (see `sas-url`), with an Azure SAS's semantics: read
//! only, one blob, refused (403) once expired or altered.

use altegon_media::blob::SignatureError;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::contracts::openapi::errors::ErrorBody;
use crate::contracts::openapi::keywords::ReadPermission;
use crate::contracts::openapi::responses::NotFound;
use crate::error::Error;
use crate::json::ValidQuery;
use crate::state::AppState;

/// The signed download route.
pub fn router() -> Router<AppState> {
    Router::new().route("/blobs/{*path}", get(read))
}

// Optional to serde so an unsigned request gets the signature's 403, not a 400.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Signature {
    #[param(required = true, value_type = ReadPermission, inline)]
    sp: Option<String>,
    /// Expiry, seconds since 1970.
    #[param(required = true, value_type = i64)]
    se: Option<String>,
    #[param(required = true)]
    sig: Option<String>,
}

/// Download through a URL signed by this server (local blob backend)
#[utoipa::path(
    get,
    path = "/blobs/{path}",
    tag = "storage",
    params(("path" = String, Path), Signature),
    responses(
        (status = 200, description = "The bytes.", content_type = "application/octet-stream"),
        (status = 403, description = "Expired, altered, or not signed for this blob.", body = ErrorBody),
        (status = 404, response = inline(NotFound)),
    ),
)]
async fn read(
    State(state): State<AppState>,
    Path(path): Path<String>,
    ValidQuery(q): ValidQuery<Signature>,
) -> Result<impl IntoResponse, Error> {
    let signer = state
        .blobs
        .local_signer()
        .ok_or_else(|| Error::NotFound("blob".into()))?;
    signer
        .verify(
            &path,
            q.sp.as_deref(),
            q.se.as_deref(),
            q.sig.as_deref(),
            chrono::Utc::now(),
        )
        .map_err(|e| match e {
            SignatureError::Expired => Error::Forbidden("the signed URL has expired".into()),
            SignatureError::Invalid => Error::Forbidden("the signature does not match".into()),
        })?;
    let read = state.blobs.get(&path).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, read.size.to_string()),
        ],
        Body::from_stream(read.stream),
    ))
}
