//! `storage sweep`: removes orphan blobs (bytes no event records) older than a
//! grace period. The read models are brought up to the log's head first, so a
//! recorded file is never taken for an orphan.

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::Duration;

use altegon_media::sweep::sweep_orphans;
use altegon_projections::models::{room_files, storage};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::server::open_engine;
use crate::stores::open_event_store;

/// `storage` subcommands.
#[derive(Debug, Subcommand)]
pub enum StorageCommand {
    /// Remove blobs under `recordings/` and `documents/` that no event records.
    Sweep(SweepArgs),
}

/// `storage sweep` options.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// List the orphans without removing them.
    #[arg(long)]
    dry_run: bool,
    /// Leave blobs written less than this many seconds ago alone.
    #[arg(long, default_value_t = 3600)]
    grace_secs: u64,
    /// Longest wait for the read models to reach the log's head.
    #[arg(long, default_value_t = 300)]
    catch_up_secs: u64,
}

/// Runs a `storage` subcommand.
pub async fn run(cmd: StorageCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let StorageCommand::Sweep(args) = cmd;
    let store = open_event_store(config).await?;
    let engine = open_engine(config, store.clone()).await?;
    let head = store.head_position().await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runners = engine.spawn_runners(stopped);
    let spinner = ProgressBar::new_spinner()
        .with_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}")?);
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner.set_message(format!("bringing read models to position {head}"));
    let caught_up = engine
        .wait_for(head, Duration::from_secs(args.catch_up_secs))
        .await;
    let _ = stop.send(true);
    for runner in runners {
        let _ = runner.await;
    }
    caught_up.map_err(|e| anyhow::anyhow!("read models did not catch up, nothing swept: {e}"))?;

    let pool = engine.db().pool();
    let mut referenced: HashSet<String> =
        storage::all_blob_paths(pool).await?.into_iter().collect();
    referenced.extend(room_files::all_paths(pool).await?);
    let blobs = crate::services::blob_settings(config)?
        .open(&config.public_base_url(config.listen))
        .await?;
    spinner.set_message("scanning blobs");
    let older_than = chrono::Utc::now() - chrono::Duration::seconds(args.grace_secs as i64);
    let report = sweep_orphans(&blobs, &referenced, older_than, args.dry_run, |n| {
        spinner.set_message(format!("{n} blobs scanned"));
    })
    .await;
    spinner.finish_and_clear();
    engine.db().close().await;
    store.close().await;
    let report = report?;
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for orphan in &report.orphans {
        println!("{verb} {orphan}");
    }
    println!(
        "{} blobs scanned, {} recorded; {verb} {} orphan(s), {} bytes; {} unrecorded blob(s) younger than {} s left alone",
        report.scanned,
        referenced.len(),
        report.orphans.len(),
        report.orphan_bytes,
        report.too_recent,
        args.grace_secs
    );
    Ok(ExitCode::SUCCESS)
}
