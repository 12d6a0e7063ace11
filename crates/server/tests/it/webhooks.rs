//! Webhooks end to end: a real HTTP receiver gets the user's events, signed (checked by the
//! official Standard Webhooks Python library), retried on failure with the same ID, given up
//! after the schedule, stopped by 410 Gone, resumed after a restart; URLs to private
//! addresses are refused unless the operator allows them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use ferrochat_test_support::fixtures::conversation;
use ferrochat_test_support::{TestApp, TestDb};
use reqwest::Method;
use serde_json::{Value, json};

/// One request a receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Clone, Default)]
struct Script {
    got: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer, in order; 204 once they run out.
    answers: Arc<Mutex<Vec<u16>>>,
}

/// An HTTP server that records what it is sent and answers as scripted.
struct Receiver {
    url: String,
    script: Script,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(answers: &[u16]) -> Self {
        Self::on(
            tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
            answers,
        )
    }

    fn on(listener: tokio::net::TcpListener, answers: &[u16]) -> Self {
        let port = listener.local_addr().unwrap().port();
        let script = Script {
            got: Arc::default(),
            answers: Arc::new(Mutex::new(answers.to_vec())),
        };
        async fn hook(State(s): State<Script>, headers: HeaderMap, body: Bytes) -> StatusCode {
            s.got.lock().unwrap().push(Received {
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                    .collect(),
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let mut answers = s.answers.lock().unwrap();
            let code = if answers.is_empty() {
                204
            } else {
                answers.remove(0)
            };
            StatusCode::from_u16(code).unwrap()
        }
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(script.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            script,
            task,
        }
    }

    fn got(&self) -> Vec<Received> {
        self.script.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests have arrived (10 s at most).
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} requests, got {}: {got:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Verifies each request with the official `standardwebhooks` library (PyPI, installed on
/// first use), as a receiver would; returns the payloads it accepted.
fn verify_with_standard_webhooks(secret: &str, got: &[Received]) {
    assert!(
        super::python::package("standardwebhooks", "standardwebhooks"),
        "the standardwebhooks Python package is needed (pip install standardwebhooks)"
    );
    let cases: Vec<Value> = got
        .iter()
        .map(|r| {
            let headers: serde_json::Map<String, Value> = r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            json!({ "body": r.body, "headers": headers })
        })
        .collect();
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
secret, cases = sys.argv[1], json.loads(sys.stdin.read())
wh = Webhook(secret)
for case in cases:
    wh.verify(case["body"], case["headers"])
# A tampered body must fail.
try:
    wh.verify(cases[0]["body"] + " ", cases[0]["headers"])
    sys.exit("tampered body verified")
except Exception:
    pass
print(len(cases))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, secret])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(cases).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "standardwebhooks refused a signature");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        got.len().to_string()
    );
}

async fn app_allowing_loopback(delays: &str) -> TestApp {
    TestApp::builder()
        .env("EGRESS_ALLOWLIST", "127.0.0.1")
        .env("WEBHOOK_RETRY_DELAYS", delays)
        .spawn()
        .await
}

/// The deliveries of a webhook, newest first.
async fn log(app: &TestApp, token: &str, hook: &str) -> Vec<Value> {
    let (status, page) = app
        .call(
            token,
            Method::GET,
            &format!("/api/v1/webhooks/{hook}/deliveries"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    page["data"].as_array().unwrap().clone()
}

/// Waits until the webhook's newest delivery has `status`.
async fn settled(app: &TestApp, token: &str, hook: &str, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let deliveries = log(app, token, hook).await;
        if let Some(d) = deliveries.first().filter(|d| d["status"] == status) {
            return d.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no {status} delivery: {deliveries:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_receiver_gets_signed_events_and_a_failed_attempt_is_retried_with_the_same_id() {
    let app = app_allowing_loopback("200ms,200ms").await;
    let ada = app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let receiver = Receiver::start(&[500]).await;

    let (status, made) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({
                "url": receiver.url,
                "events": ["conversation.created", "conversation.updated"],
                "description": "sync to my notes app",
            })),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let hook = made["id"].as_str().unwrap().to_owned();
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(made["active"], true);
    assert_eq!(
        made["events"],
        json!(["conversation.created", "conversation.updated"])
    );
    // The secret is shown once.
    let (_, read) = app
        .call(&t, Method::GET, &format!("/api/v1/webhooks/{hook}"), None)
        .await;
    assert!(read.get("secret").is_none(), "{read}");
    assert_eq!(read["description"], "sync to my notes app");

    // A new conversation (its messages are events it did not ask for).
    let (convo, _) = conversation(&app, &ada, "Notes").await;
    let got = receiver.wait_for(2).await;
    // First attempt answered 500, the retry 204: the same delivery, ID and body.
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    assert_eq!(got[0].body, got[1].body);
    let event = got[1].json();
    assert_eq!(event["type"], "conversation.created");
    assert_eq!(event["id"], got[1].header("webhook-id"));
    assert_eq!(event["data"]["conversation_id"], convo.id.to_string());
    assert_eq!(event["data"]["user_id"], ada.id.to_string());
    assert_eq!(got[1].header("content-type"), "application/json");
    assert_eq!(got[1].header("user-agent"), "ferrochat-webhooks");

    let delivered = settled(&app, &t, &hook, "delivered").await;
    assert_eq!(delivered["attempts"], 2);
    assert_eq!(delivered["response_status"], 204);
    assert_eq!(delivered["next_attempt_at"], Value::Null);
    assert_eq!(delivered["payload"], event);

    // A rename is delivered too; nothing else was sent (messages were not asked for).
    let (status, _) = app
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/conversations/{}", convo.id),
            Some(json!({ "title": "Renamed" })),
        )
        .await;
    assert_eq!(status, 200);
    let got = receiver.wait_for(3).await;
    assert_eq!(got[2].json()["type"], "conversation.updated");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.got().len(), 3, "only the events asked for");

    verify_with_standard_webhooks(&secret, &receiver.got());

    // After a rotation, only the new secret verifies.
    let (status, rotated) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/webhooks/{hook}/secret"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let (status, ping) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/webhooks/{hook}/ping"),
            None,
        )
        .await;
    assert_eq!(
        (status, ping["event"].as_str()),
        (202, Some("webhook.ping"))
    );
    let got = receiver.wait_for(4).await;
    assert_eq!(got[3].json()["data"]["webhook_id"], hook);
    verify_with_standard_webhooks(&new_secret, &got[3..]);
}

#[tokio::test]
async fn retries_end_after_the_schedule_a_redelivery_starts_over_and_410_turns_it_off() {
    let app = app_allowing_loopback("100ms").await;
    app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let receiver = Receiver::start(&[503, 503]).await;
    let (_, made) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": receiver.url, "events": ["*"] })),
        )
        .await;
    let hook = made["id"].as_str().unwrap().to_owned();

