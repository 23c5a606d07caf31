//! Projections: the read side. Each projection subscribes to the event log from its
//! checkpoint and keeps SQL read models (meeting lists, recordings, storage usage,
//! location reports) up to date, writing rows and checkpoint in one transaction.
//!
//! The runner and the read models arrive with the first REST slice; this crate holds
//! the place in the workspace so that the dependency graph is fixed from the start.
#![warn(missing_docs)]
