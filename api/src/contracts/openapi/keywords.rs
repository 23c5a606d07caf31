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
            .item(ObjectBuilder::new().schema_type(Type::Integer))
            .into()
    }
}

impl ToSchema for IdOrNumber {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("IdOrNumber")
    }
}

/// A time the web client sends as epoch milliseconds or as an RFC 3339 string.
pub(crate) struct TimeInput;

impl PartialSchema for TimeInput {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
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
