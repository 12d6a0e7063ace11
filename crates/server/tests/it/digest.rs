//! Weekly digests delivered to a real SMTP server: subscribing, last week's activity in the
//! mail (and nothing of this week's), one digest per week however often the run is asked
//! for, quiet weeks skipped, and unsubscribing by the mail's link without signing in.

use chrono::{DateTime, Datelike as _, Duration, Utc};
use ferrochat_core::{Generation, Outcome, User};
use ferrochat_store::TurnStart;
use ferrochat_test_support::TestApp;
use ferrochat_test_support::fixtures::{new_conversation, new_message};
use ferrochat_test_support::smtp::{SmtpSink, find_link};
use reqwest::Method;
use serde_json::{Value, json};

async fn app_with_mail(smtp: &SmtpSink) -> TestApp {
    smtp.configure(TestApp::builder())
        .env("DOMAIN_CLIENT", "https://chat.example.com")
        .spawn()
        .await
}

/// One turn of `user` in a new conversation at `at`, written as the chat engine writes it:
/// the question first, then the answer with its generation record (`tokens`: prompt, answer).
async fn turn(app: &TestApp, user: &User, title: &str, at: DateTime<Utc>, tokens: (i64, i64)) {
    let store = &app.state.services.store;
    let conversation = new_conversation(user, title, at);
    let question = new_message(&conversation, None, true, at);
    store
        .start_turn(TurnStart {
            conversation: &conversation,
            is_new: true,
            user_message: Some(&question),
        })
        .await
        .unwrap();
    let answered = at + Duration::seconds(2);
    let answer = new_message(&conversation, Some(question.id), false, answered);
    let generation = Generation {
        message_id: answer.id,
        conversation_id: conversation.id,
        user_id: user.id,
        endpoint: "openAI".into(),
        model: "gpt-4o-mini".into(),
        outcome: Outcome::Completed,
        error_code: None,
        finish_reason: Some("stop".into()),
        prompt_tokens: tokens.0,
        completion_tokens: tokens.1,
        usage_reported: true,
        ttft_ms: Some(300),
        duration_ms: 900,
        token_cost: 0,
        created_at: answered,
    };
    store
        .finish_turn(&answer, &generation, false, answered)
        .await
        .unwrap();
}

/// `user` subscribed before the digest of the week starting `week` went out.
async fn subscribed_before(app: &TestApp, user: &User, week: DateTime<Utc>) {
    let store = &app.state.services.store;
    store.unsubscribe_digest(user.id).await.unwrap();
    store
        .subscribe_digest(user.id, week - Duration::days(7), week)
        .await
        .unwrap();
}

