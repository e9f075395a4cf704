//! The cache core against a local origin ([`crate::support::origin`]): real
//! `HttpCache`s with disk and S3 stores (`store` holds the store suite and the
//! crash tests), and `cache ls` / `cache purge` through the binary (`cli`).
//! Upstream failures are in `failures`; injected faults (lying origins, S3
//! errors, a full disk, `kill -9` under load) in `faults` and `faults_serve`.

mod cli;
mod failures;
mod faults;
mod faults_serve;
mod ranges;
mod refresh;
mod store;
mod tiered;
mod tiered_serve;

use std::sync::Arc;
use std::time::Duration;

use awsproxy::cache::store::disk::DiskStore;
use awsproxy::cache::store::s3::S3Store;
use awsproxy::cache::{
    BoxFuture, CachePolicy, CacheSettings, Fetch, FetchError, HttpCache, LookupOptions, Verifier,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::support::fakes::FakeS3;
use crate::support::origin::{Origin, Reply};

/// Plain HTTP upstream through hyper's client.
#[derive(Debug, Clone)]
pub(super) struct Upstream {
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl Upstream {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }
}

impl Fetch for Upstream {
    fn fetch(
        &self,
        req: http::Request<()>,
    ) -> BoxFuture<'static, Result<awsproxy::cache::Fetched, FetchError>> {
        let client = self.client.clone();
        Box::pin(async move {
            let resp = client
                .request(req.map(|()| Empty::new()))
                .await
                .map_err(|e| FetchError::new("cannot reach the origin", e))?;
            Ok(resp.map(awsproxy::cache::into_body).into())
        })
    }
}

pub(super) fn disk_cache(dir: &std::path::Path) -> HttpCache {
    let store = DiskStore::open(dir, 1 << 30).unwrap();
    HttpCache::new(Arc::new(store), CacheSettings::default())
}

pub(super) fn get(url: &str) -> http::Request<()> {
    http::Request::get(url).body(()).unwrap()
}

pub(super) fn opts(policy: CachePolicy) -> LookupOptions {
    LookupOptions {
        policy,
        ..LookupOptions::default()
    }
}

/// Status, `Cache-Status`, body.
pub(super) async fn fetch(
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
    // The typed outcome callers read is the one the header tells the client.
    assert_eq!(
        awsproxy::cache::CacheStatus::of(&resp).map(|s| s.header_value()),
        Some(cs.clone()),
        "Cache-Status and the response's CacheStatus agree"
    );
    let body = resp
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| e.to_string());
    (status, cs, body)
}

/// Fetches through the cache and expects a whole body (fills, refreshes or
/// hits an entry on the way to what the test is about).
pub(super) async fn warm(cache: &HttpCache, req: http::Request<()>, o: LookupOptions) -> Bytes {
    fetch(cache, req, o).await.2.unwrap()
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
    warm(&cache, get(&origin.url("/r")), opts(CachePolicy::Standard)).await;
    let (status, cs, body) =
        fetch(&cache, get(&origin.url("/r")), opts(CachePolicy::Standard)).await;
    assert_eq!((status, body.unwrap().as_ref()), (200, &b"v1"[..]));
    assert_eq!(cs, "awsproxy; fwd=stale; fwd-status=304");
    let resp = cache
        .handle(
            get(&origin.url("/r")),
            opts(CachePolicy::Standard),
            Upstream::new(),
        )
        .await;
    assert_eq!(
        awsproxy::cache::CacheStatus::of(&resp).map(|s| s.outcome()),
        Some(awsproxy::cache::Outcome::Revalidated)
    );
    drop(resp);
    let seen = origin.seen();
    assert_eq!(seen.len(), 3);
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
    warm(&cache, get(&origin.url("/lm")), opts(CachePolicy::Standard)).await;
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
    // Both variants are now stored side by side.
    for (enc, want) in [("gzip", "gz"), ("identity", "plain")] {
        let (_, cs, body) = fetch(&cache, with(enc), opts(CachePolicy::Standard)).await;
        assert!(cs.starts_with("awsproxy; hit"), "{enc}: {cs}");
        assert_eq!(body.unwrap(), want);
    }
    assert_eq!(origin.count("/v"), 2);
    assert_eq!(cache.store().list().await.unwrap().len(), 2);
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
    warm(&a, get(&origin.url("/s3")), opts(CachePolicy::Standard)).await;
    // Another instance on the same bucket gets a hit.
    let b = HttpCache::new(store, CacheSettings::default());
    let (_, cs, body) = fetch(&b, get(&origin.url("/s3")), opts(CachePolicy::Standard)).await;
    assert!(cs.starts_with("awsproxy; hit"), "{cs}");
    assert_eq!(body.unwrap(), "shared");
    assert_eq!(origin.count("/s3"), 1);
}

