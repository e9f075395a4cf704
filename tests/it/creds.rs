//! `awsproxy creds serve` (the ECS credentials endpoint) and `awsproxy creds export`,
//! run as the real binary against the in-process STS fake.

mod containers;
pub(crate) mod harness;

use std::time::{Duration, SystemTime};

use self::harness::{Daemon, eventually, http_get, http_get_host, seconds_left};
use crate::support::TestContext;
use crate::support::fakes::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeAws, StsFailure};

const ROLE: &str = "arn:aws:iam::210987654321:role/AppRole";

fn static_client(name: &str, token: &str) -> String {
    format!(
        "[[creds.client]]\nname = \"{name}\"\ntoken = \"{token}\"\naccess_key_id = \"{FAKE_ACCESS_KEY_ID}\"\nsecret_access_key = \"{FAKE_SECRET_ACCESS_KEY}\"\n"
    )
}

fn role_client(name: &str, token: &str) -> String {
    format!(
        "{}role_arn = \"{ROLE}\"\nregion = \"us-east-1\"\n",
        static_client(name, token)
    )
}

fn with_fake(ctx: TestContext, aws: &FakeAws) -> TestContext {
    ctx.env("AWS_ENDPOINT_URL_STS", aws.endpoint())
        .env("AWS_ENDPOINT_URL_SSO", aws.endpoint())
        .env("AWS_ENDPOINT_URL_SSO_OIDC", aws.endpoint())
        .env("AWS_REGION", "us-east-1")
}

#[test]
fn ecs_endpoint_checks_tokens_and_answers_the_ecs_shape() {
    let ctx = TestContext::new().config(&format!(
        "[creds]\n{}{}",
        static_client("app", "tok-app-1234"),
        static_client("other", "tok-other-5678")
    ));
    let d = Daemon::start(&ctx);

    let missing = d.get("/v1/credentials", None);
    assert_eq!(missing.status, 401, "{missing:?}");
    assert_eq!(missing.json()["code"], "missing_token");

    for wrong in ["tok-app-123", "tok-app-12345", "Bearer tok-app-1234", "x"] {
        let r = d.get("/v1/credentials", Some(wrong));
        assert_eq!(r.status, 403, "{r:?}");
        let body = r.json();
        assert_eq!(body["code"], "invalid_token");
        assert!(body["message"].is_string());
        for leak in ["app", "other", "tok-", FAKE_ACCESS_KEY_ID] {
            assert!(
                !r.body.contains(leak),
                "403 body leaks {leak:?}: {}",
                r.body
            );
        }
    }

    for path in ["/v1/credentials", "/"] {
        let body = d.creds_at(path, "tok-app-1234");
        assert_eq!(body["AccessKeyId"], FAKE_ACCESS_KEY_ID);
        assert_eq!(body["SecretAccessKey"], FAKE_SECRET_ACCESS_KEY);
        assert!(body["Token"].is_string(), "botocore needs Token: {body}");
        assert!(seconds_left(&body["Expiration"]) > 15 * 60, "{body}");
    }

    let health = d.get("/health", None);
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");

    let metrics = d.get("/metrics", None);
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .body
            .contains("awsproxy_creds_requests_total{client=\"app\",outcome=\"ok\"} 2"),
        "{}",
        metrics.body
    );
    assert!(
        metrics.body.contains("outcome=\"invalid_token\"} 4"),
        "{}",
        metrics.body
    );
    assert!(
        !d.log().contains("tok-app-1234") && !d.log().contains(FAKE_SECRET_ACCESS_KEY),
        "a secret reached the log:\n{}",
        d.log()
    );
}

