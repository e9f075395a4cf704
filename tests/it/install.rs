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

    // The credential helper is a relative link that runs as `docker-credential`.
    let helper = prefix.join("bin/docker-credential-awsproxy");
    assert_eq!(std::fs::read_link(&helper).unwrap(), Path::new("awsproxy"));
    let version = Command::new(&helper).arg("version").output().unwrap();
    assert!(
        String::from_utf8_lossy(&version.stdout).starts_with("docker-credential-awsproxy "),
        "{version:?}"
    );

    let out = install(&prefix, &["--uninstall"], &path_env);
    assert!(out.status.success());
    assert!(!installed.exists());
    assert!(
        helper.symlink_metadata().is_err(),
        "the helper link is removed too"
    );
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

/// The binary lands wherever cargo puts it (here `CARGO_TARGET_DIR`), and the
/// script asks cargo rather than guessing `./target`. A stand-in `cargo` answers
/// as the real one does with `--message-format=json-render-diagnostics`.
#[test]
fn builds_into_cargo_target_dir_and_installs_what_cargo_built() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere");
    let tools = dir.path().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let fake = tools.join("cargo");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\n[ \"$1\" = build ] || exit 1\nmkdir -p \"$CARGO_TARGET_DIR/release\"\ncp {real} \"$CARGO_TARGET_DIR/release/awsproxy\"\necho '{{\"reason\":\"compiler-artifact\",\"target\":{{\"name\":\"awsproxy\"}},\"executable\":\"'\"$CARGO_TARGET_DIR\"'/release/awsproxy\"}}'\necho '{{\"reason\":\"build-finished\",\"success\":true}}'\n",
            real = bin().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let prefix = dir.path().join("prefix");
    let out = Command::new("bash")
        .arg(script())
        .arg("--prefix")
        .arg(&prefix)
        .env("PATH", format!("{}:/usr/bin:/bin", tools.display()))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("run install.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(target.join("release/awsproxy").is_file());
    let version = Command::new(prefix.join("bin/awsproxy"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("awsproxy "));
}
