//! The events' published contracts: a JSON Schema per event type and version
//! (`schemas/events/<Type>.v<N>.json`, generated from the Rust types) and a golden
//! fixture per type and version ever written (`schemas/fixtures/<Type>.v<N>.json`,
//! an event's stored fields). Files of older versions stay as they are: they
//! describe what the log may still hold, which the upcasters read.

use altegon_domain::events::{self, EVENT_TYPES};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// The JSON Schema of the current version of every event type, by type name.
pub fn current_schemas() -> Vec<(&'static str, u32, Value)> {
    EVENT_TYPES
        .iter()
        .map(|(name, version)| {
            let schema = schema_of(name).unwrap_or(Value::Null);
            (*name, *version, decorate(schema, name, *version))
        })
        .collect()
}

fn decorate(schema: Value, name: &str, version: u32) -> Value {
    let mut schema = match schema {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    schema.insert(
        "$id".into(),
        json!(format!(
            "https://altegon.meet/schemas/events/{name}.v{version}.json"
        )),
    );
    schema.insert("title".into(), json!(name));
    schema.insert("x-event-type".into(), json!(name));
    schema.insert("x-schema-version".into(), json!(version));
    Value::Object(schema)
}

fn generate<T: JsonSchema>() -> Value {
    let schema = SchemaGenerator::default().into_root_schema_for::<T>();
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

/// The schema of an event type's Rust struct.
fn schema_of(name: &str) -> Option<Value> {
    macro_rules! by_name {
        ($($t:ident),* $(,)?) => {
            match name {
                $(stringify!($t) => Some(generate::<events::$t>()),)*
                _ => None,
            }
        };
    }
    by_name!(
        UserRegistered,
        UserRoleGranted,
        AccessTokenRevoked,
        UserTokensRevoked,
        EmailReserved,
        EmailReservationReleased,
        RoomCreated,
        RoomRecordingToggled,
        RoomStreamPublished,
        RoomStreamSubscribersCounted,
        RoomStreamUnpublished,
        MeetingCreated,
        MeetingUpdated,
        MeetingSummaryGenerated,
        TranscriptLineAdded,
        ChatMessagePosted,
        IdempotencyKeyClaimed,
        RecordingStarted,
        RecordingStopped,
        RecordingTrackOpened,
        RecordingChunksWritten,
        RecordingTrackClosed,
        RecordingProcessingStarted,
        RecordingProcessingProgressed,
        RecordingProcessed,
        RecordingProcessingFailed,
        RecordingFileUploaded,
        RecordingFileDeleted,
        StorageLimitChanged,
        RoomFileUploaded,
        RoomFilesDeleted,
        SessionStarted,
        ParticipantJoined,
        ParticipantLeft,
        SessionEnded,
        AuditRecorded,
        StorageWarningLevelReached,
        WebhookEndpointRegistered,
        WebhookEndpointUpdated,
        WebhookEndpointDisabled,
        WebhookEndpointEnabled,
        WebhookEndpointDeleted,
    )
}

/// Why a schema change breaks readers of events already written.
pub fn breaking_changes(old: &Value, new: &Value) -> Vec<String> {
    let mut changes = Vec::new();
    let props = |s: &Value| s.get("properties").cloned().unwrap_or(Value::Null);
    let required = |s: &Value| -> Vec<String> {
        s.get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old_props, new_props) = (props(old), props(new));
    if let Some(old_props) = old_props.as_object() {
        for (field, old_schema) in old_props {
            match new_props.get(field) {
                None => changes.push(format!("field `{field}` was removed")),
                Some(new_schema) if type_of(new_schema) != type_of(old_schema) => {
                    changes.push(format!(
                        "field `{field}` changed type from {} to {}",
                        type_of(old_schema),
                        type_of(new_schema)
                    ))
                }
                Some(_) => {}
            }
        }
    }
    let old_required = required(old);
    for field in required(new) {
        if !old_required.contains(&field) {
            changes.push(format!("field `{field}` became required"));
        }
    }
    changes
}

/// A field's JSON type, or the type it refers to.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => {
            let mut names: Vec<String> = types
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect();
            names.sort();
            names.join("|")
        }
        _ => schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
            .map(|options| {
                let mut names: Vec<String> = options.iter().map(type_of).collect();
                names.sort();
                names.join("|")
            })
            .unwrap_or_else(|| "any".into()),
    }
}

/// An example of the stored fields a schema describes: every property filled
/// with a plausible value of its type. New fixtures start from it.
pub fn example(schema: &Value) -> Value {
    example_in(schema, schema, 0)
}

fn example_in(schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or_default();
        let target = root
            .get("$defs")
            .and_then(|d| d.get(name))
            .cloned()
            .unwrap_or(Value::Null);
        return example_in(&target, root, depth + 1);
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values.first().cloned().unwrap_or(Value::Null);
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(options) = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
    {
        return options
            .iter()
            .find(|o| o.get("type").and_then(Value::as_str) != Some("null"))
            .map_or(Value::Null, |o| example_in(o, root, depth + 1));
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_owned(),
        _ => "any".into(),
    };
    match kind.as_str() {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (field, field_schema) in props {
                    out.insert(field.clone(), example_in(field_schema, root, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let item = schema
                .get("items")
                .map_or(Value::Null, |i| example_in(i, root, depth + 1));
            Value::Array(vec![item])
        }
        "string" => {
            if schema.get("pattern").and_then(Value::as_str) == Some("^[0-9a-f]{24}$") {
                json!("68aff60d0d7bbb02c917906d")
            } else if schema.get("format").and_then(Value::as_str) == Some("date-time") {
                json!("2026-01-02T03:04:05.678Z")
            } else if schema.get("format").and_then(Value::as_str) == Some("uuid") {
                json!("0192f0c4-7c3a-7d2e-9a6b-1c2d3e4f5a6b")
            } else {
                json!("text")
            }
        }
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "null" => Value::Null,
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_has_a_schema() {
        for (name, _, schema) in current_schemas() {
            assert_eq!(schema["type"], "object", "{name}");
        }
    }

    #[test]
    fn removing_retyping_or_requiring_a_field_is_breaking() {
        let old = json!({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]});
        assert!(breaking_changes(&old, &old).is_empty());
        let added_optional = json!({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"type": ["string", "null"]}}, "required": ["a"]});
        assert!(breaking_changes(&old, &added_optional).is_empty());
        let removed = json!({"properties": {"a": {"type": "string"}}, "required": ["a"]});
        assert_eq!(breaking_changes(&old, &removed), ["field `b` was removed"]);
        let retyped = json!({"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a"]});
        assert_eq!(breaking_changes(&old, &retyped).len(), 1);
        let required = json!({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a", "b"]});
        assert_eq!(
            breaking_changes(&old, &required),
            ["field `b` became required"]
        );
    }

    #[test]
    fn examples_decode_as_their_events() {
        for (name, version, schema) in current_schemas() {
            let data = example(&schema);
            altegon_domain::DomainEvent::decode(name, version, data)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
