//! Fake LLM upstreams that speak each provider's documented streaming wire format, frame for
//! frame: OpenAI chat completions (also as Azure), the Anthropic Messages API and Google
//! Gemini (`alt=sse`). The model name picks the behaviour, so a test configures an endpoint
//! whose models are these names:
//!
//! | model contains | behaviour |
//! |---|---|
//! | (anything else) | answers `echo: <last user text>` in chunks of 4 characters |
//! | `reason` | first streams `thinking about it` as reasoning |
//! | `chunks-N` | answers N chunks `tok ` (benchmarks) |
//! | `slow` | waits 100 ms between chunks (50 chunks) |
//! | `every-Nms` | waits N ms between chunks (combine with `chunks-N`) |
//! | `hang` | sends headers and one chunk, then nothing |
//! | `fail-auth` / `fail-rate` / `fail-quota` / `fail-model` / `fail-context` / `fail-500` | the provider's HTTP error answer for that case (rate: `retry-after: 20`) |
//! | `cut` | two chunks, then closes the connection without the end marker |
//! | `malformed` | two chunks, then a frame that is not JSON |
//! | `error-event` | two chunks, then the provider's in-stream error |
//!
//! Every request is recorded (path, headers, JSON body), and the number of response bodies
//! still open is counted, so tests can prove an abort closed the upstream connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Which wire format a fake speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// OpenAI chat completions (`/v1/chat/completions`, and Azure's deployment path).
    OpenAi,
    /// Anthropic Messages (`/v1/messages`).
    Anthropic,
    /// Google Gemini (`/v1beta/models/{model}:streamGenerateContent`).
    Google,
}

/// A request the fake received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Path and query.
    pub path: String,
    /// Headers.
    pub headers: HeaderMap,
    /// JSON body (`Null` for GETs).
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    open_bodies: AtomicUsize,
    /// Frames already built, by (model, prompt): a real upstream's work happens elsewhere, so
    /// the fake should not spend the benchmark machine's CPU rebuilding identical answers.
    answers: Mutex<std::collections::HashMap<(String, String), Answer>>,
    /// For the last paced answer: when the fake received the request and sent the first chunk
    /// after a pause (its own share of a time to first token lies between them).
    last_paced: Mutex<Option<Paced>>,
}

/// When a paced answer's request arrived and its first paced chunk left: the fake's own share
/// of a time to first token lies between the two, and a client in the same process can split
/// its own time around them into the way to the upstream and the way back.
#[derive(Clone, Copy, Debug)]
pub struct Paced {
    /// The request reached the fake's handler (head and body read).
    pub received: Instant,
    /// The first chunk after the pause was handed to the server for writing.
    pub sent: Instant,
}

impl Paced {
    /// The fake's own share: from receiving the request to sending that chunk.
    pub fn own(&self) -> Duration {
        self.sent - self.received
    }
}

/// An answer's frames, built once.
type Answer = Arc<Vec<Bytes>>;

/// Requests kept for inspection (benchmarks send tens of thousands).
const MAX_RECORDED: usize = 10_000;

/// A running fake upstream.
pub struct FakeLlm {
    /// `http://127.0.0.1:port`.
    pub url: String,
    format: Format,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeLlm {
    /// Starts a fake on an ephemeral port.
    pub async fn start(format: Format) -> Self {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .fallback(handle)
            .with_state((format, shared.clone()));
        // A deep accept queue: benchmarks open thousands of streams at once.
        let listener = ferrochat_server::listen("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            // Real providers flush each event at once; so does the fake.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app).await.ok();
        });
        Self {
            url,
            format,
            shared,
            task,
        }
    }

