//! Serving with graceful shutdown.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use ferrochat_blobs::{Blobs, S3Settings};
use ferrochat_cache::{
    MemoryLimiter, MemoryPresence, Presence, RateLimiter, RedisLimiter, RedisPresence,
};
use ferrochat_config::{Config, FileStorage, Secrets};
use ferrochat_mail::{Encryption, LogMailer, Mailer, SmtpMailer, SmtpSettings};
use ferrochat_oidc::{
    ExternalProvider, OAuth2Kind, OAuth2Provider, OAuth2Settings, OidcProvider, ProviderSettings,
};
use ferrochat_services::auth::external::Providers;
use ferrochat_services::auth::{AuthPolicy, tokens::AccessTokens};
use ferrochat_services::chat::Endpoints;
use ferrochat_services::crypto::SecretBox;
use ferrochat_services::{
    BackupPolicy, BackupRemote, Deps, DigestPolicy, FilePolicy, Services, SharePolicy, SystemClock,
    WebhookPolicy,
};
use ferrochat_store::DynStore;
use ferrochat_web::{AppState, RateLimits};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::{BootError, build_router, open_store, prepare_data_dir, telemetry};

/// Builds the application state; `run` and the test harness share it so tests exercise the
/// same wiring as production.
pub async fn app_state(
    config: Arc<Config>,
    secrets: Secrets,
    store: DynStore,
    shutdown: CancellationToken,
) -> Result<AppState, BootError> {
    let metrics = config.metrics_enabled.then(telemetry::metrics_handle);
    let tokens = AccessTokens::new(
        secrets.jwt_secret.expose().as_bytes(),
        config.auth.session_expiry,
    );
    let policy = AuthPolicy {
        allow_registration: config.auth.allow_registration,
        allow_email_login: config.auth.allow_email_login,
        allow_unverified_email_login: config.auth.allow_unverified_email_login,
        allowed_domains: config.auth.allowed_registration_domains.clone(),
        refresh_ttl: config.auth.refresh_token_expiry,
        allow_password_reset: config.auth.allow_password_reset,
        client_url: config.server.domain_client.clone(),
        allow_social_login: config.auth.allow_social_login,
        allow_social_registration: config.auth.allow_social_registration,
    };
    let mailer = mailer(&config)?;
    let delivers = mailer.delivers();
    let secret_box = SecretBox::from_hex_key(secrets.creds_key.expose())
        .map_err(|e| BootError::Internal(e.to_string()))?;
    let services = Services::new(Deps {
        store,
        tokens,
        policy,
        mailer,
        secret_box,
        providers: providers(&config)?,
        clock: Arc::new(SystemClock),
        endpoints: Arc::new(Endpoints::new(
            config.endpoints.clone(),
            if config.endpoints.spare_connections {
                ferrochat_providers::http_client()
            } else {
                ferrochat_providers::http_client_without_spares()
            },
        )),
        sharing: SharePolicy {
            enabled: config.sharing.enabled,
            public: config.sharing.public,
        },
        webhooks: WebhookPolicy {
            enabled: config.webhooks.enabled,
            retry_delays: config.webhooks.retry_delays.clone(),
            timeout: config.webhooks.timeout,
            max_per_user: config.webhooks.max_per_user,
        },
        backup: backup_policy(&config)?,
        blobs: blobs(&config)?,
        files: file_policy(&config),
        file_link_key: file_link_key(&secrets),
        digest: DigestPolicy {
            enabled: config.digest.enabled && delivers,
            day: config.digest.day,
            minute: config.digest.minute,
            client_url: config.server.domain_client.clone(),
            server_url: config.server.domain_server.clone(),
            key: derived_key(&secrets, b"ferrochat digest unsubscribe\0"),
        },
    });
    // The dummy password hash costs an argon2 run (~40 ms); compute it beside start-up rather
    // than in its path. A login racing it simply waits for the same computation.
    let auth = services.auth.clone();
    tokio::spawn(async move {
        if let Err(e) = auth.warm_up().await {
            tracing::error!(error = %e, "could not prepare the dummy password hash");
        }
    });
    let limiter: Arc<dyn RateLimiter> = match &config.redis_uri {
        Some(url) => Arc::new(
            RedisLimiter::connect(url.expose(), "ferrochat")
                .await
                .map_err(|e| BootError::Redis(e.to_string()))?,
        ),
        None => Arc::new(MemoryLimiter::new()),
    };
    let presence: Arc<dyn Presence> = match &config.redis_uri {
        Some(url) => Arc::new(
            RedisPresence::connect(url.expose(), "ferrochat")
                .await
                .map_err(|e| BootError::Redis(e.to_string()))?,
        ),
        None => Arc::new(MemoryPresence::new()),
    };
    // With Redis, events reach the sockets of every instance, not only this one's.
    if let Some(url) = &config.redis_uri {
        crate::relay::start(
            &services.events,
            url.expose(),
            "ferrochat",
            shutdown.clone(),
        )
        .await
        .map_err(|e| BootError::Redis(e.to_string()))?;
    }
    // Webhook deliveries: queued rows, sent and retried by this worker (every instance runs
    // one; leases keep them from sending the same attempt twice).
    if config.webhooks.enabled {
        let worker = services.webhooks.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = worker.run_worker() => {}
                () = stop.cancelled() => {}
            }
        });
    }
    {
        let files = services.files.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = files.run_sweeper() => {}
                () = stop.cancelled() => {}
            }
        });
    }
    if services.digest.enabled() {
        let digest = services.digest.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = digest.run_schedule() => {}
                () = stop.cancelled() => {}
            }
        });
    }
    if config.backup.interval.is_some() {
        let backups = services.backups.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = backups.run_schedule() => {}
                () = stop.cancelled() => {}
            }
        });
    }
    Ok(AppState {
        services: Arc::new(services),
        limits: RateLimits::new(limiter, config.limits.clone()),
        presence,
        config,
        secrets: Arc::new(secrets),
        shutdown,
        metrics,
    })
}

