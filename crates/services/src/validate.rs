//! Input checks shared by every service, so each door enforces the same limits.

use crate::FieldError;

/// Longest email address SMTP allows.
pub const EMAIL_MAX: usize = 254;
/// Longest display name.
pub const NAME_MAX: usize = 100;
/// Longest username.
pub const USERNAME_MAX: usize = 80;

/// Collects field errors so a caller hears about every bad field at once.
#[derive(Debug, Default)]
pub struct Checks(pub Vec<FieldError>);

impl Checks {
    /// Records a problem with `field`.
    pub fn fail(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// `Ok` when nothing failed, otherwise every failure.
    pub fn finish(self) -> Result<(), crate::ServiceError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::ServiceError::Invalid(self.0))
        }
    }
}

/// Normalises an email (trim, lower-case) and checks its shape: one `@`, a non-empty local
/// part, a dotted domain, no whitespace or control characters. Deliverability is the
/// verification mail's job, not this function's.
pub fn email(raw: &str, checks: &mut Checks) -> String {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= EMAIL_MAX
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if !valid {
        checks.fail("email", "must be a valid email address");
    }
    email
}

/// Trims a display name and checks it is 1-100 characters without control characters.
pub fn name(raw: &str, checks: &mut Checks) -> String {
    label(raw, "name", NAME_MAX, checks)
}

/// Trims a short label (a name, title or tag) and checks it is 1 to `max` characters without
/// control characters.
pub fn label(raw: &str, field: &'static str, max: usize, checks: &mut Checks) -> String {
    let label = raw.trim().to_owned();
    let n = label.chars().count();
    if n == 0 || n > max || label.chars().any(char::is_control) {
        checks.fail(field, format!("must be 1 to {max} characters"));
    }
    label
}

/// Checks optional free text is at most `max` characters.
pub fn text_max(text: Option<&str>, field: &'static str, max: usize, checks: &mut Checks) {
    if text.is_some_and(|t| t.chars().count() > max) {
        checks.fail(field, format!("must be at most {max} characters"));
    }
}

/// Checks a username: 2-80 of letters, digits, `_`, `-` and `.`.
pub fn username(raw: &str, checks: &mut Checks) -> String {
    let username = raw.trim().to_owned();
    let n = username.chars().count();
    let ok_chars = username
        .chars()
        .all(|c| c.is_alphanumeric() || "_-.".contains(c));
    if !(2..=USERNAME_MAX).contains(&n) || !ok_chars {
        checks.fail(
            "username",
            format!("must be 2 to {USERNAME_MAX} letters, digits, '_', '-' or '.'"),
        );
    }
    username
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        let mut c = Checks::default();
        assert_eq!(email("  Ada@Example.COM ", &mut c), "ada@example.com");
        assert!(c.0.is_empty());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            let mut c = Checks::default();
            email(bad, &mut c);
            assert_eq!(c.0.len(), 1, "{bad:?} should be refused");
        }
    }

    #[test]
    fn names_and_usernames() {
        let mut c = Checks::default();
        name("", &mut c);
        username("a", &mut c);
        username("ok_name", &mut c);
        name(&"x".repeat(101), &mut c);
        let fields: Vec<_> = c.0.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "username", "name"]);
    }
}
