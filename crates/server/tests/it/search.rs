//! Search through both doors: the LibreChat client's `GET /api/messages?search=` and
//! `GET /api/convos?search=`, and the native `GET /api/v1/search/messages`; edits and deletes
//! reach the results, other users' messages never do.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fixtures::conversation;
use reqwest::Method;
use serde_json::{Value, json};

fn ids(page: &Value, list: &str, key: &str) -> Vec<String> {
    page[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {page}"))
        .iter()
        .map(|m| m[key].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn compat_search_finds_edited_messages_and_titles_of_the_caller_only() {
    let app = TestApp::spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    let eve = app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;
    let (trip, trip_ids) = conversation(&app, &ada, "Trip planning").await;
    let (photos, photo_ids) = conversation(&app, &ada, "Quokka photos").await;
    let (theirs, their_ids) = conversation(&app, &eve, "Eve's trip").await;

    let (status, enabled) = app.call(&t, Method::GET, "/api/search/enable", None).await;
    assert_eq!(
        (status, enabled),
        (200, json!(true)),
        "the client shows its search bar"
    );

    // Words reach the index by an edit, through the client's own route.
    for (token, cid, mid) in [(&t, trip.id, trip_ids[0]), (&te, theirs.id, their_ids[0])] {
        let (status, _) = app
            .call(
                token,
                Method::PUT,
                &format!("/api/messages/{cid}/{mid}"),
                Some(json!({ "text": "Where do Quokkas live, and what do they eat?" })),
            )
            .await;
        assert_eq!(status, 200);
    }
    let (status, page) = app
        .call(&t, Method::GET, "/api/messages?search=quokka", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        ids(&page, "messages", "messageId"),
        [trip_ids[0].to_string()]
    );
    let hit = &page["messages"][0];
    assert_eq!(hit["conversationId"], trip.id.to_string());
    assert_eq!(hit["title"], "Trip planning");
    assert_eq!(hit["model"], "gpt-4o-mini");
    assert_eq!(hit["isCreatedByUser"], true);
    assert_eq!(hit["endpoint"], "openAI");
    assert_eq!(hit["text"], "Where do Quokkas live, and what do they eat?");
    assert_eq!(
        hit["parentMessageId"],
        "00000000-0000-0000-0000-000000000000"
    );
    assert!(page["nextCursor"].is_null());
    assert!(
        hit.get("user").is_none(),
        "the owner is stripped, as for any message"
    );

    // Every word must match, as a prefix; punctuation is ignored.
    let search = |q: &'static str| {
        let (app, t) = (&app, t.clone());
        async move {
            let (status, page) = app
                .call(&t, Method::GET, &format!("/api/messages?search={q}"), None)
                .await;
            assert_eq!(status, 200, "{q}: {page}");
            ids(&page, "messages", "messageId")
        }
    };
    assert_eq!(search("QUOKK%20eat").await.len(), 1);
    assert!(search("quokka%20sleep").await.is_empty());
    assert_eq!(
        search("%22quokka%22*%20(").await.len(),
        1,
        "no query syntax"
    );
    // Answers are found by their content parts (the fixture's answers say "hi!").
    assert_eq!(
        search("hi").await,
        [photo_ids[1].to_string(), trip_ids[1].to_string()],
        "newest first"
    );

    // Pages follow nextCursor, as the search view's infinite scroll does.
    let (_, first) = app
        .call(&t, Method::GET, "/api/messages?search=hi&pageSize=1", None)
        .await;
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let (_, second) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/messages?search=hi&pageSize=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(
        ids(&first, "messages", "messageId"),
        [photo_ids[1].to_string()]
    );
    assert_eq!(
        ids(&second, "messages", "messageId"),
        [trip_ids[1].to_string()]
    );
    assert!(second["nextCursor"].is_null());

    // The sidebar's list: by title, or by a message.
    let (status, convos) = app
        .call(&t, Method::GET, "/api/convos?search=quokka", None)
        .await;
    assert_eq!(status, 200);
    let mut found = ids(&convos, "conversations", "conversationId");
    found.sort();
    let mut expected = vec![trip.id.to_string(), photos.id.to_string()];
    expected.sort();
    assert_eq!(found, expected);
    let (_, convos) = app
        .call(&t, Method::GET, "/api/convos?search=%21%21%21", None)
        .await;
    assert_eq!(convos["conversations"], json!([]), "no words, no matches");

    // Eve finds her own message only.
    let (_, page) = app
        .call(&te, Method::GET, "/api/messages?search=quokka", None)
        .await;
    assert_eq!(
        ids(&page, "messages", "messageId"),
        [their_ids[0].to_string()]
    );

    // A deleted conversation's messages leave the results.
    let (status, _) = app
        .call(
            &t,
            Method::DELETE,
            "/api/convos",
            Some(json!({ "arg": { "conversationId": trip.id.to_string(), "source": "button" } })),
        )
        .await;
    assert_eq!(status, 201);
    assert!(search("quokka").await.is_empty());

    // Without a search (or with a blank one), LibreChat answers an empty page.
    for path in ["/api/messages", "/api/messages?search=%20%20"] {
        let (status, page) = app.call(&t, Method::GET, path, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            page,
            json!({ "messages": [], "nextCursor": null }),
            "{path}"
        );
    }
}

#[tokio::test]
async fn compat_messages_route_pages_a_conversation_and_rejects_bad_input() {
    let app = TestApp::spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;
    let (c, mids) = conversation(&app, &ada, "Tree").await;

    let (status, page) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/messages?conversationId={}", c.id),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let all: Vec<String> = mids.iter().map(ToString::to_string).collect();
    assert_eq!(ids(&page, "messages", "messageId"), all);
    let path = format!(
        "/api/messages?conversationId={}&messageId={}",
        c.id, mids[1]
    );
    let (_, one) = app.call(&t, Method::GET, &path, None).await;
    assert_eq!(ids(&one, "messages", "messageId"), [mids[1].to_string()]);
    let (status, _) = app.call(&te, Method::GET, &path, None).await;
    assert_eq!(status, 404, "another user's conversation");
    let path = format!("/api/messages?conversationId={}&messageId=nope", c.id);
    let (_, none) = app.call(&t, Method::GET, &path, None).await;
    assert_eq!(none, json!({ "messages": [], "nextCursor": null }));

    for path in [
        "/api/messages?search=a&pageSize=lots".to_owned(),
        "/api/messages?search=a&pageSize=0".to_owned(),
        "/api/messages?search=a&cursor=not-a-cursor".to_owned(),
        format!("/api/messages?search={}", "a".repeat(201)),
        format!(
            "/api/convos?search={}",
            (0..17)
                .map(|i| format!("w{i}"))
                .collect::<Vec<_>>()
                .join("%20")
        ),
    ] {
        let (status, body) = app.call(&t, Method::GET, &path, None).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    assert_eq!(app.get("/api/messages?search=a").await.status(), 401);
}

#[tokio::test]
async fn v1_search_returns_hits_with_their_conversation() {
    let app = TestApp::spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let (c, mids) = conversation(&app, &ada, "Greetings").await;
    conversation(&app, &ada, "Other").await;

    let (status, page) = app
        .call(&t, Method::GET, "/api/v1/search/messages?q=hi", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(page["has_more"], false);
    let (_, page) = app
        .call(
            &t,
            Method::GET,
            "/api/v1/search/messages?q=hello&limit=1",
            None,
        )
        .await;
    assert_eq!(page["has_more"], true);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, next) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/search/messages?q=hello&limit=1&cursor={cursor}"),
            None,
        )
        .await;
    let hit = &next["data"][0];
    assert_eq!(hit["message"]["id"], mids[0].to_string());
    assert_eq!(hit["message"]["text"], "hello?");
    assert_eq!(hit["conversation"]["id"], c.id.to_string());
    assert_eq!(hit["conversation"]["title"], "Greetings");
    assert_eq!(hit["conversation"]["model"], "gpt-4o-mini");
    assert_eq!(next["has_more"], false);

    let (status, list) = app
        .call(&t, Method::GET, "/api/v1/conversations?q=greet", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["data"][0]["id"], c.id.to_string());

    for (path, status) in [
        ("/api/v1/search/messages", 400),
        ("/api/v1/search/messages?q=a&unknown=1", 400),
        ("/api/v1/search/messages?q=", 422),
        ("/api/v1/search/messages?q=%20", 422),
        ("/api/v1/search/messages?q=a&limit=101", 422),
        ("/api/v1/search/messages?q=a&cursor=zzz", 422),
    ] {
        let res = app
            .client
            .get(app.url(path))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{path}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
}
