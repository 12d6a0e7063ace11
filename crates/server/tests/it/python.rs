//! Python test peers (PyPI packages such as tuspy, moto and standardwebhooks).

use std::process::{Command, Stdio};

/// Makes sure a Python package is importable, installing it on first use.
pub fn package(module: &str, package: &str) -> bool {
    let importable = || {
        Command::new("python3")
            .args(["-c", &format!("import {module}")])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !importable() {
        let _ = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                package,
            ])
            .status();
    }
    importable()
}
