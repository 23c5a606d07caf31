//! One HTTP attempt: sign, post, read at most a small prefix of the answer.
//! Short timeouts, no redirects, addresses checked by the URL policy and the
//! guarded resolver.

use std::time::Duration;

use futures::StreamExt;
use reqwest::redirect::Policy;

use crate::address::{GuardedResolver, UrlPolicy};
use crate::signature::{ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};

/// Bytes of a receiver's answer kept for its owner to read.
pub const RESPONSE_PREFIX_BYTES: usize = 512;

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why it did not succeed, when it did not.
    pub error: Option<String>,
    /// The start of the answer's body.
    pub response_prefix: Option<String>,
}

impl Attempt {
    /// A 2xx answer acknowledges the delivery.
    pub fn acknowledged(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Posts deliveries.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: UrlPolicy,
}

impl Sender {
    /// A sender with `timeout` for a whole attempt.
    pub fn new(policy: UrlPolicy, timeout: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .dns_resolver(std::sync::Arc::new(GuardedResolver {
                allow_private: policy.allow_private,
            }))
            .user_agent(concat!("Altegon-Webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(16)
            .build()?;
        Ok(Self { client, policy })
    }

    /// Posts `body` to `url`, signed with `key` under delivery id `id`.
    pub async fn send(&self, url: &str, id: &str, key: &[u8], body: &str) -> Attempt {
        if let Err(refused) = self.policy.check(url) {
            return failed(None, format!("url {refused}"));
        }
        let timestamp = chrono::Utc::now().timestamp();
        let signature = sign(key, id, timestamp, body.as_bytes());
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(ID_HEADER, id)
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(body.to_owned())
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return failed(None, describe(&e)),
        };
        let status = response.status().as_u16();
        let prefix = read_prefix(response).await;
        let mut attempt = Attempt {
            status: Some(status),
            error: None,
            response_prefix: prefix,
        };
        if !attempt.acknowledged() {
            attempt.error = Some(format!("the receiver answered {status}"));
        }
        attempt
    }
}

fn failed(status: Option<u16>, error: String) -> Attempt {
    Attempt {
        status,
        error: Some(error),
        response_prefix: None,
    }
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // The source chain says why (refused address, TLS, reset) without the URL.
    let mut reason = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    if reason.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {reason}")
    }
}

async fn read_prefix(response: reqwest::Response) -> Option<String> {
    let mut body = response.bytes_stream();
    let mut kept = Vec::new();
    while kept.len() < RESPONSE_PREFIX_BYTES {
        match body.next().await {
            Some(Ok(chunk)) => kept.extend_from_slice(&chunk),
            _ => break,
        }
    }
    kept.truncate(RESPONSE_PREFIX_BYTES);
    (!kept.is_empty()).then(|| String::from_utf8_lossy(&kept).into_owned())
}
