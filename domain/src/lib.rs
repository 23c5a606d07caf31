//! The pure domain of Altegon Meet: typed ids, the closed set of events, and the
//! aggregates (User, EmailReservation, Room, Meeting, Recording, StorageAccount,
//! RoomFiles, Session, Transcript, Chat, IdempotencyClaim, WebhookEndpoint) as plain
//! `decide`/`evolve` functions.
//!
//! Nothing here does IO: clocks, ids and password hashes are put into commands by
//! the `commands` crate before `decide` runs, which keeps every business rule a
//! synchronous function with sentence-like tests.
#![warn(missing_docs)]

pub mod aggregate;
pub mod audit;
pub mod chat;
pub mod email_reservation;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod ids;
pub mod meeting;
pub mod recording;
pub mod room;
pub mod room_files;
pub mod session;
pub mod storage;
pub mod transcript;
pub mod user;
pub mod validate;
pub mod webhook;

pub use aggregate::Aggregate;
pub use error::DomainError;
pub use events::{DecodeError, DomainEvent, EncodedEvent};
pub use ids::{MeetingId, ObjectId, ParseIdError, RoomId, SessionId, UserId, WebhookId};
