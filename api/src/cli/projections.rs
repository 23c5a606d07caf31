//! `migrate`, `projections status` and `projections rebuild [NAME]`.

use std::process::ExitCode;
use std::time::Instant;

use clap::Subcommand;
use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::server::open_engine;
use crate::stores::open_event_store;

/// `projections` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Show each projection's position, version and lag.
    Status,
    /// Rebuild one projection (or all) into fresh tables and swap them in; a running
    /// server keeps serving the old tables until the swap.
    Rebuild {
        /// The projection; all when omitted.
        name: Option<String>,
    },
}

/// Runs the read side's migrations and creates missing read-model tables.
pub async fn migrate(config: &Config) -> anyhow::Result<ExitCode> {
    let store = open_event_store(config).await?;
    let engine = open_engine(config, store.clone()).await?;
    println!("read models migrated: {}", engine.names().join(", "));
    engine.db().close().await;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Runs a `projections` subcommand.
pub async fn run(cmd: ProjectionsCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let store = open_event_store(config).await?;
    let engine = open_engine(config, store.clone()).await?;
    let result = match cmd {
        ProjectionsCommand::Status => status(&engine).await,
        ProjectionsCommand::Rebuild { name } => rebuild(&engine, name.as_deref()).await,
    };
    engine.db().close().await;
    store.close().await;
    result.map(|()| ExitCode::SUCCESS)
}

async fn status(engine: &altegon_projections::ProjectionEngine) -> anyhow::Result<()> {
    println!(
        "{:<12} {:>8} {:>20} {:>12}",
        "projection", "version", "position", "lag (events)"
    );
    for s in engine.status().await? {
        let version = if s.stored_version == s.code_version {
            s.stored_version.to_string()
        } else {
            format!("{}->{}", s.stored_version, s.code_version)
        };
        let lag = if s.lag_capped {
            format!(">={}", s.lag_events)
        } else {
            s.lag_events.to_string()
        };
        println!(
            "{:<12} {:>8} {:>20} {:>12}",
            s.name, version, s.position, lag
        );
    }
    Ok(())
}

async fn rebuild(
    engine: &altegon_projections::ProjectionEngine,
    name: Option<&str>,
) -> anyhow::Result<()> {
    let style =
        ProgressStyle::with_template("{prefix:>12} [{bar:30}] {percent:>3}% {msg} ETA {eta}")?
            .progress_chars("=> ");
    let bars = MultiProgress::new();
    let started = Instant::now();
    let active: Mutex<HashMap<String, ProgressBar>> = Mutex::new(HashMap::new());
    engine
        .rebuild(name, |projection, p| {
            let Ok(mut active) = active.lock() else {
                return;
            };
            let bar = active.entry(projection.to_owned()).or_insert_with(|| {
                let bar = bars.add(ProgressBar::new(p.head.max(1)).with_style(style.clone()));
                bar.set_prefix(projection.to_owned());
                bar
            });
            let rate = p.events as f64 / started.elapsed().as_secs_f64().max(1e-3);
            bar.set_length(p.head.max(p.position).max(1));
            bar.set_position(p.position);
            bar.set_message(format!("{} events, {rate:.0} events/s", p.events));
        })
        .await?;
    let active = active.into_inner().unwrap_or_default();
    let mut names: Vec<_> = active.keys().cloned().collect();
    names.sort();
    for bar in active.values() {
        bar.finish();
    }
    for name in &names {
        println!("{name}: rebuilt");
    }
    println!(
        "rebuilt {} projection(s) in {:.1} s",
        names.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
