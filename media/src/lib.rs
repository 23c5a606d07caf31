//! Media: blob storage for recordings and room files (a local folder or Azure
//! Blob Storage, through `object_store`) and time-limited signed download URLs.
//! Recording ingest and the SFU are later parts of this crate.
//!
//! The API streams uploads into a [`BlobStore`] before it records the matching
//! event, so a stored event always points at bytes that exist.
#![warn(missing_docs)]

pub mod blob;
pub mod files;
pub mod sweep;

pub use blob::{BlobBackend, BlobError, BlobStore, StoredBlob};
