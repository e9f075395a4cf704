//! The cache core against a local origin ([`support::origin`]): real
//! `HttpCache`s with disk and S3 stores, and `cache ls` / `cache purge`
//! through the binary.

use std::sync::Arc;
use std::time::Duration;

use awsproxy::cache::store::disk::DiskStore;
use awsproxy::cache::store::s3::S3Store;
use awsproxy::cache::store::{EntryMeta, META_VERSION, Store};
use awsproxy::cache::{
    Body, BoxFuture, CachePolicy, CacheSettings, Fetch, FetchError, HttpCache, LookupOptions,
    Verifier,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::support::TestContext;
use crate::support::fakes::FakeS3;
use crate::support::origin::{Mode, Origin, Reply};

/// Plain HTTP upstream through hyper's client.
#[derive(Debug, Clone)]
struct Upstream {
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl Upstream {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }
}

impl Fetch for Upstream {
    fn fetch(
        &self,
        req: http::Request<()>,
    ) -> BoxFuture<'static, Result<http::Response<Body>, FetchError>> {
        let client = self.client.clone();
        Box::pin(async move {
            let resp = client
                .request(req.map(|()| Empty::new()))
                .await
                .map_err(|e| FetchError::new("cannot reach the origin", e))?;
            Ok(resp.map(|b| b.map_err(Into::into).boxed_unsync()))
        })
    }
}

fn disk_cache(dir: &std::path::Path) -> HttpCache {
    let store = DiskStore::open(dir, 1 << 30).unwrap();
    HttpCache::new(Arc::new(store), CacheSettings::default())
}

fn get(url: &str) -> http::Request<()> {
    http::Request::get(url).body(()).unwrap()
}

fn opts(policy: CachePolicy) -> LookupOptions {
    LookupOptions {
        policy,
        ..LookupOptions::default()
    }
}

/// Status, `Cache-Status`, body.
async fn fetch(
    cache: &HttpCache,
    req: http::Request<()>,
    o: LookupOptions,
) -> (u16, String, Result<Bytes, String>) {
    let resp = cache.handle(req, o, Upstream::new()).await;
    let status = resp.status().as_u16();
    let cs = resp
        .headers()
        .get("cache-status")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| e.to_string());
    (status, cs, body)
}

#[tokio::test]
async fn miss_then_hit_streams_from_the_store_with_age() {
    let origin = Origin::start();
    origin.set(
        "/a",
        Reply::ok("hello").header("cache-control", "max-age=600"),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());

    let (status, cs, body) =
        fetch(&cache, get(&origin.url("/a")), opts(CachePolicy::Standard)).await;
    assert_eq!((status, body.unwrap().as_ref()), (200, &b"hello"[..]));
    assert_eq!(cs, "awsproxy; fwd=uri-miss; stored");

    let resp = cache
        .handle(
            get(&origin.url("/a")),
            opts(CachePolicy::Standard),
            Upstream::new(),
        )
        .await;
    assert!(resp.headers().get("age").is_some());
    assert_eq!(resp.headers()["content-length"], "5");
    let cs = resp.headers()["cache-status"].to_str().unwrap().to_owned();
    assert!(cs.starts_with("awsproxy; hit; ttl="), "{cs}");
    assert_eq!(
        resp.into_body().collect().await.unwrap().to_bytes(),
        "hello"
    );
    assert_eq!(origin.count("/a"), 1);
}

#[tokio::test]
async fn stale_entries_are_revalidated_with_304() {
    let origin = Origin::start();
    origin.set(
        "/r",
        Reply::ok("v1")
            .header("cache-control", "max-age=0")
            .header("etag", "\"e1\""),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    fetch(&cache, get(&origin.url("/r")), opts(CachePolicy::Standard))
        .await
        .2
        .unwrap();
    let (status, cs, body) =
        fetch(&cache, get(&origin.url("/r")), opts(CachePolicy::Standard)).await;
    assert_eq!((status, body.unwrap().as_ref()), (200, &b"v1"[..]));
    assert_eq!(cs, "awsproxy; fwd=stale; fwd-status=304");
    let seen = origin.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[1].headers.get("if-none-match").map(String::as_str),
        Some("\"e1\"")
    );
    assert_eq!(seen[1].status, 304);

    // A changed resource replaces the entry.
    origin.set(
        "/r",
        Reply::ok("v2")
            .header("cache-control", "max-age=0")
            .header("etag", "\"e2\""),
    );
    let (_, cs, body) = fetch(&cache, get(&origin.url("/r")), opts(CachePolicy::Standard)).await;
    assert_eq!(body.unwrap(), "v2");
    assert_eq!(cs, "awsproxy; fwd=stale; fwd-status=200; stored");
}

