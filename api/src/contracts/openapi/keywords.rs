//! JSON Schema pieces the derive macros cannot express: `const` values, and the
//! inputs the web client sends either as a string or as a number.

use std::borrow::Cow;

use serde_json::{Value, json};
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Object, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// `{"const": value}`, typed when `ty` is given. utoipa's schema model has no
/// `const` keyword, so it is carried as an extra key of the schema object.
fn constant(ty: Option<Type>, value: Value) -> Object {
    ObjectBuilder::new()
        .schema_type(ty.map_or(SchemaType::AnyValue, SchemaType::new))
        .extensions(Some(Extensions::from_iter([("const", value)])))
        .build()
}

/// `success` of an error body.
pub(super) fn always_false() -> Object {
    constant(Some(Type::Boolean), json!(false))
}

/// `success` of answers that can only succeed.
pub(super) fn always_true() -> Object {
    constant(None, json!(true))
}

/// `tokenType` of a login.
pub(super) fn bearer() -> Object {
    constant(Some(Type::String), json!("Bearer"))
}

/// `status` of a live process.
pub(super) fn ok() -> Object {
    constant(Some(Type::String), json!("ok"))
}

/// The one permission a signed download URL grants (`sp`, `permissions`).
pub(crate) struct ReadPermission;

impl PartialSchema for ReadPermission {
    fn schema() -> RefOr<Schema> {
        constant(None, json!("r")).into()
    }
}

impl ToSchema for ReadPermission {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ReadPermission")
    }
}

/// An id the web client sends as a string or as a JSON number (`streamId`).
pub(crate) struct IdOrNumber;

impl PartialSchema for IdOrNumber {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(64)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(i64::MIN))
                    .maximum(Some(i64::MAX)),
            )
            .into()
    }
}

impl ToSchema for IdOrNumber {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("IdOrNumber")
    }
}

/// Times stay within about 250,000 years of 1970 (the server's calendar ends
/// near 262,000).
const MAX_TIME_MILLIS: i64 = 8_000_000_000_000_000;

/// A time the web client sends as epoch milliseconds or as an RFC 3339 string.
pub(crate) struct TimeInput;

impl PartialSchema for TimeInput {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(-MAX_TIME_MILLIS))
                    .maximum(Some(MAX_TIME_MILLIS))
                    .description(Some("Milliseconds since 1970.")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .into()
    }
}

impl ToSchema for TimeInput {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("TimeInput")
    }
}

/// A webhook URL as `delivery_url` and the URL parser take it: `http(s)://`, an
/// ASCII host whose last label starts with a letter (or an IPv4 address), an
/// optional port, then printable ASCII.
pub(crate) fn webhook_url() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(altegon_domain::webhook::MAX_URL_BYTES))
        .pattern(Some(
            r"^[Hh][Tt][Tt][Pp][Ss]?://(([A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*|((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9]))(:[0-9]{1,4})?([/?#][!-~]*)?$",
        ))
        .build()
}

/// The event types a webhook endpoint may ask for: the public ones, or `*`.
pub(crate) fn webhook_event_types() -> utoipa::openapi::schema::Array {
    use altegon_domain::webhook::{ALL_EVENT_TYPES, WEBHOOK_EVENT_TYPES};
    let names = WEBHOOK_EVENT_TYPES
        .iter()
        .map(|(name, _)| *name)
        .chain([ALL_EVENT_TYPES]);
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(names)),
        )
        .min_items(Some(1))
        .build()
}

/// A global log position, as a JSON number or a decimal string (positions can
/// pass 2^53, where JSON numbers stop being exact in many clients).
pub(crate) fn log_position() -> Schema {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[0-9]{1,19}$")),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(i64::MAX)),
        )
        .build()
        .into()
}

/// A string of `format`.
fn formatted(format: KnownFormat) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
        .build()
}

/// Empty or spaces: a filter left blank, read as absent.
fn blank() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^\s*$"))
        .build()
}

/// A reporting bound: an RFC 3339 date-time, a date, or blank (no bound).
pub(crate) fn report_date() -> Schema {
    utoipa::openapi::schema::AnyOfBuilder::new()
        .item(formatted(KnownFormat::DateTime))
        .item(formatted(KnownFormat::Date))
        .item(blank())
        .build()
        .into()
}

/// An RFC 3339 date-time, or blank (no bound).
pub(crate) fn date_time_or_blank() -> Schema {
    utoipa::openapi::schema::AnyOfBuilder::new()
        .item(formatted(KnownFormat::DateTime))
        .item(blank())
        .build()
        .into()
}

/// `schema` or `null`: optional body fields read a JSON null as absent.
fn or_null(schema: impl Into<Schema>) -> Schema {
    OneOfBuilder::new()
        .item(schema.into())
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .build()
        .into()
}

/// [`webhook_url`] or `null` (unchanged).
pub(crate) fn webhook_url_or_null() -> Schema {
    or_null(webhook_url())
}

/// [`webhook_event_types`] or `null` (unchanged).
pub(crate) fn webhook_event_types_or_null() -> Schema {
    or_null(webhook_event_types())
}
