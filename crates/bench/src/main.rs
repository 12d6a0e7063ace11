//! `chat-bench`: measures chat streaming through a release `ferrochat` against a fake OpenAI
//! upstream (in this process) that sends 500 chunks per answer, and prints a Markdown table:
//!
//! - time to first token, calling the upstream directly, through a bare relay process (see
//!   [`relay`]) and through ferrochat, interleaved one request at a time (p50 and p99 of each,
//!   and the differences: what ferrochat adds — auth, storing the user message, the upstream
//!   call, re-framing — and how much of that any extra HTTP hop costs on this machine), with
//!   the hypervisor's steal time in each round's window (see [`steal`]), so that the rounds the
//!   host held up can be told from the others;
//! - 1,000 and 5,000 streams at once (answers paced 20 ms per chunk — 50 tokens/s, a fast
//!   model — so all are open together): how many completed, wall time, ferrochat's peak RSS;
//! - 10,000 streams, 500 at a time: RSS before and after and the live-generation gauge after,
//!   so a leak shows.
//!
//! Usage: `chat-bench --binary target/release/ferrochat [--rounds 1000] [--streams 1000,5000]
//! [--leak 10000] [--rounds-csv FILE]` (bench/run.sh --only streams builds and runs it). Figures compare within one
//! run on one machine; nothing here is asserted by tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod relay;
mod steal;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ferrochat_test_support::fake_llm::{FakeLlm, Format, Paced};
use futures_util::StreamExt;
use serde_json::{Value, json};

struct Args {
    binary: PathBuf,
    rounds: usize,
    streams: Vec<usize>,
    leak: usize,
    pace_ms: u64,
    chunks: usize,
    /// Where to write each first-token round (`--rounds-csv`), for finding what the slow ones
    /// have in common (their time since the server started, say).
    rounds_csv: Option<PathBuf>,
}