#[tokio::test]
async fn last_modified_validates_and_no_refresh_skips_revalidation() {
    let origin = Origin::start();
    let lm = "Mon, 02 Nov 2026 10:00:00 GMT";
    origin.set(
        "/lm",
        Reply::ok("x")
            .header("cache-control", "no-cache")
            .header("last-modified", lm),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    fetch(&cache, get(&origin.url("/lm")), opts(CachePolicy::Standard))
        .await
        .2
        .unwrap();
    let (_, cs, _) = fetch(&cache, get(&origin.url("/lm")), opts(CachePolicy::Standard)).await;
    assert_eq!(cs, "awsproxy; fwd=stale; fwd-status=304");
    assert_eq!(
        origin.seen()[1]
            .headers
            .get("if-modified-since")
            .map(String::as_str),
        Some(lm)
    );
    let (_, cs, _) = fetch(
        &cache,
        get(&origin.url("/lm")),
        opts(CachePolicy::NoRefresh),
    )
    .await;
    assert!(cs.starts_with("awsproxy; hit"), "{cs}");
    assert_eq!(origin.count("/lm"), 2);
}

#[tokio::test]
async fn vary_selects_the_variant() {
    let origin = Origin::start();
    origin.set(
        "/v",
        Reply::ok("gz")
            .header("cache-control", "max-age=600")
            .header("vary", "Accept-Encoding"),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let with = |enc: &str| {
        http::Request::get(origin.url("/v"))
            .header("accept-encoding", enc)
            .body(())
            .unwrap()
    };
    fetch(&cache, with("gzip"), opts(CachePolicy::Standard))
        .await
        .2
        .unwrap();
    let (_, cs, _) = fetch(&cache, with("gzip"), opts(CachePolicy::Standard)).await;
    assert!(cs.starts_with("awsproxy; hit"), "{cs}");
    origin.set(
        "/v",
        Reply::ok("plain")
            .header("cache-control", "max-age=600")
            .header("vary", "Accept-Encoding"),
    );
    let (_, cs, body) = fetch(&cache, with("identity"), opts(CachePolicy::Standard)).await;
    assert_eq!(cs, "awsproxy; fwd=vary-miss; stored");
    assert_eq!(body.unwrap(), "plain");
    assert_eq!(origin.count("/v"), 2);
}

#[tokio::test]
async fn stale_if_error_serves_stale_content_while_the_origin_is_down() {
    let origin = Origin::start();
    origin.set(
        "/s",
        Reply::ok("old")
            .header("cache-control", "max-age=0")
            .header("etag", "\"1\""),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    fetch(
        &cache,
        get(&origin.url("/s")),
        opts(CachePolicy::StaleIfError),
    )
    .await
    .2
    .unwrap();
    origin.set("/s", Reply::ok("old").mode(Mode::Down));
    let (status, cs, body) = fetch(
        &cache,
        get(&origin.url("/s")),
        opts(CachePolicy::StaleIfError),
    )
    .await;
    assert_eq!((status, body.unwrap().as_ref()), (200, &b"old"[..]));
    assert_eq!(
        cs,
        "awsproxy; hit; fwd=stale; fwd-status=503; detail=stale-if-error"
    );
    // Under `standard` without a `stale-if-error` directive the error goes through.
    let (status, _, _) = fetch(&cache, get(&origin.url("/s")), opts(CachePolicy::Standard)).await;
    assert_eq!(status, 503);

    // The origin gone entirely (connection refused).
    let url = origin.url("/s");
    drop(origin);
    let (status, cs, body) = fetch(&cache, get(&url), opts(CachePolicy::StaleIfError)).await;
    assert_eq!((status, body.unwrap().as_ref()), (200, &b"old"[..]), "{cs}");
    let (status, cs, _) = fetch(&cache, get(&url), opts(CachePolicy::Standard)).await;
    assert_eq!(status, 502);
    assert!(cs.contains("detail=upstream-error"), "{cs}");
}

#[tokio::test]
async fn fifty_concurrent_misses_make_one_origin_request() {
    let origin = Origin::start();
    let body = Bytes::from(vec![7u8; 256 * 1024]);
    origin.set(
        "/big",
        Reply::ok(body.clone())
            .header("cache-control", "max-age=600")
            .delay(Duration::from_millis(200)),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let cache = cache.clone();
            let url = origin.url("/big");
            tokio::spawn(async move { fetch(&cache, get(&url), opts(CachePolicy::Standard)).await })
        })
        .collect();
    let mut collapsed = 0;
    for t in tasks {
        let (status, cs, got) = t.await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(got.unwrap(), body);
        collapsed += usize::from(cs.contains("collapsed"));
    }
    assert_eq!(origin.count("/big"), 1);
    assert!(collapsed >= 1, "at least one request waited for the leader");
}

#[tokio::test]
async fn a_body_cut_mid_way_fails_the_client_and_is_not_stored() {
    let origin = Origin::start();
    origin.set(
        "/cut",
        Reply::ok(vec![1u8; 100_000])
            .header("cache-control", "max-age=600")
            .mode(Mode::CloseMidBody),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let (status, cs, body) = fetch(
        &cache,
        get(&origin.url("/cut")),
        opts(CachePolicy::Standard),
    )
    .await;
    assert_eq!(
        (status, cs.as_str()),
        (200, "awsproxy; fwd=uri-miss; stored")
    );
    assert!(body.is_err(), "the client must see an error");
    assert!(cache.store().list().await.unwrap().is_empty());
    let (_, cs, _) = fetch(
        &cache,
        get(&origin.url("/cut")),
        opts(CachePolicy::Standard),
    )
    .await;
    assert!(cs.contains("uri-miss"), "{cs}");
    assert_eq!(origin.count("/cut"), 2);
}

#[tokio::test]
async fn a_sha256_mismatch_fails_the_client_and_is_not_stored() {
    let origin = Origin::start();
    origin.set(
        "/pkg.whl",
        Reply::ok("tampered").header("cache-control", "max-age=600"),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let o = LookupOptions {
        verify: Some(Verifier::Sha256("00".repeat(32))),
        ..LookupOptions::default()
    };
    let (_, _, body) = fetch(&cache, get(&origin.url("/pkg.whl")), o).await;
    assert!(body.unwrap_err().contains("sha256"));
    assert!(cache.store().list().await.unwrap().is_empty());
}

#[test]
fn a_crash_during_a_fill_leaves_no_entry() {
    let origin = Origin::start();
    origin.set(
        "/slow",
        Reply::ok(vec![2u8; 200_000])
            .header("cache-control", "max-age=600")
            .mode(Mode::Stall),
    );
    let dir = tempfile::tempdir().unwrap();
    // The "process": a runtime that is torn down mid-fill.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cache = disk_cache(dir.path());
        let resp = cache
            .handle(
                get(&origin.url("/slow")),
                opts(CachePolicy::Standard),
                Upstream::new(),
            )
            .await;
        let mut body = resp.into_body();
        let first = body.frame().await.unwrap().unwrap();
        assert!(!first.into_data().unwrap().is_empty());
        let tmp: Vec<_> = std::fs::read_dir(dir.path().join("tmp")).unwrap().collect();
        assert_eq!(tmp.len(), 1, "a fill is in progress");
    });
    rt.shutdown_background();
    // What `kill -9` leaves: a temp file of a dead process.
    std::fs::write(
        dir.path().join("tmp/999999999-crashed.tmp"),
        b"AWSPXC01partial",
    )
    .unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = DiskStore::open(dir.path(), 1 << 30).unwrap();
        assert!(store.list().await.unwrap().is_empty());
        let key = awsproxy::cache::CacheKey::new(
            &http::Method::GET,
            &origin.url("/slow").parse().unwrap(),
            None,
            &[],
        );
        assert!(store.get(&key.hash()).await.unwrap().is_none());
    });
    let left: Vec<_> = std::fs::read_dir(dir.path().join("tmp")).unwrap().collect();
    assert!(left.is_empty(), "temp files left: {left:?}");
}

