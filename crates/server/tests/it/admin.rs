//! Admin routes: only administrators get in; bans and deletions take effect at once.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fixtures::PASSWORD;
use serde_json::{Value, json};

#[tokio::test]
async fn only_admins_pass_the_admin_extractor() {
    let app = TestApp::spawn().await;
    app.user().email("root@example.com").admin().create().await;
    app.user().email("user@example.com").create().await;
    let user_token = app.token_for("user@example.com").await;
    let admin_token = app.token_for("root@example.com").await;

    let res = app.get("/api/v1/admin/users").await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap()["code"],
        "unauthenticated"
    );
    let res = app
        .client
        .get(app.url("/api/v1/admin/users"))
        .bearer_auth(&user_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "forbidden");

    let res = app
        .client
        .get(app.url("/api/v1/admin/users?limit=1"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["has_more"], true);
    let cursor = page["next_cursor"].as_str().unwrap();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/admin/users?limit=1&cursor={cursor}")))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap();
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["data"][0]["email"], "user@example.com");
    assert_eq!(page["has_more"], false);
    assert!(page["data"][0].get("password_hash").is_none());

    for bad in [
        "/api/v1/admin/users?limit=0",
        "/api/v1/admin/users?limit=abc",
        "/api/v1/admin/users?cursor=zzz",
        "/api/v1/admin/users?bogus=1",
    ] {
        let res = app
            .client
            .get(app.url(bad))
            .bearer_auth(&admin_token)
            .send()
            .await
            .unwrap();
        assert!(
            res.status() == 400 || res.status() == 422,
            "{bad}: {}",
            res.status()
        );
    }
}

#[tokio::test]
async fn bans_role_changes_and_deletion() {
    let app = TestApp::spawn().await;
    let root = app.user().email("root@example.com").admin().create().await;
    let user = app.user().email("user@example.com").create().await;
    let admin_token = app.token_for("root@example.com").await;
    let user_token = app.token_for("user@example.com").await;
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let app = &app;
        let admin_token = admin_token.clone();
        async move {
            let mut req = app
                .client
                .request(method, app.url(&path))
                .bearer_auth(admin_token);
            if let Some(b) = body {
                req = req.json(&b);
            }
            req.send().await.unwrap()
        }
    };

    let res = call(
        reqwest::Method::PUT,
        format!("/api/v1/admin/users/{}/ban", user.id),
        Some(json!({ "banned": true })),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["banned"], true);
    // The banned user's token died with their sessions; a fresh login is refused.
    assert_eq!(
        app.client
            .get(app.url("/api/user"))
            .bearer_auth(&user_token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let login = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": "user@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 403);
    call(
        reqwest::Method::PUT,
        format!("/api/v1/admin/users/{}/ban", user.id),
        Some(json!({ "banned": false })),
    )
    .await;
    let user_token = app.token_for("user@example.com").await;

    let res = call(
        reqwest::Method::PUT,
        format!("/api/v1/admin/users/{}/role", user.id),
        Some(json!({ "role": "ADMIN" })),
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["role"], "ADMIN");
    let res = call(
        reqwest::Method::PUT,
        format!("/api/v1/admin/users/{}/role", user.id),
        Some(json!({ "role": "GOD" })),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["errors"][0]["field"],
        "role"
    );
    let res = call(
        reqwest::Method::PUT,
        format!("/api/v1/admin/users/{}/role", user.id),
        Some(json!({ "role": "USER", "extra": 1 })),
    )
    .await;
    assert_eq!(res.status(), 400, "unknown fields are refused");

    // Administrators cannot lock themselves out.
    let res = call(
        reqwest::Method::PUT,
        format!("/api/v1/admin/users/{}/role", root.id),
        Some(json!({ "role": "USER" })),
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = call(
        reqwest::Method::PUT,
        format!("/api/v1/admin/users/{}/ban", root.id),
        Some(json!({ "banned": true })),
    )
    .await;
    assert_eq!(res.status(), 403);

    // Unknown and malformed IDs are 404.
    let res = call(
        reqwest::Method::DELETE,
        "/api/v1/admin/users/not-an-id".into(),
        None,
    )
    .await;
    assert_eq!(res.status(), 404);
    let res = call(
        reqwest::Method::DELETE,
        format!("/api/v1/admin/users/{}", ferrochat_core::UserId::new()),
        None,
    )
    .await;
    assert_eq!(res.status(), 404);

    let res = call(
        reqwest::Method::DELETE,
        format!("/api/v1/admin/users/{}", user.id),
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.client
            .get(app.url("/api/user"))
            .bearer_auth(&user_token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
