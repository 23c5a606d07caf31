//! Starts the HTTP server with its workers under one shutdown signal, and closes
//! the event log after the last request is done.

use anyhow::Context as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use altegon_commands::CommandBus;
use altegon_projections::{ProjectionEngine, ReadDb, models};
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderName;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::recording_server::{RecordingServer, RecordingServerParts};
use crate::state::{AppState, ServerState};
use crate::stores::open_event_store;

/// A running server.
pub struct Server {
    addr: SocketAddr,
    recording_addr: Option<SocketAddr>,
    sfu_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Opens the stores and starts listening (port 0 picks a free port).
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        crate::routes::metrics::handle();
        // Secrets and services first: a bad setting stops start-up before any IO.
        let secret = config.jwt_secret()?;
        let cipher = Arc::new(crate::services::cipher(&config)?);
        let summarizer = crate::services::summarizer(&config)?;
        let speech = crate::services::speech(&config)?.map(Arc::new);
        let blob_settings = crate::services::blob_settings(&config)?;
        let sealer = crate::services::webhook_sealer(&config)?;
        let geo = Arc::new(crate::geo::GeoLocator::open(
            config.geoip_database.as_deref(),
        )?);
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr()?;
        let blobs = blob_settings.open(&config.public_base_url(addr)).await?;
        let store = open_event_store(&config).await?;
        let engine = open_engine(&config, store.clone()).await?;
        let (shutdown, mut stop) = watch::channel(false);
        let runners = engine.spawn_runners(stop.clone());
        let keys = crate::services::jwt_keys(&config, &secret)?;
        let recording = RecordingServer::start(
            &config,
            RecordingServerParts {
                store: store.clone(),
                bus: CommandBus::new(store.clone()),
                blobs: blobs.clone(),
                keys: keys.clone(),
                engine: engine.clone(),
            },
            stop.clone(),
        )
        .await?;
        let recording_addr = recording.addr;
        let webhooks = altegon_webhooks::Webhooks::new(
            config.webhook_settings(),
            engine.db().clone(),
            CommandBus::new(store.clone()),
            sealer,
        )?;
        let dispatcher = config.webhooks.then(|| webhooks.spawn(stop.clone()));
        // Every revocation is known before the first request is answered.
        let revocations = crate::auth::Revocations::new(max_token_ttl(&config));
        revocations.follow(store.clone()).await?;
        let state: AppState = Arc::new(ServerState {
            config: Arc::new(config.clone()),
            bus: CommandBus::new(store.clone()),
            store: store.clone(),
            engine: engine.clone(),
            keys,
            read_timeout: Duration::from_millis(config.read_your_writes_timeout_ms),
            cipher,
            summarizer,
            speech,
            blobs,
            geo,
            webhooks,
            rate_limiter: crate::rate_limit::RateLimiter::from_config(&config).await?,
            revocations,
            request_digests: crate::idempotency::RequestDigests::new(&config.idempotency_secret()?),
        });
        let state_blobs = state.blobs.backend_name();
        let sfu = match config.sfu_listen {
            Some(listen) => Some(
                altegon_media::sfu::server::start(listen, config.sfu_public_address, {
                    let mut stop = stop.clone();
                    async move {
                        let _ = stop.wait_for(|s| *s).await;
                    }
                })
                .await
                .with_context(|| format!("starting the SFU on {listen}"))?,
            ),
            None => None,
        };
        let sfu_addr = sfu
            .as_ref()
            .map(altegon_media::sfu::server::SfuHandle::address);
        let relay = crate::realtime::relay(
            &config,
            crate::realtime::RelayParts {
                keys: state.keys.clone(),
                bus: state.bus.clone(),
                geo: state.geo.clone(),
                cipher: state.cipher.clone(),
                sfu,
            },
        )
        .await?;
        let request_id = HeaderName::from_static("x-request-id");
        let schema = crate::graphql::schema(state.clone());
        let [nosniff, frames, referrer, resources] = crate::security::header_layers();
        let cors = crate::security::cors(&config);
        let app = crate::routes::router()
            .merge(crate::graphql::router(schema))
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::idempotency::digest_keyed_requests,
            ))
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::rate_limit::limit,
            ))
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::audit::record,
            ))
            .layer(axum::middleware::from_fn(crate::routes::metrics::track))
            .layer(DefaultBodyLimit::max(config.max_json_body_bytes))
            .with_state(state)
            .merge(relay.websocket_router())
            .layer(relay.room_data.0.clone())
            .layer(relay.meet_api.0.clone())
            .layer(axum::middleware::from_fn(
                crate::security::server_errors_carry_the_request_id,
            ))
            .layer(nosniff)
            .layer(frames)
            .layer(referrer)
            .layer(resources)
            .layer(tower::util::option_layer(cors))
            .layer(PropagateRequestIdLayer::new(request_id.clone()))
            .layer(TraceLayer::new_for_http())
            .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));

        let task = tokio::spawn(async move {
            let served = axum::serve(
                listener.tap_io(send_without_delay),
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
                relay.close().await;
            })
            .await;
            recording.finish().await;
            if let Some(dispatcher) = dispatcher {
                let _ = dispatcher.await;
            }
            for runner in runners {
                let _ = runner.await;
            }
            store.close().await;
            engine.db().close().await;
            served.map_err(Into::into)
        });
        tracing::info!(
            %addr,
            event_store = %config.event_store_kind_name(),
            blobs = %state_blobs,
            "listening"
        );
        Ok(Self {
            addr,
            recording_addr,
            sfu_addr,
            shutdown,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the recording server listens, when it runs.
    pub fn recording_addr(&self) -> Option<SocketAddr> {
        self.recording_addr
    }

    /// The SFU's media address (its ICE candidate), when it runs.
    pub fn sfu_addr(&self) -> Option<SocketAddr> {
        self.sfu_addr
    }

    /// Stops accepting, finishes in-flight requests, closes the stores.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await?
    }

    /// Runs until SIGINT or SIGTERM, then stops gracefully.
    pub async fn run_until_signalled(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.stop().await
    }
}

