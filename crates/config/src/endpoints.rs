//! Model endpoints, configured the way LibreChat configures them, so an existing deployment's
//! settings keep working:
//! - built-ins from LibreChat's environment names: `OPENAI_API_KEY`, `ANTHROPIC_API_KEY`,
//!   `GOOGLE_KEY`, `AZURE_API_KEY` + `AZURE_OPENAI_API_INSTANCE_NAME`/`…_DEPLOYMENT_NAME`/
//!   `…_VERSION`, with `*_MODELS`, `*_REVERSE_PROXY` and `*_TITLE_MODEL`; the value
//!   `user_provided` makes each user bring their own key;
//! - custom endpoints in LibreChat's `endpoints.custom` format, from `ferrochat.yaml` and from
//!   a `librechat.yaml` (the file `CONFIG_PATH` names, else `./librechat.yaml` when present),
//!   with `${VAR}` expansion in every string;
//! - `ENDPOINTS` (comma list) limits and orders what is offered; `TITLE_CONVO=false` turns
//!   titles off everywhere; `UPSTREAM_SPARE_CONNECTIONS=false` keeps no spare connection.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};
use serde_yaml::Value as Yaml;

use crate::error::Problem;
use crate::{Secret, parse};

/// Which API an endpoint speaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointKind {
    /// OpenAI itself (key `openAI`).
    OpenAi,
    /// Azure OpenAI (key `azureOpenAI`).
    Azure {
        /// Deployment name.
        deployment: String,
        /// `api-version`.
        api_version: String,
    },
    /// Anthropic (key `anthropic`).
    Anthropic,
    /// Google Gemini (key `google`).
    Google,
    /// A custom OpenAI-compatible endpoint (Ollama, vLLM, OpenRouter, …), keyed by its name.
    Custom,
}

/// Where a credential comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// Set by the operator.
    Configured(Secret),
    /// Each user stores their own through `/api/keys`.
    UserProvided,
}

/// One endpoint as offered to users.
#[derive(Clone, Debug)]
pub struct EndpointConfig {
    /// The key conversations use: `openAI`, `anthropic`, `google`, `azureOpenAI`, or the custom
    /// endpoint's name.
    pub name: String,
    /// Wire format and routing.
    pub kind: EndpointKind,
    /// API key (empty `Configured` sends none, for local servers).
    pub api_key: Credential,
    /// Base URL (without a trailing slash).
    pub base_url: Credential,
    /// Models offered (the first is the default).
    pub models: Vec<String>,
    /// Also ask the upstream for its models (cached).
    pub fetch_models: bool,
    /// Generate titles for new conversations.
    pub title_convo: bool,
    /// Model used for titles (`current_model` or none: the conversation's model).
    pub title_model: Option<String>,
    /// Name shown as the answer's sender.
    pub display_label: Option<String>,
    /// Icon URL for the client.
    pub icon_url: Option<String>,
    /// Extra headers sent upstream.
    pub headers: Vec<(String, String)>,
    /// Fields added to every request body.
    pub add_params: Map<String, Value>,
    /// Fields removed from every request body.
    pub drop_params: Vec<String>,
}

/// Token balances, in LibreChat's `balance` settings (1,000,000 credits = 1 USD of usage).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BalanceConfig {
    /// Whether answers cost credits (and users without credits are refused).
    pub enabled: bool,
    /// Credits a new balance starts with.
    pub start_balance: i64,
    /// Whether balances are topped up on a schedule.
    pub auto_refill: bool,
    /// Credits added per refill.
    pub refill_amount: i64,
    /// Interval between refills, in seconds.
    pub refill_interval_secs: i64,
    /// The interval as configured (`refillIntervalValue`, `refillIntervalUnit`), for the client.
    pub refill_interval: (i64, String),
}

