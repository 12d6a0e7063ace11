//! The GraphQL door: queries and mutations as the caller, the REST error codes, limits, API key
//! scopes, and event subscriptions over graphql-transport-ws.

use std::time::Duration;

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fixtures::conversation;
use futures_util::SinkExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::protocol::Message;

use super::ws::{self, next};

async fn gql(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let (status, body) = app
        .call(
            token,
            Method::POST,
            "/api/v1/graphql",
            Some(json!({ "query": query, "variables": variables })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn codes(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["extensions"]["code"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn queries_and_mutations_act_as_the_caller() {
    let app = TestApp::spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    let eve = app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;
    let (first, _) = conversation(&app, &ada, "Quokka facts").await;
    let (second, _) = conversation(&app, &ada, "Wombat facts").await;
    let (theirs, _) = conversation(&app, &eve, "Eve's").await;

    let me = gql(&app, &t, "{ me { id email role } }", json!({})).await;
    assert_eq!(
        me["data"]["me"],
        json!({ "id": ada.id.to_string(), "email": "ada@example.com", "role": "USER" })
    );

    // Pages, newest first, with the tree of each conversation in one selection.
    let q = "query($after: String) { conversations(first: 1, after: $after) {
        nodes { id title messages { id parentId text isCreatedByUser content } }
        pageInfo { endCursor hasNextPage } } }";
    let page = gql(&app, &t, q, json!({})).await;
    let convos = &page["data"]["conversations"];
    assert_eq!(convos["nodes"][0]["id"], second.id.to_string());
    assert_eq!(convos["pageInfo"]["hasNextPage"], true);
    let messages = &convos["nodes"][0]["messages"];
    assert_eq!(messages[0]["text"], "hello?");
    assert_eq!(messages[1]["parentId"], messages[0]["id"]);
    assert_eq!(messages[1]["content"][0]["text"], "hi!");
    let after = convos["pageInfo"]["endCursor"].clone();
    let page = gql(&app, &t, q, json!({ "after": after })).await;
    assert_eq!(
        page["data"]["conversations"]["nodes"][0]["id"],
        first.id.to_string()
    );
    assert_eq!(
        page["data"]["conversations"]["pageInfo"]["hasNextPage"],
        false
    );

    let found = gql(
        &app,
        &t,
        r#"{ conversations(search: "wombat") { nodes { title } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        found["data"]["conversations"]["nodes"],
        json!([{ "title": "Wombat facts" }])
    );
    let hits = gql(
        &app,
        &t,
        r#"{ searchMessages(query: "hello") { nodes { conversationTitle message { text } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        hits["data"]["searchMessages"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Someone else's conversation is simply not found, with the REST code.
    let q = "query($id: ID!) { conversation(id: $id) { title } }";
    let body = gql(&app, &t, q, json!({ "id": theirs.id.to_string() })).await;
    assert_eq!(codes(&body), ["not_found"]);
    assert_eq!(body["data"], Value::Null);
    let body = gql(&app, &te, q, json!({ "id": theirs.id.to_string() })).await;
    assert_eq!(body["data"]["conversation"]["title"], "Eve's");

    // Mutations.
    let rename =
        "mutation($id: ID!, $t: String!) { renameConversation(id: $id, title: $t) { title } }";
    let body = gql(
        &app,
        &t,
        rename,
        json!({ "id": first.id.to_string(), "t": "Quokkas!" }),
    )
    .await;
    assert_eq!(body["data"]["renameConversation"]["title"], "Quokkas!");
    let body = gql(
        &app,
        &t,
        rename,
        json!({ "id": first.id.to_string(), "t": "  " }),
    )
    .await;
    assert_eq!(codes(&body), ["validation_failed"]);
    assert_eq!(
        body["errors"][0]["extensions"]["fields"][0]["field"],
        "title"
    );
    let body = gql(
        &app,
        &te,
        rename,
        json!({ "id": first.id.to_string(), "t": "mine now" }),
    )
    .await;
    assert_eq!(codes(&body), ["not_found"]);
    let body = gql(
        &app,
        &t,
        "mutation($id: ID!) { deleteConversation(id: $id) }",
        json!({ "id": first.id.to_string() }),
    )
    .await;
    assert_eq!(body["data"]["deleteConversation"], true);
    let body = gql(
        &app,
        &t,
        "mutation($id: ID!) { restoreConversation(id: $id) { title } }",
        json!({ "id": first.id.to_string() }),
    )
    .await;
    assert_eq!(body["data"]["restoreConversation"]["title"], "Quokkas!");

    // Bad input: page sizes, garbage IDs, deep or malformed queries.
    let body = gql(
        &app,
        &t,
        "{ conversations(first: -1) { nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(codes(&body), ["validation_failed"]);
    let body = gql(
        &app,
        &t,
        "{ conversations(first: 1000) { nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(codes(&body), ["validation_failed"]);
    let body = gql(
        &app,
        &t,
        r#"{ conversation(id: "../x") { id } }"#,
        json!({}),
    )
    .await;
    assert_eq!(codes(&body), ["not_found"]);
    let body = gql(&app, &t, "{ me { id ", json!({})).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expected"),
        "{body}"
    );
    // Many fields at once (aliases) are refused by the complexity limit.
    let wide: String = (0..1100).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let body = gql(&app, &t, &format!("{{ {wide} }}"), json!({})).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{body}"
    );
    assert_eq!(body["data"], Value::Null);

    // No credential: the usual 401 problem.
    let res = app
        .client
        .post(app.url("/api/v1/graphql"))
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_read_only_api_key_may_query_but_not_mutate() {
    let app = TestApp::spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let (convo, _) = conversation(&app, &ada, "Keyed").await;
    let (status, key) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/me/api-keys",
            Some(json!({ "name": "reader", "scopes": ["read"] })),
        )
        .await;
    assert_eq!(status, 201);
    let key = key["token"].as_str().unwrap();
    let body = gql(
        &app,
        key,
        "{ conversations { nodes { title } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["conversations"]["nodes"],
        json!([{ "title": "Keyed" }])
    );
    let body = gql(
        &app,
        key,
        "mutation($id: ID!) { deleteConversation(id: $id) }",
        json!({ "id": convo.id.to_string() }),
    )
    .await;
    assert_eq!(codes(&body), ["forbidden"]);
    let (_, still) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/conversations/{}", convo.id),
            None,
        )
        .await;
    assert_eq!(still["title"], "Keyed");
}

#[tokio::test]
async fn subscriptions_push_the_callers_events() {
    let app = TestApp::spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let mut ws = ws::connect(
        &app,
        "/api/v1/graphql/ws",
        None,
        Some("graphql-transport-ws"),
    )
    .await;
    ws.send(Message::text(
        json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {t}") } })
            .to_string(),
    ))
    .await
    .unwrap();
    let ack = next(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack");
    ws.send(Message::text(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { events { type conversationId } }" } }).to_string()))
        .await
        .unwrap();
    // The subscription is registered once the server has read the frame; give it a moment.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (convo, _) = conversation(&app, &ada, "Subscribed").await;
    let event = next(&mut ws).await;
    assert_eq!(event["type"], "next");
    assert_eq!(event["id"], "1");
    assert_eq!(
        event["payload"]["data"]["events"],
        json!({ "type": "conversation.created", "conversationId": convo.id.to_string() })
    );

    // A bad credential is refused at connection_init: the socket is closed without an ack
    // (async-graphql closes with 1002).
    let mut bad = ws::connect(
        &app,
        "/api/v1/graphql/ws",
        None,
        Some("graphql-transport-ws"),
    )
    .await;
    bad.send(Message::text(
        json!({ "type": "connection_init", "payload": { "token": "nonsense" } }).to_string(),
    ))
    .await
    .unwrap();
    // `next` returns the first text frame, so an ack would fail this.
    assert_eq!(next(&mut bad).await["closed"][0], 1002);
}

#[tokio::test]
async fn files_are_listed_and_deleted_as_the_caller() {
    let app = TestApp::spawn().await;
    app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;
    let res = app
        .client
        .post(app.url("/api/v1/files?filename=a.txt"))
        .bearer_auth(&t)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let list = "{ files(first: 10) { nodes { id filename contentType bytes sha256 contentUrl } pageInfo { hasNextPage } } }";
    let body = gql(&app, &t, list, json!({})).await;
    let nodes = &body["data"]["files"]["nodes"];
    assert_eq!(nodes[0]["id"], id.as_str());
    assert_eq!(nodes[0]["filename"], "a.txt");
    assert_eq!(nodes[0]["bytes"], 5);
    assert_eq!(
        nodes[0]["contentUrl"],
        format!("/api/v1/files/{id}/content")
    );
    let body = gql(&app, &te, list, json!({})).await;
    assert_eq!(body["data"]["files"]["nodes"], json!([]));

    let delete = "mutation($id: ID!) { deleteFile(id: $id) }";
    let body = gql(&app, &te, delete, json!({ "id": id })).await;
    assert_eq!(body["data"]["deleteFile"], false, "not eve's");
    let body = gql(&app, &t, delete, json!({ "id": id })).await;
    assert_eq!(body["data"]["deleteFile"], true);
    let body = gql(&app, &t, list, json!({})).await;
    assert_eq!(body["data"]["files"]["nodes"], json!([]));
}
