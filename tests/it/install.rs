//! `install.sh`: installs the binary, completions and man pages under a prefix,
//! idempotently, and removes them again with `--uninstall`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::context::bin;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("install.sh")
}

fn install(prefix: &Path, extra: &[&str], path_env: &str) -> std::process::Output {
    Command::new("bash")
        .arg(script())
        .arg("--prefix")
        .arg(prefix)
        .args(extra)
        .env("PATH", path_env)
        .output()
        .expect("run install.sh")
}

#[test]
fn installs_binary_completions_and_man_pages_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("prefix");
    let binary = bin();
    let path_env = std::env::var("PATH").unwrap();
    for _ in 0..2 {
        let out = install(&prefix, &["--binary", binary.to_str().unwrap()], &path_env);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let installed = prefix.join("bin/awsproxy");
    let version = Command::new(&installed).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("awsproxy "));
    for file in [
        "share/bash-completion/completions/awsproxy",
        "share/zsh/site-functions/_awsproxy",
        "share/fish/vendor_completions.d/awsproxy.fish",
        "share/man/man1/awsproxy.1",
        "share/man/man1/awsproxy-sso-login.1",
    ] {
        assert!(prefix.join(file).is_file(), "{file} not installed");
    }

    let out = install(&prefix, &["--uninstall"], &path_env);
    assert!(out.status.success());
    assert!(!installed.exists());
    assert!(!prefix.join("share/man/man1/awsproxy.1").exists());
}

#[test]
fn missing_cargo_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // A PATH with bash's basics but no cargo.
    let out = install(&dir.path().join("p"), &[], "/usr/bin:/bin");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cargo is not installed") && stderr.contains("--binary"),
        "{stderr}"
    );
}
