//! Configuration problems, collected so that one start reports all of them.

use std::fmt;
use std::path::Path;

use crate::sources::Origin;
use crate::spec::Spec;

/// One thing wrong with the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The option's key, or the file's path for problems with the file itself.
    pub key: String,
    /// Where the offending value came from.
    pub origin: Option<Origin>,
    /// What is wrong (never contains a secret value).
    pub message: String,
    /// A valid value, when there is one to show.
    pub example: Option<String>,
}

impl Problem {
    /// A value that does not parse as its option's type.
    pub fn invalid(spec: &Spec, origin: &Origin, value: &str, detail: Option<String>) -> Self {
        let shown = if spec.secret {
            "<redacted>".to_owned()
        } else {
            format!("`{value}`")
        };
        let mut message = format!("got {shown}, expected {}", spec.kind.expected());
        if let Some(detail) = detail {
            message.push_str(&format!(" ({detail})"));
        }
        Self {
            key: spec.key.to_owned(),
            origin: Some(origin.clone()),
            message,
            example: Some(spec.example.to_owned()),
        }
    }

    /// A key no option has.
    pub fn unknown(key: &str, origin: Origin) -> Self {
        let hint = crate::spec::SPECS
            .iter()
            .find(|s| s.key.ends_with(key) || key.ends_with(s.key.rsplit('.').next().unwrap_or("")))
            .map(|s| s.key.to_owned());
        Self {
            key: key.to_owned(),
            origin: Some(origin),
            message: "unknown option".to_owned(),
            example: hint.map(|h| format!("did you mean `{h}`?")),
        }
    }

    /// A problem with a named setting outside the option table (an environment variable, an
    /// entry of a list).
    pub fn named(key: &str, message: &str, example: &str) -> Self {
        Self {
            key: key.to_owned(),
            origin: None,
            message: message.to_owned(),
            example: Some(example.to_owned()),
        }
    }

    /// A problem with the configuration file as a whole.
    pub fn file(path: &Path, message: String) -> Self {
        Self {
            key: path.display().to_string(),
            origin: None,
            message,
            example: None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.key)?;
        if let Some(origin) = &self.origin {
            write!(f, " (from {origin})")?;
        }
        write!(f, ": {}", self.message)?;
        match &self.example {
            Some(ex) if ex.starts_with("did you mean") => write!(f, "; {ex}"),
            Some(ex) => write!(f, "; for example `{ex}`"),
            None => Ok(()),
        }
    }
}

/// Every problem found while loading the configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, in option order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "invalid configuration ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}
