//! GitHub and Discord sign-in (plain OAuth 2.0). github.com and discord.com cannot be reached
//! from tests, so a fake speaking their documented endpoints stands in, checking what a real
//! one checks (client secret, PKCE, single-use codes, bearer tokens).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use ferrochat_test_support::TestApp;
use ferrochat_test_support::idp::Browser;
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Fake {
    /// code → PKCE challenge
    codes: Arc<Mutex<HashMap<String, String>>>,
    /// Whether the fake marks the email verified.
    verified: Arc<Mutex<bool>>,
}

async fn authorize(Query(q): Query<HashMap<String, String>>, State(fake): State<Fake>) -> Response {
    assert_eq!(
        q.get("code_challenge_method").map(String::as_str),
        Some("S256")
    );
    let code = format!("code-{}", fake.codes.lock().unwrap().len());
    fake.codes
        .lock()
        .unwrap()
        .insert(code.clone(), q["code_challenge"].clone());
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
    .into_response()
}

async fn token(State(fake): State<Fake>, Form(f): Form<HashMap<String, String>>) -> Json<Value> {
    if f.get("client_secret").map(String::as_str) != Some("fake-secret") {
        return Json(json!({ "error": "incorrect_client_credentials" }));
    }
    let Some(challenge) = fake.codes.lock().unwrap().remove(&f["code"]) else {
        return Json(json!({ "error": "bad_verification_code" }));
    };
    if ferrochat_oidc::challenge(&f["code_verifier"]) != challenge {
        return Json(json!({ "error": "invalid_grant" }));
    }
    Json(json!({ "access_token": "fake-access-token", "token_type": "bearer" }))
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer fake-access-token")
}

async fn github_user(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(json!({ "id": 4242, "login": "octocat", "name": "Octo Cat", "avatar_url": "https://example.com/o.png" })).into_response()
}

async fn github_emails(headers: HeaderMap, State(fake): State<Fake>) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let verified = *fake.verified.lock().unwrap();
    Json(json!([
        { "email": "other@example.com", "primary": false, "verified": true },
        { "email": "octo@example.com", "primary": true, "verified": verified }
    ]))
    .into_response()
}

async fn discord_user(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(json!({ "id": "80351110224678912", "username": "disco", "global_name": "Disco", "email": "disco@example.com", "verified": true, "avatar": null })).into_response()
}

async fn start_fake() -> (String, Fake) {
    let fake = Fake {
        verified: Arc::new(Mutex::new(true)),
        ..Fake::default()
    };
    let router = Router::new()
        .route("/login/oauth/authorize", get(authorize))
        .route("/login/oauth/access_token", post(token))
        .route("/api/v3/user", get(github_user))
        .route("/api/v3/user/emails", get(github_emails))
        .route("/oauth2/authorize", get(authorize))
        .route("/api/oauth2/token", post(token))
        .route("/api/users/@me", get(discord_user))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, fake)
}

async fn sign_in(app: &TestApp, provider: &str) -> Option<Value> {
    let browser = Browser::new();
    let callback = browser
        .follow_until(
            &app.url(&format!("/oauth/{provider}")),
            &app.url(&format!("/oauth/{provider}/callback")),
        )
        .await
        .unwrap();
    let res = browser.client.get(&callback).send().await.unwrap();
    let refresh = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("refreshToken=") && !c.starts_with("refreshToken=;"))?
        .split(';')
        .next()?
        .to_owned();
    let res = app
        .client
        .post(app.url("/api/auth/refresh"))
        .header("cookie", refresh)
        .send()
        .await
        .unwrap();
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    Some(
        app.client
            .get(app.url("/api/user"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn github_and_discord_sign_in() {
    let (fake_url, fake) = start_fake().await;
    let app = TestApp::builder()
        .env("ALLOW_SOCIAL_LOGIN", "true")
        .env("ALLOW_SOCIAL_REGISTRATION", "true")
        .env("GITHUB_CLIENT_ID", "fake-client")
        .env("GITHUB_CLIENT_SECRET", "fake-secret")
        .env("GITHUB_ENTERPRISE_BASE_URL", &fake_url)
        .env("DISCORD_CLIENT_ID", "fake-client")
        .env("DISCORD_CLIENT_SECRET", "fake-secret")
        .env("DISCORD_BASE_URL", &fake_url)
        .spawn()
        .await;

    let octo = sign_in(&app, "github").await.expect("GitHub sign-in");
    assert_eq!(
        octo["email"], "octo@example.com",
        "the primary email is used"
    );
    assert_eq!(octo["provider"], "github");
    assert_eq!(octo["name"], "Octo Cat");
    let again = sign_in(&app, "github").await.unwrap();
    assert_eq!(again["id"], octo["id"]);

    let disco = sign_in(&app, "discord").await.expect("Discord sign-in");
    assert_eq!(disco["email"], "disco@example.com");
    assert_eq!(disco["provider"], "discord");

    // An unverified primary email is refused for a new identity.
    *fake.verified.lock().unwrap() = false;
    let other = TestApp::builder()
        .env("ALLOW_SOCIAL_LOGIN", "true")
        .env("ALLOW_SOCIAL_REGISTRATION", "true")
        .env("GITHUB_CLIENT_ID", "fake-client")
        .env("GITHUB_CLIENT_SECRET", "fake-secret")
        .env("GITHUB_ENTERPRISE_BASE_URL", &fake_url)
        .spawn()
        .await;
    assert!(sign_in(&other, "github").await.is_none());
    // A wrong client secret fails at the token endpoint.
    *fake.verified.lock().unwrap() = true;
    let wrong = TestApp::builder()
        .env("ALLOW_SOCIAL_LOGIN", "true")
        .env("ALLOW_SOCIAL_REGISTRATION", "true")
        .env("GITHUB_CLIENT_ID", "fake-client")
        .env("GITHUB_CLIENT_SECRET", "not-the-secret")
        .env("GITHUB_ENTERPRISE_BASE_URL", &fake_url)
        .spawn()
        .await;
    assert!(sign_in(&wrong, "github").await.is_none());
}