fn args() -> Args {
    let mut a = Args {
        binary: PathBuf::from("target/release/ferrochat"),
        rounds: 1000,
        streams: vec![1000, 5000],
        leak: 10_000,
        pace_ms: 20,
        chunks: 500,
        rounds_csv: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            // Absolute: the server runs in a scratch directory of its own.
            "--binary" => a.binary = std::fs::canonicalize(&value).unwrap_or(value.into()),
            "--rounds" => a.rounds = value.parse().expect("--rounds N"),
            "--streams" => {
                a.streams = value
                    .split(',')
                    .filter(|n| !n.trim().is_empty())
                    .map(|n| n.trim().parse().expect("--streams N,M"))
                    .collect();
            }
            "--leak" => a.leak = value.parse().expect("--leak N"),
            "--pace-ms" => a.pace_ms = value.parse().expect("--pace-ms N"),
            "--chunks" => a.chunks = value.parse().expect("--chunks N"),
            "--rounds-csv" => a.rounds_csv = Some(PathBuf::from(value)),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn mb(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// One path's first-token times: as the client saw them, net of the fake upstream's own share
/// when it reported one, and split around that share into the way to the upstream (request sent
/// → the fake has it) and the way back (the fake sends the first token → the client has it).
#[derive(Clone, Default)]
struct Timings {
    total: Vec<Duration>,
    net: Vec<Duration>,
    to_upstream: Vec<Duration>,
    from_upstream: Vec<Duration>,
    /// Steal ticks in each round's window (see [`steal`]), in round order: never sorted.
    steal: Vec<u64>,
}

impl Timings {
    fn push(&mut self, started: Instant, t: Duration, paced: Option<Paced>, steal: u64) {
        self.total.push(t);
        self.steal.push(steal);
        if let Some(paced) = paced {
            self.net.push(t.saturating_sub(paced.own()));
            self.to_upstream
                .push(paced.received.saturating_duration_since(started));
            self.from_upstream
                .push((started + t).saturating_duration_since(paced.sent));
        }
    }

    fn sort(&mut self) {
        for v in [
            &mut self.total,
            &mut self.net,
            &mut self.to_upstream,
            &mut self.from_upstream,
        ] {
            v.sort();
        }
    }

    fn summary(&self) -> String {
        format!(
            "p50 {}, p99 {}",
            ms(pct(&self.total, 0.5)),
            ms(pct(&self.total, 0.99))
        )
    }
}

/// One line per first-token round: when it started (ms since ferrochat was spawned), the direct,
/// relay and ferrochat times in µs, and each path's way to the upstream and back (µs; left empty
/// for a path unless the fake reported its pacing in every round, so no row gets another's), and
/// the steal ticks each path's window saw.
fn write_rounds(path: &std::path::Path, starts: &[Duration], paths: &[Timings; 3]) {
    let mut out = String::from(
        "start_ms,direct_us,relay_us,ferrochat_us,direct_to_us,direct_back_us,relay_to_us,relay_back_us,ferrochat_to_us,ferrochat_back_us,direct_steal,relay_steal,ferrochat_steal\n",
    );
    let us = |v: &[Duration], i: usize| {
        v.get(i)
            .map_or(String::new(), |d| d.as_micros().to_string())
    };
    for (i, start) in starts.iter().enumerate() {
        out.push_str(&start.as_millis().to_string());
        for p in paths {
            out.push_str(&format!(",{}", us(&p.total, i)));
        }
        for p in paths {
            if p.to_upstream.len() == p.total.len() {
                out.push_str(&format!(
                    ",{},{}",
                    us(&p.to_upstream, i),
                    us(&p.from_upstream, i)
                ));
            } else {
                out.push_str(",,");
            }
        }
        for p in paths {
            let steal = p.steal.get(i).map_or(String::new(), u64::to_string);
            out.push_str(&format!(",{steal}"));
        }
        out.push('\n');
    }
    std::fs::write(path, out).expect("write --rounds-csv");
}

/// The times `v` of the rounds `at`, sorted.
fn sorted_at(v: &[Duration], at: &[usize]) -> Vec<Duration> {
    let mut picked: Vec<Duration> = at.iter().filter_map(|&i| v.get(i).copied()).collect();
    picked.sort();
    picked
}

/// p50 and p99 of three sorted series side by side (direct / relay / ferrochat).
fn three_paths(sorted: [&[Duration]; 3]) -> String {
    let [p50, p99] = [0.5, 0.99].map(|p| sorted.map(|v| ms(pct(v, p))).join(" / "));
    format!("p50 {p50}, p99 {p99}")
}

/// What the sorted times `a` add over `b` at p50, p99 and p90; a headline's in bold. Signed:
/// on a noisy run the slower path's p99 can fall below the faster one's, and a difference
/// clamped to zero would read as "adds nothing" rather than "this run cannot tell".
fn added(a: &[Duration], b: &[Duration], headline: bool) -> String {
    let at = |p| secs_ms(pct(a, p).as_secs_f64() - pct(b, p).as_secs_f64());
    let bold = if headline { "**" } else { "" };
    format!(
        "{bold}p50 {}, p99 {}{bold} (p90 {})",
        at(0.5),
        at(0.99),
        at(0.9)
    )
}

/// A 95% interval for what `a` adds over `b` at p99, both in round order: the rounds are
/// resampled with replacement 1,000 times, each round's two times together (a slow moment of
/// the machine stays paired), and the middle 95% of the resampled differences is kept. A
/// change whose effect lies inside it is not told apart from the machine's noise by this run.
fn p99_interval(a: &[Duration], b: &[Duration]) -> String {
    let n = a.len().min(b.len());
    if n == 0 {
        return "n/a".into();
    }
    // xorshift64: a fixed sequence is all resampling needs, and it keeps runs comparable.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut ra, mut rb) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut diffs: Vec<f64> = (0..1000)
        .map(|_| {
            ra.clear();
            rb.clear();
            for _ in 0..n {
                let i = usize::try_from(next() % n as u64).unwrap_or(0);
                ra.push(a[i]);
                rb.push(b[i]);
            }
            ra.sort();
            rb.sort();
            (pct(&ra, 0.99).as_secs_f64() - pct(&rb, 0.99).as_secs_f64()) * 1000.0
        })
        .collect();
    diffs.sort_by(f64::total_cmp);
    format!("{:.3}–{:.3} ms", diffs[25], diffs[974])
}

/// How far over its path's median a round must be to count as a stall.
const STALL: Duration = Duration::from_millis(1);

/// The time beyond which a round of the sorted times `v` is a stall: [`STALL`] over their median.
fn stalled_after(v: &[Duration]) -> Duration {
    pct(v, 0.5) + STALL
}

/// How many of the sorted times `v` are stalls.
fn stalls(v: &[Duration]) -> usize {
    let after = stalled_after(v);
    v.iter().filter(|&&t| t > after).count()
}

fn ms(d: Duration) -> String {
    secs_ms(d.as_secs_f64())
}

/// Seconds, possibly negative (a difference), as milliseconds.
fn secs_ms(secs: f64) -> String {
    format!("{:.3} ms", secs * 1000.0)
}

fn payload(model: &str) -> Value {
    json!({
        "text": "Hello, please answer at length.", "sender": "User", "isCreatedByUser": true,
        "parentMessageId": "00000000-0000-0000-0000-000000000000", "error": false,
        "endpoint": "Bench", "endpointType": "custom", "model": model, "key": "never",
        "isTemporary": false, "isRegenerate": false, "isContinued": false
    })
}

/// An error with its causes: reqwest's own message ("error sending request for url …") names
/// none, and a failed stream under load is only diagnosable by the cause (reset, refused, closed
/// before the head, …).
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Streams one chat through ferrochat to its end; returns the time to the first answer text.
async fn via(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    model: &str,
) -> Result<Duration, String> {
    via_until(client, base, token, model, true)
        .await
        .map(|(_, t)| t)
}

/// Like [`via`], also returning when the request was sent; with `whole` false it hangs up at
/// the first answer text (the client's Stop).
async fn via_until(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    model: &str,
    whole: bool,
) -> Result<(Instant, Duration), String> {
    let started = Instant::now();
    let res = client
        .post(format!("{base}/api/agents/chat/Bench"))
        .bearer_auth(token)
        .json(&payload(model))
        .send()
        .await
        .map_err(|e| causes(&e))?;
    if res.status() != 200 {
        return Err(format!("status {}", res.status()));
    }
    let mut body = res.bytes_stream();
    let mut first = None;
    let mut tail = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| causes(&e))?;
        if first.is_none() && contains(&chunk, b"on_message_delta") {
            let at = started.elapsed();
            if !whole {
                return Ok((started, at));
            }
            first = Some(at);
        }
        tail.extend_from_slice(&chunk);
        if tail.len() > 4096 {
            tail.drain(..tail.len() - 4096);
        }
    }
    if !contains(&tail, b"\"final\":true") {
        return Err("no final event".into());
    }
    first
        .map(|at| (started, at))
        .ok_or_else(|| format!("no text: {}", String::from_utf8_lossy(&tail)))
}

/// The same request shape sent straight to the upstream; hangs up at the first answer text.
/// Returns when the request was sent and how long the first text took.
async fn direct(
    client: &reqwest::Client,
    upstream: &str,
    model: &str,
) -> Result<(Instant, Duration), String> {
    let started = Instant::now();
    let res = client
        .post(format!("{upstream}/chat/completions"))
        .json(&json!({"model": model, "stream": true, "messages": [{"role": "user", "content": "Hello, please answer at length."}]}))
        .send()
        .await
        .map_err(|e| causes(&e))?;
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| causes(&e))?;
        if contains(&chunk, b"\"content\":\"t") {
            return Ok((started, started.elapsed()));
        }
    }
    Err("no text".into())
}

