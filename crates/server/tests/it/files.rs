//! Files end to end: one-request uploads through both doors (the native body upload and the
//! LibreChat client's multipart form), downloads with ranges and ETags, limits and quotas
//! refused without leftovers, ownership, deletion with the account; resumable uploads with the
//! official tus Python client (tuspy), including a body cut off mid-way; and the same over a
//! real S3-compatible server (moto) when it can be installed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ferrochat_test_support::TestApp;
use reqwest::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Deterministic bytes that are not all alike (so ranges and joins are checked for real).
fn content(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn upload(app: &TestApp, token: &str, name: &str, kind: &str, body: Vec<u8>) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/files?filename={name}")))
        .bearer_auth(token)
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Every blob file under a directory (the local store's layout is its business; only the
/// count matters here).
fn blobs_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                found.push(p);
            }
        }
    }
    found
}

#[tokio::test]
async fn uploads_download_by_range_respect_limits_and_owners() {
    let app = TestApp::builder()
        .env("FILE_MAX_SIZE", "1MB")
        .env("FILE_USER_QUOTA", "2MB")
        .spawn()
        .await;
    app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;
    let blob_dir = app.data_dir().join("files");

    let bytes = content(300 * 1024);
    let (status, file) = upload(&app, &t, "notes%20v1.pdf", "application/pdf", bytes.clone()).await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["filename"], "notes v1.pdf");
    assert_eq!(file["content_type"], "application/pdf");
    assert_eq!(file["bytes"], 300 * 1024);
    assert_eq!(file["sha256"], sha(&bytes));
    assert_eq!(file["source"], "local");
    let id = file["id"].as_str().unwrap().to_owned();
    let content_url = file["content_url"].as_str().unwrap().to_owned();

    let (status, list) = app.call(&t, Method::GET, "/api/v1/files", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"][0]["id"], id.as_str());
    let (_, theirs) = app.call(&te, Method::GET, "/api/v1/files", None).await;
    assert_eq!(theirs["data"], serde_json::json!([]));
    for path in [format!("/api/v1/files/{id}"), content_url.clone()] {
        let (status, _) = app.call(&te, Method::GET, &path, None).await;
        assert_eq!(status, 404, "{path} is not eve's");
    }

    // Whole, as an attachment that browsers may not sniff.
    let res = app
        .client
        .get(app.url(&content_url))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let etag = h["etag"].to_str().unwrap().to_owned();
    assert_eq!(res.bytes().await.unwrap(), bytes);

    // A range, a range past the end, and a conditional request.
    let res = app
        .client
        .get(app.url(&content_url))
        .bearer_auth(&t)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.headers()["content-range"], "bytes 1000-1999/307200");
    assert_eq!(res.bytes().await.unwrap(), bytes[1000..2000]);
    let res = app
        .client
        .get(app.url(&content_url))
        .bearer_auth(&t)
        .header("range", "bytes=400000-")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 416);
    assert_eq!(res.headers()["content-range"], "bytes */307200");
    let res = app
        .client
        .get(app.url(&content_url))
        .bearer_auth(&t)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);

    // Too large: refused by its declared length, and while streaming when none is declared.
    let (status, problem) = upload(
        &app,
        &t,
        "big.bin",
        "application/octet-stream",
        content(1100 * 1024),
    )
    .await;
    assert_eq!(
        (status, &problem["code"]),
        (413, &serde_json::json!("payload_too_large"))
    );
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(content(64 * 1024))).collect();
    let res = app
        .client
        .post(app.url("/api/v1/files?filename=stream.bin"))
        .bearer_auth(&t)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);

    // The quota counts what is kept: 300 KB + 900 KB fit in 2 MB, another 900 KB does not.
    let (status, _) = upload(
        &app,
        &t,
        "b.bin",
        "application/octet-stream",
        content(900 * 1024),
    )
    .await;
    assert_eq!(status, 201);
    let (status, problem) = upload(
        &app,
        &t,
        "c.bin",
        "application/octet-stream",
        content(900 * 1024),
    )
    .await;
    assert_eq!(status, 413);
    assert!(
        problem["detail"].as_str().unwrap().contains("quota"),
        "{problem}"
    );
    assert_eq!(
        blobs_under(&blob_dir).len(),
        2,
        "refused uploads leave nothing behind"
    );

    // Bad descriptions.
    let (status, problem) = upload(&app, &t, "", "text/plain", b"x".to_vec()).await;
    assert_eq!(
        (status, &problem["errors"][0]["field"]),
        (422, &serde_json::json!("filename"))
    );
    let (status, _) = upload(&app, &t, "x.txt", "not a type", b"x".to_vec()).await;
    assert_eq!(status, 422);

    // Delete: the row and the blob go; then the account goes with the rest.
    let (status, _) = app
        .call(&t, Method::DELETE, &format!("/api/v1/files/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = app.call(&t, Method::GET, &content_url, None).await;
    assert_eq!(status, 404);
    assert_eq!(blobs_under(&blob_dir).len(), 1);
    let (status, _) = app.call(&t, Method::DELETE, "/api/user/delete", None).await;
    assert_eq!(status, 200);
    assert!(
        blobs_under(&blob_dir).is_empty(),
        "{:?}",
        blobs_under(&blob_dir)
    );
}

/// Posts a multipart `body` of content type `kind` to `path` with `token`.
pub(super) async fn post_form(
    app: &TestApp,
    token: &str,
    path: &str,
    kind: String,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// One field of a multipart form: its name, the file's name and type when it is a file, and
/// its bytes.
pub(super) type FormPart<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

/// A multipart body as browsers' `FormData` sends it; returns its content type and bytes.
pub(super) fn multipart_form(parts: &[FormPart<'_>]) -> (String, Vec<u8>) {
    let boundary = "----ferrochatTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (i, (name, file, bytes)) in parts.iter().enumerate() {
        let lead = if i == 0 { "" } else { "\r\n" };
        let disposition = match file {
            Some((filename, kind)) => format!(
                "form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {kind}"
            ),
            None => format!("form-data; name=\"{name}\""),
        };
        body.extend_from_slice(
            format!("{lead}--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
    }
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A multipart body the way the LibreChat client's `FormData` sends it: the file first, its
/// name URI-encoded, then the client's fields.
fn librechat_form(name: &str, kind: &str, bytes: &[u8], temp_id: &str) -> (String, Vec<u8>) {
    multipart_form(&[
        ("file", Some((name, kind)), bytes),
        ("file_id", None, temp_id.as_bytes()),
        ("endpoint", None, b"openAI"),
        ("width", None, b"640"),
        ("height", None, b"480"),
    ])
}

#[tokio::test]
async fn the_librechat_client_uploads_lists_downloads_and_deletes() {
    let app = TestApp::spawn().await;
    app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;

    let (status, config) = app.call(&t, Method::GET, "/api/files/config", None).await;
    assert_eq!(status, 200);
    assert_eq!(config["serverFileSizeLimit"], 100.0);
    assert_eq!(config["endpoints"]["default"]["disabled"], false);

    let png = content(5000);
    let (kind, body) = librechat_form("cat%20photo.png", "image/png", &png, "temp-123");
    let res = post_form(&app, &t, "/api/files/images", kind, body).await;
    assert_eq!(res.status(), 200);
    let file: Value = res.json().await.unwrap();
    assert_eq!(file["filename"], "cat photo.png");
    assert_eq!(file["temp_file_id"], "temp-123");
    assert_eq!(
        (file["width"].clone(), file["height"].clone()),
        (640.into(), 480.into())
    );
    assert_eq!(file["type"], "image/png");
    assert_eq!(file["bytes"], 5000);
    assert_eq!(file["object"], "file");
    assert!(file["message"].is_string());
    let file_id = file["file_id"].as_str().unwrap().to_owned();
    let view = file["filepath"].as_str().unwrap().to_owned();
    let filepath = format!(
        "/api/files/download/{}/{file_id}",
        file["user"].as_str().unwrap()
    );

    // An image's filepath is a signed link an <img> tag can load without credentials:
    // inline, sandboxed; a changed token or another file's ID is not found.
    assert!(view.starts_with("/api/files/view/"), "{view}");
    let res = app.client.get(app.url(&view)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-disposition"], "inline");
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(res.bytes().await.unwrap(), png);
    let forged = format!("{}0", &view[..view.len() - 1]);
    let forged = if forged == view {
        format!("{}1", &view[..view.len() - 1])
    } else {
        forged
    };
    assert_eq!(
        app.client
            .get(app.url(&forged))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let (_, list) = app.call(&t, Method::GET, "/api/files", None).await;
    assert_eq!(list[0]["file_id"], file_id.as_str());
    let (_, theirs) = app.call(&te, Method::GET, "/api/files", None).await;
    assert_eq!(theirs, serde_json::json!([]));

    let res = app
        .client
        .get(app.url(&filepath))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let meta: Value =
        serde_json::from_str(res.headers()["x-file-metadata"].to_str().unwrap()).unwrap();
    assert_eq!(meta["file_id"], file_id.as_str());
    assert_eq!(res.bytes().await.unwrap(), png);
    let (status, _) = app.call(&te, Method::GET, &filepath, None).await;
    assert_eq!(status, 404, "another user's download path");

    // A form without a file, and one cut short, are refused and keep nothing.
    let res = app
        .client
        .post(app.url("/api/files"))
        .bearer_auth(&t)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"file_id\"\r\n\r\nabc\r\n--x--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (kind, body) = librechat_form("cut.png", "image/png", &png, "temp-9");
    let res = post_form(
        &app,
        &t,
        "/api/files",
        kind,
        body[..body.len() / 2].to_vec(),
    )
    .await;
    assert_eq!(res.status(), 400);
    let (_, list) = app.call(&t, Method::GET, "/api/files", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    let delete = |token: String, id: String| {
        let app = &app;
        async move {
            app.call(
                &token,
                Method::DELETE,
                "/api/files",
                Some(serde_json::json!({ "files": [{ "file_id": id, "filepath": "x", "embedded": false, "source": "local" }] })),
            )
            .await
        }
    };
    let (status, _) = delete(te.clone(), file_id.clone()).await;
    assert_eq!(status, 404, "eve cannot delete ada's file");
    let (status, out) = delete(t.clone(), file_id.clone()).await;
    assert_eq!(status, 200, "{out}");
    let (_, list) = app.call(&t, Method::GET, "/api/files", None).await;
    assert_eq!(list, serde_json::json!([]));
}

/// Posts `bytes` as the LibreChat client's avatar form (`file`, then `manual`).
async fn post_avatar(app: &TestApp, token: &str, bytes: &[u8]) -> (u16, Value) {
    let boundary = "avatarBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"blob\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(
        format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"manual\"\r\n\r\ntrue\r\n--{boundary}--\r\n")
            .as_bytes(),
    );
    let res = post_form(
        app,
        token,
        "/api/files/images/avatar",
        format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A `w` × `h` picture (a gradient) in `format`.
fn picture(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let picture = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    }));
    let mut out = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut out), format)
        .unwrap();
    out
}

/// A large picture is stored scaled to fit 256 pixels (every page that shows the user loads
/// it); a small one is stored as sent.
#[tokio::test]
async fn large_avatars_are_scaled_down() {
    let app = TestApp::spawn().await;
    app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let png = |w: u32, h: u32| picture(w, h, image::ImageFormat::Png);
    let put = |body: Vec<u8>| {
        let app = &app;
        let t = &t;
        async move {
            let res = app
                .client
                .put(app.url("/api/v1/me/avatar"))
                .bearer_auth(t)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let me: Value = res.json().await.unwrap();
            let res = app
                .client
                .get(app.url(me["avatar"].as_str().unwrap()))
                .send()
                .await
                .unwrap();
            let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
            (kind, res.bytes().await.unwrap().to_vec())
        }
    };
    let (kind, stored) = put(png(1000, 500)).await;
    assert_eq!(kind, "image/jpeg");
    let back = image::load_from_memory(&stored).unwrap();
    assert_eq!((back.width(), back.height()), (256, 128));
    let (_, files) = app.call(&t, Method::GET, "/api/v1/files", None).await;
    assert_eq!(files["data"][0]["filename"], "avatar.jpg", "{files}");

    let small = png(100, 80);
    let (kind, stored) = put(small.clone()).await;
    assert_eq!(kind, "image/png");
    assert_eq!(stored, small);
}

#[tokio::test]
async fn an_uploaded_avatar_becomes_the_users_picture_and_replaces_the_last() {
    let app = TestApp::spawn().await;
    app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;

    let png = picture(40, 30, image::ImageFormat::Png);
    // Starts like a PNG, is not one.
    let mut fake = b"\x89PNG\r\n\x1a\n".to_vec();
    fake.extend_from_slice(&content(3000));
    let (status, out) = post_avatar(&app, &t, &fake).await;
    assert_eq!(status, 400, "{out}");
    let (status, out) = post_avatar(&app, &t, &png).await;
    assert_eq!(status, 200, "{out}");
    let url = out["url"].as_str().unwrap().to_owned();
    let (_, me) = app.call(&t, Method::GET, "/api/user", None).await;
    assert_eq!(me["avatar"], url.as_str());
    // The link loads without credentials, as an <img> does, as the image it is.
    let res = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap(), png);

    // A new picture (a JPEG, whatever the form declares) replaces the old, which is deleted.
    let jpeg = picture(40, 30, image::ImageFormat::Jpeg);
    let (status, out) = post_avatar(&app, &t, &jpeg).await;
    assert_eq!(status, 200, "{out}");
    let second = out["url"].as_str().unwrap().to_owned();
    assert_ne!(second, url);
    let res = app.client.get(app.url(&second)).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let res = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 404, "the replaced picture is gone");
    let (_, files) = app.call(&t, Method::GET, "/api/files", None).await;
    let files = files.as_array().unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0]["filename"], "avatar.jpg");

    // Not an image, too large, or no file: refused, and the picture stays.
    let (status, out) = post_avatar(&app, &t, b"<svg onload=alert(1)>").await;
    assert_eq!(status, 400, "{out}");
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    huge.resize(2 * 1024 * 1024 + 1, 0);
    let (status, _) = post_avatar(&app, &t, &huge).await;
    assert_eq!(status, 413);
    let res = app
        .client
        .post(app.url("/api/files/images/avatar"))
        .bearer_auth(&t)
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"manual\"\r\n\r\ntrue\r\n--x--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (_, me) = app.call(&t, Method::GET, "/api/user", None).await;
    assert_eq!(me["avatar"], second.as_str());
    let (_, files) = app.call(&t, Method::GET, "/api/files", None).await;
    assert_eq!(files.as_array().unwrap().len(), 1);
    // Without credentials, no upload.
    let (status, _) = post_avatar(&app, "not-a-token", &png).await;
    assert_eq!(status, 401);

    // The native door: the body is the image; the account comes back with the new link.
    let gif = picture(20, 20, image::ImageFormat::Gif);
    let res = app
        .client
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(&t)
        .body(gif.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    let third = me["avatar"].as_str().unwrap().to_owned();
    let res = app.client.get(app.url(&third)).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/gif");
    assert_eq!(res.bytes().await.unwrap(), gif);
    let res = app.client.get(app.url(&second)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .put(app.url("/api/v1/me/avatar"))
        .bearer_auth(&t)
        .body("plain text")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        422,
        "a validation problem, as everywhere in /api/v1"
    );
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    // Deleting the picture's file leaves the account without a picture, not with a dead link.
    let (_, files) = app.call(&t, Method::GET, "/api/v1/files", None).await;
    let id = files["data"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .call(&t, Method::DELETE, &format!("/api/v1/files/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (_, me) = app.call(&t, Method::GET, "/api/v1/me", None).await;
    assert!(me["avatar"].is_null(), "{me}");

    // And DELETE /api/v1/me/avatar removes a picture and its file.
    let (status, _) = post_avatar(&app, &t, &png).await;
    assert_eq!(status, 200);
    let res = app
        .client
        .delete(app.url("/api/v1/me/avatar"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (_, me) = app.call(&t, Method::GET, "/api/user", None).await;
    assert!(me["avatar"].is_null() || me["avatar"] == "", "{me}");
    let (_, files) = app.call(&t, Method::GET, "/api/files", None).await;
    assert_eq!(files, serde_json::json!([]));
}

#[tokio::test]
async fn librechat_file_config_rules_are_shown_and_held_to() {
    let fake = ferrochat_test_support::fake_llm::FakeLlm::start(
        ferrochat_test_support::fake_llm::Format::OpenAi,
    )
    .await;
    let yaml = format!(
        r#"
endpoints:
  custom:
    - name: "Local"
      apiKey: "k"
      baseURL: "{}"
      models: {{ default: ["m"] }}
      titleConvo: false
fileConfig:
  endpoints:
    default:
      fileLimit: 2
      fileSizeLimit: 0.01
      supportedMimeTypes: ["image/.*", "text/plain"]
    Local:
      fileLimit: 1
    openAI:
      disabled: true
  serverFileSizeLimit: 1
  avatarSizeLimit: 0.005
  clientImageResize: {{ enabled: true, maxWidth: 1024, maxHeight: 1024, quality: 0.8 }}
"#,
        fake.base_url()
    );
    let app = TestApp::builder().config_yaml(&yaml).spawn().await;
    app.user().email("ada@example.com").create().await;
    let t = app.token_for("ada@example.com").await;

    // The client reads the rules back, in its own shape.
    let (_, config) = app.call(&t, Method::GET, "/api/files/config", None).await;
    assert_eq!(config["serverFileSizeLimit"], 1.0);
    assert_eq!(config["avatarSizeLimit"], 0.005);
    assert_eq!(config["endpoints"]["default"]["fileLimit"], 2);
    assert_eq!(
        config["endpoints"]["default"]["supportedMimeTypes"],
        serde_json::json!(["image/.*", "text/plain"])
    );
    assert_eq!(config["endpoints"]["openAI"]["disabled"], true);
    assert_eq!(config["clientImageResize"]["maxWidth"], 1024);

    // Types and sizes by the default rules (10 KB here), for both doors.
    let (status, _) = upload(&app, &t, "a.txt", "text/plain", content(100)).await;
    assert_eq!(status, 201);
    let (status, body) = upload(&app, &t, "a.html", "text/html", content(100)).await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = upload(&app, &t, "b.txt", "text/plain", content(20_000)).await;
    assert_eq!(status, 413);
    let (kind, form) = librechat_form("x.html", "text/html", &content(100), "t1");
    let res = post_form(&app, &t, "/api/files", kind, form).await;
    assert_eq!(res.status(), 400);
    // The form names openAI, which takes no files.
    let (kind, form) = librechat_form("ok.png", "image/png", &content(100), "t2");
    let res = post_form(&app, &t, "/api/files/images", kind, form).await;
    assert_eq!(res.status(), 400);
    let (_, list) = app.call(&t, Method::GET, "/api/files", None).await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "refused files are not kept"
    );

    // Files per message: Local's own limit (1) beats the default's (2).
    let (_, second) = upload(&app, &t, "b.txt", "text/plain", content(50)).await;
    let ids = [
        list[0]["file_id"].as_str().unwrap().to_owned(),
        second["id"].as_str().unwrap().to_owned(),
    ];
    let chat = |files: Value| {
        let app = &app;
        let t = t.clone();
        async move {
            let res = app
                .client
                .post(app.url("/api/v1/chat"))
                .bearer_auth(&t)
                .json(&serde_json::json!({"endpoint": "Local", "text": "hi", "files": files, "stream": false}))
                .send()
                .await
                .unwrap();
            res.status().as_u16()
        }
    };
    assert_eq!(chat(serde_json::json!(ids)).await, 422);
    assert_eq!(chat(serde_json::json!([ids[0]])).await, 201);

    // The avatar limit (about 5 KB here).
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&content(6000));
    let (status, _) = post_avatar(&app, &t, &png).await;
    assert_eq!(status, 413);
}

/// Uploads `path` with tuspy in chunks; with `stop_after`, stops after that many chunks and
/// prints the upload URL, otherwise resumes `resume` (a URL) or starts fresh, to the end.
/// (Run off the test's runtime, which also serves the app: a blocking wait there would
/// stall the server the client is talking to.)
async fn tuspy(
    endpoint: &str,
    token: &str,
    path: &Path,
    stop_after: Option<u32>,
    resume: Option<&str>,
) -> String {
    let args = (
        endpoint.to_owned(),
        token.to_owned(),
        path.to_owned(),
        stop_after,
        resume.map(str::to_owned),
    );
    tokio::task::spawn_blocking(move || {
        let (endpoint, token, path, stop_after, resume) = args;
        tuspy_blocking(&endpoint, &token, &path, stop_after, resume.as_deref())
    })
    .await
    .unwrap()
}

fn tuspy_blocking(
    endpoint: &str,
    token: &str,
    path: &Path,
    stop_after: Option<u32>,
    resume: Option<&str>,
) -> String {
    let script = r#"
import sys
from tusclient import client
endpoint, token, path, stop_after, resume = sys.argv[1:6]
c = client.TusClient(endpoint, headers={"Authorization": "Bearer " + token})
kwargs = dict(file_path=path, chunk_size=64 * 1024, metadata={"filename": "report.bin", "filetype": "application/x-test"})
if resume:
    kwargs["url"] = resume
    # The resumed run sends tus checksums (SHA-1) with every chunk.
    kwargs["upload_checksum"] = True
up = c.uploader(**kwargs)
if stop_after:
    for _ in range(int(stop_after)):
        up.upload_chunk()
else:
    up.upload()
print(up.url)
"#;
    let out = Command::new("python3")
        .args([
            "-c",
            script,
            endpoint,
            token,
            path.to_str().unwrap(),
            &stop_after.map(|n| n.to_string()).unwrap_or_default(),
            resume.unwrap_or_default(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tuspy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

async fn tus(app: &TestApp, token: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("tus-resumable", "1.0.0")
}

/// The path part of an upload URL tuspy reports.
fn path_of(url: &str) -> String {
    url.find("/api/v1/uploads/")
        .map(|i| url[i..].to_owned())
        .unwrap_or_default()
}

/// Runs the resumable-upload story against `app` (local or S3 storage).
async fn resumable_story(app: &TestApp) {
    app.user().email("ada@example.com").create().await;
    app.user().email("eve@example.com").create().await;
    let t = app.token_for("ada@example.com").await;
    let te = app.token_for("eve@example.com").await;
    assert!(
        super::python::package("tusclient", "tuspy"),
        "tuspy is needed (pip install tuspy)"
    );

    let res = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["tus-version"], "1.0.0");
    let extensions = res.headers()["tus-extension"].to_str().unwrap();
    assert!(extensions.contains("termination") && extensions.contains("checksum"));
    assert_eq!(res.headers()["tus-checksum-algorithm"], "sha1,sha256");

    // tuspy sends 3 chunks, stops (a client gone away), then a new client resumes to the end.
    let dir = tempfile::tempdir().unwrap();
    let bytes = content(64 * 1024 * 5 + 1234);
    let file = dir.path().join("report.bin");
    std::fs::write(&file, &bytes).unwrap();
    let endpoint = app.url("/api/v1/uploads");
    let url = tuspy(&endpoint, &t, &file, Some(3), None).await;
    let upload = path_of(&url);
    let res = tus(app, &t, Method::HEAD, &upload)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["upload-offset"],
        (64 * 1024 * 3).to_string().as_str()
    );
    assert!(res.headers().contains_key("upload-expires"));
    let res = tus(app, &te, Method::HEAD, &upload)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "eve cannot see ada's upload");
    let again = tuspy(&endpoint, &t, &file, None, Some(&url)).await;
    assert_eq!(again, url);
    let res = tus(app, &t, Method::HEAD, &upload)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["upload-offset"],
        bytes.len().to_string().as_str()
    );
    let file_id = res.headers()["ferrochat-file-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let (_, meta) = app
        .call(&t, Method::GET, &format!("/api/v1/files/{file_id}"), None)
        .await;
    assert_eq!(meta["filename"], "report.bin");
    assert_eq!(meta["content_type"], "application/x-test");
    assert_eq!(meta["sha256"], sha(&bytes));
    let res = app
        .client
        .get(app.url(&format!("/api/v1/files/{file_id}/content")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap(), bytes);

    // The protocol's refusals, by hand.
    let res = app
        .client
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&t)
        .header("upload-length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 412, "no Tus-Resumable");
    let res = tus(app, &t, Method::POST, "/api/v1/uploads")
        .await
        .header("upload-length", "10")
        .header("upload-metadata", "filename aGkudHh0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let small = res.headers()["location"].to_str().unwrap().to_owned();
    let patch = |offset: &str, kind: &str, body: Vec<u8>| {
        let (app, t, small) = (app, t.clone(), small.clone());
        let (offset, kind) = (offset.to_owned(), kind.to_owned());
        async move {
            tus(app, &t, Method::PATCH, &small)
                .await
                .header("upload-offset", offset)
                .header("content-type", kind)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    const STREAM: &str = "application/offset+octet-stream";
    assert_eq!(
        patch("0", "text/plain", b"hello".to_vec()).await.status(),
        415
    );
    assert_eq!(patch("3", STREAM, b"hello".to_vec()).await.status(), 409);
    assert_eq!(
        patch("0", STREAM, b"hello world!".to_vec()).await.status(),
        413
    );
    let res = patch("0", STREAM, b"hello".to_vec()).await;
    assert_eq!(
        (
            res.status().as_u16(),
            res.headers()["upload-offset"].to_str().unwrap()
        ),
        (204, "5")
    );

    // Checksums: bytes that do not match are refused with 460 and not kept; an unknown
    // algorithm or a digest that is not base64 is a 400.
    let with_checksum = |checksum: String| {
        let (app, t, small) = (app, t.clone(), small.clone());
        async move {
            tus(app, &t, Method::PATCH, &small)
                .await
                .header("upload-offset", "5")
                .header("content-type", STREAM)
                .header("upload-checksum", checksum)
                .body(b"wor".to_vec())
                .send()
                .await
                .unwrap()
        }
    };
    let sha256_of = |bytes: &[u8]| {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
    };
    let refused = with_checksum(format!("sha256 {}", sha256_of(b"WOR"))).await;
    assert_eq!(refused.status().as_u16(), 460);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "checksum_mismatch");
    for bad in ["md5 AAAA", "sha256 !!!", "sha256"] {
        assert_eq!(with_checksum(bad.to_owned()).await.status(), 400, "{bad}");
    }
    let res = tus(app, &t, Method::HEAD, &small)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["upload-offset"], "5", "nothing was kept");

    // A body cut off mid-way: what arrived is kept, and the upload goes on from there.
    // The pause lets the first bytes leave the client before the failure tears the
    // connection down.
    let cut = futures_util::StreamExt::then(
        futures_util::stream::iter(vec![
            Ok(b"wor".to_vec()),
            Err(std::io::Error::other("cable pulled")),
        ]),
        |item| async move {
            if item.is_err() {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            item
        },
    );
    let sent = tus(app, &t, Method::PATCH, &small)
        .await
        .header("upload-offset", "5")
        .header("content-type", STREAM)
        .body(reqwest::Body::wrap_stream(cut))
        .send()
        .await;
    assert!(sent.is_err() || sent.is_ok_and(|r| r.status() != 204));
    let mut offset = String::new();
    for _ in 0..100 {
        let res = tus(app, &t, Method::HEAD, &small)
            .await
            .send()
            .await
            .unwrap();
        offset = res.headers()["upload-offset"].to_str().unwrap().to_owned();
        if offset == "8" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(offset, "8", "the 3 bytes that arrived were kept");
    let res = patch("8", STREAM, b"ld".to_vec()).await;
    assert_eq!(res.status(), 204);
    let id = res.headers()["ferrochat-file-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/files/{id}/content")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.bytes().await.unwrap(), &b"helloworld"[..]);

    // Termination.
    let res = tus(app, &t, Method::POST, "/api/v1/uploads")
        .await
        .header("upload-length", "100")
        .send()
        .await
        .unwrap();
    let gone = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        tus(app, &t, Method::DELETE, &gone)
            .await
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        tus(app, &t, Method::HEAD, &gone)
            .await
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn resumable_uploads_with_the_tus_python_client() {
    let app = TestApp::spawn().await;
    resumable_story(&app).await;
    // Parts are joined and removed: only the two files remain.
    assert_eq!(blobs_under(&app.data_dir().join("files")).len(), 2);
}

/// moto's S3 server on a free port, with a bucket; `None` (said loudly) when moto cannot be
/// installed.
pub(super) struct Moto {
    child: std::process::Child,
    pub(super) url: String,
}

impl Moto {
    /// The bucket's listing (S3's XML, one `<Key>` per object).
    pub(super) async fn listing(&self, bucket: &str) -> String {
        reqwest::get(format!("{}/{bucket}?list-type=2", self.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) async fn moto(bucket: &str) -> Option<Moto> {
    if !super::python::package("moto.server", "moto[server]") {
        eprintln!("*** SKIPPED: the S3 stories need moto (pip install 'moto[server]') ***");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(res) = client.put(format!("{}/{bucket}", moto.url)).send().await {
            assert!(res.status().is_success(), "bucket: {}", res.status());
            return Some(moto);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("moto did not start");
}

#[tokio::test]
async fn files_live_in_an_s3_bucket_when_configured() {
    let Some(moto) = moto("ferrochat-files").await else {
        return;
    };
    let app = TestApp::builder()
        .env("FILE_STRATEGY", "s3")
        .env("AWS_BUCKET_NAME", "ferrochat-files")
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_FORCE_PATH_STYLE", "true")
        .spawn()
        .await;
    resumable_story(&app).await;
    let t = app.token_for("ada@example.com").await;
    // Larger than one part: goes up as a multipart upload.
    let big = content(6 * 1024 * 1024 + 17);
    let (status, file) = upload(&app, &t, "big.bin", "application/octet-stream", big.clone()).await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["source"], "s3");
    let id = file["id"].as_str().unwrap();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/files/{id}/content")))
        .bearer_auth(&t)
        .header("range", "bytes=6291450-")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap(), big[6_291_450..]);
    // The bucket holds exactly the three files (the tus parts were removed).
    let listing = moto.listing("ferrochat-files").await;
    assert_eq!(listing.matches("<Key>").count(), 3, "{listing}");
    assert!(!listing.contains("uploads/"), "{listing}");
    let (status, _) = app
        .call(&t, Method::DELETE, &format!("/api/v1/files/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let listing = moto.listing("ferrochat-files").await;
    assert_eq!(listing.matches("<Key>").count(), 2, "{listing}");
}
