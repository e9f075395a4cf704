//! Fault injection against the cache core: origins that lie about the body's
//! length (a raw TCP origin, since a well-behaved server cannot), origins that
//! answer `500`, and an S3 store that answers `500`, `503` and `SlowDown`.
//! Each checks that nothing partial is stored or served, that the client sees
//! an error rather than a short body presented as whole, and that other keys
//! keep being served. (Stalls, resets and 503s of the origin are in
//! `failures`; a full disk and `kill -9` are in `faults_serve`.)

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use awsproxy::cache::store::s3::S3Store;
use awsproxy::cache::{CachePolicy, CacheSettings, HttpCache};

use super::faults_serve::{body_of, sha};
use super::{disk_cache, fetch, get, opts, warm};
use crate::support::fakes::FakeS3;
use crate::support::origin::{Origin, Reply};

/// An origin that writes scripted raw bytes for each path, then closes the
/// connection (one request per connection).
pub(super) struct RawOrigin {
    addr: std::net::SocketAddr,
    replies: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    counts: Arc<Mutex<HashMap<String, usize>>>,
    stop: Arc<AtomicBool>,
}

impl RawOrigin {
    pub(super) fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let replies: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let counts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (r, c, s) = (replies.clone(), counts.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                *c.lock().unwrap().entry(path.clone()).or_default() += 1;
                let reply = r.lock().unwrap().get(&path).cloned();
                let reply = reply.unwrap_or_else(|| {
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_vec()
                });
                let _ = conn.write_all(&reply);
                let _ = conn.shutdown(std::net::Shutdown::Both);
            }
        });
        Self {
            addr,
            replies,
            counts,
            stop,
        }
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `head` (status line and headers, without the blank line), then `body`.
    pub(super) fn set(&self, path: &str, head: &str, body: &[u8]) {
        let mut raw = format!("{head}\r\ncache-control: max-age=600\r\n\r\n").into_bytes();
        raw.extend_from_slice(body);
        self.replies.lock().unwrap().insert(path.to_owned(), raw);
    }

    pub(super) fn count(&self, path: &str) -> usize {
        self.counts.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

impl Drop for RawOrigin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(self.addr);
    }
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_an_error_and_not_stored() {
    let origin = RawOrigin::start();
    let body = body_of(1, 40_000);
    // 100,000 declared, 40,000 sent, then the connection closes cleanly.
    origin.set("/short", "HTTP/1.1 200 OK\r\ncontent-length: 100000", &body);
    // Chunked, without the last chunk.
    let mut chunked = format!("{:x}\r\n", body.len()).into_bytes();
    chunked.extend_from_slice(&body);
    chunked.extend_from_slice(b"\r\n");
    origin.set(
        "/chunked",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked",
        &chunked,
    );
    origin.set("/fine", "HTTP/1.1 200 OK\r\ncontent-length: 40000", &body);
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());

    for path in ["/short", "/chunked"] {
        for round in 1..=2 {
            let (status, cs, got) =
                fetch(&cache, get(&origin.url(path)), opts(CachePolicy::Standard)).await;
            assert_eq!(status, 200, "{path}");
            assert!(cs.contains("uri-miss"), "{path} round {round}: {cs}");
            let err = got.expect_err("a short body must fail the client");
            assert!(!err.is_empty(), "{path}");
            assert!(
                cache.store().list().await.unwrap().is_empty(),
                "{path}: nothing stored"
            );
            assert_eq!(origin.count(path), round, "{path}: refetched");
        }
    }
    // Other keys are served and stored meanwhile.
    for round in 0..2 {
        let (_, cs, got) = fetch(
            &cache,
            get(&origin.url("/fine")),
            opts(CachePolicy::Standard),
        )
        .await;
        assert_eq!(sha(&got.unwrap()), sha(&body));
        assert_eq!(cs.starts_with("awsproxy; hit"), round == 1, "{cs}");
    }
    assert_eq!(origin.count("/fine"), 1);
    assert!(
        std::fs::read_dir(dir.path().join("tmp"))
            .unwrap()
            .next()
            .is_none(),
        "no temp files left"
    );
}

