//! The Maven service (`/maven/NAME/...`) against the in-process S3 fake: the
//! router from `services::maven::router_with`, served on 127.0.0.1:0 with a
//! disk cache in a temp dir, driven by real HTTP requests.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use awsproxy::cache::store::disk::DiskStore;
use awsproxy::cache::{CacheSettings, HttpCache};
use awsproxy::config::MavenMount;
use awsproxy::creds::{CacheOptions, CredentialCache, CredsRegistry, SourceSpec};
use awsproxy::services::maven::{Tuning, router_with};
use awsproxy::services::repos::RepoContext;
use awsproxy::services::status::{Health, StatusBoard};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::Digest as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::fakes::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeS3};
use crate::support::origin::{Origin, Reply};

const BUCKET: &str = "artifacts";
const JAR: &str = "com/example/lib/1.0/lib-1.0.jar";

fn mount(s3: &FakeS3) -> MavenMount {
    MavenMount {
        name: "corp".into(),
        bucket: BUCKET.into(),
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

fn static_creds(akid: &str, secret: &str) -> CredentialCache {
    CredentialCache::with_provider(
        SourceSpec::profile(Some("maven-test")),
        SharedCredentialsProvider::new(Credentials::new(akid, secret, None, None, "test")),
        CacheOptions::default(),
    )
}

struct Served {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
    board: StatusBoard,
    cache: HttpCache,
    _cache_dir: tempfile::TempDir,
}

struct Got {
    status: u16,
    headers: http::HeaderMap,
    body: Result<Bytes, String>,
}

impl Got {
    fn text(&self) -> String {
        String::from_utf8_lossy(self.body.as_ref().unwrap()).into_owned()
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
}

async fn serve_with(mounts: Vec<(MavenMount, CredentialCache)>, tuning: Tuning) -> Served {
    let cache_dir = tempfile::tempdir().unwrap();
    let root = cache_dir.path().to_path_buf();
    let store = DiskStore::open(&root.join("http"), 1 << 30).unwrap();
    let board = StatusBoard::default();
    let cache = HttpCache::new(Arc::new(store), CacheSettings::default());
    let ctx = RepoContext {
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

async fn serve(s3: &FakeS3, m: MavenMount) -> Served {
    serve_with(
        vec![(m, static_creds(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY))],
        Tuning::default(),
    )
    .await
    .with_bucket(s3)
}

impl Served {
    fn with_bucket(self, s3: &FakeS3) -> Self {
        s3.create_bucket(BUCKET);
        self
    }

    async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Got {
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
    async fn wait_stored(&self, n: usize) {
        for _ in 0..500 {
            if self.cache.store().list().await.unwrap().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the cache never held {n} entries");
    }

    async fn get(&self, path: &str) -> Got {
        self.send("GET", path, &[], b"").await
    }

    /// A raw request line, so no client normalises the path; returns the status.
    async fn raw_status(&self, path: &str) -> u16 {
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

fn gets_of(s3: &FakeS3, key_suffix: &str) -> Vec<crate::support::fakes::S3RequestRecord> {
    s3.requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(key_suffix))
        .collect()
}

fn key(path: &str) -> String {
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
    assert!(
        denied.text().contains("s3://artifacts/maven2/"),
        "{}",
        denied.text()
    );
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
        assert!(
            r.text().contains("awsproxy sso login --profile dev"),
            "{}",
            r.text()
        );
    }
    assert_eq!(s3.request_count(), 0, "{:?}", s3.requests());
    assert!(matches!(
        &srv.board.health_now()["maven:corp"],
        Health::Unhealthy { reason } if reason.contains("sso login")
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

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test]
async fn release_files_are_checked_against_their_sidecars_before_caching() {
    let s3 = FakeS3::start().await;
    let srv = serve(&s3, mount(&s3)).await;
    let body = b"the real jar".to_vec();

    // A wrong .sha256: the client's body fails and nothing is cached (the next
    // request reads S3 again).
    let bad = "com/example/bad/1.0/bad-1.0.jar";
    s3.put(BUCKET, &key(bad), &body);
    s3.put(BUCKET, &key(&format!("{bad}.sha256")), "0".repeat(64));
    let r = srv.get(&format!("/maven/corp/{bad}")).await;
    assert!(
        r.body.is_err(),
        "a body failing its checksum was delivered whole"
    );
    let again = srv.get(&format!("/maven/corp/{bad}")).await;
    assert!(again.body.is_err());
    assert!(srv.cache.store().list().await.unwrap().is_empty());
    assert_eq!(
        gets_of(&s3, "bad-1.0.jar").len(),
        2,
        "the bad body was cached"
    );

    // A right .sha256: served and cached.
    let good = "com/example/good/1.0/good-1.0.jar";
    s3.put(BUCKET, &key(good), &body);
    s3.put(
        BUCKET,
        &key(&format!("{good}.sha256")),
        format!("{}  good-1.0.jar\n", sha256_hex(&body)),
    );
    for _ in 0..2 {
        let r = srv.get(&format!("/maven/corp/{good}")).await;
        assert_eq!(r.body.unwrap().as_ref(), &body[..]);
        srv.wait_stored(1).await;
    }
    assert_eq!(gets_of(&s3, "good-1.0.jar").len(), 1);
    assert_eq!(gets_of(&s3, "good-1.0.jar.sha256").len(), 1);

    // Only a .sha1 (older repositories): checked too.
    let old = "com/example/old/1.0/old-1.0.jar";
    s3.put(BUCKET, &key(old), &body);
    s3.put(
        BUCKET,
        &key(&format!("{old}.sha1")),
        hex::encode(sha1::Sha1::digest(&body)),
    );
    assert_eq!(
        srv.get(&format!("/maven/corp/{old}"))
            .await
            .body
            .unwrap()
            .as_ref(),
        &body[..]
    );
    let old_bad = "com/example/old/2.0/old-2.0.jar";
    s3.put(BUCKET, &key(old_bad), &body);
    s3.put(BUCKET, &key(&format!("{old_bad}.sha1")), "1".repeat(40));
    assert!(
        srv.get(&format!("/maven/corp/{old_bad}"))
            .await
            .body
            .is_err()
    );

    // The sidecar itself is served as text.
    let side = srv.get(&format!("/maven/corp/{good}.sha256")).await;
    assert_eq!(side.status, 200);
    assert_eq!(side.header("content-type"), "text/plain; charset=utf-8");
}

#[tokio::test]
async fn snapshot_metadata_is_revalidated_with_a_conditional_get() {
    let s3 = FakeS3::start().await;
    let srv = serve(&s3, mount(&s3)).await;
    let meta = "com/example/lib/1.1-SNAPSHOT/maven-metadata.xml";
    s3.put(BUCKET, &key(meta), "<metadata>v1</metadata>");
    let url = format!("/maven/corp/{meta}");

    let first = srv.get(&url).await;
    assert_eq!(first.text(), "<metadata>v1</metadata>");
    assert!(
        first.header("cache-status").contains("stored"),
        "{:?}",
        first.headers
    );
    srv.wait_stored(1).await;
    // Unchanged: S3 answers the conditional GET with 304 and the stored copy is served.
    let r = srv.get(&url).await;
    assert_eq!(r.text(), "<metadata>v1</metadata>");
    let gets = gets_of(&s3, "maven-metadata.xml");
    assert_eq!(gets.len(), 2);
    assert!(gets[1].if_none_match.is_some(), "{gets:?}");
    assert_eq!(gets[1].status, 304);

    // Changed in S3: the next GET sees the new content at once.
    s3.put(BUCKET, &key(meta), "<metadata>v2</metadata>");
    assert_eq!(srv.get(&url).await.text(), "<metadata>v2</metadata>");
    let gets = gets_of(&s3, "maven-metadata.xml");
    assert_eq!(gets.len(), 3);
    assert!(gets[2].if_none_match.is_some());
    assert_eq!(gets[2].status, 200);
    assert!(
        srv.get(&url)
            .await
            .header("cache-control")
            .contains("no-cache")
    );
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

/// A `credential_process` profile (in its own config file) whose script prints
/// whatever `creds.json` holds, so the test can rotate the keys under it.
fn rotating_profile(dir: &std::path::Path) -> CredentialCache {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("creds.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ncat '{}'\n", dir.join("creds.json").display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile rotating]\ncredential_process = {}\n",
            script.display()
        ),
    )
    .unwrap();
    #[allow(deprecated)]
    let files = aws_config::profile::profile_file::ProfileFiles::builder()
        .with_file(
            aws_config::profile::profile_file::ProfileFileKind::Config,
            &config,
        )
        .build();
    let provider = aws_config::profile::ProfileFileCredentialsProvider::builder()
        .profile_files(files)
        .profile_name("rotating")
        .build();
    CredentialCache::with_provider(
        SourceSpec::profile(Some("rotating")),
        SharedCredentialsProvider::new(provider),
        CacheOptions::default(),
    )
}

/// Keys that expire inside the credentials cache's refresh-ahead window, so each
/// request asks the profile again (as after a rotation or a new login).
fn write_keys(dir: &std::path::Path, akid: &str, secret: &str) {
    let expires = awsproxy::creds::rfc3339(SystemTime::now() + Duration::from_secs(15 * 60));
    std::fs::write(
        dir.join("creds.json"),
        format!(
            r#"{{"Version": 1, "AccessKeyId": "{akid}", "SecretAccessKey": "{secret}", "Expiration": "{expires}"}}"#
        ),
    )
    .unwrap();
}

#[tokio::test]
async fn rotated_credentials_are_used_by_the_next_request_without_a_restart() {
    let s3 = FakeS3::start_with_auth(&[
        ("AKIDROTATEDAAAA", "secret-one"),
        ("AKIDROTATEDBBBB", "secret-two"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    write_keys(dir.path(), "AKIDROTATEDAAAA", "secret-one");
    let m = MavenMount {
        profile: Some("rotating".into()),
        ..mount(&s3)
    };
    let srv = serve_with(vec![(m, rotating_profile(dir.path()))], Tuning::default())
        .await
        .with_bucket(&s3);
    s3.put(BUCKET, &key(JAR), b"one");
    s3.put(BUCKET, &key("com/example/lib/2.0/lib-2.0.jar"), b"two");

    let r = srv.get(&format!("/maven/corp/{JAR}")).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // The old keys stop working; the profile now gives new ones.
    s3.deny_key("AKIDROTATEDAAAA");
    write_keys(dir.path(), "AKIDROTATEDBBBB", "secret-two");
    s3.clear_requests();
    let r = srv.get("/maven/corp/com/example/lib/2.0/lib-2.0.jar").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "two");
    let signers: Vec<_> = s3
        .requests()
        .into_iter()
        .map(|r| r.access_key_id.unwrap_or_default())
        .collect();
    assert!(!signers.is_empty());
    assert!(
        signers.iter().all(|k| k == "AKIDROTATEDBBBB"),
        "{signers:?}"
    );
}

#[tokio::test]
async fn upstream_pull_through_writes_verified_artifacts_back_to_the_bucket() {
    let s3 = FakeS3::start().await;
    let origin = Origin::start();
    let jar = b"an artifact from the public repository".to_vec();
    let path = "org/public/thing/3.0/thing-3.0.jar";
    origin.set(&format!("/maven2/{path}"), Reply::ok(jar.clone()));
    origin.set(
        &format!("/maven2/{path}.sha1"),
        Reply::ok(hex::encode(sha1::Sha1::digest(&jar))),
    );
    let bad = "org/public/bad/3.0/bad-3.0.jar";
    origin.set(&format!("/maven2/{bad}"), Reply::ok(jar.clone()));
    origin.set(&format!("/maven2/{bad}.sha1"), Reply::ok("2".repeat(40)));
    let m = MavenMount {
        upstream: Some(origin.url("/maven2/")),
        write_back: true,
        ..mount(&s3)
    };
    let srv = serve(&s3, m).await;

    let r = srv.get(&format!("/maven/corp/{path}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body.as_ref().unwrap().as_ref(), &jar[..]);
    assert_eq!(r.header("content-type"), "application/java-archive");
    let mut copied = None;
    for _ in 0..500 {
        copied = s3.read(BUCKET, &key(path));
        if copied.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(copied.as_deref(), Some(&jar[..]), "not written back");

    // A body that fails its upstream checksum is neither served whole nor copied.
    let r = srv.get(&format!("/maven/corp/{bad}")).await;
    assert!(r.body.is_err());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(s3.read(BUCKET, &key(bad)).is_none());

    // Missing in both places: 404.
    let r = srv.get("/maven/corp/org/public/none/1/none-1.jar").await;
    assert_eq!(r.status, 404, "{}", r.text());
}

#[tokio::test]
async fn deploy_needs_allow_deploy() {
    let s3 = FakeS3::start().await;
    let srv = serve(&s3, mount(&s3)).await;
    let url = "/maven/corp/com/example/app/1.0/app-1.0.jar";
    let r = srv.send("PUT", url, &[], b"jar bytes").await;
    assert_eq!(r.status, 405, "{}", r.text());
    assert_eq!(r.header("allow"), "GET, HEAD");
    assert!(r.text().contains("allow_deploy"));
    assert_eq!(srv.send("DELETE", url, &[], b"").await.status, 405);
    assert_eq!(s3.request_count(), 0);

    let m = MavenMount {
        allow_deploy: true,
        ..mount(&s3)
    };
    let srv = serve(&s3, m).await;
    let r = srv.send("PUT", url, &[], b"jar bytes").await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        s3.read(BUCKET, &key("com/example/app/1.0/app-1.0.jar"))
            .as_deref(),
        Some(&b"jar bytes"[..])
    );
    let r = srv.get(url).await;
    assert_eq!(r.text(), "jar bytes");
    assert_eq!(
        srv.send("PUT", "/maven/corp/../x.jar", &[], b"x")
            .await
            .status,
        400
    );
    assert_eq!(
        srv.send("PUT", "/maven/corp/com/", &[], b"x").await.status,
        405
    );
}