/// All endpoints, in menu order, and engine-wide settings.
#[derive(Clone, Debug)]
pub struct EndpointsConfig {
    /// Offered endpoints, in menu order.
    pub list: Vec<EndpointConfig>,
    /// Longest wait for the next piece of a streamed answer (`CHAT_IDLE_TIMEOUT`).
    pub idle_timeout: Duration,
    /// Where the custom endpoints came from, for `config show`.
    pub files: Vec<PathBuf>,
    /// Private addresses and hosts that user-supplied URLs may reach anyway
    /// (`EGRESS_ALLOWLIST`: comma-separated CIDRs, addresses or host names).
    pub egress_allowlist: String,
    /// Token balances.
    pub balance: BalanceConfig,
    /// How long a temporary chat is kept (LibreChat's `interface.temporaryChatRetention`, in
    /// hours: 720 by default, 1 to 8,760).
    pub temporary_retention: Duration,
    /// Keep one connection to each endpoint opened ahead of need
    /// (`UPSTREAM_SPARE_CONNECTIONS`, on unless `false`); off for an upstream that serves one
    /// connection at a time, which an idle spare would hold up.
    pub spare_connections: bool,
    /// LibreChat's `fileConfig`: upload rules per endpoint.
    pub file_config: crate::FileConfig,
    /// LibreChat's `speech.speechTab` (the defaults of the client's speech settings), as
    /// written; `None` without a `speech` section.
    pub speech_tab: Option<Value>,
    /// Server-side speech to text (`speech.stt.openai`); `None`: the browser's.
    pub speech_stt: Option<SpeechEngineConfig>,
    /// Server-side text to speech (`speech.tts.openai`); `None`: the browser's.
    pub speech_tts: Option<SpeechEngineConfig>,
}

/// A speech engine that speaks OpenAI's audio API, from LibreChat's `speech.stt.openai` or
/// `speech.tts.openai` (`url` names any compatible server).
#[derive(Clone, Debug)]
pub struct SpeechEngineConfig {
    /// The full endpoint URL.
    pub url: String,
    /// Sent as a bearer token (may be empty for a local server).
    pub api_key: Secret,
    /// The model.
    pub model: String,
    /// Voices offered (text to speech only), the first being the default.
    pub voices: Vec<String>,
}

/// OpenAI's voices, offered when `speech.tts.openai.voices` is not set.
const OPENAI_VOICES: [&str; 10] = [
    "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer",
];

/// LibreChat's default retention of temporary chats: 30 days.
const TEMPORARY_RETENTION_HOURS: u64 = 720;

impl Default for EndpointsConfig {
    /// No endpoints; the default idle timeout.
    fn default() -> Self {
        Self {
            list: Vec::new(),
            idle_timeout: Duration::from_secs(120),
            files: Vec::new(),
            egress_allowlist: String::new(),
            balance: BalanceConfig::default(),
            temporary_retention: Duration::from_secs(TEMPORARY_RETENTION_HOURS * 3600),
            spare_connections: true,
            file_config: crate::FileConfig::default(),
            speech_tab: None,
            speech_stt: None,
            speech_tts: None,
        }
    }
}

impl EndpointsConfig {
    /// The endpoint with this key.
    pub fn get(&self, name: &str) -> Option<&EndpointConfig> {
        self.list.iter().find(|e| e.name == name)
    }
}

/// Built-in endpoint keys, in LibreChat's default menu order.
const BUILT_INS: [&str; 4] = ["openAI", "azureOpenAI", "google", "anthropic"];

