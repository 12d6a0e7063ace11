//! Shared links through both doors: the LibreChat client's `/api/share` routes and public page
//! data, and the native `/api/v1/shares` with expiry and passwords.

use ferrochat_test_support::TestApp;
use ferrochat_test_support::fixtures::conversation;
use reqwest::Method;
use serde_json::{Value, json};

const NO_PARENT: &str = "00000000-0000-0000-0000-000000000000";

/// `GET path` with no credentials, and optionally a share password; status and JSON body.
async fn anonymous(app: &TestApp, path: &str, password: Option<&str>) -> (u16, Value) {
    let mut req = app.client.get(app.url(path));
    if let Some(p) = password {
        req = req.header("X-Share-Password", p);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn texts(view: &Value) -> Vec<String> {
    view["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages in {view}"))
        .iter()
        .map(|m| {
            let text = m["text"].as_str().unwrap_or_default();
            if text.is_empty() {
                m["content"][0]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            } else {
                text.to_owned()
            }
        })
        .collect()
}

#[tokio::test]
async fn the_client_shares_a_conversation_and_anyone_reads_it_anonymized() {
    let app = TestApp::spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;
    let (trip, ids) = conversation(&app, &ada, "Trip planning").await;

    let (status, config) = app.call(&t, Method::GET, "/api/config", None).await;
    assert_eq!(status, 200);
    assert_eq!(config["sharedLinksEnabled"], true);
    assert_eq!(config["publicSharedLinksEnabled"], true);

    let link_path = format!("/api/share/link/{}", trip.id);
    let (status, none) = app.call(&t, Method::GET, &link_path, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        none,
        json!({ "success": false, "shareId": null, "conversationId": trip.id.to_string() })
    );

    // Someone else cannot share it; its owner can, once.
    let create = format!("/api/share/{}", trip.id);
    let (status, body) = app.call(&te, Method::POST, &create, Some(json!({}))).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (404, Some("Conversation not found"))
    );
    let (status, made) = app.call(&t, Method::POST, &create, Some(json!({}))).await;
    assert_eq!(status, 200, "{made}");
    let share_id = made["shareId"].as_str().unwrap().to_owned();
    assert_eq!(made["conversationId"], trip.id.to_string());
    assert_eq!(share_id.len(), 21);
    let (status, again) = app.call(&t, Method::POST, &create, Some(json!({}))).await;
    assert_eq!(
        (status, again["message"].as_str()),
        (409, Some("Share already exists"))
    );
    let (status, found) = app.call(&t, Method::GET, &link_path, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (found["success"].as_bool(), found["shareId"].as_str()),
        (Some(true), Some(share_id.as_str()))
    );
    let (_, theirs) = app.call(&te, Method::GET, &link_path, None).await;
    assert_eq!(theirs["success"], false, "another user sees no link");

    // The public page: no sign-in, IDs replaced, the tree kept.
    let (status, view) = anonymous(&app, &format!("/api/share/{share_id}"), None).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["shareId"], share_id);
    assert_eq!(view["title"], "Trip planning");
    assert_eq!(view["isPublic"], true);
    let alias = view["conversationId"].as_str().unwrap();
    assert!(alias.starts_with("convo_"), "{alias}");
    let messages = view["messages"].as_array().unwrap();
    assert_eq!(texts(&view), ["hello?", "hi!"]);
    assert_eq!(messages[0]["parentMessageId"], NO_PARENT);
    assert_eq!(messages[1]["parentMessageId"], messages[0]["messageId"]);
    let body = view.to_string();
    for secret in [
        trip.id.to_string(),
        ids[0].to_string(),
        ids[1].to_string(),
        ada.id.to_string(),
    ] {
        assert!(!body.contains(&secret), "{secret} leaks in {body}");
    }
    for m in messages {
        assert!(m["messageId"].as_str().unwrap().starts_with("msg_"));
        assert_eq!(m["conversationId"], alias);
        assert!(m.get("user").is_none());
    }

    // Later turns stay private until the owner updates the link, which gives it a new ID.
    let (status, _) = app
        .call(
            &t,
            Method::PUT,
            &format!("/api/messages/{}/{}", trip.id, ids[0]),
            Some(json!({ "text": "hello, edited?" })),
        )
        .await;
    assert_eq!(status, 200);
    let (status, view) = anonymous(&app, &format!("/api/share/{share_id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        texts(&view),
        ["hello, edited?", "hi!"],
        "edits show through"
    );
    let (status, renamed) = app
        .call(
            &t,
            Method::POST,
            "/api/convos/update",
            Some(
                json!({ "arg": { "conversationId": trip.id.to_string(), "title": "Lisbon trip" } }),
            ),
        )
        .await;
    assert_eq!(status, 201, "{renamed}");
    let (status, updated) = app
        .call(&t, Method::PATCH, &format!("/api/share/{share_id}"), None)
        .await;
    assert_eq!(status, 200, "{updated}");
    let new_id = updated["shareId"].as_str().unwrap().to_owned();
    assert_ne!(new_id, share_id);
    let (status, _) = anonymous(&app, &format!("/api/share/{share_id}"), None).await;
    assert_eq!(status, 404, "the old URL stops working");
    let (_, view) = anonymous(&app, &format!("/api/share/{new_id}"), None).await;
    assert_eq!(view["title"], "Lisbon trip");

    // The settings table's list.
    let (status, list) = app
        .call(
            &t,
            Method::GET,
            "/api/share?pageSize=10&isPublic=true&sortBy=createdAt&sortDirection=desc",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["hasNextPage"], false);
    assert_eq!(list["links"][0]["shareId"], new_id);
    assert_eq!(list["links"][0]["title"], "Lisbon trip");
    assert_eq!(list["links"][0]["conversationId"], trip.id.to_string());
    assert!(
        list["links"][0]["createdAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let (_, theirs) = app
        .call(&te, Method::GET, "/api/share?isPublic=true", None)
        .await;
    assert_eq!(theirs["links"], json!([]));

    // Deleting: someone else cannot; the owner can, and the page is gone.
    let path = format!("/api/share/{new_id}");
    let (status, body) = app.call(&te, Method::DELETE, &path, None).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (404, Some("Share not found"))
    );
    let (status, body) = app.call(&t, Method::DELETE, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert_eq!(body["shareId"], new_id);
    let (status, body) = anonymous(&app, &path, None).await;
    assert_eq!(
        (status, body),
        (404, Value::Null),
        "an empty 404, as LibreChat answers"
    );
}

#[tokio::test]
async fn a_branch_is_shared_up_to_its_target_and_deleted_conversations_go_offline() {
    let app = TestApp::spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let (convo, ids) = conversation(&app, &ada, "Branches").await;

    // Only the question: the answer below it is left out.
    let (status, made) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/share/{}", convo.id),
            Some(json!({ "targetMessageId": ids[0].to_string() })),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let path = format!("/api/share/{}", made["shareId"].as_str().unwrap());
    let (_, view) = anonymous(&app, &path, None).await;
    assert_eq!(texts(&view), ["hello?"]);

    // A target must be a message of the conversation.
    let (fresh, _) = conversation(&app, &ada, "Fresh").await;
    for (body, status) in [
        (json!({ "targetMessageId": "not-an-id" }), 400),
        (
            json!({ "targetMessageId": ferrochat_core::MessageId::new().to_string() }),
            404,
        ),
        (json!({ "targetMessageId": ids[1].to_string() }), 404),
    ] {
        let (got, answer) = app
            .call(
                &t,
                Method::POST,
                &format!("/api/share/{}", fresh.id),
                Some(body),
            )
            .await;
        assert_eq!(got, status, "{answer}");
    }

    // Deleting the conversation takes the page offline; restoring brings it back.
    let (status, _) = app
        .call(
            &t,
            Method::DELETE,
            "/api/convos",
            Some(json!({ "arg": { "conversationId": convo.id.to_string() } })),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(anonymous(&app, &path, None).await.0, 404);
    let (_, list) = app
        .call(&t, Method::GET, "/api/share?isPublic=true", None)
        .await;
    assert_eq!(list["links"], json!([]));
    let (status, _) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/conversations/{}/restore", convo.id),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(anonymous(&app, &path, None).await.0, 200);

    // Malformed IDs are simply not found.
    for bad in [
        "x",
        "../../etc",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        assert_eq!(
            anonymous(&app, &format!("/api/share/{bad}"), None).await.0,
            404,
            "{bad}"
        );
    }
    // An unknown conversation is not found; an empty or temporary one cannot be shared.
    let (status, body) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/share/{}", ferrochat_core::ConversationId::new()),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (404, Some("Conversation not found"))
    );
    let mut empty = fresh.clone();
    empty.id = ferrochat_core::ConversationId::new();
    let mut temporary = fresh.clone();
    temporary.id = ferrochat_core::ConversationId::new();
    temporary.expired_at = Some(chrono::Utc::now() + chrono::Duration::days(30));
    for (c, why) in [
        (
            empty,
            "conversationId: the conversation has no messages to share",
        ),
        (
            temporary,
            "conversationId: temporary chats cannot be shared",
        ),
    ] {
        app.state
            .services
            .conversations
            .create(ada.id, c.clone())
            .await
            .unwrap();
        let (status, body) = app
            .call(
                &t,
                Method::POST,
                &format!("/api/share/{}", c.id),
                Some(json!({})),
            )
            .await;
        assert_eq!((status, body["message"].as_str()), (400, Some(why)));
    }
}

#[tokio::test]
async fn native_links_expire_and_can_sit_behind_a_password() {
    let app = TestApp::spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;
    let (convo, _) = conversation(&app, &ada, "Secret plans").await;
    let create = format!("/api/v1/conversations/{}/shares", convo.id);

    // Bad input is a 422 naming each field.
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let (status, problem) = app
        .call(
            &t,
            Method::POST,
            &create,
            Some(json!({ "expires_at": past, "password": "short" })),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["expires_at", "password"]);
    let (status, problem) = app
        .call(&t, Method::POST, &create, Some(json!({ "colour": "red" })))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("bad_request"))
    );
    let (status, _) = app.call(&te, Method::POST, &create, Some(json!({}))).await;
    assert_eq!(status, 404, "not Eve's conversation");

    let soon = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let (status, link) = app
        .call(
            &t,
            Method::POST,
            &create,
            Some(json!({ "expires_at": soon, "password": "open sesame" })),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(link["has_password"], true);
    assert!(link["expires_at"].is_string());
    let id = link["id"].as_str().unwrap().to_owned();
    assert!(
        link["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/share/{id}"))
    );
    assert!(link.get("password").is_none() && !link.to_string().contains("sesame"));

    // Viewers need the password; the owner does not.
    let public = format!("/api/v1/public/shares/{id}");
    let (status, problem) = anonymous(&app, &public, None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("password_required"))
    );
    assert_eq!(problem["detail"], "this link needs a password");
    let (status, problem) = anonymous(&app, &public, Some("open barley")).await;
    assert_eq!(
        (status, problem["detail"].as_str()),
        (401, Some("the password is wrong"))
    );
    let (status, view) = anonymous(&app, &public, Some("open sesame")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["title"], "Secret plans");
    assert_eq!(view["messages"].as_array().unwrap().len(), 2);
    assert!(
        view["messages"][0]["id"]
            .as_str()
            .unwrap()
            .starts_with("msg_")
    );
    assert_eq!(view["messages"][0]["parent_id"], Value::Null);
    assert_eq!(view["messages"][1]["parent_id"], view["messages"][0]["id"]);
    let (status, _) = app.call(&t, Method::GET, &public, None).await;
    assert_eq!(status, 200, "the owner needs no password");
    let (status, _) = app.call(&te, Method::GET, &public, None).await;
    assert_eq!(status, 401, "another signed-in user does");
    // The LibreChat door honours the same password (403: the client refreshes on 401).
    let (status, body) = anonymous(&app, &format!("/api/share/{id}"), None).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("This shared link needs a password"))
    );
    assert_eq!(
        anonymous(&app, &format!("/api/share/{id}"), Some("open sesame"))
            .await
            .0,
        200
    );

    // The owner's management routes.
    let (status, page) = app.call(&t, Method::GET, "/api/v1/shares", None).await;
    assert_eq!(status, 200);
    assert_eq!(page["data"][0]["id"], id);
    assert_eq!(page["has_more"], false);
    let (status, _) = app
        .call(&te, Method::GET, &format!("/api/v1/shares/{id}"), None)
        .await;
    assert_eq!(status, 404);
    let (status, cleared) = app
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/shares/{id}"),
            Some(json!({ "password": null })),
        )
        .await;
    assert_eq!(status, 200, "{cleared}");
    assert_eq!(cleared["has_password"], false);
    assert!(cleared["expires_at"].is_string(), "absent fields stay");
    assert_eq!(anonymous(&app, &public, None).await.0, 200);

    // An expiry in the past cannot be set; the clock moving past it closes the link.
    let (status, _) = app
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/shares/{id}"),
            Some(json!({ "expires_at": past })),
        )
        .await;
    assert_eq!(status, 422);
    let mut link = app
        .state
        .services
        .store
        .shared_link(ada.id, &id.parse().unwrap())
        .await
        .unwrap();
    link.expires_at = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
    app.state
        .services
        .store
        .update_shared_link(
            ada.id,
            &link.id.clone(),
            &link,
            ferrochat_store::PasswordChange::Keep,
        )
        .await
        .unwrap();
    let (status, problem) = anonymous(&app, &public, None).await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")));
    let (status, opened) = app
        .call(
            &t,
            Method::PATCH,
            &format!("/api/v1/shares/{id}"),
            Some(json!({ "expires_at": null })),
        )
        .await;
    assert_eq!((status, opened["expires_at"].clone()), (200, Value::Null));
    assert_eq!(anonymous(&app, &public, None).await.0, 200);

    // Refresh gives a new ID; delete ends it.
    let (status, fresh) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/shares/{id}/refresh"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let fresh_id = fresh["id"].as_str().unwrap();
    assert_ne!(fresh_id, id);
    assert_eq!(anonymous(&app, &public, None).await.0, 404);
    let (status, _) = app
        .call(
            &t,
            Method::DELETE,
            &format!("/api/v1/shares/{fresh_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, problem) = app
        .call(
            &t,
            Method::DELETE,
            &format!("/api/v1/shares/{fresh_id}"),
            None,
        )
        .await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn password_guesses_are_limited_per_link_and_address() {
    let app = TestApp::builder().env("LOGIN_MAX", "3").spawn().await;
    let ada = app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let (convo, _) = conversation(&app, &ada, "Guarded").await;
    let (_, link) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/conversations/{}/shares", convo.id),
            Some(json!({ "password": "correct horse" })),
        )
        .await;
    let public = format!("/api/v1/public/shares/{}", link["id"].as_str().unwrap());
    for _ in 0..3 {
        assert_eq!(anonymous(&app, &public, Some("wrong guess")).await.0, 401);
    }
    let (status, problem) = anonymous(&app, &public, Some("correct horse")).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (429, Some("rate_limited"))
    );
}

