//! `GET /docs`: the OpenAPI document as one HTML page, rendered on the server so
//! it reads without scripts, styles or fonts fetched from elsewhere. Every
//! operation, grouped by tag, with its parameters, request body and responses.

use std::fmt::Write as _;

use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType};
use utoipa::openapi::{Content, OpenApi, RefOr, Required, Response};

use super::operations;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330;line-height:1.45}\
h2{border-bottom:1px solid #ccd;padding-bottom:.2rem;margin-top:2.5rem}\
section.op{border:1px solid #dde;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}\
h3{font-size:1.05rem;margin:.2rem 0}.method{display:inline-block;min-width:4.5rem;font-family:monospace;text-transform:uppercase}\
code,.path{font-family:ui-monospace,monospace}.text{white-space:pre-line}\
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{text-align:left;vertical-align:top;border-top:1px solid #eef;padding:.25rem .5rem}\
th{font-weight:600}.muted{color:#5c6475}";

/// The page for `doc`.
pub fn render(doc: &OpenApi) -> String {
    let mut page = String::new();
    let title = escape(&doc.info.title);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title} <span class=\"muted\">{}</span></h1>\n",
        escape(&doc.info.version)
    );
    if let Some(description) = &doc.info.description {
        let _ = writeln!(page, "<p class=\"text\">{}</p>", escape(description));
    }
    page.push_str(
        "<p class=\"muted\">The same contract as JSON: <a href=\"/openapi.json\">/openapi.json</a>.</p>\n",
    );
    let groups = by_tag(doc);
    page.push_str("<nav><ul>\n");
    for (tag, ops) in &groups {
        let _ = writeln!(
            page,
            "<li><a href=\"#{}\">{}</a> ({})</li>",
            anchor(tag),
            escape(tag),
            ops.len()
        );
    }
    page.push_str("</ul></nav>\n");
    for (tag, ops) in &groups {
        let _ = writeln!(page, "<h2 id=\"{}\">{}</h2>", anchor(tag), escape(tag));
        for (method, path, operation) in ops {
            operation_html(&mut page, method, path, operation);
        }
    }
    page.push_str("</body>\n</html>\n");
    page
}

type Entry<'a> = (&'static str, &'a str, &'a Operation);

/// Operations grouped by their first tag, groups and operations in document order.
fn by_tag(doc: &OpenApi) -> Vec<(String, Vec<Entry<'_>>)> {
    let mut groups: Vec<(String, Vec<Entry<'_>>)> = Vec::new();
    for (path, item) in &doc.paths.paths {
        for (method, operation) in operations(item) {
            let tag = operation
                .tags
                .as_ref()
                .and_then(|tags| tags.first())
                .map_or("other", String::as_str);
            match groups.iter_mut().find(|(name, _)| name == tag) {
                Some((_, ops)) => ops.push((method, path, operation)),
                None => groups.push((tag.to_owned(), vec![(method, path, operation)])),
            }
        }
    }
    groups
}

fn operation_html(page: &mut String, method: &str, path: &str, operation: &Operation) {
    let _ = writeln!(
        page,
        "<section class=\"op\" id=\"{}\">\n<h3><span class=\"method\">{method}</span> <span class=\"path\">{}</span></h3>",
        anchor(&format!("{method} {path}")),
        escape(path)
    );
    if let Some(summary) = &operation.summary {
        let _ = writeln!(page, "<p><strong>{}</strong></p>", escape(summary));
    }
    if let Some(description) = &operation.description {
        let _ = writeln!(page, "<p class=\"text\">{}</p>", escape(description));
    }
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        page.push_str("<p class=\"muted\">Requires a bearer token (<code>Authorization: Bearer &lt;JWT&gt;</code>).</p>\n");
    }
    if let Some(parameters) = operation.parameters.as_ref().filter(|p| !p.is_empty()) {
        page.push_str(
            "<h4>Parameters</h4>\n<table>\n<tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr>\n",
        );
        for parameter in parameters {
            match parameter {
                RefOr::T(parameter) => parameter_row(page, parameter),
                RefOr::Ref(r) => {
                    let _ = writeln!(
                        page,
                        "<tr><td colspan=\"4\"><code>{}</code></td></tr>",
                        escape(&r.ref_location)
                    );
                }
            }
        }
        page.push_str("</table>\n");
    }
    if let Some(RefOr::T(body)) = &operation.request_body {
        request_body_html(page, body);
    }
    page.push_str(
        "<h4>Responses</h4>\n<table>\n<tr><th>Status</th><th>Description</th><th>Body</th></tr>\n",
    );
    for (status, response) in &operation.responses.responses {
        let (description, body) = match response {
            RefOr::T(response) => (escape(&response.description), response_body(response)),
            RefOr::Ref(r) => (escape(&r.ref_location), String::new()),
        };
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td>{description}</td><td>{body}</td></tr>",
            escape(status)
        );
    }
    page.push_str("</table>\n</section>\n");
}

