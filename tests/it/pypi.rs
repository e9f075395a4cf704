//! The PyPI repository proxy (`services::pypi`) served on 127.0.0.1:0 against the
//! CodeArtifact fake (tokens, `GetRepositoryEndpoint` pointed at a local
//! PyPI-like upstream that demands `aws:<token>`). Every response the tests see is
//! logged and checked for the token and the upstream's address.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use awsproxy::cache::store::disk::DiskStore;
use awsproxy::cache::{CacheSettings, HttpCache};
use awsproxy::config::{Fallback, PypiMount};
use awsproxy::creds::{BaseSource, CacheOptions, CredsRegistry, SourceSpec};
use awsproxy::paths::Paths;
use awsproxy::secret::Secret;
use awsproxy::services::pypi::router;
use awsproxy::services::repos::{CodeArtifactOptions, RepoContext};
use awsproxy::services::status::{Health, StatusBoard};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt as _;

use crate::support::fakes::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeAws};
use crate::support::pypi_upstream::PypiUpstream;

const OWNER: &str = "123456789012";

/// CodeArtifact options that reach the fakes: their endpoint and static
/// test keys for every mount.
pub(crate) fn options(aws: &FakeAws) -> CodeArtifactOptions {
    CodeArtifactOptions {
        endpoint: Some(aws.endpoint()),
        credentials: Some(SourceSpec {
            name: "test".to_owned(),
            base: BaseSource::Static {
                access_key_id: Secret::new(FAKE_ACCESS_KEY_ID),
                secret_access_key: Secret::new(FAKE_SECRET_ACCESS_KEY),
                session_token: None,
            },
            region: Some("us-east-1".to_owned()),
            assume: None,
        }),
    }
}

/// A mount of the fake CodeArtifact repository (uploads off).
pub(crate) fn mount(name: &str) -> PypiMount {
    PypiMount {
        name: name.to_owned(),
        domain: "fake-domain".to_owned(),
        domain_owner: OWNER.to_owned(),
        region: Some("us-east-1".to_owned()),
        repository: "repo".to_owned(),
        profile: None,
        endpoint: None,
        fallback: Fallback::Off,
        fallback_allow: Vec::new(),
        fallback_deny: Vec::new(),
        fallback_index: None,
        allow_upload: false,
        negative_ttl: awsproxy::config::values::HumanDuration(Duration::from_secs(60)),
        stale_while_revalidate: awsproxy::config::values::HumanDuration(Duration::from_secs(300)),
    }
}

struct Got {
    status: u16,
    headers: http::HeaderMap,
    body: Result<Bytes, String>,
}

impl Got {
    fn text(&self) -> String {
        String::from_utf8_lossy(self.body.as_ref().expect("body")).into_owned()
    }
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
}

struct Env {
    aws: FakeAws,
    up: Option<PypiUpstream>,
    up_authority: String,
    base: String,
    board: StatusBoard,
    /// Every byte a client saw (headers and bodies).
    seen: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

async fn setup(mounts: Vec<PypiMount>) -> Env {
    let aws = FakeAws::start().await;
    setup_with(aws, mounts).await
}

async fn setup_with(aws: FakeAws, mounts: Vec<PypiMount>) -> Env {
    let up = PypiUpstream::start(aws.shared());
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
    let cache = HttpCache::new(
        Arc::new(DiskStore::open(&dir.path().join("http"), 1 << 30).unwrap()),
        CacheSettings::default(),
    );
    let board = StatusBoard::default();
    let ctx = RepoContext {
        paths,
        cache,
        creds: Arc::new(CredsRegistry::new(CacheOptions::default())),
        board: board.clone(),
        upstream: Default::default(),
        tokens: Default::default(),
        codeartifact: options(&aws),
    };
    let app = router(&mounts, &ctx).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Env {
        up_authority: up.authority(),
        up: Some(up),
        aws,
        base,
        board,
        seen: Arc::default(),
        _dir: dir,
    }
}

impl Env {
    fn up(&self) -> &PypiUpstream {
        self.up.as_ref().unwrap()
    }

    async fn req(
        &self,
        method: &str,
        path: &str,
        accept: Option<&str>,
        body: Option<(&str, Bytes)>,
    ) -> Got {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        self.req_with(method, path, &headers, body).await
    }

