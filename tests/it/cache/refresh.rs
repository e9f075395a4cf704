//! Background revalidation (`stale-while-revalidate`): at most one refresh
//! per key at a time, against an upstream that holds refreshes until the
//! test lets them go (so "answered while the refresh is running" needs no
//! clock).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use awsproxy::cache::{BoxFuture, CachePolicy, Fetch, FetchError, Fetched, into_body};
use bytes::Bytes;
use http_body_util::Full;
use tokio::sync::{Notify, Semaphore};

use super::{disk_cache, fetch, get, opts};

/// An upstream whose first answer is immediate and whose later ones (the
/// refreshes) wait for [`Gated::open`].
#[derive(Debug)]
struct Gated {
    calls: AtomicUsize,
    gate: Semaphore,
    /// Signalled when a held request arrives.
    held: Notify,
}

impl Gated {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicUsize::new(0),
            gate: Semaphore::new(0),
            held: Notify::new(),
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn open(&self) {
        self.gate.close();
    }
}

#[derive(Debug)]
struct GatedFetch(Arc<Gated>);

impl Fetch for GatedFetch {
    fn fetch(&self, req: http::Request<()>) -> BoxFuture<'static, Result<Fetched, FetchError>> {
        let g = self.0.clone();
        Box::pin(async move {
            if g.calls.fetch_add(1, Ordering::SeqCst) > 0 {
                g.held.notify_one();
                // Closed: every held request goes on.
                let _ = g.gate.acquire().await;
            }
            let revalidation = req.headers().get("if-none-match").is_some();
            let resp = http::Response::builder()
                .status(if revalidation { 304 } else { 200 })
                .header("cache-control", "max-age=0, stale-while-revalidate=600")
                .header("etag", "\"1\"")
                .body(into_body(Full::new(Bytes::from_static(if revalidation {
                    b""
                } else {
                    b"v1"
                }))))
                .unwrap();
            Ok(Fetched::Upstream(resp))
        })
    }
}

#[tokio::test]
async fn concurrent_stale_requests_start_one_refresh_per_key() {
    let upstream = Gated::new();
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let url = "http://files.test/swr";
    let ask = || {
        let cache = cache.clone();
        let fetch = Arc::new(GatedFetch(upstream.clone()));
        async move {
            let resp = cache
                .handle(get(url), opts(CachePolicy::Standard), fetch)
                .await;
            let cs = resp.headers()["cache-status"].to_str().unwrap().to_owned();
            let body = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            (cs, body)
        }
    };
    let (cs, body) = ask().await;
    assert_eq!(
        (cs.as_str(), body.as_ref()),
        ("awsproxy; fwd=uri-miss; stored", &b"v1"[..])
    );

    // Twenty stale requests while the refresh is held: all answered from the
    // store, one refresh started.
    let answers = futures_util::future::join_all((0..20).map(|_| ask())).await;
    for (cs, body) in &answers {
        assert_eq!(cs, "awsproxy; hit; detail=stale-while-revalidate");
        assert_eq!(body.as_ref(), b"v1");
    }
    upstream.held.notified().await;
    // Give any other refresh time to reach the upstream (there must be none:
    // this can only miss one, never invent one).
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(upstream.calls(), 2, "one refresh for twenty stale requests");
    let (cs, _) = ask().await;
    assert_eq!(cs, "awsproxy; hit; detail=stale-while-revalidate");
    assert_eq!(upstream.calls(), 2, "still one while it runs");

    // Once it ended, the next stale request refreshes again.
    upstream.open();
    let mut refreshed = false;
    for _ in 0..500 {
        ask().await;
        if upstream.calls() > 2 {
            refreshed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        refreshed,
        "the key is refreshed again after its refresh ended"
    );
}

#[tokio::test]
async fn a_default_stale_while_revalidate_applies_only_without_cache_control() {
    use super::super::support::origin::{Origin, Reply};
    let origin = Origin::start();
    origin.set("/plain", Reply::ok("a").header("etag", "\"1\""));
    origin.set(
        "/own",
        Reply::ok("b")
            .header("cache-control", "max-age=0")
            .header("etag", "\"1\""),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let o = awsproxy::cache::LookupOptions {
        default_max_age: Some(std::time::Duration::ZERO),
        default_stale_while_revalidate: Some(std::time::Duration::from_secs(600)),
        ..opts(CachePolicy::Standard)
    };
    for path in ["/plain", "/own"] {
        super::warm(&cache, get(&origin.url(path)), o.clone()).await;
    }
    let (_, cs, _) = fetch(&cache, get(&origin.url("/plain")), o.clone()).await;
    assert_eq!(cs, "awsproxy; hit; detail=stale-while-revalidate");
    // The upstream's own `Cache-Control` has no window: revalidated first.
    let (_, cs, _) = fetch(&cache, get(&origin.url("/own")), o).await;
    assert!(cs.contains("fwd=stale"), "{cs}");
}
