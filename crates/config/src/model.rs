//! The typed configuration and its construction from raw values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{ConfigError, Problem};
use crate::parse;
use crate::secret::Secret;
use crate::sources::{self, Raw, Sources};
use crate::spec::{self, Spec};

/// Listening and public addresses.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to bind.
    pub host: String,
    /// Port to bind.
    pub port: u16,
    /// How long in-flight work may run after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Public URL of the web client, without trailing slash.
    pub domain_client: String,
    /// Public URL of this server, without trailing slash.
    pub domain_server: String,
    /// Header to take the client IP from (lower-case), or `None` for the socket address.
    pub client_ip_header: Option<String>,
    /// Title shown by the web client.
    pub app_title: String,
    /// Help link of the web client.
    pub help_and_faq_url: String,
}

/// Which database and how to pool it.
#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    /// `sqlite:` or `postgres://` URL; may carry a password, so it is kept secret.
    pub url: Secret,
    /// Pool size limit.
    pub max_connections: u32,
    /// Wait for a free connection.
    pub acquire_timeout: Duration,
    /// Close idle connections after this; `None` keeps them.
    pub idle_timeout: Option<Duration>,
    /// Cancel statements after this; `None` disables.
    pub statement_timeout: Option<Duration>,
    /// Log queries slower than this.
    pub slow_query_threshold: Duration,
}

impl DatabaseConfig {
    /// Whether the URL selects PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.url.expose().starts_with("postgres")
    }
}

/// Account and token settings.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// Access-token signing secret; generated into the data dir when `None`.
    pub jwt_secret: Option<Secret>,
    /// Refresh-token signing secret; generated into the data dir when `None`.
    pub jwt_refresh_secret: Option<Secret>,
    /// Key for user-provided API keys at rest; generated into the data dir when `None`.
    pub creds_key: Option<Secret>,
    /// Access-token lifetime.
    pub session_expiry: Duration,
    /// Login-session lifetime.
    pub refresh_token_expiry: Duration,
    /// Email/password registration allowed.
    pub allow_registration: bool,
    /// Email/password login allowed.
    pub allow_email_login: bool,
    /// Social/OpenID login offered.
    pub allow_social_login: bool,
    /// Social/OpenID login may create accounts.
    pub allow_social_registration: bool,
    /// Unverified addresses may log in.
    pub allow_unverified_email_login: bool,
    /// Email domains allowed to register (lower-case); empty allows all.
    pub allowed_registration_domains: Vec<String>,
    /// Password reset by email allowed.
    pub allow_password_reset: bool,
}

/// One rate limit: at most `max` events per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Events allowed per window.
    pub max: u32,
    /// Window length.
    pub window: Duration,
}

/// Rate limits for the sensitive routes.
#[derive(Clone, Debug)]
pub struct LimitsConfig {
    /// Logins, per IP and per account.
    pub login: Limit,
    /// Registrations, per IP.
    pub register: Limit,
    /// Refreshes, per IP.
    pub refresh: Limit,
    /// Password-reset requests and resets.
    pub reset_password: Limit,
    /// Email verifications and resends.
    pub verify_email: Limit,
    /// Native API requests, per API key and per user.
    pub api: Limit,
}

/// One OpenID Connect provider.
#[derive(Clone, Debug)]
pub struct OidcConfig {
    /// Route name: `openid` or `google`.
    pub name: &'static str,
    /// Issuer URL.
    pub issuer: String,
    /// Client ID.
    pub client_id: String,
    /// Client secret.
    pub client_secret: Secret,
    /// Scopes.
    pub scope: String,
    /// Absolute callback URL.
    pub callback_url: String,
    /// Button label.
    pub label: String,
}

/// One plain OAuth 2.0 provider (GitHub, Discord).
#[derive(Clone, Debug)]
pub struct OAuth2Config {
    /// Route name: `github` or `discord`.
    pub name: &'static str,
    /// Client ID.
    pub client_id: String,
    /// Client secret.
    pub client_secret: Secret,
    /// Absolute callback URL.
    pub callback_url: String,
    /// Web base URL of the provider.
    pub base_url: String,
}

