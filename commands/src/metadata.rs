//! Who asked, and why: the context every command carries and the metadata every
//! event is stored with (event id, actor and roles, request, correlation and
//! causation ids, client ip, time; the previous event's hash is kept by the store
//! in the event's envelope, see `store::chain`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The caller of a command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    /// The acting user; `None` for anonymous calls (registration) and the system.
    pub id: Option<String>,
    /// The caller's roles, e.g. `["admin"]`.
    pub roles: Vec<String>,
}

impl Actor {
    /// The server itself (background work, CLI).
    pub fn system() -> Self {
        Self {
            id: Some("system".into()),
            roles: vec!["system".into()],
        }
    }

    /// Whether the caller holds the admin role.
    pub fn is_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "admin")
    }
}

/// Everything about a request that is not the command itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandContext {
    /// Who asks.
    pub actor: Actor,
    /// This request's id.
    pub request_id: String,
    /// Groups everything that followed from one outside request.
    pub correlation_id: String,
    /// The event or request that caused this command, when known.
    pub causation_id: Option<String>,
    /// The client's address.
    pub client_ip: Option<String>,
    /// Makes retries of the same request land once.
    pub idempotency_key: Option<String>,
    /// A keyed digest of the request that carried the `Idempotency-Key`: a retry
    /// must be the same request, not only carry the same key.
    pub request_digest: Option<String>,
}

impl CommandContext {
    /// A context for `actor` with fresh request and correlation ids.
    pub fn new(actor: Actor) -> Self {
        let request_id = Uuid::now_v7().to_string();
        Self {
            actor,
            correlation_id: request_id.clone(),
            request_id,
            causation_id: None,
            client_ip: None,
            idempotency_key: None,
            request_digest: None,
        }
    }

    /// The same context with an `Idempotency-Key`.
    pub fn with_idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// The same context with the digest of the request that carried the key.
    pub fn with_request_digest(mut self, digest: impl Into<String>) -> Self {
        self.request_digest = Some(digest.into());
        self
    }

    /// The metadata stored with an event of this command.
    pub fn event_metadata(&self, occurred_at: DateTime<Utc>) -> EventMetadata {
        EventMetadata {
            actor_id: self.actor.id.clone(),
            actor_roles: self.actor.roles.clone(),
            request_id: self.request_id.clone(),
            correlation_id: self.correlation_id.clone(),
            causation_id: self.causation_id.clone(),
            client_ip: self.client_ip.clone(),
            occurred_at,
            idempotency_key: self.idempotency_key.clone(),
            request_digest: self
                .idempotency_key
                .as_ref()
                .and(self.request_digest.clone()),
        }
    }
}

/// The metadata stored with every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMetadata {
    /// The acting user.
    pub actor_id: Option<String>,
    /// Their roles at the time.
    pub actor_roles: Vec<String>,
    /// The request that issued the command.
    pub request_id: String,
    /// The outside request everything followed from.
    pub correlation_id: String,
    /// The immediate cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<String>,
    /// The client's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// When the command was decided.
    pub occurred_at: DateTime<Utc>,
    /// The request's `Idempotency-Key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The keyed digest of the request that carried the key (none on events
    /// recorded before digests were kept: their retries are not compared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_digest: Option<String>,
}
