//! The Maven service (`/maven/NAME/...`) against the in-process S3 fake: the
//! router from `services::maven::router_with`, served on 127.0.0.1:0 with a
//! disk cache in a temp dir, driven by real HTTP requests. `caching` holds the
//! sidecar and revalidation tests, `credentials` the rotation test,
//! `pull_through` the upstream and deploy tests.

mod caching;
mod codeartifact;
mod credentials;
mod pull_through;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use awsproxy::cache::store::disk::DiskStore;
use awsproxy::cache::{CacheSettings, HttpCache};
use awsproxy::config::MavenMount;
use awsproxy::creds::{CacheOptions, CredentialCache, CredsRegistry, SourceSpec};
use awsproxy::net::ClientSettings;
use awsproxy::services::maven::{Tuning, router_with};
use awsproxy::services::repos::RepoContext;
use awsproxy::services::status::{Health, StatusBoard};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::fakes::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeS3};

pub(super) const BUCKET: &str = "artifacts";
pub(super) const JAR: &str = "com/example/lib/1.0/lib-1.0.jar";

pub(super) fn mount(s3: &FakeS3) -> MavenMount {
    MavenMount {
        name: "corp".into(),
        bucket: Some(BUCKET.into()),
        domain: None,
        domain_owner: None,
        repository: None,
        prefix: "maven2".into(),
        region: Some("us-east-1".into()),
        profile: None,
        endpoint: Some(s3.endpoint()),
        force_path_style: true,
        upstream: None,
        write_back: false,
        allow_deploy: false,
    }
}

pub(super) fn static_creds(akid: &str, secret: &str) -> CredentialCache {
    CredentialCache::with_provider(
        SourceSpec::profile(Some("maven-test")),
        SharedCredentialsProvider::new(Credentials::new(akid, secret, None, None, "test")),
        CacheOptions::default(),
    )
}

pub(super) struct Served {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    pub(super) board: StatusBoard,
    pub(super) cache: HttpCache,
    _cache_dir: tempfile::TempDir,
}

pub(super) struct Got {
    pub(super) status: u16,
    pub(super) headers: http::HeaderMap,
    pub(super) body: Result<Bytes, String>,
}

impl Got {
    pub(super) fn text(&self) -> String {
        String::from_utf8_lossy(self.body.as_ref().unwrap()).into_owned()
    }
    pub(super) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
}

pub(super) async fn serve_with(
    mounts: Vec<(MavenMount, CredentialCache)>,
    tuning: Tuning,
) -> Served {
    serve_with_upstream(mounts, tuning, ClientSettings::default()).await
}

/// [`serve_with`], reaching upstream repositories with `upstream` (what `serve`
/// resolves from `[proxy] upstream_ca` and `upstream_proxy`).
pub(super) async fn serve_with_upstream(
    mounts: Vec<(MavenMount, CredentialCache)>,
    tuning: Tuning,
    upstream: ClientSettings,
) -> Served {
    serve_with_options(mounts, tuning, upstream, Default::default()).await
}

/// [`serve_with_upstream`], reaching CodeArtifact as `codeartifact` says.
pub(super) async fn serve_with_options(
    mounts: Vec<(MavenMount, CredentialCache)>,
    tuning: Tuning,
    upstream: ClientSettings,
    codeartifact: awsproxy::services::repos::CodeArtifactOptions,
) -> Served {
    let cache_dir = tempfile::tempdir().unwrap();
    let root = cache_dir.path().to_path_buf();
    let store = DiskStore::open(&root.join("http"), 1 << 30).unwrap();
    let board = StatusBoard::default();
    let cache = HttpCache::new(Arc::new(store), CacheSettings::default());
    let ctx = RepoContext {
        upstream,
        paths: awsproxy::paths::Paths {
            config_dir: root.join("config"),
            cache_dir: root.join("cache"),
            data_dir: root.join("data"),
            state_dir: root.join("state"),
            home: root.clone(),
        },
        cache: cache.clone(),
        creds: Arc::new(CredsRegistry::new(CacheOptions::default())),
        board: board.clone(),
        tokens: Default::default(),
        codeartifact,
    };
    let router = router_with(mounts, &ctx, tuning).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Served {
        base: format!("http://{addr}"),
        client: Client::builder(TokioExecutor::new()).build_http(),
        board,
        cache,
        _cache_dir: cache_dir,
    }
}

