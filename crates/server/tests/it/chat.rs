//! The chat protocol of §7 end to end: the real server, fake upstreams speaking each provider's
//! wire format, and a client that reads the stream as the LibreChat client's `sse.js` does.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ferrochat_test_support::TestApp;
use ferrochat_test_support::fake_llm::{FakeLlm, Format};
use reqwest::Method;
use serde_json::{Value, json};

const NO_PARENT: &str = "00000000-0000-0000-0000-000000000000";

struct Fakes {
    openai: FakeLlm,
    anthropic: FakeLlm,
    google: FakeLlm,
}

async fn setup() -> (TestApp, String, Fakes) {
    setup_with(&[]).await
}

async fn setup_with(extra_env: &[(&str, &str)]) -> (TestApp, String, Fakes) {
    let fakes = Fakes {
        openai: FakeLlm::start(Format::OpenAi).await,
        anthropic: FakeLlm::start(Format::Anthropic).await,
        google: FakeLlm::start(Format::Google).await,
    };
    let yaml = format!(
        r#"
endpoints:
  custom:
    - name: "Fake"
      apiKey: "${{FAKE_KEY}}"
      baseURL: "{}"
      models: {{ default: ["fake-model"], fetch: true }}
      titleConvo: true
      modelDisplayLabel: "Faker"
      headers: {{ X-Team: "red" }}
      addParams: {{ keep_alive: "5m" }}
      dropParams: ["stream_options"]
    - name: "Mine"
      apiKey: "user_provided"
      baseURL: "{}"
      models: {{ default: ["mine-model"] }}
"#,
        fakes.openai.base_url(),
        fakes.openai.base_url()
    );
    let mut b = TestApp::builder()
        .config_yaml(&yaml)
        .env("FAKE_KEY", "fake-key")
        .env("OPENAI_API_KEY", "sk-test")
        .env("OPENAI_REVERSE_PROXY", &fakes.openai.base_url())
        .env("OPENAI_MODELS", "gpt-4o-mini,gpt-4o")
        .env("ANTHROPIC_API_KEY", "ant-test")
        .env("ANTHROPIC_REVERSE_PROXY", &fakes.anthropic.base_url())
        .env("ANTHROPIC_MODELS", "claude-test")
        .env("GOOGLE_KEY", "goog-test")
        .env("GOOGLE_REVERSE_PROXY", &fakes.google.base_url())
        .env("GOOGLE_MODELS", "gemini-test");
    for (k, v) in extra_env {
        b = b.env(k, v);
    }
    let app = b.spawn().await;
    let user = app.user().create().await;
    let token = app.token_for(&user.email).await;
    (app, token, fakes)
}

/// The payload the client sends for a new message (§7.11).
fn payload(endpoint: &str, model: &str, text: &str) -> Value {
    json!({
        "text": text, "sender": "User", "clientTimestamp": "2025-06-01T10:00:00",
        "isCreatedByUser": true, "parentMessageId": NO_PARENT,
        "messageId": "6c0a0000-0000-4000-8000-000000000001", "error": false,
        "endpoint": endpoint, "model": model, "resendFiles": true, "key": "never",
        "isTemporary": false, "isRegenerate": false, "isContinued": false,
        "ephemeralAgent": {"execute_code": false, "web_search": false, "file_search": false, "artifacts": false}
    })
}

async fn wait_for_live_generations(app: &TestApp, n: usize) {
    for _ in 0..200 {
        if app.state.services.chat.live_generations() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "{} generations still live",
        app.state.services.chat.live_generations()
    );
}

#[tokio::test]
async fn worked_example_first_message_event_by_event() {
    let (app, token, fakes) = setup().await;
    // Paced upstream chunks (5 ms apart) arrive one by one, so the deltas are the upstream's
    // two chunks, as in §7.11 (chunks that arrive together are sent as one delta).
    let model = "gpt-4o-mini-every-5ms";
    let reply = app
        .chat(&token, "openAI", &payload("openAI", model, "Hi"))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.events);
    assert_eq!(reply.content_type, "text/event-stream");
    let events = reply.messages();
    // 1. created: the user message as saved, with a server-minted ID (not the client's).
    let created = reply.created();
    let u1 = created["messageId"].as_str().unwrap().to_owned();
    let c1 = created["conversationId"].as_str().unwrap().to_owned();
    assert_ne!(u1, "6c0a0000-0000-4000-8000-000000000001");
    assert_eq!(created["parentMessageId"], NO_PARENT);
    assert_eq!(created["sender"], "User");
    assert_eq!(created["text"], "Hi");
    assert_eq!(created["isCreatedByUser"], true);
    assert!(events[0].get("created").is_some(), "created comes first");
    // 2. on_run_step announcing part 0, runId = the response ID.
    let step = &events[1];
    assert_eq!(step["event"], "on_run_step");
    let d = &step["data"];
    assert_eq!(d["index"], 0);
    assert_eq!(d["type"], "message_creation");
    assert_eq!(d["stepDetails"]["type"], "message_creation");
    let step_id = d["id"].as_str().unwrap();
    let r1 = d["runId"].as_str().unwrap().to_owned();
    // 3. on_message_delta chunks on that step.
    let deltas: Vec<&Value> = events
        .iter()
        .copied()
        .filter(|e| e["event"] == "on_message_delta")
        .collect();
    assert_eq!(deltas.len(), 2, "{deltas:?}");
    assert_eq!(
        deltas[0]["data"]["delta"]["content"],
        json!([{"type": "text", "text": "echo"}])
    );
    assert!(deltas.iter().all(|e| e["data"]["id"] == step_id));
    assert_eq!(reply.streamed_text(), "echo: Hi");
    // 4. final, last.
    let fin = reply.final_event();
    assert!(
        std::ptr::eq(fin, *events.last().unwrap()),
        "final is the last event"
    );
    assert_eq!(fin["conversation"]["conversationId"], c1.as_str());
    assert_eq!(fin["conversation"]["title"], "New Chat");
    assert_eq!(fin["conversation"]["endpoint"], "openAI");
    assert_eq!(fin["conversation"]["model"], model);
    assert_eq!(fin["requestMessage"]["messageId"], u1.as_str());
    assert!(fin["requestMessage"]["tokenCount"].as_i64().unwrap() > 0);
    let resp = &fin["responseMessage"];
    assert_eq!(resp["messageId"], r1.as_str());
    assert_eq!(resp["parentMessageId"], u1.as_str());
    assert_eq!(resp["conversationId"], c1.as_str());
    assert_eq!(resp["isCreatedByUser"], false);
    assert_eq!(resp["sender"], "GPT-4o-mini-every-5ms");
    assert_eq!(resp["endpoint"], "openAI");
    assert_eq!(resp["text"], "");
    assert_eq!(
        resp["content"],
        json!([{"type": "text", "text": "echo: Hi"}])
    );
    // Only message frames (and no comment-only keep-alives) reached the client.
    assert!(
        reply
            .events
            .iter()
            .all(|(e, _)| e == "message" || e == "ping")
    );

    // What went upstream: the branch, the key, streaming with usage.
    let up = &fakes.openai.requests()[0];
    assert_eq!(up.headers["authorization"], "Bearer sk-test");
    assert_eq!(
        up.body["messages"],
        json!([{"role": "user", "content": "Hi"}])
    );
    assert_eq!(up.body["stream"], true);

    // gen_title: the title once generated, and the list shows it.
    let (status, title) = app
        .call(
            &token,
            Method::POST,
            "/api/convos/gen_title",
            Some(json!({"conversationId": c1})),
        )
        .await;
    assert_eq!(status, 200, "{title}");
    let title = title["title"].as_str().unwrap().to_owned();
    assert!(!title.is_empty() && title != "New Chat");
    let (_, same) = app
        .call(
            &token,
            Method::GET,
            &format!("/api/convos/gen_title/{c1}"),
            None,
        )
        .await;
    assert_eq!(same["title"], title.as_str());
    let (_, list) = app.call(&token, Method::GET, "/api/convos", None).await;
    assert_eq!(list["conversations"][0]["title"], title.as_str());

    // Reload: [U1, R1] in that order, the answer with its content.
    let (_, msgs) = app
        .call(&token, Method::GET, &format!("/api/messages/{c1}"), None)
        .await;
    let ids: Vec<&str> = msgs
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [u1.as_str(), r1.as_str()]);
    assert_eq!(msgs[1]["content"][0]["text"], "echo: Hi");

    // The generation record: completed, upstream usage, timings.
    let g = generation(&app, &token, &json!(r1)).await;
    assert_eq!(g.outcome, ferrochat_core::Outcome::Completed);
    assert!(g.usage_reported);
    assert_eq!(g.prompt_tokens, 11);
    assert_eq!(g.finish_reason.as_deref(), Some("stop"));
    assert!(g.ttft_ms.is_some());
    wait_for_live_generations(&app, 0).await;
}