#[tokio::test]
async fn bans_make_clients_fail_fast_after_repeated_failures() {
    let origin = Origin::start();
    origin.set("/down", Reply::ok("x").mode(Mode::Down));
    let dir = tempfile::tempdir().unwrap();
    let section = awsproxy::config::ProxySection {
        ban_after_failures: 2,
        ban_for: awsproxy::config::values::HumanDuration(Duration::from_secs(3600)),
        ..Default::default()
    };
    let cache = HttpCache::new(
        Arc::new(DiskStore::open(dir.path(), 1 << 30).unwrap()),
        CacheSettings::from_proxy(&section).unwrap(),
    );
    for _ in 0..2 {
        let (status, _, _) = fetch(
            &cache,
            get(&origin.url("/down")),
            opts(CachePolicy::Standard),
        )
        .await;
        assert_eq!(status, 503);
    }
    let (status, cs, body) = fetch(
        &cache,
        get(&origin.url("/down")),
        opts(CachePolicy::Standard),
    )
    .await;
    assert_eq!(status, 502, "{cs}");
    assert!(
        body.unwrap()
            .starts_with(b"awsproxy: upstream request failed")
    );
    assert_eq!(origin.count("/down"), 2, "the banned host is not contacted");
}

fn meta(key: &str, url: &str, len: u64) -> EntryMeta {
    EntryMeta {
        version: META_VERSION,
        key: key.to_owned(),
        method: "GET".into(),
        url: url.to_owned(),
        status: 200,
        request_headers: Vec::new(),
        response_headers: vec![("cache-control".into(), "max-age=60".into())],
        stored_at_ms: awsproxy::cache::store::now_ms(),
        body_len: len,
        sha256: String::new(),
        immutable: false,
    }
}