#[test]
fn token_files_and_print_env() {
    let ctx = TestContext::new();
    let token_file = ctx.write(&ctx.root().join("secrets/app-token"), "file-token-abcd");
    let ctx = ctx.config(&format!(
        "[creds]\nlisten = \"127.0.0.1:1338\"\n[[creds.client]]\nname = \"app\"\ntoken_file = \"{}\"\naccess_key_id = \"{FAKE_ACCESS_KEY_ID}\"\nsecret_access_key = \"{FAKE_SECRET_ACCESS_KEY}\"\n{}",
        token_file.display(),
        static_client("inline", "inline-token-1")
    ));

    let out = ctx.run(&["creds", "serve", "--print-env", "app"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        format!(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:1338/v1/credentials\nAWS_CONTAINER_AUTHORIZATION_TOKEN_FILE={}\n",
            token_file.display()
        )
    );
    let out = ctx.run(&["creds", "serve", "--print-env", "inline"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:1338/v1/credentials\nAWS_CONTAINER_AUTHORIZATION_TOKEN=inline-token-1\n"
    );
    let out = ctx.run(&["creds", "serve", "--print-env", "nope"]);
    out.assert_code(2);
    assert!(out.stderr.contains("app, inline"), "{}", out.stderr);

    let d = Daemon::start(&ctx);
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert_eq!(d.creds(&token)["AccessKeyId"], FAKE_ACCESS_KEY_ID);
    assert_eq!(d.get("/v1/credentials", Some("inline-token-1")).status, 200);
}

#[tokio::test]
async fn assume_role_is_signed_by_the_source_keys() {
    let aws = FakeAws::start().await;
    let ctx = with_fake(TestContext::new(), &aws).config(&format!(
        "[creds]\n{}external_id = \"ext-42\"\nduration = \"2h\"\n",
        role_client("app", "tok-app")
    ));
    let d = Daemon::start(&ctx);
    let body = d.creds("tok-app");
    let akid = body["AccessKeyId"].as_str().unwrap();
    assert!(akid.starts_with("ASIAFAKE"), "{body}");
    assert!(
        body["Token"]
            .as_str()
            .unwrap()
            .starts_with("fake-session-token")
    );
    assert_eq!(body["AccountId"], "210987654321");
    assert!(seconds_left(&body["Expiration"]) > 110 * 60, "{body}");

    let st = aws.state();
    let calls = st.sts.calls_of("AssumeRole");
    assert_eq!(calls.len(), 1);
    let call = calls[0];
    assert_eq!(
        call.signer_access_key_id.as_deref(),
        Some(FAKE_ACCESS_KEY_ID)
    );
    assert_eq!(call.param("RoleArn"), Some(ROLE));
    assert_eq!(call.param("RoleSessionName"), Some("awsproxy-app"));
    assert_eq!(call.param("ExternalId"), Some("ext-42"));
    assert_eq!(call.param("DurationSeconds"), Some("7200"));
    assert!(st.credentials.contains_key(akid));
    drop(st);

    let metrics = d.get("/metrics", None).body;
    assert!(
        metrics.contains("awsproxy_creds_refreshes_total{source=\"client app\"} 1"),
        "{metrics}"
    );
    let left: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("awsproxy_creds_seconds_until_expiry{source=\"client app\"} "))
        .unwrap_or_else(|| panic!("no expiry gauge in {metrics}"))
        .parse()
        .unwrap();
    assert!(left > 110.0 * 60.0 && left <= 7200.0, "{left}");
}

#[tokio::test]
async fn credentials_inside_the_refresh_window_are_never_vended_stale() {
    let aws = FakeAws::start().await;
    aws.state().sts.credential_lifetime = Some(Duration::from_secs(20 * 60));

    // A threshold above the 20-minute lifetime: every cached credential is due, so
    // each request gets freshly fetched ones rather than ones under the threshold.
    let ctx = with_fake(TestContext::new(), &aws).config(&format!(
        "[creds]\nrefresh_ahead = \"21m\"\n{}",
        role_client("app", "tok-app")
    ));
    let d = Daemon::start(&ctx);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let body = d.creds("tok-app");
        assert!(seconds_left(&body["Expiration"]) > 15 * 60, "{body}");
        seen.push(body["AccessKeyId"].as_str().unwrap().to_owned());
    }
    seen.dedup();
    assert_eq!(seen.len(), 3, "each request refreshed: {seen:?}");
    assert!(aws.state().sts.calls_of("AssumeRole").len() >= 3);
    drop(d);

    // A threshold below the lifetime: the cached credentials are served as they are.
    let before = aws.state().sts.calls_of("AssumeRole").len();
    let ctx = with_fake(TestContext::new(), &aws).config(&format!(
        "[creds]\nrefresh_ahead = \"16m\"\n{}",
        role_client("app", "tok-app")
    ));
    let d = Daemon::start(&ctx);
    let first = d.creds("tok-app");
    let second = d.creds("tok-app");
    assert_eq!(first["AccessKeyId"], second["AccessKeyId"]);
    assert_eq!(aws.state().sts.calls_of("AssumeRole").len(), before + 1);
}

