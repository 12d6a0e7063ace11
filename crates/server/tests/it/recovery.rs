//! Password reset and email verification, with mail delivered to a real SMTP server.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::smtp::{SmtpSink, find_link};
use serde_json::{Value, json};

const PASSWORD: &str = "a-long-password";
const NEW_PASSWORD: &str = "another-long-password";

async fn app_with_mail(smtp: &SmtpSink) -> TestApp {
    smtp.configure(TestApp::builder())
        .env("ALLOW_PASSWORD_RESET", "true")
        .env("ALLOW_UNVERIFIED_EMAIL_LOGIN", "false")
        .env("DOMAIN_CLIENT", "https://chat.example.com")
        .env("RESET_PASSWORD_MAX", "50")
        .env("VERIFY_EMAIL_MAX", "50")
        .spawn()
        .await
}

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn query_param(link: &str, name: &str) -> String {
    link.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap()
        .replace("%40", "@")
}

#[tokio::test]
async fn registration_mails_a_verification_link_that_works_once() {
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let app = app_with_mail(&smtp).await;
    let res = post(&app, "/api/auth/register", json!({ "name": "Ada", "email": "ada@example.com", "password": PASSWORD, "confirm_password": PASSWORD })).await;
    assert_eq!(res.status(), 200);
    // Unverified, and verification is required here.
    let login = json!({ "email": "ada@example.com", "password": PASSWORD });
    assert_eq!(
        post(&app, "/api/auth/login", login.clone()).await.status(),
        422
    );

    let mail = smtp
        .wait_for("ada@example.com", "https://chat.example.com/verify?")
        .await;
    assert!(mail.contains("Subject: Verify your email"), "{mail}");
    let link = find_link(&mail, "https://chat.example.com/verify?").unwrap();
    let (token, email) = (query_param(&link, "token"), query_param(&link, "email"));
    assert_eq!(email, "ada@example.com");

    let bad = post(
        &app,
        "/api/user/verify",
        json!({ "email": email, "token": "0".repeat(64) }),
    )
    .await;
    assert_eq!(bad.status(), 400);
    let ok = post(
        &app,
        "/api/user/verify",
        json!({ "email": email, "token": token }),
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap()["status"], "success");
    assert_eq!(post(&app, "/api/auth/login", login).await.status(), 200);

    // Resending for an unknown or already-verified address answers the same and sends nothing.
    let before = smtp.count();
    let a = post(
        &app,
        "/api/user/verify/resend",
        json!({ "email": "ada@example.com" }),
    )
    .await;
    let b = post(
        &app,
        "/api/user/verify/resend",
        json!({ "email": "ghost@example.com" }),
    )
    .await;
    assert_eq!(a.status(), 200);
    assert_eq!(
        a.json::<Value>().await.unwrap(),
        b.json::<Value>().await.unwrap()
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.count(), before);
}

#[tokio::test]
async fn password_reset_by_mail_revokes_sessions_and_is_single_use() {
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let app = app_with_mail(&smtp).await;
    let user = app.user().email("bo@example.com").create().await;
    let login = |password: &'static str| {
        let app = &app;
        async move {
            post(
                app,
                "/api/auth/login",
                json!({ "email": "bo@example.com", "password": password }),
            )
            .await
        }
    };
    let res = login(ferrochat_test_support::fixtures::PASSWORD).await;
    assert_eq!(res.status(), 200);
    let old_token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let known = post(
        &app,
        "/api/auth/requestPasswordReset",
        json!({ "email": "BO@example.com" }),
    )
    .await;
    let unknown = post(
        &app,
        "/api/auth/requestPasswordReset",
        json!({ "email": "nobody@example.com" }),
    )
    .await;
    assert_eq!(known.status(), 200);
    assert_eq!(unknown.status(), 200);
    assert_eq!(
        known.json::<Value>().await.unwrap(),
        unknown.json::<Value>().await.unwrap()
    );

    let mail = smtp
        .wait_for("bo@example.com", "https://chat.example.com/reset-password?")
        .await;
    let link = find_link(&mail, "https://chat.example.com/reset-password?").unwrap();
    let (token, user_id) = (query_param(&link, "token"), query_param(&link, "userId"));
    assert_eq!(user_id, user.id.to_string());

    let reset = |token: String, password: &'static str| {
        let app = &app;
        let user_id = user_id.clone();
        async move {
            post(app, "/api/auth/resetPassword", json!({ "userId": user_id, "token": token, "password": password, "confirm_password": password })).await
        }
    };
    assert_eq!(reset("f".repeat(64), NEW_PASSWORD).await.status(), 400);
    assert_eq!(reset(token.clone(), "short").await.status(), 400);
    let ok = reset(token.clone(), NEW_PASSWORD).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.json::<Value>().await.unwrap()["message"],
        "Password reset was successful"
    );
    // Single use.
    assert_eq!(reset(token, "yet-another-password").await.status(), 400);
    // Every session was revoked; the new password works, the old one does not.
    let me = app
        .client
        .get(app.url("/api/user"))
        .bearer_auth(&old_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    assert_eq!(
        login(ferrochat_test_support::fixtures::PASSWORD)
            .await
            .status(),
        404
    );
    assert_eq!(login(NEW_PASSWORD).await.status(), 200);
    smtp.wait_for("bo@example.com", "Your password was changed")
        .await;
}

#[tokio::test]
async fn reset_is_off_by_default_and_links_are_logged_without_mail() {
    let app = TestApp::spawn().await;
    let res = post(
        &app,
        "/api/auth/requestPasswordReset",
        json!({ "email": "a@example.com" }),
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(res.text().await.unwrap(), "Password reset is not allowed.");

    // Without mail settings registrations are verified at once (nothing could deliver a link).
    let app = TestApp::builder()
        .env("ALLOW_UNVERIFIED_EMAIL_LOGIN", "false")
        .spawn()
        .await;
    post(&app, "/api/auth/register", json!({ "name": "Cy", "email": "cy@example.com", "password": PASSWORD, "confirm_password": PASSWORD })).await;
    let res = post(
        &app,
        "/api/auth/login",
        json!({ "email": "cy@example.com", "password": PASSWORD }),
    )
    .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn reset_requests_are_rate_limited() {
    let app = TestApp::builder()
        .env("ALLOW_PASSWORD_RESET", "true")
        .env("RESET_PASSWORD_MAX", "2")
        .spawn()
        .await;
    for _ in 0..2 {
        assert_eq!(
            post(
                &app,
                "/api/auth/requestPasswordReset",
                json!({ "email": "a@example.com" })
            )
            .await
            .status(),
            200
        );
    }
    let res = post(
        &app,
        "/api/auth/requestPasswordReset",
        json!({ "email": "a@example.com" }),
    )
    .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let malformed = post(&app, "/api/auth/resetPassword", json!({ "userId": "x" })).await;
    assert_eq!(malformed.status(), 400);
}
