//! TOTP two-factor authentication over the wire, codes computed like an authenticator app.

use ferrochat_services::auth::totp;
use ferrochat_test_support::TestApp;
use serde_json::{Value, json};

const PASSWORD: &str = ferrochat_test_support::fixtures::PASSWORD;

fn base32_decode(s: &str) -> Vec<u8> {
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("bad base32"),
        };
        buffer = (buffer << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    out
}

/// Codes relative to one step fixed at the start of the test, so crossing a 30-second boundary
/// mid-test cannot turn "the same code again" into a fresh one.
fn code(secret: &[u8], base_step: i64, offset: i64) -> String {
    format!("{:06}", totp::code_at(secret, base_step + offset).unwrap())
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = app.client.post(app.url(path)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn login(app: &TestApp) -> Value {
    let res = post(
        app,
        "/api/auth/login",
        None,
        json!({ "email": "ada@example.com", "password": PASSWORD }),
    )
    .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn totp_setup_login_backup_codes_and_disable() {
    let app = TestApp::spawn().await;
    app.user().email("ada@example.com").create().await;
    let token = login(&app).await["token"].as_str().unwrap().to_owned();

    let res = app
        .client
        .get(app.url("/api/auth/2fa/enable"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let setup: Value = res.json().await.unwrap();
    let url = setup["otpauthUrl"].as_str().unwrap();
    assert!(
        url.starts_with("otpauth://totp/ferrochat:ada%40example.com?secret="),
        "{url}"
    );
    let secret_b32 = url
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let secret = base32_decode(secret_b32);
    let backup: Vec<String> = serde_json::from_value(setup["backupCodes"].clone()).unwrap();
    let step = chrono::Utc::now().timestamp() / totp::STEP;
    assert_eq!(backup.len(), 10);
    // Not on until confirmed: login still signs in directly.
    assert!(login(&app).await["token"].is_string());

    assert_eq!(
        post(
            &app,
            "/api/auth/2fa/confirm",
            Some(&token),
            json!({ "token": "000000" })
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        post(
            &app,
            "/api/auth/2fa/confirm",
            Some(&token),
            json!({ "token": code(&secret, step, 0) })
        )
        .await
        .status(),
        200
    );
    let me: Value = app
        .client
        .get(app.url("/api/user"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["twoFactorEnabled"], true);

    // Login now stops at the second factor: no token, no cookies.
    let res = post(
        &app,
        "/api/auth/login",
        None,
        json!({ "email": "ada@example.com", "password": PASSWORD }),
    )
    .await;
    assert!(res.headers().get("set-cookie").is_none());
    let pending: Value = res.json().await.unwrap();
    assert_eq!(pending["twoFAPending"], true);
    assert!(pending.get("token").is_none());
    let temp = pending["tempToken"].as_str().unwrap().to_owned();

    // The pending token is no access token, and an access token is no pending token.
    assert_eq!(
        app.client
            .get(app.url("/api/user"))
            .bearer_auth(&temp)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        post(
            &app,
            "/api/auth/2fa/verify-temp",
            None,
            json!({ "tempToken": token, "token": code(&secret, step, 1) })
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        post(
            &app,
            "/api/auth/2fa/verify-temp",
            None,
            json!({ "tempToken": "junk", "token": code(&secret, step, 1) })
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        post(
            &app,
            "/api/auth/2fa/verify-temp",
            None,
            json!({ "tempToken": temp, "token": "123" })
        )
        .await
        .status(),
        400
    );
    // The code that confirmed setup was used: it cannot be replayed.
    assert_eq!(
        post(
            &app,
            "/api/auth/2fa/verify-temp",
            None,
            json!({ "tempToken": temp, "token": code(&secret, step, 0) })
        )
        .await
        .status(),
        400
    );
    let res = post(
        &app,
        "/api/auth/2fa/verify-temp",
        None,
        json!({ "tempToken": temp, "token": code(&secret, step, 1) }),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("refreshToken=")
    );
    let granted: Value = res.json().await.unwrap();
    let token2 = granted["token"].as_str().unwrap().to_owned();
    assert_eq!(granted["user"]["email"], "ada@example.com");

    // A backup code works once.
    let temp = login(&app).await["tempToken"].as_str().unwrap().to_owned();
    assert_eq!(
        post(
            &app,
            "/api/auth/2fa/verify-temp",
            None,
            json!({ "tempToken": temp, "backupCode": backup[0] })
        )
        .await
        .status(),
        200
    );
    let temp = login(&app).await["tempToken"].as_str().unwrap().to_owned();
    assert_eq!(
        post(
            &app,
            "/api/auth/2fa/verify-temp",
            None,
            json!({ "tempToken": temp, "backupCode": backup[0] })
        )
        .await
        .status(),
        400
    );

    // Regenerating replaces the codes.
    let res = post(
        &app,
        "/api/auth/2fa/backup/regenerate",
        Some(&token2),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let fresh: Vec<String> =
        serde_json::from_value(res.json::<Value>().await.unwrap()["backupCodes"].clone()).unwrap();
    assert_eq!(
        post(
            &app,
            "/api/auth/2fa/disable",
            Some(&token2),
            json!({ "backupCode": backup[1] })
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        post(
            &app,
            "/api/auth/2fa/disable",
            Some(&token2),
            json!({ "backupCode": fresh[0] })
        )
        .await
        .status(),
        200
    );
    assert!(login(&app).await["token"].is_string(), "2FA is off again");
    assert_eq!(
        app.client
            .get(app.url("/api/auth/2fa/enable"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
