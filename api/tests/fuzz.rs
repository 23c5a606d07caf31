//! Bad input, generated: the JSON body parser and the token parser get arbitrary
//! bytes, arbitrary JSON and mutations of valid input. Neither may panic; every
//! refusal of a body is a 400 naming a field; no altered or foreign token is
//! accepted. Cases per property: `PROPTEST_CASES` (CI uses the default below).

use std::time::Duration;

use altegon_api::auth::JwtKeys;
use altegon_api::error::Error;
use altegon_api::json::parse;
use proptest::prelude::*;
use secrecy::SecretString;
use serde::Deserialize;

/// A body with the shapes the API's bodies have: required and optional text,
/// numbers, flags, nested objects and lists.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "only parsing is exercised")]
struct Body {
    title: String,
    host_id: Option<String>,
    transcript_enabled: bool,
    max_participants: Option<u32>,
    limit: Option<u64>,
    tags: Option<Vec<String>>,
    location: Option<Location>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only parsing is exercised")]
struct Location {
    city: String,
    country: Option<String>,
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn refused_with_a_field(result: Result<Body, Error>) -> Result<(), TestCaseError> {
    match result {
        Ok(_) => Ok(()),
        Err(Error::Validation(fields)) => {
            prop_assert!(!fields.is_empty());
            prop_assert!(
                fields
                    .iter()
                    .all(|f| !f.field.is_empty() && !f.message.is_empty())
            );
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!("not a 400: {other:?}"))),
    }
}

/// JSON values of any shape, a few levels deep.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        ".{0,40}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::hash_map(
                prop_oneof![
                    Just("title".to_owned()),
                    Just("hostId".to_owned()),
                    Just("transcriptEnabled".to_owned()),
                    Just("maxParticipants".to_owned()),
                    Just("location".to_owned()),
                    Just("city".to_owned()),
                    Just("tags".to_owned()),
                    "[a-zA-Z]{1,12}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn keys() -> JwtKeys {
    JwtKeys::hs256(
        &SecretString::from("0123456789abcdef0123456789abcdef".to_owned()),
        "altegon-meet",
        Duration::from_secs(600),
        Duration::from_secs(600),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes_never_panic_the_body_parser(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        refused_with_a_field(parse::<Body>(&bytes))?;
    }

    #[test]
    fn arbitrary_json_is_parsed_or_refused_naming_a_field(value in json_value()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        refused_with_a_field(parse::<Body>(&bytes))?;
    }

    #[test]
    fn arbitrary_text_is_never_a_token(token in ".{0,300}") {
        prop_assert!(keys().verify_access(&token).is_err());
        prop_assert!(keys().verify_room(&token).is_err());
    }

    #[test]
    fn an_altered_token_is_refused(at in any::<prop::sample::Index>(), with in "[A-Za-z0-9_.-]") {
        let token = keys().issue_access("68de7a9d8f40ff41c940c7fb", vec!["admin".into()]).unwrap();
        let i = at.index(token.len());
        let mut altered = token.clone();
        altered.replace_range(i..=i, &with);
        if altered != token {
            prop_assert!(keys().verify_access(&altered).is_err(), "{altered}");
        }
    }
}
