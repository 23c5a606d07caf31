//! End-to-end tests live in `tests/`; this library holds the real services they
//! start and drive: the Azurite blob emulator, and the recording server's
//! socket.io client with the media it sends, the other npm test clients, and an
//! HTTP receiver of webhooks.

pub mod azurite;
pub mod mmdb;
pub mod node;
pub mod recording_client;
pub mod webhook_receiver;
