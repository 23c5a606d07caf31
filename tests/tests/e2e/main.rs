//! End-to-end tests: each starts the real server on port 0 with fresh storage and
//! talks to it over HTTP, as clients do. One binary, a module per feature.

mod audit;
mod auth;
mod authorization;
mod dashboard;
mod graphql;
mod health;
mod meetings;
mod openapi;
mod rate_limits;
mod realtime;
mod recording_ingest;
mod recordings;
mod revocation;
mod room_files;
mod rooms;
mod schemathesis;
mod security;
mod sessions;
mod sfu;
mod storage;
mod support;
mod transcripts;
mod webhooks;
