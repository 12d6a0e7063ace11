//! A WebSocket client for the doors that push (`/api/v1/events`, `/api/v1/graphql/ws`).

use std::time::Duration;

use ferrochat_test_support::TestApp;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::Message;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `path`, with a bearer header and/or a subprotocol when given.
pub async fn connect(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    protocol: Option<&str>,
) -> Socket {
    let mut request = format!("ws://{}{path}", app.addr)
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    if let Some(t) = token {
        headers.insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    if let Some(p) = protocol {
        headers.insert("sec-websocket-protocol", p.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// The next JSON text frame, skipping WebSocket control frames and graphql-ws `ping`s; a close
/// frame comes back as `{"closed": [code, reason]}`. Panics after 5 s.
pub async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame within 5 s")
            .expect("socket open")
            .unwrap();
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(text.as_str()).unwrap();
                if value["type"] != "ping" {
                    return value;
                }
            }
            Message::Close(frame) => {
                return json!({ "closed": frame.map(|f| (u16::from(f.code), f.reason.to_string())) });
            }
            _ => continue,
        }
    }
}

/// Nothing arrives for a moment.
pub async fn quiet(socket: &mut Socket) {
    let got = tokio::time::timeout(Duration::from_millis(300), socket.next()).await;
    assert!(got.is_err(), "unexpected frame {got:?}");
}
