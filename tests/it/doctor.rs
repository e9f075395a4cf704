//! `awsproxy doctor`: a passing setup, and each failure with its hint.

use crate::support::TestContext;

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config_with_free_ports() -> String {
    format!(
        "[proxy]\nlisten = \"127.0.0.1:{}\"\n[repos]\nlisten = \"127.0.0.1:{}\"\n[metrics]\nlisten = \"127.0.0.1:{}\"\n",
        free_port(),
        free_port(),
        free_port()
    )
}

fn findings(out: &crate::support::context::Output) -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn finding<'a>(all: &'a [serde_json::Value], check: &str) -> &'a serde_json::Value {
    all.iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no `{check}` finding in {all:#?}"))
}

#[test]
fn a_healthy_setup_passes() {
    let ctx = TestContext::new()
        .config(&config_with_free_ports())
        .aws_config("[default]\nregion = us-east-1\n");
    let out = ctx.run(&["doctor", "--json"]);
    out.assert_code(0);
    let all = findings(&out);
    for check in [
        "config",
        "port:proxy",
        "port:repos",
        "port:metrics",
        "aws-config",
    ] {
        assert_eq!(finding(&all, check)["outcome"], "pass", "{check}: {all:#?}");
    }
    // The agent is only a warning: a daemon started by hand is fine too.
    assert_eq!(finding(&all, "agent")["outcome"], "warn");
    let table = ctx.run(&["doctor"]);
    table.assert_code(0);
    assert!(
        table.stdout.contains("port:repos") && table.stdout.contains("pass"),
        "{}",
        table.stdout
    );
}

#[test]
fn an_invalid_config_fails_with_its_location() {
    let ctx = TestContext::new().config("[proxy]\nlisten = \"nowhere\"\n");
    let out = ctx.run(&["doctor", "--json"]);
    out.assert_code(4);
    let f = finding(&findings(&out), "config").clone();
    assert_eq!(f["outcome"], "fail");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains(":2:10: key `proxy.listen`"),
        "{f}"
    );
    assert!(f["hint"].as_str().is_some());
}

#[test]
fn a_port_held_by_another_program_fails() {
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = squatter.local_addr().unwrap().port();
    let ctx = TestContext::new().config(&format!("[repos]\nlisten = \"127.0.0.1:{port}\"\n"));
    // Answer the probe like a program that is not awsproxy.
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Ok((mut s, _)) = squatter.accept() {
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nserver: nginx\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let out = ctx.run(&["doctor", "--json"]);
    out.assert_code(4);
    let f = finding(&findings(&out), "port:repos").clone();
    assert_eq!(f["outcome"], "fail");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("in use by another program"),
        "{f}"
    );
    assert!(
        f["hint"].as_str().unwrap().contains("[repos] listen"),
        "{f}"
    );
}