pub(super) async fn serve(s3: &FakeS3, m: MavenMount) -> Served {
    serve_with(
        vec![(m, static_creds(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY))],
        Tuning::default(),
    )
    .await
    .with_bucket(s3)
}

impl Served {
    pub(super) fn with_bucket(self, s3: &FakeS3) -> Self {
        s3.create_bucket(BUCKET);
        self
    }

    pub(super) async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Got {
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::copy_from_slice(body))).unwrap();
        let resp = self.client.request(req).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .map_err(|e| e.to_string());
        Got {
            status,
            headers,
            body,
        }
    }

    /// Waits (bounded) until the cache holds `n` entries: a client that read a
    /// whole body may ask again before the fill has committed it.
    pub(super) async fn wait_stored(&self, n: usize) {
        for _ in 0..500 {
            if self.cache.store().list().await.unwrap().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the cache never held {n} entries");
    }

    pub(super) async fn get(&self, path: &str) -> Got {
        self.send("GET", path, &[], b"").await
    }

    /// A raw request line, so no client normalises the path; returns the status.
    pub(super) async fn raw_status(&self, path: &str) -> u16 {
        let addr = self.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out).await;
        let text = String::from_utf8_lossy(&out);
        text.split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
}

pub(super) fn gets_of(
    s3: &FakeS3,
    key_suffix: &str,
) -> Vec<crate::support::fakes::S3RequestRecord> {
    s3.requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(key_suffix))
        .collect()
}

pub(super) fn key(path: &str) -> String {
    format!("maven2/{path}")
}

#[tokio::test]
async fn get_head_range_and_conditional_requests() {
    let s3 = FakeS3::start().await;
    let srv = serve(&s3, mount(&s3)).await;
    let jar = b"PK\x03\x04 pretend this is a jar".to_vec();
    s3.put(BUCKET, &key(JAR), &jar);
    s3.put(
        BUCKET,
        &key("com/example/lib/1.0/lib-1.0.pom"),
        b"<project/>",
    );
    let url = format!("/maven/corp/{JAR}");

    let first = srv.get(&url).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.body.as_ref().unwrap().as_ref(), &jar[..]);
    assert_eq!(first.header("content-type"), "application/java-archive");
    assert_eq!(first.header("content-length"), jar.len().to_string());
    let etag = first.header("etag").to_owned();
    let last_modified = first.header("last-modified").to_owned();
    assert!(
        !etag.is_empty() && !last_modified.is_empty(),
        "{:?}",
        first.headers
    );
    assert!(first.header("cache-control").contains("immutable"));
    srv.wait_stored(1).await;

    // A release is served from the cache from now on: no more S3 GetObjects for it.
    let before = gets_of(&s3, "lib-1.0.jar").len();
    let second = srv.get(&url).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body.as_ref().unwrap().as_ref(), &jar[..]);
    assert!(
        second.header("cache-status").contains("hit"),
        "{:?}",
        second.headers
    );
    assert_eq!(gets_of(&s3, "lib-1.0.jar").len(), before);

    let head = srv.send("HEAD", &url, &[], b"").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), jar.len().to_string());
    assert!(head.body.unwrap().is_empty());

    let pom = srv.get("/maven/corp/com/example/lib/1.0/lib-1.0.pom").await;
    assert_eq!(pom.status, 200);
    assert_eq!(pom.header("content-type"), "application/xml");

    let range = srv.send("GET", &url, &[("range", "bytes=2-5")], b"").await;
    assert_eq!(range.status, 206);
    assert_eq!(range.body.as_ref().unwrap().as_ref(), &jar[2..=5]);
    assert_eq!(
        range.header("content-range"),
        format!("bytes 2-5/{}", jar.len())
    );
    let ranged_gets = gets_of(&s3, "lib-1.0.jar");
    assert_eq!(
        ranged_gets.last().unwrap().range.as_deref(),
        Some("bytes=2-5")
    );

    let inm = srv
        .send("GET", &url, &[("if-none-match", &etag)], b"")
        .await;
    assert_eq!(inm.status, 304);
    assert_eq!(inm.header("etag"), etag);
    assert!(inm.body.unwrap().is_empty());
    let ims = srv
        .send("GET", &url, &[("if-modified-since", &last_modified)], b"")
        .await;
    assert_eq!(ims.status, 304);
    let other = srv
        .send("GET", &url, &[("if-none-match", "\"something-else\"")], b"")
        .await;
    assert_eq!(other.status, 200);

    let missing = srv.get("/maven/corp/com/example/lib/2.0/lib-2.0.jar").await;
    assert_eq!(missing.status, 404, "{}", missing.text());
    let no_mount = srv.get("/maven/nope/x.jar").await;
    assert_eq!(no_mount.status, 404);
}

