//! Presence: each open event socket is one of its user's devices. The user lists them, a socket
//! that asks hears them come and go (across instances through Redis), and administrators count
//! who is online.

use ferrochat_test_support::TestApp;
use futures_util::SinkExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::Message;

use super::ws::{Socket, next, quiet};

/// Opens an event socket as `agent`; returns it and its device ID (from `ready`).
async fn device(app: &TestApp, token: &str, agent: &str) -> (Socket, String) {
    let mut request = format!("ws://{}/api/v1/events", app.addr)
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    headers.insert("user-agent", agent.parse().unwrap());
    let mut socket = tokio_tungstenite::connect_async(request).await.unwrap().0;
    let ready = next(&mut socket).await;
    assert_eq!(ready["type"], "ready", "{ready}");
    let id = ready["device_id"].as_str().unwrap().to_owned();
    (socket, id)
}

/// (id, user agent, current) of each device in a `presence` frame.
fn listed(frame: &Value) -> Vec<(String, String, bool)> {
    assert_eq!(frame["type"], "presence", "{frame}");
    frame["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_owned(),
                d["user_agent"].as_str().unwrap_or_default().to_owned(),
                d["current"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn watch(socket: &mut Socket) -> Value {
    socket
        .send(Message::text(json!({ "type": "presence" }).to_string()))
        .await
        .unwrap();
    next(socket).await
}

async fn presence(app: &TestApp, token: &str) -> Value {
    let (status, body) = app
        .call(token, Method::GET, "/api/v1/me/presence", None)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn devices_are_listed_and_a_watching_socket_hears_them_come_and_go() {
    let app = TestApp::spawn().await;
    let admin = app.user().email("root@example.com").admin().create().await;
    let root = app.token_for(&admin.email).await;
    app.user().email("ada@example.com").create().await;
    app.user().email("bob@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let tb = app.token_for("bob@example.com").await;

    assert_eq!(
        presence(&app, &t).await,
        json!({ "online": false, "devices": [] })
    );
    let (mut laptop, laptop_id) = device(&app, &t, "Laptop/1.0").await;
    assert_eq!(
        listed(&watch(&mut laptop).await),
        [(laptop_id.clone(), "Laptop/1.0".to_owned(), true)]
    );
    let (mut bobs, _) = device(&app, &tb, "Bob/1.0").await;
    let (mut phone, phone_id) = device(&app, &t, "Phone/2.0").await;
    // The watching socket hears the phone come; the others asked for nothing.
    assert_eq!(
        listed(&next(&mut laptop).await),
        [
            (laptop_id.clone(), "Laptop/1.0".to_owned(), true),
            (phone_id.clone(), "Phone/2.0".to_owned(), false)
        ]
    );
    quiet(&mut laptop).await;
    quiet(&mut phone).await;
    quiet(&mut bobs).await;

    let mine = presence(&app, &t).await;
    assert_eq!(mine["online"], true);
    let ids: Vec<&str> = mine["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [laptop_id.as_str(), phone_id.as_str()]);
    assert_eq!(mine["devices"][1]["user_agent"], "Phone/2.0");
    assert!(mine["devices"][0]["connected_at"].is_string());
    assert_eq!(
        presence(&app, &tb).await["devices"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let (status, online) = app
        .call(&root, Method::GET, "/api/v1/admin/presence", None)
        .await;
    assert_eq!(status, 200, "{online}");
    assert_eq!(online, json!({ "users": 2, "devices": 3 }));
    let (status, _) = app
        .call(&t, Method::GET, "/api/v1/admin/presence", None)
        .await;
    assert_eq!(status, 403);

    // The phone goes: the laptop hears it, and the list shrinks.
    phone.close(None).await.unwrap();
    assert_eq!(
        listed(&next(&mut laptop).await),
        [(laptop_id.clone(), "Laptop/1.0".to_owned(), true)]
    );
    assert_eq!(
        presence(&app, &t).await["devices"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // GraphQL reads the same list.
    let (status, body) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/graphql",
            Some(json!({ "query": "{ presence { online devices { id userAgent } } }" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["presence"],
        json!({ "online": true, "devices": [{ "id": laptop_id, "userAgent": "Laptop/1.0" }] })
    );

    // Presence is news for the user's sockets, not for webhooks.
    let (status, body) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": "https://93.184.216.34/hook", "events": ["presence.changed"] })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "events", "{body}");
}

#[tokio::test]
async fn presence_spans_instances_through_redis() {
    let Some((a, b)) = TestApp::pair("presence across instances").await else {
        return;
    };
    a.user().email("ada@example.com").create().await;
    let t = a.token_for("ada@example.com").await;

    let (mut on_a, a_id) = device(&a, &t, "Laptop/1.0").await;
    assert_eq!(listed(&watch(&mut on_a).await).len(), 1);
    let (mut on_b, b_id) = device(&b, &t, "Phone/2.0").await;
    // A hears of B's socket through Redis; each instance lists both.
    let heard = listed(&next(&mut on_a).await);
    assert_eq!(
        heard.iter().map(|d| d.0.as_str()).collect::<Vec<_>>(),
        [a_id.as_str(), b_id.as_str()]
    );
    for app in [&a, &b] {
        assert_eq!(
            presence(app, &t).await["devices"].as_array().unwrap().len(),
            2
        );
    }
    on_b.close(None).await.unwrap();
    assert_eq!(
        listed(&next(&mut on_a).await),
        [(a_id, "Laptop/1.0".to_owned(), true)]
    );
    assert_eq!(
        presence(&b, &t).await["devices"].as_array().unwrap().len(),
        1
    );
}
