//! `awsproxy serve` as a process: startup lines, health, a taken port, SIGHUP
//! reloads (good and bad), graceful SIGTERM.

use std::time::Duration;

use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::fakes::http_get;

fn spawn(ctx: &TestContext) -> Daemon {
    let mut cmd = ctx.command();
    cmd.arg("serve");
    Daemon::spawn(cmd)
}

#[tokio::test]
async fn starts_reports_its_listeners_and_stops_on_sigterm() {
    let ctx = TestContext::new().config("[metrics]\nlisten = \"127.0.0.1:0\"\n");
    // Without NO_COLOR (the harness sets it), as a user's systemd unit runs it.
    let mut cmd = ctx.command();
    cmd.env_remove("NO_COLOR").arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let url = daemon.url_of("status page");
    let response = http_get(&format!("{url}/healthz")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["server"], "awsproxy");
    let text = body_text(&format!("{url}/metrics")).await;
    assert!(
        text.contains(&format!(
            "awsproxy_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )),
        "{text}"
    );
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), 0);
    // stderr is a pipe here, as under systemd or `2>file`: plain text, no colour codes.
    let log = daemon.log();
    assert!(log.contains("INFO"), "{log}");
    assert!(!log.contains('\x1b'), "{log:?}");
}

#[test]
fn a_taken_port_names_the_port_and_the_key() {
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = squatter.local_addr().unwrap().port();
    let ctx = TestContext::new().config(&format!("[metrics]\nlisten = \"127.0.0.1:{port}\"\n"));
    let out = ctx.run(&["serve"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains(&format!(
            "cannot listen on 127.0.0.1:{port} (`[metrics] listen`)"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("hint: another process holds port {port}")),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn sighup_applies_a_good_config_and_rejects_a_bad_one() {
    let ctx = TestContext::new().config("[metrics]\nlisten = \"127.0.0.1:0\"\n");
    let mut daemon = spawn(&ctx);
    let url = daemon.url_of("status page");

    // An invalid file is rejected; the old listener keeps serving.
    ctx.write(
        &ctx.config_path(),
        "[metrics]\nlisten = \"not an address\"\n",
    );
    daemon.signal("HUP");
    let line = daemon.wait_for("rejected");
    assert!(line.contains("metrics.listen"), "{line}");
    assert_eq!(http_get(&format!("{url}/healthz")).await.status(), 200);

    // A new address moves the service; the old port closes.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    ctx.write(
        &ctx.config_path(),
        &format!("[metrics]\nlisten = \"127.0.0.1:{free}\"\n"),
    );
    daemon.signal("HUP");
    daemon.wait_for("configuration reloaded");
    assert_eq!(
        http_get(&format!("http://127.0.0.1:{free}/healthz"))
            .await
            .status(),
        200
    );
    let old = url.trim_start_matches("http://").to_owned();
    let refused = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(old))
        .await
        .unwrap();
    assert!(refused.is_err(), "old listener still open");

    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), 0);
}

#[test]
fn log_settings_follow_flag_then_env_then_file() {
    // The file asks for JSON logs at info; the startup "listening" line shows which won.
    let ctx = TestContext::new().config(
        "[log]\nformat = \"json\"\nlevel = \"info\"\n[metrics]\nlisten = \"127.0.0.1:0\"\n",
    );
    let mut daemon = spawn(&ctx);
    let line = daemon.wait_for("listening");
    assert!(
        line.starts_with('{') && line.contains("\"service\":\"metrics\""),
        "{line}"
    );
    drop(daemon);

    let mut cmd = ctx.command();
    cmd.env("AWSPROXY_LOG_FORMAT", "human").arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let line = daemon.wait_for("listening");
    assert!(!line.starts_with('{'), "env beats the file: {line}");
    drop(daemon);

    let mut cmd = ctx.command();
    cmd.env("AWSPROXY_LOG_FORMAT", "human")
        .args(["--log-format", "json", "serve"]);
    let mut daemon = Daemon::spawn(cmd);
    let line = daemon.wait_for("listening");
    assert!(line.starts_with('{'), "the flag beats env: {line}");
}

const SSO_CONFIG: &str = "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n";

