//! The command line: `altegon-meet [serve]`, `migrate`, `projections status|rebuild`,
//! `users create-admin|grant-admin`, `events tail|export`, `audit verify`, `storage sweep`, `schemas write|check`, `bench`. Each subcommand opens the configured event store itself, so the
//! tools work beside a running server.

pub mod audit;
pub mod bench;
pub mod events;
pub mod projections;
pub mod schemas;
pub mod storage;
pub mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::server::Server;

/// The Altegon Meet backend.
#[derive(Debug, Parser)]
#[command(name = "altegon-meet", version, about)]
pub struct Cli {
    /// A TOML configuration file (also `ALTEGON_CONFIG`); `ALTEGON_*` variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Read the event log.
    #[command(subcommand)]
    Events(events::EventsCommand),
    /// Check the event log's integrity.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Run the read side's migrations and create missing read-model tables.
    Migrate,
    /// Inspect, rebuild and verify read models.
    #[command(subcommand)]
    Projections(projections::ProjectionsCommand),
    /// Build the read models as they stood at a time or position into another,
    /// empty database.
    Replay(projections::ReplayArgs),
    /// Manage users (administrators).
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Maintain blob storage.
    #[command(subcommand)]
    Storage(storage::StorageCommand),
    /// Check or regenerate the published contracts under `schemas/`.
    #[command(subcommand)]
    Schemas(schemas::SchemasCommand),
    /// Measure the event store.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Runs the parsed command line.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<ExitCode> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            Server::start(config).await?.run_until_signalled().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Events(cmd) => events::run(cmd, &config).await,
        Command::Migrate => projections::migrate(&config).await,
        Command::Projections(cmd) => projections::run(cmd, &config).await,
        Command::Replay(args) => projections::replay(args, &config).await,
        Command::Users(cmd) => users::run(cmd, &config).await,
        Command::Audit(cmd) => audit::run(cmd, &config).await,
        Command::Bench(cmd) => bench::run(cmd).await,
        Command::Storage(cmd) => storage::run(cmd, &config).await,
        Command::Schemas(cmd) => schemas::run(cmd),
    }
}
