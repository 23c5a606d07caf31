//! Media: blob storage for recordings and room files (a local folder or Azure
//! Blob Storage, through `object_store`) and time-limited signed download URLs.
//! The recording server ([`ingest`]) takes track chunks over Socket.IO and turns
//! them into one MP4 with ffmpeg. [`sfu`] is the core of the selective forwarding
//! unit.
//!
//! The API streams uploads into a [`BlobStore`] before it records the matching
//! event, so a stored event always points at bytes that exist.
#![warn(missing_docs)]

pub mod blob;
pub mod files;
pub mod ingest;
pub mod sfu;
pub mod sweep;

pub use blob::{BlobBackend, BlobError, BlobStore, StoredBlob};
