//! Identifiers in the reference API's form: 24 lowercase hex characters (12 bytes,
//! laid out like a MongoDB ObjectId: 4-byte seconds, 5 random bytes, 3-byte counter).
//!
//! Generating one needs a clock and randomness, so the domain only parses and builds
//! them from parts; `commands` owns the generator.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 12-byte id shown as 24 hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId([u8; 12]);

/// Why a string is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an id must be 24 hexadecimal characters")]
pub struct ParseIdError;

impl ObjectId {
    /// Builds an id from its parts; the caller supplies the clock and randomness.
    pub fn from_parts(unix_seconds: u32, random: [u8; 5], counter: u32) -> Self {
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&unix_seconds.to_be_bytes());
        bytes[4..9].copy_from_slice(&random);
        bytes[9..].copy_from_slice(&counter.to_be_bytes()[1..]);
        Self(bytes)
    }

    /// The raw bytes.
    pub fn bytes(&self) -> [u8; 12] {
        self.0
    }
}

impl FromStr for ObjectId {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 24 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseIdError);
        }
        let mut bytes = [0u8; 12];
        for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(chunk).map_err(|_| ParseIdError)?;
            bytes[i] = u8::from_str_radix(pair, 16).map_err(|_| ParseIdError)?;
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

impl Serialize for ObjectId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for ObjectId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ObjectId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9a-f]{24}$",
            "description": "A 24-character lowercase hexadecimal id."
        })
    }
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(pub ObjectId);

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl From<ObjectId> for $name {
            fn from(id: ObjectId) -> Self {
                Self(id)
            }
        }
    };
}

typed_id!(
    /// A registered user.
    UserId
);
typed_id!(
    /// A virtual room in which meetings take place.
    RoomId
);
typed_id!(
    /// A meeting: title, host, transcript and recording settings.
    MeetingId
);
typed_id!(
    /// One live occurrence of a room, from its first join to its end.
    SessionId
);
typed_id!(
    /// An endpoint that receives webhooks.
    WebhookId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_prints_as_24_hex_characters() {
        let id: ObjectId = "68afea5f8ed95fae8f7f6d86".parse().unwrap();
        assert_eq!(id.to_string(), "68afea5f8ed95fae8f7f6d86");
    }

    #[test]
    fn uppercase_hex_is_accepted_and_printed_lowercase() {
        let id: UserId = "68AFEA5F8ED95FAE8F7F6D86".parse().unwrap();
        assert_eq!(id.to_string(), "68afea5f8ed95fae8f7f6d86");
    }

    #[test]
    fn wrong_length_or_non_hex_is_refused() {
        assert_eq!("68afea5f".parse::<ObjectId>(), Err(ParseIdError));
        assert_eq!(
            "zzafea5f8ed95fae8f7f6d86".parse::<ObjectId>(),
            Err(ParseIdError)
        );
        assert_eq!(
            "68afea5f8ed95fae8f7f6d86ff".parse::<ObjectId>(),
            Err(ParseIdError)
        );
    }

    #[test]
    fn parts_land_in_the_documented_layout() {
        let id = ObjectId::from_parts(0x68afea5f, [0x8e, 0xd9, 0x5f, 0xae, 0x8f], 0x7f6d86);
        assert_eq!(id.to_string(), "68afea5f8ed95fae8f7f6d86");
    }

    #[test]
    fn ids_serialize_as_json_strings() {
        let id: MeetingId = "68ee4b39b22d6134386fc5dc".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"68ee4b39b22d6134386fc5dc\""
        );
        let back: MeetingId = serde_json::from_str("\"68ee4b39b22d6134386fc5dc\"").unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<MeetingId>("\"nope\"").is_err());
    }
}
