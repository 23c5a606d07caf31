//! Signed download URLs for the local blob backend, with the semantics of an Azure
//! read-only blob SAS: one blob, read only, until an expiry time. The server that
//! issued a URL serves it at `/blobs/{path}` after [`LocalUrlSigner::verify`].

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::Url;

use super::BlobError;

type HmacSha256 = Hmac<Sha256>;

/// Where signed local URLs are served.
pub const ROUTE_PREFIX: &str = "blobs";

/// Signs and checks local download URLs with an HMAC-SHA256 key.
#[derive(Clone)]
pub struct LocalUrlSigner {
    key: Vec<u8>,
    base: Url,
}

impl std::fmt::Debug for LocalUrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalUrlSigner")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// Why a signed URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Past its expiry.
    #[error("the signed URL has expired")]
    Expired,
    /// Missing, malformed or not made by this server for this blob.
    #[error("the signature does not match")]
    Invalid,
}

impl LocalUrlSigner {
    /// A signer whose URLs start with `base` (the server's public address).
    pub fn new(key: &[u8], base: &str) -> Result<Self, BlobError> {
        let base = Url::parse(base)
            .map_err(|e| BlobError::Config(format!("public base URL `{base}`: {e}")))?;
        if base.cannot_be_a_base() {
            return Err(BlobError::Config("public base URL must be http(s)".into()));
        }
        Ok(Self {
            key: key.to_vec(),
            base,
        })
    }

    fn mac(&self, path: &str, expires: i64) -> HmacSha256 {
        // new_from_slice accepts keys of any length.
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(format!("r\n{path}\n{expires}").as_bytes());
        mac
    }

    /// The unsigned address of a blob (what listings show as `blobUrl`).
    pub fn blob_url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .push(ROUTE_PREFIX)
                .extend(path.split('/'));
        }
        url
    }

    /// A URL that reads `path` until `expires_at`.
    pub fn sign(&self, path: &str, expires_at: DateTime<Utc>) -> Url {
        let expires = expires_at.timestamp();
        let sig = hex::encode(self.mac(path, expires).finalize().into_bytes());
        let mut url = self.blob_url(path);
        url.query_pairs_mut()
            .append_pair("sp", "r")
            .append_pair("se", &expires.to_string())
            .append_pair("sig", &sig);
        url
    }

    /// Checks the query of a request for `path` at time `now`.
    pub fn verify(
        &self,
        path: &str,
        sp: Option<&str>,
        se: Option<&str>,
        sig: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        let (Some("r"), Some(se), Some(sig)) = (sp, se, sig) else {
            return Err(SignatureError::Invalid);
        };
        let expires: i64 = se.parse().map_err(|_| SignatureError::Invalid)?;
        let sig = hex::decode(sig).map_err(|_| SignatureError::Invalid)?;
        self.mac(path, expires)
            .verify_slice(&sig)
            .map_err(|_| SignatureError::Invalid)?;
        if now.timestamp() >= expires {
            return Err(SignatureError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn signer() -> LocalUrlSigner {
        LocalUrlSigner::new(b"0123456789abcdef0123456789abcdef", "http://127.0.0.1:8080").unwrap()
    }

    fn query(url: &Url, name: &str) -> Option<String> {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    fn check(
        s: &LocalUrlSigner,
        path: &str,
        url: &Url,
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        s.verify(
            path,
            query(url, "sp").as_deref(),
            query(url, "se").as_deref(),
            query(url, "sig").as_deref(),
            now,
        )
    }

    #[test]
    fn a_signed_url_reads_its_blob_until_it_expires() {
        let s = signer();
        let now = Utc::now();
        let path = "recordings/u/r/1/meeting 1.mp4";
        let url = s.sign(path, now + Duration::minutes(60));
        assert!(
            url.path()
                .starts_with("/blobs/recordings/u/r/1/meeting%201.mp4")
        );
        assert_eq!(check(&s, path, &url, now), Ok(()));
        assert_eq!(
            check(&s, path, &url, now + Duration::minutes(61)),
            Err(SignatureError::Expired)
        );
    }

    #[test]
    fn another_blob_or_an_altered_expiry_is_refused() {
        let s = signer();
        let now = Utc::now();
        let url = s.sign("a/b.mp4", now + Duration::minutes(5));
        assert_eq!(
            check(&s, "a/c.mp4", &url, now),
            Err(SignatureError::Invalid)
        );
        let se = query(&url, "se").unwrap().parse::<i64>().unwrap() + 3600;
        assert_eq!(
            s.verify(
                "a/b.mp4",
                Some("r"),
                Some(&se.to_string()),
                query(&url, "sig").as_deref(),
                now
            ),
            Err(SignatureError::Invalid)
        );
        let other = LocalUrlSigner::new(b"another key entirely............", "http://x").unwrap();
        assert_eq!(
            check(&other, "a/b.mp4", &url, now),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            s.verify("a/b.mp4", None, None, None, now),
            Err(SignatureError::Invalid)
        );
    }
}
