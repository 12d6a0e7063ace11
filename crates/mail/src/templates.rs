//! The messages ferrochat sends. Links are the only dynamic parts besides the name; every
//! interpolated value is HTML-escaped in the HTML body.

use ferrochat_core::html::escape;

use crate::Email;

fn email(to: &str, subject: &str, name: &str, lines: &[&str], link: &str, action: &str) -> Email {
    let mut text = format!("Hi {name},\n\n");
    for line in lines {
        text.push_str(line);
        text.push_str("\n\n");
    }
    text.push_str(&format!(
        "{action}: {link}\n\nIf you did not ask for this, ignore this message.\n"
    ));
    let paragraphs: String = lines
        .iter()
        .map(|l| format!("<p>{}</p>", escape(l)))
        .collect();
    let html = format!(
        "<!doctype html><html><body><p>Hi {},</p>{paragraphs}<p><a href=\"{}\">{}</a></p>\
         <p>If you did not ask for this, ignore this message.</p></body></html>",
        escape(name),
        escape(link),
        escape(action)
    );
    Email {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text,
        html,
        headers: Vec::new(),
    }
}

/// Asks a new user to confirm their address.
pub fn verify_email(to: &str, name: &str, link: &str, valid_minutes: u64) -> Email {
    let validity = format!("The link is valid for {valid_minutes} minutes.");
    email(
        to,
        "Verify your email",
        name,
        &[
            "Please confirm your email address to finish creating your account.",
            &validity,
        ],
        link,
        "Verify email",
    )
}

/// Sends a password-reset link.
pub fn reset_password(to: &str, name: &str, link: &str, valid_minutes: u64) -> Email {
    let validity = format!("The link is valid for {valid_minutes} minutes and works once.");
    email(
        to,
        "Password reset request",
        name,
        &[
            "Someone asked to reset the password of your account.",
            &validity,
        ],
        link,
        "Reset password",
    )
}

/// Confirms a password change.
pub fn password_changed(to: &str, name: &str, login_link: &str) -> Email {
    email(
        to,
        "Your password was changed",
        name,
        &["Your password was just reset, and every other session was signed out."],
        login_link,
        "Sign in",
    )
}

/// What a weekly digest reports (built by the digest service).
#[derive(Clone, Debug, Default)]
pub struct WeeklyDigest {
    /// The week, as people read it (`17–23 November 2026`).
    pub period: String,
    /// Conversations that gained messages.
    pub conversations: usize,
    /// Messages (questions and answers) in those conversations.
    pub messages: i64,
    /// Answers (completed, stopped or failed).
    pub answers: i64,
    /// Tokens, prompt and answer.
    pub tokens: i64,
    /// Answers per model, most used first.
    pub models: Vec<(String, i64)>,
    /// The busiest conversations: title, messages, link.
    pub top: Vec<(String, i64, String)>,
    /// Where the client is.
    pub app_link: String,
    /// Where one click unsubscribes.
    pub unsubscribe_link: String,
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The weekly digest, with `List-Unsubscribe` (and one-click, RFC 8058) headers.
pub fn weekly_digest(to: &str, name: &str, d: &WeeklyDigest) -> Email {
    let conversations = i64::try_from(d.conversations).unwrap_or(i64::MAX);
    let summary = format!(
        "Your week, {}: {} in {}, {} ({}).",
        d.period,
        plural(d.messages, "message", "messages"),
        plural(conversations, "conversation", "conversations"),
        plural(d.answers, "answer", "answers"),
        plural(d.tokens, "token", "tokens"),
    );
    let models: Vec<String> = d
        .models
        .iter()
        .map(|(model, n)| format!("{model}: {}", plural(*n, "answer", "answers")))
        .collect();
    let mut text = format!("Hi {name},\n\n{summary}\n");
    if !models.is_empty() {
        text.push_str("\nModels\n");
        for m in &models {
            text.push_str(&format!("- {m}\n"));
        }
    }
    if !d.top.is_empty() {
        text.push_str("\nBusiest conversations\n");
        for (title, n, link) in &d.top {
            text.push_str(&format!(
                "- {title} ({}): {link}\n",
                plural(*n, "message", "messages")
            ));
        }
    }
    text.push_str(&format!(
        "\nOpen ferrochat: {}\n\nYou get this because you subscribed to a weekly digest. \
         Unsubscribe: {}\n",
        d.app_link, d.unsubscribe_link
    ));
    let mut html = format!(
        "<!doctype html><html><body><p>Hi {},</p><p>{}</p>",
        escape(name),
        escape(&summary)
    );
    if !models.is_empty() {
        html.push_str("<h3>Models</h3><ul>");
        for m in &models {
            html.push_str(&format!("<li>{}</li>", escape(m)));
        }
        html.push_str("</ul>");
    }
    if !d.top.is_empty() {
        html.push_str("<h3>Busiest conversations</h3><ul>");
        for (title, n, link) in &d.top {
            html.push_str(&format!(
                "<li><a href=\"{}\">{}</a> ({})</li>",
                escape(link),
                escape(title),
                plural(*n, "message", "messages")
            ));
        }
        html.push_str("</ul>");
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">Open ferrochat</a></p><p style=\"color:#666\">You get this because \
         you subscribed to a weekly digest. <a href=\"{}\">Unsubscribe</a></p></body></html>",
        escape(&d.app_link),
        escape(&d.unsubscribe_link)
    ));
    Email {
        to: to.to_owned(),
        subject: format!("Your week on ferrochat: {}", d.period),
        text,
        html,
        headers: vec![
            (
                "List-Unsubscribe".to_owned(),
                format!("<{}>", d.unsubscribe_link),
            ),
            (
                "List-Unsubscribe-Post".to_owned(),
                "List-Unsubscribe=One-Click".to_owned(),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn digests_escape_titles_and_carry_unsubscribe_headers() {
        let d = WeeklyDigest {
            period: "17–23 November 2026".into(),
            conversations: 2,
            messages: 1,
            answers: 3,
            tokens: 1200,
            models: vec![("gpt-4o".into(), 3)],
            top: vec![("<b>Plans</b>".into(), 4, "https://chat.example/c/1".into())],
            app_link: "https://chat.example/".into(),
            unsubscribe_link: "https://chat.example/api/v1/digest/unsubscribe?token=t".into(),
        };
        let m = weekly_digest("a@example.com", "Ann", &d);
        assert!(
            m.text
                .contains("1 message in 2 conversations, 3 answers (1200 tokens)")
        );
        assert!(m.text.contains("- gpt-4o: 3 answers"));
        assert!(
            m.text
                .contains("- <b>Plans</b> (4 messages): https://chat.example/c/1")
        );
        assert!(m.html.contains("&lt;b&gt;Plans&lt;/b&gt;"));
        assert!(!m.html.contains("<b>Plans"));
        assert_eq!(
            m.headers[0],
            (
                "List-Unsubscribe".to_owned(),
                "<https://chat.example/api/v1/digest/unsubscribe?token=t>".to_owned()
            )
        );
    }

    use super::*;

    #[test]
    fn html_is_escaped_and_links_are_present() {
        let m = reset_password(
            "a@example.com",
            "<script>",
            "https://x/reset?token=a&userId=b",
            15,
        );
        assert!(m.text.contains("https://x/reset?token=a&userId=b"));
        assert!(m.html.contains("&lt;script&gt;"));
        assert!(m.html.contains("token=a&amp;userId=b"));
        assert!(!m.html.contains("<script>"));
    }
}