    async fn req_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Bytes)>,
    ) -> Got {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Full<Bytes>>();
        let mut b = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            b = b.header(*name, *value);
        }
        let payload = match body {
            Some((ct, bytes)) => {
                // What twine sends: any credentials (awsproxy adds the token).
                b = b
                    .header("content-type", ct)
                    .header("authorization", "Basic dHdpbmU6eA==");
                bytes
            }
            None => Bytes::new(),
        };
        let resp = client
            .request(b.body(http_body_util::Full::new(payload)).unwrap())
            .await
            .unwrap();
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .map_err(|e| e.to_string());
        let mut log = self.seen.lock().unwrap();
        for (k, v) in &parts.headers {
            log.push(format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())));
        }
        if let Ok(b) = &body {
            log.push(String::from_utf8_lossy(b).into_owned());
        }
        Got {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    async fn get(&self, path: &str) -> Got {
        self.req("GET", path, None, None).await
    }

    /// No client-facing byte carried a token (plain or in Basic form) or the upstream's address.
    fn assert_no_leaks(&self) {
        let tokens: Vec<String> = self
            .aws
            .state()
            .codeartifact
            .tokens
            .iter()
            .map(|t| t.token.clone())
            .collect();
        assert!(!tokens.is_empty(), "the test never used a token");
        let seen = self.seen.lock().unwrap();
        assert!(!seen.is_empty());
        for text in seen.iter() {
            assert!(
                !text.contains(&self.up_authority),
                "upstream address leaked: {text}"
            );
            for t in &tokens {
                let basic = base64::engine::general_purpose::STANDARD.encode(format!("aws:{t}"));
                assert!(
                    !text.contains(t.as_str()) && !text.contains(&basic),
                    "token leaked: {text}"
                );
            }
        }
    }
}

fn sha(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The first link on a page whose text contains `needle`.
fn href_with(page: &str, needle: &str) -> String {
    page.split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .find(|h| h.contains(needle))
        .unwrap_or_else(|| panic!("no link with {needle} in {page}"))
}

#[tokio::test]
async fn index_pages_are_rewritten_and_files_download_through_the_proxy_and_cache() {
    let env = setup(vec![mount("corp")]).await;
    let wheel = b"fake wheel bytes".repeat(1000);
    env.up()
        .add("foo", "1.0", "foo-1.0-py3-none-any.whl", &wheel);

    let root = env.get("/pypi/corp/simple/").await;
    assert_eq!(root.status, 200);
    assert!(
        root.text().contains("href=\"/pypi/corp/simple/foo/\""),
        "{}",
        root.text()
    );

    let page = env.get("/pypi/corp/simple/foo/").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.header("content-type").starts_with("text/html"));
    let link = href_with(&page.text(), "foo-1.0");
    assert_eq!(
        link,
        format!(
            "/pypi/corp/+f/foo/simple/foo/1.0/foo-1.0-py3-none-any.whl#sha256={}",
            sha(&wheel)
        )
    );

    let json = env
        .req(
            "GET",
            "/pypi/corp/simple/foo/",
            Some("application/vnd.pypi.simple.v1+json"),
            None,
        )
        .await;
    assert_eq!(json.status, 200);
    assert_eq!(
        json.header("content-type"),
        "application/vnd.pypi.simple.v1+json"
    );
    let doc: serde_json::Value = serde_json::from_slice(json.body.as_ref().unwrap()).unwrap();
    assert_eq!(
        doc["files"][0]["url"],
        "/pypi/corp/+f/foo/simple/foo/1.0/foo-1.0-py3-none-any.whl"
    );
    assert_eq!(doc["files"][0]["hashes"]["sha256"], sha(&wheel));

    let path = link.split('#').next().unwrap();
    let first = env.get(path).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body.as_ref().unwrap().as_ref(), wheel.as_slice());
    let second = env.get(path).await;
    assert_eq!(second.body.as_ref().unwrap().as_ref(), wheel.as_slice());
    assert!(
        second.header("cache-status").contains("hit"),
        "{}",
        second.header("cache-status")
    );
    assert_eq!(env.up().count("foo-1.0-py3-none-any.whl"), 1);

    // Upstream gone: the index (stale-if-error) and the file still come from the cache.
    let mut env = env;
    drop(env.up.take());
    let page = env.get("/pypi/corp/simple/foo/").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains(path));
    let third = env.get(path).await;
    assert_eq!(third.status, 200);
    assert_eq!(third.body.as_ref().unwrap().as_ref(), wheel.as_slice());

    let metrics = env.board_metrics();
    assert!(
        metrics.contains("awsproxy_pypi_requests_total{mount=\"pypi:corp\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("awsproxy_pypi_token_expiry_seconds"),
        "{metrics}"
    );
    let (_, status_page) = env.status_page("/");
    assert!(status_page.contains("PyPI repositories") && status_page.contains("pypi:corp"));
    assert!(
        !status_page.contains(&env.up_authority),
        "the status page names the upstream host"
    );
    env.assert_no_leaks();
}

impl Env {
    fn board_metrics(&self) -> String {
        self.status_page("/metrics").1
    }

