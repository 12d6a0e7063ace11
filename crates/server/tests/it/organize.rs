//! Bookmarks, presets, folders, duplicate and fork over HTTP: another user's IDs (in paths and
//! smuggled in bodies) answer 404 and change nothing; bad input is a 400; folders end to end.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fixtures::conversation;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn another_users_ids_answer_404_and_change_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.user().email("owner@example.com").create().await;
    let intruder = app.user().email("intruder@example.com").create().await;
    let (c, msgs) = conversation(&app, &owner, "private").await;
    let (mine, _) = conversation(&app, &intruder, "mine").await;
    let o = app.token_for("owner@example.com").await;
    let t = app.token_for("intruder@example.com").await;
    let cid = c.id.to_string();
    let mid = msgs[0].to_string();

    // The owner bookmarks the conversation, saves a preset and files it in a folder.
    let (s, _) = app
        .call(
            &o,
            Method::POST,
            "/api/tags",
            Some(json!({ "tag": "Secret", "conversationId": cid, "addToConversation": true })),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .call(
            &o,
            Method::POST,
            "/api/presets",
            Some(json!({ "presetId": "p1", "title": "Owner's", "model": "gpt-4o" })),
        )
        .await;
    assert_eq!(s, 201);
    let (s, folder) = app
        .call(
            &o,
            Method::POST,
            "/api/v1/folders",
            Some(json!({ "name": "Private" })),
        )
        .await;
    assert_eq!(s, 201);
    let fid = folder["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .call(
            &o,
            Method::PUT,
            &format!("/api/v1/conversations/{cid}/folder"),
            Some(json!({ "folder_id": fid })),
        )
        .await;
    assert_eq!(s, 200);

    let not_found: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::PUT,
            format!("/api/tags/convo/{cid}"),
            Some(json!({ "tags": ["x"] })),
        ),
        (
            Method::POST,
            "/api/tags".into(),
            Some(json!({ "tag": "x", "conversationId": cid, "addToConversation": true })),
        ),
        (
            Method::PUT,
            "/api/tags/Secret".into(),
            Some(json!({ "tag": "pwned" })),
        ),
        (Method::DELETE, "/api/tags/Secret".into(), None),
        (
            Method::POST,
            "/api/convos/duplicate".into(),
            Some(json!({ "conversationId": cid })),
        ),
        (
            Method::POST,
            "/api/convos/fork".into(),
            Some(json!({ "conversationId": cid, "messageId": mid })),
        ),
        (Method::GET, format!("/api/v1/folders/{fid}"), None),
        (
            Method::PATCH,
            format!("/api/v1/folders/{fid}"),
            Some(json!({ "name": "pwned" })),
        ),
        (Method::DELETE, format!("/api/v1/folders/{fid}"), None),
        (
            Method::GET,
            format!("/api/v1/folders/{fid}/conversations"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/conversations/{cid}/folder"),
            Some(json!({ "folder_id": null })),
        ),
        // Filing one's own conversation into someone else's folder.
        (
            Method::PUT,
            format!("/api/v1/conversations/{}/folder", mine.id),
            Some(json!({ "folder_id": fid })),
        ),
    ];
    for (method, path, body) in not_found {
        let (s, b) = app.call(&t, method.clone(), &path, body).await;
        assert_eq!(s, 404, "{method} {path}: {b}");
    }
    // The intruder's lists show nothing of the owner's.
    let (_, tags) = app.call(&t, Method::GET, "/api/tags", None).await;
    assert_eq!(tags, json!([]), "no tag was created by the refused calls");
    let (_, list) = app
        .call(&t, Method::GET, "/api/convos?tags=Secret", None)
        .await;
    assert_eq!(list["conversations"], json!([]));
    let (_, presets) = app.call(&t, Method::GET, "/api/presets", None).await;
    assert_eq!(presets, json!([]));
    let (_, folders) = app.call(&t, Method::GET, "/api/v1/folders", None).await;
    assert_eq!(folders["data"], json!([]));
    // Deleting or overwriting "p1" touches only the intruder's own presets.
    let (_, del) = app
        .call(
            &t,
            Method::POST,
            "/api/presets/delete",
            Some(json!({ "presetId": "p1" })),
        )
        .await;
    assert_eq!(del["deletedCount"], 0);
    let (s, _) = app
        .call(
            &t,
            Method::POST,
            "/api/presets",
            Some(json!({ "presetId": "p1", "title": "Intruder's" })),
        )
        .await;
    assert_eq!(s, 201);
    let (_, del) = app
        .call(&t, Method::POST, "/api/presets/delete", Some(json!({})))
        .await;
    assert_eq!(del["deletedCount"], 1);

    // The owner's data is intact.
    let (_, got) = app
        .call(&o, Method::GET, &format!("/api/convos/{cid}"), None)
        .await;
    assert_eq!(got["tags"], json!(["Secret"]));
    let (_, presets) = app.call(&o, Method::GET, "/api/presets", None).await;
    assert_eq!(presets[0]["title"], "Owner's");
    let (_, f) = app
        .call(&o, Method::GET, &format!("/api/v1/folders/{fid}"), None)
        .await;
    assert_eq!(
        (f["name"].as_str(), f["conversation_count"].as_u64()),
        (Some("Private"), Some(1))
    );
}