/// Outgoing mail; `None` in [`Config::email`] means "log instead of sending".
#[derive(Clone, Debug)]
pub struct EmailConfig {
    /// SMTP host.
    pub host: String,
    /// SMTP port.
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    pub encryption: String,
    /// SMTP login.
    pub username: Option<String>,
    /// SMTP password.
    pub password: Option<Secret>,
    /// Sender address.
    pub from: String,
    /// Sender name.
    pub from_name: String,
}

/// The weekly digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestConfig {
    /// Users may subscribe, and subscribers get it (when mail is configured).
    pub enabled: bool,
    /// The day it goes out: days from Monday (0-6), UTC.
    pub day: u32,
    /// The time it goes out that day: minutes from midnight, UTC.
    pub minute: u32,
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Logging settings.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// Minimum level (`trace` … `error`).
    pub level: String,
    /// Output format.
    pub format: LogFormat,
}

/// Shared links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharingConfig {
    /// Links can be made and opened.
    pub enabled: bool,
    /// Links open without signing in.
    pub public: bool,
}

/// Backups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupConfig {
    /// How often the server writes one; `None`: never.
    pub interval: Option<Duration>,
    /// Where they go.
    pub dir: PathBuf,
    /// How many scheduled ones are kept.
    pub keep: u32,
    /// Whether they hold uploaded files' contents.
    pub files: bool,
    /// The bucket they are also uploaded to, if any.
    pub s3: Option<S3Config>,
    /// Their keys' prefix there.
    pub s3_prefix: String,
}

/// Webhooks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhooksConfig {
    /// Users may register webhooks and events are delivered.
    pub enabled: bool,
    /// The waits between attempts; a delivery is given up after the last.
    pub retry_delays: Vec<Duration>,
    /// How long a receiver has to answer.
    pub timeout: Duration,
    /// Webhooks per user.
    pub max_per_user: u32,
}

/// Where file contents are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileStorage {
    /// A directory on this machine.
    Local(PathBuf),
    /// An S3-compatible bucket.
    S3(S3Config),
}

/// An S3-compatible bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// Region.
    pub region: String,
    /// Endpoint of a non-AWS service.
    pub endpoint: Option<String>,
    /// Static credentials, when given (otherwise the AWS credential chain).
    pub access_key_id: Option<Secret>,
    /// Goes with `access_key_id`.
    pub secret_access_key: Option<Secret>,
    /// Path-style addressing.
    pub force_path_style: bool,
}

/// File uploads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilesConfig {
    /// Users may upload.
    pub enabled: bool,
    /// Where contents go.
    pub storage: FileStorage,
    /// Largest file, in bytes.
    pub max_file_size: u64,
    /// Total bytes per user; `None`: no limit.
    pub user_quota: Option<u64>,
    /// How long an unfinished resumable upload is kept after its last write.
    pub upload_expiry: Duration,
}

/// The validated configuration every part of the server reads.
#[derive(Clone, Debug)]
pub struct Config {
    /// Listening and public addresses.
    pub server: ServerConfig,
    /// Database file, uploads and generated secrets live here.
    pub data_dir: PathBuf,
    /// A built LibreChat client to serve, if any.
    pub client_dir: Option<PathBuf>,
    /// Database settings.
    pub database: DatabaseConfig,
    /// Account and token settings.
    pub auth: AuthConfig,
    /// Logging settings.
    pub log: LogConfig,
    /// Whether `/metrics` is served.
    pub metrics_enabled: bool,
    /// How long soft-deleted conversations are kept.
    pub conversation_retention: Duration,
    /// Largest import file, in bytes.
    pub import_max_bytes: u32,
    /// Shared links (`ALLOW_SHARED_LINKS`, `ALLOW_SHARED_LINKS_PUBLIC`).
    pub sharing: SharingConfig,
    /// Webhooks.
    pub webhooks: WebhooksConfig,
    /// File uploads.
    pub files: FilesConfig,
    /// Backups.
    pub backup: BackupConfig,
    /// Rate limits.
    pub limits: LimitsConfig,
    /// Shared Redis, when configured.
    pub redis_uri: Option<Secret>,
    /// SMTP settings, when mail is configured.
    pub email: Option<EmailConfig>,
    /// The weekly digest.
    pub digest: DigestConfig,
    /// Configured OpenID Connect providers (`openid`, `google`).
    pub oidc: Vec<OidcConfig>,
    /// Model endpoints (built-ins from the environment, custom ones from the files).
    pub endpoints: crate::EndpointsConfig,
    /// Configured OAuth 2.0 providers (`github`, `discord`).
    pub oauth2: Vec<OAuth2Config>,
    /// The raw values with their origins, for `config show`.
    pub raw: RawValues,
}

