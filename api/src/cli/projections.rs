//! `migrate`, `projections status|rebuild|verify [NAME]` and
//! `replay --until --into`.

use std::process::ExitCode;
use std::time::Instant;

use clap::Subcommand;
use std::collections::HashMap;
use std::sync::Mutex;

use altegon_projections::RebuildProgress;
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
    /// Replay the log into scratch tables and compare them row for row with the
    /// live read models; exits with 1 when any differs.
    Verify {
        /// The projection; all when omitted.
        name: Option<String>,
    },
}

/// `replay` options.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Where to stop: an RFC 3339 time (events recorded up to it) or a log position.
    #[arg(long)]
    until: String,
    /// The empty database to build into (`postgres://…` or `sqlite://…`).
    #[arg(long)]
    into: String,
}

/// Reads `--until`: a position when it is a number, else an RFC 3339 time.
fn until(value: &str) -> anyhow::Result<altegon_projections::Until> {
    if let Ok(position) = value.parse::<u64>() {
        return Ok(altegon_projections::Until::Position(position));
    }
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| altegon_projections::Until::Time(t.with_timezone(&chrono::Utc)))
        .map_err(|_| {
            anyhow::anyhow!("--until must be a log position or an RFC 3339 time, not {value:?}")
        })
}

/// Builds every read model into `--into` as the log stood at `--until`.
pub async fn replay(args: ReplayArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let until = until(&args.until)?;
    let store = open_event_store(config).await?;
    let engine = open_engine(config, store.clone()).await?;
    let target = altegon_projections::ReadDb::connect(&args.into, 4).await?;
    target.migrate().await?;
    let bars = Bars::new()?;
    let reached = engine
        .replay_into(&target, until, |name, p| bars.show(name, p))
        .await;
    bars.finish();
    target.close().await;
    engine.db().close().await;
    store.close().await;
    let reached = reached?;
    println!(
        "read models built into {} as of position {reached}",
        redacted(&args.into)
    );
    Ok(ExitCode::SUCCESS)
}

/// A database URL without its password, for output.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
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
        ProjectionsCommand::Status => status(&engine).await.map(|()| true),
        ProjectionsCommand::Rebuild { name } => {
            rebuild(&engine, name.as_deref()).await.map(|()| true)
        }
        ProjectionsCommand::Verify { name } => verify(&engine, name.as_deref()).await,
    };
    engine.db().close().await;
    store.close().await;
    result.map(|fine| {
        if fine {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    })
}

/// One progress bar per projection: position of the log, events/s, ETA.
struct Bars {
    style: ProgressStyle,
    bars: MultiProgress,
    started: Instant,
    active: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            style: ProgressStyle::with_template(
                "{prefix:>12} [{bar:30}] {percent:>3}% {msg} ETA {eta}",
            )?
            .progress_chars("=> "),
            bars: MultiProgress::new(),
            started: Instant::now(),
            active: Mutex::new(HashMap::new()),
        })
    }

    fn show(&self, projection: &str, p: RebuildProgress) {
        let Ok(mut active) = self.active.lock() else {
            return;
        };
        let bar = active.entry(projection.to_owned()).or_insert_with(|| {
            let bar = self
                .bars
                .add(ProgressBar::new(p.head.max(1)).with_style(self.style.clone()));
            bar.set_prefix(projection.to_owned());
            bar
        });
        let rate = p.events as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        bar.set_length(p.head.max(p.position).max(1));
        bar.set_position(p.position);
        bar.set_message(format!("{} events, {rate:.0} events/s", p.events));
    }

    /// Finishes the bars; answers the projections shown, by name.
    fn finish(&self) -> Vec<String> {
        let active = self.active.lock().map(|a| a.clone()).unwrap_or_default();
        let mut names: Vec<_> = active.keys().cloned().collect();
        names.sort();
        for bar in active.values() {
            bar.finish();
        }
        names
    }
}

async fn verify(
    engine: &altegon_projections::ProjectionEngine,
    name: Option<&str>,
) -> anyhow::Result<bool> {
    let bars = Bars::new()?;
    let found = engine.verify(name, |n, p| bars.show(n, p)).await;
    bars.finish();
    let mut fine = true;
    for (projection, verification) in found? {
        for table in &verification.tables {
            let verdict = if table.only_live == 0 && table.only_replayed == 0 {
                "same".to_owned()
            } else {
                fine = false;
                format!(
                    "DIFFERS: {} row(s) only in the live table, {} only in the replay",
                    table.only_live, table.only_replayed
                )
            };
            println!(
                "{projection}.{}: {verdict} (position {})",
                table.table, verification.position
            );
        }
    }
    println!(
        "{}",
        if fine {
            "every read model is what the log says"
        } else {
            "some read models differ from the log"
        }
    );
    Ok(fine)
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
    let bars = Bars::new()?;
    let started = bars.started;
    engine.rebuild(name, |n, p| bars.show(n, p)).await?;
    let names = bars.finish();
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
