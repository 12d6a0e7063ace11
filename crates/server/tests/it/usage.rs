//! Usage analytics over real chat turns: the caller's own figures, administrators' view of
//! everyone, and the period and breakdown checked.

use reqwest::Method;
use serde_json::json;

use super::v1_chat::setup;

#[tokio::test]
async fn answers_and_tokens_are_reported_per_user_model_and_day() {
    let (app, token, _fake) = setup().await;
    for text in ["Hello", "Again"] {
        let reply = app
            .sse_post(
                &token,
                "/api/v1/chat",
                &json!({"endpoint": "openAI", "text": text}),
            )
            .await;
        assert_eq!(reply.status, 200, "{:?}", reply.events);
    }
    let (status, mine) = app
        .call(&token, Method::GET, "/api/v1/me/usage?group_by=model", None)
        .await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["group_by"], "model");
    let totals = &mine["totals"];
    assert_eq!(
        (&totals["answers"], &totals["completed"], &totals["errors"]),
        (&json!(2), &json!(2), &json!(0))
    );
    // The fake upstream reports 11 prompt tokens per answer.
    assert_eq!(totals["prompt_tokens"], 22);
    assert!(totals["completion_tokens"].as_i64().unwrap() > 0);
    assert!(totals["avg_ttft_ms"].as_f64().is_some());
    assert_eq!(mine["groups"][0]["key"], "gpt-4o-mini");
    assert_eq!(mine["groups"][0]["answers"], 2);

    // By day: every day of the period, today's holding both.
    let (_, days) = app
        .call(&token, Method::GET, "/api/v1/me/usage", None)
        .await;
    let groups = days["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 31, "30 days back, partial days at both ends");
    assert_eq!(groups.last().unwrap()["answers"], 2);
    assert_eq!(
        groups
            .iter()
            .map(|g| g["answers"].as_i64().unwrap())
            .sum::<i64>(),
        2
    );

    // Bad periods and breakdowns.
    for query in [
        "group_by=user",
        "group_by=week",
        "from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z",
        "from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
    ] {
        let (status, problem) = app
            .call(
                &token,
                Method::GET,
                &format!("/api/v1/me/usage?{query}"),
                None,
            )
            .await;
        assert_eq!(
            (status, &problem["code"]),
            (422, &json!("validation_failed")),
            "{query}: {problem}"
        );
    }
    let (status, _) = app
        .call(&token, Method::GET, "/api/v1/me/usage?from=soon", None)
        .await;
    assert_eq!(status, 400);

    // Everyone's: administrators only.
    let (status, _) = app
        .call(&token, Method::GET, "/api/v1/admin/usage", None)
        .await;
    assert_eq!(status, 403);
    let admin = app.user().email("root@example.com").admin().create().await;
    let root = app.token_for(&admin.email).await;
    let (status, all) = app
        .call(
            &root,
            Method::GET,
            "/api/v1/admin/usage?group_by=user",
            None,
        )
        .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["totals"]["users"], 1);
    assert_eq!(all["groups"][0]["answers"], 2);
    let (_, me) = app.call(&token, Method::GET, "/api/v1/me", None).await;
    assert_eq!(all["groups"][0]["key"], me["id"]);
}
