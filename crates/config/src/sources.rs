//! Gathers raw option values from each layer, later layers overriding earlier ones:
//! defaults < `ferrochat.yaml` < environment < command-line flags.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::error::Problem;
use crate::spec::{self, SPECS};

/// Where a value came from, so `config show` and errors can say so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default.
    Default,
    /// The configuration file at this path.
    File(PathBuf),
    /// This environment variable.
    Env(String),
    /// A command-line flag.
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(p) => write!(f, "file {}", p.display()),
            Origin::Env(name) => write!(f, "env {name}"),
            Origin::Flag(name) => write!(f, "flag {name}"),
        }
    }
}

/// A value as text, before it is parsed, with where it came from.
#[derive(Clone, Debug)]
pub struct Raw {
    /// The text as given.
    pub value: String,
    /// Which layer set it.
    pub origin: Origin,
}

/// Inputs to configuration loading. Tests build this directly; the CLI fills it from the
/// process environment and its flags.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Explicit configuration file; when `None`, `./ferrochat.yaml` is read if it exists.
    pub file: Option<PathBuf>,
    /// Environment variables (the whole environment is fine: unknown names are ignored).
    pub env: HashMap<String, String>,
    /// `(key, value, flag name)` triples from the command line, applied last.
    pub flags: Vec<(String, String, String)>,
}

impl Sources {
    /// Sources for a real process: its environment, no flags yet.
    pub fn from_process() -> Self {
        Self {
            file: None,
            env: std::env::vars().collect(),
            flags: Vec::new(),
        }
    }
}

/// The default file name looked for in the working directory.
pub const DEFAULT_FILE: &str = "ferrochat.yaml";

/// The configuration file to read, and whether it must exist (it must when named explicitly).
pub(crate) fn main_file(sources: &Sources) -> (PathBuf, bool) {
    match (&sources.file, sources.env.get("FERROCHAT_CONFIG")) {
        (Some(path), _) => (path.clone(), true),
        (None, Some(path)) if !path.is_empty() => (PathBuf::from(path), true),
        _ => (PathBuf::from(DEFAULT_FILE), false),
    }
}

/// The main file's YAML document, for the sections that are not flat options (`endpoints`).
/// Problems reading it were already reported by [`gather`].
pub(crate) fn main_document(sources: &Sources) -> Option<(PathBuf, Value)> {
    let (path, _) = main_file(sources);
    let text = std::fs::read_to_string(&path).ok()?;
    let doc = serde_yaml::from_str(&text).ok()?;
    Some((path, doc))
}

/// Top-level sections of the file read elsewhere, in LibreChat's structured format.
const STRUCTURED: [&str; 4] = ["endpoints", "balance", "fileConfig", "speech"];

/// Merges the layers into one map keyed by option key, collecting every problem met on the way.
pub fn gather(sources: &Sources, problems: &mut Vec<Problem>) -> BTreeMap<&'static str, Raw> {
    let mut raw: BTreeMap<&'static str, Raw> = BTreeMap::new();
    for spec in SPECS {
        if let Some(default) = spec.default {
            raw.insert(
                spec.key,
                Raw {
                    value: default.to_owned(),
                    origin: Origin::Default,
                },
            );
        }
    }

    let (path, required) = main_file(sources);
    read_file(&path, required, &mut raw, problems);

    for spec in SPECS {
        if let Some((name, value)) = spec.env.iter().find_map(|name| {
            sources
                .env
                .get(*name)
                .filter(|v| !v.is_empty())
                .map(|v| (*name, v))
        }) {
            raw.insert(
                spec.key,
                Raw {
                    value: value.clone(),
                    origin: Origin::Env(name.to_owned()),
                },
            );
        }
    }
    // LibreChat selects JSON console logs with CONSOLE_JSON=true; honour it unless LOG_FORMAT
    // says otherwise.
    if !sources.env.contains_key("LOG_FORMAT")
        && sources
            .env
            .get("CONSOLE_JSON")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        raw.insert(
            "log.format",
            Raw {
                value: "json".into(),
                origin: Origin::Env("CONSOLE_JSON".into()),
            },
        );
    }

    for (key, value, flag) in &sources.flags {
        match spec::find(key) {
            Some(spec) => {
                raw.insert(
                    spec.key,
                    Raw {
                        value: value.clone(),
                        origin: Origin::Flag(flag.clone()),
                    },
                );
            }
            None => problems.push(Problem::unknown(key, Origin::Flag(flag.clone()))),
        }
    }
    raw
}

fn read_file(
    path: &Path,
    required: bool,
    raw: &mut BTreeMap<&'static str, Raw>,
    problems: &mut Vec<Problem>,
) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            problems.push(Problem::file(path, format!("cannot read it: {e}")));
            return;
        }
    };
    let doc: Value = match serde_yaml::from_str(&text) {
        Ok(doc) => doc,
        Err(e) => {
            problems.push(Problem::file(path, format!("not valid YAML: {e}")));
            return;
        }
    };
    if doc.is_null() {
        return;
    }
    let mut doc = doc;
    if let Value::Mapping(map) = &mut doc {
        for key in STRUCTURED {
            map.remove(key);
        }
    }
    let mut flat = Vec::new();
    flatten("", &doc, &mut flat, path, problems);
    for (key, value) in flat {
        match spec::find(&key) {
            Some(spec) => {
                raw.insert(
                    spec.key,
                    Raw {
                        value,
                        origin: Origin::File(path.to_owned()),
                    },
                );
            }
            None => problems.push(Problem::unknown(&key, Origin::File(path.to_owned()))),
        }
    }
}

/// Turns nested mappings into dotted keys with scalar text values.
fn flatten(
    prefix: &str,
    value: &Value,
    out: &mut Vec<(String, String)>,
    path: &Path,
    problems: &mut Vec<Problem>,
) {
    let scalar = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    match value {
        Value::Mapping(map) => {
            for (k, v) in map {
                let Some(name) = k.as_str() else {
                    problems.push(Problem::file(
                        path,
                        format!("keys must be text (under `{prefix}`)"),
                    ));
                    continue;
                };
                let key = if prefix.is_empty() {
                    name.to_owned()
                } else {
                    format!("{prefix}.{name}")
                };
                flatten(&key, v, out, path, problems);
            }
        }
        Value::Null => {}
        other => match scalar(other) {
            Some(text) if !prefix.is_empty() => out.push((prefix.to_owned(), text)),
            _ => problems.push(Problem::file(
                path,
                format!("`{prefix}` must be a single value"),
            )),
        },
    }
}
