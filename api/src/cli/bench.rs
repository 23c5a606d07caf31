//! `bench append`: event store append throughput against a same-run baseline.

use std::process::ExitCode;

use clap::Subcommand;

/// `bench` subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Append throughput with concurrent writers.
    Append,
}

/// Runs a `bench` subcommand.
pub async fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    let BenchCommand::Append = cmd;
    anyhow::bail!("not available yet")
}
