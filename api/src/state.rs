//! What every request handler can reach.

use std::sync::Arc;
use std::time::Duration;

use altegon_commands::CommandBus;
use altegon_commands::crypto::TranscriptCipher;
use altegon_commands::store::SharedEventStore;
use altegon_commands::summary::Summarizer;
use altegon_projections::ProjectionEngine;

use crate::auth::JwtKeys;
use crate::config::Config;

/// What every handler can reach, shared: the middleware layers and extractors
/// clone it several times a request.
pub type AppState = Arc<ServerState>;

/// The server's shared parts.
pub struct ServerState {
    /// The loaded configuration.
    pub config: Arc<Config>,
    /// The event log.
    pub store: SharedEventStore,
    /// Runs commands against the log.
    pub bus: CommandBus,
    /// The read side.
    pub engine: ProjectionEngine,
    /// Token signing and verification.
    pub keys: JwtKeys,
    /// How long a read-your-writes wait may take.
    pub read_timeout: Duration,
    /// Transcript and summary encryption.
    pub cipher: Arc<TranscriptCipher>,
    /// Writes meeting notes and chat summaries.
    pub summarizer: Arc<dyn Summarizer>,
    /// Azure Speech tokens, when configured.
    pub speech: Option<Arc<crate::speech::SpeechTokens>>,
    /// Recording files and room files.
    pub blobs: altegon_media::BlobStore,
    /// Session locations.
    pub geo: Arc<crate::geo::GeoLocator>,
    /// Webhook endpoints' deliveries.
    pub webhooks: altegon_webhooks::Webhooks,
    /// Revoked access tokens.
    pub revocations: crate::auth::Revocations,
    /// Requests per caller and route group.
    pub rate_limiter: crate::rate_limit::RateLimiter,
    /// Digests of requests carrying an `Idempotency-Key`.
    pub request_digests: crate::idempotency::RequestDigests,
}

impl ServerState {
    /// The read-model pool.
    pub fn read_pool(&self) -> &sqlx::AnyPool {
        self.engine.db().pool()
    }

    /// The read-model database, for reads that may use its native pool.
    pub fn read_db(&self) -> &altegon_projections::ReadDb {
        self.engine.db()
    }

    /// Upload size rules from the configuration.
    pub fn upload_limits(&self) -> altegon_media::files::UploadLimits {
        altegon_media::files::UploadLimits {
            max_upload_bytes: self.config.max_upload_bytes,
            default_storage_limit: self.config.storage_default_limit_bytes,
            enforce_storage_limit: self.config.storage_enforce_limit,
        }
    }
}
