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
}