#[tokio::test]
async fn operators_can_require_sign_in_or_turn_sharing_off() {
    let app = TestApp::builder()
        .env("ALLOW_SHARED_LINKS_PUBLIC", "false")
        .spawn()
        .await;
    let ada = app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;
    let (convo, _) = conversation(&app, &ada, "Members only").await;
    let (_, config) = app.call(&t, Method::GET, "/api/config", None).await;
    assert_eq!(
        (
            config["sharedLinksEnabled"].as_bool(),
            config["publicSharedLinksEnabled"].as_bool()
        ),
        (Some(true), Some(false))
    );
    let (_, made) = app
        .call(
            &t,
            Method::POST,
            &format!("/api/share/{}", convo.id),
            Some(json!({})),
        )
        .await;
    let path = format!("/api/share/{}", made["shareId"].as_str().unwrap());
    assert_eq!(anonymous(&app, &path, None).await.0, 401);
    assert_eq!(
        app.call(&te, Method::GET, &path, None).await.0,
        200,
        "any signed-in user"
    );

    let off = TestApp::builder()
        .env("ALLOW_SHARED_LINKS", "false")
        .spawn()
        .await;
    let ada = off.user().email("ada@example.com").create().await;
    let t = off.token_for("ada@example.com").await;
    let (convo, _) = conversation(&off, &ada, "Nope").await;
    let (_, config) = off.call(&t, Method::GET, "/api/config", None).await;
    assert_eq!(config["sharedLinksEnabled"], false);
    assert_eq!(config["publicSharedLinksEnabled"], false);
    let (status, body) = off
        .call(
            &t,
            Method::POST,
            &format!("/api/share/{}", convo.id),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("sharing is turned off on this server"))
    );
    let (status, _) = off
        .call(
            &t,
            Method::POST,
            &format!("/api/v1/conversations/{}/shares", convo.id),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 403);
    // The dialog's query still answers.
    let (status, link) = off
        .call(
            &t,
            Method::GET,
            &format!("/api/share/link/{}", convo.id),
            None,
        )
        .await;
    assert_eq!((status, link["success"].as_bool()), (200, Some(false)));
}
