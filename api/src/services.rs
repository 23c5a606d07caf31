//! Builds the services the configuration names: token keys, transcript
//! encryption, the summarizer, and Azure Speech tokens.

use std::sync::Arc;

use altegon_commands::crypto::{Pbkdf2Digest, TranscriptCipher};
use altegon_commands::summary::{OfflineSummarizer, OpenAiSettings, OpenAiSummarizer, Summarizer};
use secrecy::{ExposeSecret, SecretString};

use crate::auth::{AccessAlgorithm, JwtKeys, TokenError};
use crate::config::{Config, ConfigError};
use crate::speech::SpeechTokens;

/// Token keys: HS256 with `secret`, and access tokens as `ALTEGON_JWT_ALGORITHM`
/// and its key files say.
pub fn jwt_keys(config: &Config, secret: &SecretString) -> Result<JwtKeys, ConfigError> {
    let keys = JwtKeys::hs256(
        secret,
        &config.jwt_issuer,
        std::time::Duration::from_secs(config.jwt_ttl_secs),
        std::time::Duration::from_secs(config.room_token_ttl_secs),
    );
    let unacceptable =
        |key: &'static str, message: String| ConfigError::Unacceptable { key, message };
    let algorithm: AccessAlgorithm = config
        .jwt_algorithm
        .parse()
        .map_err(|e: TokenError| unacceptable("ALTEGON_JWT_ALGORITHM", e.to_string()))?;
    if algorithm == AccessAlgorithm::Hs256 {
        return Ok(keys);
    }
    let read = |path: &std::path::Path, key: &'static str| {
        std::fs::read(path).map_err(|e| unacceptable(key, format!("{}: {e}", path.display())))
    };
    let public_file = config.jwt_public_key_file.as_deref().ok_or_else(|| {
        unacceptable(
            "ALTEGON_JWT_PUBLIC_KEY_FILE",
            format!(
                "is required with ALTEGON_JWT_ALGORITHM={}",
                config.jwt_algorithm
            ),
        )
    })?;
    let public = read(public_file, "ALTEGON_JWT_PUBLIC_KEY_FILE")?;
    let private = config
        .jwt_private_key_file
        .as_deref()
        .map(|path| read(path, "ALTEGON_JWT_PRIVATE_KEY_FILE"))
        .transpose()?;
    if private.is_none() {
        tracing::warn!(
            "no ALTEGON_JWT_PRIVATE_KEY_FILE: access tokens are only verified here, login answers 503"
        );
    }
    keys.with_access_keys(algorithm, &public, private.as_deref())
        .map_err(|e| unacceptable("ALTEGON_JWT_PUBLIC_KEY_FILE", e.to_string()))
}

/// The transcript cipher from `ALTEGON_TRANSCRIPT_SECRET` and its digest.
pub fn cipher(config: &Config) -> Result<TranscriptCipher, ConfigError> {
    let digest: Pbkdf2Digest =
        config
            .transcript_pbkdf2_digest
            .parse()
            .map_err(|_| ConfigError::Unacceptable {
                key: "ALTEGON_TRANSCRIPT_PBKDF2_DIGEST",
                message: "must be sha512, sha256 or sha1".into(),
            })?;
    TranscriptCipher::new(config.transcript_secret()?, digest).map_err(|e| {
        ConfigError::Unacceptable {
            key: "ALTEGON_TRANSCRIPT_SECRET",
            message: e.to_string(),
        }
    })
}

fn required<'a>(value: &'a Option<String>, key: &'static str) -> Result<&'a str, ConfigError> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .ok_or(ConfigError::Unacceptable {
            key,
            message: "is required by the configured summarizer".into(),
        })
}