#[tokio::test]
async fn listings_page_through_large_prefixes() {
    let s3 = FakeS3::start().await;
    let srv = serve_with(
        vec![(
            mount(&s3),
            static_creds(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY),
        )],
        Tuning {
            list_page_size: 7,
            max_list_pages: 50,
        },
    )
    .await
    .with_bucket(&s3);
    for i in 0..30 {
        s3.put(BUCKET, &key(&format!("com/example/many/f{i:02}.jar")), b"x");
    }
    s3.put(BUCKET, &key("com/example/many/sub/a.pom"), b"<project/>");
    s3.put(BUCKET, &key("com/example/lib/1.0/lib-1.0.jar"), b"x");

    let page = srv.get("/maven/corp/com/example/many/").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    let html = page.text();
    for i in 0..30 {
        assert!(
            html.contains(&format!("href=\"f{i:02}.jar\"")),
            "f{i:02} missing"
        );
    }
    assert!(html.contains("href=\"sub/\""));
    assert!(html.contains("href=\"../\""));
    let lists = s3
        .requests()
        .into_iter()
        .filter(|r| {
            r.query
                .as_deref()
                .is_some_and(|q| q.contains("list-type=2"))
        })
        .count();
    assert!(
        lists >= 5,
        "31 entries in pages of 7 took {lists} ListObjectsV2 calls"
    );

    let root = srv.get("/maven/corp/").await;
    assert_eq!(root.status, 200);
    assert!(root.text().contains("href=\"com/\""));
    assert!(!root.text().contains("href=\"../\""));
    assert_eq!(srv.get("/maven/corp/org/nothing/").await.status, 404);
    let redirect = srv.get("/maven/corp").await;
    assert_eq!(redirect.status, 308);
    assert_eq!(redirect.header("location"), "/maven/corp/");

    // A listing that needs more pages than allowed is cut short, and says so.
    let capped = serve_with(
        vec![(
            mount(&s3),
            static_creds(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY),
        )],
        Tuning {
            list_page_size: 5,
            max_list_pages: 2,
        },
    )
    .await;
    let page = capped.get("/maven/corp/com/example/many/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("cut short"));
    assert_eq!(page.text().matches("<a href=\"f").count(), 10);
}

#[tokio::test]
async fn missing_is_404_denied_is_502_and_expired_sso_is_503() {
    let s3 = FakeS3::start_with_auth(&[(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)]).await;
    let srv = serve(&s3, mount(&s3)).await;
    s3.put(BUCKET, &key(JAR), b"jar");
    let url = format!("/maven/corp/{JAR}");

    assert_eq!(
        srv.get("/maven/corp/com/none/1/none-1.jar").await.status,
        404
    );
    s3.set_access_denied(true);
    let denied = srv.get(&url).await;
    assert_eq!(denied.status, 502, "{}", denied.text());
    assert!(denied.text().contains("denied access"), "{}", denied.text());
    // The bucket and S3's error code go to the log and /healthz, not the body.
    assert!(!denied.text().contains("artifacts"), "{}", denied.text());
    assert!(!denied.text().contains("AccessDenied"), "{}", denied.text());
    let health = srv.board.health_now();
    assert!(
        matches!(&health["maven:corp"], Health::Unhealthy { reason } if reason.contains("AccessDenied")),
        "{health:?}"
    );
    s3.set_access_denied(false);
    assert_eq!(srv.get(&url).await.status, 200);
    assert_eq!(srv.board.health_now()["maven:corp"], Health::Healthy);

    // A client whose key S3 doesn't know is denied too (not a 500).
    let strangers = serve_with(
        vec![(mount(&s3), static_creds("AKIDUNKNOWN", "nope"))],
        Tuning::default(),
    )
    .await;
    let r = strangers
        .get("/maven/corp/com/example/lib/1.0/other-1.0.jar")
        .await;
    assert_eq!(r.status, 502, "{}", r.text());

    // An SSO profile whose session expires: cached releases are still served;
    // anything that needs S3 is a 503 saying what to run, and S3 is not asked.
    let expired = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let session = CredentialCache::with_provider(
        SourceSpec::profile(Some("dev")),
        SharedCredentialsProvider::new(Sso(expired.clone())),
        CacheOptions::default(),
    );
    let m = MavenMount {
        profile: Some("dev".into()),
        ..mount(&s3)
    };
    let srv = serve_with(vec![(m, session)], Tuning::default()).await;
    assert_eq!(srv.get(&url).await.status, 200);
    srv.wait_stored(1).await;
    expired.store(true, std::sync::atomic::Ordering::SeqCst);
    s3.clear_requests();
    let cached = srv.get(&url).await;
    assert_eq!(cached.status, 200, "{}", cached.text());
    assert_eq!(cached.text(), "jar");
    for path in [
        "/maven/corp/com/example/lib/1.0/lib-1.0.pom",
        "/maven/corp/com/example/lib/maven-metadata.xml",
        "/maven/corp/com/example/",
    ] {
        let r = srv.get(path).await;
        assert_eq!(r.status, 503, "{path}: {}", r.text());
        assert!(r.text().contains("awsproxy sso login"), "{}", r.text());
    }
    assert_eq!(s3.request_count(), 0, "{:?}", s3.requests());
    // /healthz, which the body points at, names the exact command.
    assert!(matches!(
        &srv.board.health_now()["maven:corp"],
        Health::Unhealthy { reason } if reason.contains("awsproxy sso login --profile dev")
    ));
}

/// An SSO profile whose session the test can expire. Its keys expire inside the
/// refresh-ahead window, so every request asks it again.
#[derive(Debug)]
struct Sso(Arc<std::sync::atomic::AtomicBool>);

impl ProvideCredentials for Sso {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        if self.0.load(std::sync::atomic::Ordering::SeqCst) {
            return provider::future::ProvideCredentials::ready(Err(
                CredentialsError::provider_error("the SSO token for this profile has expired"),
            ));
        }
        provider::future::ProvideCredentials::ready(Ok(Credentials::new(
            FAKE_ACCESS_KEY_ID,
            FAKE_SECRET_ACCESS_KEY,
            None,
            Some(SystemTime::now() + Duration::from_secs(5 * 60)),
            "test",
        )))
    }
}

