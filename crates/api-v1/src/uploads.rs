//! Resumable uploads over the tus protocol 1.0 (<https://tus.io/protocols/resumable-upload>),
//! with the creation, creation-with-upload, termination and expiration extensions, at
//! `/api/v1/uploads`. Any tus client works: create with `POST` (`Upload-Length`,
//! `Upload-Metadata` with `filename` and `filetype`), send bytes with `PATCH` at the offset
//! `HEAD` reports, and the last byte makes the file (its ID in `Ferrochat-File-Id`).

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ferrochat_core::{Upload, UploadId};
use ferrochat_services::ServiceError;
use ferrochat_services::files::{Appended, Checksum, ChecksumAlgorithm, NewFile};
use ferrochat_web::error::ErrorCode;
use ferrochat_web::{ApiError, AppState, AuthUser};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::files::number;

/// The protocol version spoken.
const TUS_VERSION: &str = "1.0.0";
/// Extensions implemented.
const TUS_EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration,checksum";
/// The content type of upload bytes.
const OFFSET_STREAM: &str = "application/offset+octet-stream";
/// Longest `Upload-Metadata` kept.
const MAX_METADATA: usize = 4096;

const PROBLEM: &str = "A problem (RFC 9457): `code` says which; see docs/errors.md";

/// Every tus response says which version it speaks; a request in another version is refused
/// (412) before it reaches a handler.
pub async fn tus_headers(request: Request, next: Next) -> Response {
    let options = request.method() == http::Method::OPTIONS;
    let version = request
        .headers()
        .get("tus-resumable")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut response = if !options && version.as_deref() != Some(TUS_VERSION) {
        let mut refused = ApiError::new(
            ErrorCode::PreconditionFailed,
            format!("send Tus-Resumable: {TUS_VERSION}"),
        )
        .into_response();
        refused
            .headers_mut()
            .insert("tus-version", HeaderValue::from_static(TUS_VERSION));
        refused
    } else {
        next.run(request).await
    };
    response
        .headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    response
}

fn upload_id(text: &str) -> Result<UploadId, ApiError> {
    text.parse()
        .map_err(|_| ServiceError::NotFound("upload").into())
}

fn set(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
}

/// RFC 9110's date format, as `Upload-Expires` wants it.
fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// The file name and type in an `Upload-Metadata` header (`key base64,key base64`).
fn metadata(text: &str) -> Result<(Option<String>, Option<String>), ApiError> {
    let bad = || -> ApiError {
        ServiceError::invalid(
            "Upload-Metadata",
            "must be comma-separated keys, each with an optional base64 value",
        )
        .into()
    };
    let (mut name, mut kind) = (None, None);
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once(' ') {
            Some((k, v)) => (k, v.trim()),
            None => (pair, ""),
        };
        let value = base64::engine::general_purpose::STANDARD
            .decode(value)
            .ok()
            .and_then(|v| String::from_utf8(v).ok())
            .ok_or_else(bad)?;
        match key {
            "filename" | "name" => name = Some(value),
            "filetype" | "type" | "content_type" | "mimetype" => kind = Some(value),
            _ => {}
        }
    }
    Ok((name, kind))
}

/// `OPTIONS /api/v1/uploads`: what this server supports.
#[utoipa::path(
    options,
    path = "/api/v1/uploads",
    operation_id = "tus_options",
    tag = "uploads",
    summary = "tus: the protocol versions, extensions and largest size supported",
    responses((status = 204, description = "`Tus-Version`, `Tus-Extension` and `Tus-Max-Size` headers"))
)]
pub async fn options(State(state): State<AppState>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    set(&mut response, "tus-version", TUS_VERSION);
    set(&mut response, "tus-extension", TUS_EXTENSIONS);
    set(
        &mut response,
        "tus-checksum-algorithm",
        ChecksumAlgorithm::OFFERED,
    );
    set(
        &mut response,
        "tus-max-size",
        &state.services.files.policy().max_file_size.to_string(),
    );
    response
}