    /// `(status, body)` of a path of the status router over this board.
    fn status_page(&self, path: &'static str) -> (u16, String) {
        // The board keeps renderers private; the status router exposes them.
        let board = self.board.clone();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async move {
                    use tower::ServiceExt as _;
                    let req = http::Request::get(path)
                        .body(axum::body::Body::empty())
                        .unwrap();
                    let resp = awsproxy::services::status::router(board)
                        .oneshot(req)
                        .await
                        .unwrap();
                    let status = resp.status().as_u16();
                    let b = resp.into_body().collect().await.unwrap().to_bytes();
                    (status, String::from_utf8_lossy(&b).into_owned())
                })
        })
        .join()
        .unwrap()
    }
}

#[tokio::test]
async fn a_hash_mismatch_is_refused_and_never_cached() {
    let env = setup(vec![mount("corp")]).await;
    env.up().add_with_hash(
        "bad",
        "1.0",
        "bad-1.0.tar.gz",
        b"tampered",
        &sha(b"original"),
    );
    let page = env.get("/pypi/corp/simple/bad/").await;
    let path = href_with(&page.text(), "bad-1.0")
        .split('#')
        .next()
        .unwrap()
        .to_owned();
    for attempt in 1..=2 {
        let got = env.get(&path).await;
        assert!(
            got.status != 200 || got.body.is_err(),
            "attempt {attempt} served a bad file"
        );
        assert_eq!(
            env.up().count("bad-1.0.tar.gz"),
            attempt,
            "a bad file must not be cached"
        );
    }
    env.assert_no_leaks();
}

#[tokio::test]
async fn a_rejected_token_is_replaced_and_the_request_retried_once() {
    let env = setup(vec![mount("corp")]).await;
    env.up().add("foo", "1.0", "foo-1.0.tar.gz", b"foo");
    env.up().add("bar", "1.0", "bar-1.0.tar.gz", b"bar");
    assert_eq!(env.get("/pypi/corp/simple/foo/").await.status, 200);
    let before = env.aws.calls("GetAuthorizationToken");
    env.aws.expire_codeartifact_tokens();
    let page = env.get("/pypi/corp/simple/bar/").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(env.aws.calls("GetAuthorizationToken"), before + 1);
    assert_eq!(env.up().unauthorized(), 1);

    // An upstream that refuses every token: one retry, then a short 502.
    env.up().set_reject_all(true);
    let refused = env.get("/pypi/corp/simple/foo/").await;
    // The cached page may be served stale; a fresh name can't be.
    let fresh = env.get("/pypi/corp/simple/nothing-cached/").await;
    assert_eq!(fresh.status, 502, "{}", fresh.text());
    assert!(fresh.text().len() < 100);
    assert!(refused.status == 200 || refused.status == 502);
    env.assert_no_leaks();
}

#[tokio::test]
async fn fallback_is_off_by_default_and_missing_obeys_allow_and_deny() {
    let public = PypiUpstream::start_public();
    public.add("pubthing", "2.0", "pubthing-2.0.tar.gz", b"public bytes");
    public.add("pubsecret", "1.0", "pubsecret-1.0.tar.gz", b"x");
    public.add("other", "1.0", "other-1.0.tar.gz", b"x");
    public.add("foo", "9.9", "foo-9.9.tar.gz", b"shadow");
    let mut fb = mount("fb");
    fb.fallback = Fallback::Missing;
    fb.fallback_index = Some(format!("{}/pypi/public/simple/", public.url()));
    fb.fallback_allow = vec!["pub*".to_owned()];
    fb.fallback_deny = vec!["pubsecret".to_owned()];
    let env = setup(vec![mount("off"), fb]).await;
    env.up().add("foo", "1.0", "foo-1.0.tar.gz", b"private");

    assert_eq!(env.get("/pypi/off/simple/pubthing/").await.status, 404);
    let page = env.get("/pypi/fb/simple/pubthing/").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let link = href_with(&page.text(), "pubthing-2.0");
    assert!(
        link.starts_with(&format!(
            "/pypi/fb/+fb/pubthing/http/{}/",
            public.authority()
        )),
        "{link}"
    );
    let file = env.get(link.split('#').next().unwrap()).await;
    assert_eq!(file.body.unwrap().as_ref(), b"public bytes");
    assert_eq!(
        env.get("/pypi/fb/simple/pubsecret/").await.status,
        404,
        "denied"
    );
    assert_eq!(
        env.get("/pypi/fb/simple/other/").await.status,
        404,
        "not allowed"
    );
    // A name the private repository has never comes from the public index.
    let foo = env.get("/pypi/fb/simple/foo/").await;
    assert!(foo.text().contains("foo-1.0.tar.gz") && !foo.text().contains("foo-9.9"));
    // Fallback file paths can't name hosts no fallback page listed.
    assert_eq!(
        env.get(&format!(
            "/pypi/fb/+fb/pubthing/http/{}/pypi/corp/",
            env.up_authority
        ))
        .await
        .status,
        404
    );
    env.assert_no_leaks();
}

