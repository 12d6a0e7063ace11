//! The table of every configuration option.
//!
//! One row per option: its YAML key, the environment names that set it (LibreChat's where one
//! exists), its default, an example and what it means. The example file, `config show`,
//! `docs/configuration.md` and the docs-coverage test are all derived from this table, so an
//! option cannot exist without being documented.

/// What kind of value an option takes; drives parsing and the "expected" text of errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    Bool,
    /// A TCP port, 1-65535.
    Port,
    /// A positive integer.
    Count,
    /// `250ms`, `30s`, `15m`, `1h30m`, `7d`, or milliseconds as a number or product
    /// (`1000 * 60 * 15`, LibreChat's notation).
    Duration,
    /// Like `Duration`, but a plain number means minutes (LibreChat's rate-limit windows).
    Minutes,
    /// An `http://` or `https://` URL.
    Url,
    /// A `sqlite:` or `postgres:` URL.
    DatabaseUrl,
    /// A `redis://` or `rediss://` URL.
    RedisUrl,
    /// A filesystem path.
    Path,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// A size: bytes as a number, or with a unit (`512KB`, `20MB`, `1GB`; powers of 1024).
    Bytes,
}

impl Kind {
    /// What a valid value looks like, for error messages.
    pub fn expected(self) -> String {
        match self {
            Kind::Text => "text".into(),
            Kind::Bool => "true or false".into(),
            Kind::Port => "a port number between 1 and 65535".into(),
            Kind::Count => "a whole number of at least 1".into(),
            Kind::Duration => {
                "a duration such as 250ms, 30s, 15m, 7d, or milliseconds (900000 or 1000 * 60 * 15)"
                    .into()
            }
            Kind::Minutes => "a duration such as 30s, 15m or 1h, or a number of minutes".into(),
            Kind::Url => "an http:// or https:// URL".into(),
            Kind::DatabaseUrl => "a sqlite: or postgres:// URL".into(),
            Kind::RedisUrl => "a redis:// or rediss:// URL".into(),
            Kind::Path => "a filesystem path".into(),
            Kind::Choice(words) => format!("one of: {}", words.join(", ")),
            Kind::Bytes => "a size such as 20MB, 512KB, 1GB, or a number of bytes".into(),
        }
    }
}

/// One configuration option.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Dotted YAML key, e.g. `server.port`.
    pub key: &'static str,
    /// Environment variables that set it, first match wins.
    pub env: &'static [&'static str],
    /// Value used when nothing else sets it; `None` when it has no default (or it is derived).
    pub default: Option<&'static str>,
    /// A valid value, shown in errors and the example file.
    pub example: &'static str,
    /// The value type.
    pub kind: Kind,
    /// Never printed: `config show` and errors redact it.
    pub secret: bool,
    /// What the option does and why one would change it.
    pub doc: &'static str,
}

const fn opt(
    key: &'static str,
    env: &'static [&'static str],
    default: Option<&'static str>,
    example: &'static str,
    kind: Kind,
    doc: &'static str,
) -> Spec {
    Spec {
        key,
        env,
        default,
        example,
        kind,
        secret: false,
        doc,
    }
}

const fn secret(
    key: &'static str,
    env: &'static [&'static str],
    example: &'static str,
    doc: &'static str,
) -> Spec {
    Spec {
        key,
        env,
        default: None,
        example,
        kind: Kind::Text,
        secret: true,
        doc,
    }
}

