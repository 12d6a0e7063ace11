//! The compat conversation routes: listing with stable cursors, get, rename, archive, soft
//! delete, message trees, and no access to anyone else's conversations.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fixtures::conversation;
use serde_json::{Value, json};

#[tokio::test]
async fn list_pages_get_and_messages() {
    let app = TestApp::spawn().await;
    let user = app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(
            conversation(&app, &user, &format!("chat {i}"))
                .await
                .0
                .id
                .to_string(),
        );
    }
    let get = |path: String| {
        let app = &app;
        let t = t.clone();
        async move {
            app.client
                .get(app.url(&path))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
        }
    };
    // The sidebar's first page has no query string; default page size 25.
    let first: Value = get("/api/convos".into()).await.json().await.unwrap();
    assert_eq!(first["conversations"].as_array().unwrap().len(), 25);
    assert_eq!(
        first["conversations"][0]["title"], "chat 29",
        "newest first"
    );
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let second: Value = get(format!("/api/convos?cursor={cursor}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["conversations"].as_array().unwrap().len(), 5);
    assert!(
        second["nextCursor"].is_null(),
        "last page says so with null"
    );
    let mut seen: Vec<String> = first["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["conversations"].as_array().unwrap())
        .map(|c| c["conversationId"].as_str().unwrap().to_owned())
        .collect();
    seen.reverse();
    assert_eq!(seen, ids, "every conversation exactly once");

    let one: Value = get(format!("/api/convos/{}", ids[3]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["title"], "chat 3");
    assert_eq!(
        one["temperature"], 0.5,
        "settings are spread like LibreChat stores them"
    );
    assert!(one["createdAt"].as_str().unwrap().ends_with('Z'));

    let msgs: Value = get(format!("/api/messages/{}", ids[3]))
        .await
        .json()
        .await
        .unwrap();
    let msgs = msgs.as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(
        msgs[0]["parentMessageId"],
        "00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(msgs[1]["parentMessageId"], msgs[0]["messageId"]);
    assert_eq!(msgs[1]["content"][0]["text"], "hi!");
    assert!(msgs[0].get("user").is_none());
    assert_eq!(
        get("/api/messages/new".into())
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!([])
    );

    for bad in [
        "/api/convos?limit=0",
        "/api/convos?limit=x",
        "/api/convos?cursor=garbage",
    ] {
        assert_eq!(get(bad.into()).await.status(), 400, "{bad}");
    }
    assert_eq!(app.get("/api/convos").await.status(), 401);
}

#[tokio::test]
async fn rename_archive_delete() {
    let app = TestApp::spawn().await;
    let user = app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let (c, _) = conversation(&app, &user, "first").await;
    let (keep, _) = conversation(&app, &user, "second").await;
    let post = |path: &'static str, body: Value| {
        let app = &app;
        let t = t.clone();
        async move {
            app.client
                .post(app.url(path))
                .bearer_auth(t)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res = post(
        "/api/convos/update",
        json!({ "arg": { "conversationId": c.id.to_string(), "title": "Renamed" } }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["title"], "Renamed");
    assert_eq!(
        body["model"], "gpt-4o-mini",
        "the whole conversation comes back"
    );

    let res = post(
        "/api/convos/update",
        json!({ "arg": { "conversationId": c.id.to_string(), "isArchived": true } }),
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["isArchived"], true);
    let list = |q: &'static str| {
        let app = &app;
        let t = t.clone();
        async move {
            let v: Value = app
                .client
                .get(app.url(q))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list("/api/convos").await, ["second"]);
    assert_eq!(
        list("/api/convos?isArchived=true&sortBy=createdAt&sortDirection=desc").await,
        ["Renamed"]
    );
    assert!(list("/api/convos?tags=Saved").await.is_empty());

    assert_eq!(
        post("/api/convos/update", json!({ "arg": {} }))
            .await
            .status(),
        400
    );
    assert_eq!(
        post(
            "/api/convos/update",
            json!({ "arg": { "conversationId": c.id.to_string(), "title": "" } })
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        post("/api/convos/update", json!({ "nope": 1 }))
            .await
            .status(),
        400
    );

    let del = |body: Value| {
        let app = &app;
        let t = t.clone();
        async move {
            app.client
                .delete(app.url("/api/convos"))
                .bearer_auth(t)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res =
        del(json!({ "arg": { "conversationId": keep.id.to_string(), "source": "button" } })).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["deletedCount"], 1);
    assert!(list("/api/convos").await.is_empty());
    assert_eq!(del(json!({ "arg": {} })).await.status(), 400);
    // Soft delete: the service can bring it back.
    app.state
        .services
        .conversations
        .restore(user.id, keep.id)
        .await
        .unwrap();
    assert_eq!(list("/api/convos").await, ["second"]);

    let res = app
        .client
        .delete(app.url("/api/convos/all"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["deletedCount"], 2);
}

#[tokio::test]
async fn other_users_conversations_are_invisible() {
    let app = TestApp::spawn().await;
    let owner = app.user().email("owner@example.com").create().await;
    app.user().email("intruder@example.com").create().await;
    let (c, _) = conversation(&app, &owner, "private").await;
    let t = app.token_for("intruder@example.com").await;
    let id = c.id.to_string();
    let res = app
        .client
        .get(app.url(&format!("/api/convos/{id}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .get(app.url(&format!("/api/messages/{id}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "Conversation not found"
    );
    let res = app
        .client
        .post(app.url("/api/convos/update"))
        .bearer_auth(&t)
        .json(&json!({ "arg": { "conversationId": id, "title": "pwned" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .delete(app.url("/api/convos"))
        .bearer_auth(&t)
        .json(&json!({ "arg": { "conversationId": id } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["deletedCount"], 0);
    let list: Value = app
        .client
        .get(app.url("/api/convos"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["conversations"], json!([]));
    // Still intact for its owner.
    assert_eq!(
        app.state
            .services
            .conversations
            .get(owner.id, c.id)
            .await
            .unwrap()
            .title,
        "private"
    );
}

#[tokio::test]
async fn deleted_conversations_are_purged_after_retention() {
    let app = TestApp::spawn().await;
    let user = app.user().email("ada@example.com").create().await;
    let (c, _) = conversation(&app, &user, "old").await;
    let service = &app.state.services.conversations;
    service.delete(user.id, c.id).await.unwrap();
    // Within retention nothing goes; past it the conversation and its messages are gone.
    assert_eq!(
        service
            .purge(std::time::Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    service.restore(user.id, c.id).await.unwrap();
    service.delete(user.id, c.id).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(service.purge(std::time::Duration::ZERO).await.unwrap(), 1);
    assert!(service.restore(user.id, c.id).await.is_err());
}

#[tokio::test]
async fn messages_edit_feedback_delete() {
    let app = TestApp::spawn().await;
    let user = app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let eve = app.token_for("eve@example.com").await;
    let (c, ids) = conversation(&app, &user, "tree").await;
    let (q, a) = (ids[0].to_string(), ids[1].to_string());
    let cid = c.id.to_string();
    let put = |path: String, body: Value, tok: String| {
        let app = &app;
        async move {
            app.client
                .put(app.url(&path))
                .bearer_auth(tok)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    let res = put(
        format!("/api/messages/{cid}/{q}"),
        json!({ "text": "hello, edited" }),
        t.clone(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["text"], "hello, edited");
    assert_eq!(body["messageId"], q);
    assert_eq!(body["tokenCount"], 4);

    let res = put(
        format!("/api/messages/{cid}/{a}"),
        json!({ "text": "better answer", "index": 0 }),
        t.clone(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = put(
        format!("/api/messages/{cid}/{a}"),
        json!({ "text": "x", "index": 7 }),
        t.clone(),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "Invalid index");
    let tree: Value = app
        .client
        .get(app.url(&format!("/api/messages/{cid}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tree[1]["content"][0]["text"], "better answer");

    let res = put(
        format!("/api/messages/{cid}/{a}/feedback"),
        json!({ "feedback": { "rating": "thumbsUp", "tag": "accurate_reliable" } }),
        t.clone(),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["feedback"]["rating"],
        "thumbsUp"
    );
    let res = put(
        format!("/api/messages/{cid}/{a}/feedback"),
        json!({ "feedback": { "rating": "meh" } }),
        t.clone(),
    )
    .await;
    assert_eq!(res.status(), 400);
    let res = put(
        format!("/api/messages/{cid}/{a}/feedback"),
        json!({}),
        t.clone(),
    )
    .await;
    assert!(
        res.json::<Value>().await.unwrap()["feedback"].is_null(),
        "absent feedback clears it"
    );

    // Someone else's messages are not found, whatever the route.
    assert_eq!(
        put(
            format!("/api/messages/{cid}/{q}"),
            json!({ "text": "pwned" }),
            eve.clone()
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        put(
            format!("/api/messages/{cid}/{a}/feedback"),
            json!({}),
            eve.clone()
        )
        .await
        .status(),
        404
    );
    let res = app
        .client
        .delete(app.url(&format!("/api/messages/{cid}/{q}")))
        .bearer_auth(&eve)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Deleting the question takes its answer with it.
    let res = app
        .client
        .delete(app.url(&format!("/api/messages/{cid}/{q}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let tree: Value = app
        .client
        .get(app.url(&format!("/api/messages/{cid}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tree, json!([]));
    assert_eq!(
        put(
            format!("/api/messages/{cid}/not-a-uuid"),
            json!({ "text": "x" }),
            t.clone()
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        put(
            format!("/api/messages/{cid}/{q}"),
            json!({ "nope": 1 }),
            t.clone()
        )
        .await
        .status(),
        400
    );
}

#[tokio::test]
async fn deleted_conversations_can_be_restored_by_their_owner() {
    let app = TestApp::spawn().await;
    let user = app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let (c, _) = conversation(&app, &user, "oops").await;
    let t = app.token_for("ada@example.com").await;
    let eve = app.token_for("eve@example.com").await;
    let path = format!("/api/v1/conversations/{}/restore", c.id);
    let res = app
        .client
        .delete(app.url("/api/convos"))
        .bearer_auth(&t)
        .json(&json!({ "arg": { "conversationId": c.id.to_string() } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&eve)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (
            body["id"].as_str().unwrap(),
            body["title"].as_str().unwrap()
        ),
        (c.id.to_string().as_str(), "oops")
    );
    assert_eq!(body["settings"]["temperature"], 0.5);
    // Restoring a live conversation, or a malformed ID, is not found.
    assert_eq!(
        app.client
            .post(app.url(&path))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.client
            .post(app.url("/api/v1/conversations/nope/restore"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.client
            .post(app.url(&path))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn update_merges_the_other_fields_the_client_sends_into_settings() {
    let app = TestApp::spawn().await;
    let user = app.user().email("ada@example.com").create().await;
    let (c, _) = conversation(&app, &user, "chat").await;
    let t = app.token_for("ada@example.com").await;
    let update = |arg: Value| {
        let app = &app;
        let t = t.clone();
        async move {
            let res = app
                .client
                .post(app.url("/api/convos/update"))
                .bearer_auth(t)
                .json(&json!({ "arg": arg }))
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let id = c.id.to_string();
    let (s, body) = update(json!({
        "conversationId": id, "isPinned": true, "promptPrefix": "be brief",
        "user": "someone-else", "createdAt": "1970-01-01T00:00:00.000Z"
    }))
    .await;
    assert_eq!(s, 201);
    assert_eq!(body["isPinned"], true);
    assert_eq!(body["promptPrefix"], "be brief");
    assert_eq!(body["temperature"], 0.5, "stored settings are kept");
    assert_eq!(
        body["user"],
        user.id.to_string(),
        "identity fields are not settings"
    );
    assert_ne!(body["createdAt"], "1970-01-01T00:00:00.000Z");
    let (_, body) = update(json!({ "conversationId": id, "isPinned": null })).await;
    assert!(body.get("isPinned").is_none(), "null removes a setting");
    assert_eq!(body["promptPrefix"], "be brief");
    let (s, _) = update(json!({ "conversationId": id, "blob": "x".repeat(70_000) })).await;
    assert_eq!(s, 400);
}
