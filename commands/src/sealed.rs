//! Secrets the server must use again later (webhook signing secrets) are kept in
//! the log sealed: `v1.` + base64(nonce[12] ‖ AES-256-GCM(plain) ‖ tag[16]), under
//! a key derived from one configured secret. The log alone never reveals them, and
//! a changed ciphertext fails its tag instead of yielding a wrong secret.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const PREFIX: &str = "v1.";
const NONCE: usize = 12;

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// No key was configured.
    #[error("no sealing key is configured")]
    NoKey,
    /// Not in the sealed format.
    #[error("not a sealed value")]
    Malformed,
    /// Another key sealed it, or it was changed.
    #[error("the sealed value does not open with this key")]
    WrongKeyOrCorrupted,
}

/// Seals and opens values with one key.
#[derive(Clone)]
pub struct SecretSealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretSealer").finish_non_exhaustive()
    }
}

impl SecretSealer {
    /// A sealer whose key is derived from `secret` (never empty).
    pub fn new(secret: &SecretString) -> Result<Self, SealError> {
        if secret.expose_secret().is_empty() {
            return Err(SealError::NoKey);
        }
        let mut hasher = Sha256::new();
        hasher.update(b"altegon sealed secrets v1\0");
        hasher.update(secret.expose_secret().as_bytes());
        let key = hasher.finalize();
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| SealError::NoKey)?;
        Ok(Self { cipher })
    }

    /// Seals `plain` with a fresh random nonce.
    pub fn seal(&self, plain: &str) -> String {
        let nonce: [u8; NONCE] = rand::random();
        // Encryption only fails for inputs past AES-GCM's 64 GiB bound.
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    /// Opens what [`seal`](Self::seal) produced.
    pub fn open(&self, sealed: &str) -> Result<SecretString, SealError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|raw| raw.len() > NONCE)
            .ok_or(SealError::Malformed)?;
        let (nonce, body) = raw.split_at(NONCE);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| SealError::WrongKeyOrCorrupted)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| SealError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(key: &str) -> SecretSealer {
        SecretSealer::new(&SecretString::from(key)).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_with_its_key_only() {
        let sealed = sealer("one key").seal("whsec_abc");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(
            sealer("one key").open(&sealed).unwrap().expose_secret(),
            "whsec_abc"
        );
        assert_eq!(
            sealer("another key").open(&sealed).unwrap_err(),
            SealError::WrongKeyOrCorrupted
        );
    }

    #[test]
    fn sealing_twice_gives_different_texts() {
        let s = sealer("k");
        assert_ne!(s.seal("x"), s.seal("x"));
    }

    #[test]
    fn changed_or_foreign_texts_are_refused() {
        let s = sealer("k");
        let mut sealed = s.seal("whsec_abc").into_bytes();
        let last = sealed.len() - 3;
        sealed[last] = if sealed[last] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(sealed).unwrap();
        assert!(s.open(&changed).is_err());
        assert_eq!(s.open("plain").unwrap_err(), SealError::Malformed);
        assert!(SecretSealer::new(&SecretString::from("")).is_err());
    }
}
