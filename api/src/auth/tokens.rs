//! Signed tokens. Access tokens carry the user and roles, signed with HS256 and
//! the configured secret, or with RS256/ES256 and a configured key pair (or only
//! its public key, when an identity provider issues them); room tokens carry a
//! room and the grants the realtime socket enforces, always HS256 with the
//! secret. Both are checked for signature, algorithm (exactly the configured one;
//! never `none`), expiry, issuer and audience.

use std::sync::Arc;
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
    /// The room's `maxParticipants` when the token was issued: the media limits.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "maxParticipants"
    )]
    pub max_participants: Option<u32>,
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
    /// This server only verifies access tokens (it has no private key).
    #[error("access tokens are issued by the identity provider, not by this server")]
    NotIssued,
    /// A configured key does not parse.
    #[error("{0}")]
    BadKey(String),
}

/// The algorithm of access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessAlgorithm {
    /// HMAC-SHA256 with the shared secret.
    Hs256,
    /// RSA PKCS#1 v1.5 with SHA-256.
    Rs256,
    /// ECDSA P-256 with SHA-256.
    Es256,
}

impl std::str::FromStr for AccessAlgorithm {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Self, TokenError> {
        match s.to_ascii_uppercase().as_str() {
            "HS256" => Ok(Self::Hs256),
            "RS256" => Ok(Self::Rs256),
            "ES256" => Ok(Self::Es256),
            _ => Err(TokenError::BadKey(format!(
                "unknown JWT algorithm {s:?}; use HS256, RS256 or ES256"
            ))),
        }
    }
}

/// Keys of one kind of token.
struct KeyPair {
    algorithm: Algorithm,
    /// `None`: tokens of this kind are only verified here.
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
}