#[tokio::test]
async fn bytes_past_the_content_length_are_not_stored_and_bad_framing_is_a_502() {
    let origin = RawOrigin::start();
    let body = body_of(2, 50_000);
    // 10,000 declared, 50,000 sent: the response is the first 10,000.
    origin.set("/long", "HTTP/1.1 200 OK\r\ncontent-length: 10000", &body);
    // Two Content-Lengths that disagree: no way to know where the body ends.
    origin.set(
        "/twice",
        "HTTP/1.1 200 OK\r\ncontent-length: 10000\r\ncontent-length: 50000",
        &body,
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());

    for round in 0..2 {
        let (status, cs, got) = fetch(
            &cache,
            get(&origin.url("/long")),
            opts(CachePolicy::Standard),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(got.unwrap().as_ref(), &body[..10_000], "round {round}");
        assert_eq!(cs.starts_with("awsproxy; hit"), round == 1, "{cs}");
    }
    let listed = cache.store().list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].meta.body_len, 10_000);
    assert_eq!(listed[0].meta.sha256, sha(&body[..10_000]));

    let (status, cs, got) = fetch(
        &cache,
        get(&origin.url("/twice")),
        opts(CachePolicy::Standard),
    )
    .await;
    let text = String::from_utf8_lossy(&got.unwrap()).into_owned();
    assert_eq!(status, 502, "{cs}: {text}");
    assert!(
        text.starts_with("awsproxy: upstream request failed"),
        "{text}"
    );
    assert_eq!(cache.store().list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn origin_500s_pass_through_and_never_replace_a_good_entry() {
    let origin = Origin::start();
    let err = |body: &str| Reply {
        status: 500,
        ..Reply::ok(body.to_owned()).header("cache-control", "max-age=600")
    };
    origin.set("/err", err("boom"));
    origin.set(
        "/good",
        Reply::ok("v1")
            .header("cache-control", "max-age=0")
            .header("etag", "\"1\""),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    warm(
        &cache,
        get(&origin.url("/good")),
        opts(CachePolicy::Standard),
    )
    .await;

    for round in 1..=2 {
        let (status, cs, got) = fetch(
            &cache,
            get(&origin.url("/err")),
            opts(CachePolicy::Standard),
        )
        .await;
        assert_eq!((status, got.unwrap().as_ref()), (500, &b"boom"[..]), "{cs}");
        assert_eq!(
            origin.count("/err"),
            round,
            "a 500 is never served from the cache"
        );
    }
    // The stale entry's revalidation gets a 500: the client sees it, the entry stays.
    origin.set("/good", err("down for a moment"));
    let (status, _, _) = fetch(
        &cache,
        get(&origin.url("/good")),
        opts(CachePolicy::Standard),
    )
    .await;
    assert_eq!(status, 500);
    origin.set(
        "/good",
        Reply::ok("v1")
            .header("cache-control", "max-age=0")
            .header("etag", "\"1\""),
    );
    let (status, cs, got) = fetch(
        &cache,
        get(&origin.url("/good")),
        opts(CachePolicy::Standard),
    )
    .await;
    assert_eq!((status, got.unwrap().as_ref()), (200, &b"v1"[..]));
    assert_eq!(
        cs, "awsproxy; fwd=stale; fwd-status=304",
        "the entry survived"
    );
    let listed = cache.store().list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].meta.status, 200);
}

