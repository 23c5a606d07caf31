//! The write side: commands go in, events come out.
//!
//! A request becomes a typed command; [`pipeline::CommandBus`] loads the target
//! aggregate's stream from the [`store::EventStore`], folds it, runs the domain's
//! pure `decide`, and appends the new events with the expected stream version,
//! retrying on a concurrent write. [`handlers`] hold the use cases that need more
//! than one stream or some IO before deciding (password hashing, email reservation).
#![warn(missing_docs)]

pub mod crypto;
pub mod handlers;
pub mod ids;
pub mod metadata;
pub mod password;
pub mod pipeline;
pub mod pool;
pub mod sealed;
pub mod store;
pub mod summary;

pub use metadata::{Actor, CommandContext};
pub use pipeline::{CommandBus, CommandError, Outcome};