    app.call(
        &t,
        Method::POST,
        &format!("/api/v1/webhooks/{hook}/ping"),
        None,
    )
    .await;
    let failed = settled(&app, &t, &hook, "failed").await;
    assert_eq!(failed["attempts"], 2);
    assert_eq!(failed["response_status"], 503);
    assert_eq!(
        failed["last_error"],
        "the receiver answered 503 (gave up after 2 attempts)"
    );
    let id = failed["id"].as_str().unwrap();

    // Sent again by hand: the receiver is fine now.
    let (status, again) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/webhooks/{hook}/deliveries/{id}/redeliver"),
            None,
        )
        .await;
    assert_eq!(status, 202, "{again}");
    let delivered = settled(&app, &t, &hook, "delivered").await;
    assert_eq!(
        (delivered["id"].as_str(), &delivered["attempts"]),
        (Some(id), &json!(1))
    );
    let (status, one) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/webhooks/{hook}/deliveries/{id}"),
            None,
        )
        .await;
    assert_eq!((status, &one["status"]), (200, &json!("delivered")));

    // 410 Gone: the delivery fails at once and the webhook is turned off.
    receiver.script.answers.lock().unwrap().push(410);
    app.call(
        &t,
        Method::POST,
        &format!("/api/v1/webhooks/{hook}/ping"),
        None,
    )
    .await;
    let gone = settled(&app, &t, &hook, "failed").await;
    assert_eq!(
        (&gone["attempts"], &gone["response_status"]),
        (&json!(1), &json!(410))
    );
    let (_, off) = app
        .call(&t, Method::GET, &format!("/api/v1/webhooks/{hook}"), None)
        .await;
    assert_eq!(off["active"], false);
    assert_eq!(off["disabled_reason"], "the receiver answered 410 Gone");
    let (status, refused) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/webhooks/{hook}/ping"),
            None,
        )
        .await;
    assert_eq!(
        (status, &refused["code"]),
        (422, &json!("validation_failed"))
    );
    // Turned on again by its owner.
    let (status, on) = app
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/webhooks/{hook}"),
            Some(json!({ "active": true })),
        )
        .await;
    assert_eq!(
        (status, &on["active"], &on["disabled_reason"]),
        (200, &json!(true), &Value::Null)
    );

    // The log pages newest first.
    let (status, page) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/webhooks/{hook}/deliveries?limit=1"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["has_more"], true);
    assert_eq!(page["data"][0]["id"], gone["id"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/webhooks/{hook}/deliveries?limit=5&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(rest["data"][0]["id"], id);
    assert_eq!(rest["has_more"], false);

    // Deleting it drops its log.
    let (status, _) = app
        .call(
            &t,
            Method::DELETE,
            &format!("/api/v1/webhooks/{hook}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/webhooks/{hook}/deliveries"),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn private_addresses_are_refused_and_input_is_checked() {
    let app = TestApp::builder()
        .env("WEBHOOK_MAX_PER_USER", "1")
        .spawn()
        .await;
    app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;
    let create = |body: Value| {
        let (app, t) = (&app, t.clone());
        async move {
            app.call(&t, Method::POST, "/api/v1/webhooks", Some(body))
                .await
        }
    };
    // No allowlist: loopback, cloud metadata, private and mapped forms are refused.
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
    ] {
        let (status, body) = create(json!({ "url": url, "events": ["*"] })).await;
        assert_eq!(status, 422, "{url}: {body}");
        assert_eq!(body["errors"][0]["field"], "url", "{body}");
    }
    for (body, field) in [
        (
            json!({ "url": "ftp://example.com/", "events": ["*"] }),
            "url",
        ),
        (
            json!({ "url": "https://93.184.215.14/", "events": [] }),
            "events",
        ),
        (
            json!({ "url": "https://93.184.215.14/", "events": ["message.exploded"] }),
            "events",
        ),
        (
            json!({ "url": "https://93.184.215.14/", "events": ["*"], "description": "x".repeat(501) }),
            "description",
        ),
    ] {
        let (status, problem) = create(body.clone()).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (status, problem) =
        create(json!({ "url": "https://93.184.215.14/", "events": ["*"], "secret": "mine" })).await;
    assert_eq!(status, 400, "unknown fields are refused: {problem}");

    // A public address is fine (nothing is sent until an event); the per-user limit holds.
    let (status, made) =
        create(json!({ "url": "https://93.184.215.14/hook", "events": ["message.created"] })).await;
    assert_eq!(status, 201, "{made}");
    let hook = made["id"].as_str().unwrap().to_owned();
    let (status, problem) =
        create(json!({ "url": "https://93.184.215.14/b", "events": ["*"] })).await;
    assert_eq!(status, 422, "{problem}");
    // Nor can an edit point it inward.
    let (status, _) = app
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/webhooks/{hook}"),
            Some(json!({ "url": "http://127.0.0.1:1/" })),
        )
        .await;
    assert_eq!(status, 422);

    // Someone else's webhook does not exist for them.
    for (method, path) in [
        (Method::GET, format!("/api/v1/webhooks/{hook}")),
        (Method::PATCH, format!("/api/v1/webhooks/{hook}")),
        (Method::DELETE, format!("/api/v1/webhooks/{hook}")),
        (Method::POST, format!("/api/v1/webhooks/{hook}/ping")),
        (Method::POST, format!("/api/v1/webhooks/{hook}/secret")),
        (Method::GET, format!("/api/v1/webhooks/{hook}/deliveries")),
        (Method::GET, "/api/v1/webhooks/not-an-id".to_owned()),
    ] {
        let body = (method == Method::PATCH).then(|| json!({ "active": false }));
        let (status, problem) = app.call(&te, method.clone(), &path, body).await;
        assert_eq!(
            (status, &problem["code"]),
            (404, &json!("not_found")),
            "{method} {path}"
        );
    }
    let (status, list) = app.call(&te, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!(
        (status, list["data"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    let (_, list) = app.call(&t, Method::GET, "/api/v1/webhooks", None).await;
    assert_eq!(list["data"][0]["id"], hook);
}

#[tokio::test]
async fn webhooks_can_be_turned_off_by_the_operator() {
    let app = TestApp::builder()
        .env("WEBHOOKS_ENABLED", "false")
        .spawn()
        .await;
    app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let (status, problem) = app
        .call(
            &t,
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": "https://93.184.215.14/", "events": ["*"] })),
        )
        .await;
    assert_eq!(
        (status, &problem["code"]),
        (403, &json!("forbidden")),
        "{problem}"
    );
}

/// A delivery outlives the instance that queued it: the receiver is down, the server stops,
/// a new one on the same database sends it once the receiver is up.
#[tokio::test]
async fn a_queued_delivery_survives_a_restart() {
    let db = TestDb::sqlite();
    let creds = "ab".repeat(32);
    let spot = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = spot.local_addr().unwrap().port();
    drop(spot);
    let start = |db_url: String| {
        let creds = creds.clone();
        async move {
            TestApp::builder()
                .env("DATABASE_URL", &db_url)
                .env("CREDS_KEY", &creds)
                .env("EGRESS_ALLOWLIST", "127.0.0.1")
                .env(
                    "WEBHOOK_RETRY_DELAYS",
                    "300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms",
                )
                .spawn()
                .await
        }
    };
    let first = start(db.url().to_owned()).await;
    first.user().email("ada@example.com").create().await;
    let t = first.token_for("ada@example.com").await;
    let (status, made) = first
        .call(
            &t,
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": format!("http://127.0.0.1:{port}/hook"), "events": ["*"] })),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let hook = made["id"].as_str().unwrap().to_owned();
    let (_, ping) = first
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/webhooks/{hook}/ping"),
            None,
        )
        .await;
    // Wait for a failed attempt (nothing listens), then stop this instance.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let d = &log(&first, &t, &hook).await[0];
        if d["attempts"].as_u64().unwrap_or(0) >= 1 {
            assert_eq!(d["status"], "pending", "{d}");
            assert!(d["last_error"].as_str().is_some(), "{d}");
            break;
        }
        assert!(Instant::now() < deadline, "no attempt: {d}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.stop().await.unwrap();

    let receiver = Receiver::on(
        tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap(),
        &[],
    );
    let second = start(db.url().to_owned()).await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].header("webhook-id"), ping["id"].as_str().unwrap());
    let t2 = second.token_for("ada@example.com").await;
    let delivered = settled(&second, &t2, &hook, "delivered").await;
    assert!(delivered["attempts"].as_u64().unwrap() >= 2, "{delivered}");
}
