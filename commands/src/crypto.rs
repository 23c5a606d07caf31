//! Transcript and summary encryption, compatible with the web client (being written).
