//! Bodies of the answers the handlers build with `json!`, one module per area.
//! The types exist only to describe those bodies, with the handlers' field names
//! and shapes. A field is marked required only where the contract has promised it,
//! even when the handler always sends it: tightening that is a contract change.

#![allow(
    dead_code,
    reason = "the types describe bodies built with json!; nothing constructs them"
)]

pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod health;
pub(crate) mod meetings;
pub(crate) mod recordings;
pub(crate) mod reporting;
pub(crate) mod room_files;
pub(crate) mod rooms;
pub(crate) mod sessions;
pub(crate) mod storage;
pub(crate) mod transcripts;
pub(crate) mod webhooks;
