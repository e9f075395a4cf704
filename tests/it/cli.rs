//! The command line as a user meets it: help, version, exit codes, config errors.

use crate::support::TestContext;

const SUBCOMMANDS: &[&str] = &[
    "serve",
    "sso",
    "creds",
    "token",
    "cache",
    "ca",
    "config",
    "doctor",
    "install-agent",
    "uninstall-agent",
    "completions",
];

const LEAVES: &[&[&str]] = &[
    &["serve"],
    &["sso", "login"],
    &["sso", "status"],
    &["sso", "watch"],
    &["sso", "logout"],
    &["creds", "serve"],
    &["creds", "export"],
    &["token", "get"],
    &["cache", "ls"],
    &["cache", "purge"],
    &["ca", "export"],
    &["config", "check"],
    &["config", "default"],
    &["doctor"],
    &["install-agent"],
    &["uninstall-agent"],
    &["completions"],
];

#[test]
fn help_lists_every_subcommand_and_exit_codes() {
    let out = TestContext::new().run(&["--help"]);
    out.assert_code(0);
    for sub in SUBCOMMANDS {
        assert!(
            out.stdout.lines().any(|l| l.trim_start().starts_with(sub)),
            "`{sub}` missing from --help:\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("Exit codes:"));
}

#[test]
fn every_leaf_has_help() {
    let ctx = TestContext::new();
    for leaf in LEAVES {
        let mut args = leaf.to_vec();
        args.push("--help");
        let out = ctx.run(&args);
        out.assert_code(0);
        assert!(
            out.stdout.contains("Usage: awsproxy"),
            "{leaf:?}: {}",
            out.stdout
        );
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = TestContext::new().run(&["--version"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout.trim(),
        format!("awsproxy {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = TestContext::new().run(&["sso", "frobnicate"]);
    out.assert_code(2);
    let out = TestContext::new().run(&["token", "get"]);
    out.assert_code(2);
    assert!(out.stderr.contains("--domain"), "{}", out.stderr);
}

#[test]
fn typo_in_config_names_file_line_column_and_key() {
    let ctx =
        TestContext::new().config("[repos]\nlisten = \"127.0.0.1:9000\"\nlisten_addr = \"x\"\n");
    let out = ctx.run(&["config", "check"]);
    out.assert_code(2);
    let path = ctx.config_path();
    let expected = format!(
        "error: {}:3:1: key `repos.listen_addr`: unknown field `listen_addr`",
        path.display()
    );
    assert!(out.stderr.starts_with(&expected), "{}", out.stderr);
    assert!(
        out.stderr.contains("hint: did you mean `listen`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn wrong_type_is_reported_with_its_key() {
    let ctx = TestContext::new().config("[cache]\nmax_size = true\n");
    let out = ctx.run(&["doctor", "--config-only"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains(":2:12: key `cache.max_size`"),
        "{}",
        out.stderr
    );
}

#[test]
fn unset_env_reference_names_the_variable() {
    let ctx = TestContext::new().config(
        "[creds]\n[[creds.client]]\nname = \"app\"\ntoken = \"${env:APP_TOKEN_NOT_SET}\"\n",
    );
    let out = ctx.run(&["config", "check"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("key `creds.client[0].token`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("environment variable `APP_TOKEN_NOT_SET` is not set"),
        "{}",
        out.stderr
    );
    // ...and is satisfied by the variable.
    let out = TestContext::new()
        .config("[creds]\n[[creds.client]]\nname = \"app\"\ntoken = \"${env:APP_TOKEN_NOT_SET}\"\n")
        .env("APP_TOKEN_NOT_SET", "t0ken")
        .run(&["config", "check"]);
    out.assert_code(0);
}

#[test]
fn every_command_refuses_an_invalid_config() {
    let ctx = TestContext::new().config("[proxy]\nintercept = 3\n");
    for leaf in [&["serve"][..], &["cache", "ls"], &["sso", "status"]] {
        let out = ctx.run(leaf);
        out.assert_code(2);
        assert!(
            out.stderr.contains("proxy.intercept"),
            "{leaf:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn explicit_config_flag_and_env_must_exist() {
    let ctx = TestContext::new();
    let out = ctx.run(&["--config", "/nonexistent/awsproxy.toml", "config", "check"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("/nonexistent/awsproxy.toml"),
        "{}",
        out.stderr
    );
    let ctx = TestContext::new().env("AWSPROXY_CONFIG", "/nonexistent/env.toml");
    ctx.run(&["config", "check"]).assert_code(2);
}

#[test]
fn flag_beats_env_for_the_config_path() {
    let ctx = TestContext::new().env("AWSPROXY_CONFIG", "/nonexistent/env.toml");
    let good = ctx.write(
        &ctx.root().join("good.toml"),
        "[metrics]\nlisten = \"127.0.0.1:0\"\n",
    );
    let out = ctx.run(&["--config", good.to_str().unwrap(), "config", "check"]);
    out.assert_code(0);
    assert!(out.stderr.contains("good.toml"), "{}", out.stderr);
}

#[test]
fn config_default_round_trips_through_check() {
    let ctx = TestContext::new();
    let out = ctx.run(&["config", "default"]);
    out.assert_code(0);
    assert!(out.stdout.contains("[proxy]") && out.stdout.contains("127.0.0.1:3128"));
    ctx.write(&ctx.config_path(), &out.stdout);
    ctx.run(&["config", "check"]).assert_code(0);
}

#[test]
fn config_check_json_describes_the_error() {
    let ctx = TestContext::new().config("[sso]\nrefresh_ahead = \"1s\"\n");
    let out = ctx.run(&["config", "check", "--json"]);
    out.assert_code(2);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["error"]["key"], "sso.refresh_ahead");
    assert_eq!(v["error"]["line"], 2);
}

#[test]
fn no_config_file_means_the_embedded_default() {
    let out = TestContext::new().run(&["config", "check"]);
    out.assert_code(0);
    assert!(out.stderr.contains("<embedded default>"), "{}", out.stderr);
}

#[test]
fn completions_print_a_script() {
    let out = TestContext::new().run(&["completions", "bash"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("_awsproxy()"),
        "{}",
        &out.stdout[..200.min(out.stdout.len())]
    );
}
