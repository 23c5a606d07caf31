//! End-to-end tests live in `tests/`; this library holds the real services they
//! start, such as the Azurite blob emulator.

pub mod azurite;
