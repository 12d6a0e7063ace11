//! `chat-bench --relay UPSTREAM --port P`: the least any server in ferrochat's place could add.
//!
//! A bare HTTP relay built from the same off-the-shelf parts (hyper through axum in, a pooled
//! hyper client through reqwest out, Tokio): it passes `POST /chat/completions` to the upstream
//! and streams the answer back byte for byte, with no authentication, storage or re-framing.
//! It runs as its own process, like ferrochat, so it pays the same wake-ups and hops. What it
//! adds over calling the upstream directly is the machine's floor for one extra HTTP hop;
//! what ferrochat adds over the relay is ferrochat's own work.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::serve::ListenerExt as _;

#[derive(Clone)]
struct Relay {
    client: reqwest::Client,
    upstream: String,
}

/// Serves the relay on 127.0.0.1:`port` until the process is killed.
pub async fn serve(upstream: String, port: u16) {
    let relay = Relay {
        client: reqwest::Client::new(),
        upstream,
    };
    let app = Router::new()
        .route("/chat/completions", post(forward))
        .with_state(relay);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind the relay's port")
        // As ferrochat does: answers are streamed in small writes.
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(listener, app).await.expect("relay server");
}

async fn forward(State(relay): State<Relay>, body: Bytes) -> Response {
    let sent = relay
        .client
        .post(format!("{}/chat/completions", relay.upstream))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    match sent {
        Ok(res) => (
            res.status(),
            [(header::CONTENT_TYPE, "text/event-stream")],
            Body::from_stream(res.bytes_stream()),
        )
            .into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
