//! `awsproxy exec`: the command gets a private credentials endpoint (or, with
//! `--env`, plain keys), competing credentials are hidden from it, its exit
//! code is passed through, and its endpoint is gone once it has exited.

use crate::support::context::TestContext;

/// A profile whose credentials come from a `credential_process` script, and a
/// HOME whose `[default]` profiles (credentials and config) would otherwise win.
fn ctx() -> TestContext {
    let ctx = TestContext::new();
    let script = ctx.write(
        &ctx.root().join("proc.sh"),
        "#!/bin/sh\nprintf '%s' '{\"Version\": 1, \"AccessKeyId\": \"AKIDFAKEPROCESS\", \"SecretAccessKey\": \"fake-process-secret\", \"SessionToken\": \"fake-process-token\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n",
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    ctx.write(
        &ctx.home().join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIDDEFAULTFILE\naws_secret_access_key = x\n",
    );
    ctx.aws_config(&format!(
        "[default]\nregion = eu-west-1\ncredential_process = /bin/false\n\n[profile proc]\ncredential_process = {}\n",
        script.display()
    ))
    .env("AWS_ACCESS_KEY_ID", "AKIDFROMTHEENV")
    .env("AWS_SECRET_ACCESS_KEY", "x")
    .env("AWS_PROFILE", "proc")
}

const SHOW: &str = r#"curl -s -H "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" "$AWS_CONTAINER_CREDENTIALS_FULL_URI"; echo
echo "keys=[$AWS_ACCESS_KEY_ID] profile=[$AWS_PROFILE] expiration=[$AWS_CREDENTIAL_EXPIRATION]"
grep -c credential_process "$AWS_CONFIG_FILE"; grep -c AKIDDEFAULTFILE "$AWS_SHARED_CREDENTIALS_FILE"
echo "$AWS_CONTAINER_CREDENTIALS_FULL_URI" > "$1""#;

#[test]
fn the_command_gets_its_own_endpoint_and_nothing_that_would_win_over_it() {
    let ctx = ctx();
    let uri = ctx.root().join("uri");
    let out = ctx.run(&[
        "exec",
        "--",
        "sh",
        "-c",
        &format!("{SHOW}\nexit 7"),
        "sh",
        uri.to_str().unwrap(),
    ]);
    out.assert_code(7);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let creds: serde_json::Value =
        serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    assert_eq!(
        creds["AccessKeyId"], "AKIDFAKEPROCESS",
        "AWS_PROFILE named the profile"
    );
    assert_eq!(creds["Token"], "fake-process-token");
    assert_eq!(
        lines[1], "keys=[] profile=[] expiration=[]",
        "{}",
        out.stdout
    );
    // The config copy keeps only the other profile's credential_process; the
    // credentials file it sees has no [default] keys.
    assert_eq!(lines[2], "1", "{}", out.stdout);
    assert_eq!(lines[3], "0", "{}", out.stdout);
    assert!(out.stderr.contains("[default] would win"), "{}", out.stderr);

    // The endpoint went away with the command.
    let uri = std::fs::read_to_string(&uri).unwrap();
    let addr = uri
        .trim()
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    assert!(std::net::TcpStream::connect(addr).is_err(), "{uri}");
}

#[test]
fn env_exports_the_keys_and_nesting_is_refused() {
    let ctx = ctx();
    let bin = crate::support::context::bin();
    let out = ctx.run(&[
        "exec",
        "--profile",
        "proc",
        "--env",
        "--",
        "sh",
        "-c",
        &format!("echo \"$AWS_ACCESS_KEY_ID $AWS_SESSION_TOKEN $AWS_CREDENTIAL_EXPIRATION [$AWS_CONTAINER_CREDENTIALS_FULL_URI]\"; {} exec -- true; echo nested=$?", bin.display()),
    ]);
    out.assert_code(0);
    assert!(
        out.stdout
            .starts_with("AKIDFAKEPROCESS fake-process-token 2099-01-01T00:00:00Z []\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("nested=2"), "{}", out.stdout);
    assert!(
        out.stderr.contains("already inside `awsproxy exec`"),
        "{}",
        out.stderr
    );
}

#[test]
fn no_credentials_means_the_command_never_runs() {
    let ctx = ctx();
    let marker = ctx.root().join("ran");
    let out = ctx.run(&[
        "exec",
        "--profile",
        "nope",
        "--",
        "touch",
        marker.to_str().unwrap(),
    ]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("no credentials to give the command"),
        "{}",
        out.stderr
    );
    assert!(!marker.exists());
    // A command that can't be started says so.
    let out = ctx.run(&["exec", "--", "/nonexistent/tool"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("cannot run `/nonexistent/tool`"),
        "{}",
        out.stderr
    );
}
