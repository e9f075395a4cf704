//! `install-agent` / `uninstall-agent`: snapshots of `--dry-run` for both
//! platforms (the plist is rendered by the `launchd` crate on any OS), and a real
//! install into a temp HOME where no service manager answers.

use std::path::PathBuf;

use crate::support::TestContext;
use crate::support::context::bin;

/// Replaces machine-specific paths with placeholders.
fn normalise(ctx: &TestContext, text: &str) -> String {
    let binary = bin().canonicalize().unwrap();
    text.replace(&binary.display().to_string(), "<BIN>")
        .replace(&ctx.root().display().to_string(), "<TMP>")
}

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/snapshots")
        .join(name);
    if std::env::var_os("AWSPROXY_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual, expected,
        "snapshot {name} differs; re-run with AWSPROXY_BLESS=1 to accept"
    );
}

#[test]
fn dry_run_linux_snapshot() {
    let ctx = TestContext::new();
    let config = ctx.write(
        &ctx.root().join("my config.toml"),
        "[metrics]\nlisten = \"127.0.0.1:0\"\n",
    );
    let out = ctx.run(&[
        "--config",
        config.to_str().unwrap(),
        "install-agent",
        "--dry-run",
        "--platform",
        "linux",
    ]);
    out.assert_code(0);
    snapshot("install_agent_linux.txt", &normalise(&ctx, &out.stdout));
    assert!(
        !ctx.config_home().join("systemd").exists(),
        "dry run wrote something"
    );
}

#[test]
fn dry_run_macos_snapshot() {
    let ctx = TestContext::new();
    let out = ctx.run(&["install-agent", "--dry-run", "--platform", "macos"]);
    out.assert_code(0);
    snapshot("install_agent_macos.txt", &normalise(&ctx, &out.stdout));
    assert!(out.stdout.contains("<key>KeepAlive</key>"));
    assert!(
        !ctx.home().join("Library").exists(),
        "dry run wrote something"
    );
}

#[test]
fn install_is_idempotent_and_uninstall_removes() {
    let ctx = TestContext::new();
    let unit = ctx.config_home().join("systemd/user/awsproxy.service");
    let out = ctx.run(&["install-agent", "--platform", "linux"]);
    out.assert_code(0);
    assert!(out.stderr.contains("wrote"), "{}", out.stderr);
    let text = std::fs::read_to_string(&unit).unwrap();
    assert!(
        text.contains(&format!(
            "ExecStart={} serve",
            bin().canonicalize().unwrap().display()
        )),
        "{text}"
    );
    assert!(text.contains("Restart=on-failure"));

    let out = ctx.run(&["install-agent", "--platform", "linux"]);
    out.assert_code(0);
    assert!(out.stderr.contains("already up to date"), "{}", out.stderr);

    ctx.run(&["uninstall-agent", "--platform", "linux"])
        .assert_code(0);
    assert!(!unit.exists());
    let out = ctx.run(&["uninstall-agent", "--platform", "linux"]);
    out.assert_code(0);
    assert!(out.stderr.contains("no agent installed"), "{}", out.stderr);
}

#[test]
fn a_foreign_unit_is_left_alone_without_force() {
    let ctx = TestContext::new();
    let unit = ctx.write(
        &ctx.config_home().join("systemd/user/awsproxy.service"),
        "[Service]\nExecStart=/usr/bin/other\n",
    );
    let out = ctx.run(&["install-agent", "--platform", "linux"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("was not written by awsproxy") && out.stderr.contains("--force"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&unit).unwrap(),
        "[Service]\nExecStart=/usr/bin/other\n"
    );
    ctx.run(&["uninstall-agent", "--platform", "linux"])
        .assert_code(1);
    assert!(unit.exists());

    ctx.run(&["install-agent", "--platform", "linux", "--force"])
        .assert_code(0);
    assert!(
        std::fs::read_to_string(&unit)
            .unwrap()
            .starts_with("# Written by `awsproxy install-agent`")
    );
}

#[test]
fn an_invalid_config_is_not_installed() {
    let ctx = TestContext::new().config("[proxy]\nlisten = 3128\n");
    ctx.run(&["install-agent", "--platform", "linux"])
        .assert_code(2);
    assert!(!ctx.config_home().join("systemd").exists());
}
