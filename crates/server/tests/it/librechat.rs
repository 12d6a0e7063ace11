//! The LibreChat client's API layer (npm `librechat-data-provider`) against the real server.

use ferrochat_test_support::{TestApp, TestDb, node};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_auth_flow_on_sqlite() {
    let app = TestApp::spawn().await;
    let url = app.url("");
    let out = tokio::task::spawn_blocking(move || {
        node::run_suite("librechat", &["auth.test.mjs", "startup.test.mjs"], &url)
    })
    .await
    .unwrap();
    if let Some(out) = out {
        assert!(out.contains("pass 3"), "{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_auth_flow_on_postgres() {
    let Some(db) = TestDb::postgres("librechat-data-provider auth flow").await else {
        return;
    };
    let app = TestApp::builder().db(db).spawn().await;
    let url = app.url("");
    let out = tokio::task::spawn_blocking(move || {
        node::run_suite("librechat", &["auth.test.mjs", "startup.test.mjs"], &url)
    })
    .await
    .unwrap();
    if let Some(out) = out {
        assert!(out.contains("pass 3"), "{out}");
    }
}
