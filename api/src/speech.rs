//! Azure Speech tokens for the web client's speech recognizer: the configured key
//! is exchanged at the region's token endpoint for a token valid ten minutes, which
//! is cached until shortly before it expires. The key itself never leaves the server.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use crate::error::Error;

/// How long Azure's tokens live.
const TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Renew this long before expiry.
const RENEW_BEFORE: Duration = Duration::from_secs(60);
/// Longest wait for the token endpoint.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Issues (cached) speech tokens.
pub struct SpeechTokens {
    key: SecretString,
    region: String,
    endpoint: String,
    client: reqwest::Client,
    cached: Mutex<Option<(String, Instant)>>,
}

impl SpeechTokens {
    /// A source for `region` with `key`; `endpoint` overrides the region's token URL.
    pub fn new(key: SecretString, region: String, endpoint: Option<String>) -> Self {
        let endpoint = endpoint.unwrap_or_else(|| {
            format!("https://{region}.api.cognitive.microsoft.com/sts/v1.0/issueToken")
        });
        Self {
            key,
            region,
            endpoint,
            client: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap_or_default(),
            cached: Mutex::new(None),
        }
    }

    /// The region tokens are for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// A valid token, from the cache or freshly issued.
    pub async fn token(&self) -> Result<String, Error> {
        let mut cached = self.cached.lock().await;
        if let Some((token, issued)) = cached.as_ref()
            && issued.elapsed() + RENEW_BEFORE < TOKEN_LIFETIME
        {
            return Ok(token.clone());
        }
        let unavailable = |why: String| {
            tracing::warn!(error = %why, "speech token request failed");
            Error::Upstream("the speech service did not issue a token; retry shortly".into())
        };
        let response = self
            .client
            .post(&self.endpoint)
            .header("Ocp-Apim-Subscription-Key", self.key.expose_secret())
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .send()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(unavailable(format!("token endpoint answered {status}")));
        }
        let token = response
            .text()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }
}