#[tokio::test]
async fn two_hundred_concurrent_requests_make_one_sts_call() {
    let aws = FakeAws::start().await;
    aws.state().sts.delay = Duration::from_millis(300);
    let ctx = with_fake(TestContext::new(), &aws)
        .config(&format!("[creds]\n{}", role_client("app", "tok-app")));
    let d = Daemon::start(&ctx);
    let addr = d.addr;
    let threads: Vec<_> = (0..200)
        .map(|_| std::thread::spawn(move || http_get(addr, "/v1/credentials", Some("tok-app"))))
        .collect();
    let mut keys: Vec<String> = threads
        .into_iter()
        .map(|t| {
            let r = t.join().unwrap();
            assert_eq!(r.status, 200, "{r:?}");
            r.json()["AccessKeyId"].as_str().unwrap().to_owned()
        })
        .collect();
    keys.dedup();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(aws.state().sts.calls_of("AssumeRole").len(), 1);
}

#[tokio::test]
async fn failing_sources_answer_503_with_a_code() {
    let aws = FakeAws::start().await;
    aws.state().sts.always_fail = Some(StsFailure::AccessDenied);
    let ctx = with_fake(TestContext::new(), &aws)
        .aws_config(
            "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\nregion = us-east-1\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
        )
        .config(&format!(
            "[creds]\n{}{}[[creds.client]]\nname = \"sso\"\ntoken = \"tok-sso\"\nprofile = \"sso\"\n",
            role_client("denied", "tok-denied"),
            role_client("slow", "tok-slow").replace("AppRole", "SlowRole"),
        ));
    let d = Daemon::start(&ctx);

    let r = d.get("/v1/credentials", Some("tok-denied"));
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.json()["code"], "source_unavailable");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("the awsproxy log"),
        "{r:?}"
    );
    assert!(
        !r.body.contains("AccessDenied"),
        "internals leaked: {}",
        r.body
    );
    let metrics = d.get("/metrics", None).body;
    assert!(
        metrics.contains(
            "awsproxy_creds_refresh_failures_total{source=\"client denied\",code=\"source_unavailable\"} 1"
        ),
        "{metrics}"
    );

    // No SSO token in the cache: a login is needed, and the answer says so at once.
    let r = d.get("/v1/credentials", Some("tok-sso"));
    assert_eq!(r.status, 503, "{r:?}\n{}", d.log());
    assert_eq!(r.json()["code"], "login_required", "{}", d.log());
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("awsproxy sso login"),
        "{r:?}"
    );

    // A source that hangs far longer than SDKs wait gets a 503 inside their timeout
    // (were the budget not enforced, this would be a 200 after 10 s).
    {
        let mut st = aws.state();
        st.sts.always_fail = None;
        st.sts.delay = Duration::from_secs(10);
    }
    let r = d.get("/v1/credentials", Some("tok-slow"));
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.json()["code"], "source_timeout");
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("did not answer in time"),
        "{r:?}"
    );
}

