//! `/api/files`: the LibreChat client's uploads (multipart), list, download and delete, over
//! the same file service as `/api/v1/files`.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use ferrochat_core::UserFile;
use ferrochat_services::FileService;
use ferrochat_services::ServiceError;
use ferrochat_services::files::NewFile;
use ferrochat_web::{AppState, AuthUser};
use http::{HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::CompatError;

/// Files listed for the client (its list is not paged).
const LIST_LIMIT: u32 = 100;

/// A file as the client's `TFile`.
pub fn tfile(files: &FileService, file: &UserFile) -> Value {
    json!({
        "_id": file.id.to_string(),
        "file_id": file.id.to_string(),
        "temp_file_id": file.temp_file_id,
        "user": file.user_id.to_string(),
        "filename": file.filename,
        "filepath": files.client_path(file),
        "type": file.content_type,
        "bytes": file.bytes,
        "object": "file",
        "embedded": false,
        "usage": 0,
        "source": file.source,
        "context": file.context,
        "width": file.width,
        "height": file.height,
        "createdAt": file.created_at,
        "updatedAt": file.created_at,
    })
}

/// `GET /api/files`: the user's files, newest first.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Value>, CompatError> {
    let page = state
        .services
        .files
        .list(auth.user.id, None, Some(LIST_LIMIT))
        .await
        .map_err(CompatError::from_service)?;
    let files = &state.services.files;
    Ok(Json(Value::Array(
        page.files.iter().map(|f| tfile(files, f)).collect(),
    )))
}

/// `GET /api/files/config`: the limits, in MB as the client reads them, and the operator's
/// `fileConfig` (per-endpoint rules, `clientImageResize`, …) over them, so the client checks
/// what the server will; with uploads off every attach button is hidden.
pub async fn config(State(state): State<AppState>, _auth: AuthUser) -> Json<Value> {
    let files = &state.services.files;
    let policy = files.policy();
    let mb = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let mut out = json!({
        "serverFileSizeLimit": mb(policy.max_file_size),
        "avatarSizeLimit": mb(files.avatar_limit()),
        "endpoints": {
            "default": {
                "disabled": !policy.enabled,
                "fileLimit": 10,
                "fileSizeLimit": mb(policy.max_file_size),
                "totalSizeLimit": mb(policy.user_quota.unwrap_or(policy.max_file_size * 10)),
            }
        }
    });
    if let Some(Value::Object(configured)) = policy.rules.raw.as_ref() {
        for (key, value) in configured {
            match (key.as_str(), value) {
                ("endpoints", Value::Object(endpoints)) => {
                    for (name, rules) in endpoints {
                        out["endpoints"][name] = rules.clone();
                    }
                }
                // The limit in force, as written when it is the configured one (a figure
                // turned into bytes and back would come out slightly off).
                ("serverFileSizeLimit", _)
                    if policy.rules.server_file_size_limit != Some(policy.max_file_size) => {}
                _ => out[key] = value.clone(),
            }
        }
    }
    if !policy.enabled
        && let Some(endpoints) = out["endpoints"].as_object_mut()
    {
        for rules in endpoints.values_mut() {
            match rules.as_object_mut() {
                Some(rules) => {
                    rules.insert("disabled".into(), Value::Bool(true));
                }
                None => *rules = json!({ "disabled": true }),
            }
        }
    }
    Json(out)
}

/// `POST /api/files` and `/api/files/images`: a multipart form with the `file` and the
/// client's fields (`file_id`, `width`, `height`, …) in any order. The file streams to storage
/// as it arrives; it is recorded once every field is read.
pub async fn upload(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Json<Value>, CompatError> {
    let files = &state.services.files;
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut new = NewFile::default();
    let mut staged = None;
    let mut fields_bad = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                if let Some(s) = staged.take() {
                    files.discard(s).await;
                }
                return Err(CompatError::new(
                    http::StatusCode::BAD_REQUEST,
                    format!("Unreadable form: {e}"),
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" && staged.is_none() {
            new.filename = field
                .file_name()
                .map(decode_name)
                .unwrap_or_else(|| "file".into());
            new.content_type = field.content_type().map(str::to_owned);
            match files.stage(auth.user.id, declared, field).await {
                Ok(s) => staged = Some(s),
                Err(e) => return Err(CompatError::from_service(e)),
            }
            continue;
        }
        let text = match field.text().await {
            Ok(t) => t,
            Err(e) => {
                fields_bad = Some(format!("Unreadable field {name}: {e}"));
                break;
            }
        };
        match name.as_str() {
            "file_id" => new.temp_file_id = Some(text),
            "width" => new.width = text.trim().parse().ok(),
            "height" => new.height = text.trim().parse().ok(),
            "tool_resource" if !text.is_empty() => new.context = Some(text),
            "endpoint" if !text.is_empty() => new.endpoint = Some(text),
            "endpointType" => new.custom_endpoint = text == "custom",
            _ => {}
        }
    }
    let Some(staged) = staged else {
        return Err(CompatError::new(
            http::StatusCode::BAD_REQUEST,
            "No file was sent (form field `file`)",
        ));
    };
    if let Some(why) = fields_bad {
        files.discard(staged).await;
        return Err(CompatError::new(http::StatusCode::BAD_REQUEST, why));
    }
    let file = files
        .record(staged, new)
        .await
        .map_err(CompatError::from_service)?;
    let mut body = tfile(files, &file);
    body["message"] = json!("File uploaded and processed successfully");
    Ok(Json(body))
}

/// `POST /api/files/images/avatar`: a multipart form whose `file` becomes the user's picture
/// (the client's `manual` field changes nothing); answers `{url}`, which `/api/user` then shows
/// as `avatar`. The service stops reading at its size limit (413).
pub async fn avatar(
    State(state): State<AppState>,
    auth: AuthUser,
    mut form: Multipart,
) -> Result<Json<Value>, CompatError> {
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let url = state
                    .services
                    .files
                    .set_avatar(auth.user.id, field)
                    .await
                    .map_err(CompatError::from_service)?;
                return Ok(Json(json!({ "url": url })));
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(CompatError::new(
                    http::StatusCode::BAD_REQUEST,
                    "No file was sent (form field `file`)",
                ));
            }
            Err(e) => {
                return Err(CompatError::new(
                    e.status(),
                    format!("Unreadable form: {e}"),
                ));
            }
        }
    }
}