/// The generation record of the caller's answer `message_id`.
async fn generation(app: &TestApp, token: &str, message_id: &Value) -> ferrochat_core::Generation {
    let id = message_id.as_str().unwrap().parse().unwrap();
    app.state
        .services
        .store
        .generation(user_id(app, token).await, id)
        .await
        .unwrap()
        .unwrap()
}

async fn user_id(app: &TestApp, token: &str) -> ferrochat_core::UserId {
    let (_, me) = app.call(token, Method::GET, "/api/user", None).await;
    me["id"].as_str().unwrap().parse().unwrap()
}

/// A new conversation's first exchange on openAI: (conversation, user message, answer) IDs.
async fn first_exchange(app: &TestApp, token: &str, text: &str) -> (String, String, String) {
    let first = app
        .chat(token, "openAI", &payload("openAI", "gpt-4o-mini", text))
        .await;
    let fin = first.final_event();
    let id = |v: &Value| v.as_str().unwrap().to_owned();
    (
        id(&fin["conversation"]["conversationId"]),
        id(&fin["requestMessage"]["messageId"]),
        id(&fin["responseMessage"]["messageId"]),
    )
}

/// Sends a follow-up to `parent` in `conversation`.
fn follow_up(endpoint: &str, model: &str, text: &str, conversation: &str, parent: &str) -> Value {
    let mut p = payload(endpoint, model, text);
    p["conversationId"] = conversation.into();
    p["parentMessageId"] = parent.into();
    p
}

/// The last upstream request whose final user turn is `text` (title requests ask otherwise).
fn chat_request(fake: &FakeLlm, text: &str) -> Value {
    fake.requests()
        .into_iter()
        .rev()
        .find(|r| {
            r.body["messages"].as_array().and_then(|m| m.last())
                == Some(&json!({"role": "user", "content": text}))
        })
        .unwrap_or_else(|| panic!("no upstream request answering {text:?}"))
        .body
}

#[tokio::test]
async fn follow_up_regenerate_and_edit_build_the_tree_and_send_only_the_branch() {
    let (app, token, fakes) = setup().await;
    let (c, u1, r1) = first_exchange(&app, &token, "one").await;

    // Follow-up: the model sees the branch, oldest first, with the answer's text parts.
    let mut p = follow_up("openAI", "gpt-4o-mini", "two", &c, &r1);
    p["promptPrefix"] = "Be brief.".into();
    p["temperature"] = json!(0.3);
    let second = app.chat(&token, "openAI", &p).await;
    let u2 = second.final_event()["requestMessage"]["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        second.final_event()["requestMessage"]["parentMessageId"],
        r1.as_str()
    );
    assert_eq!(
        second.final_event()["conversation"]["conversationId"],
        c.as_str()
    );
    assert_eq!(
        second.final_event()["conversation"]["promptPrefix"],
        "Be brief."
    );
    let body = &chat_request(&fakes.openai, "two");
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "echo: one"},
            {"role": "user", "content": "two"},
        ])
    );
    assert_eq!(body["temperature"], 0.3);

    // Regenerate the second answer (§7.8): the same user message, a new sibling answer.
    let mut regen = follow_up("openAI", "gpt-4o-mini", "two", &c, &r1);
    regen["isRegenerate"] = true.into();
    regen["overrideParentMessageId"] = u2.as_str().into();
    regen["responseMessageId"] = format!(
        "{}_",
        second.final_event()["responseMessage"]["messageId"]
            .as_str()
            .unwrap()
    )
    .into();
    let third = app.chat(&token, "openAI", &regen).await;
    assert_eq!(
        third.created()["messageId"],
        u2.as_str(),
        "created carries the existing user message"
    );
    let r2b = &third.final_event()["responseMessage"];
    assert_eq!(r2b["parentMessageId"], u2.as_str());
    assert_ne!(
        r2b["messageId"],
        second.final_event()["responseMessage"]["messageId"]
    );
    let answered: Vec<_> = fakes
        .openai
        .requests()
        .into_iter()
        .filter(|r| {
            r.body["messages"].as_array().and_then(|m| m.last())
                == Some(&json!({"role": "user", "content": "two"}))
        })
        .collect();
    assert_eq!(answered.len(), 2, "the regenerate re-sent the same branch");
    assert_eq!(answered[1].body["messages"], answered[0].body["messages"]);

    // Edit the first message and resubmit: a new root, a sibling of u1; history is just it.
    let edited = follow_up("openAI", "gpt-4o-mini", "one, edited", &c, NO_PARENT);
    let fourth = app.chat(&token, "openAI", &edited).await;
    assert_eq!(
        fourth.final_event()["requestMessage"]["parentMessageId"],
        NO_PARENT
    );
    assert_ne!(
        fourth.final_event()["requestMessage"]["messageId"],
        u1.as_str()
    );
    assert_eq!(
        chat_request(&fakes.openai, "one, edited")["messages"],
        json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "one, edited"}
        ]),
        "the conversation's stored promptPrefix still applies"
    );
    assert!(
        fourth.final_event()["conversation"]["conversationId"] == c.as_str(),
        "no new conversation for an edit"
    );

    // The tree: u1 → r1 → u2 → {r2, r2b}; u1' → r1'. Seven messages, parents first.
    let (_, msgs) = app
        .call(&token, Method::GET, &format!("/api/messages/{c}"), None)
        .await;
    assert_eq!(msgs.as_array().unwrap().len(), 7);
    // No title job for follow-ups: only the first exchange asked for one.
    wait_for_live_generations(&app, 0).await;
}

