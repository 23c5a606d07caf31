//! The one configuration struct, layered: defaults, then an optional TOML file
//! (`--config FILE` or `ALTEGON_CONFIG`), then `ALTEGON_*` environment variables.
//! A bad value fails start-up with the key and the source that set it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Server configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on (`ALTEGON_LISTEN`).
    pub listen: SocketAddr,
    /// Where the embedded database and local blobs live (`ALTEGON_DATA_DIR`).
    pub data_dir: PathBuf,
    /// The event log (`ALTEGON_EVENT_STORE`): `sqlite`, a `postgres://` URL, or a
    /// `kurrentdb://` / `esdb://` URL.
    pub event_store: String,
    /// The read-model database (`ALTEGON_DATABASE_URL`); SQLite in the data dir by default.
    pub database_url: Option<String>,
    /// Secret for HS256 tokens (`ALTEGON_JWT_SECRET`); generated and kept in the
    /// data dir when unset.
    #[serde(skip_serializing)]
    pub jwt_secret: Option<SecretString>,
    /// Connections per PostgreSQL pool (`ALTEGON_PG_MAX_CONNECTIONS`).
    pub pg_max_connections: u32,
    /// `text` or `json` log lines (`ALTEGON_LOG_FORMAT`); levels via `RUST_LOG`.
    pub log_format: LogFormat,
    /// Longest wait for read models after a write, in ms
    /// (`ALTEGON_READ_YOUR_WRITES_TIMEOUT_MS`).
    pub read_your_writes_timeout_ms: u64,
    /// Issuer of the tokens this server signs and accepts (`ALTEGON_JWT_ISSUER`).
    pub jwt_issuer: String,
    /// Algorithm of access tokens (`ALTEGON_JWT_ALGORITHM`): `HS256` with the
    /// secret, or `RS256`/`ES256` with the key files below. Room tokens always use
    /// HS256 with the secret.
    pub jwt_algorithm: String,
    /// PEM public key that verifies RS256/ES256 access tokens
    /// (`ALTEGON_JWT_PUBLIC_KEY_FILE`).
    pub jwt_public_key_file: Option<PathBuf>,
    /// PEM (PKCS#8) private key that signs them (`ALTEGON_JWT_PRIVATE_KEY_FILE`);
    /// without it this server only verifies tokens an identity provider issues,
    /// and login answers 503.
    pub jwt_private_key_file: Option<PathBuf>,
    /// Lifetime of access tokens in seconds (`ALTEGON_JWT_TTL_SECS`).
    pub jwt_ttl_secs: u64,
    /// Lifetime of room tokens in seconds (`ALTEGON_ROOM_TOKEN_TTL_SECS`).
    pub room_token_ttl_secs: u64,
    /// Largest accepted JSON body in bytes (`ALTEGON_MAX_JSON_BODY_BYTES`).
    pub max_json_body_bytes: usize,
    /// Secret shared with the web client for transcript encryption
    /// (`ALTEGON_TRANSCRIPT_SECRET`); generated and kept in the data dir when unset.
    #[serde(skip_serializing)]
    pub transcript_secret: Option<SecretString>,
    /// PBKDF2 digest of the transcript format: `sha512` (default), `sha256` or `sha1`
    /// (`ALTEGON_TRANSCRIPT_PBKDF2_DIGEST`).
    pub transcript_pbkdf2_digest: String,
    /// Azure Speech key (`ALTEGON_SPEECH_KEY`); speech tokens are unavailable without it.
    #[serde(skip_serializing)]
    pub speech_key: Option<SecretString>,
    /// Azure Speech region, e.g. `eastus2` (`ALTEGON_SPEECH_REGION`).
    pub speech_region: Option<String>,
    /// Token endpoint override (`ALTEGON_SPEECH_TOKEN_URL`); by default the region's.
    pub speech_token_url: Option<String>,
    /// Which summarizer writes notes: `offline` (default), `openai` or `azure`
    /// (`ALTEGON_SUMMARIZER`).
    pub summarizer: String,
    /// OpenAI-compatible API base, e.g. `https://api.openai.com/v1` (`ALTEGON_OPENAI_API_BASE`).
    pub openai_api_base: Option<String>,
    /// OpenAI key (`ALTEGON_OPENAI_API_KEY`).
    #[serde(skip_serializing)]
    pub openai_api_key: Option<SecretString>,
    /// OpenAI model (`ALTEGON_OPENAI_MODEL`).
    pub openai_model: Option<String>,
    /// Azure OpenAI endpoint (`ALTEGON_AZURE_OPENAI_ENDPOINT`).
    pub azure_openai_endpoint: Option<String>,
    /// Azure OpenAI deployment (`ALTEGON_AZURE_OPENAI_DEPLOYMENT`).
    pub azure_openai_deployment: Option<String>,
    /// Azure OpenAI API version (`ALTEGON_AZURE_OPENAI_API_VERSION`).
    pub azure_openai_api_version: Option<String>,
    /// Azure OpenAI key (`ALTEGON_AZURE_OPENAI_API_KEY`).
    #[serde(skip_serializing)]
    pub azure_openai_api_key: Option<SecretString>,
    /// Where blobs go (`ALTEGON_BLOB_BACKEND`): `local` (a folder) or `azure`.
    pub blob_backend: String,
    /// Folder of the local blob backend (`ALTEGON_BLOB_DIR`); `blobs/` in the
    /// data dir by default.
    pub blob_dir: Option<PathBuf>,
    /// Azure Storage connection string (`ALTEGON_AZURE_STORAGE_CONNECTION_STRING`);
    /// or give account, key and endpoint separately.
    #[serde(skip_serializing)]
    pub azure_storage_connection_string: Option<SecretString>,
    /// Azure Storage account name (`ALTEGON_AZURE_STORAGE_ACCOUNT`).
    pub azure_storage_account: Option<String>,
    /// Azure Storage shared key (`ALTEGON_AZURE_STORAGE_KEY`).
    #[serde(skip_serializing)]
    pub azure_storage_key: Option<SecretString>,
    /// Blob endpoint (`ALTEGON_AZURE_STORAGE_ENDPOINT`); the public cloud's by default.
    pub azure_storage_endpoint: Option<String>,
    /// The container blobs go to (`ALTEGON_AZURE_STORAGE_CONTAINER`); created when missing.
    pub azure_storage_container: String,
    /// This server's address as clients reach it (`ALTEGON_PUBLIC_BASE_URL`), used
    /// in signed local download URLs; `http://{listen}` by default.
    pub public_base_url: Option<String>,
    /// Key of signed local download URLs (`ALTEGON_BLOB_URL_SECRET`); generated and
    /// kept in the data dir when unset. Nodes serving the same blobs share it.
    #[serde(skip_serializing)]
    pub blob_url_secret: Option<SecretString>,
    /// Lifetime of SAS / signed download URLs in seconds (`ALTEGON_SAS_TTL_SECS`).
    pub sas_ttl_secs: u64,
    /// Largest recording upload in bytes (`ALTEGON_MAX_UPLOAD_BYTES`); 413 past it.
    pub max_upload_bytes: u64,
    /// Largest room file in bytes (`ALTEGON_MAX_ROOM_FILE_BYTES`); 413 past it.
    pub max_room_file_bytes: u64,
    /// Storage limit of users an administrator set none for
    /// (`ALTEGON_STORAGE_DEFAULT_LIMIT_BYTES`).
    pub storage_default_limit_bytes: u64,
    /// Refuse uploads past a user's limit with 403 instead of flagging them
    /// (`ALTEGON_STORAGE_ENFORCE_LIMIT`).
    pub storage_enforce_limit: bool,
    /// Folder of finished recordings that `upload-to-blob` may take by server-side
    /// path (`ALTEGON_RECORDINGS_DIR`); `recordings/` in the data dir by default.
    pub recordings_dir: Option<PathBuf>,
    /// Whether the recording server (ingest socket) runs (`ALTEGON_RECORDING_SERVER`).
    pub recording_server: bool,
    /// Address of the recording server (`ALTEGON_RECORDING_LISTEN`); port 3304 as
    /// in the reference.
    pub recording_listen: SocketAddr,
    /// Socket.IO path of the recording server (`ALTEGON_RECORDING_PATH`).
    pub recording_path: String,
    /// Folder of track files and processing output until they are stored
    /// (`ALTEGON_INGEST_DIR`); `ingest/` in the data dir by default.
    pub ingest_dir: Option<PathBuf>,
    /// Most bytes one recording's track files may take on the recording server's
    /// disk (`ALTEGON_RECORDING_MAX_BYTES`).
    pub recording_max_bytes: u64,
    /// Largest `stream` chunk in bytes (`ALTEGON_RECORDING_MAX_CHUNK_BYTES`).
    pub recording_max_chunk_bytes: usize,
    /// Chunks a track may have queued before acks are awaited
    /// (`ALTEGON_RECORDING_MAX_QUEUED_CHUNKS`).
    pub recording_max_queued_chunks: usize,
    /// Seconds between a track's durable checkpoints (`ALTEGON_RECORDING_CHECKPOINT_SECS`).
    pub recording_checkpoint_secs: u64,
    /// Output size of processed recordings when the client names none
    /// (`ALTEGON_RECORDING_WIDTH`, `ALTEGON_RECORDING_HEIGHT`).
    pub recording_width: u32,
    /// See `recording_width`.
    pub recording_height: u32,
    /// ffmpeg to run, a path or a name on `PATH` (`ALTEGON_FFMPEG_PATH`).
    pub ffmpeg_path: PathBuf,
    /// ffprobe to run (`ALTEGON_FFPROBE_PATH`).
    pub ffprobe_path: PathBuf,
    /// ffmpeg runs at a time (`ALTEGON_PROCESSING_CONCURRENCY`).
    pub processing_concurrency: usize,
    /// A MaxMind-format city database (`.mmdb`) for session locations
    /// (`ALTEGON_GEOIP_DATABASE`); without it, clients' declared locations are used.
    pub geoip_database: Option<PathBuf>,
    /// Take the client's address from the first `X-Forwarded-For` entry
    /// (`ALTEGON_TRUST_FORWARDED_FOR`); only behind a proxy that sets it.
    pub trust_forwarded_for: bool,
    /// The domain sessions are reported under (`ALTEGON_SESSION_DOMAIN`); the host's
    /// email domain when unset.
    pub session_domain: Option<String>,
    /// Largest realtime room message in bytes (`ALTEGON_REALTIME_MAX_MESSAGE_BYTES`).
    pub realtime_max_message_bytes: usize,
    /// Room messages one socket may send per second, with a burst of twice that
    /// (`ALTEGON_REALTIME_MESSAGES_PER_SECOND`).
    pub realtime_messages_per_second: u32,
    /// How long a participant whose last socket dropped keeps their seat in the
    /// room's session, in ms (`ALTEGON_REALTIME_LEAVE_GRACE_MS`).
    pub realtime_leave_grace_ms: u64,
    /// Rate limits per caller and route group (`ALTEGON_RATE_LIMITING`); see
    /// `docs/security.md`.
    pub rate_limiting: bool,
    /// Login and register attempts per minute and address
    /// (`ALTEGON_RATE_LIMIT_AUTH_PER_MINUTE`); 0 = unlimited, as for every group.
    pub rate_limit_auth_per_minute: u32,
    /// Reads of stored recordings and files per minute and caller
    /// (`ALTEGON_RATE_LIMIT_STORAGE_READS_PER_MINUTE`).
    pub rate_limit_storage_reads_per_minute: u32,
    /// Uploads per minute and caller (`ALTEGON_RATE_LIMIT_UPLOADS_PER_MINUTE`).
    pub rate_limit_uploads_per_minute: u32,
    /// Deletions per minute and caller (`ALTEGON_RATE_LIMIT_DELETES_PER_MINUTE`).
    pub rate_limit_deletes_per_minute: u32,
    /// Download URLs (SAS) per minute and caller (`ALTEGON_RATE_LIMIT_SAS_PER_MINUTE`).
    pub rate_limit_sas_per_minute: u32,
    /// Other requests per minute and caller (`ALTEGON_RATE_LIMIT_DEFAULT_PER_MINUTE`).
    pub rate_limit_default_per_minute: u32,
    /// Redis shared by the server processes of one deployment (`ALTEGON_REDIS_URL`,
    /// `redis://[:password@]host:port[/db]`): their realtime rooms are shared
    /// through it. A secret, since it may hold a password.
    #[serde(skip_serializing)]
    pub redis_url: Option<SecretString>,
    /// Prefix of this deployment's Redis keys and channels (`ALTEGON_REDIS_PREFIX`).
    pub redis_prefix: String,
    /// UDP address of the SFU's media port (`ALTEGON_SFU_LISTEN`); the SFU runs
    /// only when it is set.
    pub sfu_listen: Option<SocketAddr>,
    /// The address peers send media to, when it is not the listen address (behind
    /// NAT, or listening on 0.0.0.0) (`ALTEGON_SFU_PUBLIC_ADDRESS`; port 0 = the
    /// listen port).
    pub sfu_public_address: Option<SocketAddr>,
    /// Origins browsers may call the API from, comma-separated, or `*`
    /// (`ALTEGON_CORS_ALLOWED_ORIGINS`); none by default.
    pub cors_allowed_origins: String,
    /// Deepest GraphQL selection accepted (`ALTEGON_GRAPHQL_MAX_DEPTH`).
    pub graphql_max_depth: usize,
    /// Largest GraphQL query complexity accepted, each field counting 1 and a
    /// list field its page size times its selection (`ALTEGON_GRAPHQL_MAX_COMPLEXITY`).
    pub graphql_max_complexity: usize,
    /// Whether GraphQL introspection (and so GraphiQL's schema view) is on
    /// (`ALTEGON_GRAPHQL_INTROSPECTION`).
    pub graphql_introspection: bool,
    /// Whether this process delivers webhooks (`ALTEGON_WEBHOOKS`); with a shared
    /// PostgreSQL database only one process delivers at a time either way.
    pub webhooks: bool,
    /// Key that seals webhook signing secrets in the log (`ALTEGON_WEBHOOK_SECRETS_KEY`);
    /// generated and kept in the data dir when unset. Nodes sharing a log share it.
    #[serde(skip_serializing)]
    pub webhook_secrets_key: Option<SecretString>,
    /// Key of the digests that tie an `Idempotency-Key` to its request
    /// (`ALTEGON_IDEMPOTENCY_SECRET`); generated and kept in the data dir when
    /// unset. Nodes sharing a log share it.
    #[serde(skip_serializing)]
    pub idempotency_secret: Option<SecretString>,
    /// Accept `http://` webhook URLs (`ALTEGON_WEBHOOK_ALLOW_HTTP`); off in
    /// production, where only HTTPS is accepted.
    pub webhook_allow_http: bool,
    /// Accept webhook URLs on loopback, private and link-local addresses
    /// (`ALTEGON_WEBHOOK_ALLOW_PRIVATE_ADDRESSES`); off in production.
    pub webhook_allow_private_addresses: bool,
    /// Longest a webhook request may take, in ms (`ALTEGON_WEBHOOK_TIMEOUT_MS`).
    pub webhook_timeout_ms: u64,
    /// Delay after a delivery's first failure, in ms; it doubles per failure
    /// (`ALTEGON_WEBHOOK_RETRY_BASE_MS`).
    pub webhook_retry_base_ms: u64,
    /// Longest delay between two attempts, in seconds
    /// (`ALTEGON_WEBHOOK_RETRY_MAX_DELAY_SECS`).
    pub webhook_retry_max_delay_secs: u64,
    /// How long a delivery is retried before its endpoint is disabled, in seconds
    /// (`ALTEGON_WEBHOOK_RETRY_WINDOW_SECS`).
    pub webhook_retry_window_secs: u64,
    /// Deliveries in flight per endpoint, each for another meeting, room or
    /// storage account (`ALTEGON_WEBHOOK_MAX_IN_FLIGHT`).
    pub webhook_max_in_flight: usize,
    /// Endpoints one account may register (`ALTEGON_WEBHOOK_MAX_ENDPOINTS_PER_USER`).
    pub webhook_max_endpoints_per_user: u32,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            data_dir: PathBuf::from("./data"),
            event_store: "sqlite".into(),
            database_url: None,
            jwt_secret: None,
            pg_max_connections: 16,
            log_format: LogFormat::Text,
            read_your_writes_timeout_ms: 5_000,
            jwt_issuer: "altegon-meet".into(),
            jwt_algorithm: "HS256".into(),
            jwt_public_key_file: None,
            jwt_private_key_file: None,
            jwt_ttl_secs: 3_600,
            room_token_ttl_secs: 4 * 3_600,
            max_json_body_bytes: 64 * 1024,
            transcript_secret: None,
            transcript_pbkdf2_digest: "sha512".into(),
            speech_key: None,
            speech_region: None,
            speech_token_url: None,
            summarizer: "offline".into(),
            openai_api_base: None,
            openai_api_key: None,
            openai_model: None,
            azure_openai_endpoint: None,
            azure_openai_deployment: None,
            azure_openai_api_version: None,
            azure_openai_api_key: None,
            blob_backend: "local".into(),
            blob_dir: None,
            azure_storage_connection_string: None,
            azure_storage_account: None,
            azure_storage_key: None,
            azure_storage_endpoint: None,
            azure_storage_container: "recordings".into(),
            public_base_url: None,
            blob_url_secret: None,
            sas_ttl_secs: 3_600,
            max_upload_bytes: 4 * 1024 * 1024 * 1024,
            max_room_file_bytes: 100 * 1024 * 1024,
            storage_default_limit_bytes: altegon_domain::storage::DEFAULT_STORAGE_LIMIT,
            storage_enforce_limit: false,
            recordings_dir: None,
            recording_server: true,
            recording_listen: SocketAddr::from(([0, 0, 0, 0], 3304)),
            recording_path: "/socket.io".into(),
            ingest_dir: None,
            recording_max_bytes: 8 * 1024 * 1024 * 1024,
            recording_max_chunk_bytes: 8 * 1024 * 1024,
            recording_max_queued_chunks: 64,
            recording_checkpoint_secs: 2,
            recording_width: 1280,
            recording_height: 720,
            ffmpeg_path: PathBuf::from("ffmpeg"),
            ffprobe_path: PathBuf::from("ffprobe"),
            processing_concurrency: 2,
            geoip_database: None,
            trust_forwarded_for: false,
            session_domain: None,
            realtime_max_message_bytes: 64 * 1024,
            realtime_messages_per_second: 50,
            realtime_leave_grace_ms: 10_000,
            rate_limiting: true,
            rate_limit_auth_per_minute: 20,
            rate_limit_storage_reads_per_minute: 300,
            rate_limit_uploads_per_minute: 60,
            rate_limit_deletes_per_minute: 60,
            rate_limit_sas_per_minute: 60,
            rate_limit_default_per_minute: 1_200,
            redis_url: None,
            redis_prefix: "altegon".into(),
            sfu_listen: None,
            sfu_public_address: None,
            cors_allowed_origins: String::new(),
            graphql_max_depth: 12,
            graphql_max_complexity: 50_000,
            graphql_introspection: true,
            webhooks: true,
            webhook_secrets_key: None,
            idempotency_secret: None,
            webhook_allow_http: false,
            webhook_allow_private_addresses: false,
            webhook_timeout_ms: 10_000,
            webhook_retry_base_ms: 1_000,
            webhook_retry_max_delay_secs: 3_600,
            webhook_retry_window_secs: 24 * 3_600,
            webhook_max_in_flight: 8,
            webhook_max_endpoints_per_user: 25,
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value is missing or malformed; the message names key and source.
    #[error("configuration: {0}")]
    Invalid(String),
    /// A value parsed but is not acceptable.
    #[error("configuration: {key}: {message}")]
    Unacceptable {
        /// The key, as an environment variable.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The data dir or the generated secret could not be written.
    #[error("configuration: {0}")]
    Io(String),
}

