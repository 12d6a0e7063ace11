//! HTML text escaping, for the few pages and mails the server writes itself.

/// Escapes `&`, `<`, `>`, `"` and `'`, so text is safe in element content and quoted
/// attribute values.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