async fn gauge(client: &reqwest::Client, base: &str) -> String {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with("ferrochat_chat_live_generations"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("?")
        .to_owned()
}

/// Runs `n` streams, at most `at_once` together; returns (completed, errors, wall, peak RSS).
async fn many(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    pid: u32,
    n: usize,
    at_once: usize,
    model: &str,
) -> (usize, usize, Duration, u64, Option<String>) {
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid, "VmRSS"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let started = Instant::now();
    let limit = Arc::new(tokio::sync::Semaphore::new(at_once));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        // Connect in waves so the listen backlog is not the thing measured.
        if i % 250 == 249 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let permit = limit.clone().acquire_owned().await.unwrap();
        let (client, base, token, model) = (
            client.clone(),
            base.to_owned(),
            token.to_owned(),
            model.to_owned(),
        );
        let (ok, failed, first_error) = (ok.clone(), failed.clone(), first_error.clone());
        tasks.push(tokio::spawn(async move {
            match via(&client, &base, &token, &model).await {
                Ok(_) => ok.fetch_add(1, Ordering::Relaxed),
                Err(e) => {
                    first_error.lock().unwrap().get_or_insert(e);
                    failed.fetch_add(1, Ordering::Relaxed)
                }
            };
            drop(permit);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    let e = first_error.lock().unwrap().take();
    (
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        wall,
        peak.load(Ordering::Relaxed),
        e,
    )
}

/// Starts this same program as a bare relay to `upstream` (see [`relay`]); returns it and its
/// base URL.
async fn start_relay(upstream: &str) -> (tokio::process::Child, String) {
    let port = ferrochat_test_support::port::unused();
    let child = tokio::process::Command::new(std::env::current_exe().expect("own path"))
        .args(["--relay", upstream, "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start the relay");
    ferrochat_test_support::port::wait_listening(port, Duration::from_secs(10)).await;
    (child, format!("http://127.0.0.1:{port}"))
}

#[tokio::main]
async fn main() {
    let mut raw = std::env::args().skip(1);
    if raw.next().as_deref() == Some("--relay") {
        let upstream = raw.next().expect("--relay UPSTREAM");
        let port = match (raw.next().as_deref(), raw.next()) {
            (Some("--port"), Some(p)) => p.parse().expect("--port N"),
            _ => panic!("--relay UPSTREAM --port N"),
        };
        relay::serve(upstream, port).await;
        return;
    }
    let args = args();
    let fake = FakeLlm::start(Format::OpenAi).await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "endpoints:\n  custom:\n    - name: Bench\n      apiKey: bench\n      baseURL: \"{}\"\n      models: {{ default: [chunks-500] }}\n      titleConvo: false\n",
        fake.base_url()
    );
    std::fs::write(dir.path().join("ferrochat.yaml"), yaml).unwrap();
    let port = ferrochat_test_support::port::unused();
    let spawned = Instant::now();
    let mut server = tokio::process::Command::new(&args.binary)
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORT", port.to_string())
        .env("DATA_DIR", dir.path().join("data"))
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start ferrochat");
    let pid = server.id().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::MAX)
        .build()
        .unwrap();
    for _ in 0..300 {
        if client
            .get(format!("{base}/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let creds = json!({"name": "Bench", "email": "bench@example.com", "username": "bench",
        "password": "bench-password-1", "confirm_password": "bench-password-1"});
    client
        .post(format!("{base}/api/auth/register"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    let login: Value = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": "bench@example.com", "password": "bench-password-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("token").to_owned();
    let upstream = fake.base_url();
    let (mut relay, relay_url) = start_relay(&upstream).await;

    // Warm-up: connections, statement caches, allocator.
    for _ in 0..30 {
        via(&client, &base, &token, "chunks-500").await.unwrap();
        direct(&client, &upstream, "chunks-500").await.unwrap();
        direct(&client, &relay_url, "chunks-500").await.unwrap();
    }
    let idle_rss = rss_kib(pid, "VmRSS");

    let mut rows: Vec<(String, String)> = Vec::new();
    // Time to first token: answers paced like a fast model (a token every 20 ms), and the
    // client hangs up once the first token is in, so the figure is the way to the first token
    // only, not the processing of a 500-chunk burst that no real upstream sends. A pause
    // between rounds lets the previous (stopped) answer be stored first.
    // Each time is also taken net of the fake's own share (from receiving the request to
    // sending that token, which its millisecond timer rounds): what is left is the way there
    // and back, through ferrochat or not, without the upstream's timing noise.
    let mut paths: [Timings; 3] = Default::default();
    let mut round_starts = Vec::with_capacity(args.rounds);
    let paced = "chunks-500-every-20ms";
    let ticks_before = steal::Ticks::now();
    for _ in 0..args.rounds.max(1) {
        round_starts.push(spawned.elapsed());
        for (i, path) in paths.iter_mut().enumerate() {
            let ticks = steal::Ticks::now();
            let (started, t) = match i {
                0 => direct(&client, &upstream, paced).await,
                1 => direct(&client, &relay_url, paced).await,
                _ => via_until(&client, &base, &token, paced, false).await,
            }
            .unwrap();
            let stolen = steal::Ticks::now().steal_since(ticks);
            path.push(started, t, fake.last_paced(), stolen);
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
    }
    let steal_share = steal::Ticks::now().share_since(ticks_before);
    let _ = relay.start_kill();
    if let Some(path) = &args.rounds_csv {
        write_rounds(path, &round_starts, &paths);
    }
    let [d_rounds, r_rounds, v_rounds] = paths.clone().map(|p| p.total);
    // Which round saw steal is a matter of round order, which sorting loses.
    let way_in_rounds = paths.each_ref().map(|p| p.to_upstream.clone());
    let unstolen = steal::unstolen_rounds(&paths.each_ref().map(|p| p.steal.as_slice()));
    let [d_unstolen, v_unstolen] = [&d_rounds, &v_rounds].map(|v| sorted_at(v, &unstolen));
    for path in &mut paths {
        path.sort();
    }
    let steal_rounds = paths
        .iter()
        .zip(&way_in_rounds)
        .filter(|(p, way_in)| way_in.len() == p.steal.len())
        .map(|(p, way_in)| steal::stalled_vs_other(way_in, &p.steal, stalled_after(&p.to_upstream)))
        .collect::<Vec<_>>();
    let [d, r, v] = &paths;
    let rounds = args.rounds;
    rows.push((
        format!(
            "time to first token, upstream direct ({rounds} requests; 500 chunks 20 ms apart; hang up at the first)"
        ),
        d.summary(),
    ));
    rows.push((
        "time to first token, through a bare relay (hyper in and out; no auth, storage or re-framing)".into(),
        r.summary(),
    ));
    rows.push(("time to first token, through ferrochat".into(), v.summary()));
    // The p99 of a difference cannot be read finer than the machine's own jitter, which the
    // direct path shows on its own.
    rows.push((
        "machine jitter: the direct path's own p99 − p50".into(),
        ms(pct(&d.total, 0.99).saturating_sub(pct(&d.total, 0.5))),
    ));
    rows.push((
        "added by the bare relay: one more HTTP hop on this machine".into(),
        added(&r.total, &d.total, false),
    ));
    rows.push((
        "**added by ferrochat**".into(),
        added(&v.total, &d.total, true),
    ));
    rows.push((
        "added by ferrochat over the bare relay: ferrochat's own work".into(),
        added(&v.total, &r.total, false),
    ));
    rows.push((
        "p99 of the added time, 95% interval (rounds resampled): by ferrochat / its own work"
            .into(),
        format!(
            "{} / {}",
            p99_interval(&v_rounds, &d_rounds),
            p99_interval(&v_rounds, &r_rounds)
        ),
    ));
    if [d, r, v].iter().all(|t| !t.net.is_empty()) {
        rows.push((
            "time to first token net of the upstream's own time: direct / relay / ferrochat".into(),
            three_paths([&d.net, &r.net, &v.net]),
        ));
        rows.push((
            "**added by ferrochat, net of the upstream's timer**".into(),
            added(&v.net, &d.net, true),
        ));
        rows.push((
            "added by ferrochat over the bare relay, net of the upstream's timer".into(),
            added(&v.net, &r.net, false),
        ));
        // Where the added time lies: before the upstream has the request (accept, auth, the
        // user's message stored, the upstream call) or after it sends the first token (parse,
        // re-frame, write). Both ways start on a process that sat idle.
        for (what, [dl, rl, vl]) in [
            (
                "way to the upstream (request sent → upstream has it)",
                [&d.to_upstream, &r.to_upstream, &v.to_upstream],
            ),
            (
                "way back (upstream sends the first token → client has it)",
                [&d.from_upstream, &r.from_upstream, &v.from_upstream],
            ),
        ] {
            rows.push((
                format!("{what}: direct / relay / ferrochat"),
                three_paths([dl, rl, vl]),
            ));
            rows.push((format!("{what}: added by ferrochat"), added(vl, dl, false)));
        }
        // The p99 of 1,000 rounds is their tenth slowest: when more than ten rounds of a path
        // stall, the stalls set it, whatever the path's usual time. Counting them per path
        // tells the machine's stalls (every path has them) from ferrochat's own.
        rows.push((
            format!(
                "rounds whose way to the upstream took more than {} over their path's median: direct / relay / ferrochat",
                ms(STALL)
            ),
            [&d.to_upstream, &r.to_upstream, &v.to_upstream]
                .map(|v| stalls(v).to_string())
                .join(" / "),
        ));
    }
    rows.push((
        "hypervisor steal during the first-token rounds (/proc/stat)".into(),
        steal_share,
    ));
    if steal_rounds.len() == 3 {
        rows.push((
            format!(
                "rounds that saw steal (a tick of 10 ms in their window), stalled (more than {} over the median on the way in) and other: direct / relay / ferrochat",
                ms(STALL)
            ),
            steal_rounds.join("; "),
        ));
    }
    // Ticks catch a share of the host's stalls, not all of them (see `steal`): these rounds
    // hold less of the host's interference, not none, and come closer to a dedicated machine.
    if !unstolen.is_empty() {
        rows.push((
            format!(
                "added by ferrochat in the rounds where no path saw steal ({} of {})",
                unstolen.len(),
                d_rounds.len()
            ),
            added(&v_unstolen, &d_unstolen, false),
        ));
    }
    rows.push(("ferrochat RSS after warm-up".into(), mb(idle_rss)));

    for &n in &args.streams {
        let (ok, failed, wall, peak, err) = many(
            &client,
            &base,
            &token,
            pid,
            n,
            n,
            &format!("chunks-{}-every-{}ms", args.chunks, args.pace_ms),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        rows.push((
            format!(
                "{n} concurrent streams ({} chunks, {} ms apart)",
                args.chunks, args.pace_ms
            ),
            format!(
                "{ok} completed, {failed} failed{}, {:.1} s, peak RSS {}, after {}",
                err.map(|e| format!(" (first: {e})")).unwrap_or_default(),
                wall.as_secs_f64(),
                mb(peak),
                mb(rss_kib(pid, "VmRSS"))
            ),
        ));
    }

    if args.leak > 0 {
        let before = rss_kib(pid, "VmRSS");
        let (ok, failed, wall, peak, err) =
            many(&client, &base, &token, pid, args.leak, 500, "chunks-500").await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        rows.push((
            format!("{} streams, 500 at a time", args.leak),
            format!(
                "{ok} completed, {failed} failed{}, {:.1} s; RSS before {}, peak {}, after {}; live generations after: {}",
                err.map(|e| format!(" (first: {e})")).unwrap_or_default(),
                wall.as_secs_f64(),
                mb(before),
                mb(peak),
                mb(rss_kib(pid, "VmRSS")),
                gauge(&client, &base).await
            ),
        ));
    }
    rows.push((
        "ferrochat peak RSS (VmHWM)".into(),
        mb(rss_kib(pid, "VmHWM")),
    ));

    println!("| chat streaming (fake OpenAI upstream, 500 chunks) | result |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
    stop(&mut server, pid).await;
}

/// Stops ferrochat the way an operator does (SIGTERM, then its graceful shutdown), so that an
/// instrumented build (scripts/build-pgo.sh) writes its profile at exit; SIGKILL after 30 s.
async fn stop(server: &mut tokio::process::Child, pid: u32) {
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if signalled
        && let Ok(status) = tokio::time::timeout(Duration::from_secs(30), server.wait()).await
    {
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("chat-bench: ferrochat did not exit cleanly after SIGTERM");
        }
        return;
    }
    eprintln!("chat-bench: ferrochat still running 30 s after SIGTERM, killing it");
    let _ = server.start_kill();
    let _ = server.wait().await;
}
