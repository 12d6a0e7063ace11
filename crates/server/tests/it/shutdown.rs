//! Graceful shutdown: in-flight work finishes, new work is refused, the grace period bounds it.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use ferrochat_test_support::TestApp;

fn slow(ms: u64) -> Router<ferrochat_web::AppState> {
    Router::new().route(
        "/slow",
        get(move || async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            "finished"
        }),
    )
}

#[tokio::test]
async fn in_flight_requests_finish_after_shutdown_begins() {
    let app = TestApp::builder().extra_routes(slow(400)).spawn().await;
    let client = app.client.clone();
    let url = app.url("/slow");
    let health = app.url("/health");
    let in_flight = tokio::spawn(async move { client.get(url).send().await });
    tokio::time::sleep(Duration::from_millis(100)).await;

    let stopped = tokio::spawn(app.stop());
    let res = in_flight.await.unwrap().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "finished");
    stopped.await.unwrap().unwrap();
    // The listener is closed now.
    let fresh = reqwest::Client::new();
    assert!(fresh.get(health).send().await.is_err());
}

#[tokio::test]
async fn the_grace_period_bounds_shutdown() {
    let app = TestApp::builder()
        .env("SHUTDOWN_GRACE", "200ms")
        .extra_routes(slow(60_000))
        .spawn()
        .await;
    let client = app.client.clone();
    let url = app.url("/slow");
    let in_flight = tokio::spawn(async move { client.get(url).send().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A one-minute handler must not hold shutdown: stop() returns once the grace is over.
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("shutdown waited for the slow handler")
        .unwrap();
    // In production the process exits right after `serve` returns, which closes the remaining
    // connection; here the test runtime would keep it, so the client side is simply dropped.
    in_flight.abort();
}

#[tokio::test]
async fn a_silent_connection_does_not_hold_shutdown() {
    let app = TestApp::builder()
        .env("SHUTDOWN_GRACE", "30s")
        .spawn()
        .await;
    // Connected, but not a byte sent: nothing is in flight, so nothing is waited for.
    let _silent = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("shutdown waited for a silent connection")
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