fn write_sso_token(ctx: &TestContext, expires_at: &str) {
    use sha1::Digest;
    let name = hex::encode(sha1::Sha1::digest(b"corp"));
    ctx.write(
        &ctx.home().join(format!(".aws/sso/cache/{name}.json")),
        &format!(r#"{{"startUrl": "https://example.awsapps.com/start", "region": "us-east-1", "accessToken": "t", "expiresAt": "{expires_at}"}}"#),
    );
}

#[tokio::test]
async fn sso_sessions_show_in_health_metrics_and_the_status_page() {
    let ctx = TestContext::new().aws_config(SSO_CONFIG).config(
        "[sso]\nsessions = [\"corp\"]\nlogin = \"off\"\n[metrics]\nlisten = \"127.0.0.1:0\"\n",
    );
    write_sso_token(&ctx, "2020-01-01T00:00:00Z");
    let mut daemon = spawn(&ctx);
    let url = daemon.url_of("status page");
    daemon.wait_for("SSO watcher");

    let health = http_get(&format!("{url}/healthz")).await;
    assert_eq!(health.status(), 503);
    let body: serde_json::Value = serde_json::from_slice(health.body()).unwrap();
    assert!(
        body["unhealthy"]["sso:corp"]
            .as_str()
            .unwrap()
            .contains("awsproxy sso login corp"),
        "{body}"
    );

    let metrics = body_text(&format!("{url}/metrics")).await;
    assert!(
        metrics.contains("awsproxy_sso_login_needed{session=\"corp\"} 1"),
        "{metrics}"
    );

    let page = body_text(&format!("{url}/")).await;
    assert!(
        page.contains("SSO sessions")
            && page.contains("<td data-label=\"session\">corp</td>")
            && page.contains("Log in: <code>awsproxy sso login corp</code>"),
        "{page}"
    );

    // A fresh login (another tool rewrites the cache) is picked up without a restart.
    write_sso_token(&ctx, "2999-01-01T00:00:00Z");
    assert_eq!(http_get(&format!("{url}/healthz")).await.status(), 200);
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), 0);
}

#[tokio::test]
async fn serves_the_credentials_endpoint_with_its_metrics_on_the_metrics_listener() {
    let ctx = TestContext::new().config(
        "[metrics]\nlisten = \"127.0.0.1:0\"\n[creds]\nlisten = \"127.0.0.1:0\"\n[[creds.client]]\nname = \"app\"\ntoken = \"app-token\"\naccess_key_id = \"AKIDSTATICFAKE\"\nsecret_access_key = \"fake-secret\"\n",
    );
    let mut daemon = spawn(&ctx);
    let metrics_url = daemon.url_of("status page");
    let creds_url = daemon.url_of("ECS credentials endpoint");

    let (status, _, body) = get_with(
        &format!("{creds_url}/v1/credentials"),
        &[("authorization", "app-token")],
    )
    .await;
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"AccessKeyId\":\"AKIDSTATICFAKE\""),
        "{body}"
    );

    let text = body_text(&format!("{metrics_url}/metrics")).await;
    assert!(
        text.contains("awsproxy_creds_requests_total{client=\"app\""),
        "{text}"
    );
    assert_eq!(text.matches("# EOF").count(), 1, "{text}");
    assert!(text.ends_with("# EOF\n"));
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), 0);
}

/// `host:port` of an `http://` URL, and its path (`/` when empty).
pub(crate) fn split_url(url: &str) -> (&str, String) {
    let rest = url.trim_start_matches("http://");
    rest.split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")))
}