fn parameter_row(page: &mut String, parameter: &Parameter) {
    let place = match parameter.parameter_in {
        ParameterIn::Path => "path",
        ParameterIn::Query => "query",
        ParameterIn::Header => "header",
        ParameterIn::Cookie => "cookie",
        ParameterIn::QueryString => "query string",
    };
    let required = if matches!(parameter.required, Required::True) {
        " <span class=\"muted\">(required)</span>"
    } else {
        ""
    };
    let schema = parameter
        .schema
        .as_ref()
        .map(|s| escape(&schema_label(s)))
        .unwrap_or_default();
    let description = parameter
        .description
        .as_deref()
        .map(escape)
        .unwrap_or_default();
    let _ = writeln!(
        page,
        "<tr><td><code>{}</code>{required}</td><td>{place}</td><td>{schema}</td><td>{description}</td></tr>",
        escape(&parameter.name)
    );
}

fn request_body_html(page: &mut String, body: &RequestBody) {
    let required = if matches!(body.required, Some(Required::True)) {
        " (required)"
    } else {
        " (optional)"
    };
    let _ = writeln!(page, "<h4>Request body{required}</h4>");
    if let Some(description) = &body.description {
        let _ = writeln!(page, "<p class=\"text\">{}</p>", escape(description));
    }
    page.push_str("<ul>\n");
    for (media_type, content) in &body.content {
        let _ = writeln!(page, "<li>{}</li>", content_label(media_type, content));
    }
    page.push_str("</ul>\n");
}

fn response_body(response: &Response) -> String {
    let mut parts: Vec<String> = response
        .content
        .iter()
        .map(|(media_type, content)| content_label(media_type, content))
        .collect();
    if !response.headers.is_empty() {
        let names: Vec<String> = response
            .headers
            .keys()
            .map(|name| format!("<code>{}</code>", escape(name)))
            .collect();
        parts.push(format!("headers: {}", names.join(", ")));
    }
    parts.join("<br>")
}

/// `media/type: SchemaName`, escaped.
fn content_label(media_type: &str, content: &RefOr<Content>) -> String {
    let schema = match content {
        RefOr::T(content) => content.schema.as_ref().map(schema_label),
        RefOr::Ref(r) => Some(ref_name(&r.ref_location).to_owned()),
    };
    match schema {
        Some(schema) => format!("<code>{}</code>: {}", escape(media_type), escape(&schema)),
        None => format!("<code>{}</code>", escape(media_type)),
    }
}

/// A short name for a schema: the component it references, or its type.
fn schema_label(schema: &RefOr<Schema>) -> String {
    match schema {
        RefOr::Ref(r) => ref_name(&r.ref_location).to_owned(),
        RefOr::T(Schema::Array(array)) => match &array.items {
            ArrayItems::RefOrSchema(items) => format!("array of {}", schema_label(items)),
            ArrayItems::False => "array".to_owned(),
        },
        RefOr::T(Schema::Object(object)) => type_label(&object.schema_type),
        RefOr::T(Schema::OneOf(one_of)) => composite("one of", &one_of.items),
        RefOr::T(Schema::AllOf(all_of)) => composite("all of", &all_of.items),
        RefOr::T(Schema::AnyOf(any_of)) => composite("any of", &any_of.items),
        RefOr::T(_) => "schema".to_owned(),
    }
}

fn composite(word: &str, items: &[RefOr<Schema>]) -> String {
    let names: Vec<String> = items.iter().map(schema_label).collect();
    format!("{word} {}", names.join(", "))
}

fn type_label(schema_type: &SchemaType) -> String {
    match serde_json::to_value(schema_type) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(serde_json::Value::Array(names)) => names
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    }
}

fn ref_name(location: &str) -> &str {
    location.rsplit('/').next().unwrap_or(location)
}

/// A fragment id from any text: letters and digits kept, the rest dashes.
fn anchor(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Text made safe for element content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn every_operation_of_the_document_is_on_the_page() {
        let doc = super::super::document();
        let page = render(&doc);
        for (path, item) in &doc.paths.paths {
            for (method, operation) in operations(item) {
                assert!(page.contains(&escape(path)), "{path} is missing");
                assert!(page.contains(&format!("id=\"{}\"", anchor(&format!("{method} {path}")))));
                if let Some(summary) = &operation.summary {
                    assert!(page.contains(&escape(summary)), "{summary} is missing");
                }
            }
        }
        assert!(!page.contains("<script"));
    }
}