#[test]
fn ca_bundle_variables_must_point_at_pem_files() {
    let ctx = TestContext::new().config(&config_with_free_ports());
    let not_pem = ctx.write(&ctx.root().join("bundle.txt"), "hello\n");
    let ctx = ctx
        .env("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
        .env("CURL_CA_BUNDLE", not_pem.to_str().unwrap());
    let out = ctx.run(&["doctor", "--json"]);
    out.assert_code(4);
    let all = findings(&out);
    let missing = finding(&all, "env:REQUESTS_CA_BUNDLE");
    assert_eq!(missing["outcome"], "fail");
    assert!(
        missing["hint"]
            .as_str()
            .unwrap()
            .contains("REQUESTS_CA_BUNDLE")
    );
    let garbage = finding(&all, "env:CURL_CA_BUNDLE");
    assert_eq!(garbage["outcome"], "fail");
    assert!(
        garbage["summary"]
            .as_str()
            .unwrap()
            .contains("no PEM certificate")
    );
}

#[test]
fn proxy_variables_that_bypass_or_loop_are_warned_about() {
    let ctx = TestContext::new().config(&config_with_free_ports());
    let cfg = std::fs::read_to_string(ctx.config_path()).unwrap();
    let proxy = cfg
        .lines()
        .nth(1)
        .unwrap()
        .split('"')
        .nth(1)
        .unwrap()
        .to_owned();
    let ctx = ctx
        .env("HTTPS_PROXY", "http://corp-proxy.example:8080")
        .env("HTTP_PROXY", format!("http://{proxy}"));
    let out = ctx.run(&["doctor", "--json"]);
    out.assert_code(0);
    let all = findings(&out);
    let bypass = finding(&all, "env:HTTPS_PROXY");
    assert_eq!(bypass["outcome"], "warn");
    assert!(
        bypass["hint"].as_str().unwrap().contains("upstream_proxy"),
        "{bypass}"
    );
    let looped = finding(&all, "env:HTTP_PROXY");
    assert_eq!(looped["outcome"], "warn");
    assert!(
        looped["hint"].as_str().unwrap().contains("NO_PROXY"),
        "{looped}"
    );
}

#[test]
fn a_foreign_agent_unit_is_reported() {
    let ctx = TestContext::new().config(&config_with_free_ports());
    ctx.write(
        &ctx.config_home().join("systemd/user/awsproxy.service"),
        "[Service]\nExecStart=/bin/true\n",
    );
    let out = ctx.run(&["doctor", "--json"]);
    let f = finding(&findings(&out), "agent").clone();
    assert_eq!(f["outcome"], "warn");
    assert!(
        f["summary"]
            .as_str()
            .unwrap()
            .contains("not written by awsproxy"),
        "{f}"
    );
}

#[tokio::test]
async fn aws_checks_name_the_failing_profile_repo_bucket_and_session() {
    use crate::support::fakes::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeAws, FakeS3};
    let aws = FakeAws::start().await;
    let s3 = FakeS3::start().await;
    s3.create_bucket("present-bucket");
    let ctx = TestContext::new()
        .config(&format!(
            "{}[creds]\nlisten = \"127.0.0.1:0\"\n[[creds.client]]\nname = \"a\"\ntoken = \"t\"\nprofile = \"dev\"\n[[creds.client]]\nname = \"b\"\ntoken = \"t\"\nprofile = \"ghost\"\n\
             [[repos.pypi]]\nname = \"corp\"\ndomain = \"no-such-domain\"\ndomain_owner = \"123456789012\"\nregion = \"us-east-1\"\nrepository = \"r\"\nprofile = \"dev\"\n\
             [[repos.maven]]\nname = \"ok\"\nbucket = \"present-bucket\"\nregion = \"us-east-1\"\nprofile = \"dev\"\nendpoint = \"{s3}\"\nforce_path_style = true\n\
             [[repos.maven]]\nname = \"gone\"\nbucket = \"missing-bucket\"\nregion = \"us-east-1\"\nprofile = \"dev\"\nendpoint = \"{s3}\"\nforce_path_style = true\n\
             [sso]\nsessions = [\"corp\"]\n",
            config_with_free_ports(),
            s3 = s3.endpoint()
        ))
        .aws_config("[profile dev]\nregion = us-east-1\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n")
        .env("AWS_ENDPOINT_URL_STS", aws.endpoint())
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", aws.endpoint());
    ctx.write(
        &ctx.home().join(".aws/credentials"),
        &format!("[dev]\naws_access_key_id = {FAKE_ACCESS_KEY_ID}\naws_secret_access_key = {FAKE_SECRET_ACCESS_KEY}\n"),
    );
    let name = {
        use sha1::Digest;
        hex::encode(sha1::Sha1::digest(b"corp"))
    };
    ctx.write(
        &ctx.home().join(format!(".aws/sso/cache/{name}.json")),
        r#"{"startUrl": "https://example.awsapps.com/start", "region": "us-east-1", "accessToken": "t", "expiresAt": "2020-01-01T00:00:00Z"}"#,
    );
    let out = ctx.run(&["doctor", "--json"]);
    out.assert_code(4);
    let all = findings(&out);
    assert_eq!(finding(&all, "identity:dev")["outcome"], "pass", "{all:#?}");
    let ghost = finding(&all, "identity:ghost");
    assert_eq!(ghost["outcome"], "fail");
    assert!(
        ghost["summary"].as_str().unwrap().contains("ghost"),
        "{ghost}"
    );
    let repo = finding(&all, "codeartifact:pypi:corp");
    assert_eq!(repo["outcome"], "fail");
    assert!(
        repo["hint"]
            .as_str()
            .unwrap()
            .contains("[[repos.pypi]] corp"),
        "{repo}"
    );
    assert_eq!(finding(&all, "s3:maven:ok")["outcome"], "pass", "{all:#?}");
    let gone = finding(&all, "s3:maven:gone");
    assert_eq!(gone["outcome"], "fail");
    assert!(
        gone["summary"].as_str().unwrap().contains("missing-bucket"),
        "{gone}"
    );
    let sso = finding(&all, "sso:corp");
    assert_eq!(sso["outcome"], "fail");
    assert!(
        sso["hint"]
            .as_str()
            .unwrap()
            .contains("awsproxy sso login corp"),
        "{sso}"
    );
    assert_eq!(
        finding(&all, "clock")["outcome"],
        "pass",
        "the fake's Date is now: {all:#?}"
    );
}