/// Raw option values keyed by option key. Its `Debug` redacts secrets and database passwords,
/// so `{config:?}` in a log line is safe.
#[derive(Clone, Default)]
pub struct RawValues(pub BTreeMap<&'static str, Raw>);

impl std::ops::Deref for RawValues {
    type Target = BTreeMap<&'static str, Raw>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::fmt::Debug for RawValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (key, raw) in &self.0 {
            let spec = spec::find(key);
            let value = match spec {
                Some(s) if s.secret => "<redacted>".to_owned(),
                Some(s) if s.kind.has_credentials() => crate::redact_url(&raw.value),
                _ => raw.value.clone(),
            };
            map.entry(key, &format_args!("{value:?} ({})", raw.origin));
        }
        map.finish()
    }
}

impl Config {
    /// Loads and validates the configuration, reporting every problem at once.
    pub fn load(sources: &Sources) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let mut raw = sources::gather(sources, &mut problems);
        let mut p = Parser {
            raw: &raw,
            problems: &mut problems,
        };

        let server = ServerConfig {
            host: p.text("server.host"),
            port: p.get("server.port", parse::port).unwrap_or_default(),
            shutdown_grace: p.duration("server.shutdown_grace"),
            domain_client: p
                .get("server.domain_client", parse::url)
                .unwrap_or_default(),
            domain_server: p
                .get("server.domain_server", parse::url)
                .unwrap_or_default(),
            client_ip_header: Some(p.choice("server.client_ip_header")).filter(|h| h != "none"),
            app_title: p.text("server.app_title"),
            help_and_faq_url: p.text("server.help_and_faq_url"),
        };
        let data_dir = PathBuf::from(p.text("data_dir"));
        let client_dir = p.get("client_dir", |v| Ok(PathBuf::from(v.trim())));
        let url = p
            .get("database.url", parse::database_url)
            .unwrap_or_else(|| format!("sqlite:{}", data_dir.join("ferrochat.db").display()));
        let database = DatabaseConfig {
            url: Secret::new(url),
            max_connections: p.get("database.max_connections", parse::count).unwrap_or(1),
            acquire_timeout: p.duration("database.acquire_timeout"),
            idle_timeout: nonzero(p.duration("database.idle_timeout")),
            statement_timeout: nonzero(p.duration("database.statement_timeout")),
            slow_query_threshold: p.duration("database.slow_query_threshold"),
        };
        let auth = AuthConfig {
            jwt_secret: p.secret("auth.jwt_secret"),
            jwt_refresh_secret: p.secret("auth.jwt_refresh_secret"),
            creds_key: p.hex_key("auth.creds_key"),
            session_expiry: p.positive_duration("auth.session_expiry"),
            refresh_token_expiry: p.positive_duration("auth.refresh_token_expiry"),
            allow_registration: p.flag("auth.allow_registration"),
            allow_email_login: p.flag("auth.allow_email_login"),
            allow_social_login: p.flag("auth.allow_social_login"),
            allow_social_registration: p.flag("auth.allow_social_registration"),
            allow_unverified_email_login: p.flag("auth.allow_unverified_email_login"),
            allowed_registration_domains: p
                .text("auth.allowed_registration_domains")
                .split(',')
                .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
            allow_password_reset: p.flag("auth.allow_password_reset"),
        };
        let mut limit = |max: &str, window: &str| Limit {
            max: p.get(max, parse::count).unwrap_or(1),
            window: p.get(window, parse::minutes).unwrap_or_default(),
        };
        let limits = LimitsConfig {
            login: limit("limits.login_max", "limits.login_window"),
            register: limit("limits.register_max", "limits.register_window"),
            refresh: limit("limits.refresh_max", "limits.refresh_window"),
            reset_password: limit("limits.reset_password_max", "limits.reset_password_window"),
            verify_email: limit("limits.verify_email_max", "limits.verify_email_window"),
            api: limit("limits.api_max", "limits.api_window"),
        };
        let redis_uri = p.get("redis.uri", parse::redis_url).map(Secret::new);
        let email_host = p
            .get("email.host", |v| Ok(v.trim().to_owned()))
            .filter(|h| !h.is_empty());
        let email_port = p.get("email.port", parse::port).unwrap_or(587);
        let email_encryption = p.choice("email.encryption");
        let email_username = p.get("email.username", |v| Ok(v.trim().to_owned()));
        let email_password = p.secret("email.password");
        let email_from = p.text("email.from");
        let email_from_name = p.text("email.from_name");
        let (digest_day, digest_minute) = p
            .get("email.digest_at", parse::weekly_time)
            .unwrap_or((0, 8 * 60));
        let digest = DigestConfig {
            enabled: p.flag("email.digest"),
            day: digest_day,
            minute: digest_minute,
        };
        let oidc = oidc_providers(&mut p, &server.domain_server);
        let oauth2 = ["github", "discord"]
            .into_iter()
            .filter_map(|name| oauth2_provider(&mut p, name, &server.domain_server))
            .collect();
        let email = email_host.map(|host| EmailConfig {
            host,
            port: email_port,
            encryption: email_encryption,
            username: email_username,
            password: email_password,
            from: email_from,
            from_name: email_from_name,
        });
        let log = LogConfig {
            level: p.choice("log.level"),
            format: match p.choice("log.format").as_str() {
                "json" => LogFormat::Json,
                _ => LogFormat::Text,
            },
        };
        let metrics_enabled = p.flag("metrics.enabled");
        let conversation_retention = p.duration("conversations.retention");
        let import_max_bytes = p
            .get("conversations.import_max_bytes", parse::count)
            .unwrap_or(52_428_800);
        let sharing = SharingConfig {
            enabled: p.flag("sharing.enabled"),
            public: p.flag("sharing.public"),
        };
        let webhooks = WebhooksConfig {
            enabled: p.flag("webhooks.enabled"),
            retry_delays: p
                .get("webhooks.retry_delays", |text| {
                    text.split(',')
                        .map(|d| d.trim())
                        .filter(|d| !d.is_empty())
                        .map(parse::duration)
                        .collect()
                })
                .unwrap_or_default(),
            timeout: p.positive_duration("webhooks.timeout"),
            max_per_user: p.get("webhooks.max_per_user", parse::count).unwrap_or(20),
        };
        let files = files_config(&mut p, &data_dir);
        let backup = BackupConfig {
            interval: nonzero(p.duration("backup.interval")),
            dir: p
                .get("backup.dir", |v| Ok(PathBuf::from(v.trim())))
                .unwrap_or_else(|| data_dir.join("backups")),
            keep: p.get("backup.keep", parse::count).unwrap_or(7),
            files: p.flag("backup.files"),
            s3: match p.text("backup.s3_bucket") {
                bucket if bucket.is_empty() => None,
                bucket => Some(s3_config(&mut p, bucket)),
            },
            s3_prefix: p.text("backup.s3_prefix"),
        };
        let main_doc = sources::main_document(sources);
        let endpoints = crate::endpoints::load(
            main_doc.as_ref().map(|(path, doc)| (path.as_path(), doc)),
            &sources.env,
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        raw.entry("database.url").or_insert_with(|| Raw {
            value: database.url.expose().to_owned(),
            origin: sources::Origin::Default,
        });
        Ok(Config {
            server,
            data_dir,
            client_dir,
            database,
            auth,
            log,
            metrics_enabled,
            conversation_retention,
            import_max_bytes,
            sharing,
            webhooks,
            files,
            backup,
            limits,
            redis_uri,
            email,
            digest,
            oidc,
            oauth2,
            endpoints,
            raw: RawValues(raw),
        })
    }