/// `POST /api/v1/uploads`: starts an upload of `Upload-Length` bytes; a body (with
/// `Content-Type: application/offset+octet-stream`) is its first part.
#[utoipa::path(
    post,
    path = "/api/v1/uploads",
    operation_id = "tus_create",
    tag = "uploads",
    summary = "tus: start a resumable upload",
    params(
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Length" = u64, Header, description = "Total size in bytes"),
        ("Upload-Metadata" = Option<String>, Header, description = "`filename <base64>,filetype <base64>`"),
    ),
    responses(
        (status = 201, description = "Created; `Location` is the upload's URL, `Upload-Offset` how much of the body was kept"),
        (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if headers.contains_key("upload-defer-length") {
        return Err(ServiceError::invalid(
            "Upload-Defer-Length",
            "is not supported: send Upload-Length",
        )
        .into());
    }
    let length = number(&headers, "upload-length").ok_or_else(|| {
        ApiError::from(ServiceError::invalid(
            "Upload-Length",
            "is required: the total size in bytes",
        ))
    })?;
    let raw = headers
        .get("upload-metadata")
        .map(|v| v.to_str().unwrap_or("\u{0}"))
        .unwrap_or("");
    if raw.len() > MAX_METADATA || raw.contains('\u{0}') {
        return Err(ServiceError::invalid("Upload-Metadata", "is too long or not text").into());
    }
    let (filename, content_type) = metadata(raw)?;
    let sum = checksum(&headers)?;
    let new = NewFile {
        filename: filename.unwrap_or_else(|| "upload".into()),
        content_type,
        ..NewFile::default()
    };
    let files = &state.services.files;
    let upload = files
        .create_upload(auth.user.id, length, new, raw.to_owned())
        .await?;
    let with_body = is_offset_stream(&headers) && number(&headers, "content-length") != Some(0);
    let appended = if with_body {
        Some(append(&state, &auth, upload.id, 0, body, sum).await?)
    } else {
        None
    };
    let mut response = StatusCode::CREATED.into_response();
    set(
        &mut response,
        "location",
        &format!("/api/v1/uploads/{}", upload.id),
    );
    match appended {
        Some(appended) => progress(&mut response, &appended),
        None => {
            set(
                &mut response,
                "upload-expires",
                &http_date(upload.expires_at),
            );
            set(&mut response, "upload-offset", "0");
        }
    }
    Ok(response)
}

/// Appends on a task of its own: when the client drops the connection mid-body, the request's
/// future is dropped with it, but the bytes that did arrive must still be stored and counted,
/// so the client can resume from there (the point of the protocol).
async fn append(
    state: &AppState,
    auth: &AuthUser,
    id: UploadId,
    offset: u64,
    body: Body,
    checksum: Option<Checksum>,
) -> Result<Appended, ApiError> {
    let files = state.services.files.clone();
    let user_id = auth.user.id;
    let stream = body.into_data_stream();
    let task =
        tokio::spawn(async move { files.append(user_id, id, offset, stream, checksum).await });
    match task.await {
        Ok(result) => Ok(result?),
        Err(e) => Err(ServiceError::Internal(Box::new(e)).into()),
    }
}

/// `Upload-Checksum: <algorithm> <base64 digest>` (tus' checksum extension), if sent.
fn checksum(headers: &HeaderMap) -> Result<Option<Checksum>, ApiError> {
    let Some(value) = headers.get("upload-checksum") else {
        return Ok(None);
    };
    let bad = |why: String| ApiError::new(ErrorCode::BadRequest, why);
    let text = value
        .to_str()
        .map_err(|_| bad("Upload-Checksum is not text".into()))?;
    let (name, digest) = text
        .trim()
        .split_once(' ')
        .ok_or_else(|| bad("Upload-Checksum is `<algorithm> <base64 digest>`".into()))?;
    let algorithm = ChecksumAlgorithm::parse(name).ok_or_else(|| {
        bad(format!(
            "the checksum algorithm {name:?} is not supported; use one of {}",
            ChecksumAlgorithm::OFFERED
        ))
    })?;
    let digest = base64::engine::general_purpose::STANDARD
        .decode(digest.trim())
        .map_err(|_| bad("the Upload-Checksum digest is not base64".into()))?;
    Ok(Some(Checksum { algorithm, digest }))
}

fn is_offset_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(OFFSET_STREAM))
}

