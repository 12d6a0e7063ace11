//! Importing exports through both doors: the LibreChat client's multipart
//! `POST /api/convos/import` and the native `POST /api/v1/conversations/import`.

use ferrochat_test_support::TestApp;
use reqwest::Method;
use serde_json::Value;

const CHATGPT: &[u8] = include_bytes!("../../../services/tests/fixtures/import/chatgpt.json");
const LIBRECHAT: &[u8] =
    include_bytes!("../../../services/tests/fixtures/import/librechat-tree.json");
const CHATBOT_UI: &[u8] = include_bytes!("../../../services/tests/fixtures/import/chatbot-ui.json");

/// Uploads `file` as the client does: multipart, field `file`.
async fn upload(app: &TestApp, token: &str, file: &[u8]) -> (u16, Value) {
    let boundary = "----ferrochatTestBoundary7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"export.json\"\r\n\
         Content-Type: application/json\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = app
        .client
        .post(app.url("/api/convos/import"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn titles(list: &Value) -> Vec<&str> {
    list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_client_imports_chatgpt_and_librechat_exports() {
    let app = TestApp::spawn().await;
    app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;

    let (status, config) = app.call(&t, Method::GET, "/api/config", None).await;
    assert_eq!(status, 200);
    assert_eq!(config["conversationImportMaxFileSize"], 52_428_800);

    let (status, body) = upload(&app, &t, CHATGPT).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["message"], "Conversation(s) imported successfully");
    let (status, body) = upload(&app, &t, LIBRECHAT).await;
    assert_eq!(status, 201, "{body}");

    // The sidebar: newest activity first (the LibreChat export is the more recent).
    let (_, list) = app.call(&t, Method::GET, "/api/convos", None).await;
    assert_eq!(titles(&list), ["Tree talk", "Quokka facts"]);
    let (_, theirs) = app.call(&te, Method::GET, "/api/convos", None).await;
    assert_eq!(titles(&theirs), Vec::<&str>::new());
    let quokka = &list["conversations"][1];
    assert_eq!(quokka["endpoint"], "openAI");
    assert_eq!(quokka["model"], "gpt-4o-mini");
    assert_eq!(quokka["createdAt"], "2024-05-29T16:26:40.123Z");
    let tree_id = list["conversations"][0]["conversationId"].as_str().unwrap();
    let (_, tree) = app
        .call(&t, Method::GET, &format!("/api/convos/{tree_id}"), None)
        .await;
    assert_eq!(tree["endpoint"], "anthropic");
    assert_eq!(tree["model"], "claude-3-5-sonnet-latest");
    assert_eq!(tree["temperature"], 0.3);
    assert_eq!(tree["promptPrefix"], "be brief");

    // The tree comes back as the client reads it: roots with NO_PARENT, branches kept.
    let id = quokka["conversationId"].as_str().unwrap();
    let (status, messages) = app
        .call(&t, Method::GET, &format!("/api/messages/{id}"), None)
        .await;
    assert_eq!(status, 200);
    let messages = messages.as_array().unwrap();
    assert_eq!(messages.len(), 5);
    assert_eq!(
        messages[0]["parentMessageId"],
        "00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(messages[0]["text"], "Where do quokkas live?");
    assert_eq!(messages[1]["parentMessageId"], messages[0]["messageId"]);
    assert_eq!(messages[2]["parentMessageId"], messages[0]["messageId"]);
    assert_eq!(messages[3]["parentMessageId"], messages[2]["messageId"]);
    assert_eq!(messages[1]["sender"], "GPT-4o");
    assert_eq!(messages[1]["isCreatedByUser"], false);
    assert_ne!(messages[0]["messageId"], "u1", "fresh IDs");

    // Imported messages are searchable at once.
    let (status, hits) = app
        .call(&t, Method::GET, "/api/messages?search=rottnest", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(hits["messages"].as_array().unwrap().len(), 2);
    let (_, hits) = app
        .call(&t, Method::GET, "/api/messages?search=trees", None)
        .await;
    assert_eq!(hits["messages"][0]["title"], "Tree talk");

    // Importing the same file again makes new copies, never clashes.
    let (status, _) = upload(&app, &t, LIBRECHAT).await;
    assert_eq!(status, 201);
    let (_, list) = app.call(&t, Method::GET, "/api/convos", None).await;
    assert_eq!(titles(&list), ["Tree talk", "Tree talk", "Quokka facts"]);
}

#[tokio::test]
async fn bad_files_are_refused_whole_with_the_reason() {
    let app = TestApp::builder()
        .env("CONVERSATION_IMPORT_MAX_FILE_SIZE_BYTES", "4096")
        .spawn()
        .await;
    app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    for (file, reason) in [
        (&b"not json"[..], "must start with"),
        (b"{\"hello\": 1}", "is not an export of LibreChat, ChatGPT"),
        (b"[{\"mapping\": 7}]", "is not a JSON export we can read"),
        (b"[{\"title\": \"t\", \"mapping\": {\"a\": {\"message\": {\"author\": {\"role\": \"user\"}, \"content\": {\"content_type\": \"text\", \"parts\": [\"x\"]}}}}}, 5]", "is not a JSON export we can read"),
    ] {
        let (status, body) = upload(&app, &t, file).await;
        assert_eq!(status, 400, "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.starts_with("The file "), "{message}");
        assert!(message.contains(reason), "{message}");
    }
    let (_, list) = app.call(&t, Method::GET, "/api/convos", None).await;
    assert_eq!(
        list["conversations"],
        serde_json::json!([]),
        "nothing stored"
    );

    // Over the configured size: 413 on both doors.
    let big = format!("[{}]", vec!["{}"; 2048].join(","));
    let (status, body) = upload(&app, &t, big.as_bytes()).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (413, Some("The file is larger than 4096 bytes"))
    );
    let res = app
        .client
        .post(app.url("/api/v1/conversations/import"))
        .bearer_auth(&t)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "payload_too_large");

    // No file field.
    let res = app
        .client
        .post(app.url("/api/convos/import"))
        .bearer_auth(&t)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nhi\r\n--x--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Not multipart at all.
    let res = app
        .client
        .post(app.url("/api/convos/import"))
        .bearer_auth(&t)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16() / 100, 4);
}

#[tokio::test]
async fn the_native_api_imports_a_file_body_and_reports() {
    let app = TestApp::spawn().await;
    app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let post = |file: &'static [u8]| {
        let (app, t) = (&app, t.clone());
        async move {
            let res = app
                .client
                .post(app.url("/api/v1/conversations/import"))
                .bearer_auth(&t)
                .header("content-type", "application/json")
                .body(file)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, report) = post(CHATGPT).await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(report["format"], "chatgpt");
    assert_eq!(report["messages"], 5);
    assert_eq!(report["skipped_empty"], 1);
    let id = report["conversations"][0].as_str().unwrap();
    let (status, convo) = app
        .call(
            &t,
            Method::GET,
            &format!("/api/v1/conversations/{id}"),
            None,
        )
        .await;
    assert_eq!(
        (status, convo["title"].as_str()),
        (200, Some("Quokka facts"))
    );

    let (status, report) = post(CHATBOT_UI).await;
    assert_eq!(status, 201);
    assert_eq!(report["format"], "chatbot-ui");
    assert_eq!(report["messages"], 4);

    let (status, problem) = post(b"{}").await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "file");
}