/// Signing and verification keys with their rules. Cloned with every copy of
/// the server state (several times a request), so the keys are shared.
#[derive(Clone)]
pub struct JwtKeys {
    access: Arc<KeyPair>,
    room: Arc<KeyPair>,
    issuer: Arc<str>,
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
        let pair = Arc::new(KeyPair {
            algorithm: Algorithm::HS256,
            encoding: Some(EncodingKey::from_secret(bytes)),
            decoding: DecodingKey::from_secret(bytes),
        });
        Self {
            access: pair.clone(),
            room: pair,
            issuer: issuer.into(),
            access_ttl,
            room_ttl,
        }
    }

    /// Access tokens with `algorithm` and PEM keys: the public key verifies, the
    /// private key (when given) signs. HS256 keeps the secret's keys.
    pub fn with_access_keys(
        mut self,
        algorithm: AccessAlgorithm,
        public_pem: &[u8],
        private_pem: Option<&[u8]>,
    ) -> Result<Self, TokenError> {
        let bad = |what: &str, e: jsonwebtoken::errors::Error| {
            TokenError::BadKey(format!("the JWT {what} key does not parse: {e}"))
        };
        self.access = Arc::new(match algorithm {
            AccessAlgorithm::Hs256 => return Ok(self),
            AccessAlgorithm::Rs256 => KeyPair {
                algorithm: Algorithm::RS256,
                decoding: DecodingKey::from_rsa_pem(public_pem).map_err(|e| bad("public", e))?,
                encoding: private_pem
                    .map(EncodingKey::from_rsa_pem)
                    .transpose()
                    .map_err(|e| bad("private", e))?,
            },
            AccessAlgorithm::Es256 => KeyPair {
                algorithm: Algorithm::ES256,
                decoding: DecodingKey::from_ec_pem(public_pem).map_err(|e| bad("public", e))?,
                encoding: private_pem
                    .map(EncodingKey::from_ec_pem)
                    .transpose()
                    .map_err(|e| bad("private", e))?,
            },
        });
        Ok(self)
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
            iss: self.issuer.to_string(),
            aud: ACCESS_AUDIENCE.into(),
            jti: Uuid::now_v7().to_string(),
        };
        sign(&self.access, &claims)
    }

    /// A room token for `user_id` in `room` with `grants`.
    pub fn issue_room(
        &self,
        user_id: &str,
        room: &str,
        grants: Vec<RoomGrant>,
        max_participants: Option<u32>,
    ) -> Result<(String, RoomClaims), TokenError> {
        let now = Utc::now().timestamp();
        let claims = RoomClaims {
            sub: user_id.to_owned(),
            room: room.to_owned(),
            grants,
            iat: now,
            exp: now + secs(self.room_ttl),
            iss: self.issuer.to_string(),
            aud: ROOM_AUDIENCE.into(),
            jti: Uuid::now_v7().to_string(),
            max_participants,
        };
        Ok((sign(&self.room, &claims)?, claims))
    }

    /// Checks an access token.
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError> {
        self.verify(&self.access, token, ACCESS_AUDIENCE)
    }

    /// Checks a room token.
    pub fn verify_room(&self, token: &str) -> Result<RoomClaims, TokenError> {
        self.verify(&self.room, token, ROOM_AUDIENCE)
    }

    fn verify<T: DeserializeOwned>(
        &self,
        keys: &KeyPair,
        token: &str,
        audience: &str,
    ) -> Result<T, TokenError> {
        let mut validation = Validation::new(keys.algorithm);
        validation.set_issuer(&[&*self.issuer]);
        validation.set_audience(&[audience]);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<T>(token, &keys.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

fn sign<T: Serialize>(keys: &KeyPair, claims: &T) -> Result<String, TokenError> {
    let encoding = keys.encoding.as_ref().ok_or(TokenError::NotIssued)?;
    jsonwebtoken::encode(&Header::new(keys.algorithm), claims, encoding)
        .map_err(|_| TokenError::Signing)
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
            .issue_room("u1", "r1", vec![RoomGrant::Join], None)
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
        let token = sign(&k.access, &claims).unwrap();
        assert_eq!(k.verify_access(&token), Err(TokenError::Expired));
    }

    const RS_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/jwt/rs256-public.pem");
    const RS_PRIVATE: &[u8] = include_bytes!("../../tests/fixtures/jwt/rs256-private.pem");
    const ES_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/jwt/es256-public.pem");
    const ES_PRIVATE: &[u8] = include_bytes!("../../tests/fixtures/jwt/es256-private.pem");
    const ES_OTHER: &[u8] = include_bytes!("../../tests/fixtures/jwt/es256-other-private.pem");

    #[test]
    fn access_tokens_signed_with_a_key_pair_round_trip_and_room_tokens_keep_the_secret() {
        for (algorithm, public, private) in [
            (AccessAlgorithm::Rs256, RS_PUBLIC, RS_PRIVATE),
            (AccessAlgorithm::Es256, ES_PUBLIC, ES_PRIVATE),
        ] {
            let k = keys(SECRET)
                .with_access_keys(algorithm, public, Some(private))
                .unwrap();
            let token = k.issue_access("u1", vec!["admin".into()]).unwrap();
            assert_eq!(
                k.verify_access(&token).unwrap().roles,
                vec!["admin".to_string()]
            );
            assert_eq!(
                keys(SECRET).verify_access(&token),
                Err(TokenError::Invalid),
                "{algorithm:?} is not accepted where HS256 is configured"
            );
            let (room, _) = k
                .issue_room("u1", "r1", vec![RoomGrant::Join], None)
                .unwrap();
            assert!(keys(SECRET).verify_room(&room).is_ok());
        }
    }

    #[test]
    fn with_a_key_pair_configured_secret_signed_and_foreign_tokens_are_refused() {
        let k = keys(SECRET)
            .with_access_keys(AccessAlgorithm::Es256, ES_PUBLIC, Some(ES_PRIVATE))
            .unwrap();
        let hs = keys(SECRET).issue_access("u1", vec![]).unwrap();
        assert_eq!(k.verify_access(&hs), Err(TokenError::Invalid));
        let other = keys(SECRET)
            .with_access_keys(AccessAlgorithm::Es256, ES_PUBLIC, Some(ES_OTHER))
            .unwrap()
            .issue_access("u1", vec!["admin".into()])
            .unwrap();
        assert_eq!(k.verify_access(&other), Err(TokenError::Invalid));
    }

    #[test]
    fn a_public_key_alone_verifies_tokens_issued_elsewhere_and_issues_none() {
        let provider = keys(SECRET)
            .with_access_keys(AccessAlgorithm::Rs256, RS_PUBLIC, Some(RS_PRIVATE))
            .unwrap();
        let here = keys(SECRET)
            .with_access_keys(AccessAlgorithm::Rs256, RS_PUBLIC, None)
            .unwrap();
        let token = provider.issue_access("u1", vec![]).unwrap();
        assert_eq!(here.verify_access(&token).unwrap().sub, "u1");
        assert_eq!(here.issue_access("u1", vec![]), Err(TokenError::NotIssued));
    }

    #[test]
    fn bad_keys_and_unknown_algorithms_are_refused_with_the_reason() {
        assert!(matches!(
            keys(SECRET).with_access_keys(AccessAlgorithm::Es256, b"not a key", None),
            Err(TokenError::BadKey(_))
        ));
        assert!("PS512".parse::<AccessAlgorithm>().is_err());
        assert_eq!(
            "es256".parse::<AccessAlgorithm>().unwrap(),
            AccessAlgorithm::Es256
        );
    }
}