fn required_secret(value: &Option<SecretString>, key: &'static str) -> Result<String, ConfigError> {
    value
        .as_ref()
        .map(|s| s.expose_secret().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or(ConfigError::Unacceptable {
            key,
            message: "is required by the configured summarizer".into(),
        })
}

/// The summarizer named by `ALTEGON_SUMMARIZER`.
pub fn summarizer(config: &Config) -> Result<Arc<dyn Summarizer>, ConfigError> {
    let settings = match config.summarizer.trim().to_ascii_lowercase().as_str() {
        "offline" => return Ok(Arc::new(OfflineSummarizer)),
        "openai" => OpenAiSettings::OpenAi {
            api_base: config
                .openai_api_base
                .clone()
                .unwrap_or_else(|| "https://api.openai.com/v1".into()),
            api_key: required_secret(&config.openai_api_key, "ALTEGON_OPENAI_API_KEY")?,
            model: required(&config.openai_model, "ALTEGON_OPENAI_MODEL")?.to_owned(),
        },
        "azure" => OpenAiSettings::Azure {
            endpoint: required(
                &config.azure_openai_endpoint,
                "ALTEGON_AZURE_OPENAI_ENDPOINT",
            )?
            .to_owned(),
            deployment: required(
                &config.azure_openai_deployment,
                "ALTEGON_AZURE_OPENAI_DEPLOYMENT",
            )?
            .to_owned(),
            api_version: required(
                &config.azure_openai_api_version,
                "ALTEGON_AZURE_OPENAI_API_VERSION",
            )?
            .to_owned(),
            api_key: required_secret(&config.azure_openai_api_key, "ALTEGON_AZURE_OPENAI_API_KEY")?,
        },
        _ => {
            return Err(ConfigError::Unacceptable {
                key: "ALTEGON_SUMMARIZER",
                message: "must be offline, openai or azure".into(),
            });
        }
    };
    Ok(Arc::new(OpenAiSummarizer::new(settings)))
}

/// The sealer of webhook signing secrets, from `ALTEGON_WEBHOOK_SECRETS_KEY`.
pub fn webhook_sealer(
    config: &Config,
) -> Result<altegon_commands::sealed::SecretSealer, ConfigError> {
    altegon_commands::sealed::SecretSealer::new(&config.webhook_secrets_key()?).map_err(|e| {
        ConfigError::Unacceptable {
            key: "ALTEGON_WEBHOOK_SECRETS_KEY",
            message: e.to_string(),
        }
    })
}

/// Speech tokens when both key and region are configured.
pub fn speech(config: &Config) -> Result<Option<SpeechTokens>, ConfigError> {
    match (&config.speech_key, &config.speech_region) {
        (Some(key), Some(region)) => Ok(Some(SpeechTokens::new(
            key.clone(),
            region.clone(),
            config.speech_token_url.clone(),
        ))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::Unacceptable {
            key: "ALTEGON_SPEECH_REGION",
            message: "is required with ALTEGON_SPEECH_KEY".into(),
        }),
        (None, Some(_)) => Err(ConfigError::Unacceptable {
            key: "ALTEGON_SPEECH_KEY",
            message: "is required with ALTEGON_SPEECH_REGION".into(),
        }),
    }
}

/// The blob backend the configuration names.
pub fn blob_backend(config: &Config) -> Result<altegon_media::BlobBackend, ConfigError> {
    use altegon_media::blob::{AzureAccount, connection_string};
    match config.blob_backend.trim().to_ascii_lowercase().as_str() {
        "local" => Ok(altegon_media::BlobBackend::Local {
            root: config.blob_dir(),
        }),
        "azure" => {
            let container = config.azure_storage_container.trim();
            if container.is_empty() {
                return Err(ConfigError::Unacceptable {
                    key: "ALTEGON_AZURE_STORAGE_CONTAINER",
                    message: "must not be empty".into(),
                });
            }
            if let Some(cs) = &config.azure_storage_connection_string {
                return connection_string::parse(cs.expose_secret(), container)
                    .map(altegon_media::BlobBackend::Azure)
                    .map_err(|e| ConfigError::Unacceptable {
                        key: "ALTEGON_AZURE_STORAGE_CONNECTION_STRING",
                        message: e.to_string(),
                    });
            }
            let account = config
                .azure_storage_account
                .clone()
                .filter(|a| !a.trim().is_empty())
                .ok_or(ConfigError::Unacceptable {
                    key: "ALTEGON_AZURE_STORAGE_ACCOUNT",
                    message:
                        "the azure blob backend needs a connection string or an account and key"
                            .into(),
                })?;
            let key = config
                .azure_storage_key
                .clone()
                .ok_or(ConfigError::Unacceptable {
                    key: "ALTEGON_AZURE_STORAGE_KEY",
                    message: "the azure blob backend needs the account's key".into(),
                })?;
            Ok(altegon_media::BlobBackend::Azure(AzureAccount {
                account,
                key,
                endpoint: config.azure_storage_endpoint.clone(),
                container: container.to_owned(),
            }))
        }
        _ => Err(ConfigError::Unacceptable {
            key: "ALTEGON_BLOB_BACKEND",
            message: "must be `local` or `azure`".into(),
        }),
    }
}

/// What the blob store needs from the configuration, read (and checked) before
/// the server binds, so a bad setting stops start-up before any IO.
pub struct BlobSettings {
    backend: altegon_media::BlobBackend,
    url_secret: SecretString,
}

/// The blob backend and the key of local signed URLs.
pub fn blob_settings(config: &Config) -> Result<BlobSettings, ConfigError> {
    Ok(BlobSettings {
        backend: blob_backend(config)?,
        url_secret: config.blob_url_secret()?,
    })
}

impl BlobSettings {
    /// Opens the store; local signed URLs start with `public_base_url`.
    pub async fn open(self, public_base_url: &str) -> anyhow::Result<altegon_media::BlobStore> {
        let signer = altegon_media::blob::LocalUrlSigner::new(
            self.url_secret.expose_secret().as_bytes(),
            public_base_url,
        )?;
        Ok(altegon_media::BlobStore::open(self.backend, signer).await?)
    }
}
