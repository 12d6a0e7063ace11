//! Each provider against a fake upstream speaking its documented wire format: answers,
//! reasoning, usage, model lists, and every failure case sorted into its kind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ferrochat_providers::{
    ChatProvider, ChatRequest, Kind, Params, ProviderError, Role, StreamItem, Turn, Upstream,
    connect,
};
use ferrochat_test_support::fake_llm::{FakeLlm, Format};
use futures_util::StreamExt;

fn provider(fake: &FakeLlm, format: Format) -> std::sync::Arc<dyn ChatProvider> {
    let kind = match format {
        Format::OpenAi => Kind::OpenAi,
        Format::Anthropic => Kind::Anthropic,
        Format::Google => Kind::Google,
    };
    connect(
        Upstream {
            kind,
            base_url: fake.base_url(),
            api_key: "test-key".into(),
            headers: vec![("x-extra".into(), "1".into())],
            add_params: Default::default(),
            drop_params: vec![],
        },
        ferrochat_providers::http_client(),
    )
}

fn request(model: &str) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        system: Some("be nice".into()),
        turns: vec![
            Turn {
                images: Vec::new(),
                role: Role::User,
                text: "first".into(),
            },
            Turn {
                images: Vec::new(),
                role: Role::Assistant,
                text: "answer".into(),
            },
            Turn {
                images: Vec::new(),
                role: Role::User,
                text: "Hello there".into(),
            },
        ],
        params: Params {
            temperature: Some(0.2),
            ..Params::default()
        },
    }
}