fn env<'a>(vars: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn list(text: Option<&str>) -> Vec<String> {
    text.map(|t| {
        t.split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

fn credential(value: &str) -> Credential {
    if value == "user_provided" {
        Credential::UserProvided
    } else {
        Credential::Configured(Secret::new(value))
    }
}

/// A built-in endpoint from its environment variables, when its key is set.
fn built_in(
    name: &str,
    vars: &HashMap<String, String>,
    title_convo: bool,
    problems: &mut Vec<Problem>,
) -> Option<EndpointConfig> {
    let (key_var, prefix, default_url, defaults): (&str, &str, &str, &[&str]) = match name {
        "openAI" => (
            "OPENAI_API_KEY",
            "OPENAI",
            "https://api.openai.com/v1",
            &[
                "gpt-4o-mini",
                "gpt-4o",
                "gpt-4.1",
                "gpt-4.1-mini",
                "o4-mini",
            ],
        ),
        "anthropic" => (
            "ANTHROPIC_API_KEY",
            "ANTHROPIC",
            "https://api.anthropic.com",
            &["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"],
        ),
        "google" => (
            "GOOGLE_KEY",
            "GOOGLE",
            "https://generativelanguage.googleapis.com",
            &["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"],
        ),
        _ => ("AZURE_API_KEY", "AZURE_OPENAI", "", &["gpt-4o"]),
    };
    let key = env(vars, key_var)?;
    let configured_models = list(env(vars, &format!("{prefix}_MODELS")));
    let kind = match name {
        "openAI" => EndpointKind::OpenAi,
        "anthropic" => EndpointKind::Anthropic,
        "google" => EndpointKind::Google,
        _ => {
            let deployment = env(vars, "AZURE_OPENAI_API_DEPLOYMENT_NAME");
            let instance = env(vars, "AZURE_OPENAI_API_INSTANCE_NAME");
            let Some(deployment) = deployment else {
                problems.push(Problem::named(
                    "AZURE_OPENAI_API_DEPLOYMENT_NAME",
                    "AZURE_API_KEY is set, so the deployment name is needed too",
                    "gpt-4o",
                ));
                return None;
            };
            if instance.is_none() && env(vars, "AZURE_OPENAI_BASEURL").is_none() {
                problems.push(Problem::named(
                    "AZURE_OPENAI_API_INSTANCE_NAME",
                    "AZURE_API_KEY is set, so the instance name (or AZURE_OPENAI_BASEURL) is needed too",
                    "my-instance",
                ));
                return None;
            }
            EndpointKind::Azure {
                deployment: deployment.to_owned(),
                api_version: env(vars, "AZURE_OPENAI_API_VERSION")
                    .unwrap_or("2024-10-21")
                    .to_owned(),
            }
        }
    };
    let base_url = match &kind {
        EndpointKind::Azure { .. } => env(vars, "AZURE_OPENAI_BASEURL")
            .map(str::to_owned)
            .unwrap_or_else(|| {
                format!(
                    "https://{}.openai.azure.com",
                    env(vars, "AZURE_OPENAI_API_INSTANCE_NAME").unwrap_or_default()
                )
            }),
        _ => env(vars, &format!("{prefix}_REVERSE_PROXY"))
            .unwrap_or(default_url)
            .to_owned(),
    };
    let fetch = configured_models.is_empty() && !matches!(kind, EndpointKind::Azure { .. });
    Some(EndpointConfig {
        name: name.to_owned(),
        kind,
        api_key: credential(key),
        base_url: Credential::Configured(Secret::new(base_url.trim_end_matches('/'))),
        models: if configured_models.is_empty() {
            defaults.iter().map(|m| (*m).to_owned()).collect()
        } else {
            configured_models
        },
        fetch_models: fetch,
        title_convo,
        title_model: env(vars, &format!("{prefix}_TITLE_MODEL")).map(str::to_owned),
        display_label: None,
        icon_url: None,
        headers: Vec::new(),
        add_params: Map::new(),
        drop_params: Vec::new(),
    })
}

/// Replaces `${VAR}` with the variable's value (empty when unset).
fn expand(text: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                out.push_str(vars.get(&after[..end]).map_or("", |v| v.as_str()));
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn yaml_to_json(v: &Yaml, vars: &HashMap<String, String>) -> Value {
    match v {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
        Yaml::String(s) => Value::String(expand(s, vars)),
        Yaml::Sequence(items) => items.iter().map(|i| yaml_to_json(i, vars)).collect(),
        Yaml::Mapping(m) => Value::Object(
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), yaml_to_json(v, vars))))
                .collect(),
        ),
        Yaml::Tagged(t) => yaml_to_json(&t.value, vars),
    }
}

