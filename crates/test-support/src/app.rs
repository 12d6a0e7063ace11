//! `TestApp`: the real server, bound to 127.0.0.1:0, spoken to over HTTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use ferrochat_config::{Config, Sources};
use ferrochat_server::{app_state, build_router, open_store, prepare_data_dir, serve};
use ferrochat_web::AppState;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::TestDb;

/// Configures a [`TestApp`] before it starts.
pub struct TestAppBuilder {
    db: Option<TestDb>,
    env: Vec<(String, String)>,
    extra: Option<Router<AppState>>,
    yaml: String,
}

impl TestAppBuilder {
    /// Uses this database instead of a fresh SQLite file.
    pub fn db(mut self, db: TestDb) -> Self {
        self.db = Some(db);
        self
    }

    /// Sets a configuration value by its environment name (`ALLOW_REGISTRATION`, …).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Content of the server's `ferrochat.yaml` (`{addr}` is replaced as in [`Self::env`]).
    pub fn config_yaml(mut self, yaml: &str) -> Self {
        self.yaml = yaml.to_owned();
        self
    }

    /// Adds routes beside the real ones (for tests of the middleware itself).
    pub fn extra_routes(mut self, router: Router<AppState>) -> Self {
        self.extra = Some(router);
        self
    }

    /// Starts the server and waits until it accepts connections. `{addr}` in configuration
    /// values becomes the server's `127.0.0.1:port`, and `DOMAIN_SERVER` defaults to
    /// `http://{addr}`, so URLs the server builds point at itself.
    pub async fn spawn(self) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let db = self.db.unwrap_or_else(TestDb::sqlite);
        let data_dir = tempfile::tempdir().expect("temp dir");
        // An empty explicit config file keeps a developer's ./ferrochat.yaml out of the tests.
        let config_file = data_dir.path().join("ferrochat.yaml");
        std::fs::write(&config_file, self.yaml.replace("{addr}", &addr.to_string()))
            .expect("write config");
        let mut env: std::collections::HashMap<String, String> = self
            .env
            .into_iter()
            .map(|(k, v)| (k, v.replace("{addr}", &addr.to_string())))
            .collect();
        env.entry("DOMAIN_SERVER".into())
            .or_insert_with(|| format!("http://{addr}"));
        env.entry("DATA_DIR".into())
            .or_insert_with(|| data_dir.path().join("data").display().to_string());
        env.entry("DATABASE_URL".into())
            .or_insert_with(|| db.url().to_owned());
        let config = Config::load(&Sources {
            file: Some(config_file),
            env,
            flags: Vec::new(),
        })
        .unwrap_or_else(|e| panic!("test configuration: {e}"));
        let config = Arc::new(config);

        let secrets = prepare_data_dir(&config).expect("data dir");
        let store = open_store(&config.database).await.expect("open store");
        store.migrate().await.expect("migrate");
        let shutdown = CancellationToken::new();
        let state = app_state(config.clone(), secrets, store, shutdown.clone())
            .await
            .expect("app state");
        let mut router = build_router(state.clone());
        if let Some(extra) = self.extra {
            router = router.merge(
                extra
                    .layer(axum::middleware::from_fn(
                        ferrochat_web::middleware::observe,
                    ))
                    .with_state(state.clone()),
            );
        }
        let grace = config.server.shutdown_grace;
        let server = tokio::spawn(serve(listener, router, shutdown.clone(), grace));
        TestApp {
            addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
            state,
            shutdown,
            server: Some(server),
            _db: db,
            _data_dir: data_dir,
        }
    }
}

/// A running server and an HTTP client for it. Stops the server when dropped.
pub struct TestApp {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// A plain HTTP client (no cookies, 30 s timeout).
    pub client: reqwest::Client,
    /// The server's state, for fixtures that go straight to the services.
    pub state: AppState,
    shutdown: CancellationToken,
    server: Option<JoinHandle<std::io::Result<()>>>,
    _db: TestDb,
    _data_dir: tempfile::TempDir,
}

impl TestApp {
    /// Two instances on one fresh PostgreSQL database and one Redis, with the same secrets, as
    /// behind a load balancer. `None` (said loudly on stderr) when `TEST_REDIS_URL` or
    /// `TEST_DATABASE_URL` is not set.
    pub async fn pair(suite: &str) -> Option<(TestApp, TestApp)> {
        let Some(redis) = std::env::var("TEST_REDIS_URL")
            .ok()
            .filter(|v| !v.is_empty())
        else {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "*** SKIPPED: {suite}: set TEST_REDIS_URL (and TEST_DATABASE_URL) to run it ***"
            );
            return None;
        };
        let db = TestDb::postgres(suite).await?;
        let url = db.url().to_owned();
        let shared = |builder: TestAppBuilder| {
            builder
                .env("REDIS_URI", &redis)
                .env(
                    "JWT_SECRET",
                    "a-shared-secret-for-both-instances-0123456789",
                )
                .env(
                    "JWT_REFRESH_SECRET",
                    "another-shared-secret-for-both-instances-0123",
                )
                .env("CREDS_KEY", &"ab".repeat(32))
        };
        let a = shared(TestApp::builder().db(db)).spawn().await;
        let b = shared(TestApp::builder().env("DATABASE_URL", &url))
            .spawn()
            .await;
        Some((a, b))
    }

    /// A builder with a fresh SQLite database and default configuration.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            db: None,
            env: Vec::new(),
            extra: None,
            yaml: String::new(),
        }
    }

    /// Starts a server with defaults.
    pub async fn spawn() -> Self {
        Self::builder().spawn().await
    }

    /// Absolute URL for a path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// GET a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// The data directory the server uses.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.state.config.data_dir
    }

    /// Begins shutdown and waits for the server task to finish.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.shutdown.cancel();
        match self.server.take() {
            Some(handle) => handle.await.expect("server task"),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
