//! /health, /ready, /metrics and request ids.

use ferrochat_test_support::TestApp;
use serde_json::Value;

#[tokio::test]
async fn health_and_ready_answer() {
    let app = TestApp::spawn().await;
    let res = app.get("/health").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "OK");

    let res = app.get("/ready").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], "sqlite");
}

#[tokio::test]
async fn ready_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.state.services.store.close().await;
    let res = app.get("/ready").await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "unavailable");
    // Liveness does not depend on the database.
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let res = app.get("/health").await;
    let generated = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "{generated}");

    let res = app
        .client
        .get(app.url("/nowhere"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-me-42");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["request_id"], "trace-me-42");
}

#[tokio::test]
async fn metrics_expose_requests_pool_and_queries() {
    let app = TestApp::spawn().await;
    app.get("/health").await;
    app.get("/ready").await;
    app.get("/no/such/route").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    for needle in [
        r#"ferrochat_http_requests_total{method="GET",route="/health",status="200"}"#,
        r#"route="unmatched",status="404""#,
        "ferrochat_http_request_duration_seconds_bucket",
        r#"ferrochat_db_pool_connections{engine="sqlite",state="idle"}"#,
        r#"ferrochat_db_pool_max_connections{engine="sqlite"} 10"#,
        r#"ferrochat_db_query_duration_seconds_bucket{query="ping""#,
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
}

#[tokio::test]
async fn metrics_can_be_disabled() {
    let app = TestApp::builder()
        .env("METRICS_ENABLED", "false")
        .spawn()
        .await;
    assert_eq!(app.get("/metrics").await.status(), 404);
}

#[tokio::test]
async fn secrets_are_generated_once_with_private_permissions() {
    let app = TestApp::spawn().await;
    let path = app.data_dir().join("secrets.json");
    let stored: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        stored["jwt_secret"].as_str().unwrap(),
        app.state.secrets.jwt_secret.expose()
    );
    assert!(app.data_dir().join("files").is_dir());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
