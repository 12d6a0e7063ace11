//! Prompt templates through the native API: versions, the one in use, slash commands unique
//! per user, rendering with variables, and ownership. (The LibreChat door's flow runs through
//! the client's own API layer: conformance/librechat/prompts.test.mjs.)

use ferrochat_test_support::TestApp;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn templates_have_versions_and_render_their_variables() {
    let app = TestApp::spawn().await;
    app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;

    let (status, made) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/prompts",
            Some(json!({
                "name": "Reply",
                "text": "Dear {{name}}, {{answer:yes|no}}. Regards, {{current_user}}",
                "command": "/reply",
                "category": "write",
            })),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(made["command"], "reply");
    assert_eq!(made["variables"], json!(["name", "answer", "current_user"]));
    let first_version = made["version_id"].as_str().unwrap().to_owned();

    let render = |body: serde_json::Value| {
        let (app, t, id) = (&app, t.clone(), id.clone());
        async move {
            app.call(
                &t,
                Method::POST,
                &format!("/api/v1/prompts/{id}/render"),
                Some(body),
            )
            .await
        }
    };
    let (status, out) = render(json!({ "variables": { "name": "Bob", "answer": "yes" } })).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["text"], "Dear Bob, yes. Regards, Test User");
    let (status, problem) = render(json!({ "variables": { "name": "Bob" } })).await;
    assert_eq!(
        (status, &problem["code"]),
        (422, &json!("validation_failed"))
    );
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("answer"),
        "{problem}"
    );

    // A new version is in use by default; the old one can be put back.
    let (status, v2) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/prompts/{id}/versions"),
            Some(json!({ "text": "Hi {{name}}!" })),
        )
        .await;
    assert_eq!((status, &v2["in_use"]), (201, &json!(true)), "{v2}");
    let (_, out) = render(json!({ "variables": { "name": "Bob" } })).await;
    assert_eq!(out["text"], "Hi Bob!");
    let (_, old) = render(
        json!({ "variables": { "name": "Bob", "answer": "no" }, "version_id": first_version }),
    )
    .await;
    assert_eq!(old["text"], "Dear Bob, no. Regards, Test User");
    let (status, back) = app
        .call(
            &t,
            Method::PUT,
            &format!("/api/v1/prompts/{id}/versions/{first_version}/in-use"),
            None,
        )
        .await;
    assert_eq!((status, &back["version_id"]), (200, &json!(first_version)));
    let (_, versions) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/prompts/{id}/versions"),
            None,
        )
        .await;
    let listed: Vec<(&str, bool)> = versions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["id"].as_str().unwrap(), v["in_use"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            (v2["id"].as_str().unwrap(), false),
            (first_version.as_str(), true)
        ]
    );

    // Commands are unique among a user's templates.
    let (status, problem) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/prompts",
            Some(json!({ "name": "Other", "text": "x", "command": "reply" })),
        )
        .await;
    assert_eq!(
        (status, &problem["code"]),
        (409, &json!("conflict")),
        "{problem}"
    );
    for (body, field) in [
        (json!({ "name": "", "text": "x" }), "name"),
        (json!({ "name": "N", "text": "  " }), "prompt"),
        (
            json!({ "name": "N", "text": "x", "command": "Not A Slug" }),
            "command",
        ),
        (json!({ "name": "N", "text": "x", "type": "poem" }), "type"),
    ] {
        let (status, problem) = app
            .call(&t, Method::POST, "/api/v1/prompts", Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }

    // Someone else sees nothing of it.
    for (method, path) in [
        (Method::GET, format!("/api/v1/prompts/{id}")),
        (Method::GET, format!("/api/v1/prompts/{id}/versions")),
        (Method::POST, format!("/api/v1/prompts/{id}/render")),
        (Method::DELETE, format!("/api/v1/prompts/{id}")),
        (
            Method::DELETE,
            format!("/api/v1/prompts/{id}/versions/{first_version}"),
        ),
    ] {
        let body = (method == Method::POST).then(|| json!({}));
        let (status, _) = app.call(&te, method.clone(), &path, body).await;
        assert_eq!(status, 404, "{method} {path}");
    }
    let (_, theirs) = app.call(&te, Method::GET, "/api/v1/prompts", None).await;
    assert_eq!(theirs["data"], json!([]));

    // Edit, list, delete.
    let (status, edited) = app
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/prompts/{id}"),
            Some(json!({ "name": "Replies", "command": null })),
        )
        .await;
    assert_eq!(
        (status, &edited["name"], &edited["command"]),
        (200, &json!("Replies"), &json!(null))
    );
    let (_, list) = app
        .call(
            &t,
            Method::GET,
            "/api/v1/prompts?q=repl&category=write",
            None,
        )
        .await;
    assert_eq!(list["data"][0]["id"], id);
    let (status, _) = app
        .call(&t, Method::DELETE, &format!("/api/v1/prompts/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(&t, Method::GET, &format!("/api/v1/prompts/{id}"), None)
        .await;
    assert_eq!(status, 404);
}