/// One `endpoints.custom` entry.
fn custom(
    entry: &Value,
    at: &str,
    title_default: bool,
    problems: &mut Vec<Problem>,
) -> Option<EndpointConfig> {
    let text = |k: &str| entry.get(k).and_then(Value::as_str).map(str::trim);
    let Some(name) = text("name").filter(|n| !n.is_empty()) else {
        problems.push(Problem::named(
            at,
            "a custom endpoint needs a `name`",
            "name: Ollama",
        ));
        return None;
    };
    let at = format!("{at} ({name})");
    let Some(api_key) = text("apiKey") else {
        problems.push(Problem::named(
            &at,
            "needs `apiKey` (use `ollama` or any text for servers without keys, `user_provided` to let users bring theirs)",
            "apiKey: \"${OPENROUTER_KEY}\"",
        ));
        return None;
    };
    let base = match text("baseURL") {
        Some("user_provided") => Credential::UserProvided,
        Some(url) => match parse::url(url) {
            Ok(u) => Credential::Configured(Secret::new(u.trim_end_matches('/'))),
            Err(_) => {
                problems.push(Problem::named(
                    &at,
                    "`baseURL` must be an http(s) URL",
                    "baseURL: http://127.0.0.1:11434/v1",
                ));
                return None;
            }
        },
        None => {
            problems.push(Problem::named(
                &at,
                "needs `baseURL`",
                "baseURL: http://127.0.0.1:11434/v1",
            ));
            return None;
        }
    };
    let models = entry.get("models").unwrap_or(&Value::Null);
    let defaults: Vec<String> = models
        .get("default")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().map(|s| s.trim().to_owned()))
        .filter(|m| !m.is_empty())
        .collect();
    let fetch = models
        .get("fetch")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if defaults.is_empty() && !fetch {
        problems.push(Problem::named(
            &at,
            "needs `models.default` (a list) or `models.fetch: true`",
            "models: { default: [llama3.2], fetch: true }",
        ));
        return None;
    }
    let headers = entry
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| {
            h.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Some(EndpointConfig {
        name: name.to_owned(),
        kind: EndpointKind::Custom,
        api_key: credential(api_key),
        base_url: base,
        models: defaults,
        fetch_models: fetch,
        title_convo: title_default
            && entry
                .get("titleConvo")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        title_model: text("titleModel").map(str::to_owned),
        display_label: text("modelDisplayLabel").map(str::to_owned),
        icon_url: text("iconURL").map(str::to_owned),
        headers,
        add_params: entry
            .get("addParams")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        drop_params: entry
            .get("dropParams")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect(),
    })
}

/// The `endpoints.custom` list of a YAML document (either file format).
fn custom_list(
    doc: &Yaml,
    path: &Path,
    vars: &HashMap<String, String>,
    title_default: bool,
    problems: &mut Vec<Problem>,
) -> Vec<EndpointConfig> {
    let Some(list) = doc.get("endpoints").and_then(|e| e.get("custom")) else {
        return Vec::new();
    };
    let Yaml::Sequence(items) = list else {
        problems.push(Problem::file(
            path,
            "`endpoints.custom` must be a list".into(),
        ));
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let at = format!("{}: endpoints.custom[{i}]", path.display());
            custom(&yaml_to_json(item, vars), &at, title_default, problems)
        })
        .collect()
}

/// The `balance` section (LibreChat's keys), from the last file that has one; LibreChat's
/// older `CHECK_BALANCE`/`START_BALANCE` variables still switch it on.
fn balance(
    docs: &[(&Path, Value)],
    vars: &HashMap<String, String>,
    problems: &mut Vec<Problem>,
) -> BalanceConfig {
    let section = docs
        .iter()
        .rev()
        .find_map(|(path, d)| d.get("balance").map(|b| (*path, b)));
    let flag = |v: Option<&Value>| v.and_then(Value::as_bool).unwrap_or(false);
    let num = |v: Option<&Value>, default: i64| v.and_then(Value::as_i64).unwrap_or(default);
    let env_on = env(vars, "CHECK_BALANCE").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let env_start = env(vars, "START_BALANCE").and_then(|v| v.parse::<i64>().ok());
    let Some((path, b)) = section else {
        return BalanceConfig {
            enabled: env_on,
            start_balance: env_start.unwrap_or(20_000),
            ..BalanceConfig::default()
        };
    };
    let unit = b
        .get("refillIntervalUnit")
        .and_then(Value::as_str)
        .unwrap_or("days")
        .to_ascii_lowercase();
    let value = num(b.get("refillIntervalValue"), 30);
    let unit_secs = match unit.trim_end_matches('s') {
        "second" => 1,
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        "week" => 7 * 86_400,
        "month" => 30 * 86_400,
        _ => {
            problems.push(Problem::named(
                &format!("{}: balance.refillIntervalUnit", path.display()),
                "must be seconds, minutes, hours, days, weeks or months",
                "days",
            ));
            86_400
        }
    };
    BalanceConfig {
        enabled: flag(b.get("enabled")) || env_on,
        start_balance: num(b.get("startBalance"), env_start.unwrap_or(20_000)),
        auto_refill: flag(b.get("autoRefillEnabled")),
        refill_amount: num(b.get("refillAmount"), 10_000),
        refill_interval_secs: value.max(1).saturating_mul(unit_secs),
        refill_interval: (value, unit),
    }
}