#[test]
fn sighup_adds_and_removes_clients() {
    let ctx = TestContext::new().config(&format!("[creds]\n{}", static_client("a", "tok-a")));
    let d = Daemon::start(&ctx);
    assert_eq!(d.get("/v1/credentials", Some("tok-a")).status, 200);
    assert_eq!(d.get("/v1/credentials", Some("tok-b")).status, 403);

    ctx.write(
        &ctx.config_path(),
        &format!("[creds]\n{}", static_client("b", "tok-b")),
    );
    d.signal("-HUP");
    eventually("b is served", || {
        d.get("/v1/credentials", Some("tok-b")).status == 200
    });
    assert_eq!(d.get("/v1/credentials", Some("tok-a")).status, 403);

    // An invalid file on SIGHUP keeps the clients that work.
    ctx.write(&ctx.config_path(), "[creds]\nlisten = 12\n");
    d.signal("-HUP");
    eventually("the reload error is logged", || {
        d.log().contains("keeping the current clients")
    });
    assert_eq!(d.get("/v1/credentials", Some("tok-b")).status, 200);
}

#[test]
fn sighup_applies_allowed_hosts_without_dropping_the_endpoint() {
    let ctx = TestContext::new().config(&format!("[creds]\n{}", static_client("a", "tok-a")));
    let d = Daemon::start(&ctx);
    let named = || {
        http_get_host(
            d.addr,
            "creds.team.example",
            "/v1/credentials",
            Some("tok-a"),
        )
        .status
    };
    // A name the config doesn't list is what a rebinding page would send.
    assert_eq!(named(), 421, "{}", d.log());

    ctx.write(
        &ctx.config_path(),
        &format!(
            "[creds]\nallowed_hosts = [\"creds.team.example\"]\n{}",
            static_client("a", "tok-a")
        ),
    );
    d.signal("-HUP");
    eventually("the listed name is answered", || named() == 200);
    assert_eq!(d.get("/v1/credentials", Some("tok-a")).status, 200);
    assert!(!d.log().contains("restart `creds serve`"), "{}", d.log());
}

#[test]
fn clients_dir_changes_are_picked_up() {
    let ctx = TestContext::new();
    let dir = ctx.root().join("clients.d");
    std::fs::create_dir_all(&dir).unwrap();
    let ctx = ctx.config(&format!(
        "[creds]\nclients_dir = \"{}\"\n{}",
        dir.display(),
        static_client("base", "tok-base")
    ));
    let d = Daemon::start(&ctx);
    assert_eq!(d.get("/v1/credentials", Some("tok-dyn")).status, 403);

    let file = dir.join("dyn.toml");
    ctx.write(
        &file,
        &static_client("dyn", "tok-dyn").replace("[[creds.client]]", "[[client]]"),
    );
    eventually("dyn is served", || {
        d.get("/v1/credentials", Some("tok-dyn")).status == 200
    });

    // A broken file is skipped with a message naming it; the others keep working.
    ctx.write(&dir.join("broken.toml"), "[[client]]\nname = \"x\"\n");
    eventually("the broken file is reported", || {
        d.log().contains("broken.toml")
    });
    assert_eq!(d.get("/v1/credentials", Some("tok-dyn")).status, 200);

    std::fs::remove_file(&file).unwrap();
    eventually("dyn is gone", || {
        d.get("/v1/credentials", Some("tok-dyn")).status == 403
    });
    assert_eq!(d.get("/v1/credentials", Some("tok-base")).status, 200);
}

