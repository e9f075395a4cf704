//! `awsproxy sso login | status | watch | logout`, through the real binary against
//! the in-process SSO-OIDC and portal fakes. The cache files are checked field by
//! field against what the AWS CLI v2 writes (botocore reads them).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use sha1::Digest as _;

use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::fakes::{FakeAws, RefreshMode, http_get};

const START_URL: &str = "https://corp.awsapps.com/start";
const LEGACY_URL: &str = "https://legacy.awsapps.com/start";

const INI: &str = "\
[profile dev]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = DeveloperRole
region = us-west-2

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile old]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = ReadOnly
";

/// A context whose SSO calls go to `aws`, with fast device-code polling. It looks
/// like an SSH session, so no real browser is ever started (`AWSPROXY_BROWSER`
/// still wins where a test sets it).
fn context(aws: &FakeAws) -> TestContext {
    aws.state().oidc.device_interval = 0;
    TestContext::new()
        .aws_config(INI)
        .env("SSH_CONNECTION", "192.0.2.1 50000 192.0.2.2 22")
        .env("AWS_ENDPOINT_URL_SSO_OIDC", aws.endpoint())
        .env("AWS_ENDPOINT_URL_SSO", aws.endpoint())
}

fn cache_path(ctx: &TestContext, key: &str) -> PathBuf {
    ctx.home().join(".aws/sso/cache").join(format!(
        "{}.json",
        hex::encode(sha1::Sha1::digest(key.as_bytes()))
    ))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn is_cli_timestamp(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    s.len() == 20
        && s.ends_with('Z')
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

fn login_device(ctx: &TestContext, session: &str) {
    ctx.run(&["sso", "login", session, "--use-device-code"])
        .assert_code(0);
}

/// Polls `cond` every 20 ms for up to 30 s.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1500 {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

/// A `notify-send` stand-in that appends its arguments to a file.
fn fake_notify_send(ctx: &TestContext) -> (String, PathBuf) {
    let bin = ctx.root().join("bin");
    let log = ctx.root().join("notifications.log");
    let script = ctx.write(
        &bin.join("notify-send"),
        &format!("#!/bin/sh\necho \"$*\" >> '{}'\n", log.display()),
    );
    make_executable(&script);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (path, log)
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn device_flow_with_pending_and_slow_down_writes_the_cli_cache() {
    let aws = FakeAws::start().await;
    aws.state().oidc.script_device_polls(2, 1);
    let ctx = context(&aws);
    // An SSH session: the login falls back to the device flow by itself.
    let out = ctx.run(&["sso", "login", "corp"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("(this is an SSH session): using the device-code flow"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("FAKE-0001"),
        "user code shown: {}",
        out.stderr
    );
    assert!(out.stderr.contains("slow down"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    {
        let st = aws.state();
        assert_eq!(st.oidc.device_polls, 4, "2 pending + 1 slow-down + success");
        assert_eq!(st.oidc.clients.len(), 1);
        assert_eq!(st.oidc.clients[0].client_type, "public");
        assert_eq!(st.oidc.clients[0].scopes, ["sso:account:access"]);
        assert_eq!(st.oidc.device_authorizations[0].start_url, START_URL);
    }

    let path = cache_path(&ctx, "corp");
    let token = read_json(&path);
    assert_eq!(token["startUrl"], START_URL);
    assert_eq!(token["region"], "us-east-1");
    assert!(aws.access_token_valid(token["accessToken"].as_str().unwrap()));
    assert!(is_cli_timestamp(&token["expiresAt"]), "{token}");
    assert!(is_cli_timestamp(&token["registrationExpiresAt"]), "{token}");
    assert_eq!(
        token["clientId"],
        aws.state().oidc.clients[0].client_id.as_str()
    );
    assert!(token["clientSecret"].as_str().is_some());
    assert!(token["refreshToken"].as_str().is_some());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        !out.stderr.contains(token["accessToken"].as_str().unwrap()),
        "the token never appears in output"
    );

    // A second login reuses the cached client registration.
    login_device(&ctx, "corp");
    assert_eq!(aws.calls("RegisterClient"), 1);
    assert_eq!(aws.calls("StartDeviceAuthorization"), 2);
}

/// Runs `sso login corp` with a browser that records the URL it was given,
/// plays the user approving at the fake's `/authorize`, and follows the redirect
/// to the callback. Returns the callback's status and the login's output.
async fn pkce_login(aws: &FakeAws, ctx: &TestContext) -> (u16, std::process::Output) {
    pkce_login_after(aws, ctx, |_| async {}).await
}

/// [`pkce_login`], with `before` run on the callback URL before the browser follows it.
async fn pkce_login_after<F: Future<Output = ()>>(
    aws: &FakeAws,
    ctx: &TestContext,
    before: impl FnOnce(String) -> F,
) -> (u16, std::process::Output) {
    let url_file = ctx.root().join("browser-url");
    let browser = ctx.write(
        &ctx.root().join("browser.sh"),
        &format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", url_file.display()),
    );
    make_executable(&browser);
    let mut cmd = ctx.command();
    cmd.env("AWSPROXY_BROWSER", &browser)
        .args(["sso", "login", "corp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_until("the browser to be started", || {
        std::fs::read_to_string(&url_file).is_ok_and(|s| !s.is_empty())
    });
    let url = std::fs::read_to_string(&url_file).unwrap();
    assert!(
        url.starts_with(&format!("{}/authorize?", aws.endpoint())),
        "{url}"
    );
    let location = aws.browser_authorize(&url).await;
    assert!(
        location.starts_with("http://127.0.0.1:") && location.contains("/oauth/callback?"),
        "{location}"
    );
    before(location.clone()).await;
    let callback = http_get(&location).await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    (callback.status().as_u16(), out)
}

#[tokio::test]
async fn pkce_login_with_a_simulated_browser() {
    let aws = FakeAws::start().await;
    let ctx = context(&aws);
    let (status, out) = pkce_login(&aws, &ctx).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status, 200);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    {
        let st = aws.state();
        let client = &st.oidc.clients[0];
        assert_eq!(client.grant_types, ["authorization_code", "refresh_token"]);
        assert_eq!(client.redirect_uris, ["http://127.0.0.1/oauth/callback"]);
        assert_eq!(client.issuer_url.as_deref(), Some(START_URL));
        let auth = &st.oidc.authorize_requests[0];
        assert_eq!(auth.code_challenge_method.as_deref(), Some("S256"));
        assert_eq!(auth.scopes.as_deref(), Some("sso:account:access"));
        assert!(auth.used, "the code was exchanged");
        assert_eq!(st.oidc.authorization_code_grants, 1);
        assert_eq!(st.oidc.device_polls, 0);
    }
    let token = read_json(&cache_path(&ctx, "corp"));
    assert!(aws.access_token_valid(token["accessToken"].as_str().unwrap()));
    assert!(token["refreshToken"].as_str().is_some(), "{token}");
}

/// Attack: any local process can reach the callback port. Callbacks whose
/// `state` isn't this login's are refused and ignored; the login keeps waiting
/// for the browser's and completes.
#[tokio::test]
async fn pkce_callbacks_with_a_wrong_state_are_refused_and_the_login_keeps_waiting() {
    let aws = FakeAws::start().await;
    let ctx = context(&aws);
    let (status, out) = pkce_login_after(&aws, &ctx, |location| async move {
        let (base, _) = location.split_once('?').unwrap();
        for forged in [
            format!("{base}?code=attackers-code&state=forged"),
            format!("{base}?code=attackers-code"),
            format!("{base}?error=access_denied&state=forged"),
        ] {
            let answer = http_get(&forged).await;
            assert_eq!(answer.status(), 400, "{forged}");
        }
    })
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status, 200);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(aws.state().oidc.authorization_code_grants, 1);
    let token = read_json(&cache_path(&ctx, "corp"));
    assert!(aws.access_token_valid(token["accessToken"].as_str().unwrap()));
}

#[tokio::test]
async fn watch_refreshes_with_rotated_and_with_absent_refresh_tokens() {
    let aws = FakeAws::start().await;
    // Shorter than the 20-minute refresh_ahead: every pass refreshes.
    aws.state().oidc.access_token_lifetime = Duration::from_secs(600);
    let ctx = context(&aws);
    login_device(&ctx, "corp");
    let path = cache_path(&ctx, "corp");
    let first = read_json(&path);

    let out = ctx.run(&["sso", "watch", "--once"]);
    out.assert_code(0);
    assert!(out.stderr.contains("corp: refreshed"), "{}", out.stderr);
    let rotated = read_json(&path);
    assert_ne!(rotated["accessToken"], first["accessToken"]);
    assert_ne!(rotated["refreshToken"], first["refreshToken"], "rotated");
    assert!(is_cli_timestamp(&rotated["expiresAt"]));
    assert_eq!(rotated["clientId"], first["clientId"]);
    assert!(aws.access_token_valid(rotated["accessToken"].as_str().unwrap()));

    aws.state().oidc.refresh_mode = RefreshMode::NoNewRefreshToken;
    ctx.run(&["sso", "watch", "--once"]).assert_code(0);
    let kept = read_json(&path);
    assert_ne!(kept["accessToken"], rotated["accessToken"]);
    assert_eq!(
        kept["refreshToken"], rotated["refreshToken"],
        "old one kept"
    );
    assert_eq!(aws.state().oidc.refreshes, 2);

    let status = ctx.run(&["sso", "status", "--json"]);
    status.assert_code(0);
    let v: Value = serde_json::from_str(&status.stdout).unwrap();
    assert!(is_cli_timestamp(&v[0]["last_refresh"]), "{v}");
}

#[tokio::test]
async fn refresh_failure_notifies_exactly_once() {
    let aws = FakeAws::start().await;
    aws.state().oidc.access_token_lifetime = Duration::from_secs(600);
    aws.state().oidc.refresh_mode = RefreshMode::Fail;
    let ctx = context(&aws);
    let (path, log) = fake_notify_send(&ctx);
    let ctx = ctx.env("PATH", path);
    login_device(&ctx, "corp");

    for _ in 0..2 {
        let out = ctx.run(&["sso", "watch", "--once"]);
        out.assert_code(3);
        assert!(
            out.stderr.contains("needs `awsproxy sso login corp`"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(aws.state().oidc.refresh_attempts, 2);
    let notes = std::fs::read_to_string(&log).unwrap();
    assert_eq!(notes.lines().count(), 1, "{notes}");
    assert!(notes.contains("awsproxy sso login corp"), "{notes}");

    // A new login is a new expiry: the next failure notifies again.
    login_device(&ctx, "corp");
    ctx.run(&["sso", "watch", "--once"]).assert_code(3);
    let notes = std::fs::read_to_string(&log).unwrap();
    assert_eq!(notes.lines().count(), 2, "{notes}");
}

/// A notifier (`AWSPROXY_NOTIFY_CMD`) that logs each message and answers
/// with the contents of `answer` (`login`, `snooze`, `dismiss` or empty).
fn scripted_notifier(ctx: &TestContext) -> (PathBuf, PathBuf) {
    let log = ctx.root().join("notified.log");
    let answer = ctx.root().join("answer");
    ctx.write(&answer, "");
    let script = ctx.write(
        &ctx.root().join("notify.sh"),
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$2\" >> '{}'\ncat '{}'\n",
            log.display(),
            answer.display()
        ),
    );
    make_executable(&script);
    (script, answer)
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

#[tokio::test]
async fn a_notification_can_log_in_snooze_or_stop_reminders_until_the_next_expiry() {
    let aws = FakeAws::start().await;
    aws.state().oidc.access_token_lifetime = Duration::from_secs(600);
    aws.state().oidc.refresh_mode = RefreshMode::Fail;
    let ctx = context(&aws);
    let (script, answer) = scripted_notifier(&ctx);
    let log = ctx.root().join("notified.log");
    let ctx = ctx.env("AWSPROXY_NOTIFY_CMD", script.display().to_string());
    login_device(&ctx, "corp");
    let state = ctx
        .state_home()
        .join("awsproxy/sso/sessions")
        .join(format!("{}.json", hex::encode(sha1::Sha1::digest(b"corp"))));

    // Snooze: reminded again only once the snooze is over.
    std::fs::write(&answer, "snooze").unwrap();
    ctx.run(&["sso", "watch", "--once"]).assert_code(3);
    assert_eq!(lines(&log), 1);
    let st = read_json(&state);
    let until = time::OffsetDateTime::parse(
        st["snoozedUntil"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ahead = until - time::OffsetDateTime::now_utc();
    assert!(
        ahead > time::Duration::minutes(55) && ahead <= time::Duration::hours(1),
        "{ahead}"
    );
    ctx.run(&["sso", "watch", "--once"]).assert_code(3);
    assert_eq!(lines(&log), 1, "reminded while snoozed");
    let mut past = st.clone();
    past["snoozedUntil"] = "2020-01-01T00:00:00Z".into();
    std::fs::write(&state, past.to_string()).unwrap();

    // Don't remind: nothing more for this expiry...
    std::fs::write(&answer, "dismiss").unwrap();
    ctx.run(&["sso", "watch", "--once"]).assert_code(3);
    assert_eq!(lines(&log), 2, "not reminded after the snooze");
    ctx.run(&["sso", "watch", "--once"]).assert_code(3);
    assert_eq!(lines(&log), 2, "reminded after don't-remind");

    // ...until the next one; then "Log in now" runs the login itself.
    login_device(&ctx, "corp");
    let logins = aws.state().oidc.device_authorizations.len();
    std::fs::write(&answer, "login").unwrap();
    ctx.run(&["sso", "watch", "--once"]);
    assert_eq!(lines(&log), 3, "a new expiry is a new reminder");
    assert_eq!(
        aws.state().oidc.device_authorizations.len(),
        logins + 1,
        "Log in now started no login"
    );
}

#[tokio::test]
async fn concurrent_logins_make_one_authorization() {
    let aws = FakeAws::start().await;
    aws.state().oidc.device_requires_approval = true;
    let ctx = context(&aws);
    let login = || {
        let mut cmd = ctx.command();
        cmd.args(["sso", "login", "corp", "--use-device-code"]);
        Daemon::spawn(cmd)
    };
    let mut first = login();
    wait_until("the first login to start", || {
        aws.calls("StartDeviceAuthorization") == 1
    });
    let mut second = login();
    second.wait_for("waiting for it to finish");
    // The user approves the first login's code; the second must not start its own.
    let approved = http_get(&format!("{}/device?user_code=FAKE-0001", aws.endpoint())).await;
    assert_eq!(approved.status(), 200);
    assert_eq!(first.wait_exit(), 0);
    assert_eq!(second.wait_exit(), 0);
    second.wait_for("Another login or refresh just finished");
    assert_eq!(aws.calls("StartDeviceAuthorization"), 1);
    assert_eq!(aws.calls("RegisterClient"), 1);
    assert!(cache_path(&ctx, "corp").exists());
}

#[tokio::test]
async fn legacy_profile_logs_in_under_the_start_url() {
    let aws = FakeAws::start().await;
    let ctx = context(&aws);
    ctx.run(&["sso", "login", "--profile", "old", "--use-device-code"])
        .assert_code(0);
    assert!(
        aws.state().oidc.clients[0].scopes.is_empty(),
        "legacy: no scopes"
    );
    let token = read_json(&cache_path(&ctx, LEGACY_URL));
    assert_eq!(token["startUrl"], LEGACY_URL);
    assert!(token.get("refreshToken").is_none(), "{token}");

    let out = ctx.run(&["sso", "status", "--json", "old"]);
    out.assert_code(0);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["name"], LEGACY_URL);
    assert_eq!(v[0]["kind"]["type"], "legacy-profile");
    assert_eq!(v[0]["kind"]["profiles"][0], "old");
    assert_eq!(v[0]["refreshable"], false);
    assert_eq!(v[0]["login_command"], "awsproxy sso login --profile old");
    assert_eq!(
        v[0]["not_refreshable_reason"],
        "legacy profile (no refresh token)"
    );
}

#[tokio::test]
async fn malformed_or_truncated_cache_files_are_reported_and_left_intact() {
    let aws = FakeAws::start().await;
    let ctx = context(&aws).config("[sso]\nsessions = [\"corp\"]\n");
    let path = cache_path(&ctx, "corp");
    for (bytes, why) in [
        (
            &br#"{"startUrl":"https://corp.awsapps.com/start","accessToken":"abc","expiresAt":"2026-"#[..],
            "truncated",
        ),
        (
            &br#"{"accessToken":"abc","expiresAt":"2030-01-01T00:00:00"}"#[..],
            "zone",
        ),
    ] {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        let status = ctx.run(&["sso", "status"]);
        status.assert_code(3);
        assert!(status.stderr.contains(&path.display().to_string()), "{}", status.stderr);
        assert!(status.stderr.contains(why), "{}", status.stderr);
        let watch = ctx.run(&["sso", "watch", "--once"]);
        watch.assert_code(3);
        assert!(watch.stderr.contains(why), "{}", watch.stderr);
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "file left byte-identical");
    }
    assert_eq!(aws.calls("CreateToken"), 0);
}

#[tokio::test]
async fn status_json_shape_and_exit_code_3_when_expired() {
    let aws = FakeAws::start().await;
    let ctx = context(&aws);
    // Written as other tools do: fractional seconds with +00:00, and the old UTC suffix.
    ctx.write(
        &cache_path(&ctx, "corp"),
        r#"{"startUrl":"https://corp.awsapps.com/start","region":"us-east-1","accessToken":"old","expiresAt":"2020-01-01T00:00:00.123+00:00","clientId":"c","clientSecret":"s","registrationExpiresAt":"2099-01-01T00:00:00UTC","refreshToken":"r"}"#,
    );
    let out = ctx.run(&["sso", "status", "--json"]);
    out.assert_code(3);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let corp = v
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "corp")
        .unwrap();
    assert_eq!(corp["state"], "expired");
    assert_eq!(corp["needs_login"], true);
    assert_eq!(corp["expires_at"], "2020-01-01T00:00:00Z");
    assert!(corp["expires_in_seconds"].as_i64().unwrap() < 0);
    assert_eq!(corp["refreshable"], true);
    assert_eq!(corp["start_url"], START_URL);
    assert_eq!(corp["region"], "us-east-1");
    assert_eq!(corp["kind"]["type"], "sso-session");
    for key in [
        "cache_file",
        "not_refreshable_reason",
        "last_refresh",
        "last_error",
    ] {
        assert!(corp.get(key).is_some(), "{key} in {corp}");
    }
    let legacy = v
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == LEGACY_URL)
        .unwrap();
    assert_eq!(legacy["state"], "missing");

    let table = ctx.run(&["sso", "status"]);
    table.assert_code(3);
    assert!(
        table.stdout.contains("corp") && table.stdout.contains("expired"),
        "{}",
        table.stdout
    );

    let prompt = ctx.run(&["sso", "status", "--prompt", "corp"]);
    prompt.assert_code(0);
    assert_eq!(prompt.stdout, "corp login!\n");

    login_device(&ctx, "corp");
    ctx.run(&["sso", "status", "corp"]).assert_code(0);
    let prompt = ctx.run(&["sso", "status", "--prompt", "corp"]);
    prompt.assert_code(0);
    let marker = prompt.stdout.trim();
    assert!(
        marker.starts_with("corp ") && marker.ends_with('m') && !marker.contains("login"),
        "{marker}"
    );

    let unknown = ctx.run(&["sso", "status", "nope"]);
    unknown.assert_code(2);
    assert!(
        unknown.stderr.contains("hint: configured sessions: corp"),
        "{}",
        unknown.stderr
    );
    assert!(
        unknown.stderr.contains("no SSO session `nope`"),
        "{}",
        unknown.stderr
    );
    // A broken config file gives an empty marker, never an error in the prompt.
    let broken = ctx.config("not = [valid");
    let prompt = broken.run(&["sso", "status", "--prompt"]);
    prompt.assert_code(0);
    assert_eq!(prompt.stdout, "");
    assert_eq!(prompt.stderr, "");
}

#[tokio::test]
async fn logout_revokes_the_token_and_removes_the_file() {
    let aws = FakeAws::start().await;
    let ctx = context(&aws);
    login_device(&ctx, "corp");
    let path = cache_path(&ctx, "corp");
    let token = read_json(&path)["accessToken"].as_str().unwrap().to_owned();
    ctx.run(&["sso", "logout", "corp"]).assert_code(0);
    assert_eq!(aws.calls("Logout"), 1);
    assert!(!aws.access_token_valid(&token));
    assert!(!path.exists());
    ctx.run(&["sso", "status", "corp"]).assert_code(3);
}

#[tokio::test]
async fn login_auto_starts_one_login_when_a_refresh_is_impossible() {
    let aws = FakeAws::start().await;
    let ctx = context(&aws).config("[sso]\nlogin = \"auto\"\nsessions = [\"corp\"]\n");
    // Expired, and no refresh token: only a login helps.
    ctx.write(
        &cache_path(&ctx, "corp"),
        r#"{"startUrl":"https://corp.awsapps.com/start","region":"us-east-1","accessToken":"old","expiresAt":"2020-01-01T00:00:00Z"}"#,
    );
    let out = ctx.run(&["sso", "watch", "--once"]);
    out.assert_code(0);
    assert!(out.stderr.contains("corp: refreshed"), "{}", out.stderr);
    assert_eq!(aws.calls("StartDeviceAuthorization"), 1);
    let token = read_json(&cache_path(&ctx, "corp"));
    assert!(aws.access_token_valid(token["accessToken"].as_str().unwrap()));

    ctx.run(&["sso", "watch", "--once"]).assert_code(0);
    assert_eq!(aws.calls("StartDeviceAuthorization"), 1, "no second login");
}

#[tokio::test]
async fn ctrl_c_cancels_a_login_cleanly() {
    let aws = FakeAws::start().await;
    aws.state().oidc.device_requires_approval = true;
    let ctx = context(&aws);
    let mut cmd = ctx.command();
    cmd.args(["sso", "login", "corp", "--use-device-code"]);
    let mut login = Daemon::spawn(cmd);
    wait_until("the device authorization", || {
        aws.state().oidc.device_polls > 0
    });
    login.signal("INT");
    assert_eq!(login.wait_exit(), 130);
    assert!(!cache_path(&ctx, "corp").exists(), "nothing written");

    // The lock went with the process: the next login does not wait.
    aws.state().oidc.device_requires_approval = false;
    let next = ctx.run(&["sso", "login", "corp", "--use-device-code"]);
    next.assert_code(0);
    assert!(!next.stderr.contains("waiting for it"), "{}", next.stderr);
}

#[tokio::test]
async fn two_identity_center_instances_work_side_by_side() {
    let aws = FakeAws::start().await;
    aws.state().oidc.access_token_lifetime = Duration::from_secs(600);
    let ctx = context(&aws).aws_config(
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
         [sso-session lab]\nsso_start_url = https://lab.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n",
    );
    login_device(&ctx, "corp");
    login_device(&ctx, "lab");
    // Each its own registration and token file.
    assert_eq!(
        aws.state().oidc.clients.len(),
        2,
        "one registration per instance"
    );
    let corp = read_json(&cache_path(&ctx, "corp"));
    let lab = read_json(&cache_path(&ctx, "lab"));
    assert_eq!(corp["startUrl"], "https://corp.awsapps.com/start");
    assert_eq!(lab["startUrl"], "https://lab.awsapps.com/start");
    assert_eq!(lab["region"], "eu-west-1");
    assert_ne!(corp["clientId"], lab["clientId"]);
    assert_ne!(corp["accessToken"], lab["accessToken"]);

    let out = ctx.run(&["sso", "status", "--json"]);
    out.assert_code(0);
    let all: Value = serde_json::from_str(&out.stdout).unwrap();
    let valid: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["state"] == "valid")
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(valid, ["corp", "lab"], "{all}");
    let prompt = ctx.run(&["sso", "status", "--prompt"]);
    assert!(
        prompt.stdout.starts_with("corp ") && prompt.stdout.contains(" lab "),
        "{}",
        prompt.stdout
    );

    // Both refresh in one pass (10-minute tokens are inside the refresh window).
    let refreshes = aws.state().oidc.refreshes;
    ctx.run(&["sso", "watch", "--once"]).assert_code(0);
    assert_eq!(aws.state().oidc.refreshes, refreshes + 2);

    // The portal answers each session with its own token.
    for session in ["corp", "lab"] {
        let out = ctx.run(&["sso", "profiles", session, "--json"]);
        out.assert_code(0);
        assert!(out.stdout.contains("fake-dev"), "{}", out.stdout);
    }
    let out = ctx.run(&["sso", "profiles"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("corp") && out.stderr.contains("lab"),
        "{}",
        out.stderr
    );
}
