//! Ranges of stored entries: [`HttpCache::stored_range`] (what metadata
//! extraction reads), `Range` requests through the cache (`206`, `416`,
//! `If-Range`) from the store and the memory tier, and misses that store the
//! whole body while the client gets its part.

use std::sync::Arc;

use awsproxy::cache::store::disk::DiskStore;
use awsproxy::cache::store::signed::{HmacKey, SignedStore};
use awsproxy::cache::{CachePolicy, CacheSettings, HttpCache, LookupOptions, Verifier};
use bytes::Bytes;
use http_body_util::BodyExt;

use super::{disk_cache, get, opts, warm};
use crate::support::origin::{Origin, Reply};

/// A body whose every byte says where it is.
fn numbered(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn sha256(body: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body))
}

async fn stored(
    cache: &HttpCache,
    url: &str,
    o: &LookupOptions,
    range: std::ops::Range<u64>,
) -> Option<(u64, Bytes)> {
    let found = cache.stored_range(&get(url), o, range).await?;
    let body = found.body.collect().await.unwrap().to_bytes();
    Some((found.meta.body_len, body))
}

#[tokio::test]
async fn stored_range_reads_part_of_the_entry_handle_stored() {
    let origin = Origin::start();
    let body = numbered(3 << 20);
    origin.set(
        "/pkg-1.0-py3-none-any.whl",
        Reply::ok(body.clone()).header("cache-control", "max-age=600"),
    );
    let url = origin.url("/pkg-1.0-py3-none-any.whl");
    let len = body.len() as u64;
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let o = LookupOptions {
        verify: Some(Verifier::Sha256(sha256(&body))),
        ..opts(CachePolicy::Standard)
    };
    assert!(
        stored(&cache, &url, &o, 0..10).await.is_none(),
        "nothing stored yet"
    );
    warm(&cache, get(&url), o.clone()).await;

    let tail = Bytes::copy_from_slice(&body[body.len() - 100..]);
    assert_eq!(
        stored(&cache, &url, &o, len - 100..len).await,
        Some((len, tail))
    );
    let middle = Bytes::copy_from_slice(&body[1_048_000..1_049_000]);
    assert_eq!(
        stored(&cache, &url, &o, 1_048_000..1_049_000).await,
        Some((len, middle))
    );
    // Another body expected than the one stored: nothing usable.
    let other = LookupOptions {
        verify: Some(Verifier::Sha256(sha256(b"other"))),
        ..o.clone()
    };
    assert!(stored(&cache, &url, &other, 0..10).await.is_none());
    assert_eq!(
        origin.count("/pkg-1.0-py3-none-any.whl"),
        1,
        "reads never go upstream"
    );
}

#[tokio::test]
async fn stored_range_through_a_signed_store_reads_the_verified_body() {
    let origin = Origin::start();
    let body = numbered(2 << 20);
    origin.set(
        "/f.whl",
        Reply::ok(body.clone()).header("cache-control", "max-age=600"),
    );
    let url = origin.url("/f.whl");
    let dir = tempfile::tempdir().unwrap();
    let disk = Arc::new(DiskStore::open(dir.path(), 1 << 30).unwrap());
    let key = HmacKey::new(&awsproxy::secret::Secret::new("team key"));
    let cache = HttpCache::new(
        Arc::new(SignedStore::new(disk, key)),
        CacheSettings::default(),
    );
    let o = opts(CachePolicy::Standard);
    warm(&cache, get(&url), o.clone()).await;
    let want = Bytes::copy_from_slice(&body[10..20]);
    assert_eq!(
        stored(&cache, &url, &o, 10..20).await,
        Some((body.len() as u64, want))
    );
}

/// Status, headers, body of a request through the cache.
async fn ask(
    cache: &HttpCache,
    url: &str,
    headers: &[(&str, &str)],
) -> (u16, http::HeaderMap, Bytes) {
    let mut req = get(url);
    for (k, v) in headers {
        req.headers_mut().append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    let resp = cache
        .handle(req, opts(CachePolicy::Standard), super::Upstream::new())
        .await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, body)
}

fn header<'a>(h: &'a http::HeaderMap, name: &str) -> &'a str {
    h.get(name).map_or("", |v| v.to_str().unwrap())
}

/// The range answers every stored entry gives, from the store or memory.
async fn answers_ranges(cache: &HttpCache, url: &str, body: &[u8]) {
    let len = body.len();
    let (status, h, got) = ask(cache, url, &[("range", "bytes=10-19")]).await;
    assert_eq!((status, got.as_ref()), (206, &body[10..20]));
    assert_eq!(header(&h, "content-range"), format!("bytes 10-19/{len}"));
    assert_eq!(header(&h, "content-length"), "10");
    assert_eq!(header(&h, "accept-ranges"), "bytes");
    assert!(header(&h, "cache-status").contains("hit"), "{h:?}");
    let (status, h, got) = ask(cache, url, &[("range", "bytes=-7")]).await;
    assert_eq!((status, got.as_ref()), (206, &body[len - 7..]));
    assert_eq!(
        header(&h, "content-range"),
        format!("bytes {}-{}/{len}", len - 7, len - 1)
    );
    let (status, _, got) = ask(cache, url, &[("range", &format!("bytes={}-", len - 3))]).await;
    assert_eq!((status, got.as_ref()), (206, &body[len - 3..]));
    // Past the end.
    let (status, h, got) = ask(cache, url, &[("range", &format!("bytes={len}-"))]).await;
    assert_eq!((status, got.len()), (416, 0));
    assert_eq!(header(&h, "content-range"), format!("bytes */{len}"));
    assert_eq!(header(&h, "content-length"), "0");
    // Several ranges, or an `If-Range` that names another version: the whole body.
    let (status, h, got) = ask(cache, url, &[("range", "bytes=0-1,5-6")]).await;
    assert_eq!((status, got.as_ref()), (200, body));
    assert_eq!(header(&h, "accept-ranges"), "bytes");
    let (status, _, got) = ask(
        cache,
        url,
        &[("range", "bytes=0-1"), ("if-range", "\"v0\"")],
    )
    .await;
    assert_eq!((status, got.as_ref()), (200, body));
    let (status, _, got) = ask(
        cache,
        url,
        &[("range", "bytes=0-1"), ("if-range", "\"v1\"")],
    )
    .await;
    assert_eq!((status, got.as_ref()), (206, &body[..2]));
    let (status, _, got) = ask(
        cache,
        url,
        &[
            ("range", "bytes=0-1"),
            ("if-range", "Tue, 01 Dec 2026 10:00:00 GMT"),
        ],
    )
    .await;
    assert_eq!((status, got.as_ref()), (206, &body[..2]));
}