/// Reads the endpoints. `main_doc` is `ferrochat.yaml`'s document (when there is one).
pub(crate) fn load(
    main_doc: Option<(&Path, &Yaml)>,
    vars: &HashMap<String, String>,
    problems: &mut Vec<Problem>,
) -> EndpointsConfig {
    let title_convo = env(vars, "TITLE_CONVO").is_none_or(|v| !v.eq_ignore_ascii_case("false"));
    let mut all: Vec<EndpointConfig> = BUILT_INS
        .iter()
        .filter_map(|name| built_in(name, vars, title_convo, problems))
        .collect();
    let mut files = Vec::new();
    let mut docs: Vec<(&Path, Value)> = Vec::new();
    if let Some((path, doc)) = main_doc {
        docs.push((path, yaml_to_json(doc, vars)));
        let found = custom_list(doc, path, vars, title_convo, problems);
        if !found.is_empty() {
            files.push(path.to_owned());
        }
        all.extend(found);
    }
    // LibreChat's own file: CONFIG_PATH, else ./librechat.yaml when present.
    let mut librechat_doc = None;
    let (librechat, required) = match env(vars, "CONFIG_PATH") {
        Some(p) => (PathBuf::from(p), true),
        None => (PathBuf::from("librechat.yaml"), false),
    };
    match std::fs::read_to_string(&librechat) {
        Ok(text) => match serde_yaml::from_str::<Yaml>(&text) {
            Ok(doc) => {
                let found = custom_list(&doc, &librechat, vars, title_convo, problems);
                files.push(librechat.clone());
                all.extend(found);
                librechat_doc = Some(yaml_to_json(&doc, vars));
            }
            Err(e) => problems.push(Problem::file(&librechat, format!("not valid YAML: {e}"))),
        },
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => problems.push(Problem::file(&librechat, format!("cannot read it: {e}"))),
    }
    if let Some(doc) = librechat_doc {
        docs.push((librechat.as_path(), doc));
    }
    let balance = balance(&docs, vars, problems);
    let temporary_retention = temporary_retention(&docs, problems);
    let file_config = crate::file_config::load(&docs, problems);
    let speech_tab = speech_tab(&docs, problems);
    let speech_stt = speech_engine(&docs, "stt", problems);
    let speech_tts = speech_engine(&docs, "tts", problems);
    let mut seen = std::collections::HashSet::new();
    for e in &all {
        if !seen.insert(e.name.clone()) {
            problems.push(Problem::named(
                &e.name,
                "two endpoints have this name; names must be unique (built-ins included)",
                "name: MyOllama",
            ));
        }
    }
    if let Some(order) = env(vars, "ENDPOINTS") {
        let wanted = list(Some(order));
        all.retain(|e| {
            wanted.contains(&e.name)
                || e.kind == EndpointKind::Custom && wanted.iter().any(|w| w == "custom")
        });
        all.sort_by_key(|e| {
            wanted
                .iter()
                .position(|w| *w == e.name || (w == "custom" && e.kind == EndpointKind::Custom))
                .unwrap_or(usize::MAX)
        });
    }
    let idle_timeout = match env(vars, "CHAT_IDLE_TIMEOUT") {
        None => Duration::from_secs(120),
        Some(v) => parse::duration(v)
            .ok()
            .filter(|d| !d.is_zero())
            .unwrap_or_else(|| {
                problems.push(Problem::named(
                    "CHAT_IDLE_TIMEOUT",
                    "must be a positive duration",
                    "90s",
                ));
                Duration::from_secs(120)
            }),
    };
    EndpointsConfig {
        list: all,
        idle_timeout,
        files,
        egress_allowlist: env(vars, "EGRESS_ALLOWLIST").unwrap_or("").to_owned(),
        balance,
        temporary_retention,
        spare_connections: env(vars, "UPSTREAM_SPARE_CONNECTIONS")
            .is_none_or(|v| !v.eq_ignore_ascii_case("false")),
        file_config,
        speech_tab,
        speech_stt,
        speech_tts,
    }
}

