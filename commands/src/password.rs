//! Password hashing with argon2id (default parameters, random salt). Hashing is
//! slow on purpose, so it runs on the blocking pool.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The argon2id PHC string of `password`.
pub async fn hash_password(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| HashError(e.to_string()))
    })
    .await
    .map_err(|e| HashError(e.to_string()))?
}

/// Whether `password` matches the PHC string `hash`; a malformed hash never matches.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash_password("AB1239001".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("AB1239001".into(), hash.clone()).await);
        assert!(!verify_password("AB1239002".into(), hash).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }
}
