//! Starts the HTTP server with its workers under one shutdown signal, and closes
//! the event log after the last request is done.

use std::net::SocketAddr;
use std::sync::Arc;

use altegon_commands::CommandBus;
use axum::http::HeaderName;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::state::AppState;
use crate::stores::open_event_store;

/// A running server.
pub struct Server {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Opens the stores and starts listening (port 0 picks a free port).
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        let store = open_event_store(&config).await?;
        // Made (or read) now so a missing secret is reported at start, not at first login.
        config.jwt_secret()?;
        let state = AppState {
            config: Arc::new(config.clone()),
            bus: CommandBus::new(store.clone()),
            store: store.clone(),
        };
        let request_id = HeaderName::from_static("x-request-id");
        let app = crate::routes::router()
            .with_state(state)
            .layer(PropagateRequestIdLayer::new(request_id.clone()))
            .layer(TraceLayer::new_for_http())
            .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));

        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr()?;
        let (shutdown, mut stop) = watch::channel(false);
        let task = tokio::spawn(async move {
            let served = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
            store.close().await;
            served.map_err(Into::into)
        });
        tracing::info!(%addr, event_store = %config.event_store_kind_name(), "listening");
        Ok(Self {
            addr,
            shutdown,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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
