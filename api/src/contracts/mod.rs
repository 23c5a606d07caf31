//! Published contracts generated from the code, committed under `schemas/`:
//! event JSON Schemas and golden fixtures ([`events`]), the OpenAPI document and
//! the GraphQL SDL. `altegon-meet schemas write` brings the folder up to date and
//! `altegon-meet schemas check` (and the test `contracts_match_the_code`) lists
//! every difference. Event files of a version are frozen once written: a
//! breaking change needs a new version, an upcaster and a fixture.

pub mod events;
pub mod openapi;

use std::path::{Path, PathBuf};

use altegon_domain::DomainEvent;
use altegon_domain::events::{EVENT_TYPES, current_version};
use serde_json::Value;

/// The command that refreshes the committed contracts.
pub const WRITE_COMMAND: &str = "cargo run -p altegon-api -- schemas write";

/// One difference between the folder and the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The file, relative to the folder.
    pub path: String,
    /// What is wrong.
    pub problem: String,
    /// Whether `schemas write` may fix it (a breaking event change may not).
    pub writable: bool,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

/// Why `schemas write` stopped.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// Changes that need a new event version; nothing was written.
    #[error("breaking changes need a new event version (bump it in EVENT_TYPES and add an upcaster):\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Breaking(Vec<Drift>),
}

/// The committed folder in the source tree.
pub fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

/// Files generated whole from the code: path and content.
fn generated_documents() -> Vec<(String, String)> {
    vec![
        ("schema.graphql".into(), crate::graphql::sdl()),
        ("openapi.json".into(), openapi::document_json()),
    ]
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

fn read(dir: &Path, path: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(path)).ok()
}

fn schema_path(name: &str, version: u32) -> String {
    format!("events/{name}.v{version}.json")
}

fn fixture_path(name: &str, version: u32) -> String {
    format!("fixtures/{name}.v{version}.json")
}

/// `(type, version)` of a file named `<Type>.v<N>.json`.
fn parse_name(file: &str) -> Option<(String, u32)> {
    let stem = file.strip_suffix(".json")?;
    let (name, version) = stem.rsplit_once(".v")?;
    Some((name.to_owned(), version.parse().ok()?))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|n| n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every difference between `dir` and the code.
pub fn check(dir: &Path) -> Vec<Drift> {
    let mut drifts = Vec::new();
    let mut drift = |path: String, problem: String, writable: bool| {
        drifts.push(Drift {
            path,
            problem,
            writable,
        })
    };
    for (path, content) in generated_documents() {
        match read(dir, &path) {
            None => drift(path, "missing".into(), true),
            Some(text) if text != content => drift(path, "differs from the code".into(), true),
            Some(_) => {}
        }
    }
    for (name, version, schema) in events::current_schemas() {
        let path = schema_path(name, version);
        let expected = pretty(&schema);
        match read(dir, &path).map(|t| (serde_json::from_str::<Value>(&t), t)) {
            None => drift(path, "missing".into(), true),
            Some((Err(e), _)) => drift(path, format!("not JSON: {e}"), true),
            Some((Ok(committed), text)) => {
                let breaking = events::breaking_changes(&committed, &schema);
                if !breaking.is_empty() {
                    drift(
                        path,
                        format!(
                            "breaking change without a new version: {}",
                            breaking.join("; ")
                        ),
                        false,
                    );
                } else if text != expected {
                    drift(path, "differs from the code".into(), true);
                }
            }
        }
        for older in 1..version {
            let path = schema_path(name, older);
            if read(dir, &path).is_none() {
                drift(
                    path,
                    "the schema of an older version is missing".into(),
                    false,
                );
            }
        }
        let path = fixture_path(name, version);
        if read(dir, &path).is_none() {
            drift(path, "missing".into(), true);
        }
    }
    for file in files_in(&dir.join("fixtures")) {
        let path = format!("fixtures/{file}");
        let Some((name, version)) = parse_name(&file) else {
            drift(path, "not named <Type>.v<N>.json".into(), false);
            continue;
        };
        let data = match read(dir, &path).map(|t| serde_json::from_str::<Value>(&t)) {
            Some(Ok(data)) => data,
            _ => {
                drift(path, "not JSON".into(), false);
                continue;
            }
        };
        match DomainEvent::decode(&name, version, data.clone()) {
            Err(e) => drift(path, format!("no longer loads: {e}"), false),
            Ok(event) if current_version(&name) == Some(version) && event.encode().data != data => {
                drift(path, "does not survive a decode and encode".into(), false)
            }
            Ok(_) => {}
        }
    }
    for file in files_in(&dir.join("events")) {
        if let Some((name, _)) = parse_name(&file)
            && !EVENT_TYPES.iter().any(|(t, _)| *t == name)
        {
            drift(
                format!("events/{file}"),
                "a type the code no longer knows: event types are never removed".into(),
                false,
            );
        }
    }
    drifts
}

/// Brings `dir` up to date: whole documents and current event schemas are
/// rewritten, missing fixtures created from the schema; frozen files are left
/// alone. Refuses (writing nothing) when an event changed in a breaking way.
pub fn write(dir: &Path) -> Result<Vec<String>, ContractError> {
    let drifts = check(dir);
    let breaking: Vec<Drift> = drifts.iter().filter(|d| !d.writable).cloned().collect();
    if !breaking.is_empty() {
        return Err(ContractError::Breaking(breaking));
    }
    let mut files: Vec<(String, String)> = generated_documents();
    let schemas = events::current_schemas();
    for (name, version, schema) in &schemas {
        files.push((schema_path(name, *version), pretty(schema)));
        let fixture = fixture_path(name, *version);
        if read(dir, &fixture).is_none() {
            files.push((fixture, pretty(&events::example(schema))));
        }
    }
    let mut written = Vec::new();
    for (path, content) in files {
        if read(dir, &path).as_deref() == Some(content.as_str()) {
            continue;
        }
        let target = dir.join(&path);
        let io = |source| ContractError::Io {
            path: path.clone(),
            source,
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&target, &content).map_err(io)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_folder_has_no_drift() {
        let dir = tempfile::tempdir().unwrap();
        let written = write(dir.path()).unwrap();
        assert!(written.contains(&"events/MeetingCreated.v1.json".to_owned()));
        assert!(written.contains(&"fixtures/MeetingCreated.v1.json".to_owned()));
        assert_eq!(check(dir.path()), vec![]);
        assert_eq!(write(dir.path()).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_field_dropped_from_an_event_is_refused_without_a_new_version() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path()).unwrap();
        // As if the committed v1 had a field the code no longer has.
        let path = dir.path().join("events/MeetingCreated.v1.json");
        let mut committed: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        committed["properties"]["agenda"] = serde_json::json!({"type": "string"});
        std::fs::write(&path, pretty(&committed)).unwrap();
        let drifts = check(dir.path());
        assert_eq!(drifts.len(), 1, "{drifts:?}");
        assert!(drifts[0].problem.contains("field `agenda` was removed"));
        assert!(matches!(write(dir.path()), Err(ContractError::Breaking(_))));
    }

    #[test]
    fn a_fixture_that_no_longer_loads_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path()).unwrap();
        let path = dir.path().join("fixtures/MeetingCreated.v1.json");
        std::fs::write(&path, "{\"title\": 3}").unwrap();
        let drifts = check(dir.path());
        assert!(
            drifts.iter().any(|d| d.problem.contains("no longer loads")),
            "{drifts:?}"
        );
    }
}