/// Which backend holds the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventStoreKind {
    /// The embedded SQLite file in the data dir.
    Sqlite,
    /// A PostgreSQL server.
    Postgres(String),
    /// A KurrentDB / EventStoreDB cluster.
    Kurrent(String),
}

impl Config {
    /// Loads defaults, then `file` (or `ALTEGON_CONFIG`) when given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let env_file = std::env::var_os("ALTEGON_CONFIG").map(PathBuf::from);
        if let Some(path) = file.map(Path::to_path_buf).or(env_file) {
            if !path.exists() {
                return Err(ConfigError::Io(format!(
                    "config file {} not found",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        let config: Config = figment
            .merge(Env::prefixed("ALTEGON_").ignore(&["config"]))
            .extract()
            .map_err(describe)?;
        config.event_store_kind()?;
        if config.jwt_ttl_secs == 0 || config.room_token_ttl_secs == 0 {
            return Err(ConfigError::Unacceptable {
                key: "ALTEGON_JWT_TTL_SECS",
                message: "token lifetimes must be at least 1 second".into(),
            });
        }
        if config.sas_ttl_secs == 0 || config.sas_ttl_secs > 7 * 24 * 3_600 {
            return Err(ConfigError::Unacceptable {
                key: "ALTEGON_SAS_TTL_SECS",
                message: "must be between 1 second and 7 days".into(),
            });
        }
        if config.processing_concurrency == 0 || config.recording_max_queued_chunks == 0 {
            return Err(ConfigError::Unacceptable {
                key: "ALTEGON_PROCESSING_CONCURRENCY",
                message: "processing concurrency and queued chunks must be at least 1".into(),
            });
        }
        if config.realtime_messages_per_second == 0 || config.realtime_max_message_bytes == 0 {
            return Err(ConfigError::Unacceptable {
                key: "ALTEGON_REALTIME_MESSAGES_PER_SECOND",
                message: "realtime message rate and size limits must be at least 1".into(),
            });
        }
        if config.redis_prefix.is_empty()
            || !config
                .redis_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        {
            return Err(ConfigError::Unacceptable {
                key: "ALTEGON_REDIS_PREFIX",
                message: "must be letters, digits, '-', '_', '.' or ':'".into(),
            });
        }
        if !config.recording_path.starts_with('/') {
            return Err(ConfigError::Unacceptable {
                key: "ALTEGON_RECORDING_PATH",
                message: "must start with /".into(),
            });
        }
        if config.webhook_timeout_ms == 0
            || config.webhook_retry_base_ms == 0
            || config.webhook_retry_window_secs == 0
            || config.webhook_max_in_flight == 0
        {
            return Err(ConfigError::Unacceptable {
                key: "ALTEGON_WEBHOOK_TIMEOUT_MS",
                message: "webhook timeout, retry base, retry window and in-flight limit must be at least 1".into(),
            });
        }
        if config.pg_max_connections == 0 {
            return Err(ConfigError::Unacceptable {
                key: "ALTEGON_PG_MAX_CONNECTIONS",
                message: "must be at least 1".into(),
            });
        }
        Ok(config)
    }

    /// The event log backend named by `event_store`.
    pub fn event_store_kind(&self) -> Result<EventStoreKind, ConfigError> {
        let value = self.event_store.trim();
        let scheme = value
            .split("://")
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" if !value.contains("://") => Ok(EventStoreKind::Sqlite),
            "postgres" | "postgresql" => Ok(EventStoreKind::Postgres(value.to_owned())),
            "kurrentdb" | "kurrentdb+discover" | "esdb" | "esdb+discover" => {
                Ok(EventStoreKind::Kurrent(value.to_owned()))
            }
            _ => Err(ConfigError::Unacceptable {
                key: "ALTEGON_EVENT_STORE",
                message: "must be `sqlite`, a postgres:// URL, or a kurrentdb:// or esdb:// URL"
                    .into(),
            }),
        }
    }

    /// The embedded event log file.
    pub fn sqlite_event_log(&self) -> PathBuf {
        self.data_dir.join("events.db")
    }

    /// The read-model database URL, defaulting to SQLite in the data dir.
    pub fn read_model_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir.join("read-models.db").display()
            )
        })
    }

    /// The JWT secret: configured, or read from (or generated into) the data dir.
    pub fn jwt_secret(&self) -> Result<SecretString, ConfigError> {
        self.secret_or_generated(&self.jwt_secret, "ALTEGON_JWT_SECRET", "jwt-secret")
    }

    /// The key of signed local download URLs.
    pub fn blob_url_secret(&self) -> Result<SecretString, ConfigError> {
        self.secret_or_generated(
            &self.blob_url_secret,
            "ALTEGON_BLOB_URL_SECRET",
            "blob-url-secret",
        )
    }

    /// The key sealing webhook signing secrets.
    pub fn webhook_secrets_key(&self) -> Result<SecretString, ConfigError> {
        self.secret_or_generated(
            &self.webhook_secrets_key,
            "ALTEGON_WEBHOOK_SECRETS_KEY",
            "webhook-secrets-key",
        )
    }

    /// The key of request digests kept with idempotent commands.
    pub fn idempotency_secret(&self) -> Result<SecretString, ConfigError> {
        self.secret_or_generated(
            &self.idempotency_secret,
            "ALTEGON_IDEMPOTENCY_SECRET",
            "idempotency-secret",
        )
    }

    /// How webhooks are delivered.
    pub fn webhook_settings(&self) -> altegon_webhooks::WebhookSettings {
        use std::time::Duration;
        altegon_webhooks::WebhookSettings {
            policy: altegon_webhooks::UrlPolicy {
                allow_http: self.webhook_allow_http,
                allow_private: self.webhook_allow_private_addresses,
            },
            retry: altegon_webhooks::RetryPolicy {
                base: Duration::from_millis(self.webhook_retry_base_ms),
                max_delay: Duration::from_secs(self.webhook_retry_max_delay_secs.max(1)),
                window: Duration::from_secs(self.webhook_retry_window_secs),
            },
            timeout: Duration::from_millis(self.webhook_timeout_ms),
            max_in_flight: self.webhook_max_in_flight,
            idle_poll: Duration::from_secs(1),
        }
    }

    /// Folder of the local blob backend.
    pub fn blob_dir(&self) -> PathBuf {
        self.blob_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("blobs"))
    }

    /// Folder of finished recordings that may be uploaded by path.
    pub fn recordings_dir(&self) -> PathBuf {
        self.recordings_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("recordings"))
    }

    /// Folder of the recording server's working files.
    pub fn ingest_dir(&self) -> PathBuf {
        self.ingest_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("ingest"))
    }

    /// The base of URLs this server hands out for itself.
    pub fn public_base_url(&self, bound: SocketAddr) -> String {
        self.public_base_url.clone().unwrap_or_else(|| {
            let host = if bound.ip().is_unspecified() {
                SocketAddr::from(([127, 0, 0, 1], bound.port()))
            } else {
                bound
            };
            format!("http://{host}")
        })
    }

    /// The transcript secret: configured, or read from (or generated into) the data
    /// dir. Web clients must be given the same secret to encrypt their lines.
    pub fn transcript_secret(&self) -> Result<SecretString, ConfigError> {
        self.secret_or_generated(
            &self.transcript_secret,
            "ALTEGON_TRANSCRIPT_SECRET",
            "transcript-secret",
        )
    }

    fn secret_or_generated(
        &self,
        configured: &Option<SecretString>,
        key: &'static str,
        file: &str,
    ) -> Result<SecretString, ConfigError> {
        if let Some(secret) = configured {
            if secret.expose_secret().len() < 32 {
                return Err(ConfigError::Unacceptable {
                    key,
                    message: "must be at least 32 characters".into(),
                });
            }
            return Ok(secret.clone());
        }
        let path = self.data_dir.join(file);
        let io = |e: std::io::Error| ConfigError::Io(format!("{}: {e}", path.display()));
        if path.exists() {
            let secret = std::fs::read_to_string(&path).map_err(io)?;
            return Ok(SecretString::from(secret.trim().to_owned()));
        }
        std::fs::create_dir_all(&self.data_dir).map_err(io)?;
        let secret = hex::encode(rand::random::<[u8; 32]>());
        write_private(&path, &secret).map_err(io)?;
        tracing::warn!(
            path = %path.display(),
            "{key} is not set; generated a secret and stored it in the data dir"
        );
        Ok(SecretString::from(secret))
    }
}

