//! Realtime rooms: the Socket.IO relay of the web client, and the same messages
//! over a plain WebSocket (`/ws`). A room token admits a
//! socket to its room; room messages (chat, mic requests, whiteboard, host
//! controls, …) are checked and passed to the room's other sockets; chat is
//! recorded through the commands, and presence becomes the room's live session
//! ([`presence`]).
//!
//! Data flow: socket → [`relay`] (token, size, rate and grant checks) → the other
//! sockets of the room, and the command bus for what must be kept.
#![warn(missing_docs)]

pub mod catalog;
pub mod live_events;
pub mod presence;
pub mod relay;
pub mod rooms;
mod ws;

pub use presence::{Locate, Presence};
pub use relay::{RelaySettings, RoomAccess, RoomAuth, RoomRelay};
