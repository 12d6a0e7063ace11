//! LibreChat-compatible authentication over the wire: register, login, refresh, logout, user.

use ferrochat_core::{NewUser, Role};
use ferrochat_test_support::TestApp;
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};

const PASSWORD: &str = "a-long-password";

async fn register(app: &TestApp, email: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/register"))
        .json(&json!({ "name": "Ada", "email": email, "password": PASSWORD, "confirm_password": PASSWORD }))
        .send()
        .await
        .unwrap()
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

/// The `name=value` of a Set-Cookie header, with its attributes.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
}

fn cookie_value(headers: &HeaderMap, name: &str) -> String {
    let c = cookie(headers, name).unwrap_or_else(|| panic!("no {name} cookie"));
    c.split(';').next().unwrap()[name.len() + 1..].to_owned()
}

async fn refresh(app: &TestApp, refresh_token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/refresh"))
        .header("cookie", format!("refreshToken={refresh_token}"))
        .send()
        .await
        .unwrap()
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/user"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Registers and logs in; returns (access token, refresh token).
async fn signed_in(app: &TestApp, email: &str) -> (String, String) {
    assert_eq!(register(app, email).await.status(), 200);
    let res = login(app, email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let refresh = cookie_value(res.headers(), "refreshToken");
    let body: Value = res.json().await.unwrap();
    (body["token"].as_str().unwrap().to_owned(), refresh)
}

#[tokio::test]
async fn register_login_user_refresh_logout() {
    let app = TestApp::spawn().await;
    let res = register(&app, "Ada@Example.com").await;
    assert_eq!(res.status(), 200);
    assert!(
        cookie(res.headers(), "refreshToken").is_none(),
        "register sets no cookies"
    );
    assert_eq!(
        res.json::<Value>().await.unwrap()["message"],
        "Please check your email to verify your email address."
    );

    let res = login(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let set = cookie(res.headers(), "refreshToken").unwrap().to_owned();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Expires="] {
        assert!(set.contains(flag), "{set}");
    }
    assert!(
        !set.contains("Secure"),
        "plain-http server must not mark cookies Secure: {set}"
    );
    assert!(
        cookie(res.headers(), "token_provider")
            .unwrap()
            .starts_with("token_provider=librechat;")
    );
    let refresh_token = cookie_value(res.headers(), "refreshToken");
    let body: Value = res.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    let user = &body["user"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["role"], "ADMIN", "the first account is the admin");
    assert_eq!(user["id"], user["_id"]);
    for absent in [
        "password",
        "passwordHash",
        "password_hash",
        "totpSecret",
        "plugins",
    ] {
        assert!(user.get(absent).is_none(), "{absent} must not be sent");
    }
    assert!(user["createdAt"].as_str().unwrap().ends_with('Z'));

    let res = me(&app, &token).await;
    assert_eq!(res.status(), 200);
    let fetched: Value = res.json().await.unwrap();
    assert_eq!(fetched["id"], user["id"]);
    assert_eq!(fetched["provider"], "local");

    // Refresh rotates the cookie and keeps the session's expiry.
    let res = refresh(&app, &refresh_token).await;
    assert_eq!(res.status(), 200);
    let rotated = cookie_value(res.headers(), "refreshToken");
    assert_ne!(rotated, refresh_token);
    let expires = |c: &str| {
        c.split("Expires=")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        expires(cookie(res.headers(), "refreshToken").unwrap()),
        expires(&set)
    );
    let body: Value = res.json().await.unwrap();
    let token2 = body["token"].as_str().unwrap().to_owned();
    assert_eq!(body["user"]["id"], user["id"]);
    assert_eq!(me(&app, &token2).await.status(), 200);

    // Logout ends the session: the cookie stops refreshing and the access token stops working.
    let res = app
        .client
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&token2)
        .header("cookie", format!("refreshToken={rotated}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        cookie(res.headers(), "refreshToken")
            .unwrap()
            .contains("Expires=Thu, 01 Jan 1970")
    );
    assert_eq!(
        res.json::<Value>().await.unwrap()["message"],
        "Logout successful"
    );
    assert_eq!(refresh(&app, &rotated).await.status(), 403);
    assert_eq!(me(&app, &token2).await.status(), 401);
}

#[tokio::test]
async fn second_user_is_a_user_and_duplicates_are_indistinguishable() {
    let app = TestApp::spawn().await;
    register(&app, "first@example.com").await;
    let first = register(&app, "second@example.com").await;
    let again = register(&app, "SECOND@example.com").await;
    assert_eq!(first.status(), again.status());
    assert_eq!(
        first.json::<Value>().await.unwrap(),
        again.json::<Value>().await.unwrap()
    );
    let res = login(&app, "second@example.com", PASSWORD).await;
    assert_eq!(res.json::<Value>().await.unwrap()["user"]["role"], "USER");
}

#[tokio::test]
async fn bad_credentials_and_bad_input() {
    let app = TestApp::spawn().await;
    register(&app, "ada@example.com").await;
    let wrong = login(&app, "ada@example.com", "not-the-password").await;
    assert_eq!(wrong.status(), 404);
    let unknown = login(&app, "nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        wrong.json::<Value>().await.unwrap(),
        unknown.json::<Value>().await.unwrap()
    );

    let post = |path: &'static str, body: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url(path))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    for path in ["/api/auth/login", "/api/auth/register"] {
        for body in [
            String::new(),
            "{not json".to_owned(),
            "{}".to_owned(),
            r#"{"email": 5}"#.to_owned(),
        ] {
            let res = post(path, body.clone()).await;
            assert_eq!(res.status(), 400, "{path} {body}");
            assert!(res.json::<Value>().await.unwrap()["message"].is_string());
        }
        let huge = json!({ "name": "x", "email": "a@example.com", "password": "p".repeat(1_000_000), "confirm_password": "x" });
        assert_eq!(
            post(path, huge.to_string()).await.status(),
            400,
            "{path} oversized"
        );
    }
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": "ada@example.com", "password": "p".repeat(129) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let mismatch = app
        .client
        .post(app.url("/api/auth/register"))
        .json(&json!({ "name": "Bo", "email": "bo@example.com", "password": PASSWORD, "confirm_password": "other-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(mismatch.status(), 400);
    assert!(
        mismatch.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("confirm_password")
    );
}

#[tokio::test]
async fn tokens_are_checked() {
    let app = TestApp::spawn().await;
    let (token, _) = signed_in(&app, "ada@example.com").await;
    assert_eq!(app.get("/api/user").await.status(), 401);
    for bad in ["garbage", "a.b.c", &format!("{token}x")] {
        assert_eq!(me(&app, bad).await.status(), 401, "{bad}");
    }
    // Same claims, alg none.
    let mut parts = token.split('.');
    let _header = parts.next();
    let body = parts.next().unwrap();
    let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{body}.");
    assert_eq!(me(&app, &none).await.status(), 401);
    // A token signed with another server's secret.
    let other = TestApp::spawn().await;
    let (foreign, _) = signed_in(&other, "ada@example.com").await;
    assert_eq!(me(&app, &foreign).await.status(), 401);
    // Cookies never authenticate a REST call.
    let res = app
        .client
        .get(app.url("/api/user"))
        .header("cookie", format!("refreshToken=x; token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn refresh_failures_are_403_and_reuse_revokes_the_session() {
    let app = TestApp::spawn().await;
    let (_, first) = signed_in(&app, "ada@example.com").await;

    let res = app
        .client
        .post(app.url("/api/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "Refresh token not provided");
    assert_eq!(refresh(&app, "not-a-token").await.status(), 403);

    let res = refresh(&app, &first).await;
    assert_eq!(res.status(), 200);
    let second = cookie_value(res.headers(), "refreshToken");
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The rotated-away token comes back: someone copied it. The whole session dies.
    let res = refresh(&app, &first).await;
    assert_eq!(res.status(), 403);
    assert!(
        cookie(res.headers(), "refreshToken")
            .unwrap()
            .contains("Expires=Thu, 01 Jan 1970")
    );
    assert_eq!(
        refresh(&app, &second).await.status(),
        403,
        "the current token is revoked too"
    );
    assert_eq!(me(&app, &token).await.status(), 401);

    // A foreign page cannot make the browser refresh.
    let (_, fresh) = signed_in(&app, "bo@example.com").await;
    let res = app
        .client
        .post(app.url("/api/auth/refresh"))
        .header("cookie", format!("refreshToken={fresh}"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .post(app.url("/api/auth/refresh"))
        .header("cookie", format!("refreshToken={fresh}"))
        .header("origin", "http://localhost:3080")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "DOMAIN_CLIENT is an allowed origin");
}

#[tokio::test]
async fn banned_users_are_refused_everywhere() {
    let app = TestApp::spawn().await;
    let (token, refresh_token) = signed_in(&app, "ada@example.com").await;
    let user = app
        .state
        .services
        .users
        .find("ada@example.com")
        .await
        .unwrap();
    app.state
        .services
        .users
        .set_banned(user.id, true)
        .await
        .unwrap();
    assert_eq!(
        me(&app, &token).await.status(),
        401,
        "ban revoked the session"
    );
    assert_eq!(refresh(&app, &refresh_token).await.status(), 403);
    let res = login(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), 403);
    assert!(
        res.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("banned")
    );
}

#[tokio::test]
async fn registration_switches() {
    let closed = TestApp::builder()
        .env("ALLOW_REGISTRATION", "false")
        .spawn()
        .await;
    let res = register(&closed, "ada@example.com").await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<Value>().await.unwrap()["message"],
        "Registration is not allowed."
    );

    let domains = TestApp::builder()
        .env("ALLOWED_REGISTRATION_DOMAINS", "example.org")
        .spawn()
        .await;
    assert_eq!(register(&domains, "ada@example.com").await.status(), 403);
    assert_eq!(register(&domains, "ada@example.org").await.status(), 200);

    let no_email_login = TestApp::builder()
        .env("ALLOW_EMAIL_LOGIN", "false")
        .spawn()
        .await;
    register(&no_email_login, "ada@example.com").await;
    assert_eq!(
        login(&no_email_login, "ada@example.com", PASSWORD)
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn unverified_accounts_get_422_when_required() {
    let app = TestApp::builder()
        .env("ALLOW_UNVERIFIED_EMAIL_LOGIN", "false")
        .spawn()
        .await;
    let hash = ferrochat_services::password::hash(PASSWORD.into())
        .await
        .unwrap();
    app.state
        .services
        .store
        .create_user(
            NewUser {
                email: "new@example.com".into(),
                username: None,
                name: "New".into(),
                provider: "local".into(),
                role: Role::User,
                password_hash: Some(hash),
                email_verified: false,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(login(&app, "new@example.com", PASSWORD).await.status(), 422);
}

#[tokio::test]
async fn librechat_bcrypt_hashes_log_in_and_are_upgraded() {
    let app = TestApp::spawn().await;
    // A bcryptjs-style hash as LibreChat stores it.
    let bcrypt_hash = bcrypt_hash(PASSWORD);
    let user = app
        .state
        .services
        .store
        .create_user(
            NewUser {
                email: "old@example.com".into(),
                username: None,
                name: "Old".into(),
                provider: "local".into(),
                role: Role::User,
                password_hash: Some(bcrypt_hash),
                email_verified: true,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        login(&app, "old@example.com", "wrong-password")
            .await
            .status(),
        404
    );
    assert_eq!(login(&app, "old@example.com", PASSWORD).await.status(), 200);
    let stored = app.state.services.store.user_by_id(user.id).await.unwrap();
    assert!(stored.password_hash.unwrap().starts_with("$argon2id$"));
    assert_eq!(login(&app, "old@example.com", PASSWORD).await.status(), 200);
}

fn bcrypt_hash(password: &str) -> String {
    // `$2a$` is what bcryptjs (LibreChat) writes; the bcrypt crate writes `$2b$`, and the two
    // differ only in the prefix for passwords without the historical 2a bug (non-ASCII > 255).
    bcrypt_crate::hash(password, 4)
        .unwrap()
        .replacen("$2b$", "$2a$", 1)
}

#[tokio::test]
async fn login_is_rate_limited_per_ip_and_per_account() {
    let app = TestApp::builder()
        .env("LOGIN_MAX", "2")
        .env("CLIENT_IP_HEADER", "x-forwarded-for")
        .spawn()
        .await;
    register(&app, "ada@example.com").await;
    let attempt = |ip: &'static str, email: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/auth/login"))
                .header("x-forwarded-for", format!("203.0.113.250, {ip}"))
                .json(&json!({ "email": email, "password": "wrong-password" }))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(attempt("192.0.2.1", "ada@example.com").await.status(), 404);
    assert_eq!(attempt("192.0.2.2", "ada@example.com").await.status(), 404);
    // A third IP, same account: the account limit holds.
    let res = attempt("192.0.2.3", "ada@example.com").await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    assert!(res.json::<Value>().await.unwrap()["message"].is_string());
    // Same IP, other accounts: the IP limit holds.
    assert_eq!(attempt("192.0.2.9", "x@example.com").await.status(), 404);
    assert_eq!(attempt("192.0.2.9", "y@example.com").await.status(), 404);
    assert_eq!(attempt("192.0.2.9", "z@example.com").await.status(), 429);
}

#[tokio::test]
async fn registration_is_rate_limited() {
    let app = TestApp::builder().env("REGISTER_MAX", "1").spawn().await;
    assert_eq!(register(&app, "a@example.com").await.status(), 200);
    let res = register(&app, "b@example.com").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn cookies_are_secure_behind_https_and_headers_are_set() {
    let app = TestApp::builder()
        .env("DOMAIN_SERVER", "https://chat.example.com")
        .spawn()
        .await;
    register(&app, "ada@example.com").await;
    let res = login(&app, "ada@example.com", PASSWORD).await;
    assert!(
        cookie(res.headers(), "refreshToken")
            .unwrap()
            .contains("; Secure")
    );
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
    ] {
        assert_eq!(res.headers()[name], value);
    }
    // JSON answers carry no CSP (it only applies to documents); HTML ones do (see the
    // security module's tests).
    assert!(res.headers().get("content-security-policy").is_none());
}

#[tokio::test]
async fn terms_and_account_deletion() {
    let app = TestApp::spawn().await;
    let (token, refresh_token) = signed_in(&app, "ada@example.com").await;
    let terms = |path: &'static str| app.client.get(app.url(path)).bearer_auth(&token).send();
    assert_eq!(
        terms("/api/user/terms")
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["termsAccepted"],
        false
    );
    let res = app
        .client
        .post(app.url("/api/user/terms/accept"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        terms("/api/user/terms")
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["termsAccepted"],
        true
    );
    assert_eq!(
        me(&app, &token).await.json::<Value>().await.unwrap()["termsAccepted"],
        true
    );
    assert_eq!(
        app.client
            .post(app.url("/api/user/terms/accept"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let res = app
        .client
        .delete(app.url("/api/user/delete"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(me(&app, &token).await.status(), 401);
    assert_eq!(refresh(&app, &refresh_token).await.status(), 403);
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status(), 404);
    assert!(
        app.state
            .services
            .users
            .find("ada@example.com")
            .await
            .is_err()
    );
}
