//! The `altegon-meet` server and its command-line tools.
//!
//! [`config`] reads the one typed configuration; [`server`] wires the event store,
//! the command bus and the HTTP router and serves until shut down; [`cli`] holds the
//! operator commands (`events tail|export`, `audit verify`, `bench`).
#![warn(missing_docs)]

pub mod audit;
pub mod auth;
pub mod cli;
pub mod client_ip;
pub mod config;
pub mod consistency;
pub mod contracts;
pub mod error;
pub mod geo;
pub mod graphql;
pub mod idempotency;
pub mod json;
pub mod rate_limit;
pub mod realtime;
pub mod recording_server;
pub mod routes;
pub mod security;
pub mod server;
pub mod services;
pub mod speech;
pub mod state;
pub mod stores;
pub mod telemetry;
pub mod upload;
pub mod webhooks;

/// Installs the process-wide TLS crypto provider. Two rustls backends end up linked
/// (the PostgreSQL and KurrentDB clients pull different ones), and rustls refuses
/// to guess between them, so this must run before any TLS client is built.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