#[test]
fn sigterm_lets_requests_in_flight_finish() {
    // A credential_process source that says when it starts and then takes a moment.
    let ctx = TestContext::new();
    let marker = ctx.root().join("process-started");
    let script = ctx.write(
        &ctx.root().join("slow-creds.sh"),
        &format!(
            "#!/bin/sh\ntouch '{}'\nsleep 0.5\nprintf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"AKIDFAKEPROCESS\", \"SecretAccessKey\": \"fake-process-secret\", \"SessionToken\": \"fake-process-token\", \"Expiration\": \"2099-01-01T00:00:00Z\"}}'\n",
            marker.display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let ctx = ctx
        .aws_config(&format!("[profile proc]\ncredential_process = {}\n", script.display()))
        .config("[creds]\n[[creds.client]]\nname = \"proc\"\ntoken = \"tok-proc\"\nprofile = \"proc\"\n");
    let mut d = Daemon::start(&ctx);
    let addr = d.addr;
    let request = std::thread::spawn(move || http_get(addr, "/v1/credentials", Some("tok-proc")));
    eventually("the source is being asked", || marker.exists());
    d.signal("-TERM");

    let r = request.join().unwrap();
    assert_eq!(r.status, 200, "{r:?}\n{}", d.log());
    assert_eq!(r.json()["AccessKeyId"], "AKIDFAKEPROCESS");
    assert_eq!(r.json()["Token"], "fake-process-token");
    assert_eq!(d.inner.wait_exit(), 0, "exits 0 after SIGTERM");
    // New connections are refused once it has stopped.
    assert!(std::net::TcpStream::connect(addr).is_err());
}

fn chain_profile(aws: &FakeAws) -> TestContext {
    let ctx = with_fake(TestContext::new(), aws).aws_config(&format!(
        "[profile base]\nregion = us-east-1\n\n[profile chain]\nrole_arn = {ROLE}\nsource_profile = base\nregion = us-east-1\n"
    ));
    ctx.write(
        &ctx.home().join(".aws/credentials"),
        &format!("[base]\naws_access_key_id = {FAKE_ACCESS_KEY_ID}\naws_secret_access_key = {FAKE_SECRET_ACCESS_KEY}\n"),
    );
    ctx
}

#[tokio::test]
async fn export_prints_credential_process_json_and_env_lines() {
    let aws = FakeAws::start().await;
    let ctx = chain_profile(&aws);

    let out = ctx.run(&[
        "creds",
        "export",
        "--profile",
        "chain",
        "--format",
        "process",
    ]);
    out.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["Version"],
        serde_json::json!(1),
        "Version must be the integer 1"
    );
    let akid = v["AccessKeyId"].as_str().unwrap();
    assert!(akid.starts_with("ASIAFAKE"), "{v}");
    let secret = v["SecretAccessKey"].as_str().unwrap();
    assert!(
        v["SessionToken"]
            .as_str()
            .unwrap()
            .starts_with("fake-session-token")
    );
    assert!(seconds_left(&v["Expiration"]) > 50 * 60, "{v}");
    assert_eq!(v.as_object().unwrap().len(), 5, "{v}");
    assert!(
        !out.stderr.contains(secret),
        "secret on stderr: {}",
        out.stderr
    );
    let calls = aws.state().sts.calls_of("AssumeRole").len();
    assert_eq!(calls, 1);
    assert_eq!(
        aws.state().sts.calls_of("AssumeRole")[0]
            .signer_access_key_id
            .as_deref(),
        Some(FAKE_ACCESS_KEY_ID)
    );

    let out = ctx.run(&["creds", "export", "--profile", "chain", "--format", "env"]);
    out.assert_code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert!(lines[0].starts_with("export AWS_ACCESS_KEY_ID=ASIAFAKE"));
    assert!(lines[1].starts_with("export AWS_SECRET_ACCESS_KEY=fake-secret"));
    assert!(lines[2].starts_with("export AWS_SESSION_TOKEN=fake-session-token"));
    assert!(lines[3].starts_with("export AWS_CREDENTIAL_EXPIRATION=20"));

    let out = ctx.run(&["creds", "export", "--profile", "chain", "--format", "json"]);
    out.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["AccountId"], "210987654321", "{v}");
}

#[tokio::test]
async fn export_says_when_an_sso_login_is_needed() {
    let aws = FakeAws::start().await;
    let ctx = with_fake(TestContext::new(), &aws).aws_config(
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\nregion = us-east-1\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    );
    let out = ctx.run(&["creds", "export", "--profile", "dev"]);
    out.assert_code(3);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("needs a new login"), "{}", out.stderr);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
}

