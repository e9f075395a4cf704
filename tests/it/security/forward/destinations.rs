//! The forward proxy as a way into the machine it runs on: a proxy client asks
//! for a loopback port (any local service, awsproxy's own listeners among
//! them) or for the instance metadata service at 169.254.169.254. Loopback,
//! unspecified and link-local destinations are refused with a 403 before any
//! connection, however the address is spelled and whatever a name resolves to;
//! `[proxy] allow_destinations` opens the ones a user wants, but awsproxy's own
//! listeners only where an entry names their port.
//!
//! Nothing here sends a packet off loopback: the link-local requests go through
//! an upstream proxy on 127.0.0.1 that records what reaches it.

use std::sync::{Arc, Mutex};

use crate::support::fakes::ServerThread;

use super::{Raw, VhostOrigin, read_response, send, serve, tunnel, write_request};

/// A refusal: 403, RFC 9209 `Proxy-Status`, and a hint naming the setting.
#[track_caller]
fn assert_refused(raw: &Raw, what: &str) {
    assert_eq!(raw.status, 403, "{what}: {raw:?}");
    let status = raw.header("proxy-status").unwrap_or_default();
    assert!(
        status.contains("error=destination_ip_prohibited"),
        "{what}: {raw:?}"
    );
    assert!(raw.body.contains("allow_destinations"), "{what}: {raw:?}");
}

fn refused_connect(proxy: &str, target: &str) -> Raw {
    match tunnel(proxy, target) {
        Ok(_) => panic!("CONNECT {target}: the tunnel opened"),
        Err(raw) => raw,
    }
}

#[test]
fn a_proxy_client_cannot_reach_loopback_by_any_spelling_of_its_address() {
    let origin = VhostOrigin::start();
    let served = serve("", "");
    let port = origin.port();
    for host in [
        "127.0.0.1".to_owned(),
        "127.0.0.2".to_owned(),
        "localhost".to_owned(),
        "LocalHost.".to_owned(),
        "app.localhost".to_owned(),
        "[::1]".to_owned(),
        "[::ffff:127.0.0.1]".to_owned(),
        "[::ffff:7f00:1]".to_owned(),
        "2130706433".to_owned(),
        "0x7f.1".to_owned(),
        "0177.0.0.1".to_owned(),
        "127.1".to_owned(),
        "0.0.0.0".to_owned(),
        "[::]".to_owned(),
    ] {
        let url = format!("http://{host}:{port}/secret");
        let got = send(&served.proxy, &format!("GET {url}"), &[]);
        assert_refused(&got, &url);
        let got = send(
            &served.proxy,
            &format!("POST {url}"),
            &["content-length: 0"],
        );
        assert_refused(&got, &format!("POST {url}"));
    }
    assert!(
        origin.hosts().is_empty(),
        "the origin was reached: {:?}",
        origin.hosts()
    );
}

#[test]
fn connect_tunnels_to_loopback_are_refused_intercepted_or_not() {
    let origin = VhostOrigin::start();
    let port = origin.port();
    for keys in ["", "intercept = false"] {
        let served = serve(keys, "");
        for target in [
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::ffff:127.0.0.1]:{port}"),
            format!("2130706433:{port}"),
        ] {
            let got = refused_connect(&served.proxy, &target);
            assert_refused(&got, &format!("CONNECT {target} ({keys:?})"));
        }
    }
    assert!(origin.hosts().is_empty(), "{:?}", origin.hosts());
}

/// An upstream proxy on 127.0.0.1 that answers every request itself and
/// records each request line with its `X-Forwarded-For`.
struct UpstreamSink {
    server: ServerThread,
    seen: Arc<Mutex<Vec<String>>>,
}

impl UpstreamSink {
    fn start() -> Self {
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let record = seen.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let record = record.clone();
            async move {
                let forwarded = req
                    .headers()
                    .get("x-forwarded-for")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_owned();
                record.lock().unwrap().push(format!(
                    "{} {} xff={forwarded}",
                    req.method(),
                    req.uri()
                ));
                "from the upstream proxy"
            }
        });
        let server = ServerThread::spawn("upstream-sink", move |listener| async move {
            let _ = axum::serve(listener, app).await;
        })
        .expect("start the upstream proxy");
        Self { server, seen }
    }

    fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

#[test]
fn instance_metadata_is_refused_before_anything_is_sent() {
    let sink = UpstreamSink::start();
    let chained = format!("upstream_proxy = \"{}\"", sink.url());
    let served = serve(&chained, "");
    for (request_line, headers) in [
        ("GET http://169.254.169.254/latest/meta-data/", &[][..]),
        (
            "PUT http://169.254.169.254/latest/api/token",
            &[
                "x-aws-ec2-metadata-token-ttl-seconds: 21600",
                "content-length: 0",
            ][..],
        ),
        ("GET http://169.254.170.2/v2/credentials/x", &[][..]),
        ("GET http://[fe80::a9fe:a9fe]/latest/meta-data/", &[][..]),
        (
            "GET http://[::ffff:169.254.169.254]/latest/meta-data/",
            &[][..],
        ),
        ("GET http://2852039166/latest/meta-data/", &[][..]),
    ] {
        let got = send(&served.proxy, request_line, headers);
        assert_refused(&got, request_line);
    }
    for target in ["169.254.169.254:80", "[fe80::1]:443"] {
        let got = refused_connect(&served.proxy, target);
        assert_refused(&got, &format!("CONNECT {target}"));
    }
    assert!(
        sink.seen().is_empty(),
        "requests left awsproxy: {:?}",
        sink.seen()
    );
    drop(served);

    // Allowed, it goes through the (loopback) upstream proxy, which is never
    // checked itself, and carries X-Forwarded-For, which IMDSv2 refuses tokens
    // to: a client cannot take an instance's role through the proxy.
    let served = serve(
        &format!("{chained}\nallow_destinations = [\"169.254.169.254\"]"),
        "",
    );
    let got = send(
        &served.proxy,
        "GET http://169.254.169.254/latest/meta-data/",
        &[],
    );
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.body, "from the upstream proxy");
    assert_eq!(
        sink.seen(),
        ["GET http://169.254.169.254/latest/meta-data/ xff=127.0.0.1"]
    );
}

