//! `audit verify`: recomputes every stream's hash chain and reports each changed or
//! removed event with its stream and version. Exits with 1 when anything is found.

use std::process::ExitCode;

use altegon_commands::store::verify::verify_log;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::stores::open_event_store;

/// `audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify every stream's hash chain.
    Verify,
}

/// Runs an `audit` subcommand.
pub async fn run(cmd: AuditCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify = cmd;
    let store = open_event_store(config).await?;
    let progress = ProgressBar::new_spinner().with_style(ProgressStyle::with_template(
        "{spinner} {human_pos} events checked ({per_sec}) {msg}",
    )?);
    let report = verify_log(store.as_ref(), |events, position| {
        progress.set_position(events);
        progress.set_message(format!("position {position}"));
    })
    .await;
    progress.finish_and_clear();
    store.close().await;
    let report = report?;
    for finding in &report.findings {
        println!("{finding}");
    }
    let heads = if report.heads_checked {
        "stream heads checked"
    } else {
        "this backend records no stream heads: removal of a stream's newest events is not detectable"
    };
    println!(
        "{} events in {} streams checked, {} problem(s) found ({heads})",
        report.events,
        report.streams,
        report.findings.len()
    );
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
