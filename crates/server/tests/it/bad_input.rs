//! Every auth route with a body refuses missing, malformed and oversized bodies with a 400 and
//! LibreChat's `{message}` shape; every route that needs a token answers 401 without one.

use ferrochat_test_support::TestApp;
use serde_json::Value;

const BODY_ROUTES: &[&str] = &[
    "/api/auth/login",
    "/api/auth/register",
    "/api/auth/requestPasswordReset",
    "/api/auth/resetPassword",
    "/api/user/verify",
    "/api/user/verify/resend",
    "/api/auth/2fa/verify-temp",
];

const TOKEN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/user"),
    ("GET", "/api/user/terms"),
    ("POST", "/api/user/terms/accept"),
    ("DELETE", "/api/user/delete"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/2fa/enable"),
    ("POST", "/api/auth/2fa/verify"),
    ("POST", "/api/auth/2fa/confirm"),
    ("POST", "/api/auth/2fa/disable"),
    ("POST", "/api/auth/2fa/backup/regenerate"),
    ("GET", "/api/v1/admin/users"),
    ("GET", "/api/convos"),
    ("POST", "/api/convos/duplicate"),
    ("POST", "/api/convos/fork"),
    ("GET", "/api/tags"),
    ("POST", "/api/tags"),
    ("PUT", "/api/tags/Saved"),
    ("DELETE", "/api/tags/Saved"),
    (
        "PUT",
        "/api/tags/convo/0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77",
    ),
    ("GET", "/api/presets"),
    ("POST", "/api/presets"),
    ("POST", "/api/presets/delete"),
    ("GET", "/api/v1/folders"),
    ("POST", "/api/v1/folders"),
    (
        "GET",
        "/api/v1/folders/0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77",
    ),
    (
        "PATCH",
        "/api/v1/folders/0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77",
    ),
    (
        "DELETE",
        "/api/v1/folders/0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77",
    ),
    (
        "GET",
        "/api/v1/folders/0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77/conversations",
    ),
    (
        "PUT",
        "/api/v1/conversations/0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77/folder",
    ),
];

#[tokio::test]
async fn malformed_missing_and_oversized_bodies_are_400() {
    let app = TestApp::builder()
        .env("ALLOW_PASSWORD_RESET", "true")
        .spawn()
        .await;
    let oversized = format!(
        r#"{{"email":"a@example.com","password":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    let cases: [(&str, Option<&str>, String); 5] = [
        ("empty", Some("application/json"), String::new()),
        ("not json", Some("application/json"), "{nope".into()),
        (
            "wrong types",
            Some("application/json"),
            r#"{"email":1,"password":[],"token":{}}"#.into(),
        ),
        (
            "no content type",
            None,
            r#"{"email":"a@example.com"}"#.into(),
        ),
        ("oversized", Some("application/json"), oversized),
    ];
    for route in BODY_ROUTES {
        for (what, content_type, body) in &cases {
            let mut req = app.client.post(app.url(route)).body(body.clone());
            if let Some(ct) = content_type {
                req = req.header("content-type", *ct);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 400, "{route} with {what} body");
            let body: Value = res.json().await.unwrap();
            assert!(body["message"].is_string(), "{route} {what}: {body}");
        }
    }
}

#[tokio::test]
async fn token_routes_are_401_without_a_valid_token() {
    let app = TestApp::spawn().await;
    for (method, route) in TOKEN_ROUTES {
        let method: reqwest::Method = method.parse().unwrap();
        for auth in [
            None,
            Some("Bearer nonsense"),
            Some("Basic YTpi"),
            Some("Bearer "),
        ] {
            let mut req = app.client.request(method.clone(), app.url(route));
            if let Some(h) = auth {
                req = req.header("authorization", h);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 401, "{method} {route} with {auth:?}");
        }
    }
}
