//! The messages ferrochat sends. Links are the only dynamic parts besides the name; every
//! interpolated value is HTML-escaped in the HTML body.

use crate::Email;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

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

#[cfg(test)]
mod tests {
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