    /// The socket address to bind, as `host:port` (IPv6 hosts bracketed).
    pub fn bind_address(&self) -> String {
        if self.server.host.contains(':') {
            format!("[{}]:{}", self.server.host, self.server.port)
        } else {
            format!("{}:{}", self.server.host, self.server.port)
        }
    }
}

/// Joins a callback path to the public server URL (absolute URLs are kept).
fn absolute(domain_server: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        path.to_owned()
    } else {
        format!("{domain_server}/{}", path.trim_start_matches('/'))
    }
}

/// The providers whose settings are complete; a partly configured one is a problem.
fn oidc_providers(p: &mut Parser<'_>, domain_server: &str) -> Vec<OidcConfig> {
    let mut out = Vec::new();
    let openid = (
        p.get("openid.issuer", parse::url),
        p.get("openid.client_id", |v| Ok(v.trim().to_owned())),
        p.secret("openid.client_secret"),
    );
    let scope = p.text("openid.scope");
    let callback = p.text("openid.callback_url");
    let label = p.text("openid.button_label");
    match openid {
        (Some(issuer), Some(client_id), Some(client_secret)) => out.push(OidcConfig {
            name: "openid",
            issuer,
            client_id,
            client_secret,
            scope,
            callback_url: absolute(domain_server, &callback),
            label,
        }),
        (None, None, None) => {}
        _ => p.problem(
            "openid.issuer",
            "OPENID_ISSUER, OPENID_CLIENT_ID and OPENID_CLIENT_SECRET must be set together",
        ),
    }
    let google = (
        p.get("google.client_id", |v| Ok(v.trim().to_owned())),
        p.secret("google.client_secret"),
    );
    let google_callback = p.text("google.callback_url");
    match google {
        (Some(client_id), Some(client_secret)) => out.push(OidcConfig {
            name: "google",
            issuer: "https://accounts.google.com".into(),
            client_id,
            client_secret,
            scope: "openid profile email".into(),
            callback_url: absolute(domain_server, &google_callback),
            label: "Continue with Google".into(),
        }),
        (None, None) => {}
        _ => p.problem(
            "google.client_id",
            "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set together",
        ),
    }
    out
}

