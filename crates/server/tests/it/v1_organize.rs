//! `/api/v1/tags`, `/api/v1/presets` and message edits through the native door.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fixtures::conversation;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn tags_presets_and_message_edits() {
    let app = TestApp::spawn().await;
    let user = app.user().create().await;
    let token = app.token_for(&user.email).await;
    let other = app.user().email("other@example.com").create().await;
    let other_token = app.token_for(&other.email).await;
    let (c, msgs) = conversation(&app, &user, "tagged").await;
    let (theirs, their_msgs) = conversation(&app, &other, "theirs").await;

    // Bookmarks.
    let (status, tag) = app
        .call(
            &token,
            Method::POST,
            "/api/v1/tags",
            Some(json!({"name": "work", "description": "job"})),
        )
        .await;
    assert_eq!(status, 201, "{tag}");
    assert_eq!(
        (
            tag["name"].as_str(),
            tag["position"].as_i64(),
            tag["count"].as_u64()
        ),
        (Some("work"), Some(0), Some(0))
    );
    let (status, _) = app
        .call(
            &token,
            Method::POST,
            "/api/v1/tags",
            Some(json!({"name": "work"})),
        )
        .await;
    assert_eq!(status, 409);
    let (status, set) = app
        .call(
            &token,
            Method::PUT,
            &format!("/api/v1/conversations/{}/tags", c.id),
            Some(json!({"tags": ["work", "later"]})),
        )
        .await;
    assert_eq!((status, &set["tags"]), (200, &json!(["work", "later"])));
    let (status, _) = app
        .call(
            &token,
            Method::PUT,
            &format!("/api/v1/conversations/{}/tags", theirs.id),
            Some(json!({"tags": ["work"]})),
        )
        .await;
    assert_eq!(status, 404, "another user's conversation");
    let (_, list) = app.call(&token, Method::GET, "/api/v1/tags", None).await;
    let counts: Vec<(&str, u64)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, [("work", 1), ("later", 1)]);
    let (status, renamed) = app
        .call(
            &token,
            Method::PATCH,
            "/api/v1/tags/work",
            Some(json!({"name": "jobs", "description": null, "position": 1})),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(
        (
            renamed["name"].as_str(),
            renamed["position"].as_i64(),
            &renamed["description"]
        ),
        (Some("jobs"), Some(1), &Value::Null)
    );
    let (_, filtered) = app
        .call(&token, Method::GET, "/api/v1/conversations?tags=jobs", None)
        .await;
    assert_eq!(filtered["data"][0]["id"], c.id.to_string());
    assert_eq!(
        app.call(&other_token, Method::DELETE, "/api/v1/tags/jobs", None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.call(&token, Method::DELETE, "/api/v1/tags/jobs", None)
            .await
            .0,
        204
    );
    let (status, problem) = app
        .call(
            &token,
            Method::POST,
            "/api/v1/tags",
            Some(json!({"name": ""})),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("validation_failed"))
    );

    // Presets.
    let (status, preset) = app
        .call(&token, Method::POST, "/api/v1/presets", Some(json!({"title": "Terse", "is_default": true, "settings": {"endpoint": "openAI", "temperature": 0.2}})))
        .await;
    assert_eq!(status, 201, "{preset}");
    assert_eq!(preset["is_default"], true);
    assert_eq!(preset["settings"]["temperature"], 0.2);
    let id = preset["id"].as_str().unwrap();
    let (_, list) = app.call(&token, Method::GET, "/api/v1/presets", None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (_, theirs_list) = app
        .call(&other_token, Method::GET, "/api/v1/presets", None)
        .await;
    assert_eq!(theirs_list["data"], json!([]));
    assert_eq!(
        app.call(
            &other_token,
            Method::DELETE,
            &format!("/api/v1/presets/{id}"),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        app.call(
            &token,
            Method::DELETE,
            &format!("/api/v1/presets/{id}"),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        app.call(
            &token,
            Method::DELETE,
            &format!("/api/v1/presets/{id}"),
            None
        )
        .await
        .0,
        404
    );

    // Message edit and delete.
    let path = format!("/api/v1/conversations/{}/messages/{}", c.id, msgs[0]);
    let (status, edited) = app
        .call(
            &token,
            Method::PATCH,
            &path,
            Some(json!({"text": "edited question"})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["text"], "edited question");
    let foreign = format!(
        "/api/v1/conversations/{}/messages/{}",
        theirs.id, their_msgs[0]
    );
    assert_eq!(
        app.call(&token, Method::PATCH, &foreign, Some(json!({"text": "x"})))
            .await
            .0,
        404
    );
    assert_eq!(
        app.call(&token, Method::DELETE, &foreign, None).await.0,
        404
    );
    // Deleting the root takes its reply with it.
    assert_eq!(app.call(&token, Method::DELETE, &path, None).await.0, 204);
    let (_, page) = app
        .call(
            &token,
            Method::GET,
            &format!("/api/v1/conversations/{}/messages", c.id),
            None,
        )
        .await;
    assert_eq!(page["data"], json!([]));
    let (_, their_page) = app
        .call(
            &other_token,
            Method::GET,
            &format!("/api/v1/conversations/{}/messages", theirs.id),
            None,
        )
        .await;
    assert_eq!(their_page["data"].as_array().unwrap().len(), 2);
}