#[tokio::test]
async fn uploads_stream_through_with_the_token() {
    let env = setup(vec![PypiMount {
        allow_upload: true,
        ..mount("corp")
    }])
    .await;
    let payload = Bytes::from(vec![b'z'; 3 << 20]);
    let got = env
        .req(
            "POST",
            "/pypi/corp/",
            None,
            Some(("multipart/form-data; boundary=x", payload.clone())),
        )
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    let uploads = env.up().uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].0, "multipart/form-data; boundary=x");
    assert_eq!(uploads[0].1, payload);
    assert_eq!(env.up().unauthorized(), 0);
    env.assert_no_leaks();
}

/// The headers pip sends for an index page (`pip download`, `pip install`):
/// it always asks for a revalidated copy.
const PIP_INDEX_HEADERS: &[(&str, &str)] = &[
    (
        "accept",
        "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01",
    ),
    ("cache-control", "max-age=0"),
    ("accept-encoding", "gzip, deflate"),
    (
        "user-agent",
        "pip/24.0 {\"installer\":{\"name\":\"pip\",\"version\":\"24.0\"}}",
    ),
];

fn versions(page: &Got) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(page.body.as_ref().unwrap()).unwrap();
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pip_asking_for_a_fresh_index_page_gets_one() {
    // Without the background window, pip's `max-age=0` revalidates first.
    let env = setup(vec![PypiMount {
        stale_while_revalidate: awsproxy::config::values::HumanDuration(Duration::ZERO),
        ..mount("corp")
    }])
    .await;
    env.up().add("pkg", "0.1.0", "pkg-0.1.0.tar.gz", b"one");
    let first = env
        .req_with("GET", "/pypi/corp/simple/pkg/", PIP_INDEX_HEADERS, None)
        .await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(versions(&first), ["pkg-0.1.0.tar.gz"]);
    // Published elsewhere (another mount, another machine) while the page is stored.
    env.up().add("pkg", "0.2.0", "pkg-0.2.0.tar.gz", b"two");
    let second = env
        .req_with("GET", "/pypi/corp/simple/pkg/", PIP_INDEX_HEADERS, None)
        .await;
    assert_eq!(
        versions(&second),
        ["pkg-0.1.0.tar.gz", "pkg-0.2.0.tar.gz"],
        "pip's `Cache-Control: max-age=0` must revalidate the stored page"
    );
    // A client that asks for nothing special is still served from the cache.
    let pages = env.up().count("/simple/pkg/");
    let plain = env
        .req(
            "GET",
            "/pypi/corp/simple/pkg/",
            Some("application/vnd.pypi.simple.v1+json"),
            None,
        )
        .await;
    assert_eq!(versions(&plain).len(), 2);
    assert_eq!(env.up().count("/simple/pkg/"), pages);
    env.assert_no_leaks();
}

#[tokio::test]
async fn an_upload_through_a_mount_makes_its_next_page_fresh() {
    let env = setup(vec![PypiMount {
        allow_upload: true,
        ..mount("corp")
    }])
    .await;
    env.up().add("pkg", "0.1.0", "pkg-0.1.0.tar.gz", b"one");
    let json = Some("application/vnd.pypi.simple.v1+json");
    let first = env.req("GET", "/pypi/corp/simple/pkg/", json, None).await;
    assert_eq!(versions(&first), ["pkg-0.1.0.tar.gz"]);
    let got = env
        .req(
            "POST",
            "/pypi/corp/",
            None,
            Some((
                "multipart/form-data; boundary=x",
                Bytes::from_static(b"twine"),
            )),
        )
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    // What the repository does with the upload.
    env.up().add("pkg", "0.2.0", "pkg-0.2.0.tar.gz", b"two");
    // Even a client that sends no `Cache-Control` sees the new version.
    let after = env.req("GET", "/pypi/corp/simple/pkg/", json, None).await;
    assert_eq!(versions(&after), ["pkg-0.1.0.tar.gz", "pkg-0.2.0.tar.gz"]);
    let pages = env.up().count("/simple/pkg/");
    let again = env.req("GET", "/pypi/corp/simple/pkg/", json, None).await;
    assert_eq!(versions(&again).len(), 2);
    assert_eq!(
        env.up().count("/simple/pkg/"),
        pages,
        "one revalidation per page after an upload, then the cache again"
    );
    env.assert_no_leaks();
}

