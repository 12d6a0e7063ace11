//! File downloads, the same for every door: `/api/v1/files/{id}/content` and the LibreChat
//! client's `/api/files/download/…`.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use ferrochat_core::UserFile;
use ferrochat_services::{FileService, ServiceError};
use http::{HeaderMap, HeaderValue, StatusCode, header};

/// A file's bytes as a response: an attachment (never rendered inline, so an uploaded HTML or
/// SVG file cannot run script on this origin), `nosniff`, its SHA-256 as the ETag
/// (`If-None-Match` answers 304), and one `Range` honoured (206; outside the file, 416).
pub async fn file_response(
    files: &FileService,
    file: &UserFile,
    headers: &HeaderMap,
) -> Result<Response, ServiceError> {
    let etag = format!("\"{}\"", file.sha256);
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if unchanged {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set(&mut response, header::ETAG, &etag);
        return Ok(response);
    }
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(text) => match parse_range(text, file.bytes) {
            RangeAsked::One(r) => Some(r),
            RangeAsked::Ignored => None,
            RangeAsked::Unsatisfiable => {
                let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                set(
                    &mut response,
                    header::CONTENT_RANGE,
                    &format!("bytes */{}", file.bytes),
                );
                return Ok(response);
            }
        },
    };
    let read = files.contents(file, range.clone()).await?;
    let length = read.range.end - read.range.start;
    let status = if range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut response = (status, Body::from_stream(read.stream)).into_response();
    set(&mut response, header::CONTENT_TYPE, &file.content_type);
    set(&mut response, header::CONTENT_LENGTH, &length.to_string());
    set(&mut response, header::ETAG, &etag);
    set(&mut response, header::ACCEPT_RANGES, "bytes");
    set(&mut response, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(&mut response, header::CACHE_CONTROL, "private, no-cache");
    set(
        &mut response,
        header::CONTENT_DISPOSITION,
        &content_disposition(&file.filename),
    );
    if range.is_some() {
        set(
            &mut response,
            header::CONTENT_RANGE,
            &format!(
                "bytes {}-{}/{}",
                read.range.start,
                read.range.end - 1,
                read.size
            ),
        );
    }
    Ok(response)
}

fn set(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
}

/// `attachment` with an ASCII fallback name and the exact name in RFC 8187 form.
pub fn content_disposition(filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// What a `Range` header asks for.
#[derive(Debug, PartialEq, Eq)]
enum RangeAsked {
    /// One satisfiable range (end exclusive).
    One(std::ops::Range<u64>),
    /// Several ranges or another unit: served whole, as RFC 9110 allows.
    Ignored,
    /// Outside the file.
    Unsatisfiable,
}

fn parse_range(text: &str, size: u64) -> RangeAsked {
    let Some(spec) = text.trim().strip_prefix("bytes=") else {
        return RangeAsked::Ignored;
    };
    if spec.contains(',') {
        return RangeAsked::Ignored;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeAsked::Unsatisfiable;
    };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(s), Ok(e)) if s <= e => s..(e.saturating_add(1)).min(size),
        (Ok(s), Err(_)) if end.is_empty() => s..size,
        (Err(_), Ok(n)) if start.is_empty() && n > 0 => size.saturating_sub(n)..size,
        _ => return RangeAsked::Unsatisfiable,
    };
    if range.start >= size || range.is_empty() {
        RangeAsked::Unsatisfiable
    } else {
        RangeAsked::One(range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), RangeAsked::One(0..10));
        assert_eq!(parse_range("bytes=90-", 100), RangeAsked::One(90..100));
        assert_eq!(parse_range("bytes=-10", 100), RangeAsked::One(90..100));
        assert_eq!(parse_range("bytes=95-200", 100), RangeAsked::One(95..100));
        assert_eq!(parse_range("bytes=100-", 100), RangeAsked::Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 100), RangeAsked::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeAsked::Ignored);
        assert_eq!(parse_range("lines=1-2", 100), RangeAsked::Ignored);
    }

    #[test]
    fn dispositions_keep_names_safe() {
        assert_eq!(
            content_disposition("a \"b\".txt"),
            "attachment; filename=\"a _b_.txt\"; filename*=UTF-8''a%20%22b%22.txt"
        );
        assert!(content_disposition("é.png").contains("filename*=UTF-8''%C3%A9.png"));
    }
}