/// `speech.<kind>.openai` (`kind`: `stt` or `tts`) from the last file with a `speech` section.
/// Other providers are reported: ferrochat speaks OpenAI's audio API, which most speech
/// servers offer too.
fn speech_engine(
    docs: &[(&Path, Value)],
    kind: &str,
    problems: &mut Vec<Problem>,
) -> Option<SpeechEngineConfig> {
    let section = docs
        .iter()
        .rev()
        .find_map(|(_, d)| d.get("speech"))?
        .get(kind)?;
    let key = |rest: &str| format!("speech.{kind}.{rest}");
    let (default_url, default_model) = match kind {
        "stt" => (
            "https://api.openai.com/v1/audio/transcriptions",
            "whisper-1",
        ),
        _ => ("https://api.openai.com/v1/audio/speech", "tts-1"),
    };
    let Some(providers) = section.as_object() else {
        problems.push(Problem::named(
            &format!("speech.{kind}"),
            "must be a mapping of providers",
            "openai: { apiKey: \"${OPENAI_API_KEY}\", model: whisper-1 }",
        ));
        return None;
    };
    for other in providers.keys().filter(|k| *k != "openai") {
        problems.push(Problem::named(
            &key(other),
            "is not supported: ferrochat speaks OpenAI's audio API; give its `url` to `openai` for a compatible server",
            "openai: { url: \"http://localhost:8000/v1/audio/transcriptions\", apiKey: \"\", model: whisper-1 }",
        ));
    }
    let engine = providers.get("openai")?;
    let text = |field: &str| engine.get(field).and_then(Value::as_str).map(str::trim);
    let url = match text("url").filter(|u| !u.is_empty()) {
        None => default_url.to_owned(),
        Some(u) => match parse::url(u) {
            Ok(u) => u,
            Err(_) => {
                problems.push(Problem::named(
                    &key("openai.url"),
                    "must be an http(s) URL",
                    default_url,
                ));
                return None;
            }
        },
    };
    let voices: Vec<String> = match engine.get("voices") {
        None | Some(Value::Null) => OPENAI_VOICES.iter().map(|v| (*v).to_owned()).collect(),
        Some(Value::Array(list)) if list.iter().all(Value::is_string) && !list.is_empty() => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(_) => {
            problems.push(Problem::named(
                &key("openai.voices"),
                "must be a list of voice names",
                "voices: [alloy, nova]",
            ));
            return None;
        }
    };
    Some(SpeechEngineConfig {
        url,
        api_key: Secret::new(text("apiKey").unwrap_or_default()),
        model: text("model")
            .filter(|m| !m.is_empty())
            .unwrap_or(default_model)
            .to_owned(),
        voices,
    })
}

/// `speech.speechTab` from the last file with a `speech` section (an empty mapping when the
/// section has none).
fn speech_tab(docs: &[(&Path, Value)], problems: &mut Vec<Problem>) -> Option<Value> {
    let section = docs.iter().rev().find_map(|(_, d)| d.get("speech"))?;
    match section.get("speechTab") {
        None | Some(Value::Null) => Some(Value::Object(Default::default())),
        Some(tab @ Value::Object(_)) => Some(tab.clone()),
        Some(_) => {
            problems.push(Problem::named(
                "speech.speechTab",
                "must be a mapping of the client's speech settings",
                "speechTab: { conversationMode: true, speechToText: { engineSTT: browser } }",
            ));
            None
        }
    }
}