fn versioned(body: Vec<u8>) -> Reply {
    Reply::ok(body)
        .header("cache-control", "max-age=600")
        .header("etag", "\"v1\"")
        .header("last-modified", "Tue, 01 Dec 2026 10:00:00 GMT")
}

#[tokio::test]
async fn a_range_miss_stores_the_whole_body_and_hits_answer_ranges() {
    let origin = Origin::start();
    // Larger than the memory tier holds: hits read their part from the store.
    let large = numbered(2 << 20);
    let small = numbered(3000);
    origin.set("/large", versioned(large.clone()));
    origin.set("/small", versioned(small.clone()));
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    for (path, body) in [("/large", &large), ("/small", &small)] {
        let url = origin.url(path);
        let (status, h, got) = ask(&cache, &url, &[("range", "bytes=1000-1999")]).await;
        assert_eq!((status, got.as_ref()), (206, &body[1000..2000]), "{path}");
        assert_eq!(
            header(&h, "content-range"),
            format!("bytes 1000-1999/{}", body.len())
        );
        assert!(header(&h, "cache-status").contains("stored"), "{h:?}");
        answers_ranges(&cache, &url, body).await;
        assert_eq!(origin.count(path), 1, "{path}: one upstream request");
    }
    assert!(
        origin
            .seen()
            .iter()
            .all(|s| !s.headers.contains_key("range")),
        "the upstream is asked for whole bodies"
    );
    // A HEAD says ranges are served.
    let mut req = get(&origin.url("/large"));
    *req.method_mut() = http::Method::HEAD;
    let resp = cache
        .handle(req, opts(CachePolicy::Standard), super::Upstream::new())
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(resp.headers(), "accept-ranges"), "bytes");
}

#[tokio::test]
async fn a_range_of_a_signed_store_entry_is_cut_from_the_verified_body() {
    let origin = Origin::start();
    let body = numbered(2 << 20);
    origin.set("/f", versioned(body.clone()));
    let dir = tempfile::tempdir().unwrap();
    let disk = Arc::new(DiskStore::open(dir.path(), 1 << 30).unwrap());
    let key = HmacKey::new(&awsproxy::secret::Secret::new("team key"));
    let cache = HttpCache::new(
        Arc::new(SignedStore::new(disk, key)),
        CacheSettings::default(),
    );
    let url = origin.url("/f");
    warm(&cache, get(&url), opts(CachePolicy::Standard)).await;
    answers_ranges(&cache, &url, &body).await;
}

#[test]
fn the_forward_proxy_answers_ranges_from_the_cache() {
    use super::faults_serve::{CONFIG, proxy_get_with};
    let origin = Origin::start();
    let body = numbered(100_000);
    origin.set("/iso", versioned(body.clone()));
    let ctx = crate::support::TestContext::new().config(CONFIG);
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = crate::support::daemon::Daemon::spawn(cmd);
    let proxy = daemon.url_of("forward proxy");
    let url = origin.url("/iso");
    for _ in 0..2 {
        let r = proxy_get_with(&proxy, &url, &[("range", "bytes=99990-")]);
        assert_eq!(
            (r.status, r.body.as_slice()),
            (206, &body[99_990..]),
            "{}",
            r.head
        );
        assert!(
            r.head.contains("content-range: bytes 99990-99999/100000"),
            "{}",
            r.head
        );
        assert!(r.complete(), "{}", r.head);
    }
    let r = proxy_get_with(&proxy, &url, &[("range", "bytes=200000-")]);
    assert_eq!(r.status, 416, "{}", r.head);
    assert!(
        r.head.contains("content-range: bytes */100000"),
        "{}",
        r.head
    );
    assert_eq!(origin.count("/iso"), 1, "the miss stored the whole body");
    assert!(
        origin
            .seen()
            .iter()
            .all(|s| !s.headers.contains_key("range"))
    );
}

#[tokio::test]
async fn a_range_miss_of_a_body_that_fails_its_check_fails_the_part_too() {
    let origin = Origin::start();
    let body = numbered(500_000);
    origin.set(
        "/forged.whl",
        Reply::ok(body).header("cache-control", "max-age=600"),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let o = LookupOptions {
        verify: Some(Verifier::Sha256(sha256(b"the real wheel"))),
        ..opts(CachePolicy::Standard)
    };
    let mut req = get(&origin.url("/forged.whl"));
    req.headers_mut()
        .insert("range", "bytes=0-9".parse().unwrap());
    let resp = cache.handle(req, o.clone(), super::Upstream::new()).await;
    assert_eq!(resp.status(), 206);
    assert!(
        resp.into_body().collect().await.is_err(),
        "the part ends only once the whole body matched"
    );
    assert!(
        stored(&cache, &origin.url("/forged.whl"), &o, 0..10)
            .await
            .is_none()
    );
}
