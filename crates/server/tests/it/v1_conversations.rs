//! `/api/v1/conversations`: the native list (cursor, filters), get, patch, soft delete and
//! restore; another user's IDs are 404; bad input is problem+json.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fixtures::conversation;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn list_get_patch_delete_restore() {
    let app = TestApp::spawn().await;
    let user = app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            conversation(&app, &user, &format!("c{i}"))
                .await
                .0
                .id
                .to_string(),
        );
    }
    // Every conversation once, newest first, three at a time.
    let mut seen = Vec::new();
    let mut path = "/api/v1/conversations?limit=3".to_owned();
    loop {
        let (s, page) = app.call(&t, Method::GET, &path, None).await;
        assert_eq!(s, 200, "{page}");
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(page["has_more"], true);
                path = format!("/api/v1/conversations?limit=3&cursor={cursor}");
            }
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(seen, expected);

    let id = &ids[0];
    let (s, c) = app
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/conversations/{id}"),
            Some(json!({ "title": "Renamed", "settings": { "temperature": null, "top_p": 0.9 } })),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["title"], "Renamed");
    assert_eq!(c["settings"], json!({ "top_p": 0.9 }));
    let (_, c) = app
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/conversations/{id}"),
            Some(json!({ "is_archived": true })),
        )
        .await;
    assert_eq!(c["is_archived"], true);
    let (_, archived) = app
        .call(&t, Method::GET, "/api/v1/conversations?archived=true", None)
        .await;
    assert_eq!(archived["data"][0]["id"], id.as_str());

    // Bookmark and folder filters.
    app.state
        .services
        .tags
        .set_for_conversation(user.id, ids[1].parse().unwrap(), &["work".into()])
        .await
        .unwrap();
    let (_, tagged) = app
        .call(
            &t,
            Method::GET,
            "/api/v1/conversations?tags=work,other",
            None,
        )
        .await;
    assert_eq!(tagged["data"].as_array().unwrap().len(), 1);
    assert_eq!(tagged["data"][0]["id"], ids[1].as_str());
    let (_, one) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/conversations/{}", ids[1]),
            None,
        )
        .await;
    assert_eq!(one["tags"], json!(["work"]));
    let (_, folder) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/folders",
            Some(json!({ "name": "F" })),
        )
        .await;
    let fid = folder["id"].as_str().unwrap();
    app.call(
        &t,
        Method::PUT,
        &format!("/api/v1/conversations/{}/folder", ids[2]),
        Some(json!({ "folder_id": fid })),
    )
    .await;
    let (_, filed) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/conversations?folder_id={fid}"),
            None,
        )
        .await;
    assert_eq!(filed["data"][0]["id"], ids[2].as_str());

    let (s, _) = app
        .call(
            &t,
            Method::DELETE,
            &format!("/api/v1/conversations/{}", ids[3]),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/conversations/{}", ids[3]),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .call(
            &t,
            Method::DELETE,
            &format!("/api/v1/conversations/{}", ids[3]),
            None,
        )
        .await;
    assert_eq!(s, 404, "already deleted");
    let (s, back) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/conversations/{}/restore", ids[3]),
            None,
        )
        .await;
    assert_eq!((s, back["id"].as_str()), (200, Some(ids[3].as_str())));
}

