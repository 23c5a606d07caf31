//! Authentication: access tokens for users, room tokens for the realtime socket,
//! and the extractors that turn a request into who is calling.

mod extract;
mod login;
mod policy;
mod revocations;
mod room_access;
pub mod route_rules;
mod tokens;

pub use extract::{AuthUser, CommandCtx};
pub use login::{LoggedIn, log_in};
pub use revocations::{Revocations, log_out, revoke_tokens_of};
pub use room_access::issue_room_token;
pub use tokens::{AccessAlgorithm, AccessClaims, JwtKeys, RoomClaims, RoomGrant, TokenError};
