//! Bodies of the answers the handlers build with `json!`, one module per area.
//! The types exist only to describe those bodies, with the handlers' field names
//! and shapes. A field is marked required only where the contract has promised it,
//! even when the handler always sends it: tightening that is a contract change.

#![allow(
    dead_code,
    reason = "the types describe bodies built with json!; nothing constructs them"
)]

pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod health;
pub(crate) mod meetings;
pub(crate) mod recordings;
pub(crate) mod reporting;
pub(crate) mod room_files;
pub(crate) mod rooms;
pub(crate) mod sessions;
pub(crate) mod storage;
pub(crate) mod transcripts;
pub(crate) mod webhooks;

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    /// utoipa keys component schemas by type name and keeps the last one
    /// registered, so two `RegisterResponse`s would make one route document the
    /// other's body. Every schema type here gets a name of its own.
    #[test]
    fn schema_names_are_unique_across_areas() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut seen: HashMap<String, String> = HashMap::new();
        let files = ["contracts/openapi/bodies", "contracts/openapi", "routes"]
            .into_iter()
            .flat_map(|dir| std::fs::read_dir(src.join(dir)).expect("source dir"))
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "rs"));
        for path in files {
            let source = std::fs::read_to_string(&path).expect("source");
            let mut lines = source.lines().peekable();
            while let Some(line) = lines.next() {
                if !line.contains("derive(") || !line.contains("ToSchema") {
                    continue;
                }
                let mut renamed = None;
                for next in lines.by_ref() {
                    if let Some(rest) = next.trim().strip_prefix("#[schema(as = ") {
                        renamed = Some(rest.trim_end_matches(")]").to_owned());
                    }
                    let Some(rest) = ["struct ", "enum "]
                        .iter()
                        .find_map(|kind| next.split_once(kind).map(|(_, rest)| rest))
                    else {
                        continue;
                    };
                    let name = renamed.take().unwrap_or_else(|| {
                        rest.split(|c: char| !c.is_alphanumeric() && c != '_')
                            .next()
                            .unwrap_or_default()
                            .to_owned()
                    });
                    let here = path.display().to_string();
                    if let Some(before) = seen.insert(name.clone(), here.clone()) {
                        panic!("schema {name} is declared in {before} and in {here}");
                    }
                    break;
                }
            }
        }
        assert!(seen.len() > 20, "found only {seen:?}");
    }
}
