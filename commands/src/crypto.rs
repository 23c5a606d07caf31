//! Transcript and summary encryption, compatible with the web client (CryptoJS)
//! and the reference backend (Node's `crypto`).
//!
//! Current format: `base64(salt[64] ‖ iv[16] ‖ AES-256-CBC-PKCS7(plain))` with the
//! key from PBKDF2-HMAC(secret, salt, 10 000 iterations, 32 bytes); the digest is
//! SHA-512 unless configured otherwise (browsers' CryptoJS builds differ).
//! Legacy format, read only: `base64(salt[64] ‖ iv[16] ‖ tag[16] ‖ AES-256-GCM(plain))`
//! with PBKDF2-HMAC-SHA512 at 2 145 iterations. Decryption tries the authenticated
//! GCM form first (a wrong guess fails its tag), then CBC.
//!
//! Each call derives a key with PBKDF2 on purpose (that is the format): decrypting a
//! transcript costs one derivation per line.

use aes::Aes256;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U16;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, KeyInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

const SALT: usize = 64;
const IV: usize = 16;
const TAG: usize = 16;
const KEY: usize = 32;
const CBC_ITERATIONS: u32 = 10_000;
const GCM_ITERATIONS: u32 = 2_145;

type CbcEncryptor = cbc::Encryptor<Aes256>;
type CbcDecryptor = cbc::Decryptor<Aes256>;

/// The PBKDF2 digest of the current format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pbkdf2Digest {
    /// HMAC-SHA512 (the reference backend's choice).
    #[default]
    Sha512,
    /// HMAC-SHA256 (CryptoJS 4.2's default hasher).
    Sha256,
    /// HMAC-SHA1 (CryptoJS before 4.2).
    Sha1,
}

impl std::str::FromStr for Pbkdf2Digest {
    type Err = CryptoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "").as_str() {
            "sha512" => Ok(Self::Sha512),
            "sha256" => Ok(Self::Sha256),
            "sha1" => Ok(Self::Sha1),
            _ => Err(CryptoError::UnknownDigest),
        }
    }
}

/// Why a text could not be encrypted or decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// No secret was configured.
    #[error("no encryption secret is configured")]
    NoSecret,
    /// The digest name is not one of sha512, sha256, sha1.
    #[error("unknown PBKDF2 digest")]
    UnknownDigest,
    /// The input is not base64.
    #[error("ciphertext is not base64")]
    NotBase64,
    /// The input is shorter than salt and iv.
    #[error("ciphertext is too short")]
    TooShort,
    /// Wrong secret, or the data was changed.
    #[error("ciphertext does not decrypt with this secret")]
    WrongSecretOrCorrupted,
    /// The plaintext is not UTF-8.
    #[error("decrypted text is not UTF-8")]
    NotUtf8,
}

/// Encrypts and decrypts transcript text with the configured secret.
pub struct TranscriptCipher {
    secret: SecretString,
    digest: Pbkdf2Digest,
}

impl std::fmt::Debug for TranscriptCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TranscriptCipher")
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

impl TranscriptCipher {
    /// A cipher for `secret` (never empty) with `digest` for the current format.
    pub fn new(secret: SecretString, digest: Pbkdf2Digest) -> Result<Self, CryptoError> {
        if secret.expose_secret().is_empty() {
            return Err(CryptoError::NoSecret);
        }
        Ok(Self { secret, digest })
    }