#[tokio::test]
async fn reasoning_streams_as_its_own_part_for_every_provider() {
    let (app, token, _fakes) = setup().await;
    for (endpoint, model) in [
        ("openAI", "model-reason"),
        ("anthropic", "claude-reason"),
        ("google", "gemini-reason"),
    ] {
        let reply = app
            .chat(&token, endpoint, &payload(endpoint, model, "why?"))
            .await;
        assert_eq!(reply.status, 200, "{endpoint}");
        let steps: Vec<i64> = reply
            .messages()
            .iter()
            .filter(|m| m["event"] == "on_run_step")
            .map(|m| m["data"]["index"].as_i64().unwrap())
            .collect();
        assert_eq!(steps, [0, 1], "{endpoint}: reasoning part 0, text part 1");
        assert_eq!(
            reply.streamed_reasoning(),
            "thinking about it",
            "{endpoint}"
        );
        assert_eq!(reply.streamed_text(), "echo: why?", "{endpoint}");
        let resp = &reply.final_event()["responseMessage"];
        assert_eq!(
            resp["content"],
            json!([{"type": "think", "think": "thinking about it"}, {"type": "text", "text": "echo: why?"}]),
            "{endpoint}"
        );
        let sender = match endpoint {
            "anthropic" => "Claude",
            "google" => "Gemini",
            _ => "GPT",
        };
        assert_eq!(resp["sender"], sender);
    }
}

#[tokio::test]
async fn upstream_failures_become_a_stored_error_part_for_every_provider() {
    let (app, token, _fakes) = setup().await;
    for (endpoint, prefix) in [
        ("openAI", "gpt"),
        ("anthropic", "claude"),
        ("google", "gemini"),
    ] {
        for (case, code, words) in [
            ("fail-auth", "provider_auth", "refused the API key"),
            ("fail-rate", "provider_rate_limited", "retry in 20 s"),
            ("fail-quota", "provider_quota", "no quota left"),
            ("fail-model", "provider_unknown_model", "unknown model"),
            (
                "fail-context",
                "provider_context_too_long",
                "too long for the model",
            ),
            ("fail-500", "provider_error", "provider failed"),
            (
                "cut",
                "provider_connection",
                "connection to the provider failed",
            ),
            ("malformed", "provider_malformed", "malformed stream"),
            ("error-event", "provider_error", "provider failed"),
        ] {
            let model = format!("{prefix}-{case}");
            let reply = app
                .chat(&token, endpoint, &payload(endpoint, &model, "hello"))
                .await;
            assert_eq!(reply.status, 200, "{endpoint} {case}");
            let fin = reply.final_event();
            let content = fin["responseMessage"]["content"].as_array().unwrap();
            let err = content.last().unwrap();
            assert_eq!(err["type"], "error", "{endpoint} {case}: {content:?}");
            let text = err["error"].as_str().unwrap();
            assert!(
                text.starts_with("An error occurred while processing the request: "),
                "{text}"
            );
            assert!(text.contains(words), "{endpoint} {case}: {text}");
            assert!(
                !text.contains("sk-test") && !text.contains("ant-test"),
                "no key in errors"
            );
            if ["cut", "malformed", "error-event"].contains(&case) {
                // What streamed before the failure is kept before the error part.
                assert_eq!(content[0]["text"], "echo: he", "{endpoint} {case}");
            }
            // Stored, so it survives the reload the client does right after `final`.
            let c = fin["conversation"]["conversationId"].as_str().unwrap();
            let (_, msgs) = app
                .call(&token, Method::GET, &format!("/api/messages/{c}"), None)
                .await;
            assert_eq!(msgs[1]["content"], fin["responseMessage"]["content"]);
            let g = generation(&app, &token, &fin["responseMessage"]["messageId"]).await;
            assert_eq!(g.outcome, ferrochat_core::Outcome::Error);
            assert_eq!(g.error_code.as_deref(), Some(code), "{endpoint} {case}");
        }
    }
    wait_for_live_generations(&app, 0).await;
}

#[tokio::test]
async fn a_stalled_upstream_times_out_into_an_error_part() {
    // Titles off: a title call to the same stalled model would hold a connection too.
    let (app, token, fakes) =
        setup_with(&[("CHAT_IDLE_TIMEOUT", "400ms"), ("TITLE_CONVO", "false")]).await;
    for (endpoint, model, fake) in [
        ("openAI", "gpt-hang", &fakes.openai),
        ("anthropic", "claude-hang", &fakes.anthropic),
        ("google", "gemini-hang", &fakes.google),
    ] {
        let reply = app
            .chat(&token, endpoint, &payload(endpoint, model, "hello"))
            .await;
        let content = &reply.final_event()["responseMessage"]["content"];
        assert_eq!(content[0]["text"], "echo: he", "{endpoint}");
        let error = content[1]["error"].as_str().unwrap();
        assert!(
            error.contains("did not respond in time"),
            "{endpoint}: {error}"
        );
        // The stalled upstream connection is closed, not left hanging.
        fake.wait_closed(Duration::from_secs(2)).await;
    }
    wait_for_live_generations(&app, 0).await;
}

