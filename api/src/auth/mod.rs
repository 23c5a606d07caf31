//! Authentication: access tokens for users, room tokens for the realtime socket,
//! and the extractors that turn a request into who is calling.

mod extract;
mod tokens;

pub use extract::{AuthUser, CommandCtx};
pub use tokens::{AccessClaims, JwtKeys, RoomClaims, RoomGrant, TokenError};
