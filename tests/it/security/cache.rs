//! Attack tests of the cache core: see `mod.rs` for who attacks what here.
//!
//! Most run the real binary under `serve` (forward proxy) against small
//! origins on 127.0.0.1 that decide for themselves whom they answer: an S3-like
//! origin that accepts only its own signature, an origin that hands each user
//! their own cookie. The namespace test runs the real repository and proxy
//! routers in-process over one store, as `serve` does.

use std::sync::{Arc, Mutex};

use awsproxy::net::{self, ClientSettings, UpstreamClient};
use axum::body::Body as AxumBody;
use axum::extract::Request;
use axum::response::Response;
use http_body_util::BodyExt;

use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::fakes::ServerThread;

/// The origins are on 127.0.0.1, which proxy clients may reach only when allowed.
const SERVE: &str = "[metrics]\nlisten = \"127.0.0.1:0\"\n[proxy]\nlisten = \"127.0.0.1:0\"\nallow_destinations = [\"127.0.0.1\"]\n";

/// What an origin saw: `path?query` and the status it answered.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
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
                destinations: None,
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

/// Waits (up to 10 s) until the disk store of `ctx` holds `n` committed
/// entries: a fill commits just after its client has the last byte.
fn wait_for_entries(ctx: &TestContext, n: usize) {
    let v1 = ctx.cache_home().join("awsproxy/http/v1");
    let count = || {
        std::fs::read_dir(&v1).map_or(0, |shards| {
            shards
                .flatten()
                .map(|s| std::fs::read_dir(s.path()).map_or(0, |d| d.count()))
                .sum()
        })
    };
    for _ in 0..500 {
        if count() >= n {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the store holds {} entries, not {n}", count());
}

/// An S3-like origin: `/report.pdf` answers only the signature it issued
/// (`X-Amz-Signature=good`, or `Authorization: good` on `/by-header.pdf`),
/// with a validator and a long lifetime, and `403 AccessDenied` to everyone
/// else. The same body with `public` on `/public.pdf`.
fn s3_like(req: &http::request::Parts) -> Response {
    let query = req.uri.query().unwrap_or_default();
    let authorized = match req.uri.path() {
        "/report.pdf" => query.split('&').any(|p| p == "X-Amz-Signature=good"),
        "/by-header.pdf" => req
            .headers
            .get("authorization")
            .is_some_and(|v| v == "good"),
        _ => false,
    };
    if !authorized {
        return reply(
            403,
            &[("content-type", "application/xml")],
            "<Error><Code>AccessDenied</Code></Error>",
        );
    }
    let validators = [
        ("etag", "\"r1\""),
        ("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ("cache-control", "public, max-age=864000"),
    ];
    if req
        .headers
        .get("if-none-match")
        .is_some_and(|v| v == "\"r1\"")
    {
        return reply(304, &validators, "");
    }
    reply(200, &validators, "SECRET QUARTERLY REPORT")
}

/// `X-Amz-…` query of a presigned URL with `signature`.
fn presigned(signature: &str, date: &str) -> String {
    format!(
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date={date}&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presigned_object_is_served_only_to_requests_the_origin_accepts() {
    let origin = TestOrigin::start(s3_like);
    let (ctx, _daemon, proxy) = serve(SERVE);
    let client = ProxyClient::new(&proxy);

    // The owner of a valid link fetches the object: stored.
    let url = origin.url(&format!(
        "/report.pdf{}",
        presigned("good", "20260101T000000Z")
    ));
    let first = client.get(&url, &[]).await;
    assert_eq!(
        (first.status, first.body.as_str()),
        (200, "SECRET QUARTERLY REPORT")
    );
    assert!(
        first.cache_status().contains("stored"),
        "{}",
        first.cache_status()
    );
    wait_for_entries(&ctx, 1);

    // Anyone else: no query, a forged signature, an "expired" one (the origin
    // refuses it). Each gets the origin's 403, never the stored body.
    for attack in [
        String::new(),
        presigned("forged", "20260101T000000Z"),
        presigned("expired", "20250101T000000Z"),
        "?X-Amz-Date=20260101T000000Z".to_owned(),
    ] {
        let got = client
            .get(&origin.url(&format!("/report.pdf{attack}")), &[])
            .await;
        assert_eq!(
            got.status,
            403,
            "{attack:?}: {} {}",
            got.cache_status(),
            got.body
        );
        assert!(!got.body.contains("SECRET"), "{attack:?} got the object");
    }

    // A new valid signing still shares the entry: the origin revalidates it
    // (304) and sends the body once in all.
    let again = origin.url(&format!(
        "/report.pdf{}",
        presigned("good", "20260102T000000Z")
    ));
    for _ in 0..2 {
        let got = client.get(&again, &[]).await;
        assert_eq!(
            (got.status, got.body.as_str()),
            (200, "SECRET QUARTERLY REPORT")
        );
        assert!(
            got.cache_status().contains("fwd-status=304"),
            "{}",
            got.cache_status()
        );
    }
    let statuses: Vec<u16> = origin
        .seen("/report.pdf")
        .iter()
        .map(|s| s.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 304).count(),
        2,
        "{statuses:?}"
    );
    // The revalidation carried the requester's own signature.
    let last = origin.seen("/report.pdf").pop().unwrap();
    assert!(
        last.target.contains("X-Amz-Date=20260102T000000Z"),
        "{}",
        last.target
    );

    // A request with `Authorization` is the same case (RFC 9111 3.5), even
    // when the origin says `public`.
    let by_header = origin.url("/by-header.pdf");
    let owner = client.get(&by_header, &[("authorization", "good")]).await;
    assert_eq!(
        (owner.status, owner.body.as_str()),
        (200, "SECRET QUARTERLY REPORT")
    );
    wait_for_entries(&ctx, 2);
    for attack in [&[][..], &[("authorization", "forged")][..]] {
        let got = client.get(&by_header, attack).await;
        assert_eq!(got.status, 403, "{attack:?}: {}", got.cache_status());
    }
    let owner = client.get(&by_header, &[("authorization", "good")]).await;
    assert_eq!(owner.body, "SECRET QUARTERLY REPORT");
    assert!(
        owner.cache_status().contains("fwd-status=304"),
        "{}",
        owner.cache_status()
    );
}

/// Hands each user (`x-user`) a session cookie of their own, on `200`s and
/// on `304`s. `/page` is `public, max-age`; `/revalidated` must be
/// revalidated, and its 304 makes the entry fresh; `/opt-in/page` is where a
/// rule stores responses with cookies.
fn cookie_jar(req: &http::request::Parts) -> Response {
    let user = req
        .headers
        .get("x-user")
        .map(|v| v.to_str().unwrap().to_owned());
    let mut b = Response::builder().header("etag", "\"v1\"");
    if let Some(user) = &user {
        b = b.header("set-cookie", format!("session={user}; HttpOnly"));
    }
    let revalidating = req
        .headers
        .get("if-none-match")
        .is_some_and(|v| v == "\"v1\"");
    let b = match req.uri.path() {
        "/revalidated" if revalidating => {
            b.status(304).header("cache-control", "public, max-age=600")
        }
        "/revalidated" => b.status(200).header("cache-control", "public, max-age=0"),
        _ if revalidating => b.status(304),
        _ => b.status(200).header("cache-control", "public, max-age=600"),
    };
    b.body(AxumBody::from(if revalidating { "" } else { "welcome" }))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_users_set_cookie_is_never_served_to_another() {
    let origin = TestOrigin::start(cookie_jar);
    let (ctx, _daemon, proxy) = serve(SERVE);
    let client = ProxyClient::new(&proxy);

    // A plain hit: user A's response carries A's cookie; B must not get it.
    let a = client
        .get(&origin.url("/page"), &[("x-user", "alice")])
        .await;
    assert_eq!(a.cookies(), ["session=alice; HttpOnly"]);
    let b = client.get(&origin.url("/page"), &[("x-user", "bob")]).await;
    assert_eq!(b.body, "welcome");
    assert!(
        !b.cookies().iter().any(|c| c.contains("alice")),
        "bob got {:?}",
        b.cookies()
    );
    assert_eq!(
        b.cookies(),
        ["session=bob; HttpOnly"],
        "bob gets his own from the origin"
    );

    // After a 304: the stored entry (from an anonymous request) is revalidated
    // for A, whose 304 carries A's cookie; B's following hit must not carry it.
    let anon = client.get(&origin.url("/revalidated"), &[]).await;
    assert!(
        anon.cache_status().contains("stored"),
        "{}",
        anon.cache_status()
    );
    wait_for_entries(&ctx, 1);
    let a = client
        .get(&origin.url("/revalidated"), &[("x-user", "alice")])
        .await;
    assert_eq!(a.body, "welcome");
    assert!(
        a.cache_status().contains("fwd-status=304"),
        "{}",
        a.cache_status()
    );
    assert_eq!(
        a.cookies(),
        ["session=alice; HttpOnly"],
        "A still gets the cookie meant for A"
    );
    let b = client
        .get(&origin.url("/revalidated"), &[("x-user", "bob")])
        .await;
    assert_eq!(b.body, "welcome");
    assert!(b.cache_status().contains("hit"), "{}", b.cache_status());
    assert!(b.cookies().is_empty(), "bob got {:?}", b.cookies());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_may_store_responses_with_set_cookie_but_never_the_cookie() {
    let origin = TestOrigin::start(cookie_jar);
    let config = format!(
        "{SERVE}[[proxy.rule]]\npath = \"/opt-in/**\"\npolicy = \"standard\"\nstore_set_cookie = true\n"
    );
    let (ctx, _daemon, proxy) = serve(&config);
    let client = ProxyClient::new(&proxy);
    let a = client
        .get(&origin.url("/opt-in/page"), &[("x-user", "alice")])
        .await;
    assert_eq!(a.cookies(), ["session=alice; HttpOnly"]);
    assert!(a.cache_status().contains("stored"), "{}", a.cache_status());
    wait_for_entries(&ctx, 1);
    let b = client
        .get(&origin.url("/opt-in/page"), &[("x-user", "bob")])
        .await;
    assert!(b.cache_status().contains("hit"), "{}", b.cache_status());
    assert_eq!(b.body, "welcome");
    assert!(b.cookies().is_empty(), "bob got {:?}", b.cookies());
    assert_eq!(origin.seen("/opt-in/page").len(), 1);
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
    assert_eq!(
        (got.status, got.body.as_str()),
        (200, "fine"),
        "{}",
        got.cache_status()
    );
    assert_eq!(
        origin.seen("/broken").len(),
        12,
        "every 500 reached the origin"
    );

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

mod namespaces {
    //! The repository listener and the forward proxy over one store, as
    //! `serve` runs them.

    use std::sync::Arc;

    use awsproxy::cache::stats::CacheStats;
    use awsproxy::cache::store::disk::DiskStore;
    use awsproxy::cache::{CacheSettings, HttpCache, Store};
    use awsproxy::config::{CachePolicy, ProxyRule, ProxySection};
    use awsproxy::creds::{CacheOptions, CredsRegistry};
    use awsproxy::paths::Paths;
    use awsproxy::services::forward::ForwardProxy;
    use awsproxy::services::pypi::router;
    use awsproxy::services::repos::RepoContext;
    use awsproxy::services::status::StatusBoard;

    use super::ProxyClient;
    use crate::support::fakes::FakeAws;
    use crate::support::pypi_upstream::PypiUpstream;

    /// What the mount asks the repository for (index pages).
    const PAGE_ACCEPT: &str = "application/vnd.pypi.simple.v1+html, text/html;q=0.5";

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_private_repository_page_is_never_a_forward_proxy_hit() {
        let aws = FakeAws::start().await;
        let up = PypiUpstream::start(aws.shared());
        up.add(
            "internal-lib",
            "1.0",
            "internal_lib-1.0.tar.gz",
            b"private bytes",
        );
        aws.state().codeartifact.repository_endpoint =
            format!("{}/{{format}}/{{repository}}/", up.url());
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_dir: dir.path().join("config"),
            cache_dir: dir.path().join("cache"),
            data_dir: dir.path().join("data"),
            state_dir: dir.path().join("state"),
            home: dir.path().to_owned(),
        };
        let store: Arc<dyn Store> =
            Arc::new(DiskStore::open(&dir.path().join("http"), 1 << 30).unwrap());

        // The repository listener, fetching with the CodeArtifact token.
        let ctx = RepoContext {
            paths: paths.clone(),
            cache: HttpCache::new(store.clone(), CacheSettings::default()),
            creds: Arc::new(CredsRegistry::new(CacheOptions::default())),
            board: StatusBoard::default(),
            upstream: Default::default(),
            tokens: Default::default(),
            codeartifact: crate::pypi::options(&aws),
        };
        let app = router(&[crate::pypi::mount("internal")], &ctx)
            .await
            .unwrap();
        let repos = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let repos_base = format!("http://{}", repos.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(repos, app).await;
        });

        // The forward proxy over the same store; its operator trusts the
        // repository host's pages enough to never refresh them.
        let section = ProxySection {
            rule: vec![ProxyRule {
                host: Some("127.0.0.1".to_owned()),
                path: None,
                path_regex: None,
                method: Vec::new(),
                policy: CachePolicy::NoRefresh,
                ignore_query: Vec::new(),
                store_set_cookie: false,
            }],
            // The fake upstream repository is on 127.0.0.1.
            allow_destinations: vec!["127.0.0.1".parse().unwrap()],
            ..ProxySection::default()
        };
        let settings = CacheSettings::from_proxy(&section).unwrap();
        let proxy = ForwardProxy::with_cache(
            &section,
            &paths,
            HttpCache::new(store.clone(), settings),
            Arc::new(CacheStats::default()),
            awsproxy::net::destination::OwnListeners::default(),
        )
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(proxy.serve(listener, std::future::pending()));

        // A developer reads the private page through the mount (and again, from the cache).
        let page = format!("{repos_base}/pypi/internal/simple/internal-lib/");
        let plain = ProxyClient(
            awsproxy::net::UpstreamClient::new(&awsproxy::net::ClientSettings::default()).unwrap(),
        );
        for expect in ["stored", "hit"] {
            let got = plain.get(&page, &[]).await;
            assert_eq!(got.status, 200, "{}", got.body);
            assert!(got.body.contains("internal_lib-1.0.tar.gz"), "{}", got.body);
            assert!(
                got.cache_status().contains(expect),
                "{}",
                got.cache_status()
            );
        }
        assert!(
            !store.list().await.unwrap().is_empty(),
            "the mount stored the page"
        );

        // A proxy client without the token asks for the upstream URL itself.
        let unauthorized = up.unauthorized();
        let upstream_page = format!("{}/pypi/repo/simple/internal-lib/", up.url());
        let got = ProxyClient::new(&proxy_url)
            .get(&upstream_page, &[("accept", PAGE_ACCEPT)])
            .await;
        assert_eq!(got.status, 401, "{}: {}", got.cache_status(), got.body);
        assert!(!got.body.contains("internal_lib"), "{}", got.body);
        assert!(
            got.cache_status().contains("miss"),
            "{}",
            got.cache_status()
        );
        assert_eq!(up.unauthorized(), unauthorized + 1, "the origin was asked");
    }
}