#[test]
fn awsproxys_own_listeners_are_refused_even_where_loopback_is_allowed() {
    let origin = VhostOrigin::start();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Loopback in general, and the status page by its port.
    let mut served = serve(
        &format!("allow_destinations = [\"127.0.0.0/8\", \"::1\", \"127.0.0.1:{free}\"]"),
        &format!("[metrics]\nlisten = \"127.0.0.1:{free}\"\n[repos]\nlisten = \"127.0.0.1:0\"\n"),
    );
    let repos = served
        .daemon
        .url_of("repository listener")
        .trim_start_matches("http://")
        .to_owned();
    let repos_port = repos.rsplit(':').next().unwrap().to_owned();
    for url in [
        format!("http://{repos}/pypi/"),
        format!("http://localhost:{repos_port}/pypi/"),
        format!("http://[::ffff:127.0.0.1]:{repos_port}/pypi/"),
        format!("http://0.0.0.0:{repos_port}/pypi/"),
        format!("http://{}/", served.proxy),
    ] {
        let got = send(&served.proxy, &format!("GET {url}"), &[]);
        assert_refused(&got, &url);
    }
    let got = refused_connect(&served.proxy, &repos);
    assert_refused(&got, &format!("CONNECT {repos}"));

    // What the allow list names is reached: any loopback port, and the status
    // page whose port it lists.
    let got = send(
        &served.proxy,
        &format!("GET http://127.0.0.1:{}/ok", origin.port()),
        &[],
    );
    assert_eq!(got.status, 200, "{got:?}");
    let got = send(
        &served.proxy,
        &format!("GET http://127.0.0.1:{free}/healthz"),
        &[],
    );
    assert_eq!(got.status, 200, "{got:?}");
}

#[test]
fn an_allowed_loopback_origin_is_served_and_cached() {
    let origin = VhostOrigin::start();
    let port = origin.port();
    let served = serve(&format!("allow_destinations = [\"127.0.0.1:{port}\"]"), "");
    let url = format!("http://127.0.0.1:{port}/page");
    let first = send(&served.proxy, &format!("GET {url}"), &[]);
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.body, "site 127.0.0.1");
    let again = send(&served.proxy, &format!("GET {url}"), &[]);
    assert_eq!(again.body, "site 127.0.0.1");
    assert!(
        again
            .header("cache-status")
            .is_some_and(|s| s.contains("hit")),
        "{again:?}"
    );
    assert_eq!(origin.hosts().len(), 1, "{:?}", origin.hosts());

    // An intercepted tunnel to it works too (plain HTTP inside).
    let mut inside = tunnel(&served.proxy, &format!("127.0.0.1:{port}")).expect("tunnel opens");
    write_request(
        &mut inside,
        "GET /tunnelled",
        &[&format!("host: 127.0.0.1:{port}")],
    );
    let got = read_response(&mut inside);
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(origin.hosts().len(), 2, "{:?}", origin.hosts());

    // Another port on loopback is still refused.
    let got = send(&served.proxy, "GET http://127.0.0.1:9/", &[]);
    assert_refused(&got, "another loopback port");
}

#[test]
fn a_name_that_resolves_to_loopback_is_refused_after_resolution() {
    // What a rebinding attacker's DNS answers; the daemon alone sees it.
    let name = "rebound.attacker.test";
    let hosts = format!("127.0.0.1 localhost\n127.0.0.1 {name}\n");
    let serve = |keys: &str, rest: &str| super::serve_with_hosts(&hosts, keys, rest);
    let origin = VhostOrigin::start();
    let port = origin.port();
    let target = format!("{name}:{port}");
    let served = serve("", "");
    let got = send(&served.proxy, &format!("GET http://{target}/"), &[]);
    assert_refused(&got, &target);
    assert!(got.body.contains("127.0.0.1"), "names the address: {got:?}");
    let got = send(
        &served.proxy,
        &format!("POST http://{target}/"),
        &["content-length: 0"],
    );
    assert_refused(&got, &format!("POST {target}"));
    // An intercepted tunnel opens (nothing is resolved yet); each request
    // inside is refused when its connection is.
    let mut inside = tunnel(&served.proxy, &target).expect("an intercepted tunnel opens");
    write_request(&mut inside, "GET /", &[&format!("host: {target}")]);
    assert_refused(&read_response(&mut inside), "inside the tunnel");
    // A passthrough tunnel connects first, so its CONNECT is refused.
    let passthrough = serve("intercept = false", "");
    let got = refused_connect(&passthrough.proxy, &target);
    assert_refused(&got, &format!("CONNECT {target}"));
    assert!(origin.hosts().is_empty(), "{:?}", origin.hosts());

    // Allowed by name, it is reached.
    let allowed = serve(&format!("allow_destinations = [\"{target}\"]"), "");
    let got = send(&allowed.proxy, &format!("GET http://{target}/"), &[]);
    assert_eq!(got.status, 200, "{got:?}");
}
