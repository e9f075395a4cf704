//! `awsproxy sso profiles` against the SSO portal fake (a few accounts and
//! roles, small pages so the command must paginate), and the marked block it
//! writes into `~/.aws/config` (botocore loading it: `tests/interop/test_sso.py`).

use std::time::{Duration, SystemTime};

use crate::support::TestContext;
use crate::support::fakes::{FakeAws, PortalAccount};

const CONFIG: &str = "# my own settings, kept byte for byte\n[default]\nregion = eu-west-1   ; inline comment\n\n[profile prod-Admin]\nregion = us-west-2\n\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n";

fn setup(aws: &FakeAws) -> TestContext {
    {
        let mut st = aws.state();
        st.portal.accounts = vec![
            PortalAccount::new("111111111111", "prod", &["Admin", "ReadOnly"]),
            PortalAccount::new("222222222222", "dev account", &["Admin"]),
            PortalAccount::new(
                "333333333333",
                "sandbox",
                &["Developer", "Admin", "Auditor"],
            ),
        ];
        st.portal.page_size = 2;
    }
    let ctx = TestContext::new()
        .env("AWS_ENDPOINT_URL_SSO", aws.endpoint())
        .env("AWS_ENDPOINT_URL_SSO_OIDC", aws.endpoint())
        .aws_config(CONFIG);
    let token = aws.seed_access_token(Duration::from_secs(3600));
    write_token(&ctx, &token);
    ctx
}

fn write_token(ctx: &TestContext, token: &str) {
    use sha1::Digest;
    let name = hex::encode(sha1::Sha1::digest(b"corp"));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_are_listed_written_replaced_and_loaded_by_botocore() {
    let aws = FakeAws::start().await;
    let ctx = setup(&aws);
    let config = ctx.home().join(".aws/config");

    let out = ctx.run(&["sso", "profiles", "--json"]);
    out.assert_code(0);
    let listed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["profile"].as_str().unwrap())
        .collect();
    // Every page of accounts and roles; the user's own `prod-Admin` keeps its name.
    assert_eq!(
        names,
        [
            "dev-account-Admin",
            "prod-Admin-2",
            "prod-ReadOnly",
            "sandbox-Admin",
            "sandbox-Auditor",
            "sandbox-Developer"
        ]
    );
    let table = ctx.run(&["sso", "profiles", "corp"]);
    table.assert_code(0);
    assert!(table.stdout.contains("sandbox-Auditor") && table.stdout.contains("333333333333"));

    let dry = ctx.run(&["sso", "profiles", "corp", "--write", "--dry-run"]);
    dry.assert_code(0);
    assert!(
        dry.stdout.contains("+[profile sandbox-Developer]"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        CONFIG,
        "--dry-run wrote"
    );

    ctx.run(&["sso", "profiles", "corp", "--write"])
        .assert_code(0);
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        written.starts_with(CONFIG),
        "the user's part changed:\n{written}"
    );
    assert!(written.contains("# >>> awsproxy >>>") && written.contains("# <<< awsproxy <<<"));

    // Another run with another template replaces the block, nothing else.
    ctx.run(&[
        "sso",
        "profiles",
        "corp",
        "--write",
        "--prefix",
        "corp-",
        "--template",
        "{account_id}-{role_name}",
    ])
    .assert_code(0);
    let again = std::fs::read_to_string(&config).unwrap();
    assert!(again.starts_with(CONFIG), "{again}");
    assert!(
        !again.contains("sandbox-Developer")
            && again.contains("[profile corp-333333333333-Developer]"),
        "{again}"
    );
    assert_eq!(again.matches("# >>> awsproxy >>>").count(), 1);

    // `--write` once more changes nothing.
    let same = ctx.run(&[
        "sso",
        "profiles",
        "corp",
        "--write",
        "--prefix",
        "corp-",
        "--template",
        "{account_id}-{role_name}",
    ]);
    same.assert_code(0);
    assert!(same.stderr.contains("up to date"), "{}", same.stderr);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_asks_for_a_login_and_bad_templates_are_refused() {
    let aws = FakeAws::start().await;
    let ctx = setup(&aws);
    let out = ctx.run(&["sso", "profiles", "corp", "--template", "{account_name}"]);
    out.assert_code(2);
    assert!(out.stderr.contains("{role_name}"), "{}", out.stderr);
    std::fs::remove_dir_all(ctx.home().join(".aws/sso/cache")).unwrap();
    let out = ctx.run(&["sso", "profiles", "corp"]);
    out.assert_code(3);
    assert!(
        out.stderr.contains("awsproxy sso login corp"),
        "{}",
        out.stderr
    );
}
