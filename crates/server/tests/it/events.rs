//! The WebSocket door: a user's changes pushed to their sockets (and nobody else's), sign-in by
//! header or first frame, and the socket closed when the session ends or the server stops.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fixtures::conversation;
use futures_util::SinkExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::Message;

use super::ws::{self, Socket, next, quiet};

async fn connect(app: &TestApp, token: Option<&str>) -> Socket {
    ws::connect(app, "/api/v1/events", token, None).await
}

#[tokio::test]
async fn a_users_changes_reach_their_sockets_only() {
    let app = TestApp::spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    let eve = app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;

    let mut mine = connect(&app, Some(&t)).await;
    let ready = next(&mut mine).await;
    assert_eq!(
        (&ready["type"], &ready["user_id"]),
        (&json!("ready"), &json!(ada.id.to_string()))
    );
    assert!(ready["device_id"].is_string(), "{ready}");
    // A browser signs in with its first frame.
    let mut theirs = connect(&app, None).await;
    theirs
        .send(Message::text(
            json!({ "type": "auth", "token": te }).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(next(&mut theirs).await["user_id"], eve.id.to_string());

    let (convo, ids) = conversation(&app, &ada, "Pushed").await;
    let created = next(&mut mine).await;
    assert_eq!(created["type"], "conversation.created");
    assert_eq!(created["conversation_id"], convo.id.to_string());
    assert!(created["at"].as_str().unwrap().ends_with('Z'));
    for id in &ids {
        let m = next(&mut mine).await;
        assert_eq!(
            (m["type"].as_str(), m["message_id"].as_str()),
            (Some("message.created"), Some(id.to_string().as_str()))
        );
    }

    // Changes through either door.
    let path = format!("/api/messages/{}/{}", convo.id, ids[0]);
    let (status, _) = app
        .call(&t, Method::PUT, &path, Some(json!({ "text": "edited" })))
        .await;
    assert_eq!(status, 200);
    assert_eq!(next(&mut mine).await["type"], "message.updated");
    let (status, _) = app
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/conversations/{}", convo.id),
            Some(json!({ "title": "Renamed" })),
        )
        .await;
    assert_eq!(status, 200);
    let updated = next(&mut mine).await;
    assert_eq!(
        (updated["type"].as_str(), updated["message_id"].clone()),
        (Some("conversation.updated"), Value::Null)
    );
    let (status, _) = app
        .call(
            &t,
            Method::DELETE,
            &format!("/api/v1/conversations/{}", convo.id),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(next(&mut mine).await["type"], "conversation.deleted");
    let (status, _) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/conversations/{}/restore", convo.id),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(next(&mut mine).await["type"], "conversation.restored");

    // Eve heard none of it.
    quiet(&mut theirs).await;

    // An application-level ping.
    mine.send(Message::text(r#"{"type":"ping"}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut mine).await, json!({ "type": "pong" }));
}

#[tokio::test]
async fn bad_credentials_are_refused_and_sockets_close_on_shutdown() {
    let app = TestApp::spawn().await;
    app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;

    // A bad header: a plain 401 before any upgrade.
    let mut request = format!("ws://{}/api/v1/events", app.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", "Bearer nonsense".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
        other => panic!("{:?}", other.map(|_| ())),
    }
    // A bad first frame: closed with 4401.
    let mut socket = connect(&app, None).await;
    socket
        .send(Message::text(r#"{"type":"auth","token":"nonsense"}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await["closed"][0], 4401);
    let mut socket = connect(&app, None).await;
    socket.send(Message::text("hello")).await.unwrap();
    assert_eq!(next(&mut socket).await["closed"][0], 4401);
    // Not a WebSocket request at all.
    let res = app.get("/api/v1/events").await;
    assert_eq!(res.status(), 400);

    let mut socket = connect(&app, Some(&t)).await;
    assert_eq!(next(&mut socket).await["type"], "ready");
    app.stop().await.unwrap();
    assert_eq!(next(&mut socket).await["closed"][0], 1001);
}

/// Two instances on one database and one Redis: a change made through one reaches a socket on
/// the other, exactly once.
#[tokio::test]
async fn events_cross_instances_through_redis() {
    let Some((a, b)) = TestApp::pair("events across instances").await else {
        return;
    };
    let ada = a.user().email("ada@example.com").create().await;
    let t = a.token_for("ada@example.com").await;

    let mut on_b = connect(&b, Some(&t)).await;
    assert_eq!(next(&mut on_b).await["type"], "ready");
    let mut on_a = connect(&a, Some(&t)).await;
    assert_eq!(next(&mut on_a).await["type"], "ready");

    let (convo, _) = conversation(&a, &ada, "Across").await;
    for socket in [&mut on_b, &mut on_a] {
        let e = next(socket).await;
        assert_eq!(
            (e["type"].as_str(), e["conversation_id"].as_str()),
            (
                Some("conversation.created"),
                Some(convo.id.to_string().as_str())
            )
        );
        // The two fixture messages, then nothing more: no echo of A's own events from Redis.
        assert_eq!(next(socket).await["type"], "message.created");
        assert_eq!(next(socket).await["type"], "message.created");
        quiet(socket).await;
    }
}

/// A chat turn: the new conversation, the user's message, then the stored answer.
#[tokio::test]
async fn a_chat_turn_pushes_the_conversation_and_both_messages() {
    let (app, token, _fake) = super::v1_chat::setup().await;
    let mut socket = connect(&app, Some(&token)).await;
    assert_eq!(next(&mut socket).await["type"], "ready");
    let reply = app
        .sse_post(
            &token,
            "/api/v1/chat",
            &json!({"endpoint": "openAI", "text": "Hello"}),
        )
        .await;
    assert_eq!(reply.status, 200);
    let done = reply
        .events
        .iter()
        .find(|(e, _)| e == "done")
        .map(|(_, d)| d.clone())
        .unwrap();
    let conversation = done["conversation"]["id"].as_str().unwrap().to_owned();
    let created = next(&mut socket).await;
    assert_eq!(
        (
            created["type"].as_str(),
            created["conversation_id"].as_str()
        ),
        (Some("conversation.created"), Some(conversation.as_str()))
    );
    let question = next(&mut socket).await;
    assert_eq!(question["type"], "message.created");
    let answer = next(&mut socket).await;
    assert_eq!(answer["type"], "message.created");
    assert_eq!(answer["message_id"], done["message"]["id"]);
    assert_ne!(question["message_id"], answer["message_id"]);
}
