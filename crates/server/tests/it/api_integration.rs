//! Runs every example of docs/api-integration.md (curl, JavaScript, Python) against a live
//! server with a seeded user, a personal API key and a fake model upstream.

use std::io::Write as _;

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fake_llm::{FakeLlm, Format};
use reqwest::Method;
use serde_json::json;

/// `(language, code)` of each fenced block.
fn examples(markdown: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(lang)) if !lang.is_empty() => {
                current = Some((lang.to_owned(), String::new()))
            }
            (Some(_), Some("")) => out.extend(current.take()),
            (Some((_, code)), _) => {
                code.push_str(line);
                code.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_in_the_integration_guide_runs() {
    let fake = FakeLlm::start(Format::OpenAi).await;
    let app = TestApp::builder()
        .env("OPENAI_API_KEY", "sk-test")
        .env("OPENAI_REVERSE_PROXY", &fake.base_url())
        .env("TITLE_CONVO", "false")
        .spawn()
        .await;
    let user = app.user().email("guide@example.com").create().await;
    for i in 0..5 {
        ferrochat_test_support::fixtures::conversation(&app, &user, &format!("c{i}")).await;
    }
    let session = app.token_for(&user.email).await;
    let (status, key) = app
        .call(
            &session,
            Method::POST,
            "/api/v1/me/api-keys",
            Some(json!({"name": "guide", "scopes": ["read", "write", "chat"]})),
        )
        .await;
    assert_eq!(status, 201);
    let key = key["token"].as_str().unwrap().to_owned();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api-integration.md");
    let blocks = examples(&std::fs::read_to_string(path).unwrap());
    let count = |lang: &str| blocks.iter().filter(|(l, _)| l == lang).count();
    assert!(
        count("bash") >= 5 && count("js") >= 5 && count("python") >= 5,
        "examples missing"
    );
    let url = app.url("");
    let url = url.trim_end_matches('/').to_owned();
    let results = tokio::task::spawn_blocking(move || {
        let mut results = Vec::new();
        for (i, (lang, code)) in blocks.iter().enumerate() {
            let mut cmd = match lang.as_str() {
                "bash" => {
                    let mut c = std::process::Command::new("bash");
                    c.args(["-euo", "pipefail", "-c", code]);
                    c
                }
                "js" => {
                    let mut c = std::process::Command::new("node");
                    c.args(["--input-type=module", "-e", code]);
                    c
                }
                "python" => {
                    let mut c = std::process::Command::new("python3");
                    c.args(["-c", code]);
                    c
                }
                _ => continue,
            };
            let out = cmd
                .env("FERROCHAT_URL", &url)
                .env("FERROCHAT_KEY", &key)
                .output()
                .expect("run example");
            results.push((i, lang.clone(), out));
        }
        results
    })
    .await
    .unwrap();
    let mut failures = Vec::new();
    for (i, lang, out) in &results {
        if !out.status.success() {
            failures.push(format!(
                "example {i} ({lang}) failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "--- docs/api-integration.md: {} examples run, {} failed ---",
        results.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
