//! GraphQL over the same data as REST: queries read the read models, mutations
//! run the same commands under the same rules ([`crate::auth`]'s policy),
//! subscriptions follow the event log.
//!
//! Served at `/graphql` (POST, and GET with `?query=`; a browser asking for HTML
//! gets GraphiQL) and at `/graphql/ws` for subscriptions (graphql-transport-ws;
//! the token goes in `connection_init`'s payload as `{"authorization": "Bearer …"}`).
//! Depth and complexity are bounded and introspection can be turned off
//! (`ALTEGON_GRAPHQL_*`). Module map: `caller` (who runs the operation), `errors`
//! (API errors with their `code`), `page` (cursor pagination), `loaders` (batched
//! nested reads), `types`, `query`, `mutation`, `subscription`.

mod caller;
mod errors;
mod loaders;
mod mutation;
mod page;
mod query;
mod subscription;
mod types;
mod webhooks;

use altegon_commands::Actor;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql::{Data, Schema};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequest, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

pub use caller::GraphqlCaller;
pub use loaders::ReadCounter;
pub use mutation::Mutation;
pub use query::Query;
pub use subscription::Subscription;

use crate::auth::{AuthUser, CommandCtx};
use crate::config::Config;
use crate::consistency::Consistent;
use crate::error::Error;
use crate::state::AppState;

/// The schema type.
pub type AltegonSchema = Schema<Query, Mutation, Subscription>;

/// The schema with its limits from the configuration, serving `state`.
pub fn schema(state: AppState) -> AltegonSchema {
    let config = state.config.clone();
    let mut builder = Schema::build(Query, Mutation, Subscription)
        .data(state)
        .limit_depth(config.graphql_max_depth)
        .limit_complexity(config.graphql_max_complexity);
    if !config.graphql_introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The schema in SDL, as published in `schemas/schema.graphql`.
pub fn sdl() -> String {
    let config = Config::default();
    let mut sdl = Schema::build(Query, Mutation, Subscription)
        .limit_depth(config.graphql_max_depth)
        .finish()
        .sdl();
    if !sdl.ends_with('\n') {
        sdl.push('\n');
    }
    sdl
}

/// `/graphql` and `/graphql/ws`.
pub fn router(schema: AltegonSchema) -> Router<AppState> {
    Router::new()
        .route("/graphql", get(get_graphql).post(post_graphql))
        .route("/graphql/ws", get(subscriptions))
        .layer(axum::Extension(schema))
}

/// The caller of an HTTP request: a bad token does not fail the request (public
/// operations still run); operations that need a user say why it was refused.
struct HttpCaller(GraphqlCaller);

impl FromRequestParts<AppState> for HttpCaller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let user = match parts.extensions.get::<AuthUser>() {
            Some(user) => Ok(Some(user.clone())),
            None => AuthUser::from_headers(state, &parts.headers),
        };
        let actor = match &user {
            Ok(Some(u)) => u.actor(),
            _ => Actor::default(),
        };
        let CommandCtx(ctx) = CommandCtx::for_request(parts, state, actor)?;
        Ok(Self(GraphqlCaller::new(user, ctx)))
    }
}

async fn execute(
    state: &AppState,
    schema: &AltegonSchema,
    caller: GraphqlCaller,
    request: async_graphql::Request,
) -> GraphQLResponse {
    let counter = ReadCounter::default();
    let request = request
        .data(caller)
        .data(counter.clone())
        .data(loaders::loader(state.read_pool().clone(), counter.clone()));
    let mut response = schema.execute(request).await;
    response.extensions.insert(
        "readQueries".into(),
        async_graphql::Value::from(counter.get() as u64),
    );
    response.into()
}

async fn post_graphql(
    State(state): State<AppState>,
    axum::Extension(schema): axum::Extension<AltegonSchema>,
    HttpCaller(caller): HttpCaller,
    _: Consistent,
    request: GraphQLRequest,
) -> GraphQLResponse {
    execute(&state, &schema, caller, request.into_inner()).await
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

async fn get_graphql(
    State(state): State<AppState>,
    axum::Extension(schema): axum::Extension<AltegonSchema>,
    HttpCaller(caller): HttpCaller,
    _: Consistent,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let has_query = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("query=")));
    if !has_query && wants_html(&headers) {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql/ws")
                .finish(),
        )
        .into_response();
    }
    match GraphQLRequest::<async_graphql_axum::rejection::GraphQLRejection>::from_request(
        request, &state,
    )
    .await
    {
        Ok(request) => execute(&state, &schema, caller, request.into_inner())
            .await
            .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// The payload of `connection_init`: `authorization` (`Bearer …`) or `token`.
fn token_of(payload: &serde_json::Value) -> Option<&str> {
    let value = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .or_else(|| payload.get("token"))?
        .as_str()?;
    Some(
        value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or(value)
            .trim(),
    )
}

async fn subscriptions(
    State(state): State<AppState>,
    axum::Extension(schema): axum::Extension<AltegonSchema>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
    request: axum::extract::Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let base = CommandCtx::for_request(&parts, &state, Actor::default()).map(|c| c.0);
    let base = match base {
        Ok(ctx) => ctx,
        Err(e) => return e.into_response(),
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let init_state = state.clone();
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let user = match token_of(&payload) {
                        Some(token) => AuthUser::from_token(&init_state, token).map(Some),
                        None => Ok(None),
                    };
                    let counter = ReadCounter::default();
                    let mut data = Data::default();
                    data.insert(GraphqlCaller::new(user, base));
                    data.insert(loaders::loader(
                        init_state.read_pool().clone(),
                        counter.clone(),
                    ));
                    data.insert(counter);
                    Ok(data)
                })
                .serve()
        })
}
