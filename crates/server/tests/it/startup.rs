//! Startup endpoints of the compat door: truthful configuration, no 401 where the logged-out
//! client calls, permissions per role.

use ferrochat_test_support::TestApp;
use serde_json::{Value, json};

#[tokio::test]
async fn config_reflects_configuration() {
    let app = TestApp::builder()
        .env("APP_TITLE", "Team Chat")
        .env("ALLOW_REGISTRATION", "false")
        .env("ALLOW_PASSWORD_RESET", "true")
        .env("ALLOW_SOCIAL_LOGIN", "true")
        .env("GITHUB_CLIENT_ID", "id")
        .env("GITHUB_CLIENT_SECRET", "secret")
        .spawn()
        .await;
    let res = app.get("/api/config").await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["appTitle"], "Team Chat");
    assert_eq!(c["registrationEnabled"], false);
    assert_eq!(c["passwordResetEnabled"], true);
    assert_eq!(c["emailEnabled"], false, "no SMTP configured");
    assert_eq!(c["socialLoginEnabled"], true);
    assert_eq!(c["socialLogins"], json!(["github"]));
    assert_eq!(c["githubLoginEnabled"], true);
    assert_eq!(c["openidLoginEnabled"], false);
    assert_eq!(c["serverDomain"], app.url(""));
    assert_eq!(c["interface"]["runCode"], false);
}

#[tokio::test]
async fn logged_out_calls_never_401_and_the_rest_need_a_token() {
    let app = TestApp::spawn().await;
    for path in ["/api/config", "/api/banner", "/api/endpoints", "/health"] {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    assert_eq!(app.get("/api/banner").await.text().await.unwrap(), "null");
    for path in [
        "/api/models",
        "/api/roles/user",
        "/api/files",
        "/api/files/config",
        "/api/search/enable",
        "/api/keys?name=openAI",
        "/api/agents/tools/calls?conversationId=x",
        "/api/agents/tools/web_search/auth",
        "/api/share/link/abc",
        "/api/files/speech/config/get",
    ] {
        assert_eq!(app.get(path).await.status(), 401, "{path}");
    }
}

#[tokio::test]
async fn roles_are_per_role_and_admin_only_for_admins() {
    let app = TestApp::spawn().await;
    app.user().email("root@example.com").admin().create().await;
    app.user().email("user@example.com").create().await;
    let user = app.token_for("user@example.com").await;
    let root = app.token_for("root@example.com").await;
    let get = |path: &'static str, t: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url(path))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
        }
    };
    let res = get("/api/roles/user", user.clone()).await;
    assert_eq!(res.status(), 200);
    let role: Value = res.json().await.unwrap();
    assert_eq!(role["name"], "USER");
    assert_eq!(
        role["permissions"]["RUN_CODE"]["USE"], false,
        "there is no code interpreter"
    );
    assert_eq!(role["permissions"]["PEOPLE_PICKER"]["VIEW_USERS"], false);
    assert_eq!(get("/api/roles/admin", user.clone()).await.status(), 403);
    assert_eq!(
        get("/api/roles/admin", root.clone())
            .await
            .json::<Value>()
            .await
            .unwrap()["name"],
        "ADMIN"
    );
    assert_eq!(get("/api/roles/wizard", user.clone()).await.status(), 404);
    let share: Value = get("/api/share/link/c-1", user.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        share,
        json!({ "success": false, "shareId": null, "conversationId": "c-1" })
    );
    let models: Value = get("/api/models", user).await.json().await.unwrap();
    assert!(models.get("initial").is_none());
}

/// The client's speech settings come from `speech.speechTab`, flattened as LibreChat does;
/// without a `speech` section the answer is `not_found`. An `external` engine the server lacks
/// is offered as the browser's.
#[tokio::test]
async fn speech_settings_come_from_the_speech_tab() {
    /// What a signed-in user of `app` gets.
    async fn settings(app: &TestApp) -> Value {
        app.user().email("ada@example.com").create().await;
        let token = app.token_for("ada@example.com").await;
        let (status, body) = app
            .call(
                &token,
                reqwest::Method::GET,
                "/api/files/speech/config/get",
                None,
            )
            .await;
        assert_eq!(status, 200);
        body
    }
    let app = TestApp::spawn().await;
    assert_eq!(settings(&app).await, json!({"message": "not_found"}));

    let app = TestApp::builder()
        .config_yaml(
            "speech:\n  tts:\n    openai: { apiKey: x, model: tts-1, voices: [alloy] }\n  speechTab:\n    conversationMode: true\n    advancedMode: false\n    speechToText:\n      engineSTT: external\n      languageSTT: en-GB\n      autoTranscribeAudio: true\n    textToSpeech: false\n",
        )
        .spawn()
        .await;
    assert_eq!(
        settings(&app).await,
        json!({
            "sttExternal": false, "ttsExternal": true,
            "conversationMode": true, "advancedMode": false,
            "engineSTT": "browser", "languageSTT": "en-GB", "autoTranscribeAudio": true,
            "textToSpeech": false,
        })
    );
}
