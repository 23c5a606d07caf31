//! The per-stream hash chain: each event's hash covers its content and the hash of
//! the event before it in the same stream. A changed event no longer matches its
//! own hash; a removed one breaks the link of its successor.
//!
//! The PostgreSQL backend computes the same hash in SQL (`postgres/schema.sql`);
//! the conformance suite runs the verifier on every backend to keep them equal.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of a stream's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content an event's hash covers.
#[derive(Debug, Clone, Copy)]
pub struct HashInput<'a> {
    /// Hash of the previous event in the stream.
    pub prev_hash: &'a str,
    /// The stream.
    pub stream_id: &'a str,
    /// Version in the stream.
    pub stream_version: u64,
    /// Event id.
    pub event_id: Uuid,
    /// Type name.
    pub event_type: &'a str,
    /// Schema version.
    pub schema_version: u32,
    /// Stored JSON text of the data.
    pub data: &'a str,
    /// Stored JSON text of the metadata.
    pub metadata: &'a str,
}

/// Lowercase hex SHA-256 of the fields joined by newlines, in the order of
/// [`HashInput`], with the event id in hyphenated lowercase form.
pub fn event_hash(input: &HashInput<'_>) -> String {
    let mut h = Sha256::new();
    let version = input.stream_version.to_string();
    let id = input.event_id.hyphenated().to_string();
    let schema = input.schema_version.to_string();
    let parts: [&str; 8] = [
        input.prev_hash,
        input.stream_id,
        &version,
        &id,
        input.event_type,
        &schema,
        input.data,
        input.metadata,
    ];
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b"\n");
        }
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_stable_and_covers_every_field() {
        let id = Uuid::parse_str("0192f0a4-7b3c-7def-8123-456789abcdef").unwrap();
        let base = HashInput {
            prev_hash: GENESIS_HASH,
            stream_id: "meeting-1",
            stream_version: 0,
            event_id: id,
            event_type: "MeetingCreated",
            schema_version: 1,
            data: "{}",
            metadata: "{}",
        };
        let h = event_hash(&base);
        assert_eq!(h.len(), 64);
        assert_eq!(h, event_hash(&base));
        let changed = [
            HashInput {
                stream_version: 1,
                ..base
            },
            HashInput {
                data: "{\"a\":1}",
                ..base
            },
            HashInput {
                metadata: "{\"b\":1}",
                ..base
            },
            HashInput {
                event_type: "MeetingUpdated",
                ..base
            },
            HashInput {
                prev_hash: "1",
                ..base
            },
        ];
        for c in changed {
            assert_ne!(event_hash(&c), h);
        }
    }
}
