//! `events export` writes the log as NDJSON, one event per line, page by page (so
//! any size streams through), optionally only a time window; `events tail`
//! follows the log live.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use altegon_commands::store::{EventFilter, Position, RecordedEvent, SubscriptionStart};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::config::Config;
use crate::stores::open_event_store;

/// Events read per page when exporting.
const PAGE: usize = 1000;

/// `events` subcommands.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Follow the log: print events as NDJSON as they are appended, until Ctrl-C.
    Tail {
        /// Start after this position (default: the current end).
        #[arg(long)]
        after: Option<Position>,
        /// Only streams starting with this prefix (repeatable).
        #[arg(long = "stream-prefix")]
        stream_prefixes: Vec<String>,
        /// Only events of this type (repeatable).
        #[arg(long = "type")]
        event_types: Vec<String>,
    },
    /// Write the log as NDJSON, oldest first.
    Export {
        /// Start after this position.
        #[arg(long, default_value_t = 0)]
        after: Position,
        /// Only events recorded at or after this time (RFC 3339).
        #[arg(long)]
        from: Option<DateTime<Utc>>,
        /// Only events recorded at or before this time (RFC 3339).
        #[arg(long)]
        until: Option<DateTime<Utc>>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// Runs an `events` subcommand.
pub async fn run(cmd: EventsCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let store = open_event_store(config).await?;
    let result = match cmd {
        EventsCommand::Export {
            after,
            from,
            until,
            output,
        } => {
            let window = TimeWindow { from, until };
            export(store.as_ref(), after, window, output).await
        }
        EventsCommand::Tail {
            after,
            stream_prefixes,
            event_types,
        } => {
            let start = after.map_or(SubscriptionStart::End, SubscriptionStart::After);
            let filter = EventFilter {
                stream_prefixes,
                event_types,
            };
            tail(store.as_ref(), start, filter).await
        }
    };
    store.close().await;
    result.map(|()| ExitCode::SUCCESS)
}

/// The recording times an export keeps, both ends inclusive.
#[derive(Debug, Clone, Copy, Default)]
struct TimeWindow {
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

impl TimeWindow {
    fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from.is_none_or(|f| at >= f) && self.until.is_none_or(|u| at <= u)
    }
}

/// Reads the whole log from `after` (recording times need not follow positions
/// exactly when transactions commit out of order) and writes the events in `window`.
async fn export(
    store: &dyn altegon_commands::store::EventStore,
    mut after: Position,
    window: TimeWindow,
    output: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut out: Box<dyn Write> = match &output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let progress = ProgressBar::new_spinner().with_style(ProgressStyle::with_template(
        "{spinner} {human_pos} events exported ({per_sec}) {msg}",
    )?);
    loop {
        let page = store.read_all(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        let mut written = 0;
        for event in page.iter().filter(|e| window.contains(e.recorded_at)) {
            serde_json::to_writer(&mut out, &event_line(event))?;
            out.write_all(b"\n")?;
            written += 1;
        }
        out.flush()?;
        progress.inc(written);
        progress.set_message(format!("position {after}"));
    }
    progress.finish();
    Ok(())
}

async fn tail(
    store: &dyn altegon_commands::store::EventStore,
    start: SubscriptionStart,
    filter: EventFilter,
) -> anyhow::Result<()> {
    let mut events = store.subscribe_to_all(start, filter);
    let mut out = std::io::stdout();
    loop {
        tokio::select! {
            next = events.next() => match next {
                Some(Ok(event)) => {
                    serde_json::to_writer(&mut out, &event_line(&event))?;
                    out.write_all(b"\n")?;
                    out.flush()?;
                }
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

/// One event as an NDJSON line; data and metadata are embedded as JSON.
pub fn event_line(e: &RecordedEvent) -> Value {
    let embed =
        |text: &str| serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()));
    json!({
        "position": e.position,
        "eventId": e.event_id,
        "streamId": e.stream_id,
        "streamVersion": e.stream_version,
        "type": e.event_type,
        "schemaVersion": e.schema_version,
        "data": embed(&e.data),
        "metadata": embed(&e.metadata),
        "recordedAt": e.recorded_at,
        "prevHash": e.prev_hash,
        "hash": e.hash,
    })
}