    fn key(&self, digest: Pbkdf2Digest, salt: &[u8], iterations: u32) -> [u8; KEY] {
        let mut key = [0u8; KEY];
        let password = self.secret.expose_secret().as_bytes();
        match digest {
            Pbkdf2Digest::Sha512 => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha512>(password, salt, iterations, &mut key)
            }
            Pbkdf2Digest::Sha256 => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, &mut key)
            }
            Pbkdf2Digest::Sha1 => {
                pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, iterations, &mut key)
            }
        }
        key
    }

    /// Encrypts with a fresh random salt and iv.
    pub fn encrypt(&self, plain: &str) -> Result<String, CryptoError> {
        let salt: [u8; SALT] = std::array::from_fn(|_| rand::random());
        let iv: [u8; IV] = rand::random();
        Ok(self.encrypt_with(plain, &salt, &iv))
    }

    /// Encrypts with the given salt and iv; for reproducing known vectors only.
    #[doc(hidden)]
    pub fn encrypt_with(&self, plain: &str, salt: &[u8; SALT], iv: &[u8; IV]) -> String {
        let key = self.key(self.digest, salt, CBC_ITERATIONS);
        let ciphertext = CbcEncryptor::new(&key.into(), iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes());
        let mut out = Vec::with_capacity(SALT + IV + ciphertext.len());
        out.extend_from_slice(salt);
        out.extend_from_slice(iv);
        out.extend_from_slice(&ciphertext);
        STANDARD.encode(out)
    }

    /// Decrypts either format.
    pub fn decrypt(&self, encoded: &str) -> Result<String, CryptoError> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| CryptoError::NotBase64)?;
        if bytes.len() < SALT + IV {
            return Err(CryptoError::TooShort);
        }
        let (salt, rest) = bytes.split_at(SALT);
        let (iv, body) = rest.split_at(IV);
        let plain = self
            .decrypt_gcm(salt, iv, body)
            .or_else(|| self.decrypt_cbc(salt, iv, body))
            .ok_or(CryptoError::WrongSecretOrCorrupted)?;
        String::from_utf8(plain).map_err(|_| CryptoError::NotUtf8)
    }

    fn decrypt_gcm(&self, salt: &[u8], iv: &[u8], body: &[u8]) -> Option<Vec<u8>> {
        if body.len() < TAG {
            return None;
        }
        let (tag, ciphertext) = body.split_at(TAG);
        let key = self.key(Pbkdf2Digest::Sha512, salt, GCM_ITERATIONS);
        // Node's GCM used a 16-byte iv, so the nonce size is 16, not the usual 12.
        let cipher = AesGcm::<Aes256, U16>::new_from_slice(&key).ok()?;
        let mut sealed = Vec::with_capacity(body.len());
        sealed.extend_from_slice(ciphertext);
        sealed.extend_from_slice(tag);
        cipher
            .decrypt(GenericArray::from_slice(iv), sealed.as_ref())
            .ok()
    }

    fn decrypt_cbc(&self, salt: &[u8], iv: &[u8], body: &[u8]) -> Option<Vec<u8>> {
        if body.is_empty() || !body.len().is_multiple_of(16) {
            return None;
        }
        let key = self.key(self.digest, salt, CBC_ITERATIONS);
        CbcDecryptor::new_from_slices(&key, iv)
            .ok()?
            .decrypt_padded_vec_mut::<Pkcs7>(body)
            .ok()
    }

    /// A copy of `obj` with the listed string fields encrypted.
    pub fn encrypt_fields(
        &self,
        obj: &serde_json::Value,
        fields: &[&str],
    ) -> Result<serde_json::Value, CryptoError> {
        let mut out = obj.clone();
        for field in fields {
            if let Some(serde_json::Value::String(text)) = out.get(*field) {
                let encrypted = self.encrypt(text)?;
                out[*field] = serde_json::Value::String(encrypted);
            }
        }
        Ok(out)
    }

    /// A copy of `obj` with the listed fields decrypted; a field that does not
    /// decrypt (plain legacy data) is left as it was.
    pub fn decrypt_fields(&self, obj: &serde_json::Value, fields: &[&str]) -> serde_json::Value {
        let mut out = obj.clone();
        for field in fields {
            if let Some(serde_json::Value::String(text)) = out.get(*field)
                && let Ok(plain) = self.decrypt(text)
            {
                out[*field] = serde_json::Value::String(plain);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> TranscriptCipher {
        TranscriptCipher::new(
            "a-secret-shared-with-the-web-client".to_owned().into(),
            Pbkdf2Digest::Sha512,
        )
        .unwrap()
    }

    #[test]
    fn text_round_trips_and_every_ciphertext_differs() {
        let c = cipher();
        for text in ["Hello.", "", "ünïcödé ✓ 🎉", &"long ".repeat(1000)] {
            let a = c.encrypt(text).unwrap();
            let b = c.encrypt(text).unwrap();
            assert_ne!(a, b, "fresh salt and iv each time");
            assert_eq!(c.decrypt(&a).unwrap(), text);
        }
    }

    #[test]
    fn a_wrong_secret_or_damaged_input_is_a_clear_error() {
        let c = cipher();
        let encrypted = c.encrypt("Hello.").unwrap();
        let other = TranscriptCipher::new("another-secret".to_owned().into(), Pbkdf2Digest::Sha512)
            .unwrap();
        assert_eq!(
            other.decrypt(&encrypted),
            Err(CryptoError::WrongSecretOrCorrupted)
        );
        assert_eq!(c.decrypt("not base64 !!"), Err(CryptoError::NotBase64));
        assert_eq!(c.decrypt(""), Err(CryptoError::TooShort));
        assert_eq!(c.decrypt(&encrypted[..40]), Err(CryptoError::TooShort));
        let mut bytes = STANDARD.decode(&encrypted).unwrap();
        bytes.truncate(bytes.len() - 3);
        assert_eq!(
            c.decrypt(&STANDARD.encode(bytes)),
            Err(CryptoError::WrongSecretOrCorrupted)
        );
    }

    #[test]
    fn the_digest_must_match() {
        let sha256 = TranscriptCipher::new("s".to_owned().into(), Pbkdf2Digest::Sha256).unwrap();
        let sha512 = TranscriptCipher::new("s".to_owned().into(), Pbkdf2Digest::Sha512).unwrap();
        let encrypted = sha256.encrypt("x").unwrap();
        assert_eq!(sha256.decrypt(&encrypted).unwrap(), "x");
        assert!(sha512.decrypt(&encrypted).is_err());
        assert_eq!("SHA-256".parse::<Pbkdf2Digest>(), Ok(Pbkdf2Digest::Sha256));
        assert!("md5".parse::<Pbkdf2Digest>().is_err());
    }

    #[test]
    fn an_empty_secret_is_refused() {
        assert_eq!(
            TranscriptCipher::new(String::new().into(), Pbkdf2Digest::Sha512).err(),
            Some(CryptoError::NoSecret)
        );
    }

    #[test]
    fn fields_are_encrypted_and_plain_legacy_fields_survive_decryption() {
        let c = cipher();
        let obj = serde_json::json!({ "message": "Hello.", "userName": "Haseeb", "n": 1 });
        let enc = c.encrypt_fields(&obj, &["message", "n"]).unwrap();
        assert_ne!(enc["message"], "Hello.");
        assert_eq!(enc["userName"], "Haseeb");
        assert_eq!(enc["n"], 1);
        assert_eq!(c.decrypt_fields(&enc, &["message"]), obj);
        let legacy = serde_json::json!({ "message": "plain text" });
        assert_eq!(c.decrypt_fields(&legacy, &["message"]), legacy);
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn decrypt_never_panics_on_any_text(input in ".{0,300}") {
                let _ = cipher().decrypt(&input);
            }

            #[test]
            fn decrypt_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
                let _ = cipher().decrypt(&STANDARD.encode(bytes));
            }

            #[test]
            fn any_text_round_trips(text in "\\PC{0,200}") {
                let c = cipher();
                prop_assert_eq!(c.decrypt(&c.encrypt(&text).unwrap()).unwrap(), text);
            }
        }
    }
}
