//! Read-your-writes. A command answers with the global position of its events
//! (header `x-altegon-position`) only once the read models have reached it, so a
//! read that follows sees the write. A client may also send that header on a read
//! to wait for a position it got elsewhere. Waits are bounded
//! (`ALTEGON_READ_YOUR_WRITES_TIMEOUT_MS`); past the bound the answer is 503 with
//! `Retry-After`. A position past the end of the log is a 409 at once (the log is
//! not in the state the request needs), so no client can hold a request for the
//! whole bound with a made-up number.

use axum::extract::FromRequestParts;
use axum::http::HeaderName;
use axum::http::request::Parts;

use crate::error::Error;
use crate::state::AppState;

/// The header carrying a log position.
pub const POSITION_HEADER: HeaderName = HeaderName::from_static("x-altegon-position");

/// Waits until the read models have applied the log up to `position`.
pub async fn wait_until_visible(state: &AppState, position: u64) -> Result<(), Error> {
    state
        .engine
        .wait_for(position, state.read_timeout)
        .await
        .map_err(Into::into)
}

/// A read's consistency requirement: waits for the position in
/// `x-altegon-position` before the handler runs.
#[derive(Debug, Clone, Copy)]
pub struct Consistent;

impl FromRequestParts<AppState> for Consistent {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        if let Some(value) = parts.headers.get(&POSITION_HEADER) {
            let position = value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| Error::invalid("x-altegon-position", "must be a log position"))?;
            ensure_logged(state, position).await?;
            wait_until_visible(state, position).await?;
        }
        Ok(Consistent)
    }
}

/// Refuses a position the log has not reached. The readable end may trail a
/// just-committed write for a moment (PostgreSQL, while older transactions run),
/// so the end is read again briefly before refusing.
async fn ensure_logged(state: &AppState, position: u64) -> Result<(), Error> {
    const GRACE: std::time::Duration = std::time::Duration::from_millis(500);
    const STEP: std::time::Duration = std::time::Duration::from_millis(25);
    let started = tokio::time::Instant::now();
    loop {
        let head = state.store.head_position().await?;
        if position <= head {
            return Ok(());
        }
        if started.elapsed() >= GRACE {
            return Err(Error::Conflict(format!(
                "x-altegon-position {position} is past the end of the log ({head})"
            )));
        }
        tokio::time::sleep(STEP).await;
    }
}

/// The header pair to put on a write's response.
pub fn position_header(position: u64) -> [(HeaderName, String); 1] {
    [(POSITION_HEADER, position.to_string())]
}
