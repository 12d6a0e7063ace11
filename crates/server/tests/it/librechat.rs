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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_bookmarks_presets_fork_on_sqlite() {
    organize_suite(TestApp::spawn().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_bookmarks_presets_fork_on_postgres() {
    let Some(db) = TestDb::postgres("librechat-data-provider bookmarks, presets, fork").await
    else {
        return;
    };
    organize_suite(TestApp::builder().db(db).spawn().await).await;
}

/// Seeds 27 conversations (more than a page, so the cursor is exercised) and runs
/// `conversations.test.mjs` on them.
async fn conversations_suite(app: TestApp) {
    let out = seeded_suite(&app, "conversations.test.mjs", 27).await;
    if let Some(out) = out {
        assert!(out.contains("pass 1") && out.contains("skipped 0"), "{out}");
    }
}

/// Seeds 3 conversations and runs `organize.test.mjs` on them.
async fn organize_suite(app: TestApp) {
    let out = seeded_suite(&app, "organize.test.mjs", 3).await;
    if let Some(out) = out {
        assert!(out.contains("pass 3") && out.contains("skipped 0"), "{out}");
    }
}

/// Seeds 2 conversations and runs `share.test.mjs` on them.
async fn share_suite(app: TestApp) {
    let out = seeded_suite(&app, "share.test.mjs", 2).await;
    if let Some(out) = out {
        assert!(out.contains("pass 1") && out.contains("skipped 0"), "{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_share_links_on_sqlite() {
    share_suite(TestApp::spawn().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_share_links_on_postgres() {
    let Some(db) = TestDb::postgres("librechat-data-provider share links").await else {
        return;
    };
    share_suite(TestApp::builder().db(db).spawn().await).await;
}

/// Runs `prompts.test.mjs` on an account with no prompts.
async fn prompts_suite(app: TestApp) {
    let out = seeded_suite(&app, "prompts.test.mjs", 0).await;
    if let Some(out) = out {
        assert!(out.contains("pass 1") && out.contains("skipped 0"), "{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_prompts_on_sqlite() {
    prompts_suite(TestApp::spawn().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_prompts_on_postgres() {
    let Some(db) = TestDb::postgres("librechat-data-provider prompts").await else {
        return;
    };
    prompts_suite(TestApp::builder().db(db).spawn().await).await;
}

/// Runs `import.test.mjs` on an account with no conversations.
async fn import_suite(app: TestApp) {
    let out = seeded_suite(&app, "import.test.mjs", 0).await;
    if let Some(out) = out {
        assert!(out.contains("pass 1") && out.contains("skipped 0"), "{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_import_on_sqlite() {
    import_suite(TestApp::spawn().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_data_provider_import_on_postgres() {
    let Some(db) = TestDb::postgres("librechat-data-provider import").await else {
        return;
    };
    import_suite(TestApp::builder().db(db).spawn().await).await;
}

/// Seeds `count` two-message conversations for one account and runs a suite file with the
/// account and the conversation IDs in its environment; `None` when Node is unavailable.
async fn seeded_suite(app: &TestApp, file: &'static str, count: usize) -> Option<String> {
    let email = "convos@example.com";
    let user = app.user().email(email).create().await;
    let mut ids = Vec::new();
    for i in 0..count {
        let (c, _) =
            ferrochat_test_support::fixtures::conversation(app, &user, &format!("c{i}")).await;
        ids.push(c.id.to_string());
    }
    let url = app.url("");
    let env = [
        ("FERROCHAT_EMAIL", email.to_owned()),
        (
            "FERROCHAT_PASSWORD",
            ferrochat_test_support::fixtures::PASSWORD.to_owned(),
        ),
        ("FERROCHAT_CONVERSATIONS", ids.join(",")),
    ];
    tokio::task::spawn_blocking(move || node::run_suite_with("librechat", &[file], &url, &env))
        .await
        .unwrap()
}

/// A whole chat exchange through the client's own layers (`chat.test.mjs`): data-provider for
/// REST, sse.js for the stream, against a fake OpenAI-compatible upstream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_client_layers_chat_on_sqlite() {
    chat_suite(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librechat_client_layers_chat_on_postgres() {
    let Some(db) = TestDb::postgres("librechat client layers chat").await else {
        return;
    };
    chat_suite(Some(db)).await;
}

async fn chat_suite(db: Option<TestDb>) {
    use ferrochat_test_support::fake_llm::{FakeLlm, Format};
    let fake = FakeLlm::start(Format::OpenAi).await;
    let yaml = format!(
        "endpoints:\n  custom:\n    - name: \"Fake LLM\"\n      apiKey: \"k\"\n      baseURL: \"{}\"\n      models: {{ default: [\"fake\"] }}\n      titleConvo: true\n",
        fake.base_url()
    );
    let mut builder = TestApp::builder().config_yaml(&yaml);
    if let Some(db) = db {
        builder = builder.db(db);
    }
    let app = builder.spawn().await;
    let email = "chat@example.com";
    app.user().email(email).create().await;
    let url = app.url("");
    let env = [
        ("FERROCHAT_EMAIL", email.to_owned()),
        (
            "FERROCHAT_PASSWORD",
            ferrochat_test_support::fixtures::PASSWORD.to_owned(),
        ),
        ("FERROCHAT_ENDPOINT", "Fake LLM".to_owned()),
    ];
    let out = tokio::task::spawn_blocking(move || {
        node::run_suite_with("librechat", &["chat.test.mjs"], &url, &env)
    })
    .await
    .unwrap();
    if let Some(out) = out {
        assert!(out.contains("pass 2") && out.contains("skipped 0"), "{out}");
    }
    fake.wait_closed(std::time::Duration::from_secs(2)).await;
    assert_eq!(app.state.services.chat.live_generations(), 0);
}