/// Sends `GET target` (a path, or an absolute URL for a proxy) to `connect_to`
/// and returns the open connection, for tests that read the response slowly.
pub(crate) async fn open_get(
    connect_to: &str,
    target: &str,
    host: &str,
    extra: &[(&str, &str)],
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(connect_to).await.unwrap();
    let mut req = format!("GET {target} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s
}

/// A GET of `url` through the forward proxy at `proxy`.
pub(crate) async fn via_proxy(proxy: &str, url: &str) -> (u16, String, Vec<u8>) {
    let (proxy, _) = split_url(proxy);
    let (host, _) = split_url(url);
    crate::support::raw::read_response(open_get(proxy, url, host, &[]).await).await
}

/// A GET of `url` with extra request headers.
pub(crate) async fn get_with(url: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let (authority, path) = split_url(url);
    crate::support::raw::read_response(open_get(authority, &path, authority, headers).await).await
}

/// A response body as text.
async fn body_text(url: &str) -> String {
    String::from_utf8(http_get(url).await.body().to_vec()).unwrap()
}

#[tokio::test]
async fn with_no_config_serve_runs_the_embedded_default_and_caches_through_the_proxy() {
    use crate::support::origin::{Origin, Reply};
    let origin = Origin::start();
    origin.set(
        "/pkg.tar.gz",
        Reply::ok(vec![7u8; 64 * 1024])
            .header("cache-control", "max-age=3600")
            .header("etag", "\"v1\""),
    );
    // No config file: the embedded default, with ports moved by AWSPROXY_* variables.
    let ctx = TestContext::new()
        .env("AWSPROXY_PROXY_LISTEN", "127.0.0.1:0")
        .env("AWSPROXY_REPOS_LISTEN", "127.0.0.1:0")
        .env("AWSPROXY_METRICS_LISTEN", "127.0.0.1:0");
    let mut daemon = spawn(&ctx);
    let metrics = daemon.url_of("status page");
    let proxy = daemon.url_of("forward proxy");
    let repos = daemon.url_of("repository listener");
    assert!(repos.starts_with("http://127.0.0.1:"), "{repos}");

    // The origin is on loopback, which the default refuses to proxy clients;
    // the default with `allow_destinations` for it reaches it.
    let url = origin.url("/pkg.tar.gz");
    let (status, headers, _) = via_proxy(&proxy, &url).await;
    assert_eq!(status, 403, "{headers}");
    assert_eq!(origin.count("/pkg.tar.gz"), 0);
    let default = ctx.run(&["config", "default"]).stdout;
    let allowed = default.replacen(
        "[proxy]\n",
        "[proxy]\nallow_destinations = [\"127.0.0.1\"]\n",
        1,
    );
    assert_ne!(allowed, default, "the default has a [proxy] section");
    ctx.write(&ctx.config_path(), &allowed);
    daemon.signal("HUP");
    daemon.wait_for("configuration reloaded");

    let (status, headers, body) = via_proxy(&proxy, &url).await;
    assert!(status == 200, "{status}");
    assert_eq!(body.len(), 64 * 1024);
    assert!(
        headers.contains("cache-status: awsproxy; fwd=uri-miss; stored"),
        "{headers}"
    );
    let (_, headers, body) = via_proxy(&proxy, &url).await;
    assert!(headers.contains("cache-status: awsproxy; hit"), "{headers}");
    assert_eq!(body.len(), 64 * 1024);
    assert_eq!(
        origin.count("/pkg.tar.gz"),
        1,
        "the second request is a cache hit"
    );
    assert!(
        ctx.cache_home().join("awsproxy/http").is_dir(),
        "the disk store lives under XDG_CACHE_HOME"
    );

    let text = body_text(&format!("{metrics}/metrics")).await;
    assert!(
        text.contains("awsproxy_cache_responses_total{service=\"proxy\",outcome=\"hit\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("awsproxy_cache_responses_total{service=\"proxy\",outcome=\"miss\"} 1"),
        "{text}"
    );
    let page = body_text(&format!("{metrics}/")).await;
    assert!(
        page.contains("<h2>Cache</h2>")
            && page.contains(
                "<td data-label=\"service\">proxy</td><td data-label=\"hits\">1</td><td data-label=\"revalidated\">0</td><td data-label=\"misses\">1</td><td data-label=\"stale\">0</td><td data-label=\"upstream errors\">0</td><td data-label=\"hit ratio\">50%</td>"
            )
            && page.contains("served from the cache"),
        "{page}"
    );

    let health = http_get(&format!("{metrics}/healthz")).await;
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(health.body()).unwrap();
    for component in ["proxy", "repos", "metrics"] {
        assert_eq!(body["components"][component]["state"], "healthy", "{body}");
    }
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), 0);
}

