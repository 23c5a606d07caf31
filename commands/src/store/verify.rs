//! The auditor's check of the log: recomputes every event's hash, follows every
//! stream's chain, and compares each stream's end with the heads the backend
//! records. Anything changed or removed is reported with its stream and version.

use std::collections::HashMap;
use std::fmt;

use super::chain::GENESIS_HASH;
use super::{EventStore, Position, StoreError};

/// Events read per page.
const PAGE: usize = 1000;

/// What is wrong at one place in a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The event's content no longer matches its hash: it was changed.
    Changed,
    /// The event does not link to the one before it: that one was changed or replaced.
    LinkBroken,
    /// These versions are absent: events were removed.
    Missing {
        /// First absent version.
        from: u64,
        /// Last absent version.
        to: u64,
    },
}

/// One finding of the audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The stream.
    pub stream_id: String,
    /// The version where the problem shows.
    pub version: u64,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, v) = (&self.stream_id, self.version);
        match &self.problem {
            Problem::Changed => write!(
                f,
                "{s} version {v}: content does not match its hash (event changed)"
            ),
            Problem::LinkBroken => write!(
                f,
                "{s} version {v}: does not link to the previous event (version {} changed or replaced)",
                v.saturating_sub(1)
            ),
            Problem::Missing { from, to } if from == to => {
                write!(f, "{s} version {from}: missing (event removed)")
            }
            Problem::Missing { from, to } => {
                write!(f, "{s} versions {from} to {to}: missing (events removed)")
            }
        }
    }
}

/// The outcome of an audit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditReport {
    /// Streams seen.
    pub streams: usize,
    /// Events checked.
    pub events: u64,
    /// Whether the backend's recorded stream heads were compared too.
    pub heads_checked: bool,
    /// Everything found wrong, in log order.
    pub findings: Vec<Finding>,
}

impl AuditReport {
    /// True when nothing was found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks the whole log. `progress` is called after each page with the number of
/// events checked and the position reached.
pub async fn verify_log(
    store: &dyn EventStore,
    mut progress: impl FnMut(u64, Position),
) -> Result<AuditReport, StoreError> {
    let mut heads: HashMap<String, (u64, String)> = HashMap::new();
    let mut report = AuditReport::default();
    let mut after = 0;
    loop {
        let page = store.read_all(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        for event in &page {
            report.events += 1;
            let finding = |problem| Finding {
                stream_id: event.stream_id.clone(),
                version: event.stream_version,
                problem,
            };
            if event.computed_hash() != event.hash {
                report.findings.push(finding(Problem::Changed));
            }
            let (expected_version, expected_prev) = match heads.get(&event.stream_id) {
                Some((v, h)) => (v + 1, h.as_str()),
                None => (0, GENESIS_HASH),
            };
            if event.stream_version > expected_version {
                report.findings.push(finding(Problem::Missing {
                    from: expected_version,
                    to: event.stream_version - 1,
                }));
            } else if event.prev_hash != expected_prev {
                report.findings.push(finding(Problem::LinkBroken));
            }
            heads.insert(
                event.stream_id.clone(),
                (event.stream_version, event.hash.clone()),
            );
        }
        progress(report.events, after);
    }

    if let Some(recorded) = store.recorded_stream_heads().await? {
        report.heads_checked = true;
        for head in recorded {
            match heads.get(&head.stream_id) {
                None => report.findings.push(Finding {
                    stream_id: head.stream_id.clone(),
                    version: 0,
                    problem: Problem::Missing {
                        from: 0,
                        to: head.version,
                    },
                }),
                Some((v, _)) if *v < head.version => report.findings.push(Finding {
                    stream_id: head.stream_id.clone(),
                    version: v + 1,
                    problem: Problem::Missing {
                        from: v + 1,
                        to: head.version,
                    },
                }),
                Some((v, h)) if *v == head.version && *h != head.hash => {
                    report.findings.push(Finding {
                        stream_id: head.stream_id.clone(),
                        version: *v,
                        problem: Problem::Changed,
                    })
                }
                _ => {}
            }
        }
    }
    report.streams = heads.len();
    Ok(report)
}