async fn collect(
    p: &dyn ChatProvider,
    model: &str,
) -> (String, String, Vec<StreamItem>, Option<ProviderError>) {
    let mut s = match p.stream(&request(model)).await {
        Ok(s) => s,
        Err(e) => return (String::new(), String::new(), vec![], Some(e)),
    };
    let (mut text, mut reasoning, mut other, mut err) =
        (String::new(), String::new(), vec![], None);
    while let Some(item) = s.next().await {
        match item {
            Ok(StreamItem::Text(t)) => text.push_str(&t),
            Ok(StreamItem::Reasoning(t)) => reasoning.push_str(&t),
            Ok(o) => other.push(o),
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    (text, reasoning, other, err)
}

const FORMATS: [Format; 3] = [Format::OpenAi, Format::Anthropic, Format::Google];

#[tokio::test]
async fn every_provider_streams_answer_reasoning_and_usage() {
    for format in FORMATS {
        let fake = FakeLlm::start(format).await;
        let p = provider(&fake, format);
        let (text, reasoning, other, err) = collect(p.as_ref(), "model-reason").await;
        assert!(err.is_none(), "{format:?}: {err:?}");
        assert_eq!(text, "echo: Hello there", "{format:?}");
        assert_eq!(reasoning, "thinking about it", "{format:?}");
        assert!(
            other.contains(&StreamItem::Finish("stop".into())),
            "{format:?}: {other:?}"
        );
        assert!(
            other.iter().any(|o| matches!(o, StreamItem::Usage(u) if u.prompt_tokens == 11 && u.completion_tokens >= 5)),
            "{format:?}: {other:?}"
        );
        // What went upstream: the key in the provider's header, the system prompt in its place,
        // the whole branch in order.
        let req = &fake.requests()[0];
        assert_eq!(req.headers["x-extra"], "1");
        let body = &req.body;
        match format {
            Format::OpenAi => {
                assert_eq!(req.path, "/v1/chat/completions");
                assert_eq!(req.headers["authorization"], "Bearer test-key");
                assert_eq!(body["messages"][0]["role"], "system");
                assert_eq!(body["messages"].as_array().unwrap().len(), 4);
                assert_eq!(body["temperature"], 0.2);
            }
            Format::Anthropic => {
                assert_eq!(req.path, "/v1/messages");
                assert_eq!(req.headers["x-api-key"], "test-key");
                assert_eq!(req.headers["anthropic-version"], "2023-06-01");
                assert_eq!(body["system"], "be nice");
                assert_eq!(body["messages"].as_array().unwrap().len(), 3);
            }
            Format::Google => {
                assert_eq!(
                    req.path,
                    "/v1beta/models/model-reason:streamGenerateContent?alt=sse"
                );
                assert_eq!(req.headers["x-goog-api-key"], "test-key");
                assert_eq!(body["systemInstruction"]["parts"][0]["text"], "be nice");
                assert_eq!(body["contents"][1]["role"], "model");
                assert_eq!(body["generationConfig"]["temperature"], 0.2);
            }
        }
    }
}

#[tokio::test]
async fn every_failure_case_is_sorted_for_every_provider() {
    for format in FORMATS {
        let fake = FakeLlm::start(format).await;
        let p = provider(&fake, format);
        for (model, code) in [
            ("fail-auth", "provider_auth"),
            ("fail-rate", "provider_rate_limited"),
            ("fail-quota", "provider_quota"),
            ("fail-model", "provider_unknown_model"),
            ("fail-context", "provider_context_too_long"),
            ("fail-500", "provider_error"),
            ("cut", "provider_connection"),
            ("malformed", "provider_malformed"),
            ("error-event", "provider_error"),
        ] {
            let (text, _, _, err) = collect(p.as_ref(), model).await;
            let err = err.unwrap_or_else(|| panic!("{format:?} {model}: no error"));
            assert_eq!(err.code(), code, "{format:?} {model}: {err}");
            if model == "fail-rate" {
                assert!(
                    matches!(err, ProviderError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(20)),
                    "{format:?}: {err:?}"
                );
            }
            if ["cut", "malformed", "error-event"].contains(&model) {
                assert_eq!(
                    text, "echo: He",
                    "{format:?} {model}: the text before the failure arrives"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_provider_lists_models() {
    for format in FORMATS {
        let fake = FakeLlm::start(format).await;
        let models = provider(&fake, format).models().await.unwrap();
        assert_eq!(models, vec!["fetched-a", "fetched-b"], "{format:?}");
        // Requests carry an Accept header even when the call sets none (some gateways insist).
        let sent = fake.requests();
        assert_eq!(sent[0].headers["accept"], "*/*", "{format:?}");
    }
}

#[tokio::test]
async fn azure_uses_the_deployment_path_and_api_key_header() {
    let fake = FakeLlm::start(Format::OpenAi).await;
    let p = connect(
        Upstream {
            kind: Kind::Azure {
                deployment: "dep1".into(),
                api_version: "2024-10-21".into(),
            },
            base_url: fake.url.clone(),
            api_key: "azure-key".into(),
            headers: vec![],
            add_params: Default::default(),
            drop_params: vec![],
        },
        ferrochat_providers::http_client(),
    );
    let (text, _, _, err) = collect(p.as_ref(), "gpt-4o").await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text, "echo: Hello there");
    let req = &fake.requests()[0];
    assert_eq!(
        req.path,
        "/openai/deployments/dep1/chat/completions?api-version=2024-10-21"
    );
    assert_eq!(req.headers["api-key"], "azure-key");
}

#[tokio::test]
async fn dropping_the_stream_closes_the_upstream_connection() {
    let fake = FakeLlm::start(Format::OpenAi).await;
    let p = provider(&fake, Format::OpenAi);
    let mut s = p.stream(&request("slow")).await.unwrap();
    let _ = s.next().await;
    assert_eq!(fake.open_streams(), 1);
    drop(s);
    fake.wait_closed(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn the_guarded_client_resolves_through_the_guard() {
    use ferrochat_providers::egress::EgressGuard;
    let fake = FakeLlm::start(Format::OpenAi).await;
    let port = fake.url.rsplit(':').next().unwrap().to_owned();
    let url = format!("http://localhost:{port}/v1/models");
    // A name that resolves to loopback is refused when connecting, not just when checked.
    let err = EgressGuard::default()
        .client()
        .get(&url)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Connection(m) if m.contains("is private, local or reserved")),
        "{err:?}"
    );
    assert!(fake.requests().is_empty());
    // The operator can allow it by name.
    let (allowed, _) = EgressGuard::new("localhost");
    let res = allowed.client().get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

/// A minimal HTTP proxy: answers `CONNECT host:port` by connecting there and relaying bytes;
/// records each target.
async fn connect_proxy() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut client = BufReader::new(client);
                let mut line = String::new();
                client.read_line(&mut line).await.unwrap();
                let target = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                assert!(line.starts_with("CONNECT "), "{line}");
                loop {
                    let mut header = String::new();
                    client.read_line(&mut header).await.unwrap();
                    if header == "\r\n" || header.is_empty() {
                        break;
                    }
                }
                log.lock().unwrap().push(target.clone());
                let mut upstream = tokio::net::TcpStream::connect(&target).await.unwrap();
                let mut client = client.into_inner();
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (url, seen)
}

#[tokio::test]
async fn calls_go_through_a_configured_proxy() {
    let fake = FakeLlm::start(Format::OpenAi).await;
    let (proxy, seen) = connect_proxy().await;
    let p = connect(
        Upstream {
            kind: Kind::OpenAi,
            base_url: fake.base_url(),
            api_key: "test-key".into(),
            headers: vec![],
            add_params: Default::default(),
            drop_params: vec![],
        },
        ferrochat_providers::HttpClient::with_proxy(&proxy),
    );
    let (text, _, _, err) = collect(p.as_ref(), "gpt-4o").await;
    assert!(err.is_none(), "{err:?}");
    assert!(!text.is_empty());
    let port = fake.url.rsplit(':').next().unwrap().to_owned();
    // The call's tunnel, and maybe by now the spare's (see `spare`): both to the upstream.
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|t| *t == format!("127.0.0.1:{port}")),
        "{seen:?}"
    );
}

/// What [`closing_server`] saw: each connection's accept time, which connections carried a
/// request (in order), and which it closed unused.
#[derive(Default)]
struct Seen {
    accepted: Vec<std::time::Instant>,
    requests: Vec<usize>,
    closed_unused: Vec<usize>,
}

/// An HTTP/1.1 server that answers each request with `Connection: close` (so the client pool
/// cannot reuse the connection) and closes a connection that brings no request within
/// `idle_close`.
async fn closing_server(idle_close: Duration) -> (String, std::sync::Arc<std::sync::Mutex<Seen>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Seen::default()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let index = {
                let mut s = log.lock().unwrap();
                s.accepted.push(std::time::Instant::now());
                s.accepted.len() - 1
            };
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tokio::time::timeout(idle_close, conn.read(&mut buf)).await {
                        Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
                        Err(_) if head.is_empty() => {
                            log.lock().unwrap().closed_unused.push(index);
                            return;
                        }
                        _ => return,
                    }
                }
                log.lock().unwrap().requests.push(index);
                let _ = conn
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
            });
        }
    });
    (url, seen)
}

