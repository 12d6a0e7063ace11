//! A real OpenID provider for sign-in tests (`conformance/oidc/provider.mjs`, built on the npm
//! package `oidc-provider`), and a cookie-keeping "browser" that walks redirects like one.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::Jar;

use crate::node;

/// A running test identity provider; killed on drop.
pub struct TestIdp {
    /// Its issuer URL.
    pub issuer: String,
    child: Child,
    http: reqwest::Client,
}

impl TestIdp {
    /// Starts the provider on `port` with one client. `None` (said loudly) without Node.js.
    pub fn start(
        port: u16,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
    ) -> Option<Self> {
        if !node::available("OpenID sign-in tests") {
            return None;
        }
        node::ensure_installed("oidc");
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(node::suite_dir("oidc"))
            .env("PORT", port.to_string())
            .env("CLIENT_ID", client_id)
            .env("CLIENT_SECRET", client_secret)
            .env("REDIRECT_URI", redirect_uri)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the test OpenID provider");
        let stdout = child.stdout.take().expect("provider stdout");
        let mut stderr = child.stderr.take().expect("provider stderr");
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        reader.read_line(&mut first).expect("provider output");
        if !first.starts_with("ready") {
            // It exited (or closed stdout): its stderr says why.
            let _ = child.kill();
            let mut why = String::new();
            let _ = stderr.read_to_string(&mut why);
            panic!("the test OpenID provider did not start on port {port}: {first}{why}");
        }
        // Keep draining both pipes: the provider logs notices later, and a full or closed pipe
        // would stall or kill it.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        Some(Self {
            issuer: format!("http://127.0.0.1:{port}"),
            child,
            http,
        })
    }

    async fn control(&self, path: &str) {
        let res = self
            .http
            .get(format!("{}{path}", self.issuer))
            .send()
            .await
            .expect("control request");
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }

    /// Chooses which test account the next login signs in as: `alice` (verified email),
    /// `bob` (verified) or `mallory` (unverified email).
    pub async fn login_as(&self, account: &str) {
        self.control(&format!("/test/account?name={account}")).await;
    }

    /// Makes the token endpoint misbehave: `normal`, `wrong-nonce`, `wrong-aud`, `expired`.
    pub async fn mode(&self, mode: &str) {
        self.control(&format!("/test/mode?m={mode}")).await;
    }
}

impl Drop for TestIdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that keeps cookies and follows redirects one at a time, like a browser that
/// lets the test look at every hop.
pub struct Browser {
    /// The cookie jar, shared with the client.
    pub jar: Arc<Jar>,
    /// The client.
    pub client: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with an empty jar.
    pub fn new() -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("browser client");
        Self { jar, client }
    }

    /// GETs `url` and follows redirects until one points at a URL starting with `stop_at` (which
    /// is returned, not fetched) or a non-redirect answer arrives (then `None`).
    pub async fn follow_until(&self, url: &str, stop_at: &str) -> Option<String> {
        let mut url = reqwest::Url::parse(url).expect("url");
        for _ in 0..20 {
            if url.as_str().starts_with(stop_at) {
                return Some(url.into());
            }
            let res = self
                .client
                .get(url.clone())
                .send()
                .await
                .expect("browser request");
            if !res.status().is_redirection() {
                return None;
            }
            let location = res.headers()["location"]
                .to_str()
                .expect("location")
                .to_owned();
            url = url.join(&location).expect("redirect target");
        }
        panic!("redirect loop");
    }
}
