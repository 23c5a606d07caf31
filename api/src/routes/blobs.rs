//! `GET /blobs/{path}`: serves a blob of the local backend to holders of a URL
//! signed by this server (see `sas-url`), with an Azure SAS's semantics: read
//! only, one blob, refused (403) once expired or altered.

use altegon_media::blob::SignatureError;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;

use crate::error::Error;
use crate::state::AppState;

/// The signed download route.
pub fn router() -> Router<AppState> {
    Router::new().route("/blobs/{*path}", get(read))
}

#[derive(Debug, Deserialize)]
struct Signature {
    sp: Option<String>,
    se: Option<String>,
    sig: Option<String>,
}

async fn read(
    State(state): State<AppState>,
    Path(path): Path<String>,
    Query(q): Query<Signature>,
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
