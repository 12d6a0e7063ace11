//! The upstream client's HTTP/1.1 against a scripted server: connections are reused once an
//! answer has been read, a pooled connection the server dropped is replaced without the caller
//! seeing it, and bodies cut short or framed badly are errors, not truncated answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrochat_providers::{HttpClient, ProviderError, Response};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Clone, Copy)]
enum Reply {
    /// Writes these bytes and waits for the next request on the connection.
    Send(&'static str),
    /// Writes these bytes and closes the connection.
    SendAndClose(&'static str),
    /// Reads the request and closes the connection without answering.
    Drop,
}

/// Requests the server read: `(connection index, request head)`.
type Log = Arc<Mutex<Vec<(usize, String)>>>;

/// A server that plays `script[i]` on its i-th connection, one reply per request.
async fn scripted(script: Vec<Vec<Reply>>) -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let seen = log.clone();
    tokio::spawn(async move {
        for (index, replies) in script.into_iter().enumerate() {
            let Ok((conn, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(play(conn, index, replies, seen.clone()));
        }
    });
    (url, log)
}

async fn play(mut conn: TcpStream, index: usize, replies: Vec<Reply>, log: Log) {
    let mut pending = Vec::new();
    for reply in replies {
        let head = loop {
            if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let head: Vec<u8> = pending.drain(..end + 4).collect();
                break String::from_utf8(head).unwrap();
            }
            let mut buf = [0u8; 1024];
            match conn.read(&mut buf).await {
                Ok(n) if n > 0 => pending.extend_from_slice(&buf[..n]),
                _ => return,
            }
        };
        log.lock().unwrap().push((index, head));
        match reply {
            Reply::Send(bytes) => conn.write_all(bytes.as_bytes()).await.unwrap(),
            Reply::SendAndClose(bytes) => {
                conn.write_all(bytes.as_bytes()).await.unwrap();
                return;
            }
            Reply::Drop => return,
        }
    }
    // Keep the connection open until the client closes it.
    let _ = conn.read(&mut [0u8; 16]).await;
}

async fn body(res: Response) -> Result<Vec<u8>, ProviderError> {
    let mut out = Vec::new();
    let mut chunks = res.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
const CHUNKED: &str =
    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

#[tokio::test]
async fn a_connection_is_reused_once_its_answer_is_read() {
    let (url, log) = scripted(vec![vec![
        Reply::Send(OK),
        Reply::Send(CHUNKED),
        Reply::Send(OK),
    ]])
    .await;
    let client = HttpClient::without_spares();
    let res = client.get(format!("{url}/a")).send().await.unwrap();
    assert_eq!(body(res).await.unwrap(), b"ok");
    let res = client
        .post(format!("{url}/b?x=1"))
        .json(&serde_json::json!({"k": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(body(res).await.unwrap(), b"hello world");
    let res = client.get(format!("{url}/c")).send().await.unwrap();
    assert_eq!(res.json::<String>().await.ok(), None, "`ok` is not JSON");
    let log = log.lock().unwrap();
    assert_eq!(log.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 0, 0]);
    let port = url.rsplit(':').next().unwrap();
    assert!(
        log[0]
            .1
            .starts_with(&format!("GET /a HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n")),
        "{}",
        log[0].1
    );
    assert!(
        log[1].1.starts_with("POST /b?x=1 HTTP/1.1\r\n"),
        "{}",
        log[1].1
    );
    assert!(log[1].1.contains("content-length: 7\r\n"), "{}", log[1].1);
}

#[tokio::test]
async fn a_pooled_connection_the_server_dropped_is_replaced_unseen() {
    // The first connection answers once, then drops the next request unanswered (a server
    // closing an idle connection just as the request arrives); the request goes out again.
    let (url, log) = scripted(vec![
        vec![Reply::Send(OK), Reply::Drop],
        vec![Reply::Send(OK)],
    ])
    .await;
    let client = HttpClient::without_spares();
    let res = client.get(format!("{url}/a")).send().await.unwrap();
    assert_eq!(body(res).await.unwrap(), b"ok");
    let res = client.get(format!("{url}/b")).send().await.unwrap();
    assert_eq!(body(res).await.unwrap(), b"ok");
    let seen: Vec<(usize, bool)> = log
        .lock()
        .unwrap()
        .iter()
        .map(|(i, h)| (*i, h.starts_with("GET /b")))
        .collect();
    assert_eq!(seen, [(0, false), (0, true), (1, true)]);
}

#[tokio::test]
async fn a_new_connection_dropped_without_an_answer_is_an_error() {
    let (url, _) = scripted(vec![vec![Reply::Drop]]).await;
    let err = HttpClient::without_spares()
        .get(format!("{url}/a"))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Connection(m) if m.contains("closed before an answer")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_answer_marked_close_is_not_reused() {
    let (url, log) = scripted(vec![
        vec![Reply::SendAndClose(
            "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok",
        )],
        vec![Reply::SendAndClose("HTTP/1.0 200 OK\r\n\r\nuntil the end")],
        vec![Reply::Send(OK)],
    ])
    .await;
    let client = HttpClient::without_spares();
    for (path, want) in [("a", &b"ok"[..]), ("b", b"until the end"), ("c", b"ok")] {
        let res = client.get(format!("{url}/{path}")).send().await.unwrap();
        assert_eq!(body(res).await.unwrap(), want, "{path}");
    }
    let conns: Vec<usize> = log.lock().unwrap().iter().map(|(i, _)| *i).collect();
    assert_eq!(conns, [0, 1, 2]);
}

#[tokio::test]
async fn bodies_cut_short_or_badly_framed_are_errors() {
    let (url, _) = scripted(vec![
        vec![Reply::SendAndClose(
            "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello",
        )],
        vec![Reply::SendAndClose(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel",
        )],
        vec![Reply::SendAndClose(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nnot-hex\r\n",
        )],
        vec![Reply::SendAndClose("HTTP/1.1 2x0 OK\r\n\r\n")],
    ])
    .await;
    let client = HttpClient::without_spares();
    for path in ["short", "cut", "bad-size"] {
        let res = client.get(format!("{url}/{path}")).send().await.unwrap();
        let err = tokio::time::timeout(Duration::from_secs(5), body(res))
            .await
            .expect("an error, not a hang")
            .unwrap_err();
        assert!(
            matches!(err, ProviderError::Connection(_)),
            "{path}: {err:?}"
        );
    }
    let err = client
        .get(format!("{url}/bad-status"))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Connection(m) if m.contains("invalid answer head")),
        "{err:?}"
    );
}
