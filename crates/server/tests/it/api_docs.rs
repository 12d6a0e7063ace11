//! `/api-docs`: the OpenAPI 3.1 document (pinned by a snapshot) and the offline reference page.

use std::io::Write as _;

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
        "/api/v1/search/messages",
        "/api/v1/folders",
        "/api/v1/tags",
        "/api/v1/presets",
        "/api/v1/admin/users",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
    // OpenAPI requires each operationId to be unique: client generators name methods by it.
    let mut ids: Vec<&str> = paths
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.get("operationId").and_then(Value::as_str))
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operationIds among {ids:?}");
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

fn on_path(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// schemathesis (PyPI) fuzzes every documented operation on a live server with a seeded
/// administrator and a key holding every scope: no server errors, no response outside the
/// documented schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_errors_and_no_schema_violations() {
    if !on_path("schemathesis") {
        let _ = writeln!(
            std::io::stderr(),
            "*** SKIPPED: schemathesis is not installed (pip install schemathesis) ***"
        );
        return;
    }
    let fake = ferrochat_test_support::fake_llm::FakeLlm::start(
        ferrochat_test_support::fake_llm::Format::OpenAi,
    )
    .await;
    let app = TestApp::builder()
        .env("API_LIMIT_MAX", "1000000")
        .env("OPENAI_API_KEY", "sk-test")
        .env("OPENAI_REVERSE_PROXY", &fake.base_url())
        .env("TITLE_CONVO", "false")
        .spawn()
        .await;
    let admin = app.user().email("st@example.com").admin().create().await;
    let session = app.token_for(&admin.email).await;
    let (status, key) = app
        .call(
            &session,
            reqwest::Method::POST,
            "/api/v1/me/api-keys",
            Some(serde_json::json!({"name": "schemathesis", "scopes": ["read", "write", "chat", "admin"]})),
        )
        .await;
    assert_eq!(status, 201);
    let key = key["token"].as_str().unwrap().to_owned();
    let schema = app.url("/api-docs/openapi.json");
    let base = app.url("");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("schemathesis")
            .args(["run", &schema, "--url", &base])
            .args(["-H", &format!("Authorization: Bearer {key}")])
            .args(["-c", "not_a_server_error,response_schema_conformance"])
            // schemathesis cannot produce tus's `application/offset+octet-stream` bodies;
            // it/files.rs drives that operation with the tus client and by hand.
            .args(["--exclude-operation-id", "tus_patch"])
            .args([
                "-n",
                "25",
                "--request-timeout",
                "10",
                "--generation-deterministic",
            ])
            .env("NO_COLOR", "1")
            .output()
            .expect("run schemathesis")
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Shown in the CI log so the run is visibly not skipped.
    let summary: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("generated") || l.contains("Tested:") || l.contains("passed"))
        .collect();
    // Written past the test harness's capture, so the CI log shows the run was not skipped.
    let _ = writeln!(
        std::io::stderr(),
        "--- schemathesis ---\n{}",
        summary.join("\n")
    );
    assert!(out.status.success(), "schemathesis failed:\n{text}");
}

/// The reference renders in headless Chromium with every other host unresolvable: the page,
/// its script and styles and the document all come from the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_renders_in_headless_chromium_offline() {
    let chromium = "/usr/bin/chromium";
    if !std::path::Path::new(chromium).exists() {
        let _ = writeln!(
            std::io::stderr(),
            "*** SKIPPED: /api-docs in Chromium: install Debian's chromium package ***"
        );
        return;
    }
    let app = TestApp::spawn().await;
    let url = app.url("/api-docs");
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("api-docs.png");
    let profile = dir.path().join("profile");
    let args = move |extra: &[&str]| {
        let mut cmd = std::process::Command::new(chromium);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            // No network beyond the server under test.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=10000",
            "--window-size=1280,1600",
        ]);
        cmd.arg(format!("--user-data-dir={}", profile.display()));
        cmd.args(extra);
        cmd
    };
    let (shot_arg, dump_url, shot_url) = (
        format!("--screenshot={}", shot.display()),
        url.clone(),
        url.clone(),
    );
    let (dom, screenshot) = tokio::task::spawn_blocking(move || {
        let dom = args(&["--dump-dom", &dump_url])
            .output()
            .expect("chromium --dump-dom");
        let screenshot = args(&[&shot_arg, &shot_url])
            .output()
            .expect("chromium --screenshot");
        (dom, screenshot)
    })
    .await
    .unwrap();
    let html = String::from_utf8_lossy(&dom.stdout);
    // Swagger UI rendered the document: its title and operations are in the DOM.
    assert!(
        html.contains("ferrochat native API"),
        "not rendered:\n{}",
        &html[..html.len().min(2000)]
    );
    assert!(html.contains("/api/v1/chat"), "operations missing");
    assert!(
        screenshot.status.success(),
        "{}",
        String::from_utf8_lossy(&screenshot.stderr)
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // A blank page compresses to a few KB; the rendered reference is far larger.
    assert!(
        png.len() > 30_000,
        "screenshot looks blank ({} bytes)",
        png.len()
    );
    let _ = writeln!(
        std::io::stderr(),
        "--- /api-docs in Chromium: rendered, screenshot {} bytes ---",
        png.len()
    );
    if let Ok(keep) = std::env::var("API_DOCS_SCREENSHOT") {
        let _ = std::fs::copy(&shot, keep);
    }
}