/// The key of signed image links: derived from the access-token secret (so every instance
/// agrees, and rotating that secret invalidates the links), never the secret itself.
fn file_link_key(secrets: &Secrets) -> Vec<u8> {
    derived_key(secrets, b"ferrochat file links\0")
}

/// A key for one purpose (`label`), derived from the access-token secret like
/// [`file_link_key`]: the unsubscribe links of weekly digests.
fn derived_key(secrets: &Secrets, label: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    let mut hash = sha2::Sha256::new();
    hash.update(label);
    hash.update(secrets.jwt_secret.expose().as_bytes());
    hash.finalize().to_vec()
}

/// What uploads may do, from the configuration.
pub fn file_policy(config: &Config) -> FilePolicy {
    FilePolicy {
        enabled: config.files.enabled,
        // LibreChat's `fileConfig.serverFileSizeLimit` can only lower the limit.
        max_file_size: config
            .endpoints
            .file_config
            .server_file_size_limit
            .map_or(config.files.max_file_size, |l| {
                l.min(config.files.max_file_size)
            }),
        user_quota: config.files.user_quota,
        upload_expiry: config.files.upload_expiry,
        rules: Arc::new(config.endpoints.file_config.clone()),
    }
}

/// The blob store the configuration names (`ferrochat user delete` uses it too).
pub fn blobs(config: &Config) -> Result<Blobs, BootError> {
    let blobs = match &config.files.storage {
        FileStorage::Local(dir) => Blobs::local(dir),
        FileStorage::S3(s3) => Blobs::s3(&s3_settings(s3)),
    };
    blobs.map_err(|e| BootError::Internal(format!("file storage: {e}")))
}

fn s3_settings(s3: &ferrochat_config::S3Config) -> S3Settings {
    S3Settings {
        bucket: s3.bucket.clone(),
        region: s3.region.clone(),
        endpoint: s3.endpoint.clone(),
        credentials: s3
            .access_key_id
            .as_ref()
            .zip(s3.secret_access_key.as_ref())
            .map(|(id, secret)| (id.expose().to_owned(), secret.expose().to_owned())),
        path_style: s3.force_path_style,
    }
}

/// Where backups go and how often, from the configuration (`ferrochat backup` uses it too).
pub fn backup_policy(config: &Config) -> Result<BackupPolicy, BootError> {
    let remote = match &config.backup.s3 {
        Some(s3) => Some(BackupRemote {
            blobs: Blobs::s3(&s3_settings(s3))
                .map_err(|e| BootError::Internal(format!("backup bucket: {e}")))?,
            bucket: s3.bucket.clone(),
            prefix: config.backup.s3_prefix.clone(),
        }),
        None => None,
    };
    Ok(BackupPolicy {
        dir: config.backup.dir.clone(),
        interval: config.backup.interval,
        keep: config.backup.keep,
        files: config.backup.files,
        remote,
    })
}