/// Every option ferrochat reads, in the order the example file lists them.
#[rustfmt::skip]
pub const SPECS: &[Spec] = &[
    // --- server ---
    opt("server.host", &["HOST"], Some("127.0.0.1"), "0.0.0.0", Kind::Text,
        "Address to listen on. The default accepts local connections only; use 0.0.0.0 (or ::) behind a reverse proxy or in a container."),
    opt("server.port", &["PORT"], Some("3080"), "3080", Kind::Port,
        "TCP port to listen on (LibreChat's default)."),
    opt("server.shutdown_grace", &["SHUTDOWN_GRACE"], Some("10s"), "30s", Kind::Duration,
        "On SIGINT/SIGTERM the server stops accepting connections and lets in-flight requests and streams finish for this long before exiting."),
    opt("server.domain_client", &["DOMAIN_CLIENT"], Some("http://localhost:3080"), "https://chat.example.com", Kind::Url,
        "Public URL of the web client; used in links sent by email and for origin checks."),
    opt("server.client_ip_header", &["CLIENT_IP_HEADER"], Some("none"), "x-forwarded-for", Kind::Choice(&["none", "x-forwarded-for", "x-real-ip", "cf-connecting-ip"]),
        "Which header carries the client address when ferrochat runs behind a reverse proxy (rate limits key on it). none uses the socket address; with x-forwarded-for the last entry, the one your proxy added, is used. Only set it when every request passes through that proxy, otherwise clients can forge their address."),
    opt("server.domain_server", &["DOMAIN_SERVER"], Some("http://localhost:3080"), "https://chat.example.com", Kind::Url,
        "Public URL of this server; used for OAuth callbacks and absolute links."),
    opt("server.app_title", &["APP_TITLE"], Some("ferrochat"), "Example Chat", Kind::Text,
        "Title the web client shows."),
    opt("server.help_and_faq_url", &["HELP_AND_FAQ_URL"], Some("/"), "https://docs.example.com", Kind::Text,
        "Help link in the web client; / hides it."),
    // --- data ---
    opt("data_dir", &["DATA_DIR"], Some("./data"), "/var/lib/ferrochat", Kind::Path,
        "Directory holding the SQLite database, uploaded files and generated secrets. Created on start."),
    opt("client_dir", &["CLIENT_DIR"], None, "/srv/librechat/client/dist", Kind::Path,
        "A built LibreChat web client (its dist folder) to serve at /; every non-/api path falls back to its index.html. Unset: / shows a short page about ferrochat."),
    // --- database ---
    opt("database.url", &["DATABASE_URL"], None, "postgres://ferrochat@localhost/ferrochat", Kind::DatabaseUrl,
        "Which database to use. Defaults to sqlite:<data_dir>/ferrochat.db; a postgres:// URL selects PostgreSQL."),
    opt("database.max_connections", &["DATABASE_MAX_CONNECTIONS"], Some("10"), "20", Kind::Count,
        "Upper bound on pooled database connections."),
    opt("database.acquire_timeout", &["DATABASE_ACQUIRE_TIMEOUT"], Some("5s"), "10s", Kind::Duration,
        "How long a request waits for a free connection before failing with 503."),
    opt("database.idle_timeout", &["DATABASE_IDLE_TIMEOUT"], Some("10m"), "0", Kind::Duration,
        "Idle connections older than this are closed; 0 keeps them open."),
    opt("database.statement_timeout", &["DATABASE_STATEMENT_TIMEOUT"], Some("30s"), "5s", Kind::Duration,
        "Statements running longer are cancelled; 0 disables the limit. PostgreSQL enforces it on the server."),
    opt("database.slow_query_threshold", &["DATABASE_SLOW_QUERY_THRESHOLD"], Some("200ms"), "50ms", Kind::Duration,
        "Queries slower than this are logged at WARN with their duration (target ferrochat::slow_query)."),
    // --- conversations ---
    opt("conversations.retention", &["CONVERSATION_RETENTION"], Some("30d"), "7d", Kind::Duration,
        "How long deleted conversations can be restored before they and their messages are purged for good."),
    opt("conversations.import_max_bytes", &["CONVERSATION_IMPORT_MAX_FILE_SIZE_BYTES"], Some("52428800"), "104857600", Kind::Count,
        "Largest export file (in bytes) a user may import (LibreChat, ChatGPT or chatbot-ui JSON)."),
    // --- shared links (LibreChat's names) ---
    opt("sharing.enabled", &["ALLOW_SHARED_LINKS"], Some("true"), "false", Kind::Bool,
        "Whether users may share conversations by link. Off: no new links, and existing ones stop opening."),
    opt("sharing.public", &["ALLOW_SHARED_LINKS_PUBLIC"], Some("true"), "false", Kind::Bool,
        "Whether shared links open without signing in; off, only signed-in users of this server can open them."),
    // --- backups ---
    opt("backup.interval", &["BACKUP_INTERVAL"], Some("0"), "24h", Kind::Duration,
        "How often the server writes a backup of the whole database into backup.dir; 0 turns scheduled backups off (`ferrochat backup` still works)."),
    opt("backup.dir", &["BACKUP_DIR"], None, "/var/backups/ferrochat", Kind::Path,
        "Where backups go; <data_dir>/backups when not set. Keep secrets.json (or the secret environment values) beside them."),
    opt("backup.keep", &["BACKUP_KEEP"], Some("7"), "30", Kind::Count,
        "How many backups the schedule keeps in backup.dir; the oldest beyond are deleted."),
    opt("backup.s3_bucket", &["BACKUP_S3_BUCKET"], None, "ferrochat-backups", Kind::Text,
        "S3 bucket that every scheduled backup (and `ferrochat backup` without --output) is also uploaded to, keeping backup.keep there too; reached with the files.s3_* region, endpoint, credentials and path style (AWS_REGION, AWS_ENDPOINT_URL, …), whatever files.storage is."),
    opt("backup.s3_prefix", &["BACKUP_S3_PREFIX"], Some("backups/"), "nightly/", Kind::Text,
        "Key prefix of the backups in backup.s3_bucket."),
    opt("backup.files", &["BACKUP_FILES"], Some("true"), "false", Kind::Bool,
        "Whether backups hold the contents of uploaded files (attachments, images, avatars) beside the database, so a restore brings them back; turn off when the file storage keeps its own copies (an S3 bucket with versioning or replication)."),
    // --- webhooks ---
    opt("webhooks.enabled", &["WEBHOOKS_ENABLED"], Some("true"), "false", Kind::Bool,
        "Whether users may register webhooks. Off: the webhook routes answer 403 and nothing is delivered (queued deliveries wait)."),
    opt("webhooks.retry_delays", &["WEBHOOK_RETRY_DELAYS"], Some("5s,5m,30m,2h,5h,10h,10h"), "10s,1m,10m", Kind::Text,
        "Waits between attempts to deliver an event, comma-separated durations: the first attempt is immediate, each failure waits the next delay, and after the last the delivery is given up (Standard Webhooks' schedule by default)."),
    opt("webhooks.timeout", &["WEBHOOK_TIMEOUT"], Some("10s"), "5s", Kind::Duration,
        "How long a receiver has to answer an attempt; a slower one counts as a failure and is retried."),
    opt("webhooks.max_per_user", &["WEBHOOK_MAX_PER_USER"], Some("20"), "5", Kind::Count,
        "How many webhooks one user may register."),
    // --- files ---
    opt("files.enabled", &["FILES_ENABLED"], Some("true"), "false", Kind::Bool,
        "Whether users may upload files. Off: the upload routes answer 403 and the LibreChat client hides its attach button; stored files can still be downloaded and deleted."),
    opt("files.storage", &["FILE_STRATEGY"], Some("local"), "s3", Kind::Choice(&["local", "s3"]),
        "Where file contents are kept: `local` (files.dir) or `s3` (any S3-compatible service, files.s3_*). Every instance behind a load balancer must use the same one."),
    opt("files.dir", &["FILES_DIR"], None, "/var/lib/ferrochat/files", Kind::Path,
        "Where local file contents go; <data_dir>/files when not set."),
    opt("files.max_file_size", &["FILE_MAX_SIZE"], Some("100MB"), "20MB", Kind::Bytes,
        "Largest file one upload may hold."),
    opt("files.user_quota", &["FILE_USER_QUOTA"], Some("1GB"), "10GB", Kind::Bytes,
        "Total size of the files one user may keep (finished and unfinished uploads); 0 means no limit."),
    opt("files.upload_expiry", &["FILE_UPLOAD_EXPIRY"], Some("24h"), "2h", Kind::Duration,
        "How long an unfinished resumable (tus) upload is kept after its last write; then it and its parts are removed."),
    opt("files.s3_bucket", &["AWS_BUCKET_NAME"], None, "ferrochat-files", Kind::Text,
        "S3 bucket for files (LibreChat's name); required when files.storage is s3."),
    opt("files.s3_region", &["AWS_REGION"], Some("us-east-1"), "eu-central-1", Kind::Text,
        "Region of the bucket."),
    opt("files.s3_endpoint", &["AWS_ENDPOINT_URL"], None, "http://127.0.0.1:9000", Kind::Url,
        "Endpoint of an S3-compatible service (MinIO, Ceph, R2, …); AWS itself when not set."),
    secret("files.s3_access_key_id", &["AWS_ACCESS_KEY_ID"], "AKIA…",
        "Access key ID; the usual AWS credential chain (instance role, web identity) when not set."),
    secret("files.s3_secret_access_key", &["AWS_SECRET_ACCESS_KEY"], "…",
        "Secret access key that goes with files.s3_access_key_id."),
    opt("files.s3_force_path_style", &["AWS_FORCE_PATH_STYLE"], Some("false"), "true", Kind::Bool,
        "Address the bucket in the path (`endpoint/bucket/key`) rather than as a subdomain; most self-hosted S3 servers need this."),
    // --- auth ---
    secret("auth.jwt_secret", &["JWT_SECRET"], "a-long-random-string",
        "Signs access tokens. Generated on first start and kept in <data_dir>/secrets.json when not set."),
    secret("auth.jwt_refresh_secret", &["JWT_REFRESH_SECRET"], "another-long-random-string",
        "Signs refresh tokens. Generated on first start and kept in <data_dir>/secrets.json when not set."),
    secret("auth.creds_key", &["CREDS_KEY"], "64 hex characters (32 bytes)",
        "Encrypts user-provided API keys at rest. Generated on first start and kept in <data_dir>/secrets.json when not set."),
    opt("auth.session_expiry", &["SESSION_EXPIRY"], Some("15m"), "1000 * 60 * 15", Kind::Duration,
        "Lifetime of an access token."),
    opt("auth.refresh_token_expiry", &["REFRESH_TOKEN_EXPIRY"], Some("7d"), "(1000 * 60 * 60 * 24) * 7", Kind::Duration,
        "Lifetime of a login session (refresh token)."),
    opt("auth.allow_registration", &["ALLOW_REGISTRATION"], Some("true"), "false", Kind::Bool,
        "Whether new accounts may register with email and password."),
    opt("auth.allow_email_login", &["ALLOW_EMAIL_LOGIN"], Some("true"), "true", Kind::Bool,
        "Whether accounts may sign in with email and password."),
    opt("auth.allow_social_login", &["ALLOW_SOCIAL_LOGIN"], Some("false"), "true", Kind::Bool,
        "Whether OpenID Connect and social sign-in are offered."),
    opt("auth.allow_social_registration", &["ALLOW_SOCIAL_REGISTRATION"], Some("false"), "true", Kind::Bool,
        "Whether a first social sign-in may create an account."),
    opt("auth.allow_unverified_email_login", &["ALLOW_UNVERIFIED_EMAIL_LOGIN"], Some("true"), "false", Kind::Bool,
        "Whether accounts whose address is not yet verified may sign in."),
    opt("auth.allowed_registration_domains", &["ALLOWED_REGISTRATION_DOMAINS"], Some(""), "example.com,example.org", Kind::Text,
        "Comma-separated email domains allowed to register; empty allows every domain."),
    opt("auth.allow_password_reset", &["ALLOW_PASSWORD_RESET"], Some("false"), "true", Kind::Bool,
        "Whether users may reset a forgotten password by email (LibreChat's default is off)."),
    // --- OpenID Connect and social sign-in (LibreChat's names) ---
    opt("openid.issuer", &["OPENID_ISSUER"], None, "https://id.example.com/realms/main", Kind::Url,
        "OpenID Connect issuer; with OPENID_CLIENT_ID and OPENID_CLIENT_SECRET it enables sign-in at /oauth/openid (when ALLOW_SOCIAL_LOGIN is on)."),
    opt("openid.client_id", &["OPENID_CLIENT_ID"], None, "ferrochat", Kind::Text,
        "OAuth client ID registered at the OpenID provider."),
    secret("openid.client_secret", &["OPENID_CLIENT_SECRET"], "client-secret",
        "OAuth client secret for the OpenID provider."),
    opt("openid.scope", &["OPENID_SCOPE"], Some("openid profile email"), "openid profile email", Kind::Text,
        "Scopes requested from the OpenID provider; must include openid and email."),
    opt("openid.callback_url", &["OPENID_CALLBACK_URL"], Some("/oauth/openid/callback"), "/oauth/openid/callback", Kind::Text,
        "Callback path (joined to DOMAIN_SERVER) registered at the provider."),
    opt("openid.button_label", &["OPENID_BUTTON_LABEL"], Some("Continue with OpenID"), "Sign in with Keycloak", Kind::Text,
        "Label of the sign-in button in the LibreChat client."),
    opt("google.client_id", &["GOOGLE_CLIENT_ID"], None, "1234.apps.googleusercontent.com", Kind::Text,
        "Google OAuth client ID; with GOOGLE_CLIENT_SECRET it enables sign-in at /oauth/google (OpenID Connect)."),
    secret("google.client_secret", &["GOOGLE_CLIENT_SECRET"], "google-client-secret",
        "Google OAuth client secret."),
    opt("google.callback_url", &["GOOGLE_CALLBACK_URL"], Some("/oauth/google/callback"), "/oauth/google/callback", Kind::Text,
        "Callback path (joined to DOMAIN_SERVER) registered at Google."),
    opt("github.client_id", &["GITHUB_CLIENT_ID"], None, "Iv1.0123456789abcdef", Kind::Text,
        "GitHub OAuth app client ID; with GITHUB_CLIENT_SECRET it enables sign-in at /oauth/github."),
    secret("github.client_secret", &["GITHUB_CLIENT_SECRET"], "github-client-secret",
        "GitHub OAuth app client secret."),
    opt("github.callback_url", &["GITHUB_CALLBACK_URL"], Some("/oauth/github/callback"), "/oauth/github/callback", Kind::Text,
        "Callback path (joined to DOMAIN_SERVER) registered at GitHub."),
    opt("github.base_url", &["GITHUB_ENTERPRISE_BASE_URL"], Some("https://github.com"), "https://github.example.com", Kind::Url,
        "GitHub web URL; set it for GitHub Enterprise Server (the API is then at <url>/api/v3)."),
    opt("discord.client_id", &["DISCORD_CLIENT_ID"], None, "123456789012345678", Kind::Text,
        "Discord application client ID; with DISCORD_CLIENT_SECRET it enables sign-in at /oauth/discord."),
    secret("discord.client_secret", &["DISCORD_CLIENT_SECRET"], "discord-client-secret",
        "Discord application client secret."),
    opt("discord.callback_url", &["DISCORD_CALLBACK_URL"], Some("/oauth/discord/callback"), "/oauth/discord/callback", Kind::Text,
        "Callback path (joined to DOMAIN_SERVER) registered at Discord."),
    opt("discord.base_url", &["DISCORD_BASE_URL"], Some("https://discord.com"), "https://discord.com", Kind::Url,
        "Discord web URL (the API is at <url>/api); change it only to go through a proxy."),
    // --- mail (LibreChat's names) ---
    opt("email.host", &["EMAIL_HOST"], None, "smtp.example.com", Kind::Text,
        "SMTP server for verification and reset mail. Unset: messages (and their links) are written to the log."),
    opt("email.port", &["EMAIL_PORT"], Some("587"), "465", Kind::Port,
        "SMTP port."),
    opt("email.encryption", &["EMAIL_ENCRYPTION"], Some("starttls"), "tls", Kind::Choice(&["starttls", "tls", "none"]),
        "SMTP transport security: starttls (required upgrade), tls (implicit, port 465) or none (local relays and tests only)."),
    opt("email.username", &["EMAIL_USERNAME"], None, "mailer@example.com", Kind::Text,
        "SMTP login."),
    secret("email.password", &["EMAIL_PASSWORD"], "an-app-password",
        "SMTP password."),
    opt("email.from", &["EMAIL_FROM"], Some("noreply@localhost"), "noreply@example.com", Kind::Text,
        "Sender address."),
    opt("email.from_name", &["EMAIL_FROM_NAME"], Some("ferrochat"), "Example Chat", Kind::Text,
        "Sender display name."),
    opt("email.digest", &["EMAIL_DIGEST"], Some("true"), "false", Kind::Bool,
        "Whether users may subscribe to a weekly digest of their activity (GET/PUT /api/v1/me/digest), and subscribers get it. Only sent when email.host is set."),
    opt("email.digest_at", &["EMAIL_DIGEST_AT"], Some("monday 08:00"), "friday 17:30", Kind::Text,
        "When the weekly digest goes out, in UTC: a weekday and a time. It covers the seven days up to the start (00:00 UTC) of that day."),
    // --- rate limits (LibreChat's names; windows in minutes) ---
    opt("limits.login_max", &["LOGIN_MAX"], Some("7"), "7", Kind::Count,
        "Login attempts allowed per window, per client IP and per account."),
    opt("limits.login_window", &["LOGIN_WINDOW"], Some("5"), "5", Kind::Minutes,
        "Login rate-limit window."),
    opt("limits.register_max", &["REGISTER_MAX"], Some("5"), "5", Kind::Count,
        "Registrations allowed per window, per client IP."),
    opt("limits.register_window", &["REGISTER_WINDOW"], Some("60"), "60", Kind::Minutes,
        "Registration rate-limit window."),
    opt("limits.reset_password_max", &["RESET_PASSWORD_MAX"], Some("2"), "2", Kind::Count,
        "Password-reset requests and resets allowed per window, per client IP and per account."),
    opt("limits.reset_password_window", &["RESET_PASSWORD_WINDOW"], Some("2"), "2", Kind::Minutes,
        "Password-reset rate-limit window."),
    opt("limits.verify_email_max", &["VERIFY_EMAIL_MAX"], Some("2"), "2", Kind::Count,
        "Email verifications and resends allowed per window, per client IP and per account."),
    opt("limits.verify_email_window", &["VERIFY_EMAIL_WINDOW"], Some("2"), "2", Kind::Minutes,
        "Email-verification rate-limit window."),
    opt("limits.api_max", &["API_LIMIT_MAX"], Some("600"), "1200", Kind::Count,
        "Requests to /api/v1 allowed per window, per user and per API key (each counted separately)."),
    opt("limits.api_window", &["API_LIMIT_WINDOW"], Some("1"), "1", Kind::Minutes,
        "/api/v1 rate-limit window."),
    opt("limits.refresh_max", &["REFRESH_MAX"], Some("60"), "60", Kind::Count,
        "Token refreshes allowed per window, per client IP."),
    opt("limits.refresh_window", &["REFRESH_WINDOW"], Some("1"), "1", Kind::Minutes,
        "Refresh rate-limit window."),
    opt("redis.uri", &["REDIS_URI"], None, "redis://127.0.0.1:6379", Kind::RedisUrl,
        "Redis server shared by all instances for rate limits (and later caching and pub/sub). Unset keeps them in process."),
    // --- logging and metrics ---
    opt("log.level", &["LOG_LEVEL"], Some("info"), "debug", Kind::Choice(&["trace", "debug", "info", "warn", "error"]),
        "Minimum level logged. RUST_LOG, when set, overrides it with per-module filters."),
    opt("log.format", &["LOG_FORMAT"], Some("text"), "json", Kind::Choice(&["text", "json"]),
        "text for people, json for log collectors (one object per line). LibreChat's CONSOLE_JSON=true also selects json."),
    opt("metrics.enabled", &["METRICS_ENABLED"], Some("true"), "false", Kind::Bool,
        "Serve Prometheus metrics at /metrics. Disable when the port is reachable by untrusted clients and no proxy filters it."),
];

impl Kind {
    /// Whether values of this kind may carry a password that must be hidden when shown.
    pub fn has_credentials(self) -> bool {
        matches!(self, Kind::DatabaseUrl | Kind::RedisUrl)
    }
}

/// Looks an option up by key.
pub fn find(key: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.key == key)
}