async fn put(store: &dyn Store, key: &str, body: &[u8]) {
    let mut p = store.begin(key).await.unwrap();
    p.write(body).await.unwrap();
    p.commit(meta(key, &format!("http://h/{key}"), body.len() as u64))
        .await
        .unwrap();
}

async fn read(store: &dyn Store, key: &str) -> Option<Bytes> {
    let found = store.get(key).await.unwrap()?;
    Some(found.body.collect().await.unwrap().to_bytes())
}

/// What every store must do.
async fn store_suite(store: &dyn Store) {
    let k1 = "a".repeat(64);
    let k2 = "b".repeat(64);
    assert!(store.get(&k1).await.unwrap().is_none());
    // An abandoned write is invisible.
    let mut p = store.begin(&k1).await.unwrap();
    p.write(b"partial").await.unwrap();
    drop(p);
    assert!(store.get(&k1).await.unwrap().is_none());
    // A commit whose length is wrong fails.
    let mut p = store.begin(&k1).await.unwrap();
    p.write(b"abc").await.unwrap();
    assert!(p.commit(meta(&k1, "http://h/x", 4)).await.is_err());
    assert!(store.get(&k1).await.unwrap().is_none());

    put(store, &k1, b"one").await;
    let big = vec![9u8; 3 * 1024 * 1024 + 17];
    put(store, &k2, &big).await;
    assert_eq!(read(store, &k1).await.unwrap(), "one");
    assert_eq!(read(store, &k2).await.unwrap().len(), big.len());
    // Metadata updates keep the body.
    let mut m = store.get(&k1).await.unwrap().unwrap().meta;
    m.response_headers.push(("etag".into(), "\"z\"".into()));
    // Large metadata (S3: sidecar) survives too.
    m.response_headers.push(("x-long".into(), "v".repeat(3000)));
    store.update_meta(&m).await.unwrap();
    let found = store.get(&k1).await.unwrap().unwrap();
    assert_eq!(found.meta, m);
    assert_eq!(found.body.collect().await.unwrap().to_bytes(), "one");
    let mut listed: Vec<_> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.meta.key)
        .collect();
    listed.sort();
    assert_eq!(listed, vec![k1.clone(), k2.clone()]);
    assert!(store.remove(&k1).await.unwrap());
    assert!(!store.remove(&k1).await.unwrap());
    assert!(store.get(&k1).await.unwrap().is_none());
    assert_eq!(store.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn disk_store_passes_the_store_suite() {
    let dir = tempfile::tempdir().unwrap();
    store_suite(&DiskStore::open(dir.path(), 1 << 30).unwrap()).await;
}

#[tokio::test]
async fn s3_store_passes_the_store_suite() {
    let s3 = FakeS3::start().await;
    s3.create_bucket("team-cache");
    store_suite(&S3Store::new(s3.client(), "team-cache", "awsproxy/")).await;
}

#[tokio::test]
async fn http_cache_works_over_the_s3_store() {
    let origin = Origin::start();
    origin.set(
        "/s3",
        Reply::ok("shared").header("cache-control", "max-age=600"),
    );
    let s3 = FakeS3::start().await;
    s3.create_bucket("team-cache");
    let store = Arc::new(S3Store::new(s3.client(), "team-cache", ""));
    let a = HttpCache::new(store.clone(), CacheSettings::default());
    fetch(&a, get(&origin.url("/s3")), opts(CachePolicy::Standard))
        .await
        .2
        .unwrap();
    // Another instance on the same bucket gets a hit.
    let b = HttpCache::new(store, CacheSettings::default());
    let (_, cs, body) = fetch(&b, get(&origin.url("/s3")), opts(CachePolicy::Standard)).await;
    assert!(cs.starts_with("awsproxy; hit"), "{cs}");
    assert_eq!(body.unwrap(), "shared");
    assert_eq!(origin.count("/s3"), 1);
}

#[tokio::test]
async fn corrupt_disk_entries_are_misses_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path(), 1 << 30).unwrap();
    let k = "c".repeat(64);
    put(&store, &k, b"data").await;
    let path = dir.path().join("v1/cc").join(&k);
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    assert!(store.get(&k).await.unwrap().is_none());
    assert!(!path.exists());
}

