//! `POST /api/v1/chat`: the chat engine through the native door.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fake_llm::{FakeLlm, Format};
use reqwest::Method;
use serde_json::{Value, json};

pub(super) async fn setup() -> (TestApp, String, FakeLlm) {
    let fake = FakeLlm::start(Format::OpenAi).await;
    let app = TestApp::builder()
        .env("OPENAI_API_KEY", "sk-test")
        .env("OPENAI_REVERSE_PROXY", &fake.base_url())
        .env("OPENAI_MODELS", "gpt-4o-mini")
        .env("TITLE_CONVO", "false")
        .spawn()
        .await;
    let user = app.user().create().await;
    let token = app.token_for(&user.email).await;
    (app, token, fake)
}

fn events<'a>(reply: &'a ferrochat_test_support::sse::ChatReply, name: &str) -> Vec<&'a Value> {
    reply
        .events
        .iter()
        .filter(|(e, _)| e == name)
        .map(|(_, d)| d)
        .collect()
}

#[tokio::test]
async fn streams_documented_events_and_continues_the_conversation() {
    let (app, token, fake) = setup().await;
    let reply = app
        .sse_post(
            &token,
            "/api/v1/chat",
            &json!({"endpoint": "openAI", "text": "Hello", "settings": {"temperature": 0.4}}),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.events);
    let names: Vec<&str> = reply
        .events
        .iter()
        .map(|(e, _)| e.as_str())
        .filter(|e| *e != "ping")
        .collect();
    assert_eq!(names.first(), Some(&"created"));
    assert_eq!(names.get(1), Some(&"part"));
    assert_eq!(names.last(), Some(&"done"));
    let created = events(&reply, "created")[0];
    let c = created["conversation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["message"]["text"], "Hello");
    assert_eq!(created["message"]["parent_id"], Value::Null);
    let text: String = events(&reply, "delta")
        .iter()
        .map(|d| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "echo: Hello");
    assert!(
        events(&reply, "delta")
            .iter()
            .all(|d| d["kind"] == "text" && d["index"] == 0)
    );
    let done = events(&reply, "done")[0];
    assert_eq!(done["message"]["id"], created["response_id"]);
    assert_eq!(done["message"]["parent_id"], created["message"]["id"]);
    assert_eq!(
        done["message"]["content"],
        json!([{"type": "text", "text": "echo: Hello"}])
    );
    assert_eq!(done["outcome"], "completed");
    assert_eq!(done["usage"]["prompt_tokens"], 11);
    assert_eq!(done["usage"]["reported_by_provider"], true);
    assert_eq!(done["error"], Value::Null);
    assert_eq!(fake.requests()[0].body["temperature"], 0.4);

    // Non-streaming follow-up: 201 with the done object; the model saw the branch.
    let parent = done["message"]["id"].as_str().unwrap();
    let (status, answer) = app
        .call(&token, Method::POST, "/api/v1/chat", Some(json!({
            "endpoint": "openAI", "text": "Again", "conversation_id": c, "parent_id": parent, "stream": false
        })))
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["message"]["content"][0]["text"], "echo: Again");
    assert_eq!(answer["conversation"]["id"], c.as_str());
    assert_eq!(
        fake.requests()[1].body["messages"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // The same tree through the native message list.
    let (_, page) = app
        .call(
            &token,
            Method::GET,
            &format!("/api/v1/conversations/{c}/messages"),
            None,
        )
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 4);

    // Regenerate the last answer: a sibling under the same user message.
    let user_message = answer["message"]["parent_id"].as_str().unwrap();
    let (status, again) = app
        .call(&token, Method::POST, "/api/v1/chat", Some(json!({
            "endpoint": "openAI", "conversation_id": c, "regenerate": user_message, "stream": false
        })))
        .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["message"]["parent_id"], user_message);
    assert_ne!(again["message"]["id"], answer["message"]["id"]);
}

#[tokio::test]
async fn failures_are_problems_before_streaming_and_an_outcome_after() {
    let (app, token, _fake) = setup().await;
    let other = app.user().email("other@example.com").create().await;
    let other_token = app.token_for(&other.email).await;
    let (_, theirs) = app
        .call(
            &other_token,
            Method::POST,
            "/api/v1/chat",
            Some(json!({"endpoint": "openAI", "text": "mine", "stream": false})),
        )
        .await;
    let their_c = theirs["conversation"]["id"].as_str().unwrap();
    for (body, status, code) in [
        (
            json!({"endpoint": "openAI", "text": "x", "nope": 1}),
            400,
            "bad_request",
        ),
        (
            json!({"endpoint": "nope", "text": "x"}),
            422,
            "validation_failed",
        ),
        (
            json!({"endpoint": "openAI", "text": ""}),
            422,
            "validation_failed",
        ),
        (
            json!({"endpoint": "openAI", "text": "x", "conversation_id": "zz"}),
            422,
            "validation_failed",
        ),
        (
            json!({"endpoint": "openAI", "text": "x", "settings": {"temperature": 9}}),
            422,
            "validation_failed",
        ),
        (
            json!({"endpoint": "openAI", "text": "x", "conversation_id": their_c}),
            404,
            "not_found",
        ),
    ] {
        let (got, problem) = app
            .call(&token, Method::POST, "/api/v1/chat", Some(body.clone()))
            .await;
        assert_eq!(got, status, "{body}: {problem}");
        assert_eq!(problem["code"], code, "{body}: {problem}");
    }
    // After streaming started, an upstream failure is the answer's outcome.
    let (status, answer) = app
        .call(&token, Method::POST, "/api/v1/chat", Some(json!({"endpoint": "openAI", "model": "gpt-fail-auth", "text": "x", "stream": false})))
        .await;
    assert_eq!(status, 201);
    assert_eq!(answer["outcome"], "error");
    assert_eq!(answer["error"]["code"], "provider_auth");
    assert_eq!(answer["message"]["content"][0]["type"], "error");
}