#[tokio::test]
async fn a_missing_project_is_remembered_until_it_expires_or_an_upload() {
    let env = setup(vec![PypiMount {
        allow_upload: true,
        ..mount("corp")
    }])
    .await;
    // A resolver probing a name the repository lacks, pip's `max-age=0` and all.
    for _ in 0..3 {
        let got = env
            .req_with("GET", "/pypi/corp/simple/nope/", PIP_INDEX_HEADERS, None)
            .await;
        assert_eq!(got.status, 404);
    }
    assert_eq!(
        env.up().count("/simple/nope/"),
        1,
        "each probe went upstream"
    );
    // An upload through the mount may be that project: asked again.
    let got = env
        .req(
            "POST",
            "/pypi/corp/",
            None,
            Some((
                "multipart/form-data; boundary=x",
                Bytes::from_static(b"twine"),
            )),
        )
        .await;
    assert_eq!(got.status, 200, "{}", got.text());
    env.up().add("nope", "1.0", "nope-1.0.tar.gz", b"now here");
    let found = env
        .req_with("GET", "/pypi/corp/simple/nope/", PIP_INDEX_HEADERS, None)
        .await;
    assert_eq!(found.status, 200, "{}", found.text());
    env.assert_no_leaks();

    // `negative_ttl = "0s"` asks every time.
    let env = setup(vec![PypiMount {
        negative_ttl: awsproxy::config::values::HumanDuration(Duration::ZERO),
        ..mount("corp")
    }])
    .await;
    for _ in 0..2 {
        assert_eq!(env.get("/pypi/corp/simple/nope/").await.status, 404);
    }
    assert_eq!(env.up().count("/simple/nope/"), 2);
}

#[tokio::test]
async fn mounts_of_one_domain_and_identity_share_a_token() {
    let env = setup(vec![mount("a"), mount("b")]).await;
    env.up().add("foo", "1.0", "foo-1.0.tar.gz", b"shared");
    for name in ["a", "b"] {
        let page = env.get(&format!("/pypi/{name}/simple/foo/")).await;
        assert_eq!(page.status, 200, "{}", page.text());
    }
    let seed = env
        .get(&format!("/{OWNER}/us-east-1/fake-domain/repo/simple/foo/"))
        .await;
    assert_eq!(seed.status, 200, "{}", seed.text());
    assert_eq!(env.aws.state().codeartifact.tokens.len(), 1);
    env.assert_no_leaks();
}