#[tokio::test]
async fn lru_eviction_honours_max_size() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::open(dir.path(), 2_500_000).unwrap();
    let mb = vec![0u8; 1_000_000];
    let (a, b, c) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
    put(&store, &a, &mb).await;
    put(&store, &b, &mb).await;
    // Using `a` makes `b` the least recently used.
    assert!(read(&store, &a).await.is_some());
    put(&store, &c, &mb).await;
    assert!(store.get(&b).await.unwrap().is_none(), "b was evicted");
    assert!(read(&store, &a).await.is_some());
    assert!(read(&store, &c).await.is_some());
    let total: u64 = store.list().await.unwrap().iter().map(|e| e.size).sum();
    assert!(total <= 2_500_000);
    // The order survives a restart (it is the files' mtimes).
    drop(store);
    let store = DiskStore::open(dir.path(), 2_500_000).unwrap();
    assert!(read(&store, &c).await.is_some());
    put(&store, &b, &mb).await;
    assert!(
        store.get(&a).await.unwrap().is_none(),
        "a was least recently used"
    );
}

#[test]
fn cache_ls_and_purge_through_the_binary() {
    let origin = Origin::start();
    origin.set(
        "/one.tgz",
        Reply::ok("1").header("cache-control", "max-age=600"),
    );
    origin.set(
        "/two.whl",
        Reply::ok("22").header("cache-control", "max-age=600"),
    );
    let ctx = TestContext::new();
    let dir = ctx.cache_home().join("awsproxy/http");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cache = disk_cache(&dir);
        for p in ["/one.tgz", "/two.whl"] {
            fetch(&cache, get(&origin.url(p)), opts(CachePolicy::Standard))
                .await
                .2
                .unwrap();
        }
        fetch(
            &cache,
            get(&origin.url("/one.tgz")),
            opts(CachePolicy::Standard),
        )
        .await
        .2
        .unwrap();
    });

    let out = ctx.run(&["cache", "ls", "--json"]);
    out.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let entries = v.as_array().unwrap();
    assert_eq!(entries.len(), 2, "{v}");
    let one = entries
        .iter()
        .find(|e| e["url"].as_str().unwrap().ends_with("/one.tgz"))
        .unwrap();
    assert_eq!(one["hits"], 1);
    assert_eq!(one["body_size"], 1);
    assert_eq!(one["store"], "disk");

    let out = ctx.run(&["cache", "ls", "two"]);
    out.assert_code(0);
    assert!(out.stdout.contains("/two.whl"), "{}", out.stdout);
    assert!(!out.stdout.contains("/one.tgz"), "{}", out.stdout);

    let out = ctx.run(&["cache", "purge", "one", "--dry-run"]);
    out.assert_code(0);
    assert!(out.stdout.contains("/one.tgz"));
    assert_eq!(
        ctx.run(&["cache", "ls", "--json"])
            .stdout
            .matches("\"url\"")
            .count(),
        2
    );

    ctx.run(&["cache", "purge", "one"]).assert_code(0);
    let out = ctx.run(&["cache", "ls", "--json"]);
    assert!(
        !out.stdout.contains("one.tgz") && out.stdout.contains("two.whl"),
        "{}",
        out.stdout
    );

    ctx.run(&["cache", "purge", "--all"]).assert_code(0);
    assert_eq!(ctx.run(&["cache", "ls", "--json"]).stdout.trim(), "[]");
    ctx.run(&["cache", "purge"]).assert_code(2);
}