#[tokio::test]
async fn every_service_at_once_against_the_fakes_with_a_reload() {
    use crate::support::fakes::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeAws, FakeS3};
    use crate::support::origin::{Origin, Reply};
    use crate::support::pypi_upstream::PypiUpstream;

    let aws = FakeAws::start().await;
    let pypi = PypiUpstream::start(aws.shared());
    aws.state().codeartifact.repository_endpoint =
        format!("{}/{{format}}/{{repository}}/", pypi.url());
    pypi.add("demo", "1.0", "demo-1.0.tar.gz", b"demo sdist bytes");
    let s3 = FakeS3::start().await;
    s3.create_bucket("artifacts");
    s3.put(
        "artifacts",
        "maven2/com/example/lib/1.0/lib-1.0.jar",
        b"jar bytes",
    );
    let origin = Origin::start();
    origin.set(
        "/page",
        Reply::ok("from the origin").header("cache-control", "max-age=60"),
    );
    const BIG: usize = 16 * 1024 * 1024;
    origin.set(
        "/big",
        Reply::ok(vec![3u8; BIG]).header("cache-control", "max-age=60"),
    );

    let config = |clients: &str| {
        format!(
            "[metrics]\nlisten = \"127.0.0.1:0\"\n[proxy]\nlisten = \"127.0.0.1:0\"\nallow_destinations = [\"127.0.0.1\"]\n[repos]\nlisten = \"127.0.0.1:0\"\n\
             [[repos.pypi]]\nname = \"corp\"\ndomain = \"fake-domain\"\ndomain_owner = \"123456789012\"\nregion = \"us-east-1\"\nrepository = \"pypi-store\"\n\
             [[repos.maven]]\nname = \"releases\"\nbucket = \"artifacts\"\nprefix = \"maven2\"\nregion = \"us-east-1\"\nendpoint = \"{}\"\nforce_path_style = true\n\
             [sso]\nlogin = \"off\"\n[creds]\nlisten = \"127.0.0.1:0\"\n{clients}",
            s3.endpoint()
        )
    };
    let app = format!(
        "[[creds.client]]\nname = \"app\"\ntoken = \"app-token\"\naccess_key_id = \"{FAKE_ACCESS_KEY_ID}\"\nsecret_access_key = \"{FAKE_SECRET_ACCESS_KEY}\"\nrole_arn = \"arn:aws:iam::123456789012:role/App\"\n"
    );
    let ctx = TestContext::new()
        .config(&config(&app))
        .env("AWS_ENDPOINT_URL_STS", aws.endpoint())
        .env("AWS_ENDPOINT_URL_CODEARTIFACT", aws.endpoint())
        .fake_aws_keys()
        .env("AWS_REGION", "us-east-1");
    let mut daemon = spawn(&ctx);
    // Startup lines come in service order.
    let metrics = daemon.url_of("status page");
    daemon.wait_for("SSO watcher");
    let creds = daemon.url_of("ECS credentials endpoint");
    let proxy = daemon.url_of("forward proxy");
    let repos = daemon.url_of("repository listener");

    // One request through each service.
    let (status, _, body) = via_proxy(&proxy, &origin.url("/page")).await;
    assert!(status == 200 && body == b"from the origin", "{status}");
    let (status, _, body) = get_with(
        &format!("{creds}/v1/credentials"),
        &[("authorization", "app-token")],
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("\"AccessKeyId\":\"ASIAFAKE"));
    let (status, _, body) = get_with(&format!("{repos}/pypi/corp/simple/demo/"), &[]).await;
    let page = String::from_utf8_lossy(&body).into_owned();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("demo-1.0.tar.gz") && !page.contains(&pypi.authority()),
        "{page}"
    );
    let (status, _, body) = get_with(
        &format!("{repos}/maven/releases/com/example/lib/1.0/lib-1.0.jar"),
        &[],
    )
    .await;
    assert_eq!((status, body.as_slice()), (200, b"jar bytes".as_slice()));
    let (status, _, body) = get_with(&format!("{metrics}/healthz"), &[]).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    // The repository listener's row names a `setup` command per mount and tool.
    let page = body_text(&format!("{metrics}/")).await;
    let row = page
        .split("<tr data-component=\"repos\">")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("no repos row: {page}"));
    for tool in ["pip", "uv"] {
        let line = format!("<code>awsproxy setup {tool} --mount corp</code>");
        assert!(row.contains(&line), "{line}: {row}");
    }
    assert!(
        row.contains("<code>awsproxy setup maven --mount releases</code>")
            && row.contains("/pypi/NAME/simple/")
            && !row.contains("setup npm")
            && !row.contains("setup cargo"),
        "{row}"
    );

    // SIGHUP with a second client: only the credentials endpoint restarts.
    let both = format!(
        "{app}[[creds.client]]\nname = \"other\"\ntoken = \"other-token\"\naccess_key_id = \"{FAKE_ACCESS_KEY_ID}\"\nsecret_access_key = \"{FAKE_SECRET_ACCESS_KEY}\"\n"
    );
    ctx.write(&ctx.config_path(), &config(&both));
    daemon.signal("HUP");
    let line = daemon.wait_for("configuration reloaded");
    assert!(line.contains("creds") && !line.contains("proxy"), "{line}");
    let (status, _, _) = get_with(
        &format!("{creds}/v1/credentials"),
        &[("authorization", "other-token")],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = via_proxy(&proxy, &origin.url("/page")).await;
    assert!(status == 200, "the proxy kept running: {status}");
    // One registry: every family once, the restarted endpoint's included.
    let text = body_text(&format!("{metrics}/metrics")).await;
    let mut families: Vec<&str> = text.lines().filter(|l| l.starts_with("# TYPE ")).collect();
    let all = families.len();
    families.sort_unstable();
    families.dedup();
    assert_eq!(families.len(), all, "a family shows twice: {text}");
    for family in [
        "awsproxy_build_info",
        "awsproxy_cache_responses",
        "awsproxy_creds_requests",
        "awsproxy_pypi_requests",
        "awsproxy_maven_requests",
        "awsproxy_sso_login_needed",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{family}: {text}"
        );
    }
    assert!(
        text.contains("awsproxy_creds_requests_total{client=\"other\",outcome=\"ok\"} 1"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");

    // SIGTERM in the middle of a large transfer: it finishes, nothing partial stays.
    use tokio::io::AsyncReadExt;
    let url = origin.url("/big");
    let (proxy_addr, _) = split_url(&proxy);
    let (host, _) = split_url(&url);
    let mut s = open_get(proxy_addr, &url, host, &[]).await;
    let mut first = vec![0u8; 64 * 1024];
    s.read_exact(&mut first).await.unwrap();
    daemon.signal("TERM");
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).await.unwrap();
    assert!(first.len() + rest.len() > BIG, "the transfer finished");
    assert_eq!(daemon.wait_exit(), 0);
    let out = ctx.run(&["cache", "ls", "--json"]);
    out.assert_code(0);
    let entries: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let big: Vec<_> = entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["url"].as_str().unwrap().ends_with("/big"))
        .collect();
    assert_eq!(big.len(), 1, "{entries}");
    assert_eq!(big[0]["body_size"], BIG as u64);
}