/// A GitHub or Discord provider when its client ID and secret are both set.
fn oauth2_provider(
    p: &mut Parser<'_>,
    name: &'static str,
    domain_server: &str,
) -> Option<OAuth2Config> {
    let key = |field: &str| -> &'static str {
        spec::SPECS
            .iter()
            .find(|s| s.key == format!("{name}.{field}"))
            .map_or("", |s| s.key)
    };
    let client_id = p.get(key("client_id"), |v| Ok(v.trim().to_owned()));
    let client_secret = p.secret(key("client_secret"));
    let callback = p.text(key("callback_url"));
    let base_url = p.get(key("base_url"), parse::url).unwrap_or_default();
    match (client_id, client_secret) {
        (Some(client_id), Some(client_secret)) => Some(OAuth2Config {
            name,
            client_id,
            client_secret,
            callback_url: absolute(domain_server, &callback),
            base_url,
        }),
        (None, None) => None,
        _ => {
            p.problem(
                key("client_id"),
                "the client ID and client secret must be set together",
            );
            None
        }
    }
}

fn nonzero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

/// `bucket` on the S3 service the `files.s3_*` settings name (files and backups share it).
fn s3_config(p: &mut Parser<'_>, bucket: String) -> S3Config {
    let access_key_id = p.secret("files.s3_access_key_id");
    let secret_access_key = p.secret("files.s3_secret_access_key");
    if access_key_id.is_some() != secret_access_key.is_some() {
        p.problem(
            "files.s3_secret_access_key",
            "files.s3_access_key_id and files.s3_secret_access_key go together: set both or neither",
        );
    }
    S3Config {
        bucket,
        region: p.text("files.s3_region"),
        endpoint: p.get("files.s3_endpoint", parse::url),
        access_key_id,
        secret_access_key,
        force_path_style: p.flag("files.s3_force_path_style"),
    }
}