#[tokio::test]
async fn hostile_paths_are_400_and_never_reach_s3() {
    let s3 = FakeS3::start().await;
    let srv = serve(&s3, mount(&s3)).await;
    s3.put(BUCKET, "secret.txt", "outside the prefix");
    let hostile = [
        "/maven/corp/../secret.txt",
        "/maven/corp/com/../../secret.txt",
        "/maven/corp/%2e%2e/secret.txt",
        "/maven/corp/%2E%2E/secret.txt",
        "/maven/corp/com/%2e%2e/%2e%2e/secret.txt",
        "/maven/corp/%252e%252e/secret.txt",
        "/maven/corp/..%2fsecret.txt",
        "/maven/corp/%2e%2e%2fsecret.txt",
        "/maven/corp/com%5c..%5c..%5csecret.txt",
        "/maven/corp//secret.txt",
        "/maven/corp/%2fsecret.txt",
        "/maven/corp/com//lib.jar",
        "/maven/corp/com/lib.jar%00.pom",
        "/maven/corp/com/%0a/x.jar",
        "/maven/corp/com/%",
        "/maven/corp/com/%zz.jar",
        "/maven/corp/com/%c3%28.jar",
        "/maven/corp/./secret.txt",
        "/maven/corp/com/./lib.jar",
        "/maven/corp/..",
        "/maven/corp/%2e%2e",
    ];
    for path in hostile {
        let status = srv.raw_status(path).await;
        assert_eq!(status, 400, "{path} answered {status}");
    }
    assert_eq!(s3.request_count(), 0, "{:?}", s3.requests());
}