#[tokio::test]
async fn the_seed_url_form_works_without_config() {
    let env = setup(Vec::new()).await;
    env.up().add("foo", "1.0", "foo-1.0.tar.gz", b"seeded");
    let root = format!("/{OWNER}/us-east-1/fake-domain/repo");
    let page = env.get(&format!("{root}/simple/foo/")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let link = href_with(&page.text(), "foo-1.0");
    assert!(link.starts_with(&format!("{root}/+f/foo/")), "{link}");
    let file = env.get(link.split('#').next().unwrap()).await;
    assert_eq!(file.body.unwrap().as_ref(), b"seeded");
    assert_eq!(
        env.get("/12345/us-east-1/fake-domain/repo/simple/foo/")
            .await
            .status,
        404
    );
    assert_eq!(
        env.get(&format!("{root}/+f/foo/../../../etc/passwd"))
            .await
            .status
            / 100,
        4
    );
    env.assert_no_leaks();
}

#[tokio::test]
async fn health_is_unhealthy_while_a_mount_cannot_get_a_token() {
    let aws = FakeAws::start().await;
    aws.state().codeartifact.access_denied = true;
    let env = setup_with(aws, vec![mount("corp")]).await;
    let mut health = None;
    for _ in 0..200 {
        health = env.board.health_now().get("pypi:corp").cloned();
        if matches!(health, Some(Health::Unhealthy { .. })) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let Some(Health::Unhealthy { reason }) = health else {
        panic!("pypi:corp should be unhealthy: {health:?}");
    };
    assert!(reason.contains("token"), "{reason}");
    let (status, body) = env.status_page("/healthz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("pypi:corp"), "{body}");
    let got = env.get("/pypi/corp/simple/foo/").await;
    assert!(got.status == 502 || got.status == 503, "{}", got.status);

    env.aws.state().codeartifact.access_denied = false;
    assert_eq!(env.get("/pypi/corp/simple/").await.status, 200);
    assert_eq!(
        env.board.health_now().get("pypi:corp"),
        Some(&Health::Healthy)
    );
    assert_eq!(env.status_page("/healthz").0, 200);
}

#[tokio::test]
async fn concurrent_requests_share_one_token_refresh() {
    let env = setup(vec![mount("corp")]).await;
    for i in 0..6 {
        env.up()
            .add(&format!("p{i}"), "1.0", &format!("p{i}-1.0.tar.gz"), b"x");
    }
    assert_eq!(env.get("/pypi/corp/simple/p0/").await.status, 200);
    let before = env.aws.calls("GetAuthorizationToken");
    env.aws.expire_codeartifact_tokens();
    let pages: Vec<_> = (1..6).map(|i| format!("/pypi/corp/simple/p{i}/")).collect();
    let results = futures_util::future::join_all(pages.iter().map(|p| env.get(p))).await;
    for r in &results {
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(
        env.aws.calls("GetAuthorizationToken"),
        before + 1,
        "one refresh for all of them"
    );
    env.assert_no_leaks();
}

#[tokio::test]
async fn file_downloads_follow_upstream_redirects() {
    let env = setup(vec![mount("corp")]).await;
    env.up()
        .add("foo", "1.0", "foo-1.0.tar.gz", b"redirected bytes");
    env.up().state.lock().unwrap().redirect_files = true;
    let page = env.get("/pypi/corp/simple/foo/").await;
    let path = href_with(&page.text(), "foo-1.0")
        .split('#')
        .next()
        .unwrap()
        .to_owned();
    let got = env.get(&path).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body.as_ref().unwrap().as_ref(), b"redirected bytes");
    assert_eq!(env.up().count("/blob/foo/1.0/foo-1.0.tar.gz"), 1);
    env.assert_no_leaks();
}

const JSON: &str = "application/vnd.pypi.simple.v1+json";

/// A page as pip asks for it (JSON) and as older clients do (HTML), until
/// `ready` says the page is what the test waits for (bounded: 100 tries).
async fn page_until(env: &Env, path: &str, ready: impl Fn(&str) -> bool) -> String {
    for _ in 0..100 {
        let page = env.get(path).await;
        assert_eq!(page.status, 200, "{}", page.text());
        if ready(&page.text()) {
            return page.text();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never became ready");
}

#[tokio::test]
async fn an_html_only_repository_gets_json_pages_and_metadata_from_stored_wheels() {
    let env = setup(vec![mount("corp")]).await;
    env.up().state.lock().unwrap().html_only = true;
    let metadata = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: idna\n";
    let wheel = crate::support::wheel::wheel("demo", "1.0", metadata);
    env.up()
        .add("demo", "1.0", "demo-1.0-py3-none-any.whl", &wheel);
    // Not a zip: stored and served, but never given metadata.
    env.up()
        .add("demo", "0.9", "demo-0.9-py3-none-any.whl", b"not a zip");

    // JSON made from the HTML page, links rewritten, hashes kept.
    let json = env
        .req("GET", "/pypi/corp/simple/demo/", Some(JSON), None)
        .await;
    assert_eq!(json.status, 200, "{}", json.text());
    assert_eq!(json.header("content-type"), JSON);
    assert_eq!(json.header("vary"), "Accept");
    let doc: serde_json::Value = serde_json::from_str(&json.text()).unwrap();
    assert_eq!(doc["meta"]["api-version"], "1.0");
    assert_eq!(doc["name"], "demo");
    let files = doc["files"].as_array().unwrap();
    let new = files
        .iter()
        .find(|f| f["filename"] == "demo-1.0-py3-none-any.whl")
        .unwrap();
    let url = new["url"].as_str().unwrap().to_owned();
    assert_eq!(
        url,
        "/pypi/corp/+f/demo/simple/demo/1.0/demo-1.0-py3-none-any.whl"
    );
    assert_eq!(new["hashes"]["sha256"], sha(&wheel));
    assert!(new.get("core-metadata").is_none(), "nothing stored yet");
    let root = env.req("GET", "/pypi/corp/simple/", Some(JSON), None).await;
    let root: serde_json::Value = serde_json::from_str(&root.text()).unwrap();
    assert_eq!(root["projects"], serde_json::json!([{ "name": "demo" }]));

    // Once the wheels are stored, the page advertises the good one's metadata.
    assert_eq!(env.get(&url).await.status, 200);
    let bad = url.replace("1.0", "0.9");
    assert_eq!(env.get(&bad).await.status, 200);
    let meta_sha = sha(metadata.as_bytes());
    let html = page_until(&env, "/pypi/corp/simple/demo/", |p| {
        p.contains("data-core-metadata")
    })
    .await;
    assert!(
        html.contains(&format!(
            "data-core-metadata=\"sha256={meta_sha}\" data-dist-info-metadata=\"sha256={meta_sha}\""
        )),
        "{html}"
    );
    assert_eq!(html.matches("data-core-metadata").count(), 1, "{html}");
    let json = env
        .req("GET", "/pypi/corp/simple/demo/", Some(JSON), None)
        .await;
    let doc: serde_json::Value = serde_json::from_str(&json.text()).unwrap();
    let new = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filename"] == "demo-1.0-py3-none-any.whl")
        .unwrap()
        .clone();
    assert_eq!(new["core-metadata"]["sha256"], meta_sha.as_str());

    // The metadata file comes from the stored wheel; the upstream has none
    // and is never asked for it.
    let got = env.get(&format!("{url}.metadata")).await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.text(), metadata);
    assert_eq!(env.up().count(".metadata"), 0);
    let again = env.get(&format!("{url}.metadata")).await;
    assert!(
        again.header("cache-status").contains("hit"),
        "{}",
        again.header("cache-status")
    );
    // No metadata for the file that isn't a wheel awsproxy can read.
    assert_eq!(env.get(&format!("{bad}.metadata")).await.status, 404);
    assert_eq!(env.up().count("demo-1.0-py3-none-any.whl"), 1);
    env.assert_no_leaks();
}

#[tokio::test]
async fn range_requests_on_files_are_answered_from_the_stored_file() {
    let env = setup(vec![mount("corp")]).await;
    let wheel: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let len = wheel.len();
    env.up()
        .add("foo", "1.0", "foo-1.0-py3-none-any.whl", &wheel);
    let page = env.get("/pypi/corp/simple/foo/").await;
    let link = href_with(&page.text(), "foo-1.0");
    let path = link.split('#').next().unwrap();
    let get = async |range: &str| env.req_with("GET", path, &[("range", range)], None).await;

    // A miss: the whole wheel is fetched and stored, the client gets its part
    // (uv reads a zip's end first).
    let tail = get("bytes=-100").await;
    assert_eq!(tail.status, 206, "{}", tail.header("cache-status"));
    assert_eq!(tail.body.as_ref().unwrap().as_ref(), &wheel[len - 100..]);
    assert_eq!(
        tail.header("content-range"),
        format!("bytes {}-{}/{len}", len - 100, len - 1)
    );
    assert_eq!(tail.header("content-length"), "100");
    assert_eq!(tail.header("accept-ranges"), "bytes");
    // Hits.
    let middle = get("bytes=1000-1999").await;
    assert_eq!(middle.status, 206);
    assert_eq!(middle.body.as_ref().unwrap().as_ref(), &wheel[1000..2000]);
    assert!(middle.header("cache-status").contains("hit"));
    let past = get("bytes=400000-").await;
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), format!("bytes */{len}"));
    let stale = env
        .req_with(
            "GET",
            path,
            &[("range", "bytes=0-9"), ("if-range", "\"another\"")],
            None,
        )
        .await;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body.as_ref().unwrap().as_ref(), wheel.as_slice());
    let head = env.req("HEAD", path, None, None).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("accept-ranges"), "bytes");
    assert_eq!(head.header("content-length"), len.to_string());
    assert_eq!(env.up().count("foo-1.0-py3-none-any.whl"), 1);
    env.assert_no_leaks();
}

