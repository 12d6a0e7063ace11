//! Serving the LibreChat web client. With `CLIENT_DIR` set, its files are served (hashed
//! assets with year-long caching, precompressed `.br`/`.gz` variants when the browser accepts
//! them) and every other non-`/api` GET falls back to `index.html`, never cached, so the SPA's
//! routes (`/c/…`, `/login`, …) load. Without it, `/` says what ferrochat is.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::response::{Html, IntoResponse, Response};
use ferrochat_web::{ApiError, AppState};
use http::{HeaderValue, Method, header};
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

use crate::BootError;

/// Files under these prefixes carry content hashes in their names, so they never change.
const IMMUTABLE: &[&str] = &["/assets/", "/fonts/"];

const LANDING: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ferrochat</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{background:#eee;padding:0 .25rem}</style>
</head><body>
<h1>ferrochat is running</h1>
<p>A self-hosted, multi-user AI chat server, compatible with the LibreChat web client.</p>
<p>To use the web interface, build the LibreChat client (v0.8.1) and start ferrochat with
<code>CLIENT_DIR=/path/to/LibreChat/client/dist</code>.</p>
<p>Health: <a href="/health">/health</a> · readiness: <a href="/ready">/ready</a></p>
</body></html>"#;

/// Refuses to start with a `CLIENT_DIR` that holds no built client.
pub fn check_client_dir(dir: Option<&Path>) -> Result<(), BootError> {
    match dir {
        Some(dir) if !dir.join("index.html").is_file() => Err(BootError::Internal(format!(
            "CLIENT_DIR {} has no index.html; point it at the client's built dist folder",
            dir.display()
        ))),
        _ => Ok(()),
    }
}

/// Adds the client-serving fallback to `router`.
pub fn with_client(router: Router<AppState>, dir: Option<&Path>) -> Router<AppState> {
    let Some(dir) = dir else {
        return router.fallback(landing);
    };
    let index = dir.join("index.html");
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false)
        .fallback(
            ServeFile::new(index)
                .precompressed_br()
                .precompressed_gzip(),
        );
    router.fallback(move |req: Request| {
        let files = files.clone();
        async move { serve(files, req).await }
    })
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

async fn landing(req: Request) -> Response {
    if req.uri().path() == "/" && matches!(*req.method(), Method::GET | Method::HEAD) {
        return Html(LANDING).into_response();
    }
    ApiError::route_not_found().into_response()
}

async fn serve<F>(files: ServeDir<F>, req: Request) -> Response
where
    ServeDir<F>: tower::Service<
            Request,
            Response = Response<tower_http::services::fs::ServeFileSystemResponseBody>,
            Error = std::convert::Infallible,
        > + Clone,
    <ServeDir<F> as tower::Service<Request>>::Future: Send,
{
    let path = req.uri().path().to_owned();
    if is_api(&path) || !matches!(*req.method(), Method::GET | Method::HEAD) {
        return ApiError::route_not_found().into_response();
    }
    let Ok(response) = files.oneshot(req).await;
    let mut response = response.map(axum::body::Body::new);
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let cache = if html {
        "no-cache, must-revalidate"
    } else if IMMUTABLE.iter().any(|p| path.starts_with(p)) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=86400"
    };
    if response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    response
}
