//! Realtime rooms: the Socket.IO (and plain WebSocket) relay that pushes room
//! messages and domain events from the log to the sockets of a room.
//!
//! Not built yet; the crate holds its place in the workspace's dependency graph.
#![warn(missing_docs)]