/// The offset, expiry and (when done) file headers after a write.
fn progress(response: &mut Response, appended: &Appended) {
    set(
        response,
        "upload-offset",
        &appended.upload.offset.to_string(),
    );
    match &appended.file {
        Some(file) => set(response, "ferrochat-file-id", &file.id.to_string()),
        None => set(
            response,
            "upload-expires",
            &http_date(appended.upload.expires_at),
        ),
    }
}

/// `HEAD /api/v1/uploads/{id}`: where the upload stands.
#[utoipa::path(
    head,
    path = "/api/v1/uploads/{id}",
    operation_id = "tus_head",
    tag = "uploads",
    summary = "tus: how much of an upload has arrived",
    params(
        ("id" = String, Path, description = "Upload ID"),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
    ),
    responses(
        (status = 200, description = "`Upload-Offset` and `Upload-Length`; `Ferrochat-File-Id` once complete"),
        (status = 404, description = "No such upload (or it expired)")
    )
)]
pub async fn head(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let upload = state
        .services
        .files
        .upload_state(auth.user.id, upload_id(&id)?)
        .await?;
    let mut response = StatusCode::OK.into_response();
    describe(&mut response, &upload);
    Ok(response)
}

fn describe(response: &mut Response, upload: &Upload) {
    set(response, "upload-offset", &upload.offset.to_string());
    set(response, "upload-length", &upload.length.to_string());
    set(response, "cache-control", "no-store");
    if !upload.metadata.is_empty() {
        set(response, "upload-metadata", &upload.metadata);
    }
    match upload.file_id {
        Some(file) => set(response, "ferrochat-file-id", &file.to_string()),
        None => set(response, "upload-expires", &http_date(upload.expires_at)),
    }
}

/// `PATCH /api/v1/uploads/{id}`: the bytes from `Upload-Offset` on.
#[utoipa::path(
    patch,
    path = "/api/v1/uploads/{id}",
    operation_id = "tus_patch",
    tag = "uploads",
    summary = "tus: send bytes of an upload",
    params(
        ("id" = String, Path, description = "Upload ID"),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Offset" = u64, Header, description = "Where these bytes start; must equal the upload's offset"),
        ("Upload-Checksum" = Option<String>, Header, description = "`sha1 <base64>` or `sha256 <base64>`: bytes that do not match are not kept (460)"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "Stored; `Upload-Offset` is the new offset, `Ferrochat-File-Id` the file once complete"),
        (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json")
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if !is_offset_stream(&headers) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("send the bytes as {OFFSET_STREAM}"),
        ));
    }
    let offset = number(&headers, "upload-offset").ok_or_else(|| {
        ApiError::from(ServiceError::invalid(
            "Upload-Offset",
            "is required: where these bytes start",
        ))
    })?;
    let sum = checksum(&headers)?;
    let appended = append(&state, &auth, upload_id(&id)?, offset, body, sum).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    progress(&mut response, &appended);
    Ok(response)
}

/// `DELETE /api/v1/uploads/{id}`: abandons an upload (tus termination).
#[utoipa::path(
    delete,
    path = "/api/v1/uploads/{id}",
    operation_id = "tus_terminate",
    tag = "uploads",
    summary = "tus: abandon an upload",
    params(
        ("id" = String, Path, description = "Upload ID"),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
    ),
    responses((status = 204, description = "Gone"), (status = "4XX", description = PROBLEM, body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn terminate(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .files
        .terminate(auth.user.id, upload_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_pairs_decode() {
        let parsed = metadata(
            "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential, filetype YXBwbGljYXRpb24vcGRm",
        );
        assert_eq!(
            parsed.ok(),
            Some((
                Some("world_domination_plan.pdf".into()),
                Some("application/pdf".into())
            ))
        );
        assert!(metadata("filename !!!").is_err());
    }
}
