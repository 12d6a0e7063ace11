//! The accept loop: HTTP/1.1 (also when the request arrives a byte at a time) and HTTP/2
//! with prior knowledge (h2c, as reverse proxies may speak it) on the same port.

use std::time::Duration;

use ferrochat_test_support::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn http1_request_split_across_writes_is_served() {
    let app = TestApp::spawn().await;
    let mut tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    // "P" is also how the HTTP/2 preface starts: the server must wait for the next byte.
    let request =
        b"POST /health HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    for piece in [
        &request[..1],
        &request[1..3],
        &request[3..20],
        &request[20..],
    ] {
        tcp.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_string(&mut answer))
        .await
        .expect("answered in time")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    // /health takes GET only: an HTTP answer (405) proves the request was parsed whole.
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");

    let mut tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = b"GET /health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
    for piece in [&request[..1], &request[1..]] {
        tcp.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served() {
    let app = TestApp::spawn().await;
    let url = app.url("/health");
    // On a blocking thread: the server runs on this test's runtime.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args([
                "-sS",
                "--http2-prior-knowledge",
                "-o",
                "/dev/null",
                "-w",
                "%{http_version} %{http_code}",
                &url,
            ])
            .output()
    })
    .await
    .unwrap()
    .expect("curl is installed (CI installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2 200");
}