async fn run(app: &TestApp, token: &str) -> Value {
    let (status, body) = app
        .call(token, Method::POST, "/api/v1/admin/digest/run", None)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

#[tokio::test]
async fn subscribers_get_last_weeks_digest_once_and_unsubscribe_by_its_link() {
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let app = app_with_mail(&smtp).await;
    let admin = app.user().email("root@example.com").admin().create().await;
    let root = app.token_for(&admin.email).await;
    let ann = app.user().email("ann@example.com").create().await;
    let ann_token = app.token_for(&ann.email).await;
    let quiet = app.user().email("quiet@example.com").create().await;
    let lurker = app.user().email("lurker@example.com").create().await;

    // Subscribing, through the API.
    let (status, digest) = app
        .call(&ann_token, Method::GET, "/api/v1/me/digest", None)
        .await;
    assert_eq!(status, 200, "{digest}");
    assert_eq!(
        (&digest["available"], &digest["subscribed"]),
        (&json!(true), &json!(false))
    );
    let next: DateTime<Utc> = digest["next_at"].as_str().unwrap().parse().unwrap();
    assert!(next > Utc::now() && next <= Utc::now() + Duration::days(7));
    for bad in [
        json!({}),
        json!({"subscribed": "yes"}),
        json!({"subscribed": true, "x": 1}),
    ] {
        let (status, body) = app
            .call(&ann_token, Method::PUT, "/api/v1/me/digest", Some(bad))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["code"], "bad_request");
    }
    let (status, digest) = app
        .call(
            &ann_token,
            Method::PUT,
            "/api/v1/me/digest",
            Some(json!({"subscribed": true})),
        )
        .await;
    assert_eq!(status, 200, "{digest}");
    assert_eq!(digest["subscribed"], true);
    assert!(digest["subscribed_at"].is_string());

    // Subscribing now means the first digest is the next one: nothing is due yet.
    let first = run(&app, &root).await;
    assert_eq!(
        (&first["sent"], &first["quiet"]),
        (&json!(0), &json!(0)),
        "{first}"
    );
    let week: DateTime<Utc> = first["week_start"].as_str().unwrap().parse().unwrap();
    // The week whose digest went out last: each goes out the Monday after the week, at 08:00
    // UTC (the default `email.digest_at`), so on a Monday before 08:00 it is the week before
    // last. (A window of "7 to 14 days ago" failed in those eight hours.)
    let sent_at = week + Duration::days(7) + Duration::hours(8);
    let now = Utc::now();
    assert!(
        sent_at <= now && now < sent_at + Duration::days(7),
        "{week}"
    );
    assert_eq!(week.weekday(), chrono::Weekday::Mon, "{week}");

    // Last week: two conversations of Ann's (and one of a user who did not subscribe);
    // this week: one more of Ann's, which belongs to the next digest.
    turn(
        &app,
        &ann,
        "Trip <plans>",
        week + Duration::days(1),
        (100, 20),
    )
    .await;
    turn(&app, &ann, "Recipes", week + Duration::days(3), (30, 10)).await;
    turn(
        &app,
        &ann,
        "This week",
        Utc::now() - Duration::minutes(1),
        (5, 5),
    )
    .await;
    turn(
        &app,
        &lurker,
        "Not subscribed",
        week + Duration::days(2),
        (1, 1),
    )
    .await;
    for user in [&ann, &quiet] {
        subscribed_before(&app, user, week).await;
    }

    let second = run(&app, &root).await;
    assert_eq!(
        (&second["sent"], &second["quiet"], &second["failed"]),
        (&json!(1), &json!(1), &json!(0)),
        "Ann's digest is sent, the quiet subscriber's week is skipped: {second}"
    );
    let mail = smtp.wait_for("ann@example.com", "Your week").await;
    assert!(
        mail.contains("4 messages in 2 conversations, 2 answers (160 tokens)"),
        "{mail}"
    );
    assert!(mail.contains("- gpt-4o-mini: 2 answers"), "{mail}");
    assert!(mail.contains("Trip <plans> (2 messages): https://chat.example.com/c/"));
    assert!(
        mail.contains("Trip &lt;plans&gt;"),
        "titles are escaped in HTML"
    );
    assert!(
        !mail.contains("This week"),
        "this week's conversation waits for its digest"
    );
    assert!(header(&mail, "Subject").is_some());
    assert_eq!(
        header(&mail, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    // The first occurrence is the header's, in angle brackets.
    let link = find_link(&mail, &app.url("/api/v1/digest/unsubscribe?token="))
        .unwrap()
        .trim_end_matches('>')
        .to_owned();
    assert_eq!(
        header(&mail, "List-Unsubscribe"),
        Some(format!("<{link}>").as_str())
    );
    assert_eq!(
        smtp.count(),
        1,
        "no mail for quiet weeks or non-subscribers"
    );

    // Once per week, however often the run is asked for.
    let third = run(&app, &root).await;
    assert_eq!(
        (&third["sent"], &third["quiet"]),
        (&json!(0), &json!(0)),
        "{third}"
    );
    assert_eq!(smtp.count(), 1);
    let (status, _) = app
        .call(&ann_token, Method::POST, "/api/v1/admin/digest/run", None)
        .await;
    assert_eq!(status, 403, "only administrators send digests by hand");

    // The link opens a page asking to confirm (a link scanner unsubscribes no one); a tampered
    // token is refused; the page's button (or a mail client's one-click) unsubscribes.
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("ann@example.com") && html.contains("method=\"post\""),
        "{html}"
    );
    let (_, digest) = app
        .call(&ann_token, Method::GET, "/api/v1/me/digest", None)
        .await;
    assert_eq!(
        digest["subscribed"], true,
        "opening the page changed nothing"
    );
    let flipped = if link.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{flipped}", &link[..link.len() - 1]);
    let forged = link.replace(&ann.id.to_string(), &quiet.id.to_string());
    for bad in [tampered.as_str(), forged.as_str()] {
        let refused = app.client.post(bad).send().await.unwrap();
        assert!(
            refused.status().is_client_error(),
            "{bad}: {}",
            refused.status()
        );
    }
    let done = app
        .client
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let (_, digest) = app
        .call(&ann_token, Method::GET, "/api/v1/me/digest", None)
        .await;
    assert_eq!(
        (&digest["subscribed"], &digest["subscribed_at"]),
        (&json!(false), &Value::Null)
    );
    let (_, quiet_digest) = app
        .call(
            &app.token_for(&quiet.email).await,
            Method::GET,
            "/api/v1/me/digest",
            None,
        )
        .await;
    assert_eq!(
        quiet_digest["subscribed"], true,
        "the forged link changed nothing"
    );
    // Unsubscribing twice is fine.
    assert_eq!(app.client.post(&link).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn without_mail_there_is_nothing_to_subscribe_to() {
    let app = TestApp::spawn().await;
    let user = app.user().create().await;
    let token = app.token_for(&user.email).await;
    let (status, digest) = app
        .call(&token, Method::GET, "/api/v1/me/digest", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(digest["available"], false);
    let (status, body) = app
        .call(
            &token,
            Method::PUT,
            "/api/v1/me/digest",
            Some(json!({"subscribed": true})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, digest) = app
        .call(
            &token,
            Method::PUT,
            "/api/v1/me/digest",
            Some(json!({"subscribed": false})),
        )
        .await;
    assert_eq!((status, &digest["subscribed"]), (200, &json!(false)));
}

#[tokio::test]
async fn two_instances_send_each_digest_once() {
    let Some(smtp) = SmtpSink::start() else {
        return;
    };
    let Some(db) =
        ferrochat_test_support::TestDb::postgres("weekly digests across instances").await
    else {
        return;
    };
    let url = db.url().to_owned();
    let a = smtp.configure(TestApp::builder().db(db)).spawn().await;
    let b = smtp
        .configure(TestApp::builder().env("DATABASE_URL", &url))
        .spawn()
        .await;
    let week = a
        .state
        .services
        .digest
        .send_due()
        .await
        .unwrap()
        .week_start
        .unwrap();
    const USERS: u32 = 24;
    for i in 0..USERS {
        let user = a
            .user()
            .email(&format!("reader{i}@example.com"))
            .create()
            .await;
        turn(&a, &user, "Weekly", week + Duration::days(2), (10, 10)).await;
        subscribed_before(&a, &user, week).await;
    }
    let (on_a, on_b) = tokio::join!(
        a.state.services.digest.send_due(),
        b.state.services.digest.send_due()
    );
    let (on_a, on_b) = (on_a.unwrap(), on_b.unwrap());
    // Each instance's own schedule also runs once at its start; on a loaded machine that run
    // can come while the users are being created and send some of them their digest. So the
    // mails are what is counted: every reader's digest, none twice.
    assert!(
        on_a.sent + on_b.sent <= USERS && on_a.sent + on_b.sent > 0,
        "{on_a:?} {on_b:?}"
    );
    assert_eq!(on_a.failed + on_b.failed, 0);
    for i in 0..USERS {
        smtp.wait_for(&format!("reader{i}@example.com"), "Your week")
            .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(smtp.count(), USERS as usize, "each digest once");
}