/// The configured OpenID Connect providers.
fn providers(config: &Config) -> Result<Providers, BootError> {
    let mut providers = Providers::default();
    for p in &config.oidc {
        let settings = ProviderSettings {
            issuer: p.issuer.clone(),
            client_id: p.client_id.clone(),
            client_secret: p.client_secret.expose().to_owned(),
            scope: p.scope.clone(),
            redirect_uri: p.callback_url.clone(),
        };
        let provider =
            OidcProvider::new(settings).map_err(|e| BootError::Internal(e.to_string()))?;
        providers.insert(p.name, ExternalProvider::Oidc(Arc::new(provider)));
    }
    for p in &config.oauth2 {
        let kind = if p.name == "github" {
            OAuth2Kind::GitHub
        } else {
            OAuth2Kind::Discord
        };
        let settings = OAuth2Settings {
            kind,
            client_id: p.client_id.clone(),
            client_secret: p.client_secret.expose().to_owned(),
            redirect_uri: p.callback_url.clone(),
            base_url: p.base_url.clone(),
        };
        let provider =
            OAuth2Provider::new(settings).map_err(|e| BootError::Internal(e.to_string()))?;
        providers.insert(p.name, ExternalProvider::OAuth2(Arc::new(provider)));
    }
    Ok(providers)
}

/// SMTP when `EMAIL_HOST` is set, the log otherwise.
fn mailer(config: &Config) -> Result<Arc<dyn Mailer>, BootError> {
    let Some(email) = &config.email else {
        return Ok(Arc::new(LogMailer));
    };
    let encryption = match email.encryption.as_str() {
        "tls" => Encryption::Tls,
        "none" => Encryption::None,
        _ => Encryption::StartTls,
    };
    let settings = SmtpSettings {
        host: email.host.clone(),
        port: email.port,
        encryption,
        username: email.username.clone(),
        password: email.password.as_ref().map(|p| p.expose().to_owned()),
        from: email.from.clone(),
        from_name: email.from_name.clone(),
    };
    let smtp = SmtpMailer::new(&settings).map_err(|e| BootError::Internal(format!("mail: {e}")))?;
    Ok(Arc::new(smtp))
}

/// Connections the kernel queues before they are accepted (capped by `net.core.somaxconn`).
/// tokio's default of 1,024 made a burst of thousands of chat streams wait for SYN retries.
const BACKLOG: u32 = 4096;

/// Binds `address` (`host:port`) with a deep accept queue.
pub async fn listen(address: &str) -> std::io::Result<TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(address).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address to bind")
    }))
}

/// How long a client may take to send a request's headers (slow-header attacks hold a
/// connection open by trickling them).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What a client sends first to speak HTTP/2 without TLS (RFC 9113 §3.4, "prior knowledge").
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Serves `router` on `listener` until `shutdown` is cancelled. Then it stops accepting, lets
/// in-flight requests and streams finish, and returns once they have, or once `grace` has
/// passed, whichever comes first (remaining connections are then dropped).
///
/// The accept loop is ferrochat's own rather than `axum::serve`, for two things that one does
/// not offer: a header read timeout, and telling HTTP/1 from HTTP/2 by peeking at the socket.
/// `axum::serve` (hyper-util's `auto`) reads the first 24 bytes to tell, then hands them to
/// HTTP/1 as a read of their own; that partial first read made hyper grow every connection's
/// read buffer to 16 KB, which thousands of open chat streams each kept.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    grace: Duration,
) -> std::io::Result<()> {
    // On a worker, not the thread that blocks on `main`: a connection's task then starts on
    // the worker that accepted it, without waking another thread first.
    tokio::spawn(accept_loop(listener, router, shutdown, grace))
        .await
        .map_err(std::io::Error::other)?
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    grace: Duration,
) -> std::io::Result<()> {
    let mut http1 = http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let mut http2 = http2::Builder::new(TokioExecutor::new());
    http2.timer(TokioTimer::new());
    let builders = Arc::new((http1, http2));
    let connections = TaskTracker::new();
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        // Without TCP_NODELAY a streamed event written right after another waits for the
        // peer's delayed ACK (up to 40 ms on Linux): every chat stream's first token paid it.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(remote));
            tower::ServiceExt::oneshot(router.clone(), req)
        });
        let (builders, shutdown) = (builders.clone(), shutdown.clone());
        connections.spawn(async move {
            // A client that sends nothing gets the same limit as one slow with its headers, and
            // is not waited for at shutdown.
            let h2 = tokio::select! {
                h2 = tokio::time::timeout(HEADER_READ_TIMEOUT, sniff_h2(&tcp)) => h2,
                () = shutdown.cancelled() => return,
            };
            let served = match h2 {
                Ok(Ok(false)) => {
                    let conn = builders
                        .0
                        .serve_connection(TokioIo::new(tcp), service)
                        .with_upgrades();
                    drive(conn, &shutdown).await
                }
                Ok(Ok(true)) => {
                    let conn = builders.1.serve_connection(TokioIo::new(tcp), service);
                    drive(conn, &shutdown).await
                }
                // The peer is gone, or silent past the limit.
                Ok(Err(_)) | Err(_) => return,
            };
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    connections.close();
    if tokio::time::timeout(grace, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_ms = grace.as_millis(),
            "grace period over; dropping remaining connections"
        );
    }
    Ok(())
}

