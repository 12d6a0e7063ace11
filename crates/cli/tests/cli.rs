//! The `ferrochat` binary as an operator uses it: real processes, real exit codes.
// Test code: a panic is how a failure is reported, so unwrap/expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ferrochat");

/// A command in a scratch directory with a clean environment, so neither the developer's
/// ./ferrochat.yaml nor their shell variables leak in.
fn ferrochat(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).env_clear().args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str], stdin: &str) -> Output {
    let mut child = ferrochat(dir, env, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn invalid_configuration_names_every_problem_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            ("PORT", "abc"),
            ("DATABASE_URL", "mysql://x"),
            ("SESSION_EXPIRY", "soon"),
            ("JWT_SECRET", "s3cr3t-value"),
        ],
        &["serve"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    for key in [
        "server.port",
        "database.url",
        "auth.session_expiry",
        "3 problems",
    ] {
        assert!(err.contains(key), "{key} missing from:\n{err}");
    }
    assert!(!err.contains("s3cr3t-value"));
    // Nothing was started or created.
    assert!(!dir.path().join("data").exists());

    let out = run(dir.path(), &[("PORT", "abc")], &["config", "check"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = run(dir.path(), &[], &["config", "check"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn config_show_redacts_and_example_prints_every_option() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[("JWT_SECRET", "s3cr3t-value")],
        &["config", "show", "--port", "4001"],
        "",
    );
    assert!(out.status.success());
    let shown = text(&out.stdout);
    assert!(!shown.contains("s3cr3t-value"), "{shown}");
    assert!(shown.contains("port: 4001  # flag --port"), "{shown}");

    let out = run(dir.path(), &[], &["config", "example"], "");
    let example = text(&out.stdout);
    for spec in ferrochat_config::spec::SPECS {
        let name = spec.key.rsplit('.').next().unwrap();
        assert!(
            example.contains(&format!("# {name}: ")),
            "{} missing",
            spec.key
        );
    }
}

#[test]
fn users_are_managed_with_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("DATA_DIR", "store")];
    let out = run(
        dir.path(),
        &env,
        &[
            "user",
            "create",
            "--email",
            "Root@Example.com",
            "--role",
            "admin",
        ],
        "a-good-password\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("root@example.com (ADMIN)"));

    let out = run(
        dir.path(),
        &env,
        &["user", "create", "--email", "root@example.com"],
        "a-good-password\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("email already in use"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        dir.path(),
        &env,
        &["user", "create", "--email", "x@example.com"],
        "short\n",
    );
    assert!(text(&out.stderr).contains("password: must be at least 8 characters"));

    let out = run(
        dir.path(),
        &env,
        &["user", "set-role", "root@example.com", "user"],
        "",
    );
    assert!(
        text(&out.stdout).contains("is now USER"),
        "{}",
        text(&out.stderr)
    );
    let out = run(dir.path(), &env, &["user", "list"], "");
    assert!(
        text(&out.stdout).contains("USER   false   root@example.com"),
        "{}",
        text(&out.stdout)
    );

    let out = run(
        dir.path(),
        &env,
        &["user", "delete", "root@example.com"],
        "",
    );
    assert!(
        !out.status.success(),
        "deleting without --yes off a terminal must refuse"
    );
    // A file of the account's, where the local blob store keeps it, goes with the account.
    let out = run(dir.path(), &env, &["user", "list"], "");
    let id = text(&out.stdout)
        .lines()
        .find(|l| l.contains("root@example.com"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    let blob = dir
        .path()
        .join("store/files/files")
        .join(&id)
        .join("a-file");
    std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
    std::fs::write(&blob, b"contents").unwrap();
    let out = run(
        dir.path(),
        &env,
        &["user", "delete", "root@example.com", "--yes"],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(dir.path(), &env, &["user", "list"], "");
    assert!(!text(&out.stdout).contains("root@example.com"));
    assert!(!blob.exists(), "the account's files are deleted with it");
}

#[test]
fn migrate_applies_and_reports_status() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[],
        &["migrate", "status", "--data-dir", "d"],
        "",
    );
    assert!(
        text(&out.stdout).contains("pending"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let out = run(dir.path(), &[], &["migrate", "--data-dir", "d"], "");
    assert!(
        text(&out.stdout).contains("applied 0001"),
        "{}",
        text(&out.stdout)
    );
    let out = run(dir.path(), &[], &["migrate", "--data-dir", "d"], "");
    assert!(text(&out.stdout).contains("up to date"));
    let out = run(
        dir.path(),
        &[],
        &["migrate", "status", "--data-dir", "d"],
        "",
    );
    assert!(
        text(&out.stdout).contains("0001     applied"),
        "{}",
        text(&out.stdout)
    );
}

/// Polls /health until it answers or 20 s pass.
fn wait_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /health HTTP/1.0\r\n\r\n");
            let mut buf = String::new();
            let _ = std::io::Read::read_to_string(&mut s, &mut buf);
            if buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("server on port {port} never became healthy");
}

#[test]
fn serve_starts_with_zero_configuration_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let secrets_path = dir.path().join("data/secrets.json");
    let mut first_secrets = None;
    for _ in 0..2 {
        let port = ferrochat_test_support::port::unused();
        let mut child = ferrochat(dir.path(), &[("PORT", &port.to_string())], &[])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_healthy(port);
        assert!(dir.path().join("data/ferrochat.db").exists());
        assert!(dir.path().join("data/files").is_dir());
        let secrets = std::fs::read_to_string(&secrets_path).unwrap();
        match &first_secrets {
            None => first_secrets = Some(secrets),
            Some(first) => assert_eq!(first, &secrets, "a restart must keep the secrets"),
        }
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        let mut log = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
        assert_eq!(status.code(), Some(0), "{log}");
        assert!(log.contains("SIGTERM received"), "{log}");
        assert!(
            log.contains("stopped"),
            "the last line is flushed at exit: {log}"
        );
    }
}

/// Files under a directory, recursively.
fn files_under(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                files_under(&e.path())
            } else {
                1
            }
        })
        .sum()
}

/// A gzip file holding `plain`.
fn gzip(path: &Path, plain: &[u8]) {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(plain).unwrap();
    std::fs::write(path, enc.finish().unwrap()).unwrap();
}

/// `ferrochat backup` while the server runs, `ferrochat restore` into a fresh database
/// (PostgreSQL when TEST_DATABASE_URL is set: the move from SQLite) and a fresh file storage,
/// and a server on the restored database serves the same accounts, conversations, search and
/// uploaded files, byte for byte. A restore into a database with accounts, of a cut-short
/// file, and of a file whose contents were tampered with, is refused and changes nothing
/// (neither the database nor the file storage).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_and_restore_into_a_fresh_database() {
    use ferrochat_test_support::{TestApp, TestDb, fixtures};

    let creds = "cd".repeat(32);
    let source = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let files_dir = dir.path().join("files");
    let restored_files = dir.path().join("restored-files");
    let app = TestApp::builder()
        .env("DATABASE_URL", source.url())
        .env("CREDS_KEY", &creds)
        .env("FILES_DIR", files_dir.to_str().unwrap())
        .spawn()
        .await;
    let ada = app.user().email("ada@example.com").create().await;
    let (trip, _) = fixtures::conversation(&app, &ada, "Lisbon trip").await;
    let ada_token = app.token_for("ada@example.com").await;
    // Two files: one over several lines of the backup, one small.
    let big: Vec<u8> = (0..120_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let mut uploaded = Vec::new();
    for (name, body) in [("big.bin", big.clone()), ("note.txt", b"hello".to_vec())] {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/files?filename={name}")))
            .bearer_auth(&ada_token)
            .header("content-type", "application/octet-stream")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let file: serde_json::Value = res.json().await.unwrap();
        uploaded.push((file["content_url"].as_str().unwrap().to_owned(), body));
    }

    let file = dir.path().join("nightly.jsonl.gz");
    let file_arg = file.to_str().unwrap().to_owned();
    let env_for = |db: &str, files: &Path| {
        vec![
            ("DATABASE_URL".to_owned(), db.to_owned()),
            (
                "DATA_DIR".to_owned(),
                dir.path().join("data").display().to_string(),
            ),
            ("FILES_DIR".to_owned(), files.display().to_string()),
        ]
    };
    let call = |env: Vec<(String, String)>, args: Vec<String>| {
        let dir = dir.path().to_owned();
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&dir, &env, &args, "")
        })
    };
    // While the server runs.
    let out = call(
        env_for(source.url(), &files_dir),
        vec!["backup".into(), "--output".into(), file_arg.clone()],
    )
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("wrote") && said.contains("rows"), "{said}");
    assert!(said.contains("2 files of 120005 bytes"), "{said}");
    // Without the contents when asked.
    let mut env = env_for(source.url(), &files_dir);
    env.push(("BACKUP_FILES".into(), "false".into()));
    let lean = dir.path().join("lean.jsonl.gz");
    let out = call(
        env,
        vec![
            "backup".into(),
            "--output".into(),
            lean.display().to_string(),
        ],
    )
    .await
    .unwrap();
    assert!(
        text(&out.stdout).contains("0 files of 0 bytes"),
        "{}",
        text(&out.stdout)
    );
    assert!(std::fs::metadata(&lean).unwrap().len() < std::fs::metadata(&file).unwrap().len());
    assert!(file.exists());
    drop(app);

    let target = match TestDb::postgres("restore into PostgreSQL").await {
        Some(db) => db,
        None => TestDb::sqlite(),
    };
    // A cut-short file is refused and leaves the database empty.
    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.path().join("cut.jsonl.gz");
    let mut gz = flate2::read::GzDecoder::new(&bytes[..]);
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut gz, &mut plain).unwrap();
    // Cut after the first file's contents began: the contents put so far are taken back.
    let text_of = String::from_utf8(plain.clone()).unwrap();
    let first_data = text_of.find("\n\"").unwrap();
    gzip(&cut, &plain[..first_data + 1000]);
    let out = call(
        env_for(target.url(), &restored_files),
        vec!["restore".into(), cut.display().to_string()],
    )
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("cut short") || err.contains("damaged"),
        "{err}"
    );
    assert_eq!(files_under(&restored_files), 0, "nothing is kept");
    // Contents changed after they were written (one base64 letter of the last file) are
    // refused, and the files put before it are taken back.
    let tampered = dir.path().join("tampered.jsonl.gz");
    let mut changed = plain.clone();
    let at = text_of.rfind("\n\"").unwrap() + 2;
    changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
    gzip(&tampered, &changed);
    let out = call(
        env_for(target.url(), &restored_files),
        vec!["restore".into(), tampered.display().to_string()],
    )
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("damaged contents"), "{err}");
    assert_eq!(files_under(&restored_files), 0, "nothing is kept");

    let out = call(
        env_for(target.url(), &restored_files),
        vec!["restore".into(), file_arg.clone()],
    )
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("restored") && text(&out.stdout).contains("2 files"),
        "{}",
        text(&out.stdout)
    );
    // Not over data.
    let out = call(
        env_for(target.url(), &restored_files),
        vec!["restore".into(), file_arg.clone()],
    )
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already holds accounts"),
        "{}",
        text(&out.stderr)
    );
    // Not something else.
    let junk = dir.path().join("junk.gz");
    std::fs::write(&junk, b"not a backup").unwrap();
    let out = call(
        env_for(target.url(), &restored_files),
        vec!["restore".into(), junk.display().to_string()],
    )
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));

    // The restored database serves the same account, conversation and search.
    let app = TestApp::builder()
        .env("DATABASE_URL", target.url())
        .env("CREDS_KEY", &creds)
        .env("FILES_DIR", restored_files.to_str().unwrap())
        .spawn()
        .await;
    let token = app.token_for("ada@example.com").await;
    let (status, list) = app
        .call(&token, reqwest::Method::GET, "/api/v1/conversations", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["data"][0]["id"], trip.id.to_string());
    assert_eq!(list["data"][0]["title"], "Lisbon trip");
    let (status, found) = app
        .call(
            &token,
            reqwest::Method::GET,
            "/api/v1/search/messages?q=hello",
            None,
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        found["data"][0]["conversation"]["id"],
        trip.id.to_string(),
        "{found}"
    );
    // The files, byte for byte, from the new storage.
    for (url, body) in uploaded {
        let res = app
            .client
            .get(app.url(&url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(res.bytes().await.unwrap().as_ref(), &body[..], "{url}");
    }
}