    /// The base URL an endpoint configuration uses (`/v1` for OpenAI, bare otherwise).
    pub fn base_url(&self) -> String {
        match self.format {
            Format::OpenAi => format!("{}/v1", self.url),
            _ => self.url.clone(),
        }
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// For the last answer paced with `every-Nms`: when the fake received the request and sent
    /// the first chunk after a pause, i.e. the upstream's own share of a time to first token, so
    /// a benchmark can take it out of what it measured.
    pub fn last_paced(&self) -> Option<Paced> {
        self.shared.last_paced.lock().unwrap().take()
    }

    /// Streamed response bodies still open (the upstream connections a generation holds).
    pub fn open_streams(&self) -> usize {
        self.shared.open_bodies.load(Ordering::SeqCst)
    }

    /// Waits until no response body is open, or fails after `within`.
    pub async fn wait_closed(&self, within: Duration) {
        let start = tokio::time::Instant::now();
        while self.open_streams() > 0 {
            assert!(
                start.elapsed() < within,
                "{} upstream stream(s) still open after {within:?}",
                self.open_streams()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn handle(State((format, shared)): State<(Format, Arc<Shared>)>, req: Request) -> Response {
    let received = Instant::now();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let headers = req.headers().clone();
    let get = req.method() == axum::http::Method::GET;
    let bytes = axum::body::to_bytes(req.into_body(), 16 << 20)
        .await
        .unwrap_or_default();
    if path.ends_with("/audio/transcriptions") || path.ends_with("/audio/speech") {
        return audio(&shared, path, headers, &bytes);
    }
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    {
        let mut recorded = shared.requests.lock().unwrap();
        if recorded.len() < MAX_RECORDED {
            recorded.push(Recorded {
                path: path.clone(),
                headers,
                body: body.clone(),
            });
        }
    }
    if get {
        return models(format);
    }
    let model = match format {
        Format::Google => path
            .split("/models/")
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .unwrap_or("")
            .to_owned(),
        _ => body["model"].as_str().unwrap_or("").to_owned(),
    };
    if let Some(resp) = http_error(format, &model) {
        return resp;
    }
    let last_user = last_user_text(format, &body);
    let plan = Plan::for_model(&model, &last_user);
    let key = (model.clone(), last_user);
    let cached = shared.answers.lock().unwrap().get(&key).cloned();
    let frames = match cached {
        Some(f) => f,
        None => {
            let built: Answer = Arc::new(
                frames(format, &model, &plan)
                    .into_iter()
                    .map(Bytes::from)
                    .collect(),
            );
            let mut answers = shared.answers.lock().unwrap();
            if answers.len() < 256 {
                answers.insert(key, built.clone());
            }
            built
        }
    };
    stream(frames, plan.delay, plan.ending, shared, received)
}

fn models(format: Format) -> Response {
    let body = match format {
        Format::OpenAi => json!({"object":"list","data":[
            {"id":"fetched-a","object":"model","created":1,"owned_by":"fake"},
            {"id":"fetched-b","object":"model","created":1,"owned_by":"fake"}]}),
        Format::Anthropic => json!({"data":[
            {"id":"fetched-a","type":"model","display_name":"A","created_at":"2025-01-01T00:00:00Z"},
            {"id":"fetched-b","type":"model","display_name":"B","created_at":"2025-01-01T00:00:00Z"}],
            "has_more":false,"first_id":"fetched-a","last_id":"fetched-b"}),
        Format::Google => json!({"models":[
            {"name":"models/fetched-a","supportedGenerationMethods":["generateContent","countTokens"]},
            {"name":"models/embedding-x","supportedGenerationMethods":["embedContent"]},
            {"name":"models/fetched-b","supportedGenerationMethods":["generateContent"]}]}),
    };
    json_response(StatusCode::OK, &body, None)
}

fn json_response(status: StatusCode, body: &Value, retry_after: Option<&str>) -> Response {
    let mut b = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    if let Some(r) = retry_after {
        b = b.header("retry-after", r);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

fn last_user_text(format: Format, body: &Value) -> String {
    let (list, role, text_of): (&str, &str, fn(&Value) -> String) = match format {
        Format::Google => ("contents", "user", |m| {
            m["parts"][0]["text"].as_str().unwrap_or("").to_owned()
        }),
        // A string, or (with images) content blocks whose text blocks are the text.
        _ => ("messages", "user", |m| match &m["content"] {
            Value::Array(blocks) => blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect(),
            other => other.as_str().unwrap_or("").to_owned(),
        }),
    };
    body[list]
        .as_array()
        .and_then(|ms| ms.iter().rev().find(|m| m["role"] == role))
        .map(text_of)
        .unwrap_or_default()
}

/// The provider's HTTP error answer for a `fail-*` model, as each documents it.
fn http_error(format: Format, model: &str) -> Option<Response> {
    let case = ["auth", "rate", "quota", "model", "context", "500"]
        .into_iter()
        .find(|c| model.contains(&format!("fail-{c}")))?;
    let (status, body, retry) = match (format, case) {
        (Format::OpenAi, "auth") => (
            401,
            json!({"error":{"message":"Incorrect API key provided: sk-fake. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}),
            None,
        ),
        (Format::OpenAi, "rate") => (
            429,
            json!({"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}),
            Some("20"),
        ),
        (Format::OpenAi, "quota") => (
            429,
            json!({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}),
            None,
        ),
        (Format::OpenAi, "model") => (
            404,
            json!({"error":{"message":format!("The model `{model}` does not exist or you do not have access to it."),"type":"invalid_request_error","param":null,"code":"model_not_found"}}),
            None,
        ),
        (Format::OpenAi, "context") => (
            400,
            json!({"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}),
            None,
        ),
        (Format::OpenAi, _) => (
            500,
            json!({"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}),
            None,
        ),
        (Format::Anthropic, "auth") => (
            401,
            json!({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}),
            None,
        ),
        (Format::Anthropic, "rate") => (
            429,
            json!({"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}),
            Some("20"),
        ),
        (Format::Anthropic, "quota") => (
            400,
            json!({"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}),
            None,
        ),
        (Format::Anthropic, "model") => (
            404,
            json!({"type":"error","error":{"type":"not_found_error","message":format!("model: {model}")}}),
            None,
        ),
        (Format::Anthropic, "context") => (
            400,
            json!({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}),
            None,
        ),
        (Format::Anthropic, _) => (
            529,
            json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}),
            None,
        ),
        (Format::Google, "auth") => (
            400,
            json!({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}),
            None,
        ),
        (Format::Google, "rate") => (
            429,
            json!({"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"20s"}]}}),
            None,
        ),
        (Format::Google, "quota") => (
            429,
            json!({"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED"}}),
            None,
        ),
        (Format::Google, "model") => (
            404,
            json!({"error":{"code":404,"message":format!("models/{model} is not found for API version v1beta, or is not supported for generateContent."),"status":"NOT_FOUND"}}),
            None,
        ),
        (Format::Google, "context") => (
            400,
            json!({"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}),
            None,
        ),
        (Format::Google, _) => (
            500,
            json!({"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}),
            None,
        ),
    };
    Some(json_response(
        StatusCode::from_u16(status).unwrap(),
        &body,
        retry,
    ))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The format's normal end.
    Normal,
    /// Connection closed without the end marker.
    Cut,
    /// A frame that is not JSON.
    Malformed,
    /// The format's in-stream error.
    ErrorEvent,
    /// Nothing more, connection held open.
    Hang,
}

struct Plan {
    reasoning: Option<String>,
    chunks: Vec<String>,
    delay: Duration,
    ending: Ending,
}

impl Plan {
    fn for_model(model: &str, last_user: &str) -> Self {
        let mut chunks: Vec<String> = if let Some(n) = model
            .split("chunks-")
            .nth(1)
            .and_then(|n| n.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse::<usize>().ok())
        {
            vec!["tok ".to_owned(); n]
        } else if model.contains("slow") {
            vec!["slow ".to_owned(); 50]
        } else {
            let answer: Vec<char> = format!("echo: {last_user}").chars().collect();
            answer.chunks(4).map(|c| c.iter().collect()).collect()
        };
        let ending = if model.contains("cut") {
            Ending::Cut
        } else if model.contains("malformed") {
            Ending::Malformed
        } else if model.contains("error-event") {
            Ending::ErrorEvent
        } else if model.contains("hang") {
            Ending::Hang
        } else {
            Ending::Normal
        };
        if ending != Ending::Normal {
            chunks.truncate(2);
        }
        Self {
            reasoning: model
                .contains("reason")
                .then(|| "thinking about it".to_owned()),
            chunks,
            delay: if let Some(ms) = model
                .split("every-")
                .nth(1)
                .and_then(|rest| rest.strip_suffix("ms").or_else(|| rest.split("ms").next()))
                .and_then(|n| n.parse::<u64>().ok())
            {
                Duration::from_millis(ms)
            } else if model.contains("slow") {
                Duration::from_millis(100)
            } else {
                Duration::ZERO
            },
            ending,
        }
    }
}

fn data(v: &Value) -> String {
    format!("data: {v}\n\n")
}

fn event(name: &str, v: &Value) -> String {
    format!("event: {name}\ndata: {v}\n\n")
}

/// The whole frame sequence of an answer, up to where the plan's ending begins.
fn frames(format: Format, model: &str, plan: &Plan) -> Vec<String> {
    let n = u32::try_from(plan.chunks.len()).unwrap_or(u32::MAX);
    let mut out = Vec::new();
    match format {
        Format::OpenAi => {
            let chunk = |delta: Value, finish: Value| {
                data(
                    &json!({"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1_700_000_000,
                    "model":model,"system_fingerprint":"fp_fake",
                    "choices":[{"index":0,"delta":delta,"logprobs":null,"finish_reason":finish}]}),
                )
            };
            out.push(chunk(
                json!({"role":"assistant","content":"","refusal":null}),
                Value::Null,
            ));
            if let Some(r) = &plan.reasoning {
                out.push(chunk(json!({"reasoning_content": r}), Value::Null));
            }
            for c in &plan.chunks {
                out.push(chunk(json!({"content": c}), Value::Null));
            }
            if plan.ending == Ending::Normal {
                out.push(chunk(json!({}), "stop".into()));
                out.push(data(&json!({"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1_700_000_000,
                    "model":model,"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":n,"total_tokens":11 + n}})));
                out.push("data: [DONE]\n\n".into());
            }
        }
        Format::Anthropic => {
            out.push(event("message_start", &json!({"type":"message_start","message":{"id":"msg_fake","type":"message",
                "role":"assistant","content":[],"model":model,"stop_reason":null,"stop_sequence":null,
                "usage":{"input_tokens":11,"output_tokens":1}}})));
            let mut index = 0;
            if let Some(r) = &plan.reasoning {
                out.push(event("content_block_start", &json!({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})));
                out.push(event("content_block_delta", &json!({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":r}})));
                out.push(event("content_block_delta", &json!({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}})));
                out.push(event(
                    "content_block_stop",
                    &json!({"type":"content_block_stop","index":0}),
                ));
                index = 1;
            }
            out.push(event("content_block_start", &json!({"type":"content_block_start","index":index,"content_block":{"type":"text","text":""}})));
            out.push(event("ping", &json!({"type":"ping"})));
            for c in &plan.chunks {
                out.push(event("content_block_delta", &json!({"type":"content_block_delta","index":index,"delta":{"type":"text_delta","text":c}})));
            }
            if plan.ending == Ending::Normal {
                out.push(event(
                    "content_block_stop",
                    &json!({"type":"content_block_stop","index":index}),
                ));
                out.push(event("message_delta", &json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":n}})));
                out.push(event("message_stop", &json!({"type":"message_stop"})));
            }
        }
        Format::Google => {
            let usage = |c: u32| json!({"promptTokenCount":11,"candidatesTokenCount":c,"totalTokenCount":11 + c});
            if let Some(r) = &plan.reasoning {
                out.push(data(&json!({"candidates":[{"content":{"parts":[{"text":r,"thought":true}],"role":"model"},"index":0}],
                    "usageMetadata":usage(0),"modelVersion":model})));
            }
            let last = plan.chunks.len().saturating_sub(1);
            for (i, c) in plan.chunks.iter().enumerate() {
                let mut cand = json!({"content":{"parts":[{"text":c}],"role":"model"},"index":0});
                if i == last && plan.ending == Ending::Normal {
                    cand["finishReason"] = "STOP".into();
                }
                let done = u32::try_from(i + 1).unwrap_or(0);
                out.push(data(
                    &json!({"candidates":[cand],"usageMetadata":usage(done),"modelVersion":model}),
                ));
            }
        }
    }
    match plan.ending {
        Ending::Malformed => out.push("data: {\"choices\": [oops\n\n".into()),
        Ending::ErrorEvent => out.push(match format {
            Format::OpenAi => data(&json!({"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}})),
            Format::Anthropic => event("error", &json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})),
            Format::Google => data(&json!({"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}})),
        }),
        _ => {}
    }
    out
}

/// Counts an open response body until dropped.
struct OpenBody(Arc<Shared>);

impl Drop for OpenBody {
    fn drop(&mut self) {
        self.0.open_bodies.fetch_sub(1, Ordering::SeqCst);
    }
}

fn stream(
    frames: Arc<Vec<Bytes>>,
    delay: Duration,
    ending: Ending,
    shared: Arc<Shared>,
    received: Instant,
) -> Response {
    shared.open_bodies.fetch_add(1, Ordering::SeqCst);
    let guard = OpenBody(shared);
    let frames = (0..frames.len()).map(move |i| frames[i].clone());
    let state = (frames, guard, 0usize);
    let body = futures_util::stream::unfold(state, move |(mut frames, guard, sent)| async move {
        if sent > 0 && !delay.is_zero() {
            tokio::time::sleep(delay).await;
            if sent == 1 {
                *guard.0.last_paced.lock().unwrap() = Some(Paced {
                    received,
                    sent: Instant::now(),
                });
            }
        }
        match frames.next() {
            Some(f) => Some((Ok(f), (frames, guard, sent + 1))),
            None if ending == Ending::Hang => {
                std::future::pending::<()>().await;
                None
            }
            // An error in the body makes the server drop the connection without the final
            // chunk: the client sees a reset mid-stream.
            None if ending == Ending::Cut => Some((
                {
                    // Let the chunks before it reach the client first.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "cut",
                    ))
                },
                (frames, guard, sent + 1),
            )),
            None => None,
        }
    });
    Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(body))
        .unwrap()
}

/// The parts of a `multipart/form-data` body: (name, filename, content type, data).
type Part = (String, Option<String>, Option<String>, Vec<u8>);

fn multipart(headers: &HeaderMap, body: &[u8]) -> Vec<Part> {
    let Some(boundary) = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("boundary=").nth(1))
        .map(|b| format!("--{}", b.trim_matches('"')))
    else {
        return Vec::new();
    };
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let mut parts = Vec::new();
    let mut at = find(body, boundary.as_bytes(), 0);
    while let Some(start) = at {
        let head_start = start + boundary.len() + 2;
        let Some(head_end) = find(body, b"\r\n\r\n", head_start) else {
            break;
        };
        let Some(next) = find(body, format!("\r\n{boundary}").as_bytes(), head_end) else {
            break;
        };
        let head = String::from_utf8_lossy(&body[head_start..head_end]).to_string();
        let disposition = head.lines().next().unwrap_or_default();
        let param = |key: &str| {
            disposition
                .split(';')
                .map(str::trim)
                .find_map(|p| p.strip_prefix(&format!("{key}=\"")))
                .map(|v| v.trim_end_matches('"').to_owned())
        };
        let content_type = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
            .map(str::to_owned);
        parts.push((
            param("name").unwrap_or_default(),
            param("filename"),
            content_type,
            body[head_end + 4..next].to_vec(),
        ));
        at = Some(next + 2);
    }
    parts
}

fn openai_error(status: StatusCode, message: &str, code: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}})
            .to_string(),
    )
        .into_response()
}

/// OpenAI's audio API. Transcriptions: a file whose bytes begin with `SPEECH:` says the rest;
/// `not audio…` is refused as OpenAI refuses unknown formats; the model `whisper-bad-key` has
/// its key refused. Speech: an MP3 header and then `voice:input`; an unknown voice is refused,
/// as is the key of the model `tts-bad-key`.
fn audio(shared: &Shared, path: String, headers: HeaderMap, bytes: &[u8]) -> Response {
    let transcription = path.ends_with("/audio/transcriptions");
    let body = if transcription {
        let parts = multipart(&headers, bytes);
        let field = |name: &str| {
            parts
                .iter()
                .find(|p| p.0 == name)
                .map(|p| String::from_utf8_lossy(&p.3).to_string())
        };
        let file = parts.iter().find(|p| p.0 == "file");
        json!({
            "model": field("model"),
            "response_format": field("response_format"),
            "filename": file.and_then(|f| f.1.clone()),
            "content_type": file.and_then(|f| f.2.clone()),
            "bytes": file.map(|f| f.3.len()),
        })
    } else {
        serde_json::from_slice(bytes).unwrap_or(Value::Null)
    };
    shared.requests.lock().unwrap().push(Recorded {
        path,
        headers: headers.clone(),
        body: body.clone(),
    });
    let model = body["model"].as_str().unwrap_or_default();
    if model.ends_with("bad-key") {
        return openai_error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided: sk-bad. You can find your API key at https://platform.openai.com/account/api-keys.",
            "invalid_api_key",
        );
    }
    if transcription {
        let parts = multipart(&headers, bytes);
        let Some(file) = parts.iter().find(|p| p.0 == "file") else {
            return openai_error(StatusCode::BAD_REQUEST, "you must provide a file", "");
        };
        if file.3.starts_with(b"not audio") {
            return openai_error(
                StatusCode::BAD_REQUEST,
                "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
                "",
            );
        }
        let text = match file.3.strip_prefix(b"SPEECH:") {
            Some(said) => String::from_utf8_lossy(said).to_string(),
            None => format!("audio of {} bytes", file.3.len()),
        };
        return axum::Json(json!({ "text": text })).into_response();
    }
    let voice = body["voice"].as_str().unwrap_or_default();
    const VOICES: [&str; 10] = [
        "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer",
    ];
    if !VOICES.contains(&voice) {
        return openai_error(
            StatusCode::BAD_REQUEST,
            &format!("Invalid value for 'voice': '{voice}'."),
            "invalid_value",
        );
    }
    let mut mp3 = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    mp3.extend_from_slice(
        format!("{voice}:{}", body["input"].as_str().unwrap_or_default()).as_bytes(),
    );
    ([("content-type", "audio/mpeg")], mp3).into_response()
}
