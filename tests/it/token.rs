//! `awsproxy token get` against the CodeArtifact fake, through the real binary.

use crate::support::TestContext;
use crate::support::fakes::FakeAws;
use crate::support::fakes::codeartifact::CodeArtifactDomain;

fn ctx_for(aws: &FakeAws) -> TestContext {
    TestContext::new()
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", aws.endpoint())
        .env("AWS_ENDPOINT_URL_STS", aws.endpoint())
        .fake_aws_keys()
        .env("AWS_REGION", "us-east-1")
}

const ARGS: [&str; 6] = [
    "token",
    "get",
    "--domain",
    "fake-domain",
    "--domain-owner",
    "123456789012",
];

#[tokio::test]
async fn prints_only_the_token_and_reuses_it_from_the_cache() {
    let aws = FakeAws::start().await;
    let ctx = ctx_for(&aws);
    let first = ctx.run(&ARGS);
    first.assert_code(0);
    let token = first.stdout.trim_end_matches('\n');
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "{:?}",
        first.stdout
    );
    assert_eq!(first.stdout, format!("{token}\n"));
    assert!(
        aws.state()
            .codeartifact
            .tokens
            .iter()
            .any(|t| t.token == token)
    );
    assert!(!first.stderr.contains(token), "token leaked to stderr");

    let second = ctx.run(&ARGS);
    second.assert_code(0);
    assert_eq!(second.stdout, first.stdout);
    assert_eq!(
        aws.calls("GetAuthorizationToken"),
        1,
        "second call should come from the cache"
    );

    let files: Vec<_> = std::fs::read_dir(ctx.cache_home().join("awsproxy/codeartifact"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[tokio::test]
async fn json_output_and_a_token_near_expiry_is_replaced() {
    let aws = FakeAws::start().await;
    aws.state().codeartifact.token_lifetime = Some(std::time::Duration::from_secs(10 * 60));
    let ctx = ctx_for(&aws);
    let mut args = ARGS.to_vec();
    args.extend(["--json", "--duration", "900"]);
    let out = ctx.run(&args);
    out.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["domain"], "fake-domain");
    assert_eq!(v["owner"], "123456789012");
    assert_eq!(v["region"], "us-east-1");
    assert!(v["expiration"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        aws.state().codeartifact.token_requests[0].duration_seconds,
        Some(900)
    );
    // Ten minutes left is under the 15-minute margin: the next call fetches again.
    ctx.run(&args).assert_code(0);
    assert_eq!(aws.calls("GetAuthorizationToken"), 2);
}

#[tokio::test]
async fn unknown_domain_and_access_denied_say_what_to_check() {
    let aws = FakeAws::start().await;
    let ctx = ctx_for(&aws);
    let out = ctx.run(&[
        "token",
        "get",
        "--domain",
        "nope",
        "--domain-owner",
        "123456789012",
    ]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("cannot get a CodeArtifact token for domain `nope`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint: check --domain, --domain-owner"),
        "{}",
        out.stderr
    );

    aws.state().codeartifact.access_denied = true;
    let out = ctx.run(&ARGS);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("not allowed `codeartifact:GetAuthorizationToken`"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn repo_from_config_and_bad_arguments() {
    let aws = FakeAws::start().await;
    aws.state()
        .codeartifact
        .domains
        .push(CodeArtifactDomain::new("web-domain", "123456789012"));
    let ctx = ctx_for(&aws).config(
        "[[repos.pypi]]\nname = \"corp\"\ndomain = \"fake-domain\"\ndomain_owner = \"123456789012\"\nregion = \"us-east-1\"\nrepository = \"pypi-store\"\n\
         [[repos.npm]]\nname = \"web\"\ndomain = \"web-domain\"\ndomain_owner = \"123456789012\"\nregion = \"us-east-1\"\nrepository = \"npm-store\"\n",
    );
    ctx.run(&["token", "get", "--repo", "corp"]).assert_code(0);
    assert_eq!(
        aws.state().codeartifact.token_requests[0].domain,
        "fake-domain"
    );
    // Any format's mount names its domain.
    ctx.run(&["token", "get", "--repo", "npm:web"])
        .assert_code(0);
    assert_eq!(
        aws.state().codeartifact.token_requests[1].domain,
        "web-domain"
    );

    let out = ctx.run(&["token", "get", "--repo", "other"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("configured: pypi:corp, npm:web"),
        "{}",
        out.stderr
    );

    let mut args = ARGS.to_vec();
    args.extend(["--duration", "60"]);
    let out = ctx.run(&args);
    out.assert_code(2);
    assert!(out.stderr.contains("900 to 43200"), "{}", out.stderr);

    ctx.run(&["token", "get", "--domain", "d", "--domain-owner", "12"])
        .assert_code(2);
}

#[tokio::test]
async fn an_expired_sso_session_asks_for_a_login() {
    let aws = FakeAws::start().await;
    let ctx = TestContext::new()
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", aws.endpoint())
        .env("AWS_ENDPOINT_URL_SSO", aws.endpoint())
        .env("AWS_ENDPOINT_URL_SSO_OIDC", aws.endpoint())
        .aws_config(
            "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = DeveloperRole\nregion = us-east-1\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
        );
    let cache = ctx.home().join(".aws/sso/cache");
    let name = {
        use sha1::Digest;
        hex::encode(sha1::Sha1::digest(b"corp"))
    };
    ctx.write(
        &cache.join(format!("{name}.json")),
        r#"{"startUrl": "https://example.awsapps.com/start", "region": "us-east-1", "accessToken": "expired-token", "expiresAt": "2020-01-01T00:00:00Z"}"#,
    );
    let mut args = ARGS.to_vec();
    args.extend(["--profile", "dev"]);
    let out = ctx.run(&args);
    out.assert_code(3);
    assert!(out.stderr.contains("sso login"), "{}", out.stderr);
    assert_eq!(aws.calls("GetAuthorizationToken"), 0);
}
