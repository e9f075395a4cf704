//! Attack tests of the cache core: see `mod.rs` for who attacks what here.
//!
//! Most run the real binary under `serve` (forward proxy) against small
//! origins on 127.0.0.1 that decide for themselves whom they answer: an S3-like
//! origin that accepts only its own signature, an origin that hands each user
//! their own cookie. The namespace test runs the real repository and proxy
//! routers in-process over one store, as `serve` does.

use std::sync::{Arc, Mutex};

use axum::body::Body as AxumBody;
use axum::extract::Request;
use axum::response::Response;
use awsproxy::net::{self, ClientSettings, UpstreamClient};
use http_body_util::BodyExt;

use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::fakes::ServerThread;

const SERVE: &str = "[metrics]\nlisten = \"127.0.0.1:0\"\n[proxy]\nlisten = \"127.0.0.1:0\"\n";

/// What an origin saw: `path?query`, the request's headers, the status it answered.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    headers: http::HeaderMap,
    status: u16,
}

/// An origin on 127.0.0.1 whose answers a test writes as a function of the request.
struct TestOrigin {
    seen: Arc<Mutex<Vec<Seen>>>,
    server: ServerThread,
}

impl TestOrigin {
    fn start(answer: fn(&http::request::Parts) -> Response) -> Self {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let log = log.clone();
            async move {
                let (parts, _) = req.into_parts();
                let resp = answer(&parts);
                log.lock().unwrap().push(Seen {
                    target: parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_default(),
                    headers: parts.headers.clone(),
                    status: resp.status().as_u16(),
                });
                resp
            }
        });
        let server = ServerThread::spawn("test-origin", move |listener| async move {
            let _ = axum::serve(listener, app).await;
        })
        .expect("start origin");
        Self { seen, server }
    }

    fn url(&self, target: &str) -> String {
        format!("http://{}{target}", self.server.addr())
    }

    /// Requests whose path is `path`, with the status each got.
    fn seen(&self, path: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.target.split('?').next() == Some(path))
            .cloned()
            .collect()
    }
}

fn reply(status: u16, headers: &[(&str, &str)], body: &'static str) -> Response {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(AxumBody::from(body)).unwrap()
}

/// One answer as a client of the forward proxy sees it.
#[derive(Debug)]
struct Got {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

impl Got {
    fn cache_status(&self) -> &str {
        self.headers
            .get("cache-status")
            .map_or("", |v| v.to_str().unwrap())
    }

    fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

/// A client of the forward proxy at `proxy` (`http://host:port`).
struct ProxyClient(UpstreamClient);

impl ProxyClient {
    fn new(proxy: &str) -> Self {
        Self(
            UpstreamClient::new(&ClientSettings {
                upstream_proxy: Some(proxy.to_owned()),
                proxy_from_env: false,
                upstream_ca: Vec::new(),
                own_listen: None,
            })
            .unwrap(),
        )
    }

    async fn get(&self, url: &str, headers: &[(&str, &str)]) -> Got {
        let mut req = http::Request::get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = match self.0.send(req.body(net::empty()).unwrap()).await {
            Ok(r) => r,
            Err(e) => panic!("GET {url}: {}", awsproxy::error::chain_text(&e)),
        };
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Got {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// `awsproxy serve` with `config`; the forward proxy's URL.
fn serve(config: &str) -> (TestContext, Daemon, String) {
    let ctx = TestContext::new().config(config);
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let proxy = daemon.url_of("forward proxy");
    (ctx, daemon, proxy)
}

/// `/broken` always fails with a 500; `/good` works.
fn flaky(req: &http::request::Parts) -> Response {
    match req.uri.path() {
        "/good" => reply(200, &[("cache-control", "no-store")], "fine"),
        _ => reply(500, &[], "internal error"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_errors_never_ban_an_origin_but_a_dead_port_still_does() {
    let origin = TestOrigin::start(flaky);
    let (_ctx, _daemon, proxy) = serve(SERVE);
    let client = ProxyClient::new(&proxy);

    // An attacker (or a broken page) makes an origin answer 500 many times.
    for _ in 0..12 {
        let got = client.get(&origin.url("/broken"), &[]).await;
        assert_eq!(got.status, 500, "{}", got.body);
    }
    // Everyone else's requests to that origin still go through.
    let got = client.get(&origin.url("/good"), &[]).await;
    assert_eq!((got.status, got.body.as_str()), (200, "fine"), "{}", got.cache_status());
    assert_eq!(origin.seen("/broken").len(), 12, "every 500 reached the origin");

    // A port nobody listens on still bans after `ban_after_failures` (5).
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/x", dead.local_addr().unwrap());
    drop(dead);
    for _ in 0..5 {
        let got = client.get(&dead_url, &[]).await;
        assert_eq!(got.status, 502);
        assert!(!got.body.contains("is skipped for"), "{}", got.body);
    }
    let got = client.get(&dead_url, &[]).await;
    assert_eq!(got.status, 502);
    assert!(got.body.contains("is skipped for"), "{}", got.body);
}