/// A newcomer's first stop: with nothing configured yet, each section of the
/// status page says what is missing and how to add it, instead of a table of
/// headers.
#[tokio::test]
async fn a_fresh_status_page_says_what_to_add_instead_of_empty_tables() {
    let ctx = TestContext::new().config(
        "[proxy]\nlisten = \"127.0.0.1:0\"\n[repos]\nlisten = \"127.0.0.1:0\"\n[metrics]\nlisten = \"127.0.0.1:0\"\n[sso]\n",
    );
    let mut daemon = spawn(&ctx);
    let url = daemon.url_of("status page");
    let sections = [
        ("SSO sessions", "<code>aws configure sso</code>"),
        ("Cache", "<code>HTTPS_PROXY</code>"),
        ("PyPI repositories", "<code>[[repos.pypi]]</code>"),
    ];
    // Each service registers its section as it starts, beside its listener.
    let mut html = String::new();
    for _ in 0..400 {
        html = body_text(&format!("{url}/")).await;
        if sections
            .iter()
            .all(|(title, _)| html.contains(&format!("<h2>{title}</h2>")))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (title, hint) in sections {
        let section = html
            .split("<h2>")
            .find(|s| s.starts_with(&format!("{title}</h2>")))
            .unwrap_or_else(|| panic!("no {title} section: {html}\n{}", daemon.log()));
        assert!(!section.contains("<table>"), "{title}: {section}");
        assert!(section.contains("class=\"empty\""), "{title}: {section}");
        assert!(section.contains(hint), "{title}: {section}");
    }
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), 0);
}

/// With interception off the forward proxy loads no CA, so a container's
/// read-only data directory is fine: nothing is created there, and
/// `http://awsproxy.ca/` says why there is no certificate.
#[tokio::test]
async fn a_proxy_without_interception_creates_no_ca() {
    use tokio::io::AsyncWriteExt as _;
    let ctx = TestContext::new().config("[proxy]\nlisten = \"127.0.0.1:0\"\nintercept = false\n");
    let mut daemon = spawn(&ctx);
    let proxy = daemon.url_of("forward proxy");
    let addr = proxy.trim_start_matches("http://").trim_end_matches('/');
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"GET http://awsproxy.ca/ HTTP/1.1\r\nhost: awsproxy.ca\r\nconnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let (status, _, body) = crate::support::raw::read_response(s).await;
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("interception is off"), "{body}");
    let created: Vec<_> = walk(&ctx.data_home());
    assert!(
        !created
            .iter()
            .any(|p| p.ends_with("ca.pem") || p.ends_with("ca-key.pem")),
        "{created:?}"
    );
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), 0);
}

/// Every file below `dir` (none if it doesn't exist).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
