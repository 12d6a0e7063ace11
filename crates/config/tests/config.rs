//! Loading, layering, validation and the documents derived from the option table.
// Test code: a panic is how a failure is reported, so unwrap/expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use ferrochat_config::{Config, LogFormat, Origin, Secrets, Sources, render, spec::SPECS};

fn sources(env: &[(&str, &str)]) -> Sources {
    Sources {
        // A path that does not exist and is not required: tests must not read a developer's
        // ./ferrochat.yaml.
        file: None,
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
        flags: Vec::new(),
    }
}

fn repo_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name)
}

#[test]
fn zero_configuration_gives_the_documented_defaults() {
    let config = Config::load(&sources(&[])).unwrap();
    assert_eq!(config.bind_address(), "127.0.0.1:3080");
    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(config.database.url.expose(), "sqlite:./data/ferrochat.db");
    assert!(!config.database.is_postgres());
    assert_eq!(config.auth.session_expiry.as_secs(), 15 * 60);
    assert_eq!(config.auth.refresh_token_expiry.as_secs(), 7 * 86_400);
    assert!(config.auth.allow_registration);
    assert_eq!(config.log.format, LogFormat::Text);
    assert!(config.auth.jwt_secret.is_none());
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = Config::load(&sources(&[
        ("PORT", "abc"),
        ("DATABASE_URL", "mysql://x"),
        ("SESSION_EXPIRY", "soon"),
    ]))
    .unwrap_err();
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["server.port", "database.url", "auth.session_expiry"]);
    let text = err.to_string();
    assert!(text.contains("3 problems"), "{text}");
    assert!(
        text.contains("server.port (from env PORT): got `abc`, expected a port number"),
        "{text}"
    );
    assert!(text.contains("`mysql` is not supported"), "{text}");
    assert!(text.contains("for example `1000 * 60 * 15`"), "{text}");
}

#[test]
fn secret_values_never_appear_in_errors_or_show() {
    let err = Config::load(&sources(&[("CREDS_KEY", "short-and-secret")])).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("auth.creds_key"));
    assert!(!text.contains("short-and-secret"), "{text}");

    let config = Config::load(&sources(&[
        ("JWT_SECRET", "top-secret-value"),
        ("DATABASE_URL", "postgres://app:dbpass@localhost/x"),
    ]))
    .unwrap();
    let shown = render::show(&config);
    assert!(!shown.contains("top-secret-value"), "{shown}");
    assert!(!shown.contains("dbpass"), "{shown}");
    assert!(
        shown.contains("jwt_secret: <redacted>  # env JWT_SECRET"),
        "{shown}"
    );
    assert!(!format!("{config:?}").contains("top-secret-value"));
}

#[test]
fn layers_override_in_order_file_env_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ferrochat.yaml");
    std::fs::write(
        &file,
        "server:\n  port: 4000\n  host: 0.0.0.0\ndatabase:\n  max_connections: 3\nlog:\n  level: debug\n",
    )
    .unwrap();
    let mut s = sources(&[("PORT", "5000"), ("LOG_LEVEL", "warn")]);
    s.file = Some(file.clone());
    s.flags
        .push(("log.level".into(), "error".into(), "--log-level".into()));
    let config = Config::load(&s).unwrap();
    assert_eq!(config.server.host, "0.0.0.0");
    assert_eq!(config.server.port, 5000);
    assert_eq!(config.database.max_connections, 3);
    assert_eq!(config.log.level, "error");
    assert_eq!(config.raw["server.host"].origin, Origin::File(file));
    assert_eq!(config.raw["server.port"].origin, Origin::Env("PORT".into()));
}

#[test]
fn unknown_keys_and_broken_files_are_problems() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ferrochat.yaml");
    std::fs::write(&file, "server:\n  prot: 4000\nbogus: 1\n").unwrap();
    let mut s = sources(&[]);
    s.file = Some(file.clone());
    let err = Config::load(&s).unwrap_err();
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["server.prot", "bogus"]);

    std::fs::write(&file, "server: [unclosed").unwrap();
    let err = Config::load(&s).unwrap_err();
    assert!(err.to_string().contains("not valid YAML"), "{err}");

    s.file = Some(dir.path().join("missing.yaml"));
    let err = Config::load(&s).unwrap_err();
    assert!(err.to_string().contains("cannot read it"), "{err}");
}