#[tokio::test]
async fn other_users_and_bad_input() {
    let app = TestApp::spawn().await;
    let owner = app.user().email("owner@example.com").create().await;
    app.user().email("intruder@example.com").create().await;
    let (c, _) = conversation(&app, &owner, "private").await;
    let t = app.token_for("intruder@example.com").await;
    let id = c.id.to_string();
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({ "title": "pwned" }))),
        (Method::DELETE, None),
    ] {
        let (s, b) = app
            .call(
                &t,
                method.clone(),
                &format!("/api/v1/conversations/{id}"),
                body,
            )
            .await;
        assert_eq!(s, 404, "{method}: {b}");
        assert_eq!(b["code"], "not_found");
    }
    let (_, list) = app
        .call(&t, Method::GET, "/api/v1/conversations", None)
        .await;
    assert_eq!(list["data"], json!([]));
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

    let o = app.token_for("owner@example.com").await;
    for query in [
        "limit=0",
        "limit=101",
        "cursor=nope",
        "archived=maybe",
        "sort=asc",
        "tags=",
    ] {
        let (s, b) = app
            .call(
                &o,
                Method::GET,
                &format!("/api/v1/conversations?{query}"),
                None,
            )
            .await;
        if query == "tags=" {
            assert_eq!(s, 200, "an empty tag list is no filter");
            continue;
        }
        assert!(s == 400 || s == 422, "{query}: {s} {b}");
        assert!(b["code"].is_string(), "{query}: {b}");
    }
    let (s, _) = app
        .call(
            &o,
            Method::GET,
            "/api/v1/conversations?folder_id=0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77",
            None,
        )
        .await;
    assert_eq!(s, 404, "an unknown folder is not an empty list");
    for body in [
        json!({ "title": "" }),
        json!({ "title": "x".repeat(201) }),
        json!({ "color": "red" }),
        json!({ "is_archived": "yes" }),
        json!({ "settings": [1] }),
    ] {
        let (s, b) = app
            .call(
                &o,
                Method::PATCH,
                &format!("/api/v1/conversations/{id}"),
                Some(body.clone()),
            )
            .await;
        assert!(s == 400 || s == 422, "{body}: {s} {b}");
    }
    let res = app
        .client
        .get(app.url("/api/v1/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn messages_page_through_long_conversations() {
    use ferrochat_core::{Message, MessageId};
    let app = TestApp::spawn().await;
    let user = app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let (c, first) = conversation(&app, &user, "long").await;
    // 248 more messages in one chain: 250 in all, several with the same timestamp.
    let base = chrono::Utc::now();
    let mut parent = first[1];
    for i in 0..248 {
        let id = MessageId::new();
        let at = base + chrono::Duration::milliseconds(i / 3);
        app.state
            .services
            .conversations
            .add_message(
                user.id,
                Message {
                    id,
                    conversation_id: c.id,
                    user_id: user.id,
                    parent_id: Some(parent),
                    sender: "User".into(),
                    text: format!("m{i}"),
                    content: None,
                    is_created_by_user: true,
                    error: false,
                    unfinished: false,
                    model: None,
                    endpoint: None,
                    token_count: None,
                    feedback: None,
                    files: None,
                    created_at: at,
                    updated_at: at,
                },
            )
            .await
            .unwrap();
        parent = id;
    }
    let t = app.token_for("ada@example.com").await;
    let mut seen: Vec<String> = Vec::new();
    let mut path = format!("/api/v1/conversations/{}/messages", c.id);
    let mut pages = 0;
    loop {
        let (s, page) = app.call(&t, Method::GET, &path, None).await;
        assert_eq!(s, 200, "{page}");
        pages += 1;
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/v1/conversations/{}/messages?cursor={cursor}", c.id)
            }
            None => break,
        }
    }
    assert_eq!(pages, 3, "100 + 100 + 50");
    let all = app
        .state
        .services
        .conversations
        .messages(user.id, c.id)
        .await
        .unwrap();
    let expected: Vec<String> = all.iter().map(|m| m.id.to_string()).collect();
    assert_eq!(
        seen, expected,
        "the same order as the whole tree, nothing skipped or repeated"
    );

    let (s, b) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/conversations/{}/messages?limit=501", c.id),
            None,
        )
        .await;
    assert!(s == 400 || s == 422, "{b}");
    let eve = app.token_for("eve@example.com").await;
    let (s, _) = app
        .call(
            &eve,
            Method::GET,
            &format!("/api/v1/conversations/{}/messages", c.id),
            None,
        )
        .await;
    assert_eq!(s, 404);
}
