//! Media: blob storage, recording ingest with ffmpeg processing, signed URLs, and
//! the bundled SFU.
//!
//! Not built yet; the crate holds its place in the workspace's dependency graph.
#![warn(missing_docs)]
