//! The committed contracts under `schemas/` match the code: event schemas and
//! golden fixtures (every fixture still loads through the upcasters), the GraphQL
//! SDL and the OpenAPI document.

use altegon_api::contracts::{WRITE_COMMAND, check, source_dir};

#[test]
fn contracts_match_the_code() {
    let drifts = check(&source_dir());
    let listed: Vec<String> = drifts.iter().map(ToString::to_string).collect();
    assert!(
        drifts.is_empty(),
        "schemas/ differs from the code:\n{}\n\nrun `{WRITE_COMMAND}` and commit the result \
         (breaking event changes need a new version first)",
        listed.join("\n")
    );
}
