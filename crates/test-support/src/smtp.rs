//! A real SMTP server for tests: Python's `aiosmtpd` (from PyPI, installed on first use),
//! storing every message it receives in a Maildir that tests read back.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static INSTALL: Mutex<()> = Mutex::new(());

/// A running `aiosmtpd`; killed on drop.
pub struct SmtpSink {
    /// Port it listens on (127.0.0.1).
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

fn ensure_aiosmtpd() -> bool {
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    let importable = || {
        Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if importable() {
        return true;
    }
    let _ = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "aiosmtpd",
        ])
        .status();
    importable()
}

impl SmtpSink {
    /// Starts a sink, or returns `None` (saying so loudly) when Python or aiosmtpd cannot be had.
    pub fn start() -> Option<Self> {
        if !ensure_aiosmtpd() {
            let _ = writeln!(
                std::io::stderr(),
                "*** SKIPPED: SMTP tests: python3 with aiosmtpd is not available ***"
            );
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let port = crate::port::unused();
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self { port, child, dir })
    }

    /// Every message received so far, raw (headers and body).
    pub fn messages(&self) -> Vec<String> {
        let new = self.dir.path().join("maildir").join("new");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&new)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        paths.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        paths
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    }

    /// Waits up to 10 s for a message to `to` whose text contains `needle`, and returns it with
    /// quoted-printable soft line breaks undone.
    pub async fn wait_for(&self, to: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            for raw in self.messages() {
                let text = raw
                    .replace("=\r\n", "")
                    .replace("=\n", "")
                    .replace("=3D", "=");
                if text.contains(&format!("To: {to}")) && text.contains(needle) {
                    return text;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no mail to {to} containing {needle:?}; got {:#?}",
                self.messages()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Points a test server's mail at this sink (plain SMTP, sender `chat@example.com`).
    pub fn configure(&self, builder: crate::TestAppBuilder) -> crate::TestAppBuilder {
        builder
            .env("EMAIL_HOST", "127.0.0.1")
            .env("EMAIL_PORT", &self.port.to_string())
            .env("EMAIL_ENCRYPTION", "none")
            .env("EMAIL_FROM", "chat@example.com")
    }

    /// How many messages arrived.
    pub fn count(&self) -> usize {
        self.messages().len()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Pulls the first URL starting with `prefix` out of a message.
pub fn find_link(message: &str, prefix: &str) -> Option<String> {
    let start = message.find(prefix)?;
    let rest = &message[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .unwrap_or(rest.len());
    Some(rest[..end].replace("&amp;", "&"))
}
