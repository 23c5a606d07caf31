//! `schemas write|check`: the published contracts under `schemas/` (event JSON
//! Schemas and fixtures, OpenAPI, GraphQL SDL) against the code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::contracts;

/// `schemas` subcommands.
#[derive(Debug, Subcommand)]
pub enum SchemasCommand {
    /// Regenerate what differs; refuses breaking event changes without a new version.
    Write {
        /// The contracts folder (the source tree's `schemas/` by default).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// List every difference; exits 1 when there is one.
    Check {
        /// The contracts folder (the source tree's `schemas/` by default).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// Runs a `schemas` subcommand.
pub fn run(cmd: SchemasCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SchemasCommand::Write { dir } => {
            let dir = dir.unwrap_or_else(contracts::source_dir);
            let written = contracts::write(&dir)?;
            for path in &written {
                println!("wrote {}", dir.join(path).display());
            }
            println!(
                "{} file(s) written, {} up to date",
                written.len(),
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        SchemasCommand::Check { dir } => {
            let dir = dir.unwrap_or_else(contracts::source_dir);
            let drifts = contracts::check(&dir);
            for drift in &drifts {
                println!("{drift}");
            }
            if drifts.is_empty() {
                println!("{} matches the code", dir.display());
                Ok(ExitCode::SUCCESS)
            } else {
                println!(
                    "{} difference(s); `{}` fixes the writable ones",
                    drifts.len(),
                    contracts::WRITE_COMMAND
                );
                Ok(ExitCode::from(1))
            }
        }
    }
}
