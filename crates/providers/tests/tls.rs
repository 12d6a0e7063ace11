//! HTTPS upstreams: the client checks certificates against the system trust store. A local
//! `openssl s_server` plays the upstream with a certificate from a throwaway CA, trusted
//! through `SSL_CERT_FILE` (which the trust store loader reads, as OpenSSL does). Needs the
//! `openssl` command (CI installs it).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test without the harness

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ferrochat_providers::{ProviderError, http_client_without_spares};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a certificate it signs for `localhost` (key in `leaf.key`).
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=ferrochat test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ],
    );
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `openssl s_server -www` (answers any GET with a status page) on a free port.
async fn serve(dir: &Path, cert: &str, key: &str) -> (Server, u16) {
    let port = ferrochat_test_support::port::unused();
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
            cert,
            "-key",
            key,
            "-www",
            "-quiet",
        ])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the openssl command is installed");
    let server = Server(child);
    ferrochat_test_support::port::wait_listening(port, Duration::from_secs(5)).await;
    (server, port)
}

/// `f`, which must finish within 10 s (a hang is a failure, not a stuck test).
async fn within<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("finished in time")
}

/// The whole body.
async fn collect(res: ferrochat_providers::Response) -> Vec<u8> {
    use futures_util::StreamExt;
    let mut body = res.bytes_stream();
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

/// The checks, in the child process that trusts the test CA.
async fn check(dir: &Path) {
    // `s_server` serves one connection at a time, which a spare connection would hold.
    let client = http_client_without_spares();

    let (_trusted, port) = serve(dir, "leaf.pem", "leaf.key").await;
    let res = within(client.get(format!("https://localhost:{port}/")).send())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // `s_server` serves one connection at a time: finish this one.
    let page: String = String::from_utf8(within(collect(res)).await).unwrap();
    assert!(page.contains("<HTML>"), "{page}");

    // The trusted certificate, reached by a name it does not carry: refused.
    let err = within(client.get(format!("https://127.0.0.1:{port}/")).send())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Connection(m) if m.contains("certificate")),
        "{err:?}"
    );

    // A self-signed certificate nobody trusts: refused.
    let (_untrusted, port) = serve(dir, "ca.pem", "ca.key").await;
    let err = within(client.get(format!("https://localhost:{port}/")).send())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Connection(m) if m.contains("certificate")),
        "{err:?}"
    );
}

/// Without a test harness: the parent makes the certificates and runs this binary again with
/// `SSL_CERT_FILE` naming the CA (a process cannot safely change its own environment).
fn main() {
    const CHILD: &str = "FERROCHAT_TLS_TEST_DIR";
    if let Some(dir) = std::env::var_os(CHILD) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(check(Path::new(&dir)));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let status = Command::new(std::env::current_exe().unwrap())
        .env(CHILD, dir.path())
        .env("SSL_CERT_FILE", dir.path().join("ca.pem"))
        .status()
        .unwrap();
    let ok = status.success();
    // The line CI's summary counts.
    println!(
        "test result: {}. {} passed; {} failed; 0 ignored; 0 measured; 0 filtered out",
        if ok { "ok" } else { "FAILED" },
        u8::from(ok),
        u8::from(!ok)
    );
    std::process::exit(status.code().unwrap_or(1));
}
