//! `ValidJson<T>`: a JSON body whose errors name the offending field (400), with
//! oversized bodies refused (413). Unknown fields are ignored. `ValidQuery<T>`:
//! a query string refused the same way, with the API's JSON error body.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// A deserialized JSON body.
#[derive(Debug, Clone)]
pub struct ValidJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ValidJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e: BytesRejection| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::PayloadTooLarge
                } else {
                    Error::invalid("body", "could not be read")
                }
            })?;
        parse(&bytes).map(ValidJson)
    }
}

/// A deserialized query string; a malformed one is a 400 with the API's error body.
#[derive(Debug, Clone)]
pub struct ValidQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ValidQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Error> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ValidQuery(q.0))
            .map_err(|e| Error::invalid("query", e.body_text()))
    }
}

/// Parses `bytes`, naming the field at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        bytes
    };
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // "missing field `x` at line…" names its field only in the message.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned);
        let field = match (path.as_str(), missing) {
            (_, Some(name)) if path == "." => name,
            (".", None) => "body".to_owned(),
            (p, Some(name)) => format!("{p}.{name}"),
            (p, None) => p.to_owned(),
        };
        let message = match inner.classify() {
            serde_json::error::Category::Data => message
                .split(" at line")
                .next()
                .unwrap_or("is invalid")
                .to_owned(),
            _ => "must be valid JSON".to_owned(),
        };
        Error::invalid(field, message)
    })
}

/// The value of a JSON number that is a whole number, written `5` or `5.0`: JSON
/// Schema calls both integers, and JavaScript clients send either.
pub(crate) fn whole_i64(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| {
                f.fract() == 0.0
                    && (-9.223_372_036_854_775e18..9.223_372_036_854_775e18).contains(f)
            })
            .map(|f| f as i64)
    })
}

/// [`whole_i64`] for unsigned values.
pub(crate) fn whole_u64(n: &serde_json::Number) -> Option<u64> {
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..1.844_674_407_370_955e19).contains(f))
            .map(|f| f as u64)
    })
}

/// `deserialize_with` for unsigned integer fields that also take `5.0`.
pub(crate) fn whole_number<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    use serde::de::Error as _;
    let n = <serde_json::Number as serde::Deserialize>::deserialize(deserializer)?;
    let value = whole_u64(&n)
        .ok_or_else(|| D::Error::custom(format!("invalid value: {n}, expected a whole number")))?;
    T::try_from(value).map_err(|_| D::Error::custom(format!("{n} is out of range")))
}

/// [`whole_number`] for optional fields (absent or `null` is `None`).
pub(crate) fn optional_whole_number<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    #[derive(serde::Deserialize)]
    struct Whole<T: TryFrom<u64>>(#[serde(deserialize_with = "whole_number")] T);
    let value = <Option<Whole<T>> as serde::Deserialize>::deserialize(deserializer)?;
    Ok(value.map(|Whole(v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Body {
        title: String,
        transcript_enabled: bool,
    }

    fn field_of(json: &str) -> String {
        match parse::<Body>(json.as_bytes()) {
            Err(Error::Validation(errors)) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            field_of(r#"{"title": 3, "transcriptEnabled": true}"#),
            "title"
        );
        assert_eq!(field_of(r#"{"title": "x"}"#), "transcriptEnabled");
        assert_eq!(
            field_of(r#"{"title": "x", "transcriptEnabled": "yes"}"#),
            "transcriptEnabled"
        );
        assert_eq!(field_of("not json"), "body");
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let body: Body = parse(br#"{"title":"x","transcriptEnabled":false,"extra":1}"#).unwrap();
        assert_eq!(body.title, "x");
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        #[derive(serde::Deserialize)]
        struct Limit {
            #[serde(deserialize_with = "super::whole_number")]
            bytes: u64,
            #[serde(default, deserialize_with = "super::optional_whole_number")]
            seats: Option<u32>,
        }
        let limit: Limit = serde_json::from_str(r#"{"bytes": 464532078.0, "seats": 5}"#).unwrap();
        assert_eq!((limit.bytes, limit.seats), (464_532_078, Some(5)));
        let limit: Limit = serde_json::from_str(r#"{"bytes": 1, "seats": null}"#).unwrap();
        assert_eq!(limit.seats, None);
        for bad in [
            r#"{"bytes": 1.5}"#,
            r#"{"bytes": -1}"#,
            r#"{"bytes": 1, "seats": 5000000000}"#,
        ] {
            assert!(serde_json::from_str::<Limit>(bad).is_err(), "{bad}");
        }
    }
}
