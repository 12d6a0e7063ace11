//! The GraphQL door (`POST /api/v1/graphql`, subscriptions over `graphql-transport-ws` at
//! `/api/v1/graphql/ws`): the caller's account, conversations with their messages, search and
//! shared links, a few mutations, and the same domain events as the WebSocket door. Every
//! resolver calls the services the REST doors call, as the signed-in user, so ownership and
//! validation are the same rules; errors carry the REST error codes in `extensions.code`.
#![warn(missing_docs)]

mod schema;

use std::sync::OnceLock;

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ferrochat_web::auth::authenticate;
use ferrochat_web::{AppState, AuthUser};
use http::Method;

pub use schema::{AppSchema, build_schema};

/// The query route.
pub const PATH: &str = "/api/v1/graphql";
/// The subscription route.
pub const WS_PATH: &str = "/api/v1/graphql/ws";

/// The schema is the same for every request (the caller comes with each request's data), so
/// it is built once.
fn schema() -> &'static AppSchema {
    static SCHEMA: OnceLock<AppSchema> = OnceLock::new();
    SCHEMA.get_or_init(build_schema)
}

/// The GraphQL routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(PATH, post(query))
        .route(WS_PATH, get(subscribe))
}

/// Queries and mutations, as the caller of the bearer credential (an API key needs `read` for
/// this POST to count as reading: the route is checked as `GET`-like, and mutations need
/// `write`, see [`schema`]).
async fn query(
    State(state): State<AppState>,
    auth: AuthUser,
    req: GraphQLRequest,
) -> GraphQLResponse {
    schema()
        .execute(req.into_inner().data(state).data(auth))
        .await
        .into()
}

/// Subscriptions: the credential comes in `connection_init`'s payload as `authorization`
/// (`Bearer …`) or `token`, since browsers cannot set headers on a WebSocket.
async fn subscribe(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    ws: WebSocketUpgrade,
) -> Response {
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema().clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let token = payload["authorization"]
                        .as_str()
                        .map(|a| a.strip_prefix("Bearer ").unwrap_or(a).trim().to_owned())
                        .or_else(|| payload["token"].as_str().map(str::to_owned))
                        .ok_or_else(|| async_graphql::Error::new("authentication required"))?;
                    let auth = authenticate(&state, &token, &Method::GET, WS_PATH)
                        .await
                        .map_err(|e| async_graphql::Error::new(e.detail))?;
                    let mut data = Data::default();
                    data.insert(state);
                    data.insert(auth);
                    Ok(data)
                })
                .serve()
        })
        .into_response()
}
