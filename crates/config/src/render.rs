//! Text renderings of the option table: the example file, the reference page and
//! `config show`.

use std::fmt::Write as _;

use crate::Config;
use crate::secret::redact_url;
use crate::spec::{SPECS, Spec};

/// Splits `section.name` into `(Some(section), name)`, or `(None, key)` for top-level keys.
fn split(key: &str) -> (Option<&str>, &str) {
    match key.split_once('.') {
        Some((section, name)) => (Some(section), name),
        None => (None, key),
    }
}

/// Writes YAML lines for each option, grouped by section; `value` gives the line's value and a
/// trailing comment, or `None` to emit the option commented out with its example.
fn yaml(mut value: impl FnMut(&Spec) -> (Option<String>, String)) -> String {
    let mut out = String::new();
    let mut section: Option<&str> = None;
    for spec in SPECS {
        let (sec, name) = split(spec.key);
        if sec != section {
            out.push('\n');
            if let Some(sec) = sec {
                let _ = writeln!(out, "{sec}:");
            }
            section = sec;
        }
        let indent = if sec.is_some() { "  " } else { "" };
        let (line, comment) = value(spec);
        match line {
            Some(v) => {
                let _ = writeln!(out, "{indent}{name}: {v}  # {comment}");
            }
            None => {
                for doc_line in wrap(spec.doc, 96) {
                    let _ = writeln!(out, "{indent}# {doc_line}");
                }
                let default = default_text(spec);
                let _ = writeln!(
                    out,
                    "{indent}# env: {}; default: {default}",
                    spec.env.join(", ")
                );
                let _ = writeln!(out, "{indent}# {name}: {}", quote(spec.example));
            }
        }
    }
    out
}

/// The commented example configuration file (`ferrochat config example`).
pub fn example_file() -> String {
    let mut out = String::from(
        "# ferrochat.yaml: every option, commented out with an example value.\n\
         # Precedence: defaults < this file < environment variables < command-line flags.\n\
         # Durations take units (250ms, 30s, 15m, 7d) or milliseconds (1000 * 60 * 15).\n",
    );
    out.push_str(&yaml(|_| (None, String::new())));
    out
}

/// The effective configuration as YAML, each line saying where its value came from, with
/// secrets redacted (`ferrochat config show`).
pub fn show(config: &Config) -> String {
    yaml(|spec| match config.raw.get(spec.key) {
        Some(raw) if spec.secret => (Some("<redacted>".into()), raw.origin.to_string()),
        Some(raw) if spec.kind.has_credentials() => {
            (Some(quote(&redact_url(&raw.value))), raw.origin.to_string())
        }
        Some(raw) => (Some(quote(&raw.value)), raw.origin.to_string()),
        None if is_generated(spec) => (
            Some("null".into()),
            "generated in data_dir/secrets.json".into(),
        ),
        None => (Some("null".into()), "unset".into()),
    })
}

/// The option reference table in Markdown (embedded in `docs/configuration.md`).
pub fn markdown_reference() -> String {
    let mut out = String::from(
        "| Key | Environment | Default | Example | Description |\n|---|---|---|---|---|\n",
    );
    for spec in SPECS {
        let env = spec
            .env
            .iter()
            .map(|e| format!("`{e}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let default = match spec.default {
            Some(d) => format!("`{d}`"),
            None => default_text(spec).into(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | `{}` | {} {} |",
            spec.key,
            env,
            default,
            spec.example,
            spec.doc,
            format_args!("Takes {}.", spec.kind.expected())
        );
    }
    out
}

/// Quotes a YAML scalar when it would otherwise be read as something else.
fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-:@".contains(c))
        && !value.starts_with(['-', ':', '@']);
    if plain {
        value.to_owned()
    } else {
        format!("{value:?}")
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let fits = lines.last().is_some_and(|l| l.len() + word.len() < width);
        if !fits {
            lines.push(String::new());
        }
        if let Some(line) = lines.last_mut() {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.into_iter().filter(|l| !l.is_empty()).collect()
}

/// Whether a missing value is generated and kept in `secrets.json` (the signing and encryption
/// keys); other secrets, such as client secrets and S3 keys, are simply unset.
fn is_generated(spec: &Spec) -> bool {
    spec.secret && spec.key.starts_with("auth.")
}

/// The default column for an option without a literal default.
fn default_text(spec: &Spec) -> &'static str {
    match spec.default {
        Some(d) => d,
        None if is_generated(spec) => "generated",
        None if spec.secret => "unset",
        None => "derived",
    }
}
