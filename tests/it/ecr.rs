//! The ECR credential helper: the real binary, invoked through a
//! `docker-credential-awsproxy` link as Docker invokes it, speaking the
//! credential-helper protocol over stdin/stdout against the in-process ECR
//! fake; and `awsproxy setup docker` on `$DOCKER_CONFIG/config.json`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::support::TestContext;
use crate::support::context::{Output, bin};
use crate::support::fakes::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeAws};

const PRIVATE: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const OTHER: &str = "210987654321.dkr.ecr.us-east-2.amazonaws.com";
const PUBLIC: &str = "public.ecr.aws";

const SSO_PROFILE: &str = "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = DeveloperRole\nregion = us-east-1\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n";

/// A context whose AWS calls go to `aws`, with a static-keys profile `keys`
/// and a config naming three registries (one with its own profile).
fn ctx(aws: &FakeAws) -> TestContext {
    let ctx = TestContext::new()
        .env("AWS_ENDPOINT_URL_ECR", aws.endpoint())
        .env("AWS_ENDPOINT_URL_ECR_PUBLIC", aws.endpoint())
        .env("AWS_ENDPOINT_URL_STS", aws.endpoint())
        .env("AWS_ENDPOINT_URL_SSO", aws.endpoint())
        .env("AWS_ENDPOINT_URL_SSO_OIDC", aws.endpoint())
        .config(&format!(
            "[docker]\nprofile = \"keys\"\n\n[[docker.registry]]\nhost = \"{PRIVATE}\"\n\n[[docker.registry]]\nhost = \"{PUBLIC}\"\n\n[[docker.registry]]\nhost = \"{OTHER}\"\nprofile = \"dev\"\n"
        ))
        .aws_config(SSO_PROFILE);
    ctx.write(
        &ctx.home().join(".aws/credentials"),
        &format!("[keys]\naws_access_key_id = {FAKE_ACCESS_KEY_ID}\naws_secret_access_key = {FAKE_SECRET_ACCESS_KEY}\n"),
    );
    ctx
}

/// Runs `docker-credential-awsproxy ACTION` (a link to the binary, as
/// `install.sh` makes) with `stdin`, in the context's environment.
fn helper(ctx: &TestContext, action: &str, stdin: &str) -> Output {
    let link = ctx.root().join("bin/docker-credential-awsproxy");
    if !link.exists() {
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(bin(), &link).unwrap();
    }
    let template = ctx.command();
    let mut cmd = Command::new(&link);
    cmd.env_clear();
    for (k, v) in template.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    run_with_stdin(cmd.arg(action), stdin)
}