/// The longest an access token lives, in seconds.
pub fn max_token_ttl(config: &Config) -> i64 {
    i64::try_from(config.jwt_ttl_secs).unwrap_or(i64::MAX / 2)
}

/// Connects the read side, runs its migrations and creates missing tables.
pub async fn open_engine(
    config: &Config,
    store: altegon_commands::store::SharedEventStore,
) -> anyhow::Result<ProjectionEngine> {
    let db = ReadDb::connect(&config.read_model_url(), config.pg_max_connections).await?;
    let engine = ProjectionEngine::new(db, store, models::all());
    engine.prepare().await?;
    Ok(engine)
}

impl Config {
    /// The event store's backend name, without credentials, for logs.
    pub fn event_store_kind_name(&self) -> &'static str {
        match self.event_store_kind() {
            Ok(crate::config::EventStoreKind::Sqlite) => "sqlite",
            Ok(crate::config::EventStoreKind::Postgres(_)) => "postgres",
            Ok(crate::config::EventStoreKind::Kurrent(_)) => "kurrentdb",
            Err(_) => "invalid",
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// Turns Nagle's algorithm off on an accepted connection. Realtime messages are
/// small and each should leave at once: held back until the client acknowledges
/// the previous one, which clients delay, a message waits tens of milliseconds.
/// Browsers and Node servers open their sockets the same way.
pub(crate) fn send_without_delay(tcp: &mut tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "TCP_NODELAY could not be set");
    }
}

#[cfg(test)]
mod tests {
    use super::send_without_delay;

    #[tokio::test]
    async fn accepted_connections_send_without_delay() -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let _client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
        let (mut accepted, _) = listener.accept().await?;
        assert!(!accepted.nodelay()?, "Nagle's algorithm is on by default");
        send_without_delay(&mut accepted);
        assert!(accepted.nodelay()?);
        Ok(())
    }
}
