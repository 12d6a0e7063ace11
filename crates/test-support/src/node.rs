//! Runs the JavaScript conformance suites (`conformance/*`) against a live server: the
//! LibreChat client's own API layer is the most faithful client there is.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The repository's `conformance/<name>` folder.
pub fn suite_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../conformance")
        .join(name)
}

/// Serialises `npm ci` across tests in one process.
static INSTALL: Mutex<()> = Mutex::new(());

/// Whether Node.js is installed; says so loudly when it is not.
pub fn available(what: &str) -> bool {
    if Command::new("node").arg("--version").output().is_ok() {
        return true;
    }
    let _ = writeln!(
        std::io::stderr(),
        "*** SKIPPED: {what}: Node.js is not installed ***"
    );
    false
}

/// Installs `conformance/<name>`'s locked dependencies (`npm ci`) unless present.
pub fn ensure_installed(name: &str) {
    let dir = suite_dir(name);
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if dir.join("node_modules").is_dir() {
        return;
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .output()
        .expect("run npm ci");
    assert!(
        out.status.success(),
        "npm ci in {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Installs the suite's locked dependencies once (`npm ci`), then runs `node --test` on `files`
/// with `FERROCHAT_URL` pointing at `base_url`. Returns `None`, after saying so loudly, when
/// Node.js is not installed; panics with the runner's output when a test fails.
pub fn run_suite(name: &str, files: &[&str], base_url: &str) -> Option<String> {
    run_suite_with(name, files, base_url, &[])
}

/// [`run_suite`] with extra environment variables for the suite.
pub fn run_suite_with(
    name: &str,
    files: &[&str],
    base_url: &str,
    env: &[(&str, String)],
) -> Option<String> {
    let dir = suite_dir(name);
    if !available(&format!("{name} conformance suite")) {
        return None;
    }
    ensure_installed(name);
    let out = Command::new("node")
        .arg("--test")
        .arg("--test-reporter=spec")
        .args(files)
        .current_dir(&dir)
        .env("FERROCHAT_URL", base_url)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("run node --test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{name} conformance suite failed:\n{text}"
    );
    // Shown in the CI log so the run is visibly not skipped.
    let _ = writeln!(
        std::io::stderr(),
        "--- {name} conformance ({}) ---\n{text}",
        files.join(", ")
    );
    Some(text)
}
