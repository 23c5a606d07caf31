//! Use cases that need IO before or between decisions: new ids, password hashing,
//! the email reservation that precedes a registration. Each returns the
//! [`Outcome`](crate::Outcome)'s position so that callers can wait for read models.

pub mod meetings;
pub mod recordings;
pub mod rooms;
pub mod sessions;
pub mod storage;
pub mod transcripts;
pub mod users;
pub mod webhooks;
