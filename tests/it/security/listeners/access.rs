//! A shared awsproxy: clients on other machines, told apart by the tokens of
//! `[[access.token]]` and by `allow_clients`. The attacker has no token, a
//! token for something else, or sits on a network the listener doesn't serve.

use base64::Engine as _;

use super::{Stack, TOKEN, send};
use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::fakes::FakeAws;
use crate::support::netns::OtherMachine;
use crate::support::pypi_upstream::PypiUpstream;

const CI: &str = "ci-secret-0123456789";
const WEB: &str = "web-secret-0123456789";

/// A token for every listener.
const CI_TOKEN: &str = "[[access.token]]\nname = \"ci\"\ntoken = \"ci-secret-0123456789\"\n";
/// A token for one mount of the repository listener.
const WEB_TOKEN: &str = "[[access.token]]\nname = \"web\"\ntoken = \"web-secret-0123456789\"\n\
                         mounts = [\"maven/corp\"]\nlisteners = [\"repos\"]\n";

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_needs_a_token_and_tokens_go_nowhere_else() {
    let st = Stack::start_with("", &format!("{CI_TOKEN}{WEB_TOKEN}")).await;
    st.pypi
        .add("demo", "1.0", "demo-1.0.tar.gz", b"private bytes");
    let page = "/pypi/corp/simple/demo/";
    let host = Some("localhost");

    // The repository listener: no token, a wrong one, a Proxy-Authorization.
    for headers in [
        vec![],
        vec![("authorization", "Bearer ci-secret-01234567890")],
        vec![("authorization", "Basic Y2k6")],
        vec![("proxy-authorization", &*basic("ci", CI))],
    ] {
        let got = send(&st.repos, "GET", page, host, &headers).await;
        assert_eq!(got.status, 401, "{headers:?}: {}", got.text());
        assert_eq!(
            got.header("www-authenticate").as_deref(),
            Some("basic realm=\"awsproxy\"")
        );
        assert!(!got.text().contains("demo-1.0"), "{}", got.text());
        assert!(got.text().contains("hint:"), "{}", got.text());
    }
    // Each form a client uses: pip/uv (Basic), npm (Bearer), cargo (bare).
    for value in [
        basic("__token__", CI),
        format!("Bearer {CI}"),
        CI.to_owned(),
    ] {
        let got = send(&st.repos, "GET", page, host, &[("authorization", &value)]).await;
        assert_eq!(got.status, 200, "{value}: {}", got.text());
        assert!(got.text().contains("demo-1.0.tar.gz"), "{}", got.text());
    }
    // A token limited to a mount gets nothing from another one.
    let web = format!("Bearer {WEB}");
    let got = send(&st.repos, "GET", page, host, &[("authorization", &web)]).await;
    assert_eq!(got.status, 403, "{}", got.text());
    assert!(!got.text().contains("demo-1.0"));
    let got = send(
        &st.repos,
        "GET",
        "/maven/corp/org/x/maven-metadata.xml",
        host,
        &[("authorization", &web)],
    )
    .await;
    assert!(
        ![401, 403].contains(&got.status),
        "its own mount: {}",
        got.text()
    );

    // The status listener.
    let got = send(&st.metrics, "GET", "/healthz", host, &[]).await;
    assert_eq!(got.status, 401, "{}", got.text());
    let got = send(
        &st.metrics,
        "GET",
        "/healthz",
        host,
        &[("authorization", &web)],
    )
    .await;
    assert_eq!(got.status, 401, "web's token is for [repos] only");
    let got = send(
        &st.metrics,
        "GET",
        "/healthz",
        host,
        &[("authorization", &basic("prometheus", CI))],
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text());

    // The forward proxy: 407 for a plain request and for CONNECT.
    let target = "http://example.com/";
    for (method, target) in [("GET", target), ("CONNECT", "example.com:443")] {
        let got = send(&st.proxy, method, target, Some("example.com"), &[]).await;
        assert_eq!(got.status, 407, "{method}: {}", got.text());
        assert_eq!(
            got.header("proxy-authenticate").as_deref(),
            Some("basic realm=\"awsproxy\"")
        );
    }
    for wrong in [basic("web", WEB), basic("web", CI), basic("ci", WEB)] {
        let got = send(
            &st.proxy,
            "GET",
            target,
            Some("example.com"),
            &[("proxy-authorization", &wrong)],
        )
        .await;
        assert_eq!(got.status, 407, "{wrong}: {}", got.text());
    }
    // With ci's name and token the request gets through to the destination
    // check (a loopback origin is refused as ever), not a 407.
    let own = format!("http://{}/", st.repos);
    let got = send(
        &st.proxy,
        "GET",
        &own,
        Some(&st.repos),
        &[("proxy-authorization", &basic("ci", CI))],
    )
    .await;
    assert_eq!(got.status, 403, "{}", got.text());
    // The CA certificate stays public: a new machine fetches it first.
    let got = send(
        &st.proxy,
        "GET",
        "http://awsproxy.ca/",
        Some("awsproxy.ca"),
        &[],
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text());

    // The credentials endpoint keeps its own per-client tokens.
    let got = send(
        &st.creds,
        "GET",
        "/v1/credentials",
        host,
        &[("authorization", TOKEN)],
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text());

    // The repository only ever saw awsproxy's own CodeArtifact token.
    assert_eq!(st.pypi.unauthorized(), 0);

    // Counted per token name; no token in the metrics or the log.
    let metrics = send(
        &st.metrics,
        "GET",
        "/metrics",
        host,
        &[("authorization", &format!("Bearer {CI}"))],
    )
    .await
    .text();
    for line in [
        "awsproxy_access_requests_total{listener=\"repos\",principal=\"ci\",outcome=\"allowed\"} 3",
        "awsproxy_access_requests_total{listener=\"repos\",principal=\"web\",outcome=\"forbidden\"} 1",
        "awsproxy_access_requests_total{listener=\"proxy\",principal=\"-\",outcome=\"unauthenticated\"} 5",
    ] {
        assert!(metrics.contains(line), "{line} in:\n{metrics}");
    }
    let log = st.log();
    for secret in [CI, WEB] {
        assert!(
            !metrics.contains(secret) && !log.contains(secret),
            "{secret} leaked"
        );
    }
}