/// Waits until `done` holds for what the server saw.
async fn until(seen: &std::sync::Mutex<Seen>, done: impl Fn(&Seen) -> bool) {
    for _ in 0..200 {
        if done(&seen.lock().unwrap()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the server never saw what the test waits for");
}

#[tokio::test]
async fn a_spare_connection_opened_ahead_carries_the_next_request() {
    let (url, seen) = closing_server(Duration::from_secs(30)).await;
    let client = ferrochat_providers::http_client();
    let res = client.get(format!("{url}/a")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // The pool had to connect, so a spare was opened beside it.
    until(&seen, |s| s.accepted.len() == 2).await;
    let sent = std::time::Instant::now();
    let res = client.get(format!("{url}/b")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    {
        let s = seen.lock().unwrap();
        assert_eq!(
            s.requests,
            [0, 1],
            "the second request went out on the spare"
        );
        assert!(
            s.accepted[1] < sent,
            "the spare was connected before the request"
        );
    }
    // Taking the spare starts the next one: one spare at a time, never more.
    until(&seen, |s| s.accepted.len() == 3).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(seen.lock().unwrap().accepted.len(), 3);
}

#[tokio::test]
async fn a_spare_the_server_closed_is_not_used() {
    let (url, seen) = closing_server(Duration::from_millis(100)).await;
    let client = ferrochat_providers::http_client();
    client.get(format!("{url}/a")).send().await.unwrap();
    until(&seen, |s| s.closed_unused.contains(&1)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Sent on the closed spare, this request would fail; it gets a new connection instead.
    let res = client.get(format!("{url}/b")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let s = seen.lock().unwrap();
    assert_eq!(s.requests.len(), 2);
    assert!(s.requests[1] >= 2, "{:?}", s.requests);
}

#[tokio::test]
async fn user_supplied_urls_get_no_spare_connection() {
    let (url, seen) = closing_server(Duration::from_secs(30)).await;
    let (guard, _) = ferrochat_providers::egress::EgressGuard::new("127.0.0.1");
    let res = guard.client().get(format!("{url}/a")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(seen.lock().unwrap().accepted.len(), 1);
}