#[tokio::test]
async fn stale_while_revalidate_serves_stale_and_refreshes_in_the_background() {
    let origin = Origin::start();
    origin.set(
        "/swr",
        Reply::ok("v1")
            .header("cache-control", "max-age=0, stale-while-revalidate=600")
            .header("etag", "\"1\""),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    warm(
        &cache,
        get(&origin.url("/swr")),
        opts(CachePolicy::Standard),
    )
    .await;
    let (_, cs, body) = fetch(
        &cache,
        get(&origin.url("/swr")),
        opts(CachePolicy::Standard),
    )
    .await;
    assert_eq!(cs, "awsproxy; hit; detail=stale-while-revalidate");
    assert_eq!(body.unwrap(), "v1");
    // The background revalidation reaches the origin (bounded wait).
    for _ in 0..200 {
        if origin.count("/swr") == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seen = origin.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[1].headers.get("if-none-match").map(String::as_str),
        Some("\"1\"")
    );
}

#[tokio::test]
async fn presigned_urls_share_one_key_but_each_signing_goes_to_the_origin() {
    let origin = Origin::start();
    origin.set("/bucket/release.tgz", Reply::ok("tarball"));
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let a = origin.url("/bucket/release.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260101T000000Z&X-Amz-Signature=aaa");
    let b = origin.url("/bucket/release.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260102T000000Z&X-Amz-Signature=bbb");
    warm(&cache, get(&a), opts(CachePolicy::NoRefresh)).await;
    // Even under no-refresh, the stored entry of a signed request is served only
    // after the origin accepts the new signature (security::cache has the 304 case).
    let (_, cs, body) = fetch(&cache, get(&b), opts(CachePolicy::NoRefresh)).await;
    assert!(!cs.starts_with("awsproxy; hit"), "{cs}");
    assert_eq!(body.unwrap(), "tarball");
    assert_eq!(origin.count("/bucket/release.tgz"), 2);
    // The upstream got each client's own signed URL, not the key.
    let seen = origin.seen();
    assert!(
        seen[0]
            .query
            .as_deref()
            .unwrap()
            .contains("X-Amz-Signature=aaa")
    );
    assert!(
        seen[1]
            .query
            .as_deref()
            .unwrap()
            .contains("X-Amz-Signature=bbb")
    );
}

/// A mount signs upstream with its own credentials and drops the client's, so a
/// client's `Authorization` (poetry sends configured http-basic credentials on
/// every request) must not turn its hits into round trips.
#[tokio::test]
async fn a_service_that_authenticates_upstream_itself_serves_hits_to_requests_with_credentials() {
    use awsproxy::cache::UpstreamAuth;
    let origin = Origin::start();
    origin.set(
        "/simple/p/",
        Reply::ok("page").header("cache-control", "max-age=600"),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let with_auth = || {
        http::Request::get(origin.url("/simple/p/"))
            .header("authorization", "Basic cG9ldHJ5Ong=")
            .body(())
            .unwrap()
    };
    let mount = LookupOptions {
        upstream_auth: UpstreamAuth::Service,
        ..opts(CachePolicy::Standard)
    };
    warm(&cache, with_auth(), mount.clone()).await;
    let (_, cs, body) = fetch(&cache, with_auth(), mount).await;
    assert!(cs.starts_with("awsproxy; hit"), "{cs}");
    assert_eq!(body.unwrap(), "page");
    assert_eq!(origin.count("/simple/p/"), 1);
}

#[tokio::test]
async fn rules_and_the_policy_header_pick_policies() {
    let origin = Origin::start();
    origin.set(
        "/p/x",
        Reply::ok("x").header("cache-control", "max-age=600"),
    );
    let dir = tempfile::tempdir().unwrap();
    let toml = "[proxy]\nallow_policy_header = true\n[[proxy.rule]]\nhost = \"127.0.0.1\"\npath = \"/p/**\"\npolicy = \"no-cache\"\n";
    let file =
        awsproxy::config::parse(toml, &awsproxy::config::ConfigSource::EmbeddedDefault).unwrap();
    let proxy = file.proxy.unwrap();
    let store = Arc::new(DiskStore::open(dir.path(), 1 << 30).unwrap());
    let cache = HttpCache::new(store.clone(), CacheSettings::from_proxy(&proxy).unwrap());
    let req = get(&origin.url("/p/x"));
    let o = cache.options_for(&req);
    assert_eq!(o.policy, CachePolicy::NoCache);
    let (_, cs, _) = fetch(&cache, req, o.clone()).await;
    assert_eq!(cs, "awsproxy; fwd=bypass");
    // The header overrides the rule when allowed, and is not sent upstream.
    let with_header = || {
        http::Request::get(origin.url("/p/x"))
            .header("x-awsproxy-policy", "standard")
            .body(())
            .unwrap()
    };
    let (_, cs, _) = fetch(&cache, with_header(), o.clone()).await;
    assert_eq!(cs, "awsproxy; fwd=uri-miss; stored");
    assert!(
        origin
            .seen()
            .iter()
            .all(|s| !s.headers.contains_key("x-awsproxy-policy"))
    );
    // Not allowed: ignored.
    let strict = HttpCache::new(store, CacheSettings::default());
    let (_, cs, _) = fetch(&strict, with_header(), opts(CachePolicy::NoCache)).await;
    assert_eq!(cs, "awsproxy; fwd=bypass");
}

#[tokio::test]
async fn head_requests_are_served_from_get_entries() {
    let origin = Origin::start();
    origin.set(
        "/h",
        Reply::ok("body").header("cache-control", "max-age=600"),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    warm(&cache, get(&origin.url("/h")), opts(CachePolicy::Standard)).await;
    let head = http::Request::head(origin.url("/h")).body(()).unwrap();
    let resp = cache
        .handle(head, opts(CachePolicy::Standard), Upstream::new())
        .await;
    assert_eq!(resp.headers()["content-length"], "4");
    assert!(
        resp.headers()["cache-status"]
            .to_str()
            .unwrap()
            .starts_with("awsproxy; hit")
    );
    assert!(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .is_empty()
    );
    assert_eq!(origin.count("/h"), 1);
}

#[tokio::test]
async fn verified_immutable_files_are_stored_and_never_revalidated() {
    let origin = Origin::start();
    origin.set(
        "/f.whl",
        Reply::ok("wheel").header("cache-control", "max-age=0"),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"wheel"));
    let o = LookupOptions {
        verify: Some(Verifier::Sha256(sha.to_uppercase())),
        immutable: true,
        ..LookupOptions::default()
    };
    let (_, cs, body) = fetch(&cache, get(&origin.url("/f.whl")), o.clone()).await;
    assert_eq!(
        (cs.as_str(), body.unwrap().as_ref()),
        ("awsproxy; fwd=uri-miss; stored", &b"wheel"[..])
    );
    let entries = cache.store().list().await.unwrap();
    assert_eq!(entries[0].meta.sha256, sha);
    let (_, cs, _) = fetch(&cache, get(&origin.url("/f.whl")), o).await;
    assert!(cs.starts_with("awsproxy; hit"), "{cs}");
    assert_eq!(origin.count("/f.whl"), 1);
}

#[tokio::test]
async fn a_client_holding_the_stored_etag_gets_304_from_the_cache() {
    let origin = Origin::start();
    origin.set(
        "/e",
        Reply::ok("body")
            .header("cache-control", "max-age=600")
            .header("etag", "\"e\""),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    warm(&cache, get(&origin.url("/e")), opts(CachePolicy::Standard)).await;
    let req = http::Request::get(origin.url("/e"))
        .header("if-none-match", "\"e\"")
        .body(())
        .unwrap();
    let resp = cache
        .handle(req, opts(CachePolicy::Standard), Upstream::new())
        .await;
    assert_eq!(resp.status(), 304);
    assert_eq!(resp.headers()["etag"], "\"e\"");
    assert!(
        resp.headers()["cache-status"]
            .to_str()
            .unwrap()
            .starts_with("awsproxy; hit")
    );
    assert_eq!(origin.count("/e"), 1);
}

#[tokio::test]
async fn an_entry_with_another_digest_than_expected_is_refetched() {
    let origin = Origin::start();
    origin.set(
        "/w.whl",
        Reply::ok("old").header("cache-control", "max-age=600"),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    warm(
        &cache,
        get(&origin.url("/w.whl")),
        opts(CachePolicy::NoRefresh),
    )
    .await;
    origin.set(
        "/w.whl",
        Reply::ok("new").header("cache-control", "max-age=600"),
    );
    let o = LookupOptions {
        policy: CachePolicy::NoRefresh,
        verify: Some(Verifier::Sha256(hex::encode(
            <sha2::Sha256 as sha2::Digest>::digest(b"new"),
        ))),
        ..LookupOptions::default()
    };
    let (_, cs, body) = fetch(&cache, get(&origin.url("/w.whl")), o.clone()).await;
    assert_eq!(
        (cs.as_str(), body.unwrap().as_ref()),
        ("awsproxy; fwd=miss; stored", &b"new"[..])
    );
    let (_, cs, _) = fetch(&cache, get(&origin.url("/w.whl")), o).await;
    assert!(cs.starts_with("awsproxy; hit"), "{cs}");
}

#[tokio::test]
async fn coalesced_requests_share_a_response_that_is_stale_at_once() {
    let origin = Origin::start();
    origin.set(
        "/z",
        Reply::ok("zero")
            .header("cache-control", "max-age=0")
            .header("etag", "\"z\"")
            .delay(Duration::from_millis(200)),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let cache = cache.clone();
            let url = origin.url("/z");
            tokio::spawn(async move { fetch(&cache, get(&url), opts(CachePolicy::Standard)).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().2.unwrap(), "zero");
    }
    assert_eq!(origin.count("/z"), 1);
}

/// The memory tier (`awsproxy::cache::hot`) serves small hits without the
/// store, and sees an entry removed behind its back (`cache purge` from another
/// process) within `hot::RECHECK`; with `memory_size = 0` every hit reads the store.
#[tokio::test]
async fn the_memory_tier_serves_small_hits_and_notices_a_purge_within_its_recheck() {
    use awsproxy::cache::hot::RECHECK;
    let origin = Origin::start();
    origin.set(
        "/small",
        Reply::ok("tiny").header("cache-control", "max-age=600"),
    );
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(DiskStore::open(dir.path(), 1 << 30).unwrap());
    let cache = HttpCache::new(store.clone(), CacheSettings::default());
    let url = origin.url("/small");
    let key = awsproxy::cache::CacheKey::new(
        &http::Method::GET,
        &url.parse().unwrap(),
        Some("127.0.0.1"),
        &[],
    )
    .hash();

    warm(&cache, get(&url), opts(CachePolicy::Standard)).await; // miss, stored
    warm(&cache, get(&url), opts(CachePolicy::Standard)).await; // hit from the store, loaded
    // Removed from the store as `cache purge` would: memory still answers...
    assert!(awsproxy::cache::Store::remove(&*store, &key).await.unwrap());
    let (status, cs, body) = fetch(&cache, get(&url), opts(CachePolicy::Standard)).await;
    assert_eq!((status, body.unwrap().as_ref()), (200, &b"tiny"[..]));
    assert!(cs.starts_with("awsproxy; hit"), "{cs}");
    assert_eq!(origin.count("/small"), 1);
    // ...until its recheck, which finds the entry gone: a miss.
    tokio::time::sleep(RECHECK + Duration::from_millis(100)).await;
    let (_, cs, body) = fetch(&cache, get(&url), opts(CachePolicy::Standard)).await;
    assert_eq!(body.unwrap().as_ref(), b"tiny");
    assert_eq!(cs, "awsproxy; fwd=uri-miss; stored");
    assert_eq!(origin.count("/small"), 2);

    // Off: a removed entry is a miss at once.
    let off = HttpCache::new(
        store.clone(),
        CacheSettings {
            memory_size: 0,
            ..CacheSettings::default()
        },
    );
    warm(&off, get(&url), opts(CachePolicy::Standard)).await;
    assert!(awsproxy::cache::Store::remove(&*store, &key).await.unwrap());
    let (_, cs, _) = fetch(&off, get(&url), opts(CachePolicy::Standard)).await;
    assert_eq!(cs, "awsproxy; fwd=uri-miss; stored");
}

/// `no-refresh` is the rule for immutable repositories behind the forward proxy.
/// Maven asks every request not to be served from a cache; under this rule the
/// stored copy is served anyway, with no round trip.
#[tokio::test]
async fn no_refresh_serves_hits_to_mavens_no_cache_requests() {
    let origin = Origin::start();
    origin.set(
        "/repo/a.jar",
        Reply::ok("jar")
            .header("cache-control", "max-age=0")
            .header("etag", "\"j\""),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let mvn = || {
        http::Request::get(origin.url("/repo/a.jar"))
            .header("cache-control", "no-cache")
            .header("cache-store", "no-store")
            .header("pragma", "no-cache")
            .body(())
            .unwrap()
    };
    warm(&cache, mvn(), opts(CachePolicy::NoRefresh)).await;
    let (status, cs, body) = fetch(&cache, mvn(), opts(CachePolicy::NoRefresh)).await;
    assert_eq!((status, body.unwrap().as_ref()), (200, &b"jar"[..]));
    assert!(cs.starts_with("awsproxy; hit"), "{cs}");
    assert_eq!(origin.count("/repo/a.jar"), 1);
    // The standard policy still honours the client.
    let (_, cs, _) = fetch(&cache, mvn(), opts(CachePolicy::Standard)).await;
    assert!(cs.contains("fwd="), "{cs}");
    assert_eq!(origin.count("/repo/a.jar"), 2);
}
