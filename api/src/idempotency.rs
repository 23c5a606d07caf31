//! Ties an `Idempotency-Key` to the request that carried it. A middleware digests
//! each keyed JSON request (method, path and query, body) before the handlers see
//! it; the digest rides in the command context into the events' metadata, and the
//! command pipeline refuses a later request with the same key and another digest
//! (409) instead of answering it with the first request's outcome.
//!
//! The digest is an HMAC under `ALTEGON_IDEMPOTENCY_SECRET`: bodies may hold
//! passwords, and a plain hash of one kept in the log could be tested against
//! guesses.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::error::Error;
use crate::state::AppState;

/// The digest of a keyed request, for [`crate::auth::CommandCtx`].
#[derive(Debug, Clone)]
pub struct RequestDigest(pub String);

/// Digests requests under the server's idempotency secret.
pub struct RequestDigests {
    mac: Hmac<Sha256>,
}

impl RequestDigests {
    /// A digester keyed by `secret`.
    pub fn new(secret: &SecretString) -> Self {
        // HMAC takes keys of any length.
        let mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        Self { mac }
    }

    /// The digest of one request.
    pub fn digest(&self, method: &str, path_and_query: &str, body: &[u8]) -> String {
        let mut mac = self.mac.clone();
        for part in [method.as_bytes(), path_and_query.as_bytes()] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Whether the request's body is JSON (or absent): uploads are streamed, never
/// held to be digested, so they are compared by their key alone.
fn json_or_empty(request: &Request) -> bool {
    match request.headers().get(axum::http::header::CONTENT_TYPE) {
        None => true,
        Some(value) => value.to_str().is_ok_and(|v| {
            let mime = v.split(';').next().unwrap_or("").trim();
            mime.eq_ignore_ascii_case("application/json")
                || mime.to_ascii_lowercase().ends_with("+json")
        }),
    }
}

/// Digests a keyed JSON request and passes it on with its digest.
pub async fn digest_keyed_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !request.headers().contains_key("idempotency-key") || !json_or_empty(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, state.config.max_json_body_bytes).await else {
        // Over the limit, or the client went away mid-body.
        return Error::PayloadTooLarge.into_response();
    };
    let path_and_query = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let digest = state
        .request_digests
        .digest(parts.method.as_str(), path_and_query, &bytes);
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(RequestDigest(digest));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digests() -> RequestDigests {
        RequestDigests::new(&SecretString::from("k".repeat(32)))
    }

    #[test]
    fn the_same_request_has_the_same_digest() {
        let d = digests();
        assert_eq!(
            d.digest("POST", "/meetings", br#"{"title":"a"}"#),
            d.digest("POST", "/meetings", br#"{"title":"a"}"#)
        );
    }

    #[test]
    fn another_body_path_or_method_is_another_request() {
        let d = digests();
        let first = d.digest("POST", "/meetings", br#"{"title":"a"}"#);
        assert_ne!(first, d.digest("POST", "/meetings", br#"{"title":"b"}"#));
        assert_ne!(first, d.digest("POST", "/rooms", br#"{"title":"a"}"#));
        assert_ne!(first, d.digest("PUT", "/meetings", br#"{"title":"a"}"#));
        // Parts are length-prefixed: moving bytes between them changes the digest.
        assert_ne!(d.digest("POST", "/a", b"b"), d.digest("POST", "/", b"ab"));
    }

    #[test]
    fn digests_depend_on_the_secret() {
        let other = RequestDigests::new(&SecretString::from("o".repeat(32)));
        assert_ne!(
            digests().digest("POST", "/meetings", b"{}"),
            other.digest("POST", "/meetings", b"{}")
        );
    }
}