/// A pypi mount on `listen` with `extra` in `[repos]`, over the fakes.
async fn serve_repos(
    listen: &str,
    extra: &str,
) -> (FakeAws, PypiUpstream, TestContext, Daemon, String) {
    let aws = FakeAws::start().await;
    let pypi = PypiUpstream::start(aws.shared());
    aws.state().codeartifact.repository_endpoint =
        format!("{}/{{format}}/{{repository}}/", pypi.url());
    pypi.add("demo", "1.0", "demo-1.0.tar.gz", b"private bytes");
    let config = format!(
        "[repos]\nlisten = \"{listen}\"\n{extra}\n\
         [[repos.pypi]]\nname = \"corp\"\ndomain = \"fake-domain\"\ndomain_owner = \"{}\"\n\
         region = \"us-east-1\"\nrepository = \"repo\"\n{CI_TOKEN}",
        super::OWNER
    );
    let ctx = TestContext::new()
        .config(&config)
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", aws.endpoint())
        .fake_aws_keys()
        .env("AWS_REGION", "us-east-1");
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let url = daemon.url_of("repository listener");
    let port = url.rsplit(':').next().unwrap().to_owned();
    (aws, pypi, ctx, daemon, port)
}

/// `curl` (no proxy from the environment) with `args`: the HTTP status, or
/// `Err(curl's exit code)` when no answer came.
fn curl_status(mut curl: std::process::Command, args: &[&str]) -> Result<String, i32> {
    let out = curl
        .args(["-sS", "--noproxy", "*", "-m", "10", "-o", "/dev/null"])
        .args(["-w", "%{http_code}"])
        .args(args)
        .output()
        .expect("run curl");
    match out.status.code() {
        Some(0) => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        code => Err(code.unwrap_or(-1)),
    }
}

/// [`curl_status`] inside `machine`.
fn curl_from(machine: &OtherMachine, args: &[&str]) -> Result<String, i32> {
    curl_status(machine.command("curl"), args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_machine_needs_an_allowed_network_and_a_token() {
    // The other machine reaches this one on two networks; only one is served.
    let machine = OtherMachine::new("acc", &["10.231.7", "10.232.7"]);
    let (allowed_host, allowed_client) = machine.addresses[0].clone();
    let (other_host, other_client) = machine.addresses[1].clone();
    let (_aws, pypi, _ctx, mut daemon, port) =
        serve_repos("0.0.0.0:0", "allow_clients = [\"10.231.7.0/24\"]\n").await;
    let page = |host: &str| format!("http://{host}:{port}/pypi/corp/simple/demo/");

    // From the served network: 401 without a token, the page with one.
    let from = ["--interface", &allowed_client];
    let status = |extra: &[&str], url: &str| {
        let mut args: Vec<&str> = from.to_vec();
        args.extend_from_slice(extra);
        args.push(url);
        curl_from(&machine, &args)
    };
    assert_eq!(status(&[], &page(&allowed_host)), Ok("401".to_owned()));
    let user = format!("ci:{CI}");
    assert_eq!(
        status(&["-u", &user], &page(&allowed_host)),
        Ok("200".to_owned())
    );
    let bearer = format!("authorization: Bearer {CI}");
    assert_eq!(
        status(&["-H", &bearer], &page(&allowed_host)),
        Ok("200".to_owned())
    );

    // From the other network, even with the token: the connection is closed
    // before any answer (curl: 52 empty reply, or 56 reset).
    let refused = curl_from(
        &machine,
        &[
            "--interface",
            &other_client,
            "-u",
            &user,
            &page(&other_host),
        ],
    );
    assert!(matches!(refused, Err(52 | 56)), "{refused:?}");
    daemon.wait_for("not in allow_clients");

    // This machine's own tools still get in over loopback (with a token).
    let local = curl_status(
        std::process::Command::new("curl"),
        &["-u", &user, &page("127.0.0.1")],
    );
    assert_eq!(local, Ok("200".to_owned()));
    assert_eq!(pypi.unauthorized(), 0);
}

#[test]
fn a_listener_with_access_control_may_leave_loopback() {
    for extra in ["allow_clients = [\"10.0.0.0/8\"]\n", ""] {
        let config = format!("[repos]\nlisten = \"0.0.0.0:0\"\n{extra}{CI_TOKEN}");
        let ctx = TestContext::new().config(&config);
        let mut cmd = ctx.command();
        cmd.arg("serve");
        let mut daemon = Daemon::spawn(cmd);
        let url = daemon.url_of("repository listener");
        assert!(url.starts_with("http://0.0.0.0:"), "{extra}: {url}");
        // doctor warns that tokens cross the network in clear.
        let out = ctx.command().args(["doctor", "--json"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("listen:repos") && text.contains("plain HTTP"),
            "{text}"
        );
    }
}
