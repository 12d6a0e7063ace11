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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_conversations_on_sqlite() {
    conversations_suite(TestApp::spawn().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_conversations_on_postgres() {
    let Some(db) = TestDb::postgres("librechat-data-provider conversations").await else {
        return;
    };
    conversations_suite(TestApp::builder().db(db).spawn().await).await;
}

/// Seeds 27 conversations (more than a page) and runs `conversations.test.mjs` on them.
async fn conversations_suite(app: TestApp) {
    let user = app.user().email("convos@example.com").create().await;
    let mut ids = Vec::new();
    // More than one page (25) so the cursor is exercised.
    for i in 0..27 {
        let (c, _) =
            ferrochat_test_support::fixtures::conversation(&app, &user, &format!("c{i}")).await;
        ids.push(c.id.to_string());
    }
    let url = app.url("");
    let env = [
        ("FERROCHAT_EMAIL", "convos@example.com".to_owned()),
        (
            "FERROCHAT_PASSWORD",
            ferrochat_test_support::fixtures::PASSWORD.to_owned(),
        ),
        ("FERROCHAT_CONVERSATIONS", ids.join(",")),
    ];
    let out = tokio::task::spawn_blocking(move || {
        node::run_suite_with("librechat", &["conversations.test.mjs"], &url, &env)
    })
    .await
    .unwrap();
    if let Some(out) = out {
        assert!(out.contains("pass 1") && out.contains("skipped 0"), "{out}");
    }
}
