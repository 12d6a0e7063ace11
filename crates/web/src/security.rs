//! Security headers on every response, and the origin check for cookie-authenticated requests.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, header};

/// Content Security Policy for the served web client: same-origin scripts and connections,
/// inline styles (the client's CSS-in-JS needs them), images from anywhere over https and data:
/// (model avatars), and no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob: https:; font-src 'self' data:; connect-src 'self'; \
    media-src 'self' blob: data:; object-src 'none'; base-uri 'self'; form-action 'self'; \
    frame-ancestors 'none'";

/// Adds the security headers a response does not already set. The CSP and opener policy
/// only matter for documents a browser renders, so they go on HTML responses only, which keeps
/// every JSON answer some 350 bytes lighter.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let always = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    let documents = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    let extra: &[_] = if html { &documents } else { &[] };
    for (name, value) in always.iter().chain(extra) {
        if !h.contains_key(name) {
            h.insert(name.clone(), HeaderValue::from_static(value));
        }
    }
    response
}

/// The `scheme://host[:port]` part of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

/// CSRF defence for requests authenticated by cookie: when the browser says where the request
/// comes from (`Origin`, or failing that `Referer`), it must be one of `allowed` or the origin
/// the request was addressed to. Requests with neither header come from non-browser clients,
/// which cannot be tricked into sending a victim's cookies; SameSite=Strict covers old browsers.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[&str]) -> bool {
    let claimed = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null")
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .map(|r| origin_of(r).to_owned())
        });
    let Some(claimed) = claimed else {
        // `Origin: null` (sandboxed frames, file: pages) with no Referer is refused.
        return !headers.contains_key(header::ORIGIN);
    };
    let claimed = claimed.trim_end_matches('/');
    if allowed
        .iter()
        .any(|a| origin_of(a).eq_ignore_ascii_case(claimed))
    {
        return true;
    }
    // Same-origin: the page's origin names the host this request was sent to.
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    host.is_some_and(|host| {
        claimed
            .split_once("://")
            .is_some_and(|(_, h)| h.eq_ignore_ascii_case(host))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    async fn respond_with(content_type: &'static str) -> Response {
        use tower::ServiceExt as _;
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(
                    move || async move { ([(header::CONTENT_TYPE, content_type)], "x") },
                ),
            )
            .layer(axum::middleware::from_fn(super::headers));
        app.oneshot(http::Request::new(axum::body::Body::empty()))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn html_gets_a_csp_and_everything_gets_the_basics() {
        let page = respond_with("text/html; charset=utf-8").await;
        let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
        assert_eq!(page.headers()[header::X_FRAME_OPTIONS], "DENY");
        let api = respond_with("application/json").await;
        assert!(api.headers().get(header::CONTENT_SECURITY_POLICY).is_none());
        assert_eq!(api.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(
            api.headers()[header::REFERRER_POLICY],
            "strict-origin-when-cross-origin"
        );
    }

    #[test]
    fn origins() {
        let allowed = ["https://chat.example.com"];
        assert!(origin_allowed(
            &headers(&[("origin", "https://chat.example.com")]),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(&[("origin", "https://evil.example")]),
            &allowed
        ));
        assert!(origin_allowed(
            &headers(&[("referer", "https://chat.example.com/c/new")]),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(&[("referer", "https://evil.example/x")]),
            &allowed
        ));
        assert!(origin_allowed(&headers(&[]), &allowed));
        assert!(!origin_allowed(&headers(&[("origin", "null")]), &allowed));
        assert!(origin_allowed(
            &headers(&[
                ("origin", "http://127.0.0.1:4000"),
                ("host", "127.0.0.1:4000")
            ]),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(&[
                ("origin", "http://127.0.0.1:4001"),
                ("host", "127.0.0.1:4000")
            ]),
            &allowed
        ));
    }
}