/// Names each bad key both as the file key and as its environment variable.
fn describe(error: figment::Error) -> ConfigError {
    let lines: Vec<String> = error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".").to_lowercase();
            let source = e
                .metadata
                .as_ref()
                .map(|m| format!(" (from {})", m.name))
                .unwrap_or_default();
            if key.is_empty() {
                format!("{}{source}", e.kind)
            } else {
                let env = format!("ALTEGON_{}", key.replace('.', "_").to_uppercase());
                format!("{key} / {env}: {}{source}", e.kind)
            }
        })
        .collect();
    ConfigError::Invalid(lines.join("; "))
}

/// Writes a file readable by its owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail closures return its large error type
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn defaults_need_no_environment() {
        Jail::expect_with(|_| {
            let c = Config::load(None).unwrap();
            assert_eq!(c.listen.to_string(), "0.0.0.0:8080");
            assert_eq!(c.data_dir, PathBuf::from("./data"));
            assert_eq!(c.event_store_kind().unwrap(), EventStoreKind::Sqlite);
            Ok(())
        });
    }

    #[test]
    fn the_environment_overrides_the_file() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "altegon.toml",
                "listen = \"127.0.0.1:9000\"\ndata_dir = \"/tmp/x\"",
            )?;
            jail.set_env("ALTEGON_LISTEN", "127.0.0.1:9001");
            let c = Config::load(Some(Path::new("altegon.toml"))).unwrap();
            assert_eq!(c.listen.to_string(), "127.0.0.1:9001");
            assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
            Ok(())
        });
    }

    #[test]
    fn a_bad_value_names_its_key() {
        Jail::expect_with(|jail| {
            jail.set_env("ALTEGON_LISTEN", "not-an-address");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("listen / ALTEGON_LISTEN"), "{err}");
            jail.set_env("ALTEGON_LISTEN", "127.0.0.1:1");
            jail.set_env("ALTEGON_EVENT_STORE", "mysql://x");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("ALTEGON_EVENT_STORE"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn event_store_urls_pick_their_backend() {
        let with = |s: &str| Config {
            event_store: s.into(),
            ..Config::default()
        };
        assert!(matches!(
            with("postgres://u@h/db").event_store_kind(),
            Ok(EventStoreKind::Postgres(_))
        ));
        assert!(matches!(
            with("esdb://h:2113?tls=false").event_store_kind(),
            Ok(EventStoreKind::Kurrent(_))
        ));
        assert!(matches!(
            with("kurrentdb://h:2113").event_store_kind(),
            Ok(EventStoreKind::Kurrent(_))
        ));
        assert!(with("sqlite://x").event_store_kind().is_err());
    }

    #[test]
    fn a_missing_secret_is_generated_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let first = c.jwt_secret().unwrap();
        let second = c.jwt_secret().unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert_eq!(first.expose_secret().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("jwt-secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_short_configured_secret_is_refused() {
        let c = Config {
            jwt_secret: Some(SecretString::from("short")),
            ..Config::default()
        };
        assert!(
            c.jwt_secret()
                .unwrap_err()
                .to_string()
                .contains("ALTEGON_JWT_SECRET")
        );
    }
}
