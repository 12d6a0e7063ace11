//! `/api/v1/me` and its sessions: list with the current one marked, sign another device out
//! at once, never another user's session.

use ferrochat_test_support::TestApp;
use reqwest::Method;
use serde_json::Value;

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    app.call(token, Method::GET, path, None).await
}

async fn delete(app: &TestApp, token: &str, path: &str) -> u16 {
    app.call(token, Method::DELETE, path, None).await.0
}

#[tokio::test]
async fn me_sessions_and_signing_a_device_out() {
    let app = TestApp::spawn().await;
    app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let laptop = app.token_for("ada@example.com").await;
    let phone = app.token_for("ada@example.com").await;
    let eve = app.token_for("eve@example.com").await;

    let (s, me) = get(&app, &laptop, "/api/v1/me").await;
    assert_eq!((s, me["email"].as_str()), (200, Some("ada@example.com")));
    assert!(me.get("password_hash").is_none());

    let (s, list) = get(&app, &laptop, "/api/v1/me/sessions").await;
    assert_eq!(s, 200);
    let sessions = list["data"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let current: Vec<bool> = sessions
        .iter()
        .map(|s| s["current"].as_bool().unwrap())
        .collect();
    assert_eq!(current.iter().filter(|c| **c).count(), 1, "{list}");
    let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Eve cannot see or end Ada's sessions.
    let (_, eves) = get(&app, &eve, "/api/v1/me/sessions").await;
    assert_eq!(eves["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        delete(&app, &eve, &format!("/api/v1/me/sessions/{other}")).await,
        404
    );
    assert_eq!(get(&app, &phone, "/api/v1/me").await.0, 200);

    // Ada signs the other device out: its token stops working at once.
    assert_eq!(
        delete(&app, &laptop, &format!("/api/v1/me/sessions/{other}")).await,
        204
    );
    assert_eq!(get(&app, &phone, "/api/v1/me").await.0, 401);
    assert_eq!(get(&app, &laptop, "/api/v1/me").await.0, 200);
    assert_eq!(
        delete(&app, &laptop, &format!("/api/v1/me/sessions/{other}")).await,
        404
    );
    assert_eq!(
        delete(&app, &laptop, "/api/v1/me/sessions/not-an-id").await,
        404
    );
    let (_, list) = get(&app, &laptop, "/api/v1/me/sessions").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(get(&app, "nonsense", "/api/v1/me").await.0, 401);
}