#[test]
fn librechat_environment_names_are_honoured() {
    let config = Config::load(&sources(&[
        ("HOST", "0.0.0.0"),
        ("ALLOW_REGISTRATION", "false"),
        ("REFRESH_TOKEN_EXPIRY", "(1000 * 60 * 60 * 24) * 30"),
        ("DOMAIN_CLIENT", "https://chat.example.com/"),
        ("CONSOLE_JSON", "true"),
        // Empty values, common in copied .env files, count as unset.
        ("JWT_SECRET", ""),
    ]))
    .unwrap();
    assert_eq!(config.server.host, "0.0.0.0");
    assert!(!config.auth.allow_registration);
    assert_eq!(config.auth.refresh_token_expiry.as_secs(), 30 * 86_400);
    assert_eq!(config.server.domain_client, "https://chat.example.com");
    assert_eq!(config.log.format, LogFormat::Json);
    assert!(config.auth.jwt_secret.is_none());
}

#[test]
fn generated_secrets_are_private_and_stable() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::load(&sources(&[])).unwrap();
    config.data_dir = dir.path().to_owned();
    let first = Secrets::resolve(&config).unwrap();
    let second = Secrets::resolve(&config).unwrap();
    assert_eq!(first.jwt_secret, second.jwt_secret);
    assert_ne!(first.jwt_secret, first.jwt_refresh_secret);
    assert_eq!(first.creds_key.expose().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("secrets.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A configured secret wins over the stored one.
    config.auth.jwt_secret = Some(ferrochat_config::Secret::new("from-env"));
    assert_eq!(
        Secrets::resolve(&config).unwrap().jwt_secret.expose(),
        "from-env"
    );
}

#[test]
fn docs_configuration_md_documents_every_option() {
    let docs = std::fs::read_to_string(repo_file("docs/configuration.md")).unwrap();
    let table = render::markdown_reference();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let start = docs.find("<!-- options:start -->").unwrap() + "<!-- options:start -->\n".len();
        let end = docs.find("<!-- options:end -->").unwrap();
        let updated = format!("{}{}{}", &docs[..start], table, &docs[end..]);
        std::fs::write(repo_file("docs/configuration.md"), updated).unwrap();
    }
    let docs = std::fs::read_to_string(repo_file("docs/configuration.md")).unwrap();
    for spec in SPECS {
        assert!(
            docs.contains(&format!("`{}`", spec.key)),
            "docs/configuration.md lacks {}",
            spec.key
        );
        for env in spec.env {
            assert!(
                docs.contains(&format!("`{env}`")),
                "docs/configuration.md lacks {env}"
            );
        }
    }
    {
        assert!(
            docs.contains(&table),
            "the option table in docs/configuration.md is stale: rerun with UPDATE_DOCS=1"
        );
    }
}

#[test]
fn example_file_is_current_and_valid() {
    let example = render::example_file();
    let path = repo_file("ferrochat.example.yaml");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &example).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        example,
        "rerun with UPDATE_DOCS=1"
    );
    // Uncommenting every example value must give a file that loads (secrets aside, whose
    // examples are prose).
    let uncommented: String = example
        .lines()
        .filter(|l| !l.trim_start().starts_with("# env:"))
        .map(|l| {
            let t = l.trim_start();
            let indent = &l[..l.len() - t.len()];
            match t.strip_prefix("# ") {
                Some(rest)
                    if rest.split_once(": ").is_some_and(|(k, _)| {
                        k.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    }) && !rest.contains("secret")
                        && !rest.contains("access_key_id")
                        && !rest.contains("creds_key")
                        && !rest.contains("client_id")
                        && !rest.contains("issuer") =>
                {
                    format!("{indent}{rest}\n")
                }
                _ if t.starts_with('#') => String::new(),
                _ => format!("{l}\n"),
            }
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.yaml");
    std::fs::write(&file, &uncommented).unwrap();
    let mut s = sources(&[]);
    s.file = Some(file);
    let config = Config::load(&s).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    assert_eq!(config.server.port, 3080);
    assert!(config.database.is_postgres());
}

#[test]
fn backups_go_to_a_bucket_on_the_files_s3_service() {
    let config = Config::load(&sources(&[])).unwrap();
    assert!(config.backup.files);
    assert_eq!(config.backup.s3, None);
    let config = Config::load(&sources(&[
        ("BACKUP_S3_BUCKET", "nightly"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
        ("AWS_FORCE_PATH_STYLE", "true"),
        ("BACKUP_FILES", "false"),
    ]))
    .unwrap();
    let s3 = config.backup.s3.unwrap();
    assert_eq!(s3.bucket, "nightly");
    assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    assert!(s3.force_path_style);
    assert_eq!(config.backup.s3_prefix, "backups/");
    assert!(!config.backup.files);
    // Files and backups both on S3 with half the credentials: said once.
    let err = Config::load(&sources(&[
        ("BACKUP_S3_BUCKET", "nightly"),
        ("FILE_STRATEGY", "s3"),
        ("AWS_BUCKET_NAME", "files"),
        ("AWS_ACCESS_KEY_ID", "AKIA"),
    ]))
    .unwrap_err();
    let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["files.s3_secret_access_key"]);
}
