//! The OpenAPI document of the HTTP API, generated from the handlers'
//! `#[utoipa::path]` attributes and the types they read and write.
//! `schemas/openapi.json` is [`document_json`], committed; a test fails when they
//! differ, so a change to a route shows up as a change to the published file.

pub(crate) mod bodies;
pub(crate) mod errors;
pub mod html;
pub(crate) mod keywords;
pub(crate) mod params;
pub(crate) mod responses;
mod shared;

use utoipa::OpenApi as _;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, RefOr, Required};

/// What the document says of itself. Set here, not derived, because the derive
/// would fill it from this crate's manifest (name, license) instead.
const TITLE: &str = "Altegon Meet API";
const DESCRIPTION: &str = "REST API of the Altegon Meet backend. Paths and shapes follow the Altegon Meet reference; what the reference leaves open (login response, error body, room tokens, read-your-writes, idempotency) is specified here. Errors: {success:false, message}; 400 adds field and errors; 503 adds Retry-After.";

/// The security scheme the routes name in `security(("bearer" = []))`.
const BEARER: &str = "bearer";

#[derive(utoipa::OpenApi)]
#[openapi(
    servers((url = "http://localhost:8080")),
    paths(
        crate::routes::health::healthz,
        crate::routes::health::readyz,
        crate::routes::metrics::render,
        crate::routes::openapi::document,
        crate::routes::openapi::docs,
        crate::routes::auth::register,
        crate::routes::auth::login,
        crate::routes::auth::logout,
        crate::routes::auth::revoke,
        crate::routes::rooms::create,
        crate::routes::rooms::token,
        crate::routes::meetings::create,
        crate::routes::meetings::update,
        crate::routes::meetings::list,
        crate::routes::transcripts::send,
        crate::routes::transcripts::view,
        crate::routes::transcripts::generate_summary,
        crate::routes::transcripts::summary,
        crate::routes::transcripts::chat_summary,
        crate::routes::transcripts::speech_token,
        crate::routes::recordings::start,
        crate::routes::recordings::stop,
        crate::routes::recordings::list,
        crate::routes::storage::upload,
        crate::routes::storage::storage_info,
        crate::routes::storage::storage_limit,
        crate::routes::storage::remove,
        crate::routes::storage::exceeded,
        crate::routes::storage::sas_url,
        crate::routes::blobs::read,
        crate::routes::room_files::upload,
        crate::routes::room_files::details,
        crate::routes::room_files::download,
        crate::routes::room_files::remove_all,
        crate::routes::sessions::start,
        crate::routes::sessions::show,
        crate::routes::sessions::join,
        crate::routes::sessions::leave,
        crate::routes::sessions::end,
        crate::routes::reporting::total,
        crate::routes::reporting::aggregation,
        crate::routes::reporting::statistics,
        crate::routes::reporting::by_location,
        crate::routes::reporting::participants_by_location,
        crate::routes::audit::list,
        crate::routes::webhooks::event_types,
        crate::routes::webhooks::register,
        crate::routes::webhooks::list,
        crate::routes::webhooks::show,
        crate::routes::webhooks::update,
        crate::routes::webhooks::remove,
        crate::routes::webhooks::test,
        crate::routes::webhooks::deliveries,
        crate::routes::webhooks::replay,
    ),
    // Reached only through the shared error answers, which do not register the
    // schemas they name.
    components(schemas(errors::ErrorBody, errors::ValidationError, crate::error::FieldError))
)]
struct ApiDoc;

/// The OpenAPI 3.1 document of every documented route.
pub fn document() -> OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info = InfoBuilder::new()
        .title(TITLE)
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(DESCRIPTION))
        .build();
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    for (path, item) in doc.paths.paths.iter_mut() {
        for operation in operations_mut(item) {
            shared::add_shared_responses(path, operation);
            // utoipa names operations after the handler functions, which repeat
            // across areas (`create`, `list`); the contract has never named them.
            operation.operation_id = None;
            if let Some(RefOr::T(body)) = &mut operation.request_body {
                optional_body_is_not_null(body);
            }
        }
    }
    doc
}

/// utoipa renders `request_body = Option<T>` as a required-unset body whose schema
/// is `T` or `null`. The routes mean that the body may be left out (an empty body
/// reads as `{}`); a JSON `null` is refused. Says so: `T`, not required.
fn optional_body_is_not_null(body: &mut RequestBody) {
    if body.required.is_some() {
        return;
    }
    for content in body.content.values_mut() {
        let RefOr::T(content) = content else { continue };
        if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema
            && let [schema, RefOr::T(Schema::Object(null))] = one_of.items.as_slice()
            && null.schema_type == SchemaType::new(Type::Null)
        {
            content.schema = Some(schema.clone());
        }
    }
    body.required = Some(Required::False);
}

/// [`document`] as pretty-printed JSON with a trailing newline, as committed in
/// `schemas/openapi.json`. Maps keep a fixed order (paths and properties as
/// declared, everything else sorted), so the text is the same on every run.
pub fn document_json() -> String {
    let mut json = document()
        .to_pretty_json()
        .expect("the OpenAPI document is plain data and always serializes");
    json.push('\n');
    json
}

/// Every operation of a path, with its HTTP method in lower case.
pub(crate) fn operations(item: &PathItem) -> impl Iterator<Item = (&'static str, &Operation)> {
    [
        ("get", &item.get),
        ("put", &item.put),
        ("post", &item.post),
        ("delete", &item.delete),
        ("options", &item.options),
        ("head", &item.head),
        ("patch", &item.patch),
        ("trace", &item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|op| (method, op)))
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_openapi_3_1_with_its_own_info() {
        let doc = document();
        let json = serde_json::to_value(&doc).expect("serializes");
        assert_eq!(json["openapi"], "3.1.0");
        assert_eq!(json["info"]["title"], TITLE);
        assert_eq!(json["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(json["info"].get("license").is_none());
    }
}