#[test]
fn export_of_an_unknown_profile_names_the_files_and_the_profiles_they_define() {
    let ctx = TestContext::new().aws_config("[profile dev]\nregion = us-east-1\n[default]\n");
    ctx.write(
        &ctx.home().join(".aws/credentials"),
        "[ci]\naws_access_key_id = x\naws_secret_access_key = y\n",
    );
    let out = ctx.run(&["creds", "export", "--profile", "nope"]);
    out.assert_code(2);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("error: profile `nope` is not in ")
            && out.stderr.contains(".aws/credentials"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: profiles defined there: ci, default, dev"),
        "{}",
        out.stderr
    );
    // Only the error: no log line repeating it.
    assert!(!out.stderr.contains("WARN"), "{}", out.stderr);
    assert!(!out.stderr.contains("not enabled"), "{}", out.stderr);
}

/// What `aws sso login` (or `awsproxy sso login`) leaves in the token cache.
fn write_sso_token(ctx: &TestContext, session: &str, token: &str) {
    use sha1::Digest;
    let name = hex::encode(sha1::Sha1::digest(session.as_bytes()));
    let expires = time::OffsetDateTime::from(SystemTime::now() + Duration::from_secs(3600))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    ctx.write(
        &ctx.home().join(format!(".aws/sso/cache/{name}.json")),
        &serde_json::json!({
            "startUrl": "https://example.awsapps.com/start",
            "region": "us-east-1",
            "accessToken": token,
            "expiresAt": expires,
        })
        .to_string(),
    );
}

#[tokio::test]
async fn a_fresh_sso_login_is_picked_up_without_a_restart() {
    let aws = FakeAws::start().await;
    let ctx = with_fake(TestContext::new(), &aws)
        .aws_config(
            "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = DeveloperRole\nregion = us-east-1\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
        )
        .config("[creds]\n[[creds.client]]\nname = \"dev\"\ntoken = \"tok-dev\"\nprofile = \"dev\"\n");
    let d = Daemon::start(&ctx);
    let r = d.get("/v1/credentials", Some("tok-dev"));
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.json()["code"], "login_required");

    let token = aws.seed_access_token(Duration::from_secs(3600));
    write_sso_token(&ctx, "corp", &token);
    eventually("the new login is used", || {
        d.get("/v1/credentials", Some("tok-dev")).status == 200
    });
    let body = d.creds("tok-dev");
    assert!(
        body["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIAFAKE"),
        "{body}"
    );
    assert_eq!(body["AccountId"], "123456789012");
    assert_eq!(aws.state().portal.role_credential_requests.len(), 1);
}

#[tokio::test]
async fn the_cache_plugs_into_sdk_clients_as_their_credentials_provider() {
    use awsproxy::creds::{BaseSource, CacheOptions, CredsRegistry, SourceSpec};
    use awsproxy::secret::Secret;

    let aws = FakeAws::start().await;
    let registry = CredsRegistry::new(CacheOptions::default());
    let spec = SourceSpec {
        name: "maven mount".to_owned(),
        base: BaseSource::Static {
            access_key_id: Secret::new("AKIDFAKEPLUGGED"),
            secret_access_key: Secret::new("fake-plugged-secret"),
            session_token: None,
        },
        region: Some("us-east-1".to_owned()),
        assume: None,
    };
    let cache = registry.cache(spec.clone()).await;
    assert_eq!(registry.cache(spec).await.spec(), cache.spec());
    let conf = awsproxy::aws::sdk_config(&awsproxy::aws::SdkOptions {
        region: Some("us-east-1".to_owned()),
        endpoint: Some(aws.endpoint()),
        credentials: Some(cache.provider()),
        ..Default::default()
    })
    .await;
    let sts = aws_sdk_sts::Client::new(&conf);
    for _ in 0..2 {
        let who = sts.get_caller_identity().send().await.unwrap();
        assert_eq!(who.account(), Some("123456789012"));
    }
    let st = aws.state();
    let calls = st.sts.calls_of("GetCallerIdentity");
    assert_eq!(calls.len(), 2);
    for call in calls {
        assert_eq!(
            call.signer_access_key_id.as_deref(),
            Some("AKIDFAKEPLUGGED")
        );
    }
}
