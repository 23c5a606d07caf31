//! Request signatures as the Standard Webhooks specification defines them, so
//! receivers can use its libraries or a few lines of their own:
//! `webhook-signature: v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))`,
//! where the key is the base64 part of the endpoint's `whsec_…` secret. The
//! timestamp is signed too, so a receiver that refuses old timestamps refuses
//! replays.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header carrying the delivery id (the same on every attempt).
pub const ID_HEADER: &str = "webhook-id";
/// Header carrying the unix time (seconds) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// Header carrying the signature(s).
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// Why a secret or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The secret is not `whsec_` followed by base64.
    #[error("the signing secret is malformed")]
    BadSecret,
    /// No signature in the header matches.
    #[error("no signature matches")]
    Mismatch,
    /// The timestamp is too far from now.
    #[error("the timestamp is outside the accepted window")]
    Stale,
}

/// The HMAC key of a `whsec_…` secret.
pub fn key_of(secret: &str) -> Result<Vec<u8>, SignatureError> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    STANDARD
        .decode(encoded)
        .ok()
        .filter(|k| !k.is_empty())
        .ok_or(SignatureError::BadSecret)
}

/// The `webhook-signature` value for a request.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = keyed(key, id, timestamp, body).finalize().into_bytes();
    format!("v1,{}", STANDARD.encode(digest))
}

/// The MAC over `{id}.{timestamp}.{body}`, ready to finalize or verify.
fn keyed(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Checks a request as a receiver would: one of the space-separated `v1,…`
/// signatures must match (compared in constant time), and the timestamp must be
/// within `tolerance_secs` of `now`.
pub fn verify(
    key: &[u8],
    id: &str,
    timestamp: i64,
    body: &[u8],
    header: &str,
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    if (now - timestamp).abs() > tolerance_secs {
        return Err(SignatureError::Stale);
    }
    let mac = keyed(key, id, timestamp, body);
    let matches = header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| STANDARD.decode(s).ok())
        .any(|given| mac.clone().verify_slice(&given).is_ok());
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test vector published with the Standard Webhooks specification.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const EXPECTED: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signatures_match_the_specification_vector() {
        let key = key_of(SECRET).unwrap();
        assert_eq!(sign(&key, ID, TS, BODY), EXPECTED);
    }

    #[test]
    fn receivers_accept_a_matching_signature_among_several() {
        let key = key_of(SECRET).unwrap();
        let header = format!("v1,bm9wZQ== {EXPECTED}");
        assert_eq!(verify(&key, ID, TS, BODY, &header, TS + 10, 300), Ok(()));
    }

    #[test]
    fn changed_bodies_ids_and_old_timestamps_are_refused() {
        let key = key_of(SECRET).unwrap();
        assert_eq!(
            verify(&key, ID, TS, b"{}", EXPECTED, TS, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&key, "msg_other", TS, BODY, EXPECTED, TS, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&key, ID, TS, BODY, EXPECTED, TS + 301, 300),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn malformed_secrets_are_refused() {
        assert_eq!(key_of("whsec_***"), Err(SignatureError::BadSecret));
        assert_eq!(key_of("whsec_"), Err(SignatureError::BadSecret));
    }
}
