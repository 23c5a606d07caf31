//! Published contracts generated from the code: what clients may rely on, derived
//! from the handlers and the types they read and write, so the published files
//! cannot drift from what the server does.
//!
//! [`openapi`] is the HTTP API; `schemas/openapi.json` is its committed copy, and a
//! test fails when the two differ.

pub mod openapi;