/// The client sends the name URI-encoded.
fn decode_name(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(v).unwrap_or(b'_'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_owned())
}

/// `DELETE /api/files` body.
#[derive(Debug, Deserialize)]
pub struct DeleteBody {
    files: Vec<FileRef>,
}

/// One file to delete (the client sends more fields; only the ID is used).
#[derive(Debug, Deserialize)]
pub struct FileRef {
    file_id: String,
}

/// `DELETE /api/files`: deletes the listed files of the user's; others are not found.
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    body: crate::json::CompatJson<DeleteBody>,
) -> Result<Json<Value>, CompatError> {
    let crate::json::CompatJson(body) = body;
    if body.files.is_empty() {
        return Err(CompatError::new(
            http::StatusCode::BAD_REQUEST,
            "Nothing to delete",
        ));
    }
    let mut deleted = Vec::new();
    for f in &body.files {
        let id = f
            .file_id
            .parse()
            .map_err(|_| CompatError::from_service(ServiceError::NotFound("file")))?;
        state
            .services
            .files
            .delete(auth.user.id, id)
            .await
            .map_err(CompatError::from_service)?;
        deleted.push(f.file_id.clone());
    }
    Ok(Json(json!({
        "message": "Files deleted successfully",
        "result": { "deleted": deleted },
    })))
}

/// `GET /api/files/download/{userId}/{file_id}`: the bytes, with the file's `TFile` in
/// `X-File-Metadata`.
pub async fn download(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((user_id, file_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, CompatError> {
    let not_found = || CompatError::from_service(ServiceError::NotFound("file"));
    if user_id != auth.user.id.to_string() {
        return Err(not_found());
    }
    let id = file_id.parse().map_err(|_| not_found())?;
    let file = state
        .services
        .files
        .get(auth.user.id, id)
        .await
        .map_err(CompatError::from_service)?;
    let mut response =
        ferrochat_web::download::file_response(&state.services.files, &file, &headers)
            .await
            .map_err(CompatError::from_service)?;
    if let Ok(v) = HeaderValue::from_str(&tfile(&state.services.files, &file).to_string()) {
        response.headers_mut().insert("x-file-metadata", v);
    }
    Ok(response)
}

/// `GET /api/files/view/{userId}/{fileId}/{token}`: an image by its signed link, without
/// credentials (the client's `<img>` tags send none). Only PNG, JPEG, GIF and WebP are served,
/// inline, in a sandbox that runs nothing; anything else, or a wrong token, is not found.
pub async fn view(
    State(state): State<AppState>,
    Path((user_id, file_id, token)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, CompatError> {
    let not_found = || CompatError::from_service(ServiceError::NotFound("file"));
    let (Ok(user_id), Ok(file_id)) = (user_id.parse(), file_id.parse()) else {
        return Err(not_found());
    };
    let files = &state.services.files;
    let file = files
        .linked_image(user_id, file_id, &token)
        .await
        .map_err(CompatError::from_service)?;
    let mut response = ferrochat_web::download::file_response(files, &file, &headers)
        .await
        .map_err(CompatError::from_service)?;
    let h = response.headers_mut();
    h.insert(
        http::header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    h.insert(
        http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_uri_decoded() {
        assert_eq!(decode_name("r%C3%A9sum%C3%A9%20v2.pdf"), "résumé v2.pdf");
        assert_eq!(decode_name("100%"), "100%");
        assert_eq!(decode_name("plain.txt"), "plain.txt");
    }
}