#[test]
fn the_ca_check_knows_whether_the_system_trusts_it() {
    let ctx = TestContext::new().config(&config_with_free_ports());
    let ca = ctx.root().join("ca.pem");
    ctx.run(&["ca", "export", "--out", ca.to_str().unwrap()])
        .assert_code(0);
    let untrusted = ctx.write(
        &ctx.root().join("system.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    let ctx = ctx.env("SSL_CERT_FILE", untrusted.to_str().unwrap());
    let all = findings(&ctx.run(&["doctor", "--json"]));
    let f = finding(&all, "ca");
    assert_eq!(f["outcome"], "warn");
    assert!(
        f["hint"]
            .as_str()
            .unwrap()
            .contains("Trusting the awsproxy CA"),
        "{f}"
    );

    // A bundle that includes awsproxy's CA.
    let bundle = format!(
        "{}{}",
        std::fs::read_to_string(&untrusted).unwrap(),
        std::fs::read_to_string(&ca).unwrap()
    );
    ctx.write(&untrusted, &bundle);
    let all = findings(&ctx.run(&["doctor", "--json"]));
    assert_eq!(finding(&all, "ca")["outcome"], "pass", "{all:#?}");
}

#[test]
fn aws_config_sessions_are_checked_for_form_and_refreshability() {
    let legacy = TestContext::new()
        .config(&config_with_free_ports())
        .aws_config("[profile old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = R\n");
    let all = findings(&legacy.run(&["doctor", "--json"]));
    let f = all
        .iter()
        .find(|f| {
            f["check"]
                .as_str()
                .unwrap()
                .starts_with("aws-config:https://old")
        })
        .unwrap_or_else(|| panic!("{all:#?}"));
    assert_eq!(f["outcome"], "warn");
    assert!(
        f["hint"].as_str().unwrap().contains("[sso-session NAME]"),
        "{f}"
    );

    // An sso-session without its start URL is malformed.
    let broken = TestContext::new()
        .config(&config_with_free_ports())
        .aws_config("[sso-session corp]\nsso_region = us-east-1\n");
    let out = broken.run(&["doctor", "--json"]);
    out.assert_code(4);
    let all = findings(&out);
    let f = finding(&all, "aws-config:sessions");
    assert_eq!(f["outcome"], "fail");
    assert!(f["summary"].as_str().unwrap().contains("corp"), "{f}");
}

#[test]
fn a_public_fallback_is_warned_about_for_every_format() {
    let mounts = "[[repos.pypi]]\nname = \"py\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\nfallback = \"missing\"\n\
                  [[repos.npm]]\nname = \"web\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\nfallback = \"missing\"\nfallback_allow = [\"left-pad\"]\n\
                  [[repos.cargo]]\nname = \"crates\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\nfallback = \"missing\"\n";
    let ctx = TestContext::new()
        .config(&format!("{}{mounts}", config_with_free_ports()))
        .aws_config("[default]\nregion = us-east-1\n");
    let all = findings(&ctx.run(&["doctor", "--json"]));
    for (check, which) in [
        ("fallback:pypi:py", "any name"),
        ("fallback:npm:web", "fallback_allow"),
        ("fallback:cargo:crates", "any name"),
    ] {
        let f = finding(&all, check);
        assert_eq!(f["outcome"], "warn", "{f}");
        let summary = f["summary"].as_str().unwrap();
        assert!(
            summary.contains("dependency confusion") && summary.contains(which),
            "{f}"
        );
    }
}

#[test]
fn loosened_defaults_are_warned_about() {
    let mounts = "[[proxy.rule]]\nhost = \"cdn.example\"\npolicy = \"standard\"\nstore_set_cookie = true\n\
                  [[repos.pypi]]\nname = \"corp\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\nallow_upload = true\n\
                  [[repos.pypi]]\nname = \"ro\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\n\
                  [[repos.maven]]\nname = \"rel\"\nbucket = \"maven-bucket\"\nallow_deploy = true\n\
                  [[repos.npm]]\nname = \"web\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\nallow_publish = true\n\
                  [[repos.cargo]]\nname = \"crates\"\ndomain = \"d\"\ndomain_owner = \"123456789012\"\nrepository = \"r\"\nallow_publish = true\n";
    let ctx = TestContext::new()
        .config(&format!("{}{mounts}", config_with_free_ports()))
        .aws_config("[default]\nregion = us-east-1\n");
    let out = ctx.run(&["doctor", "--json"]);
    let all = findings(&out);
    for check in [
        "publish:pypi:corp",
        "publish:maven:rel",
        "publish:npm:web",
        "publish:cargo:crates",
    ] {
        let f = finding(&all, check);
        assert_eq!(f["outcome"], "warn", "{f}");
        assert!(f["summary"].as_str().unwrap().contains("are on"), "{f}");
    }
    assert!(
        !all.iter().any(|f| f["check"] == "publish:pypi:ro"),
        "{all:#?}"
    );
    assert!(
        !all.iter()
            .any(|f| f["check"].as_str().unwrap().starts_with("fallback:")),
        "fallback is off everywhere: {all:#?}"
    );
    let f = finding(&all, "proxy.rule[0].store_set_cookie");
    assert_eq!(f["outcome"], "warn", "{f}");
    assert!(
        f["summary"].as_str().unwrap().contains("cdn.example"),
        "{f}"
    );
}

#[test]
fn allowed_destinations_are_warned_about() {
    let config = format!(
        "[proxy]\nlisten = \"127.0.0.1:{}\"\nallow_destinations = [\"127.0.0.1:8080\", \"169.254.169.254\"]\n",
        free_port()
    );
    let ctx = TestContext::new()
        .config(&config)
        .aws_config("[default]\nregion = us-east-1\n");
    let out = ctx.run(&["doctor", "--json"]);
    let all = findings(&out);
    let f = finding(&all, "proxy.allow_destinations");
    assert_eq!(f["outcome"], "warn", "{f}");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("127.0.0.1:8080, 169.254.169.254"),
        "{summary}"
    );

    // Not set: no finding.
    let ctx = TestContext::new()
        .config(&config_with_free_ports())
        .aws_config("[default]\nregion = us-east-1\n");
    let all = findings(&ctx.run(&["doctor", "--json"]));
    assert!(
        !all.iter().any(|f| f["check"] == "proxy.allow_destinations"),
        "{all:#?}"
    );
}

/// The default setup: `doctor` run while `serve` holds every port.
#[test]
fn a_running_serve_holds_its_ports_as_awsproxy() {
    let ctx = TestContext::new().config(&config_with_free_ports());
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = crate::support::daemon::Daemon::spawn(cmd);
    for label in ["status page", "forward proxy", "repository listener"] {
        daemon.url_of(label);
    }
    let out = ctx.run(&["doctor", "--json"]);
    let all = findings(&out);
    for check in ["port:proxy", "port:repos", "port:metrics"] {
        let found = finding(&all, check);
        assert_eq!(found["outcome"], "pass", "{check}: {found}");
        assert!(
            found["summary"]
                .as_str()
                .unwrap()
                .contains("held by a running awsproxy"),
            "{found}"
        );
    }
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), 0);
}

#[test]
fn a_local_tier_without_the_s3_store_is_warned_about() {
    let config = format!(
        "{}[cache]\nlocal_size = \"2GiB\"\n",
        config_with_free_ports()
    );
    let ctx = TestContext::new()
        .config(&config)
        .aws_config("[default]\nregion = us-east-1\n");
    let all = findings(&ctx.run(&["doctor", "--json"]));
    let f = finding(&all, "cache.local_size");
    assert_eq!(f["outcome"], "warn", "{f}");
    assert!(f["summary"].as_str().unwrap().contains("ignored"), "{f}");
    // Without any tier setting there is nothing to say.
    let ctx = TestContext::new()
        .config(&format!("{}[cache]\n", config_with_free_ports()))
        .aws_config("[default]\nregion = us-east-1\n");
    let all = findings(&ctx.run(&["doctor", "--json"]));
    assert!(
        !all.iter().any(|f| f["check"] == "cache.local_size"),
        "{all:#?}"
    );
}
