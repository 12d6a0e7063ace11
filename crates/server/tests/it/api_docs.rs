//! `/api-docs`: the OpenAPI 3.1 document (pinned by a snapshot) and the offline reference page.

use ferrochat_test_support::TestApp;
use serde_json::Value;

fn repo_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name)
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_matches_the_snapshot() {
    let app = TestApp::spawn().await;
    let res = app.get("/api-docs/openapi.json").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let text = res.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/me",
        "/api/v1/me/api-keys",
        "/api/v1/conversations",
        "/api/v1/conversations/{id}/messages",
        "/api/v1/chat",
        "/api/v1/folders",
        "/api/v1/tags",
        "/api/v1/presets",
        "/api/v1/admin/users",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // The snapshot pins the document: a change to the API shows up in review as a diff of
    // docs/openapi.json (rerun with UPDATE_DOCS=1 to accept it).
    let snapshot = repo_file("docs/openapi.json");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&snapshot, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&snapshot).unwrap_or_default(),
        text,
        "docs/openapi.json is stale: rerun with UPDATE_DOCS=1"
    );
}

#[tokio::test]
async fn the_reference_page_and_its_assets_are_served_locally() {
    let app = TestApp::spawn().await;
    let page = app.get("/api-docs").await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("img-src 'self' data:"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no outside assets"
    );
    assert!(
        !html.contains("<script>"),
        "no inline script (the CSP forbids it)"
    );
    for asset in [
        "/api-docs/assets/swagger-ui-bundle.js",
        "/api-docs/assets/swagger-ui.css",
        "/api-docs/init.js",
    ] {
        let res = app.get(asset).await;
        assert_eq!(res.status(), 200, "{asset}");
        assert!(res.bytes().await.unwrap().len() > 100, "{asset}");
    }
}