/// Whether the client opens with the HTTP/2 preface, read without consuming anything: peeks
/// until the bytes so far differ from it (an HTTP/1 request differs by its second byte) or all
/// of it is there. One that stops partway through the preface is given a second, then
/// answered as HTTP/1.
async fn sniff_h2(tcp: &tokio::net::TcpStream) -> std::io::Result<bool> {
    let mut buf = [0u8; H2_PREFACE.len()];
    for _ in 0..200 {
        let n = tcp.peek(&mut buf).await?;
        if n == 0 || buf[..n] != H2_PREFACE[..n] {
            return Ok(false);
        }
        if n == H2_PREFACE.len() {
            return Ok(true);
        }
        // A partial preface (clients send it in one write, so this is rare). The socket stays
        // readable while those bytes sit unread, so wait a moment rather than for readiness.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(false)
}

/// A connection that can be asked to finish its in-flight requests and close.
trait Graceful: Future<Output = hyper::Result<()>> {
    fn shutdown(self: Pin<&mut Self>);
}

impl<I, S, B> Graceful for http1::UpgradeableConnection<I, S>
where
    Self: Future<Output = hyper::Result<()>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = B>,
    B: hyper::body::Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn shutdown(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

impl<I, S, B, E> Graceful for http2::Connection<I, S, E>
where
    Self: Future<Output = hyper::Result<()>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S: hyper::service::HttpService<Incoming, ResBody = B>,
    B: hyper::body::Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    E: hyper::rt::bounds::Http2ServerConnExec<S::Future, B>,
{
    fn shutdown(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// Serves a connection to its end; on shutdown, lets its in-flight requests finish first.
async fn drive<C: Graceful>(conn: C, shutdown: &CancellationToken) -> hyper::Result<()> {
    tokio::pin!(conn);
    tokio::select! {
        served = conn.as_mut() => served,
        () = shutdown.cancelled() => {
            conn.as_mut().shutdown();
            conn.await
        }
    }
}

/// Per-connection errors (the peer gave up before it was accepted) are skipped; others (out
/// of file descriptors) are logged and retried after a pause instead of spinning.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// How often soft-deleted conversations past their retention are looked for.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Purges conversations deleted longer than `retention` ago, at start and then hourly, until
/// shutdown. Runs on every instance; the delete is idempotent, so several doing it is harmless.
async fn purge_deleted(
    conversations: ferrochat_services::ConversationService,
    retention: Duration,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(PURGE_EVERY);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match conversations.purge(retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "purged deleted conversations past retention"),
            Err(e) => tracing::error!(error = %e, "purging deleted conversations failed"),
        }
    }
}

/// Cancels `token` on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal(token: CancellationToken) {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = term => tracing::info!("SIGTERM received, shutting down"),
    }
    token.cancel();
}

/// Runs the server until a shutdown signal: data directory, store, migrations, router, serve.
pub async fn run(config: Config) -> Result<(), BootError> {
    let config = Arc::new(config);
    crate::client::check_client_dir(config.client_dir.as_deref())?;
    let secrets = prepare_data_dir(&config)?;
    let store = open_store(&config.database).await?;
    let applied = store.migrate().await?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied migrations");
    }
    let address = config.bind_address();
    let listener = listen(&address).await.map_err(|source| BootError::Bind {
        address: address.clone(),
        source,
    })?;
    let shutdown = CancellationToken::new();
    let state = app_state(config.clone(), secrets, store.clone(), shutdown.clone()).await?;
    tracing::info!(
        address = %listener.local_addr().map(|a| a.to_string()).unwrap_or(address),
        database = store.engine().as_str(),
        data_dir = %config.data_dir.display(),
        "ferrochat listening"
    );
    tokio::spawn(shutdown_signal(shutdown.clone()));
    tokio::spawn(purge_deleted(
        state.services.conversations.clone(),
        config.conversation_retention,
        shutdown.clone(),
    ));
    let served = serve(
        listener,
        build_router(state),
        shutdown,
        config.server.shutdown_grace,
    )
    .await;
    store.close().await;
    served.map_err(|source| BootError::Bind {
        address: config.bind_address(),
        source,
    })?;
    tracing::info!("stopped");
    Ok(())
}