#[tokio::test]
async fn stop_by_disconnect_cancels_the_upstream_and_keeps_the_partial_answer() {
    let (app, token, fakes) = setup().await;
    // An existing conversation, so no title call follows the abort.
    let first = app
        .chat(&token, "openAI", &payload("openAI", "gpt-4o-mini", "hello"))
        .await;
    let conversation = first.final_event()["conversation"]["conversationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let parent = first.final_event()["responseMessage"]["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app
        .call(
            &token,
            Method::POST,
            "/api/convos/gen_title",
            Some(json!({"conversationId": conversation})),
        )
        .await;
    assert_eq!(status, 200);
    fakes.openai.wait_closed(Duration::from_secs(2)).await;
    let mut res = app
        .client
        .post(app.url("/api/agents/chat/openAI"))
        .bearer_auth(&token)
        .json(&follow_up(
            "openAI",
            "gpt-slow",
            "go",
            &conversation,
            &parent,
        ))
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    while !seen.contains("on_message_delta") || seen.matches("on_message_delta").count() < 3 {
        let chunk = res.chunk().await.unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert_eq!(fakes.openai.open_streams(), 1);
    let dropped = std::time::Instant::now();
    drop(res);
    // The upstream connection closes within a second of the client going away.
    fakes.openai.wait_closed(Duration::from_secs(1)).await;
    println!(
        "upstream closed {:?} after the client left",
        dropped.elapsed()
    );
    wait_for_live_generations(&app, 0).await;
    // The user message and the partial answer are stored.
    let (_, msgs) = app
        .call(
            &token,
            Method::GET,
            &format!("/api/messages/{conversation}"),
            None,
        )
        .await;
    let msgs = msgs.as_array().unwrap();
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    assert_eq!(msgs[2]["text"], "go");
    let partial = msgs[3]["content"][0]["text"].as_str().unwrap();
    assert!(partial.starts_with("slow slow slow"), "{partial}");
    assert!(
        partial.len() < "slow ".len() * 50,
        "partial, not the whole answer"
    );
    let g = generation(&app, &token, &msgs[3]["messageId"]).await;
    assert_eq!(g.outcome, ferrochat_core::Outcome::Aborted);
}

#[tokio::test]
async fn preflight_failures_answer_non_200_json_text_and_store_nothing() {
    let (app, token, _fakes) = setup().await;
    let other = app.user().email("other@example.com").create().await;
    let other_token = app.token_for(&other.email).await;
    let theirs = app
        .chat(
            &other_token,
            "openAI",
            &payload("openAI", "gpt-4o-mini", "mine"),
        )
        .await;
    let their_c = theirs.final_event()["conversation"]["conversationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let their_r = theirs.final_event()["responseMessage"]["messageId"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut cases: Vec<(Value, u16, &str)> = vec![
        (payload("nope", "m", "hi"), 400, "endpoint"),
        (payload("openAI", "gpt-4o-mini", "   "), 400, "text"),
        (
            follow_up("openAI", "gpt-4o-mini", "hi", &their_c, &their_r),
            404,
            "Conversation not found",
        ),
        (
            follow_up("openAI", "gpt-4o-mini", "hi", "not-a-uuid", NO_PARENT),
            400,
            "conversationId",
        ),
        (payload("Mine", "mine-model", "hi"), 403, "no_user_key"),
    ];
    let mut hot = payload("openAI", "gpt-4o-mini", "hi");
    hot["temperature"] = json!(7);
    cases.push((hot, 400, "temperature"));
    let mut regen = payload("openAI", "gpt-4o-mini", "hi");
    regen["isRegenerate"] = true.into();
    cases.push((regen, 400, "overrideParentMessageId"));
    for (body, status, words) in cases {
        let reply = app.chat(&token, "openAI", &body).await;
        assert_eq!(reply.status, status, "{body}: {:?}", reply.events);
        let text = reply.events[0].1["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{:?}", reply.events));
        assert!(text.contains(words), "{text}");
    }
    // Not JSON at all.
    let res = app
        .client
        .post(app.url("/api/agents/chat/openAI"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(body["text"].is_string());
    // No token: 401 (the client refreshes and resends).
    let res = app
        .client
        .post(app.url("/api/agents/chat/openAI"))
        .json(&payload("openAI", "gpt-4o-mini", "hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Nothing was stored for the caller.
    let (_, list) = app.call(&token, Method::GET, "/api/convos", None).await;
    assert_eq!(list["conversations"], json!([]));
    // And the other user's conversation did not change.
    let (_, msgs) = app
        .call(
            &other_token,
            Method::GET,
            &format!("/api/messages/{their_c}"),
            None,
        )
        .await;
    assert_eq!(msgs.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn endpoints_models_custom_settings_and_user_provided_keys() {
    let (app, token, fakes) = setup().await;
    let endpoints: Value = app.get("/api/endpoints").await.json().await.unwrap();
    let keys: Vec<&String> = endpoints.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5, "{endpoints}");
    assert_eq!(endpoints["openAI"]["userProvide"], false);
    assert_eq!(endpoints["Fake"]["type"], "custom");
    assert_eq!(endpoints["Fake"]["modelDisplayLabel"], "Faker");
    assert_eq!(endpoints["Mine"]["userProvide"], true);
    let (status, models) = app.call(&token, Method::GET, "/api/models", None).await;
    assert_eq!(status, 200);
    assert_eq!(models["openAI"], json!(["gpt-4o-mini", "gpt-4o"]));
    assert_eq!(
        models["Fake"],
        json!(["fake-model", "fetched-a", "fetched-b"]),
        "configured, then fetched"
    );
    assert!(models.get("initial").is_none());

    // A custom endpoint: its key, headers, addParams and dropParams reach the upstream.
    let before = fakes.openai.requests().len();
    let mut p = payload("Fake", "fake-model", "hello custom");
    p["endpointType"] = "custom".into();
    let reply = app.chat(&token, "Fake", &p).await;
    assert_eq!(reply.streamed_text(), "echo: hello custom");
    assert_eq!(reply.final_event()["responseMessage"]["sender"], "Faker");
    assert_eq!(
        reply.final_event()["conversation"]["endpointType"],
        "custom"
    );
    let up = fakes
        .openai
        .requests()
        .into_iter()
        .skip(before)
        .find(|r| r.path.ends_with("/chat/completions"))
        .unwrap();
    assert_eq!(up.headers["authorization"], "Bearer fake-key");
    assert_eq!(up.headers["x-team"], "red");
    assert_eq!(up.body["keep_alive"], "5m");
    assert!(up.body.get("stream_options").is_none());

    // User-provided: no key → no_user_key; after PUT /api/keys the user's key is used.
    let (status, key) = app
        .call(&token, Method::GET, "/api/keys?name=Mine", None)
        .await;
    assert_eq!((status, key), (200, json!({"expiresAt": null})));
    let (status, _) = app
        .call(
            &token,
            Method::PUT,
            "/api/keys",
            Some(json!({"name": "Mine", "value": "sk-users-own", "expiresAt": ""})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .call(
            &token,
            Method::PUT,
            "/api/keys",
            Some(json!({"name": "openAI", "value": "x", "expiresAt": ""})),
        )
        .await;
    assert_eq!(status, 400, "the server's own endpoints take no user key");
    let reply = app
        .chat(
            &token,
            "Mine",
            &payload("Mine", "mine-model", "with my key"),
        )
        .await;
    assert_eq!(reply.streamed_text(), "echo: with my key");
    let up = fakes.openai.requests().into_iter().last().unwrap();
    assert_eq!(up.headers["authorization"], "Bearer sk-users-own");
    // Encrypted at rest: the plaintext is nowhere in the database file.
    let db = std::fs::read(app.data_dir().join("ferrochat.db")).unwrap_or_default();
    let wal = std::fs::read(app.data_dir().join("ferrochat.db-wal")).unwrap_or_default();
    let needle = b"sk-users-own";
    assert!(!db.windows(needle.len()).any(|w| w == needle));
    assert!(!wal.windows(needle.len()).any(|w| w == needle));
    // An expired key is refused as such.
    let (status, _) = app
        .call(
            &token,
            Method::PUT,
            "/api/keys",
            Some(json!({"name": "Mine", "value": "k", "expiresAt": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, 400, "an expiry in the past is refused");
    let (status, _) = app
        .call(&token, Method::DELETE, "/api/keys/Mine", None)
        .await;
    assert_eq!(status, 204);
    let reply = app
        .chat(&token, "Mine", &payload("Mine", "mine-model", "again"))
        .await;
    assert_eq!(reply.status, 403);
    let (status, _) = app.call(&token, Method::DELETE, "/api/keys", None).await;
    assert_eq!(status, 400);
    let (status, _) = app
        .call(&token, Method::DELETE, "/api/keys?all=true", None)
        .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn titles_can_be_turned_off() {
    let (app, token, _fakes) = setup_with(&[("TITLE_CONVO", "false")]).await;
    let reply = app
        .chat(&token, "openAI", &payload("openAI", "gpt-4o-mini", "Hi"))
        .await;
    let c = reply.final_event()["conversation"]["conversationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = std::time::Instant::now();
    let (status, body) = app
        .call(
            &token,
            Method::POST,
            "/api/convos/gen_title",
            Some(json!({"conversationId": c})),
        )
        .await;
    assert_eq!(status, 404);
    assert!(body["message"].is_string());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no long-poll when titles are off"
    );
}

#[tokio::test]
async fn user_supplied_base_urls_pass_the_ssrf_guard() {
    for allow in ["", "127.0.0.1,::1"] {
        let fake = FakeLlm::start(Format::OpenAi).await;
        let yaml = r#"
endpoints:
  custom:
    - name: "Open"
      apiKey: "user_provided"
      baseURL: "user_provided"
      models: { default: ["open-model"] }
"#;
        let app = TestApp::builder()
            .config_yaml(yaml)
            .env("EGRESS_ALLOWLIST", allow)
            .spawn()
            .await;
        let user = app.user().create().await;
        let token = app.token_for(&user.email).await;
        let endpoints: Value = app.get("/api/endpoints").await.json().await.unwrap();
        assert_eq!(endpoints["Open"]["userProvideURL"], true);
        for base in [
            fake.base_url(),
            fake.base_url().replace("127.0.0.1", "localhost"),
        ] {
            let value = json!({"apiKey": "mine", "baseURL": base}).to_string();
            let (status, _) = app
                .call(
                    &token,
                    Method::PUT,
                    "/api/keys",
                    Some(json!({"name": "Open", "value": value})),
                )
                .await;
            assert_eq!(status, 201);
            let reply = app
                .chat(&token, "Open", &payload("Open", "open-model", "hi"))
                .await;
            if allow.is_empty() {
                // Loopback by address, or by a name resolving to it: refused before anything
                // is stored or sent.
                assert_eq!(reply.status, 400, "{allow:?} {base}: {:?}", reply.events);
                assert!(
                    reply.events[0].1["text"]
                        .as_str()
                        .unwrap()
                        .contains("baseURL")
                );
            } else {
                assert_eq!(reply.streamed_text(), "echo: hi");
            }
        }
        let answered = fake.requests().len();
        assert_eq!(answered, if allow.is_empty() { 0 } else { 2 }, "{allow:?}");
    }
}

#[tokio::test]
async fn balances_refuse_an_empty_account_before_the_upstream_and_debit_each_answer() {
    let fake = FakeLlm::start(Format::OpenAi).await;
    let yaml = format!(
        r#"
balance:
  enabled: true
  startBalance: 100
endpoints:
  custom:
    - name: "Paid"
      apiKey: "k"
      baseURL: "{}"
      models: {{ default: ["gpt-4o"] }}
"#,
        fake.base_url()
    );
    let app = TestApp::builder()
        .config_yaml(&yaml)
        .env("TITLE_CONVO", "false")
        .spawn()
        .await;
    let user = app.user().create().await;
    let token = app.token_for(&user.email).await;
    let config: Value = app.get("/api/config").await.json().await.unwrap();
    assert_eq!(config["balance"]["enabled"], true);
    assert_eq!(config["balance"]["startBalance"], 100);
    let (status, balance) = app.call(&token, Method::GET, "/api/balance", None).await;
    assert_eq!((status, &balance["tokenCredits"]), (200, &json!(100)));

    // gpt-4o: 2.5 / 10 credits per token (USD per million). The fake reports 11 prompt and 2
    // completion tokens for "echo: hi" (two chunks): 28 + 20 = 48 credits.
    let reply = app
        .chat(&token, "Paid", &payload("Paid", "gpt-4o", "hi"))
        .await;
    assert_eq!(reply.streamed_text(), "echo: hi");
    let r = reply.final_event()["responseMessage"]["messageId"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let g = app
        .state
        .services
        .store
        .generation(user.id, r)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(g.token_cost, 48);
    let (_, balance) = app.call(&token, Method::GET, "/api/balance", None).await;
    assert_eq!(balance["tokenCredits"], 52);

    // Another answer takes it below zero (an answer is charged in full)…
    let reply = app
        .chat(&token, "Paid", &payload("Paid", "gpt-4o", "hi"))
        .await;
    assert_eq!(reply.status, 200);
    let (_, balance) = app.call(&token, Method::GET, "/api/balance", None).await;
    assert_eq!(balance["tokenCredits"], 4);
    // …and now the prompt alone costs more than what is left: refused before the upstream.
    let calls = fake.requests().len();
    let reply = app
        .chat(&token, "Paid", &payload("Paid", "gpt-4o", "hi"))
        .await;
    assert_eq!(reply.status, 402, "{:?}", reply.events);
    let text: Value = serde_json::from_str(reply.events[0].1["text"].as_str().unwrap()).unwrap();
    assert_eq!(text["type"], "token_balance");
    assert_eq!(text["balance"], 4);
    assert_eq!(fake.requests().len(), calls, "no upstream call");
    let (_, list) = app.call(&token, Method::GET, "/api/convos", None).await;
    assert_eq!(
        list["conversations"].as_array().unwrap().len(),
        2,
        "nothing stored"
    );
}

#[tokio::test]
async fn librechat_yaml_from_config_path_and_azure_from_librechat_env_names() {
    let fake = FakeLlm::start(Format::OpenAi).await;
    let dir = tempfile::tempdir().unwrap();
    let librechat = dir.path().join("librechat.yaml");
    std::fs::write(
        &librechat,
        format!(
            "version: 1.2.1\ncache: true\ninterface:\n  privacyPolicy: {{ externalUrl: x }}\nendpoints:\n  custom:\n    - name: \"FromLibreChat\"\n      apiKey: \"${{LC_KEY}}\"\n      baseURL: \"{}\"\n      models: {{ default: [\"lc-model\"] }}\n",
            fake.base_url()
        ),
    )
    .unwrap();
    let app = TestApp::builder()
        .env("CONFIG_PATH", librechat.to_str().unwrap())
        .env("LC_KEY", "lc-secret")
        .env("AZURE_API_KEY", "az-key")
        .env("AZURE_OPENAI_API_INSTANCE_NAME", "my-instance")
        .env("AZURE_OPENAI_API_DEPLOYMENT_NAME", "dep1")
        .env("AZURE_OPENAI_API_VERSION", "2024-10-21")
        .env("AZURE_OPENAI_BASEURL", &fake.url)
        .env("TITLE_CONVO", "false")
        .spawn()
        .await;
    let user = app.user().create().await;
    let token = app.token_for(&user.email).await;
    let endpoints: Value = app.get("/api/endpoints").await.json().await.unwrap();
    assert_eq!(endpoints["FromLibreChat"]["type"], "custom");
    assert_eq!(endpoints["azureOpenAI"]["azure"], true);

    let reply = app
        .chat(
            &token,
            "FromLibreChat",
            &payload("FromLibreChat", "lc-model", "from yaml"),
        )
        .await;
    assert_eq!(reply.streamed_text(), "echo: from yaml");
    assert_eq!(
        fake.requests()[0].headers["authorization"],
        "Bearer lc-secret"
    );

    let reply = app
        .chat(
            &token,
            "azureOpenAI",
            &payload("azureOpenAI", "gpt-4o", "via azure"),
        )
        .await;
    assert_eq!(reply.streamed_text(), "echo: via azure");
    let up = fake.requests().into_iter().last().unwrap();
    assert_eq!(
        up.path,
        "/openai/deployments/dep1/chat/completions?api-version=2024-10-21"
    );
    assert_eq!(up.headers["api-key"], "az-key");
}

#[tokio::test]
async fn a_long_history_is_fitted_to_the_context_window_oldest_turns_first() {
    let (app, token, fakes) = setup().await;
    let mut p = payload("openAI", "gpt-4o-mini", &"a".repeat(800));
    p["promptPrefix"] = "System rules.".into();
    p["maxContextTokens"] = json!(800);
    p["max_tokens"] = json!(100);
    let first = app.chat(&token, "openAI", &p).await;
    let c = first.final_event()["conversation"]["conversationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut parent = first.final_event()["responseMessage"]["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    for text in ["b".repeat(800), "c".repeat(800)] {
        let reply = app
            .chat(
                &token,
                "openAI",
                &follow_up("openAI", "gpt-4o-mini", &text, &c, &parent),
            )
            .await;
        parent = reply.final_event()["responseMessage"]["messageId"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    // ~204 tokens per question, ~206 per echoed answer, 8 for the system prompt: 700 tokens of
    // budget (800 less 100 for the answer) keep the system prompt, the newest question and the
    // exchange before it; the first exchange is dropped.
    let sent = chat_request(&fakes.openai, &"c".repeat(800));
    let roles: Vec<&str> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"], "{sent}");
    assert_eq!(sent["messages"][1]["content"], "b".repeat(800));
    // A message that cannot fit at all is refused before anything is stored.
    let huge = follow_up("openAI", "gpt-4o-mini", &"z".repeat(4000), &c, &parent);
    let reply = app.chat(&token, "openAI", &huge).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.events[0].1["text"]
            .as_str()
            .unwrap()
            .contains("too long")
    );
}

/// A temporary chat (§7.10 step 6): stored with an expiry (30 days by default), answered and
/// readable like any other, kept temporary by follow-ups, out of the list and never titled.
#[tokio::test]
async fn temporary_chats_carry_an_expiry_and_stay_out_of_the_list() {
    let (app, token, fakes) = setup().await;
    let normal = app
        .chat(
            &token,
            "openAI",
            &payload("openAI", "gpt-4o-mini", "keep me"),
        )
        .await;
    let kept = normal.final_event()["conversation"]["conversationId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(normal.final_event()["conversation"]["expiredAt"].is_null());

    let mut p = payload("openAI", "gpt-4o-mini", "forget me");
    p["isTemporary"] = true.into();
    let temp = app.chat(&token, "openAI", &p).await;
    let fin = temp.final_event();
    let c = fin["conversation"]["conversationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let expires = fin["conversation"]["expiredAt"].clone();
    let at: chrono::DateTime<chrono::Utc> = expires.as_str().unwrap().parse().unwrap();
    let hours = (at - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((719.0..=720.0).contains(&hours), "{expires}");

    let r = fin["responseMessage"]["messageId"].as_str().unwrap();
    let mut f = follow_up("openAI", "gpt-4o-mini", "and this", &c, r);
    f["isTemporary"] = true.into();
    let second = app.chat(&token, "openAI", &f).await;
    assert_eq!(second.final_event()["conversation"]["expiredAt"], expires);

    let (_, list) = app.call(&token, Method::GET, "/api/convos", None).await;
    let listed: Vec<&str> = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["conversationId"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [kept.as_str()]);
    let (status, one) = app
        .call(&token, Method::GET, &format!("/api/convos/{c}"), None)
        .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["expiredAt"], expires);
    let (_, msgs) = app
        .call(&token, Method::GET, &format!("/api/messages/{c}"), None)
        .await;
    assert_eq!(msgs.as_array().unwrap().len(), 4);

    // Titles: the normal chat gets one; the temporary one is never sent to the title model
    // (its text reaches the upstream only in its own two turns).
    let (status, _) = app
        .call(
            &token,
            Method::POST,
            "/api/convos/gen_title",
            Some(json!({"conversationId": kept})),
        )
        .await;
    assert_eq!(status, 200);
    let mentions = fakes
        .openai
        .requests()
        .iter()
        .filter(|r| r.body.to_string().contains("forget me"))
        .count();
    assert_eq!(mentions, 2);
    assert_eq!(one["title"], "New Chat");
}

#[tokio::test]
async fn an_edited_answer_part_is_kept_and_the_model_goes_on_from_it() {
    let (app, token, fakes) = setup().await;
    let (c, u1, r1) = first_exchange(&app, &token, "one").await;

    // What LibreChat's client sends for "edit the answer's part and resubmit" (§7.8).
    let edit = |index: u64, kind: &str, answer: &str| {
        let mut p = follow_up("openAI", "gpt-4o-mini", "one", &c, NO_PARENT);
        p["isRegenerate"] = true.into();
        p["overrideParentMessageId"] = u1.as_str().into();
        p["responseMessageId"] = answer.into();
        p["editedContent"] = json!({"index": index, "type": kind, kind: "Edited start "});
        p
    };

    // Malformed edits are refused before anything is stored or sent.
    let upstream_calls = fakes.openai.requests().len();
    for (body, words) in [
        (edit(3, "text", &r1), "editedContent"),
        (edit(0, "think", &r1), "editedContent"),
        (edit(0, "image", &r1), "editedContent.type"),
        (edit(0, "text", &u1), "responseMessageId"),
    ] {
        let reply = app.chat(&token, "openAI", &body).await;
        assert_eq!(reply.status, 400, "{body}: {:?}", reply.events);
        let text = reply.events[0].1["text"].as_str().unwrap();
        assert!(text.contains(words), "{text}");
    }
    assert_eq!(fakes.openai.requests().len(), upstream_calls);

    let second = app.chat(&token, "openAI", &edit(0, "text", &r1)).await;
    let answer = &second.final_event()["responseMessage"];
    // A new answer beside the edited one, whose stored content is the edit followed by what
    // the model added.
    assert_ne!(answer["messageId"], r1.as_str());
    assert_eq!(answer["parentMessageId"], u1.as_str());
    assert_eq!(
        answer["content"],
        json!([{"type": "text", "text": "Edited start echo: one"}])
    );
    // The model saw the edited answer as the last turn (trailing white space trimmed, as
    // Anthropic requires).
    let sent = fakes
        .openai
        .requests()
        .into_iter()
        .rev()
        .find(|r| {
            r.body["messages"].as_array().and_then(|m| m.last())
                == Some(&json!({"role": "assistant", "content": "Edited start"}))
        })
        .expect("an upstream request ending with the edited answer");
    assert_eq!(
        sent.body["messages"],
        json!([
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "Edited start"},
        ])
    );

    // Stored: the edited answer unchanged, the new one beside it.
    let (_, msgs) = app
        .call(&token, Method::GET, &format!("/api/messages/{c}"), None)
        .await;
    let msgs = msgs.as_array().unwrap();
    assert_eq!(msgs.len(), 3);
    let old = msgs.iter().find(|m| m["messageId"] == r1.as_str()).unwrap();
    assert_eq!(
        old["content"],
        json!([{"type": "text", "text": "echo: one"}])
    );
    let new = msgs
        .iter()
        .find(|m| m["messageId"] == answer["messageId"])
        .unwrap();
    assert_eq!(new["content"], answer["content"]);
    wait_for_live_generations(&app, 0).await;
}

/// The last upstream request body that mentions `needle` (title requests come after).
fn sent_with(fake: &FakeLlm, needle: &str) -> Value {
    fake.requests()
        .into_iter()
        .rev()
        .map(|r| r.body)
        .find(|b| b.to_string().contains(needle))
        .unwrap_or_else(|| panic!("no request mentions {needle}"))
}

/// Whether poppler's `pdftotext` runs here (checked off the test's runtime threads).
async fn pdftotext_installed() -> bool {
    tokio::task::spawn_blocking(|| {
        std::process::Command::new("pdftotext")
            .arg("-v")
            .output()
            .is_ok()
    })
    .await
    .unwrap()
}

/// A one-page PDF saying `text` (Helvetica, no compression), with a correct cross-reference
/// table.
fn tiny_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 20 100 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[tokio::test]
async fn attached_pdf_and_word_documents_reach_the_model_as_their_text() {
    let (app, token, fakes) = setup().await;
    let pdf = upload_file(
        &app,
        &token,
        "memo.pdf",
        "application/pdf",
        &tiny_pdf("Quarterly numbers are up"),
    )
    .await;
    let mut body = payload("openAI", "gpt-4o-mini", "Summarize");
    body["files"] = json!([{"file_id": pdf, "type": "application/pdf"}]);
    let reply = app.chat(&token, "openAI", &body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.events);
    // The answer's request, not the title's (which quotes the exchange).
    let up = sent_with(&fakes.openai, "\"content\":\"Summarize");
    let text = up["messages"][0]["content"].as_str().unwrap().to_owned();
    if pdftotext_installed().await {
        assert_eq!(
            text,
            "Summarize\n\n--- Attached file: memo.pdf (the text of a PDF) ---\n\
             Quarterly numbers are up\n--- End of memo.pdf ---"
        );
    } else {
        eprintln!(
            "*** SKIPPED: a PDF's text is not checked: pdftotext unavailable; install poppler-utils"
        );
        assert!(
            text.contains("PDF text extraction is not installed"),
            "{text}"
        );
    }

    // A Word document: its paragraphs, read in process.
    let docx = {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file(
            "word/document.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(br#"<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>Plan &amp; budget</w:t></w:r></w:p><w:p><w:r><w:t>Ship in May</w:t></w:r></w:p></w:body></w:document>"#)
            .unwrap();
        zip.finish().unwrap().into_inner()
    };
    let word = upload_file(
        &app,
        &token,
        "plan.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &docx,
    )
    .await;
    let mut body = payload("openAI", "gpt-4o-mini", "Review");
    body["files"] = json!([{"file_id": word}]);
    let reply = app.chat(&token, "openAI", &body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.events);
    let up = sent_with(&fakes.openai, "\"content\":\"Review");
    assert_eq!(
        up["messages"][0]["content"],
        "Review\n\n--- Attached file: plan.docx (its text) ---\nPlan & budget\nShip in May\n--- End of plan.docx ---"
    );
}

/// An image as PNG bytes.
fn png_of(image: &image::DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A large photo reaches the model scaled to fit 2048 pixels, as JPEG (its first turn and a
/// later one, from memory); a file that only claims to be an image becomes a note; an image
/// labelled with the wrong type goes with the type its bytes show.
#[tokio::test]
async fn large_images_are_scaled_down_and_fake_ones_become_notes() {
    let (app, token, fakes) = setup().await;
    let photo = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(2600, 400, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    }));
    let big = upload_file(&app, &token, "photo.png", "image/png", &png_of(&photo)).await;
    let fake = upload_file(
        &app,
        &token,
        "cat.png",
        "image/png",
        b"\x89PNG\r\n\x1a\nnope",
    )
    .await;
    let small = png_of(&image::DynamicImage::new_rgb8(3, 3));
    let mislabelled = upload_file(&app, &token, "icon.jpg", "image/jpeg", &small).await;
    let mut body = payload("anthropic", "claude-test", "What is this?");
    body["files"] = json!([{"file_id": big}, {"file_id": fake}, {"file_id": mislabelled}]);
    let reply = app.chat(&token, "anthropic", &body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.events);
    // The chat request (not the title's, which quotes the exchange as text).
    let with_images = |text: &str| {
        fakes
            .anthropic
            .requests()
            .into_iter()
            .rev()
            .map(|r| r.body)
            .find(|b| b["messages"][0]["content"].is_array() && b.to_string().contains(text))
            .unwrap_or_else(|| panic!("no request with images mentions {text}"))
    };
    let up = with_images("What is this?");
    let content = up["messages"][0]["content"].as_array().unwrap();
    assert_eq!(content.len(), 3, "{content:?}");
    let scaled = &content[0]["source"];
    assert_eq!(scaled["media_type"], "image/jpeg");
    let bytes = STANDARD.decode(scaled["data"].as_str().unwrap()).unwrap();
    let back = image::load_from_memory(&bytes).unwrap();
    assert_eq!((back.width(), back.height()), (2048, 315));
    assert_eq!(content[1]["source"]["media_type"], "image/png");
    assert_eq!(content[1]["source"]["data"], STANDARD.encode(&small));
    assert_eq!(
        content[2]["text"],
        "What is this?\n\n[Attached image cat.png (image/png, 12 bytes): it is not available to you: it could not be read as an image]"
    );

    // The next turn sends the same scaled copy.
    let conversation = reply.created()["conversationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = reply.final_event()["responseMessage"]["messageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = app
        .chat(
            &token,
            "anthropic",
            &follow_up("anthropic", "claude-test", "And?", &conversation, &answer),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.events);
    let up = with_images("And?");
    assert_eq!(up["messages"][0]["content"][0]["source"], *scaled);
}

/// Uploads a file through the native API; returns its ID.
async fn upload_file(app: &TestApp, token: &str, name: &str, kind: &str, body: &[u8]) -> String {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/files?filename={name}")))
        .bearer_auth(token)
        .header("content-type", kind)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let file: Value = res.json().await.unwrap();
    file["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn attached_files_reach_every_provider_and_stay_with_the_message() {
    let (app, token, fakes) = setup().await;
    let png = png_of(&image::DynamicImage::new_rgb8(2, 2));
    let image = upload_file(&app, &token, "cat.png", "image/png", &png).await;
    let notes = upload_file(
        &app,
        &token,
        "notes.md",
        "text/markdown",
        b"# Plan\nship it\n",
    )
    .await;
    let pdf = upload_file(
        &app,
        &token,
        "report.pdf",
        "application/pdf",
        b"%PDF-1.7 ...",
    )
    .await;
    let png64 = STANDARD.encode(&png);
    let why = if pdftotext_installed().await {
        "it could not be read as a PDF"
    } else {
        "PDF text extraction is not installed on the server"
    };
    let said = format!(
        "Describe\n\n--- Attached file: notes.md ---\n# Plan\nship it\n--- End of notes.md ---\
        \n\n[Attached file report.pdf (application/pdf, 12 bytes): its text is not available to you: {why}]"
    );
    let files = json!([
        {"file_id": image, "filepath": "/x", "type": "image/png"},
        {"file_id": notes, "type": "text/markdown"},
        {"file_id": pdf, "type": "application/pdf"},
    ]);
    let cases = [
        ("openAI", "gpt-4o-mini", &fakes.openai),
        ("anthropic", "claude-test", &fakes.anthropic),
        ("google", "gemini-test", &fakes.google),
    ];
    let mut first_conversation = None;
    for (endpoint, model, fake) in cases {
        let mut body = payload(endpoint, model, "Describe");
        body["files"] = files.clone();
        let reply = app.chat(&token, endpoint, &body).await;
        assert_eq!(reply.status, 200, "{endpoint}: {:?}", reply.events);
        let created = reply.created();
        let stored = created["files"].as_array().unwrap();
        assert_eq!(stored.len(), 3);
        assert_eq!(stored[0]["file_id"], image.as_str());
        assert_eq!(stored[0]["filename"], "cat.png");
        assert_eq!(stored[1]["type"], "text/markdown");
        first_conversation.get_or_insert_with(|| {
            (
                created["conversationId"].as_str().unwrap().to_owned(),
                reply.final_event()["responseMessage"]["messageId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        });
        let up = sent_with(fake, &png64);
        match endpoint {
            "openAI" => assert_eq!(
                up["messages"][0]["content"],
                json!([
                    {"type": "text", "text": said},
                    {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{png64}")}},
                ])
            ),
            "anthropic" => assert_eq!(
                up["messages"][0]["content"],
                json!([
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png64}},
                    {"type": "text", "text": said},
                ])
            ),
            _ => assert_eq!(
                up["contents"][0]["parts"],
                json!([
                    {"text": said},
                    {"inline_data": {"mime_type": "image/png", "data": png64}},
                ])
            ),
        }
    }

    // The message keeps its files: the list shows them, and a later turn sends them again.
    let (conversation, answer) = first_conversation.unwrap();
    let (_, messages) = app
        .call(
            &token,
            Method::GET,
            &format!("/api/messages/{conversation}"),
            None,
        )
        .await;
    assert_eq!(messages[0]["files"][0]["file_id"], image.as_str());
    let (status, _) = app
        .call(
            &token,
            Method::DELETE,
            &format!("/api/v1/files/{notes}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let reply = app
        .chat(
            &token,
            "openAI",
            &follow_up("openAI", "gpt-4o-mini", "And now?", &conversation, &answer),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.events);
    let up = sent_with(&fakes.openai, "And now?");
    let first = &up["messages"][0]["content"];
    assert_eq!(
        first[1]["image_url"]["url"],
        format!("data:image/png;base64,{png64}")
    );
    assert!(
        first[0]["text"]
            .as_str()
            .unwrap()
            .contains("[An attached file was deleted"),
        "{first}"
    );
    assert_eq!(up["messages"][2]["content"], "And now?");

    // Only the user's own files, by ID.
    let eve = app.user().email("eve@example.com").create().await;
    let eve_token = app.token_for(&eve.email).await;
    let mut body = payload("openAI", "gpt-4o-mini", "Mine?");
    body["files"] = json!([{"file_id": image}]);
    let reply = app.chat(&eve_token, "openAI", &body).await;
    assert_eq!(reply.status, 400, "{:?}", reply.events);
    body["files"] = json!([{"file_id": "../../etc/passwd"}]);
    let reply = app.chat(&eve_token, "openAI", &body).await;
    assert_eq!(reply.status, 400);
}
