//! Server-side speech through engines that speak OpenAI's audio API (a fake that answers in its
//! documented format, errors included): a recording becomes text, a text becomes audio, the
//! voices are listed, and the client's settings say the server has engines.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fake_llm::{FakeLlm, Format};
use reqwest::Method;
use serde_json::{Value, json};

use super::files::{multipart_form, post_form};

async fn app_with(fake: &FakeLlm, stt_model: &str, tts_model: &str) -> (TestApp, String) {
    let base = fake.base_url();
    let app = TestApp::builder()
        .config_yaml(&format!(
            "speech:\n  stt:\n    openai:\n      url: {base}/audio/transcriptions\n      apiKey: sk-stt\n      model: {stt_model}\n  tts:\n    openai:\n      url: {base}/audio/speech\n      apiKey: sk-tts\n      model: {tts_model}\n      voices: [nova, alloy, shimmer-x]\n  speechTab:\n    speechToText: {{ engineSTT: external }}\n    textToSpeech: {{ engineTTS: external, voice: nova }}\n"
        ))
        .spawn()
        .await;
    app.user().email("ada@example.com").create().await;
    let token = app.token_for("ada@example.com").await;
    (app, token)
}

/// Posts a recording as the client does (`audio`, a webm file).
async fn transcribe(app: &TestApp, token: &str, audio: &[u8]) -> (u16, Value) {
    let (kind, body) = multipart_form(&[("audio", Some(("audio.webm", "audio/webm")), audio)]);
    let response = post_form(app, token, "/api/files/speech/stt", kind, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Asks for `input` read aloud, with `voice` when given.
async fn speak(app: &TestApp, token: &str, input: &str, voice: Option<&str>) -> reqwest::Response {
    let mut parts = vec![("input", None, input.as_bytes())];
    if let Some(v) = voice {
        parts.push(("voice", None, v.as_bytes()));
    }
    let (kind, body) = multipart_form(&parts);
    post_form(app, token, "/api/files/speech/tts/manual", kind, body).await
}

#[tokio::test]
async fn recordings_become_text_and_texts_become_audio() {
    let fake = FakeLlm::start(Format::OpenAi).await;
    let (app, token) = app_with(&fake, "whisper-1", "tts-1").await;

    let (status, body) = transcribe(&app, &token, b"SPEECH:hello from the microphone").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "text": "hello from the microphone" }));
    let sent = fake.requests().pop().unwrap();
    assert!(sent.path.ends_with("/v1/audio/transcriptions"));
    assert_eq!(sent.headers["authorization"], "Bearer sk-stt");
    assert_eq!(
        sent.body,
        json!({
            "model": "whisper-1", "response_format": "json", "filename": "audio.webm",
            "content_type": "audio/webm", "bytes": 32,
        })
    );
    // The engine's refusal of the file reaches the client; a form without audio is refused
    // before any engine is called.
    let (status, body) = transcribe(&app, &token, b"not audio at all").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Invalid file format"),
        "{body}"
    );
    let calls = fake.requests().len();
    let (kind, form) = multipart_form(&[("file", Some(("a.webm", "audio/webm")), b"x")]);
    let response = post_form(&app, &token, "/api/files/speech/stt", kind, form).await;
    assert_eq!(response.status(), 400);
    assert_eq!(fake.requests().len(), calls);

    let (status, voices) = app
        .call(&token, Method::GET, "/api/files/speech/tts/voices", None)
        .await;
    assert_eq!(
        (status, voices),
        (200, json!(["nova", "alloy", "shimmer-x"]))
    );

    let audio = speak(&app, &token, "Read this aloud", Some("alloy")).await;
    assert_eq!(audio.status(), 200);
    assert_eq!(audio.headers()["content-type"], "audio/mpeg");
    let bytes = audio.bytes().await.unwrap();
    assert!(bytes.starts_with(b"ID3"));
    assert!(bytes.ends_with(b"alloy:Read this aloud"));
    let sent = fake.requests().pop().unwrap();
    assert_eq!(sent.headers["authorization"], "Bearer sk-tts");
    assert_eq!(
        sent.body,
        json!({ "model": "tts-1", "input": "Read this aloud", "voice": "alloy", "response_format": "mp3" })
    );
    // Without a voice, the first configured one speaks.
    let audio = speak(&app, &token, "Again", None).await;
    assert!(audio.bytes().await.unwrap().ends_with(b"nova:Again"));
    // A voice not offered is refused here; one offered but refused by the engine, there.
    for (voice, needle) in [
        ("echo", "not one of"),
        ("shimmer-x", "Invalid value for 'voice'"),
    ] {
        let refused = speak(&app, &token, "Hi", Some(voice)).await;
        assert_eq!(refused.status(), 400);
        let body: Value = refused.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains(needle), "{body}");
    }
    assert_eq!(speak(&app, &token, "  ", None).await.status(), 400);
    assert_eq!(
        speak(&app, &token, &"a".repeat(4097), None).await.status(),
        400
    );

    // The client's settings: the server has both engines.
    let (_, settings) = app
        .call(&token, Method::GET, "/api/files/speech/config/get", None)
        .await;
    assert_eq!(
        settings,
        json!({
            "sttExternal": true, "ttsExternal": true,
            "engineSTT": "external", "engineTTS": "external", "voice": "nova",
        })
    );
    // The native API, over the same engines.
    let (_, engines) = app.call(&token, Method::GET, "/api/v1/speech", None).await;
    assert_eq!(
        engines,
        json!({ "speech_to_text": true, "text_to_speech": true, "voices": ["nova", "alloy", "shimmer-x"] })
    );
    let heard = app
        .client
        .post(app.url("/api/v1/speech/transcriptions"))
        .bearer_auth(&token)
        .header("content-type", "audio/wav")
        .body(&b"SPEECH:through the native API"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(heard.status(), 200);
    assert_eq!(
        heard.json::<Value>().await.unwrap(),
        json!({ "text": "through the native API" })
    );
    let sent = fake.requests().pop().unwrap();
    assert_eq!(
        (&sent.body["filename"], &sent.body["content_type"]),
        (&json!("audio.wav"), &json!("audio/wav")),
        "the engine tells the format by the file name"
    );
    let spoken = app
        .client
        .post(app.url("/api/v1/speech/synthesis"))
        .bearer_auth(&token)
        .json(&json!({ "input": "Native", "voice": "nova" }))
        .send()
        .await
        .unwrap();
    assert_eq!(spoken.status(), 200);
    assert!(spoken.bytes().await.unwrap().ends_with(b"nova:Native"));
    let (status, problem) = app
        .call(
            &token,
            Method::POST,
            "/api/v1/speech/synthesis",
            Some(json!({ "input": "Hi", "voice": "echo" })),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "voice");

    // Signed-in users only.
    let anonymous = app
        .client
        .get(app.url("/api/files/speech/tts/voices"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn a_refused_server_key_is_the_servers_problem_and_no_engine_means_the_browser() {
    let fake = FakeLlm::start(Format::OpenAi).await;
    let (app, token) = app_with(&fake, "whisper-bad-key", "tts-bad-key").await;
    let (status, body) = transcribe(&app, &token, b"SPEECH:hi").await;
    // The detail (a refused key) goes to the server's log, not to the user.
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["message"], "Service unavailable, please retry");
    let refused = speak(&app, &token, "Hi", None).await;
    assert_eq!(refused.status(), 503);

    let app = TestApp::spawn().await;
    app.user().email("ada@example.com").create().await;
    let token = app.token_for("ada@example.com").await;
    let (status, _) = transcribe(&app, &token, b"SPEECH:hi").await;
    assert_eq!(status, 404);
    assert_eq!(speak(&app, &token, "Hi", None).await.status(), 404);
    let (status, _) = app
        .call(&token, Method::GET, "/api/files/speech/tts/voices", None)
        .await;
    assert_eq!(status, 404);
    let (_, engines) = app.call(&token, Method::GET, "/api/v1/speech", None).await;
    assert_eq!(
        engines,
        json!({ "speech_to_text": false, "text_to_speech": false, "voices": [] })
    );
    let (status, _) = app
        .call(
            &token,
            Method::POST,
            "/api/v1/speech/synthesis",
            Some(json!({ "input": "Hi" })),
        )
        .await;
    assert_eq!(status, 404);
}