fn files_config(p: &mut Parser<'_>, data_dir: &Path) -> FilesConfig {
    let storage = match p.choice("files.storage").as_str() {
        "s3" => {
            let bucket = p.text("files.s3_bucket");
            if bucket.is_empty() {
                p.problem(
                    "files.s3_bucket",
                    "files.storage is s3, so files.s3_bucket (AWS_BUCKET_NAME) must name a bucket",
                );
            }
            FileStorage::S3(s3_config(p, bucket))
        }
        _ => FileStorage::Local(
            p.get("files.dir", |v| Ok(PathBuf::from(v.trim())))
                .unwrap_or_else(|| data_dir.join("files")),
        ),
    };
    FilesConfig {
        enabled: p.flag("files.enabled"),
        storage,
        max_file_size: p
            .get("files.max_file_size", |v| {
                parse::bytes(v).and_then(|n| {
                    if n == 0 {
                        Err(Some("must be more than zero".into()))
                    } else {
                        Ok(n)
                    }
                })
            })
            .unwrap_or(1),
        user_quota: p.get("files.user_quota", parse::bytes).filter(|n| *n > 0),
        upload_expiry: p.positive_duration("files.upload_expiry"),
    }
}

fn spec_of(key: &str) -> &'static Spec {
    // Keys passed here are literals from this file; the table test pins that each exists.
    spec::find(key).unwrap_or(&spec::SPECS[0])
}

/// Parses raw values one option at a time, pushing a problem for each bad one and carrying on.
struct Parser<'a> {
    raw: &'a BTreeMap<&'static str, Raw>,
    problems: &'a mut Vec<Problem>,
}

impl Parser<'_> {
    fn get<T>(
        &mut self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, Option<String>>,
    ) -> Option<T> {
        let spec = spec_of(key);
        let raw = self.raw.get(spec.key)?;
        match parse(&raw.value) {
            Ok(v) => Some(v),
            Err(detail) => {
                self.problems
                    .push(Problem::invalid(spec, &raw.origin, &raw.value, detail));
                None
            }
        }
    }

    /// Records a problem that concerns several options at once.
    fn problem(&mut self, key: &str, message: &str) {
        // Files and backups read the same S3 settings: one problem is reported once.
        if self
            .problems
            .iter()
            .any(|p| p.key == key && p.message == message)
        {
            return;
        }
        self.problems.push(Problem {
            key: key.to_owned(),
            origin: None,
            message: message.to_owned(),
            example: None,
        });
    }

    fn text(&mut self, key: &str) -> String {
        self.get(key, |s| Ok(s.trim().to_owned()))
            .unwrap_or_default()
    }

    fn secret(&mut self, key: &str) -> Option<Secret> {
        self.get(key, |s| Ok(Secret::new(s)))
    }

    /// A 32-byte key written as 64 hex characters.
    fn hex_key(&mut self, key: &str) -> Option<Secret> {
        self.get(key, |s| {
            let s = s.trim();
            if s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit()) {
                Ok(Secret::new(s))
            } else {
                Err(Some("must be 64 hexadecimal characters".into()))
            }
        })
    }

    fn flag(&mut self, key: &str) -> bool {
        self.get(key, parse::bool).unwrap_or_default()
    }

    fn duration(&mut self, key: &str) -> Duration {
        self.get(key, parse::duration).unwrap_or_default()
    }

    fn positive_duration(&mut self, key: &str) -> Duration {
        self.get(key, |s| {
            parse::duration(s).and_then(|d| {
                if d.is_zero() {
                    Err(Some("must be longer than zero".into()))
                } else {
                    Ok(d)
                }
            })
        })
        .unwrap_or_default()
    }

    fn choice(&mut self, key: &str) -> String {
        let spec = spec_of(key);
        let spec::Kind::Choice(words) = spec.kind else {
            return self.text(key);
        };
        self.get(key, |s| {
            let s = s.trim().to_ascii_lowercase();
            if words.contains(&s.as_str()) {
                Ok(s)
            } else {
                Err(None)
            }
        })
        .unwrap_or_default()
    }
}
