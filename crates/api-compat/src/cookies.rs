//! The refresh cookie pair LibreChat's client round-trips (§2.1): `refreshToken` (HttpOnly,
//! SameSite=Strict, Secure when served over https, expiring with the session) and
//! `token_provider=librechat` with the same flags.

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, header};

/// Whether cookies get the `Secure` flag: when the public server URL is https.
pub fn secure(state: &ferrochat_web::AppState) -> bool {
    state.config.server.domain_server.starts_with("https://")
}

/// Name of the refresh-token cookie.
pub const REFRESH: &str = "refreshToken";
/// Name of the provider cookie.
pub const PROVIDER: &str = "token_provider";

fn flags(expires: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("; Path=/; Expires={expires}; HttpOnly; SameSite=Strict{secure}")
}

/// `Set-Cookie` headers that store a session's refresh token until it expires.
pub fn set(headers: &mut HeaderMap, token: &str, expires: DateTime<Utc>, secure: bool) {
    let expires = expires.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    for cookie in [
        format!("{REFRESH}={token}{}", flags(&expires, secure)),
        format!("{PROVIDER}=librechat{}", flags(&expires, secure)),
    ] {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
}

/// `Set-Cookie` headers that delete both cookies.
pub fn clear(headers: &mut HeaderMap, secure: bool) {
    for name in [REFRESH, PROVIDER] {
        let cookie = format!("{name}={}", flags("Thu, 01 Jan 1970 00:00:00 GMT", secure));
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
}

/// A cookie's value from the request's `Cookie` headers.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_round_trip() {
        let mut out = HeaderMap::new();
        let when = DateTime::from_timestamp(1_764_000_000, 0).unwrap_or_default();
        set(&mut out, "abc", when, true);
        let all: Vec<_> = out
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap_or(""))
            .collect();
        assert_eq!(
            all[0],
            "refreshToken=abc; Path=/; Expires=Mon, 24 Nov 2025 16:00:00 GMT; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(all[1].starts_with("token_provider=librechat;"));

        let mut req = HeaderMap::new();
        req.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; refreshToken=tok; b=2"),
        );
        assert_eq!(get(&req, REFRESH).as_deref(), Some("tok"));
        assert_eq!(get(&req, "missing"), None);
    }
}
