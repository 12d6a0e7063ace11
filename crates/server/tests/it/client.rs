//! Serving a built LibreChat client from CLIENT_DIR, and the landing page without one.

use ferrochat_test_support::TestApp;

fn client_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>LibreChat</title>",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(
        dir.path().join("assets/app-1a2b3c.js"),
        "console.log('plain')",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("assets/app-1a2b3c.js.br"),
        b"\x8b\x03\x80brotli",
    )
    .unwrap();
    std::fs::write(dir.path().join("favicon.ico"), b"\x00\x00\x01\x00").unwrap();
    dir
}

#[tokio::test]
async fn serves_the_client_with_spa_fallback_and_cache_rules() {
    let dir = client_dir();
    let app = TestApp::builder()
        .env("CLIENT_DIR", dir.path().to_str().unwrap())
        .spawn()
        .await;
    let plain = reqwest::Client::builder()
        .no_brotli()
        .no_gzip()
        .build()
        .unwrap();

    for path in [
        "/",
        "/c/new",
        "/c/0193a1c2-7f3e-7b4a-9d2e-4c1f0a9b8e77",
        "/login",
        "/share/abc",
    ] {
        let res = plain.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.headers()["cache-control"],
            "no-cache, must-revalidate",
            "{path}"
        );
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            res.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("<title>LibreChat</title>")
        );
    }

    let res = plain
        .get(app.url("/assets/app-1a2b3c.js"))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "br");
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let res = plain
        .get(app.url("/assets/app-1a2b3c.js"))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(res.text().await.unwrap(), "console.log('plain')");
    let res = plain.get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "public, max-age=86400");

    // /api stays an API: unknown routes are JSON 404s, never the SPA.
    let res = plain
        .get(app.url("/api/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // Traversal outside the folder is not served.
    let res = plain
        .get(app.url("/../../etc/passwd"))
        .send()
        .await
        .unwrap();
    assert!(!res.text().await.unwrap().contains("root:"));
    assert_eq!(
        plain.post(app.url("/c/new")).send().await.unwrap().status(),
        404
    );
}

#[tokio::test]
async fn without_a_client_the_root_explains_itself() {
    let app = TestApp::spawn().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("ferrochat is running") && text.contains("CLIENT_DIR"));
    assert_eq!(app.get("/c/new").await.status(), 404);
}

#[test]
fn a_client_dir_without_index_is_refused_at_start() {
    let empty = tempfile::tempdir().unwrap();
    let err = ferrochat_server::client::check_client_dir(Some(empty.path())).unwrap_err();
    assert!(err.to_string().contains("no index.html"));
    assert!(ferrochat_server::client::check_client_dir(None).is_ok());
}