/// `interface.temporaryChatRetention` (hours) from the last file that sets it; LibreChat clamps
/// it to 1..=8760, and so does this (saying so).
fn temporary_retention(docs: &[(&Path, Value)], problems: &mut Vec<Problem>) -> Duration {
    let set = docs.iter().rev().find_map(|(path, d)| {
        d.get("interface")
            .and_then(|i| i.get("temporaryChatRetention"))
            .map(|v| (*path, v))
    });
    let hours = match set {
        None => TEMPORARY_RETENTION_HOURS,
        Some((path, v)) => match v.as_u64() {
            Some(h @ 1..=8760) => h,
            _ => {
                problems.push(Problem::file(
                    path,
                    format!("interface.temporaryChatRetention must be a number of hours from 1 to 8760, not {v}"),
                ));
                TEMPORARY_RETENTION_HOURS
            }
        },
    };
    Duration::from_secs(hours * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn built_ins_from_librechat_env_names() {
        let mut problems = Vec::new();
        let cfg = load(
            None,
            &vars(&[
                ("OPENAI_API_KEY", "sk-1"),
                ("OPENAI_MODELS", "a, b"),
                ("ANTHROPIC_API_KEY", "user_provided"),
                ("GOOGLE_KEY", "g"),
                ("GOOGLE_REVERSE_PROXY", "http://127.0.0.1:9/"),
                ("CONFIG_PATH", "/nonexistent/ok-if-missing-not"),
            ]),
            &mut problems,
        );
        // CONFIG_PATH names a file that is missing: that is reported.
        assert_eq!(problems.len(), 1, "{problems:?}");
        let names: Vec<_> = cfg.list.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["openAI", "google", "anthropic"]);
        let openai = cfg.get("openAI").unwrap();
        assert_eq!(openai.models, ["a", "b"]);
        assert!(!openai.fetch_models);
        assert_eq!(
            cfg.get("anthropic").unwrap().api_key,
            Credential::UserProvided
        );
        assert_eq!(
            cfg.get("google").unwrap().base_url,
            Credential::Configured(Secret::new("http://127.0.0.1:9"))
        );
    }

    #[test]
    fn custom_endpoints_in_librechat_format_with_env_expansion() {
        let doc: Yaml = serde_yaml::from_str(
            r#"
version: 1.2.1
endpoints:
  custom:
    - name: "Ollama"
      apiKey: "ollama"
      baseURL: "http://127.0.0.1:11434/v1/"
      models: { default: ["llama3.2"], fetch: true }
      titleConvo: true
      titleModel: "current_model"
      modelDisplayLabel: "Llama"
      headers: { X-Team: "${TEAM}" }
      addParams: { keep_alive: "5m" }
      dropParams: ["stop", "user"]
    - name: "OpenRouter"
      apiKey: "${OPENROUTER_KEY}"
      baseURL: "https://openrouter.ai/api/v1"
      models: { default: ["meta/llama"] }
    - name: "Broken"
      baseURL: "http://x"
"#,
        )
        .unwrap();
        let mut problems = Vec::new();
        let cfg = load(
            Some((Path::new("f.yaml"), &doc)),
            &vars(&[("TEAM", "red"), ("OPENROUTER_KEY", "or-1")]),
            &mut problems,
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("apiKey"));
        let o = cfg.get("Ollama").unwrap();
        assert_eq!(
            o.base_url,
            Credential::Configured(Secret::new("http://127.0.0.1:11434/v1"))
        );
        assert!(o.fetch_models && o.title_convo);
        assert_eq!(o.headers, [("X-Team".to_owned(), "red".to_owned())]);
        assert_eq!(o.add_params["keep_alive"], "5m");
        assert_eq!(o.drop_params, ["stop", "user"]);
        assert_eq!(
            cfg.get("OpenRouter").unwrap().api_key,
            Credential::Configured(Secret::new("or-1"))
        );
        assert!(!cfg.get("OpenRouter").unwrap().title_convo);
    }

    #[test]
    fn temporary_chat_retention_in_hours_within_librechat_bounds() {
        let mut problems = Vec::new();
        let default = load(None, &vars(&[]), &mut problems);
        assert_eq!(default.temporary_retention, Duration::from_secs(720 * 3600));
        let doc: Yaml = serde_yaml::from_str("interface:\n  temporaryChatRetention: 24\n").unwrap();
        let cfg = load(Some((Path::new("f.yaml"), &doc)), &vars(&[]), &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(cfg.temporary_retention, Duration::from_secs(24 * 3600));
        for bad in ["0", "9000", "soon"] {
            let doc: Yaml =
                serde_yaml::from_str(&format!("interface:\n  temporaryChatRetention: {bad}\n"))
                    .unwrap();
            let mut problems = Vec::new();
            let cfg = load(Some((Path::new("f.yaml"), &doc)), &vars(&[]), &mut problems);
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            assert_eq!(cfg.temporary_retention, Duration::from_secs(720 * 3600));
        }
    }

    #[test]
    fn spare_connections_are_on_unless_turned_off() {
        let mut problems = Vec::new();
        assert!(load(None, &vars(&[]), &mut problems).spare_connections);
        let off = load(
            None,
            &vars(&[("UPSTREAM_SPARE_CONNECTIONS", "False")]),
            &mut problems,
        );
        assert!(!off.spare_connections);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn the_speech_tab_is_kept_as_written_and_must_be_a_mapping() {
        let parse = |yaml: &str| {
            let doc: Yaml = serde_yaml::from_str(yaml).unwrap();
            let mut problems = Vec::new();
            let cfg = load(Some((Path::new("f.yaml"), &doc)), &vars(&[]), &mut problems);
            (cfg.speech_tab, problems)
        };
        assert_eq!(parse("other: 1\n"), (None, Vec::new()));
        let (tab, problems) = parse("speech:\n  speechTab:\n    conversationMode: true\n");
        assert_eq!(tab, Some(serde_json::json!({"conversationMode": true})));
        assert!(problems.is_empty(), "{problems:?}");
        let (tab, problems) = parse("speech:\n  stt: {}\n");
        assert_eq!(tab, Some(serde_json::json!({})));
        assert!(problems.is_empty(), "{problems:?}");
        let (tab, problems) = parse("speech:\n  speechTab: 3\n");
        assert_eq!(tab, None);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].key, "speech.speechTab");
    }

    #[test]
    fn speech_engines_speak_openais_audio_api() {
        let parse = |yaml: &str| {
            let doc: Yaml = serde_yaml::from_str(yaml).unwrap();
            let mut problems = Vec::new();
            let cfg = load(
                Some((Path::new("f.yaml"), &doc)),
                &vars(&[("STT_KEY", "sk-stt")]),
                &mut problems,
            );
            (cfg.speech_stt, cfg.speech_tts, problems)
        };
        let (stt, tts, problems) = parse(
            "speech:\n  stt:\n    openai: { apiKey: \"${STT_KEY}\" }\n  tts:\n    openai:\n      url: http://127.0.0.1:8000/v1/audio/speech/\n      model: kokoro\n      voices: [af_heart, am_adam]\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let stt = stt.unwrap();
        assert_eq!(
            (stt.url.as_str(), stt.api_key.expose(), stt.model.as_str()),
            (
                "https://api.openai.com/v1/audio/transcriptions",
                "sk-stt",
                "whisper-1"
            )
        );
        let tts = tts.unwrap();
        assert_eq!(
            (tts.url.as_str(), tts.model.as_str(), tts.voices.clone()),
            (
                "http://127.0.0.1:8000/v1/audio/speech",
                "kokoro",
                vec!["af_heart".to_owned(), "am_adam".to_owned()]
            )
        );
        let (_, tts, _) = parse("speech:\n  tts:\n    openai: {}\n");
        assert_eq!(
            tts.unwrap().voices.first().map(String::as_str),
            Some("alloy")
        );
        let (stt, tts, problems) = parse(
            "speech:\n  stt:\n    elevenlabs: { apiKey: x }\n  tts:\n    openai: { url: ftp://x, voices: 3 }\n",
        );
        assert!(stt.is_none() && tts.is_none());
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["speech.stt.elevenlabs", "speech.tts.openai.url"]);
    }

    #[test]
    fn balance_settings_in_librechat_format() {
        let doc: Yaml = serde_yaml::from_str(
            "balance:\n  enabled: true\n  startBalance: 5000\n  autoRefillEnabled: true\n  refillIntervalValue: 2\n  refillIntervalUnit: hours\n  refillAmount: 700\n",
        )
        .unwrap();
        let mut problems = Vec::new();
        let cfg = load(Some((Path::new("f.yaml"), &doc)), &vars(&[]), &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            cfg.balance,
            BalanceConfig {
                enabled: true,
                start_balance: 5000,
                auto_refill: true,
                refill_amount: 700,
                refill_interval_secs: 7200,
                refill_interval: (2, "hours".into()),
            }
        );
        let off = load(None, &vars(&[]), &mut problems);
        assert!(!off.balance.enabled);
        let legacy = load(
            None,
            &vars(&[("CHECK_BALANCE", "true"), ("START_BALANCE", "9")]),
            &mut problems,
        );
        assert!(legacy.balance.enabled);
        assert_eq!(legacy.balance.start_balance, 9);
    }

    #[test]
    fn endpoints_env_filters_and_orders() {
        let mut problems = Vec::new();
        let cfg = load(
            None,
            &vars(&[
                ("OPENAI_API_KEY", "k"),
                ("GOOGLE_KEY", "k"),
                ("ANTHROPIC_API_KEY", "k"),
                ("ENDPOINTS", "anthropic,openAI"),
            ]),
            &mut problems,
        );
        let names: Vec<_> = cfg.list.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["anthropic", "openAI"]);
    }
}