#[tokio::test]
async fn bad_input_is_400() {
    let app = TestApp::spawn().await;
    let user = app.user().email("ada@example.com").create().await;
    let (c, msgs) = conversation(&app, &user, "chat").await;
    let t = app.token_for("ada@example.com").await;
    let cid = c.id.to_string();
    let cases: Vec<(Method, String, Value)> = vec![
        (Method::POST, "/api/tags".into(), json!({})),
        (Method::POST, "/api/tags".into(), json!({ "tag": "   " })),
        (
            Method::POST,
            "/api/tags".into(),
            json!({ "tag": "x".repeat(101) }),
        ),
        (
            Method::POST,
            "/api/tags".into(),
            json!({ "tag": "a\u{0}b" }),
        ),
        (
            Method::POST,
            "/api/tags".into(),
            json!({ "tag": "ok", "description": "d".repeat(1001) }),
        ),
        (
            Method::PUT,
            format!("/api/tags/convo/{cid}"),
            json!({ "tags": "Saved" }),
        ),
        (
            Method::PUT,
            format!("/api/tags/convo/{cid}"),
            json!({ "tags": [""] }),
        ),
        (
            Method::POST,
            "/api/presets".into(),
            json!(["not", "an", "object"]),
        ),
        (
            Method::POST,
            "/api/presets".into(),
            json!({ "presetId": "p".repeat(101) }),
        ),
        (
            Method::POST,
            "/api/presets".into(),
            json!({ "title": "t", "promptPrefix": "x".repeat(70_000) }),
        ),
        (
            Method::POST,
            "/api/convos/fork".into(),
            json!({ "conversationId": cid, "messageId": msgs[0].to_string(), "option": "sideways" }),
        ),
        (
            Method::POST,
            "/api/convos/fork".into(),
            json!({ "conversationId": cid }),
        ),
        (
            Method::POST,
            "/api/convos/duplicate".into(),
            json!({ "conversationId": cid, "title": "x".repeat(201) }),
        ),
        (
            Method::POST,
            "/api/v1/folders".into(),
            json!({ "name": "" }),
        ),
        (
            Method::POST,
            "/api/v1/folders".into(),
            json!({ "name": "ok", "color": "red" }),
        ),
        (
            Method::PUT,
            format!("/api/v1/conversations/{cid}/folder"),
            json!({}),
        ),
    ];
    for (method, path, body) in cases {
        let (s, b) = app
            .call(&t, method.clone(), &path, Some(body.clone()))
            .await;
        if path.starts_with("/api/v1/") {
            // The native door: 400 for bodies it cannot read, 422 for invalid values, both
            // problem+json with a stable code.
            assert!(s == 400 || s == 422, "{method} {path} {body}: {s} {b}");
            assert!(b["code"].is_string(), "{method} {path}: {b}");
        } else {
            assert_eq!(s, 400, "{method} {path} {body}: {b}");
            assert!(
                b["error"].is_string() || b["message"].is_string(),
                "{method} {path}: {b}"
            );
        }
    }
    let (s, _) = app
        .call(
            &t,
            Method::GET,
            "/api/v1/folders/not-an-id/conversations?limit=0",
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (_, folder) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/folders",
            Some(json!({ "name": "F" })),
        )
        .await;
    let fid = folder["id"].as_str().unwrap();
    for query in [
        "limit=0",
        "limit=101",
        "cursor=garbage",
        "archived=maybe",
        "sort=asc",
    ] {
        let (s, b) = app
            .call(
                &t,
                Method::GET,
                &format!("/api/v1/folders/{fid}/conversations?{query}"),
                None,
            )
            .await;
        assert!(s == 400 || s == 422, "{query}: {s} {b}");
        assert!(b["code"].is_string(), "{query}: {b}");
    }
    let (s, b) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/folders",
            Some(json!({ "name": "F" })),
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("conflict")));
    let (s, _) = app
        .call(
            &t,
            Method::PUT,
            "/api/tags/nothing",
            Some(json!({ "description": "x" })),
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn folders_file_list_and_release_conversations() {
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
    let (_, work) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/folders",
            Some(json!({ "name": "Work" })),
        )
        .await;
    let fid = work["id"].as_str().unwrap().to_owned();
    assert_eq!(work["conversation_count"], 0);
    for id in &ids[..5] {
        let (s, c) = app
            .call(
                &t,
                Method::PUT,
                &format!("/api/v1/conversations/{id}/folder"),
                Some(json!({ "folder_id": fid })),
            )
            .await;
        assert_eq!((s, c["folder_id"].as_str()), (200, Some(fid.as_str())));
    }
    // Page through the folder two at a time: newest first, every filed conversation once.
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/folders/{fid}/conversations?limit=2");
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
        if !page["has_more"].as_bool().unwrap() {
            assert!(page["next_cursor"].is_null());
            break;
        }
        path = format!(
            "/api/v1/folders/{fid}/conversations?limit=2&cursor={}",
            page["next_cursor"].as_str().unwrap()
        );
    }
    let mut expected: Vec<String> = ids[..5].to_vec();
    expected.reverse();
    assert_eq!(seen, expected);

    let (_, renamed) = app
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/folders/{fid}"),
            Some(json!({ "name": "Job" })),
        )
        .await;
    assert_eq!(
        (
            renamed["name"].as_str(),
            renamed["conversation_count"].as_u64()
        ),
        (Some("Job"), Some(5))
    );
    let (_, out) = app
        .call(
            &t,
            Method::PUT,
            &format!("/api/v1/conversations/{}/folder", ids[0]),
            Some(json!({ "folder_id": null })),
        )
        .await;
    assert!(out["folder_id"].is_null());
    let (_, list) = app.call(&t, Method::GET, "/api/v1/folders", None).await;
    assert_eq!(list["data"][0]["conversation_count"], 4);
    let (s, _) = app
        .call(&t, Method::DELETE, &format!("/api/v1/folders/{fid}"), None)
        .await;
    assert_eq!(s, 204);
    let (_, all) = app
        .call(&t, Method::GET, "/api/convos?limit=50", None)
        .await;
    assert_eq!(
        all["conversations"].as_array().unwrap().len(),
        7,
        "conversations outlive their folder"
    );
    let (s, _) = app
        .call(&t, Method::GET, &format!("/api/v1/folders/{fid}"), None)
        .await;
    assert_eq!(s, 404);
}