/// Waits (bounded) until the upstream has seen `n` requests for `suffix`.
async fn upstream_saw(env: &Env, suffix: &str, n: usize) {
    for _ in 0..1000 {
        if env.up().count(suffix) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "the upstream saw {} requests for {suffix}, not {n}",
        env.up().count(suffix)
    );
}

#[tokio::test]
async fn pips_max_age_0_gets_the_stored_page_at_once_and_one_background_refresh() {
    let env = Arc::new(setup(vec![mount("corp")]).await);
    env.up().add("pkg", "0.1.0", "pkg-0.1.0.tar.gz", b"one");
    let pip = |env: Arc<Env>| async move {
        env.req_with("GET", "/pypi/corp/simple/pkg/", PIP_INDEX_HEADERS, None)
            .await
    };
    assert_eq!(versions(&pip(env.clone()).await), ["pkg-0.1.0.tar.gz"]);
    env.up().add("pkg", "0.2.0", "pkg-0.2.0.tar.gz", b"two");

    // The repository is slow (held): pip is answered from the store while
    // its refresh waits upstream, and concurrent pips start no other one.
    env.up().hold_pages();
    // (The bound only turns a hang into a failure: nothing can answer from
    // the repository before it is released.)
    let answers = tokio::time::timeout(
        Duration::from_secs(60),
        futures_util::future::join_all((0..5).map(|_| pip(env.clone()))),
    )
    .await
    .expect("pip waited for the held repository");
    for got in &answers {
        assert_eq!(got.status, 200, "{}", got.text());
        assert_eq!(versions(got), ["pkg-0.1.0.tar.gz"]);
        assert!(
            got.header("cache-status")
                .contains("stale-while-revalidate"),
            "{}",
            got.header("cache-status")
        );
    }
    upstream_saw(&env, "/simple/pkg/", 2).await;
    // Time for any other refresh to arrive (there must be none).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.up().count("/simple/pkg/"), 2, "one background refresh");

    // An explicit `no-cache` still waits for the repository.
    let no_cache = tokio::spawn({
        let env = env.clone();
        async move {
            env.req_with(
                "GET",
                "/pypi/corp/simple/pkg/",
                &[
                    ("accept", "application/vnd.pypi.simple.v1+json"),
                    ("cache-control", "no-cache"),
                ],
                None,
            )
            .await
        }
    });
    upstream_saw(&env, "/simple/pkg/", 3).await;
    assert!(
        !no_cache.is_finished(),
        "no-cache was answered while the repository was held"
    );
    env.up().release_pages();
    let got = no_cache.await.unwrap();
    assert_eq!(versions(&got), ["pkg-0.1.0.tar.gz", "pkg-0.2.0.tar.gz"]);
    // The refreshed page is what pip gets next.
    assert_eq!(
        versions(&pip(env.clone()).await),
        ["pkg-0.1.0.tar.gz", "pkg-0.2.0.tar.gz"]
    );
    env.assert_no_leaks();
}

