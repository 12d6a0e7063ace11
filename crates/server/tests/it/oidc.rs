//! OpenID Connect sign-in against a real provider (npm `oidc-provider`): the full redirect
//! flow, and each way it must fail.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::idp::{Browser, TestIdp};
use reqwest::cookie::CookieStore as _;
use serde_json::Value;

const CLIENT_ID: &str = "ferrochat-test";
const CLIENT_SECRET: &str = "test-client-secret";

struct World {
    app: TestApp,
    idp: TestIdp,
}

async fn world(extra: &[(&str, &str)]) -> Option<World> {
    let idp_port = ferrochat_test_support::port::unused();
    let issuer = format!("http://127.0.0.1:{idp_port}");
    let mut builder = TestApp::builder()
        .env("ALLOW_SOCIAL_LOGIN", "true")
        .env("ALLOW_SOCIAL_REGISTRATION", "true")
        .env("OPENID_ISSUER", &issuer)
        .env("OPENID_CLIENT_ID", CLIENT_ID)
        .env("OPENID_CLIENT_SECRET", CLIENT_SECRET)
        .env("DOMAIN_CLIENT", "http://{addr}/app");
    for (k, v) in extra {
        builder = builder.env(k, v);
    }
    let app = builder.spawn().await;
    let idp = TestIdp::start(
        idp_port,
        CLIENT_ID,
        CLIENT_SECRET,
        &app.url("/oauth/openid/callback"),
    )?;
    Some(World { app, idp })
}

impl World {
    /// Walks the browser from `/oauth/openid` through the provider and returns the callback
    /// URL the provider sent it to (not yet visited).
    async fn to_callback(&self, browser: &Browser) -> String {
        browser
            .follow_until(
                &self.app.url("/oauth/openid"),
                &self.app.url("/oauth/openid/callback"),
            )
            .await
            .expect("the provider sent the browser back to the callback")
    }

    /// Visits the callback; returns (Location, refresh cookie if any).
    async fn visit(&self, browser: &Browser, callback: &str) -> (String, Option<String>) {
        let res = browser.client.get(callback).send().await.unwrap();
        assert_eq!(res.status(), 303, "callback answers with a redirect");
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let refresh = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("refreshToken=") && !c.starts_with("refreshToken=;"))
            .map(|c| c.split(';').next().unwrap()["refreshToken=".len()..].to_owned());
        (location, refresh)
    }

    fn failed(&self, location: &str) -> bool {
        location == self.app.url("/app/login?redirect=false&error=auth_failed")
    }

    /// The user behind a refresh cookie, via refresh → /api/user.
    async fn user(&self, refresh: &str) -> Value {
        let res = self
            .app
            .client
            .post(self.app.url("/api/auth/refresh"))
            .header("cookie", format!("refreshToken={refresh}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let token = res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        self.app
            .client
            .get(self.app.url("/api/user"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn sign_in_creates_then_recognises_the_account() {
    let Some(w) = world(&[]).await else { return };
    let browser = Browser::new();
    let callback = w.to_callback(&browser).await;
    assert!(
        callback.contains("code=") && callback.contains("state="),
        "{callback}"
    );
    let (location, refresh) = w.visit(&browser, &callback).await;
    assert_eq!(location, w.app.url("/app/"), "success lands on the client");
    let user = w.user(&refresh.expect("refresh cookie set")).await;
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["provider"], "openid");
    assert_eq!(user["emailVerified"], true);
    assert_eq!(user["name"], "Alice");

    // A second sign-in finds the same account through the linked identity.
    let browser = Browser::new();
    let callback = w.to_callback(&browser).await;
    let (_, refresh) = w.visit(&browser, &callback).await;
    assert_eq!(w.user(&refresh.unwrap()).await["id"], user["id"]);
}

#[tokio::test]
async fn a_verified_email_links_an_existing_local_account() {
    let Some(w) = world(&[]).await else { return };
    let local = w.app.user().email("bob@example.com").create().await;
    w.idp.login_as("bob").await;
    let browser = Browser::new();
    let callback = w.to_callback(&browser).await;
    let (_, refresh) = w.visit(&browser, &callback).await;
    let user = w.user(&refresh.expect("signed in")).await;
    assert_eq!(user["id"], local.id.to_string());
    assert_eq!(
        user["provider"], "local",
        "the account keeps its password sign-in"
    );
}

#[tokio::test]
async fn unverified_emails_neither_create_nor_link() {
    let Some(w) = world(&[]).await else { return };
    w.app.user().email("mallory@example.com").create().await;
    w.idp.login_as("mallory").await;
    let browser = Browser::new();
    let callback = w.to_callback(&browser).await;
    let (location, refresh) = w.visit(&browser, &callback).await;
    assert!(w.failed(&location), "{location}");
    assert!(refresh.is_none());
}

#[tokio::test]
async fn tampered_state_and_replayed_codes_fail() {
    let Some(w) = world(&[]).await else { return };
    let browser = Browser::new();
    let callback = w.to_callback(&browser).await;
    let tampered = callback.replace("state=", "state=x");
    let (location, refresh) = w.visit(&browser, &tampered).await;
    assert!(w.failed(&location), "{location}");
    assert!(refresh.is_none());

    // A fresh round trip succeeds; replaying its callback, even with the state cookie put
    // back, fails at the provider (codes are single-use).
    let browser = Browser::new();
    let callback = w.to_callback(&browser).await;
    let state_cookie = browser
        .jar
        .cookies(&reqwest::Url::parse(&w.app.url("/oauth/")).unwrap())
        .unwrap();
    let (_, refresh) = w.visit(&browser, &callback).await;
    assert!(refresh.is_some());
    let res = Browser::new()
        .client
        .get(&callback)
        .header("cookie", state_cookie.to_str().unwrap())
        .send()
        .await
        .unwrap();
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(w.failed(&location), "replayed code must fail: {location}");

    // A callback without the browser's state cookie (another browser, a CSRF attempt) fails.
    let browser = Browser::new();
    let callback = w.to_callback(&browser).await;
    let res = Browser::new().client.get(&callback).send().await.unwrap();
    assert!(w.failed(res.headers()["location"].to_str().unwrap()));
}

#[tokio::test]
async fn id_tokens_with_wrong_nonce_audience_or_expiry_are_refused() {
    let Some(w) = world(&[]).await else { return };
    for mode in ["wrong-nonce", "wrong-aud", "expired"] {
        w.idp.mode(mode).await;
        let browser = Browser::new();
        let callback = w.to_callback(&browser).await;
        let (location, refresh) = w.visit(&browser, &callback).await;
        assert!(w.failed(&location), "{mode}: {location}");
        assert!(refresh.is_none(), "{mode}");
    }
    w.idp.mode("normal").await;
    let browser = Browser::new();
    let callback = w.to_callback(&browser).await;
    assert!(
        w.visit(&browser, &callback).await.1.is_some(),
        "the same provider works when it behaves"
    );
}

#[tokio::test]
async fn switches_and_unknown_providers() {
    let Some(w) = world(&[("ALLOW_SOCIAL_REGISTRATION", "false")]).await else {
        return;
    };
    let browser = Browser::new();
    let callback = w.to_callback(&browser).await;
    let (location, _) = w.visit(&browser, &callback).await;
    assert!(
        w.failed(&location),
        "no account and registration closed: {location}"
    );
    assert_eq!(w.app.get("/oauth/github").await.status(), 404);

    let off = world(&[("ALLOW_SOCIAL_LOGIN", "false")]).await.unwrap();
    assert_eq!(off.app.get("/oauth/openid").await.status(), 404);
}
