//! Personal API keys: shown once, hashed at rest, scoped, expiring, revocable, and accepted on
//! the native API only — by the one extractor every route uses.

use std::time::Duration;

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fake_llm::{FakeLlm, Format};
use reqwest::Method;
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    app.call(token, Method::POST, "/api/v1/me/api-keys", Some(body))
        .await
}

#[tokio::test]
async fn scopes_expiry_revocation_and_doors() {
    let fake = FakeLlm::start(Format::OpenAi).await;
    let app = TestApp::builder()
        .env("OPENAI_API_KEY", "sk-test")
        .env("OPENAI_REVERSE_PROXY", &fake.base_url())
        .env("TITLE_CONVO", "false")
        .spawn()
        .await;
    let user = app.user().create().await;
    let session = app.token_for(&user.email).await;

    let (status, read) = create(
        &app,
        &session,
        json!({"name": "ci reader", "scopes": ["read"]}),
    )
    .await;
    assert_eq!(status, 201, "{read}");
    let read_token = read["token"].as_str().unwrap().to_owned();
    assert!(read_token.starts_with("fck_") && read_token.len() == 68);
    assert!(read_token.starts_with(read["prefix"].as_str().unwrap()));
    assert_eq!(read["scopes"], json!(["read"]));
    assert_eq!(read["expires_at"], Value::Null);

    // Listed without the token; hashed at rest.
    let (_, list) = app
        .call(&session, Method::GET, "/api/v1/me/api-keys", None)
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert!(list["data"][0].get("token").is_none());
    let db = std::fs::read(app.data_dir().join("ferrochat.db")).unwrap_or_default();
    let wal = std::fs::read(app.data_dir().join("ferrochat.db-wal")).unwrap_or_default();
    for file in [&db, &wal] {
        assert!(
            !file
                .windows(read_token.len())
                .any(|w| w == read_token.as_bytes())
        );
    }

    // The read key reads the native API…
    let (status, me) = app.call(&read_token, Method::GET, "/api/v1/me", None).await;
    assert_eq!(
        (status, me["email"].as_str()),
        (200, Some(user.email.as_str()))
    );
    let (status, _) = app
        .call(&read_token, Method::GET, "/api/v1/conversations", None)
        .await;
    assert_eq!(status, 200);
    // …but writes, chats and administers nothing, and manages no keys.
    for (method, path, body, scope) in [
        (
            Method::POST,
            "/api/v1/folders",
            Some(json!({"name": "x"})),
            "write",
        ),
        (
            Method::POST,
            "/api/v1/chat",
            Some(json!({"endpoint": "openAI", "text": "hi"})),
            "chat",
        ),
        (Method::GET, "/api/v1/admin/users", None, "admin"),
    ] {
        let (status, problem) = app.call(&read_token, method, path, body).await;
        assert_eq!(status, 403, "{path}");
        assert!(
            problem["detail"].as_str().unwrap().contains(scope),
            "{problem}"
        );
    }
    let (status, _) = create(
        &app,
        &read_token,
        json!({"name": "mint", "scopes": ["read"]}),
    )
    .await;
    assert_eq!(status, 403, "a key cannot mint keys");
    // The LibreChat door and other routes never take a key.
    for path in ["/api/user", "/api/convos", "/api/models"] {
        let (status, _) = app.call(&read_token, Method::GET, path, None).await;
        assert_eq!(status, 401, "{path}");
    }

    // A chat key chats.
    let (_, chat) = create(
        &app,
        &session,
        json!({"name": "bot", "scopes": ["chat", "read"]}),
    )
    .await;
    let chat_token = chat["token"].as_str().unwrap();
    let (status, answer) = app
        .call(
            chat_token,
            Method::POST,
            "/api/v1/chat",
            Some(json!({"endpoint": "openAI", "text": "hi", "stream": false})),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["message"]["content"][0]["text"], "echo: hi");

    // Validation.
    for body in [
        json!({"name": "x", "scopes": []}),
        json!({"name": "x", "scopes": ["root"]}),
        json!({"name": "x", "scopes": ["admin"]}),
        json!({"name": "", "scopes": ["read"]}),
        json!({"name": "x", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00Z"}),
    ] {
        let (status, problem) = create(&app, &session, body.clone()).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["code"], "validation_failed");
    }
    let (status, _) = create(
        &app,
        &session,
        json!({"name": "x", "scopes": ["read"], "extra": 1}),
    )
    .await;
    assert_eq!(status, 400);

    // Expiry.
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let (status, short) = create(
        &app,
        &session,
        json!({"name": "short", "scopes": ["read"], "expires_at": soon}),
    )
    .await;
    assert_eq!(status, 201, "{short}");
    let short_token = short["token"].as_str().unwrap();
    assert_eq!(
        app.call(short_token, Method::GET, "/api/v1/me", None)
            .await
            .0,
        200
    );
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert_eq!(
        app.call(short_token, Method::GET, "/api/v1/me", None)
            .await
            .0,
        401
    );

    // Revocation takes effect on the next request; another user's key ID is not found.
    let other = app.user().email("other@example.com").create().await;
    let other_session = app.token_for(&other.email).await;
    let id = read["id"].as_str().unwrap();
    let (status, _) = app
        .call(
            &other_session,
            Method::DELETE,
            &format!("/api/v1/me/api-keys/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(
            &session,
            Method::DELETE,
            &format!("/api/v1/me/api-keys/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        app.call(&read_token, Method::GET, "/api/v1/me", None)
            .await
            .0,
        401
    );
    assert_eq!(
        app.call("fck_00000000", Method::GET, "/api/v1/me", None)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn admin_keys_need_an_admin_and_stop_with_the_role() {
    let app = TestApp::spawn().await;
    let admin = app.user().email("admin@example.com").admin().create().await;
    let session = app.token_for(&admin.email).await;
    let (status, key) = app
        .call(
            &session,
            Method::POST,
            "/api/v1/me/api-keys",
            Some(json!({"name": "ops", "scopes": ["admin", "read"]})),
        )
        .await;
    assert_eq!(status, 201, "{key}");
    let token = key["token"].as_str().unwrap();
    let (status, users) = app
        .call(token, Method::GET, "/api/v1/admin/users", None)
        .await;
    assert_eq!(status, 200, "{users}");
    // Demoted (by the CLI path, the service): the key no longer administers.
    app.state
        .services
        .users
        .set_role(admin.id, ferrochat_core::Role::User)
        .await
        .unwrap();
    let (status, _) = app
        .call(token, Method::GET, "/api/v1/admin/users", None)
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn rate_limits_per_user_and_per_key_with_ratelimit_headers() {
    let app = TestApp::builder().env("API_LIMIT_MAX", "3").spawn().await;
    let user = app.user().create().await;
    let session = app.token_for(&user.email).await;
    let (_, a) = create(&app, &session, json!({"name": "a", "scopes": ["read"]})).await;
    let a = a["token"].as_str().unwrap().to_owned();
    let get = |token: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/api/v1/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    // The session used 1 of the user's 3 creating the key; the key's first request is the
    // user's 2nd and the key's 1st: the tighter budget (the user's) is reported.
    let res = get(a.clone()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["ratelimit"]
            .to_str()
            .unwrap()
            .split(';')
            .nth(1),
        Some("r=1")
    );
    assert_eq!(res.headers()["ratelimit-policy"], "\"api\";q=3;w=60");
    assert_eq!(get(a.clone()).await.status(), 200);
    let limited = get(a.clone()).await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let problem: Value = limited.json().await.unwrap();
    assert_eq!(problem["code"], "rate_limited");
    // The same user's session is limited too (per user), but another user is not.
    assert_eq!(get(session.clone()).await.status(), 429);
    let other = app.user().email("other@example.com").create().await;
    let other_session = app.token_for(&other.email).await;
    assert_eq!(get(other_session).await.status(), 200);
    // The LibreChat door is not counted against the native budget.
    let res = app
        .client
        .get(app.url("/api/user"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("ratelimit").is_none());
}