fn run_with_stdin(cmd: &mut Command, stdin: &str) -> Output {
    let mut child = cmd
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
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {:?} stderr {:?}", out.stdout, out.stderr))
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

fn cache_files(ctx: &TestContext) -> Vec<PathBuf> {
    let dir = ctx.cache_home().join("awsproxy/ecr");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[tokio::test]
async fn get_answers_with_the_token_and_a_second_get_makes_no_call() {
    let aws = FakeAws::start().await;
    let ctx = ctx(&aws);

    let url = format!("https://{PRIVATE}");
    let out = helper(&ctx, "get", &url);
    out.assert_code(0);
    let v = json(&out);
    let issued = aws.state().ecr.tokens.clone();
    assert_eq!(issued.len(), 1);
    assert_eq!(v["ServerURL"], url.as_str());
    assert_eq!(v["Username"], "AWS");
    assert_eq!(
        v["Secret"],
        issued[0].password.as_str(),
        "the decoded password"
    );
    assert_eq!(v.as_object().unwrap().len(), 3, "{v}");
    assert_eq!(
        issued[0].region, "eu-west-1",
        "the host's region signs the call"
    );
    assert_eq!(issued[0].signer_access_key_id, FAKE_ACCESS_KEY_ID);
    assert!(!issued[0].public);
    assert!(!out.stderr.contains(&issued[0].password), "{}", out.stderr);

    // The same registry again, as a bare host with a newline: from the cache.
    let again = helper(&ctx, "get", &format!("{PRIVATE}\n"));
    again.assert_code(0);
    assert_eq!(json(&again)["Secret"], v["Secret"]);
    assert_eq!(json(&again)["ServerURL"], PRIVATE);
    assert_eq!(
        aws.calls("ecr:GetAuthorizationToken"),
        1,
        "no second ECR call"
    );

    // The cache file is private and holds what it needs, per registry.
    let files = cache_files(&ctx);
    assert_eq!(files.len(), 1, "{files:?}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // ECR Public: its own API, in us-east-1.
    let out = helper(&ctx, "get", "https://public.ecr.aws");
    out.assert_code(0);
    assert_eq!(aws.calls("ecr-public:GetAuthorizationToken"), 1);
    let public = aws.state().ecr.tokens[1].clone();
    assert!(public.public);
    assert_eq!(public.region, "us-east-1");
    assert_eq!(json(&out)["Secret"], public.password.as_str());
    assert_eq!(cache_files(&ctx).len(), 2);
}

#[tokio::test]
async fn list_store_erase_and_hosts_that_are_not_registries() {
    let aws = FakeAws::start().await;
    let ctx = ctx(&aws);

    let out = helper(&ctx, "list", "");
    out.assert_code(0);
    assert_eq!(
        json(&out),
        serde_json::json!({PRIVATE: "AWS", PUBLIC: "AWS", OTHER: "AWS"})
    );

    for action in ["store", "erase"] {
        let out = helper(
            &ctx,
            action,
            &format!("{{\"ServerURL\":\"{PRIVATE}\",\"Username\":\"AWS\",\"Secret\":\"x\"}}"),
        );
        out.assert_code(2);
        assert!(
            out.stderr
                .contains(&format!("does not {action} credentials")),
            "{}",
            out.stderr
        );
        assert_eq!(
            out.stdout.lines().count(),
            1,
            "one line for Docker: {}",
            out.stdout
        );
        assert!(out.stdout.contains("never stored"), "{}", out.stdout);
    }

    for bad in [
        "",
        "ftp://public.ecr.aws",
        "https://user:pw@public.ecr.aws",
        "public.ecr.aws?x=1",
        "not a url",
    ] {
        let out = helper(&ctx, "get", bad);
        out.assert_code(2);
        assert!(
            out.stderr.contains("is not a registry host"),
            "{bad}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    }
    assert!(
        !helper(&ctx, "get", "https://user:pw@public.ecr.aws")
            .stderr
            .contains("pw@"),
        "user info is never echoed"
    );

    // Not an ECR registry: the protocol's "no entry", so Docker goes on anonymously.
    let out = helper(&ctx, "get", "https://index.docker.io/v1/");
    out.assert_code(1);
    assert_eq!(
        out.stdout.trim(),
        "credentials not found in native keychain"
    );
    // A look-alike of an ECR host is not one.
    let out = helper(&ctx, "get", &format!("{PRIVATE}.evil.example"));
    out.assert_code(1);
    assert_eq!(
        out.stdout.trim(),
        "credentials not found in native keychain"
    );

    assert_eq!(aws.calls("ecr:GetAuthorizationToken"), 0);
    assert_eq!(aws.calls("ecr-public:GetAuthorizationToken"), 0);

    let out = helper(&ctx, "version", "");
    out.assert_code(0);
    assert!(
        out.stdout
            .starts_with("docker-credential-awsproxy (awsproxy "),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn an_sso_profile_gets_the_token_and_a_login_is_asked_for_when_needed() {
    let aws = FakeAws::start().await;
    let ctx = ctx(&aws);

    // No SSO login yet: exit 3 with the command to run, on stderr for Docker.
    let started = Instant::now();
    let out = helper(&ctx, "get", OTHER);
    out.assert_code(3);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        out.stderr
            .contains("hint: run `awsproxy sso login --profile dev`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("awsproxy sso login --profile dev"),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert_eq!(aws.calls("ecr:GetAuthorizationToken"), 0);

    // After a login, the SSO role credentials sign the token request.
    let token = aws.seed_access_token(Duration::from_secs(3600));
    write_sso_token(&ctx, "corp", &token);
    let out = helper(&ctx, "get", OTHER);
    out.assert_code(0);
    let issued = aws.state().ecr.tokens[0].clone();
    assert_eq!(json(&out)["Secret"], issued.password.as_str());
    assert_eq!(issued.region, "us-east-2");
    assert!(
        issued.signer_access_key_id.starts_with("ASIAFAKE"),
        "portal credentials, not the static keys: {issued:?}"
    );
    assert_eq!(aws.state().portal.role_credential_requests.len(), 1);

    // Cached: neither the portal nor ECR is asked again.
    helper(&ctx, "get", OTHER).assert_code(0);
    assert_eq!(aws.state().portal.role_credential_requests.len(), 1);
    assert_eq!(aws.calls("ecr:GetAuthorizationToken"), 1);

    // AWS_PROFILE picks the identity when the config names none; its token is its own.
    let ctx = ctx
        .config(&format!("[[docker.registry]]\nhost = \"{PRIVATE}\"\n"))
        .env("AWS_PROFILE", "dev");
    helper(&ctx, "get", PRIVATE).assert_code(0);
    assert_eq!(aws.calls("ecr:GetAuthorizationToken"), 2);
    let issued = aws.state().ecr.tokens[1].clone();
    assert!(
        issued.signer_access_key_id.starts_with("ASIAFAKE"),
        "{issued:?}"
    );
}

#[tokio::test]
async fn tokens_near_expiry_are_replaced_and_dead_ones_never_cached() {
    let aws = FakeAws::start().await;
    let ctx = ctx(&aws);
    helper(&ctx, "get", PRIVATE).assert_code(0);
    assert_eq!(aws.calls("ecr:GetAuthorizationToken"), 1);

    // Ten minutes left of a twelve-hour token: inside the 15-minute margin.
    let file = cache_files(&ctx).remove(0);
    let mut cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let rfc = |t: SystemTime| {
        time::OffsetDateTime::from(t)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    cached["expiresAt"] = rfc(SystemTime::now() + Duration::from_secs(600)).into();
    cached["fetchedAt"] = rfc(SystemTime::now() - Duration::from_secs(41_400)).into();
    std::fs::write(&file, cached.to_string()).unwrap();
    let out = helper(&ctx, "get", PRIVATE);
    out.assert_code(0);
    assert_eq!(aws.calls("ecr:GetAuthorizationToken"), 2, "refreshed");
    let newest = aws.state().ecr.tokens[1].password.clone();
    assert_eq!(json(&out)["Secret"], newest.as_str());
    // ...and the fresh one is what the cache holds now.
    helper(&ctx, "get", PRIVATE).assert_code(0);
    assert_eq!(aws.calls("ecr:GetAuthorizationToken"), 2);

    // A token that is already dead (moto's are) is handed out but never cached.
    aws.state().ecr.token_lifetime = Duration::ZERO;
    for _ in 0..2 {
        helper(&ctx, "get", PUBLIC).assert_code(0);
    }
    assert_eq!(aws.calls("ecr-public:GetAuthorizationToken"), 2);
}

/// Accepts connections and counts them, answering nothing: a stand-in for the
/// instance metadata service that only ever makes a client wait.
fn counting_listener() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(conn);
        }
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn without_credentials_it_fails_at_once_and_never_asks_instance_metadata() {
    let aws = FakeAws::start().await;
    let (imds, seen) = counting_listener();
    let ctx = TestContext::new()
        .env("AWS_ENDPOINT_URL_ECR", aws.endpoint())
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds)
        .config(&format!("[[docker.registry]]\nhost = \"{PRIVATE}\"\n"));
    let started = Instant::now();
    let mut cmd = ctx.command();
    cmd.env_remove("AWS_EC2_METADATA_DISABLED");
    let out = run_with_stdin(cmd.args(["docker-credential", "get"]), PRIVATE);
    let took = started.elapsed();
    out.assert_code(1);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        out.stderr.contains("no AWS credentials for"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("not an EC2 instance"), "{}", out.stderr);
    assert!(
        out.stderr.contains("hint: name a profile"),
        "{}",
        out.stderr
    );
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "metadata was asked"
    );
    assert_eq!(aws.calls("ecr:GetAuthorizationToken"), 0);

    // Normal use still works from the same machine once a profile is named.
    let ctx = ctx
        .env("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY);
    let mut cmd = ctx.command();
    cmd.env_remove("AWS_EC2_METADATA_DISABLED");
    let out = run_with_stdin(cmd.args(["docker-credential", "get"]), PRIVATE);
    out.assert_code(0);
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(aws.calls("ecr:GetAuthorizationToken"), 1);

    // A profile that does not exist is named as such, also before any call.
    let out = run_with_stdin(
        ctx.command()
            .env("AWS_PROFILE", "nope")
            .args(["docker-credential", "get"]),
        PRIVATE,
    );
    out.assert_code(2);
    assert!(
        out.stderr.contains("profile `nope` is not in"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn refused_credentials_say_what_was_tried() {
    let aws = FakeAws::start().await;
    let ctx = ctx(&aws);
    aws.state().ecr.access_denied = true;
    let out = helper(&ctx, "get", PRIVATE);
    out.assert_code(1);
    assert!(
        out.stderr.contains(&format!(
            "cannot get an ECR authorization token for {PRIVATE} (region eu-west-1)"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("ecr:GetAuthorizationToken"),
        "{}",
        out.stderr
    );
    assert!(cache_files(&ctx).is_empty());
}

#[test]
fn registry_config_errors_name_the_line_and_key() {
    for (toml, wanted) in [
        (
            "[[docker.registry]]\nhost = \"docker.io\"\n",
            "is not an ECR registry host",
        ),
        (
            "[[docker.registry]]\nhost = \"https://public.ecr.aws\"\n",
            "write the bare host",
        ),
        (
            &format!("[[docker.registry]]\nhost = \"{PRIVATE}\"\nregion = \"us-east-1\"\n") as &str,
            "names its region itself",
        ),
        (
            &format!(
                "[[docker.registry]]\nhost = \"{PUBLIC}\"\n[[docker.registry]]\nhost = \"{PUBLIC}\"\n"
            ),
            "already configured in docker.registry[0]",
        ),
        (
            "[[docker.registry]]\nhost = \"public.ecr.aws\"\nprofle = \"x\"\n",
            "profle",
        ),
    ] {
        let ctx = TestContext::new().config(toml);
        let out = ctx.run(&["config", "check"]);
        out.assert_code(2);
        assert!(out.stderr.contains(wanted), "{toml}: {}", out.stderr);
        assert!(
            out.stderr.contains("config.toml:"),
            "{toml}: {}",
            out.stderr
        );
    }
    // A mirror's own name is fine with the region of the registry it serves.
    let ctx = TestContext::new()
        .config("[[docker.registry]]\nhost = \"127.0.0.1:5000\"\nregion = \"us-east-1\"\n");
    ctx.run(&["config", "check"]).assert_code(0);
}

#[test]
fn setup_docker_adds_credhelpers_keeps_every_other_key_and_undoes_exactly_that() {
    let ctx = TestContext::new().config(&format!(
        "[[docker.registry]]\nhost = \"{PRIVATE}\"\n\n[[docker.registry]]\nhost = \"{PUBLIC}\"\n"
    ));
    let docker_dir = ctx.root().join("docker");
    let ctx = ctx.env("DOCKER_CONFIG", docker_dir.to_str().unwrap());
    let file = docker_dir.join("config.json");
    let original = "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {\n\t\t\t\"auth\": \"dXNlcjpwYXNz\"\n\t\t}\n\t},\n\t\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\"\n\t},\n\t\"credsStore\": \"pass\",\n\t\"currentContext\": \"default\"\n}\n";
    ctx.write(&file, original);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();

    // --dry-run: the diff on stdout, nothing written, nothing recorded.
    let out = ctx.run(&["setup", "docker", "--dry-run"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains(&format!(
            "+\t\t\"{PRIVATE}\": \"awsproxy\",\n+\t\t\"{PUBLIC}\": \"awsproxy\"\n"
        )),
        "{}",
        out.stdout
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    assert!(!ctx.state_home().join("awsproxy/setup").exists());

    let out = ctx.run(&["setup", "docker"]);
    out.assert_code(0);
    assert!(out.stderr.contains("docker: set up"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("docker-credential-awsproxy is not on PATH"),
        "{}",
        out.stderr
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["credHelpers"],
        serde_json::json!({"gcr.io": "gcloud", PRIVATE: "awsproxy", PUBLIC: "awsproxy"})
    );
    assert_eq!(v["auths"]["ghcr.io"]["auth"], "dXNlcjpwYXNz");
    assert_eq!(v["credsStore"], "pass");
    assert_eq!(v["currentContext"], "default");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600,
        "the file's mode is kept"
    );

    // Twice is once.
    let out = ctx.run(&["setup", "docker"]);
    out.assert_code(0);
    assert!(out.stderr.contains("already set up"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);

    let out = ctx.run(&["setup", "--status", "--json"]);
    out.assert_code(0);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tool"] == "docker")
        .unwrap();
    assert_eq!(row["state"], "set up");
    assert_eq!(row["file"], file.to_str().unwrap());

    // The user adds a registry of their own after setup: undo leaves it.
    let edited = text.replace(
        "\"gcr.io\": \"gcloud\",",
        "\"gcr.io\": \"gcloud\",\n\t\t\"mine.example\": \"awsproxy\",",
    );
    std::fs::write(&file, &edited).unwrap();
    let out = ctx.run(&["setup", "docker", "--undo", "--dry-run"]);
    out.assert_code(0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
    let out = ctx.run(&["setup", "docker", "--undo"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("removed awsproxy's credHelpers entries"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        original.replace(
            "\"gcr.io\": \"gcloud\"",
            "\"gcr.io\": \"gcloud\",\n\t\t\"mine.example\": \"awsproxy\""
        ),
        "exactly awsproxy's entries are gone"
    );
    let out = ctx.run(&["setup", "docker", "--undo"]);
    out.assert_code(0);
    assert!(out.stderr.contains("nothing to undo"), "{}", out.stderr);

    // A host mapped to another helper is the user's choice: refused, file untouched.
    let theirs = format!("{{\"credHelpers\": {{\"{PUBLIC}\": \"ecr-login\"}}}}");
    std::fs::write(&file, &theirs).unwrap();
    let out = ctx.run(&["setup", "docker"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("docker-credential-ecr-login"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), theirs);

    // No file: created (0600), and undo deletes it again.
    std::fs::remove_file(&file).unwrap();
    ctx.run(&["setup", "docker"]).assert_code(0);
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    ctx.run(&["setup", "docker", "--undo"]).assert_code(0);
    assert!(!file.exists());

    // Without registries there is nothing to set up.
    let ctx = TestContext::new().env("DOCKER_CONFIG", docker_dir.to_str().unwrap());
    let out = ctx.run(&["setup", "docker"]);
    out.assert_code(2);
    assert!(out.stderr.contains("[[docker.registry]]"), "{}", out.stderr);
}
