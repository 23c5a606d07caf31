//! Who a GraphQL operation runs for. Read once per HTTP request or WebSocket
//! connection and put into the operation's data; resolvers ask for it with
//! [`signed_in`] and [`command_ctx`].

use altegon_commands::{Actor, CommandContext};
use async_graphql::Context;

use super::errors::OrGraphql;
use crate::auth::AuthUser;
use crate::error::Error;
use crate::state::AppState;

/// The caller of one request or connection.
#[derive(Clone)]
pub struct GraphqlCaller {
    /// The signed-in user; `Err` holds why a sent token was refused.
    pub user: Result<Option<AuthUser>, &'static str>,
    /// What commands record about the request.
    pub ctx: CommandContext,
}

impl GraphqlCaller {
    /// A caller from a verified (or refused) token and the request's context.
    pub fn new(user: Result<Option<AuthUser>, Error>, mut ctx: CommandContext) -> Self {
        let user = user.map_err(|e| match e {
            Error::Unauthorized(why) => why,
            _ => "invalid token",
        });
        ctx.actor = match &user {
            Ok(Some(u)) => u.actor(),
            _ => Actor::default(),
        };
        Self { user, ctx }
    }
}

/// The application state.
pub fn app<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

fn caller<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a GraphqlCaller> {
    ctx.data::<GraphqlCaller>()
}

/// The signed-in user, or `UNAUTHENTICATED` saying why not.
pub fn signed_in<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a AuthUser> {
    match &caller(ctx)?.user {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(Error::Unauthorized("a bearer token is required")).gql(),
        Err(why) => Err(Error::Unauthorized(why)).gql(),
    }
}

/// Spends a login or register attempt of the caller's address (as the REST
/// routes do), `RATE_LIMITED` past the allowance.
pub async fn spend_auth_attempt(ctx: &Context<'_>) -> async_graphql::Result<()> {
    let ip = caller(ctx)?.ctx.client_ip.clone();
    crate::rate_limit::spend_auth_attempt(&app(ctx).rate_limiter, ip.as_deref())
        .await
        .gql()
}

/// The command context of the operation.
pub fn command_ctx(ctx: &Context<'_>) -> async_graphql::Result<CommandContext> {
    Ok(caller(ctx)?.ctx.clone())
}
