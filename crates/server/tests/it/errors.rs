//! The native error format: problem details with stable codes; panics contained.

use axum::Router;
use axum::routing::get;
use ferrochat_test_support::TestApp;
use serde_json::Value;

#[tokio::test]
async fn unknown_routes_are_problem_json_404() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/nothing-here").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "route_not_found");
    assert_eq!(body["status"], 404);
    assert_eq!(body["title"], "Not Found");
    assert_eq!(body["type"], "urn:ferrochat:error:route_not_found");
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let app = TestApp::spawn().await;
    let res = app.client.delete(app.url("/health")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "method_not_allowed");
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_and_the_server_keeps_serving() {
    async fn boom() -> &'static str {
        panic!("kaboom")
    }
    let boom = Router::new().route("/boom", get(boom));
    let app = TestApp::builder().extra_routes(boom).spawn().await;
    let res = app
        .client
        .get(app.url("/boom"))
        .header("x-request-id", "panic-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(res.headers()["x-request-id"], "panic-1");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "internal");
    assert_eq!(body["request_id"], "panic-1");
    assert!(
        !body.to_string().contains("kaboom"),
        "panic message leaked: {body}"
    );
    // Same process, next request.
    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(
        app.client
            .get(app.url("/boom"))
            .send()
            .await
            .unwrap()
            .status(),
        500
    );
}

#[test]
fn docs_errors_md_lists_every_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/errors.md");
    let docs = std::fs::read_to_string(&path).unwrap();
    let table = ferrochat_web::error::markdown_table();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let start = docs.find("<!-- codes:start -->").unwrap() + "<!-- codes:start -->\n".len();
        let end = docs.find("<!-- codes:end -->").unwrap();
        std::fs::write(
            &path,
            format!("{}{}{}", &docs[..start], table, &docs[end..]),
        )
        .unwrap();
        return;
    }
    assert!(
        docs.contains(&table),
        "docs/errors.md is stale: rerun with UPDATE_DOCS=1"
    );
}
