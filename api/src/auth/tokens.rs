//! Signed tokens (HS256 with the configured secret). Access tokens carry the user
//! and roles; room tokens carry a room and the grants the realtime socket enforces.
//! Both are checked for signature, algorithm (never `none`), expiry, issuer and
//! audience.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The audience of access tokens.
const ACCESS_AUDIENCE: &str = "altegon-meet";
/// The audience of room tokens, so neither kind is accepted as the other.
const ROOM_AUDIENCE: &str = "altegon-meet-room";

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user's id.
    pub sub: String,
    /// The user's roles.
    pub roles: Vec<String>,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expires at (seconds).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Token id, for revocation.
    pub jti: String,
}

/// What a room token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RoomGrant {
    /// Enter the room.
    Join,
    /// Send media.
    Publish,
    /// Receive media.
    Subscribe,
    /// Send data-channel and room messages.
    PublishData,
    /// Host controls (mute others, remove participants).
    RoomAdmin,
    /// Stream recordings to the recording server.
    Record,
}

/// What a room token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomClaims {
    /// The user's id.
    pub sub: String,
    /// The room.
    pub room: String,
    /// What the holder may do there.
    pub grants: Vec<RoomGrant>,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expires at (seconds).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Token id.
    pub jti: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Past its expiry.
    #[error("token expired")]
    Expired,
    /// Bad signature, algorithm, issuer, audience or form.
    #[error("invalid token")]
    Invalid,
    /// Signing failed.
    #[error("token could not be signed")]
    Signing,
}

/// Signing and verification keys with their rules.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    access_ttl: Duration,
    room_ttl: Duration,
}

impl JwtKeys {
    /// Keys from the HS256 secret.
    pub fn hs256(
        secret: &SecretString,
        issuer: &str,
        access_ttl: Duration,
        room_ttl: Duration,
    ) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            issuer: issuer.to_owned(),
            access_ttl,
            room_ttl,
        }
    }

    /// How long access tokens live.
    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    /// An access token for `user_id` with `roles`.
    pub fn issue_access(&self, user_id: &str, roles: Vec<String>) -> Result<String, TokenError> {
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user_id.to_owned(),
            roles,
            iat: now,
            exp: now + secs(self.access_ttl),
            iss: self.issuer.clone(),
            aud: ACCESS_AUDIENCE.into(),
            jti: Uuid::now_v7().to_string(),
        };
        self.sign(&claims)
    }

    /// A room token for `user_id` in `room` with `grants`.
    pub fn issue_room(
        &self,
        user_id: &str,
        room: &str,
        grants: Vec<RoomGrant>,
    ) -> Result<(String, RoomClaims), TokenError> {
        let now = Utc::now().timestamp();
        let claims = RoomClaims {
            sub: user_id.to_owned(),
            room: room.to_owned(),
            grants,
            iat: now,
            exp: now + secs(self.room_ttl),
            iss: self.issuer.clone(),
            aud: ROOM_AUDIENCE.into(),
            jti: Uuid::now_v7().to_string(),
        };
        Ok((self.sign(&claims)?, claims))
    }

    /// Checks an access token.
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        self.verify(token, ACCESS_AUDIENCE)
    }

    /// Checks a room token.
    pub fn verify_room(&self, token: &str) -> Result<RoomClaims, TokenError> {
        self.verify(token, ROOM_AUDIENCE)
    }

    fn sign<T: Serialize>(&self, claims: &T) -> Result<String, TokenError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|_| TokenError::Signing)
    }

    fn verify<T: DeserializeOwned>(&self, token: &str, audience: &str) -> Result<T, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[audience]);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::hs256(
            &SecretString::from(secret.to_owned()),
            "altegon-meet",
            Duration::from_secs(60),
            Duration::from_secs(60),
        )
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn an_access_token_round_trips() {
        let k = keys(SECRET);
        let token = k.issue_access("u1", vec!["user".into()]).unwrap();
        let claims = k.verify_access(&token).unwrap();
        assert_eq!(claims.sub, "u1");
        assert_eq!(claims.roles, vec!["user".to_string()]);
    }

    #[test]
    fn another_secret_or_kind_is_refused() {
        let token = keys(SECRET).issue_access("u1", vec![]).unwrap();
        assert_eq!(
            keys("ffffffffffffffffffffffffffffffff").verify_access(&token),
            Err(TokenError::Invalid)
        );
        let (room, _) = keys(SECRET)
            .issue_room("u1", "r1", vec![RoomGrant::Join])
            .unwrap();
        assert_eq!(keys(SECRET).verify_access(&room), Err(TokenError::Invalid));
        assert_eq!(keys(SECRET).verify_room(&token), Err(TokenError::Invalid));
        assert!(keys(SECRET).verify_room(&room).is_ok());
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        use base64::Engine;
        let encode = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let header = encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = encode(
            format!(
                r#"{{"sub":"u1","roles":["admin"],"iat":0,"exp":{},"iss":"altegon-meet","aud":"altegon-meet","jti":"x"}}"#,
                Utc::now().timestamp() + 600
            )
            .as_bytes(),
        );
        let token = format!("{header}.{body}.");
        assert_eq!(keys(SECRET).verify_access(&token), Err(TokenError::Invalid));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let k = JwtKeys::hs256(
            &SecretString::from(SECRET.to_owned()),
            "altegon-meet",
            Duration::ZERO,
            Duration::ZERO,
        );
        let mut claims = k
            .verify_access(&k.issue_access("u1", vec![]).unwrap())
            .unwrap();
        claims.exp = Utc::now().timestamp() - 60;
        let token = k.sign(&claims).unwrap();
        assert_eq!(k.verify_access(&token), Err(TokenError::Expired));
    }
}