/// `awsproxy cache warm` (the real binary) fetches through the listener what a
/// requirements file and a uv.lock name: pinned versions' files for this
/// platform, pages only for unpinned names; a second run finds them cached,
/// and a missing project fails the run (exit 1) with a line that names it.
#[tokio::test]
async fn cache_warm_fetches_pinned_files_through_the_mount() {
    let env = setup(vec![mount("corp")]).await;
    env.up()
        .add("demo", "1.0", "demo-1.0-py3-none-any.whl", b"wheel 1.0");
    env.up().add("demo", "1.0", "demo-1.0.tar.gz", b"sdist 1.0");
    env.up().add(
        "demo",
        "1.0",
        "demo-1.0-cp312-cp312-win_amd64.whl",
        b"windows",
    );
    env.up()
        .add("demo", "0.9", "demo-0.9-py3-none-any.whl", b"wheel 0.9");
    env.up()
        .add("other", "2.0", "other-2.0.tar.gz", b"other sdist");
    env.up().add("loose", "3.0", "loose-3.0.tar.gz", b"loose");

    let dir = tempfile::tempdir().unwrap();
    let addr = env.base.trim_start_matches("http://");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[repos]\nlisten = \"{addr}\"\n\n[[repos.pypi]]\nname = \"corp\"\ndomain = \"fake-domain\"\n\
             domain_owner = \"{OWNER}\"\nregion = \"us-east-1\"\nrepository = \"repo\"\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("more.txt"), "Loose>=1\n").unwrap();
    std::fs::write(
        dir.path().join("requirements.txt"),
        "# pinned\nDemo==1.0  # a comment\n-r more.txt\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("uv.lock"),
        "version = 1\n[[package]]\nname = \"other\"\nversion = \"2.0\"\n\
         source = { registry = \"http://x/simple/\" }\n\
         sdist = { url = \"http://x/f/other-2.0.tar.gz\", hash = \"sha256:00\" }\n",
    )
    .unwrap();
    let (c, d) = (config.clone(), dir.path().to_owned());
    let (code, doc) = tokio::task::spawn_blocking(move || warm(&c, &d))
        .await
        .unwrap();
    assert_eq!(code, Some(0), "{doc}");
    let files: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    // The wheel that fits (not the Windows one, not the sdist of a version
    // with a wheel), the locked sdist; the unpinned project's page only.
    let expected = if cfg!(windows) {
        vec![
            "demo-1.0-cp312-cp312-win_amd64.whl",
            "demo-1.0-py3-none-any.whl",
            "other-2.0.tar.gz",
        ]
    } else {
        vec!["demo-1.0-py3-none-any.whl", "other-2.0.tar.gz"]
    };
    assert_eq!(files, expected, "{doc}");
    assert_eq!(doc["projects"], 3);
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["cached"] == false)
    );
    assert_eq!(env.up().count("demo-1.0-py3-none-any.whl"), 1);
    assert_eq!(env.up().count("loose-3.0.tar.gz"), 0);
    assert_eq!(env.up().count("/loose/"), 1, "the unpinned page was read");

    // Warm again: every file is a hit, the upstream isn't asked for any.
    std::fs::write(dir.path().join("more.txt"), "nothere==1.0\n").unwrap();
    let (c, d) = (config.clone(), dir.path().to_owned());
    let (code, doc) = tokio::task::spawn_blocking(move || warm(&c, &d))
        .await
        .unwrap();
    assert_eq!(code, Some(1), "{doc}");
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["cached"] == true),
        "{doc}"
    );
    assert_eq!(env.up().count("demo-1.0-py3-none-any.whl"), 1);
    assert_eq!(doc["failed"][0]["project"], "nothere", "{doc}");
    assert!(
        doc["failed"][0]["error"].as_str().unwrap().contains("404"),
        "{doc}"
    );
}

/// Runs `awsproxy cache warm --json` on `dir`'s requirements.txt and uv.lock.
fn warm(config: &std::path::Path, dir: &std::path::Path) -> (Option<i32>, serde_json::Value) {
    let (r, lock) = (dir.join("requirements.txt"), dir.join("uv.lock"));
    crate::support::context::cache_warm(
        config,
        dir,
        &[
            "-r".as_ref(),
            r.as_os_str(),
            "--lock".as_ref(),
            lock.as_os_str(),
        ],
    )
}
