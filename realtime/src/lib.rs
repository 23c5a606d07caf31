//! Realtime rooms: the Socket.IO relay of the web client, and the same messages
//! over a plain WebSocket (`/ws`). A room token admits a
//! socket to its room; room messages (chat, mic requests, whiteboard, host
//! controls, …) are checked and passed to the room's other sockets; chat is
//! recorded through the commands, and presence becomes the room's live session
//! ([`presence`]).
//!
//! Data flow: socket → [`relay`] (token, size, rate and grant checks) → the other
//! sockets of the room, the other server processes ([`cluster`], with Redis) and
//! the command bus for what must be kept.
#![warn(missing_docs)]

mod audit;
pub mod catalog;
pub mod cluster;
pub mod live_events;
pub mod presence;
pub mod relay;
mod remote;
pub mod rooms;
pub mod streams;
mod ws;

pub use cluster::{Cluster, ClusterError, connect_redis};
pub use presence::{Locate, Presence};
pub use relay::{RelayServices, RelaySettings, RoomAccess, RoomAuth, RoomRelay};
