//! LibreChat's `fileConfig` section of `librechat.yaml` (or `ferrochat.yaml`): upload rules per
//! endpoint, read from the last file that has the section.
//!
//! ```yaml
//! fileConfig:
//!   endpoints:
//!     default: { fileLimit: 5, fileSizeLimit: 10, supportedMimeTypes: ["image/.*", "application/pdf"] }
//!     openAI: { disabled: true }
//!   serverFileSizeLimit: 100   # MB
//!   avatarSizeLimit: 2         # MB
//! ```
//!
//! Sizes are in MB (2^20 bytes) as in LibreChat; MIME types are regular expressions, matched
//! against the whole type. The client reads the section back from `/api/files/config` and
//! checks files before sending them; the server holds to the same rules.

use std::path::Path;

use serde_json::Value;

use crate::Problem;

const MB: f64 = 1024.0 * 1024.0;

/// Upload rules for one endpoint (or `default`, or `custom` for every custom endpoint).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileRules {
    /// No uploads for this endpoint (the client hides its attach button).
    pub disabled: Option<bool>,
    /// Files per message.
    pub file_limit: Option<u32>,
    /// Largest file, in bytes.
    pub file_size_limit: Option<u64>,
    /// Largest total of one message's files, in bytes.
    pub total_size_limit: Option<u64>,
    /// Accepted MIME types: patterns, each matched against the whole type.
    pub supported_mime_types: Option<Vec<String>>,
}

/// The whole section.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileConfig {
    /// Rules by endpoint name, `default` and `custom` included, in file order.
    pub endpoints: Vec<(String, FileRules)>,
    /// Largest upload of any kind, in bytes (`serverFileSizeLimit`).
    pub server_file_size_limit: Option<u64>,
    /// Largest avatar, in bytes (`avatarSizeLimit`).
    pub avatar_size_limit: Option<u64>,
    /// The section as written, for the client (`/api/files/config`).
    pub raw: Option<Value>,
}

impl FileConfig {
    /// The rules for an endpoint: its own, else `custom` for a custom one, else `default`.
    pub fn rules(&self, endpoint: Option<&str>, custom: bool) -> Option<&FileRules> {
        let find = |name: &str| {
            self.endpoints
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, r)| r)
        };
        endpoint
            .and_then(find)
            .or_else(|| if custom { find("custom") } else { None })
            .or_else(|| find("default"))
    }
}

/// Whether `mime` is accepted by `patterns` (each a whole-type regular expression).
pub fn mime_allowed(patterns: &[String], mime: &str) -> bool {
    patterns.iter().any(|p| {
        regex::Regex::new(&format!("^(?:{p})$"))
            .map(|re| re.is_match(mime))
            .unwrap_or(false)
    })
}

fn megabytes(v: Option<&Value>, key: &str, problems: &mut Vec<Problem>) -> Option<u64> {
    let v = v?;
    match v.as_f64() {
        Some(mb) if mb > 0.0 && mb.is_finite() => Some((mb * MB) as u64),
        _ => {
            problems.push(Problem::named(
                key,
                &format!("must be a positive number of MB, not {v}"),
                "10",
            ));
            None
        }
    }
}

fn rules(name: &str, v: &Value, problems: &mut Vec<Problem>) -> FileRules {
    let key = |field: &str| format!("fileConfig.endpoints.{name}.{field}");
    let file_limit = v.get("fileLimit").and_then(|n| {
        let limit = n.as_u64().and_then(|n| u32::try_from(n).ok());
        if limit.is_none() {
            problems.push(Problem::named(
                &key("fileLimit"),
                "must be a whole number",
                "10",
            ));
        }
        limit
    });
    let supported_mime_types = v.get("supportedMimeTypes").and_then(|list| {
        let patterns: Option<Vec<String>> = list
            .as_array()
            .and_then(|a| a.iter().map(|p| p.as_str().map(str::to_owned)).collect());
        let Some(patterns) = patterns else {
            problems.push(Problem::named(
                &key("supportedMimeTypes"),
                "must be a list of patterns",
                "[\"image/.*\", \"application/pdf\"]",
            ));
            return None;
        };
        for p in &patterns {
            if let Err(e) = regex::Regex::new(p) {
                problems.push(Problem::named(
                    &key("supportedMimeTypes"),
                    &format!("{p:?} is not a regular expression: {e}"),
                    "image/.*",
                ));
            }
        }
        Some(patterns)
    });
    FileRules {
        disabled: v.get("disabled").and_then(Value::as_bool),
        file_limit,
        file_size_limit: megabytes(v.get("fileSizeLimit"), &key("fileSizeLimit"), problems),
        total_size_limit: megabytes(v.get("totalSizeLimit"), &key("totalSizeLimit"), problems),
        supported_mime_types,
    }
}

/// The `fileConfig` of the last document that has one.
pub(crate) fn load(docs: &[(&Path, Value)], problems: &mut Vec<Problem>) -> FileConfig {
    let Some(section) = docs.iter().rev().find_map(|(_, d)| d.get("fileConfig")) else {
        return FileConfig::default();
    };
    let endpoints = section
        .get("endpoints")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(name, v)| (name.clone(), rules(name, v, problems)))
                .collect()
        })
        .unwrap_or_default();
    FileConfig {
        endpoints,
        server_file_size_limit: megabytes(
            section.get("serverFileSizeLimit"),
            "fileConfig.serverFileSizeLimit",
            problems,
        ),
        avatar_size_limit: megabytes(
            section.get("avatarSizeLimit"),
            "fileConfig.avatarSizeLimit",
            problems,
        ),
        raw: Some(section.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> (FileConfig, Vec<Problem>) {
        let doc: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
        let doc = serde_json::to_value(doc).unwrap();
        let mut problems = Vec::new();
        let cfg = load(&[(Path::new("f.yaml"), doc)], &mut problems);
        (cfg, problems)
    }

    #[test]
    fn librechat_file_config_is_read_and_checked() {
        let (cfg, problems) = parse(
            "fileConfig:\n  endpoints:\n    default:\n      fileLimit: 2\n      fileSizeLimit: 0.5\n      supportedMimeTypes: ['image/.*', 'application/pdf']\n    openAI:\n      disabled: true\n  serverFileSizeLimit: 20\n  avatarSizeLimit: 1\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(cfg.server_file_size_limit, Some(20 * 1024 * 1024));
        assert_eq!(cfg.avatar_size_limit, Some(1024 * 1024));
        let default = cfg.rules(Some("Ollama"), true).unwrap();
        assert_eq!(default.file_limit, Some(2));
        assert_eq!(default.file_size_limit, Some(512 * 1024));
        assert_eq!(
            cfg.rules(Some("openAI"), false).unwrap().disabled,
            Some(true)
        );
        let types = default.supported_mime_types.as_deref().unwrap();
        assert!(mime_allowed(types, "image/png"));
        assert!(mime_allowed(types, "application/pdf"));
        assert!(!mime_allowed(types, "application/pdfx"), "whole type only");
        assert!(!mime_allowed(types, "text/html"));

        let (cfg, problems) = parse(
            "fileConfig:\n  endpoints:\n    default:\n      fileLimit: -1\n      supportedMimeTypes: ['(']\n  serverFileSizeLimit: big\n",
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(cfg.server_file_size_limit, None);
        let (none, problems) = parse("other: 1\n");
        assert!(problems.is_empty());
        assert_eq!(none, FileConfig::default());
    }
}