/// An S3 store whose client retries like the SDK's standard mode (3 attempts),
/// with millisecond backoff so the test stays fast, skipping S3 for `cooldown`
/// after it failed.
fn s3_cache(s3: &FakeS3, cooldown: Duration) -> HttpCache {
    use aws_sdk_s3::config::retry::RetryConfig;
    s3.create_bucket("team-cache");
    let conf = aws_sdk_s3::config::Builder::from(&crate::support::fakes::sdk_config(s3.endpoint()))
        .force_path_style(true)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(5)),
        )
        .build();
    let store = S3Store::new(aws_sdk_s3::Client::from_conf(conf), "team-cache", "c/")
        .with_part_size(5 << 20)
        .with_cooldown(cooldown);
    // No memory tier: every hit here must read S3.
    let settings = CacheSettings {
        memory_size: 0,
        ..CacheSettings::default()
    };
    HttpCache::new(Arc::new(store), settings)
}

#[tokio::test]
async fn s3_500_503_and_slowdown_are_retried_and_hits_stay_whole() {
    let origin = Origin::start();
    let body = body_of(3, 200_000);
    origin.set(
        "/a",
        Reply::ok(body.clone()).header("cache-control", "max-age=600"),
    );
    let s3 = FakeS3::start().await;
    let cache = s3_cache(&s3, HOUR);
    warm(&cache, get(&origin.url("/a")), opts(CachePolicy::Standard)).await;
    for (status, code) in [
        (500, "InternalError"),
        (503, "ServiceUnavailable"),
        (503, "SlowDown"),
    ] {
        s3.clear_requests();
        s3.fail_next_with(2, status, code);
        let (_, cs, got) = fetch(&cache, get(&origin.url("/a")), opts(CachePolicy::Standard)).await;
        assert!(cs.starts_with("awsproxy; hit"), "{code}: {cs}");
        assert_eq!(sha(&got.unwrap()), sha(&body), "{code}");
        assert_eq!(s3.count("GET"), 3, "{code}: two failures, then the object");
    }
    assert_eq!(origin.count("/a"), 1);
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn a_failing_s3_store_degrades_to_pass_through_and_stores_nothing() {
    let origin = Origin::start();
    let (a, b) = (body_of(4, 300_000), body_of(5, 1000));
    origin.set(
        "/a",
        Reply::ok(a.clone()).header("cache-control", "max-age=600"),
    );
    origin.set(
        "/b",
        Reply::ok(b.clone()).header("cache-control", "max-age=600"),
    );
    let s3 = FakeS3::start().await;
    let cache = s3_cache(&s3, Duration::ZERO);

    // Without a cooldown every request pays the retries, bounded.
    // Every S3 request throttled: lookups are misses, uploads fail, clients get the origin's bytes.
    s3.fail_while(None, 503, "SlowDown");
    for path in ["/a", "/b"] {
        let (status, _, got) =
            fetch(&cache, get(&origin.url(path)), opts(CachePolicy::Standard)).await;
        assert_eq!(status, 200);
        let want = if path == "/a" { &a } else { &b };
        assert_eq!(sha(&got.unwrap()), sha(want), "{path}");
    }
    // A miss looks up twice (again after taking the fill's lead, in case another
    // fill just committed), 3 attempts each; one upload of 3 attempts.
    assert_eq!(
        s3.count("GET"),
        12,
        "3 attempts per lookup, two lookups per miss"
    );
    assert_eq!(s3.count("PUT"), 6, "3 attempts per upload, no more");
    // Only uploads fail (500): still served, still nothing stored.
    s3.fail_while(Some("PUT"), 500, "InternalError");
    let (_, _, got) = fetch(&cache, get(&origin.url("/a")), opts(CachePolicy::Standard)).await;
    assert_eq!(sha(&got.unwrap()), sha(&a));
    s3.heal();
    assert!(cache.store().list().await.unwrap().is_empty());
    assert_eq!(origin.count("/a"), 2);

    // S3 is back: the next request stores, the one after is a hit.
    for round in 0..2 {
        let (_, cs, got) = fetch(&cache, get(&origin.url("/a")), opts(CachePolicy::Standard)).await;
        assert_eq!(sha(&got.unwrap()), sha(&a));
        assert_eq!(cs.starts_with("awsproxy; hit"), round == 1, "{cs}");
    }
    assert_eq!(origin.count("/a"), 3);
}

#[tokio::test]
async fn a_multipart_upload_failing_mid_way_is_aborted_and_leaves_no_object() {
    let origin = Origin::start();
    let big = body_of(6, (6 << 20) + 5);
    origin.set(
        "/big",
        Reply::ok(big.clone()).header("cache-control", "max-age=600"),
    );
    let s3 = FakeS3::start().await;
    let cache = s3_cache(&s3, Duration::ZERO);
    // Parts are PUTs; create/complete are POSTs.
    s3.fail_while(Some("PUT"), 503, "SlowDown");
    let (status, _, got) = fetch(
        &cache,
        get(&origin.url("/big")),
        opts(CachePolicy::Standard),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sha(&got.unwrap()), sha(&big));
    s3.heal();
    assert_eq!(s3.count("POST"), 1, "created, never completed");
    assert_eq!(s3.count("PUT"), 3, "the first part, 3 attempts");
    assert_eq!(s3.count("DELETE"), 1, "the upload was aborted");
    assert_eq!(s3.count("GET"), 2, "two lookups (NoSuchKey is not retried)");
    assert!(cache.store().list().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_s3_outage_is_skipped_for_the_cooldown_and_4xx_are_not_an_outage() {
    let origin = Origin::start();
    for (i, p) in ["/a", "/b", "/c"].into_iter().enumerate() {
        origin.set(
            p,
            Reply::ok(body_of(i as u32, 1000)).header("cache-control", "max-age=600"),
        );
    }
    let s3 = FakeS3::start().await;
    let cache = s3_cache(&s3, HOUR);
    // Uploads denied (403) is not an outage: every miss still looks and tries.
    s3.fail_while(Some("PUT"), 403, "AccessDenied");
    for _ in 0..2 {
        let (_, _, got) = fetch(&cache, get(&origin.url("/a")), opts(CachePolicy::Standard)).await;
        assert_eq!(sha(&got.unwrap()), sha(&body_of(0, 1000)));
    }
    assert_eq!((s3.count("GET"), s3.count("PUT")), (4, 2));

    // Throttled: the first lookup's 3 attempts, then S3 is left alone.
    s3.clear_requests();
    s3.fail_while(None, 503, "SlowDown");
    for (i, p) in ["/a", "/b", "/c"].into_iter().enumerate() {
        let (status, cs, got) =
            fetch(&cache, get(&origin.url(p)), opts(CachePolicy::Standard)).await;
        assert_eq!(status, 200);
        assert_eq!(sha(&got.unwrap()), sha(&body_of(i as u32, 1000)), "{p}");
        if i > 0 {
            assert!(cs.contains("detail=store-error"), "{p}: {cs}");
        }
    }
    assert_eq!(s3.request_count(), 3, "{:?}", s3.requests());
    s3.heal();
    assert!(cache.store().list().await.unwrap().is_empty());
}

#[tokio::test]
async fn after_the_cooldown_s3_is_used_again() {
    let origin = Origin::start();
    origin.set("/a", Reply::ok("a").header("cache-control", "max-age=600"));
    let s3 = FakeS3::start().await;
    let cache = s3_cache(&s3, Duration::from_millis(50));
    s3.fail_while(None, 500, "InternalError");
    warm(&cache, get(&origin.url("/a")), opts(CachePolicy::Standard)).await;
    s3.heal();
    // Bounded: the cooldown is 50 ms; each try is a miss until it is over.
    let mut stored = false;
    for _ in 0..100 {
        let (_, cs, got) = fetch(&cache, get(&origin.url("/a")), opts(CachePolicy::Standard)).await;
        assert_eq!(got.unwrap(), "a");
        if cs.starts_with("awsproxy; hit") {
            stored = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stored, "S3 was never used again");
    assert_eq!(cache.store().list().await.unwrap().len(), 1);
}
