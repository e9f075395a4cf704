//! Upstream failures: stale-if-error, cut and stalled bodies, digest
//! mismatches, always-upstream fallback and host bans.

use std::sync::Arc;
use std::time::Duration;

use awsproxy::cache::store::disk::DiskStore;
use awsproxy::cache::{CachePolicy, CacheSettings, HttpCache, LookupOptions, Verifier};

use super::{disk_cache, fetch, get, opts, warm};
use crate::support::origin::{Mode, Origin, Reply};

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
    warm(
        &cache,
        get(&origin.url("/s")),
        opts(CachePolicy::StaleIfError),
    )
    .await;
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

#[tokio::test]
async fn bans_make_clients_fail_fast_after_repeated_failures() {
    // A server that cannot be reached (bans never count HTTP statuses).
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}/down", dead.local_addr().unwrap());
    drop(dead);
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
        let (status, _, body) = fetch(&cache, get(&down), opts(CachePolicy::Standard)).await;
        assert_eq!(status, 502);
        assert!(!String::from_utf8_lossy(&body.unwrap()).contains("is skipped for"));
    }
    let (status, cs, body) = fetch(&cache, get(&down), opts(CachePolicy::Standard)).await;
    assert_eq!(status, 502, "{cs}");
    let body = String::from_utf8_lossy(&body.unwrap()).into_owned();
    assert!(
        body.starts_with("awsproxy: upstream request failed") && body.contains("is skipped for"),
        "the banned host is not contacted: {body}"
    );

    // A ban is per host and port: another server on 127.0.0.1 is still asked.
    let other = Origin::start();
    other.set(
        "/up",
        Reply::ok("fine").header("cache-control", "max-age=60"),
    );
    let (status, cs, body) =
        fetch(&cache, get(&other.url("/up")), opts(CachePolicy::Standard)).await;
    assert_eq!(
        (status, body.unwrap().as_ref()),
        (200, &b"fine"[..]),
        "{cs}"
    );
}

#[tokio::test]
async fn always_upstream_asks_every_time_and_falls_back() {
    let origin = Origin::start();
    origin.set(
        "/au",
        Reply::ok("a")
            .header("cache-control", "max-age=600")
            .header("etag", "\"a\""),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    warm(
        &cache,
        get(&origin.url("/au")),
        opts(CachePolicy::AlwaysUpstream),
    )
    .await;
    let (_, cs, _) = fetch(
        &cache,
        get(&origin.url("/au")),
        opts(CachePolicy::AlwaysUpstream),
    )
    .await;
    assert_eq!(cs, "awsproxy; fwd=stale; fwd-status=304");
    origin.set("/au", Reply::ok("a").mode(Mode::Down));
    let (status, cs, body) = fetch(
        &cache,
        get(&origin.url("/au")),
        opts(CachePolicy::AlwaysUpstream),
    )
    .await;
    assert_eq!((status, body.unwrap().as_ref()), (200, &b"a"[..]));
    assert!(cs.contains("stale-if-error"), "{cs}");
    assert_eq!(origin.count("/au"), 3);
}

#[tokio::test]
async fn a_stalled_body_times_out_and_releases_waiters() {
    let origin = Origin::start();
    origin.set(
        "/stall",
        Reply::ok(vec![5u8; 10_000])
            .header("cache-control", "max-age=600")
            .mode(Mode::Stall),
    );
    let dir = tempfile::tempdir().unwrap();
    let settings = CacheSettings {
        idle_timeout: Duration::from_millis(300),
        ..CacheSettings::default()
    };
    let cache = HttpCache::new(
        Arc::new(DiskStore::open(dir.path(), 1 << 30).unwrap()),
        settings,
    );
    let a = {
        let cache = cache.clone();
        let url = origin.url("/stall");
        tokio::spawn(async move { fetch(&cache, get(&url), opts(CachePolicy::Standard)).await })
    };
    let (_, _, body) = a.await.unwrap();
    assert!(body.unwrap_err().contains("sent nothing"));
    assert!(cache.store().list().await.unwrap().is_empty());
    // Nobody is left waiting on the failed fill: the next request fetches again.
    let (_, _, body) = fetch(
        &cache,
        get(&origin.url("/stall")),
        opts(CachePolicy::Standard),
    )
    .await;
    assert!(body.is_err());
    assert_eq!(origin.count("/stall"), 2);
}

/// A service's own answer ([`awsproxy::cache::Fetched::Final`]): the first
/// fetch is the origin's (stored, then stale); the next ones are a refusal
/// with a long `max-age`, which reaches the client as it is, is never stored,
/// never gives way to the stale entry under `stale-if-error`, and bans nothing.
#[tokio::test]
async fn a_final_answer_is_served_as_is_and_never_stored() {
    use awsproxy::cache::{BoxFuture, Fetch, FetchError, Fetched};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug, Default)]
    struct Refusing(AtomicUsize);
    impl Fetch for Refusing {
        fn fetch(
            &self,
            _req: http::Request<()>,
        ) -> BoxFuture<'static, Result<Fetched, FetchError>> {
            let first = self.0.fetch_add(1, Ordering::SeqCst) == 0;
            Box::pin(async move {
                let body = if first { "origin" } else { "refused" };
                let mut resp = http::Response::new(awsproxy::cache::into_body(
                    http_body_util::Full::new(bytes::Bytes::from_static(body.as_bytes())),
                ));
                if first {
                    resp.headers_mut()
                        .insert("cache-control", "max-age=0".parse().unwrap());
                    resp.headers_mut().insert("etag", "\"1\"".parse().unwrap());
                    return Ok(Fetched::Upstream(resp));
                }
                *resp.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
                resp.headers_mut()
                    .insert("cache-control", "max-age=3600".parse().unwrap());
                Ok(Fetched::Final(resp))
            })
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let fetch = Arc::new(Refusing::default());
    let url = "http://final.example/x";
    let body = |resp: http::Response<awsproxy::cache::Body>| async move {
        use http_body_util::BodyExt;
        let status = resp.status().as_u16();
        let cs = resp.headers()["cache-status"].to_str().unwrap().to_owned();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, cs, String::from_utf8(bytes.to_vec()).unwrap())
    };
    let first = cache
        .handle(get(url), opts(CachePolicy::StaleIfError), fetch.clone())
        .await;
    assert_eq!(body(first).await.0, 200);
    for _ in 0..8 {
        let resp = cache
            .handle(get(url), opts(CachePolicy::StaleIfError), fetch.clone())
            .await;
        let (status, cs, text) = body(resp).await;
        assert_eq!((status, text.as_str()), (503, "refused"), "{cs}");
        assert_eq!(cs, "awsproxy; fwd=stale; fwd-status=503; detail=no-store");
    }
    assert_eq!(
        fetch.0.load(Ordering::SeqCst),
        9,
        "every request asked, no ban"
    );
}

/// An upstream that fails the same way every time.
#[derive(Debug)]
struct Failing(
    fn() -> awsproxy::cache::FetchError,
    std::sync::atomic::AtomicUsize,
);

impl awsproxy::cache::Fetch for Failing {
    fn fetch(
        &self,
        _req: http::Request<()>,
    ) -> awsproxy::cache::BoxFuture<
        'static,
        Result<awsproxy::cache::Fetched, awsproxy::cache::FetchError>,
    > {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let e = (self.0)();
        Box::pin(async move { Err(e) })
    }
}

async fn parts_and_text(
    resp: http::Response<awsproxy::cache::Body>,
) -> (http::response::Parts, String) {
    use http_body_util::BodyExt;
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (parts, String::from_utf8_lossy(&bytes).into_owned())
}

/// The forward proxy's failures reach a cached `GET`'s client as they reach a
/// tunnel's: status, hint and `Proxy-Status` (seen failing before: a bare
/// `502` without `Proxy-Status`).
#[tokio::test]
async fn a_forward_proxy_failure_keeps_its_answer_through_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let fetch = Arc::new(Failing(
        || {
            awsproxy::net::FetchError::Timeout {
                target: "slow.example:443".into(),
            }
            .into()
        },
        Default::default(),
    ));
    let resp = cache
        .handle(
            get("http://slow.example/x"),
            opts(CachePolicy::Standard),
            fetch,
        )
        .await;
    let (parts, text) = parts_and_text(resp).await;
    assert_eq!(parts.status, 504, "{text}");
    assert_eq!(
        parts.headers["proxy-status"],
        "awsproxy; error=http_response_timeout"
    );
    assert!(
        parts.headers["cache-status"]
            .to_str()
            .unwrap()
            .ends_with("detail=upstream-error")
    );
    assert!(
        text.contains("sent no response") && text.contains("hint: "),
        "{text}"
    );
}

/// A failure of the service itself (no token) says nothing about the
/// upstream: it never bans it.
#[tokio::test]
async fn a_service_failure_bans_nothing() {
    use awsproxy::cache::{FetchError, FetchErrorKind};
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let fetch = Arc::new(Failing(
        || FetchError::msg("no token").with_kind(FetchErrorKind::Service),
        Default::default(),
    ));
    for _ in 0..8 {
        let resp = cache
            .handle(
                get("http://repo.example/x"),
                opts(CachePolicy::Standard),
                fetch.clone(),
            )
            .await;
        let (parts, text) = parts_and_text(resp).await;
        assert_eq!(parts.status, 502);
        assert_eq!(text, "awsproxy: upstream request failed: no token\n");
    }
    assert_eq!(fetch.1.load(std::sync::atomic::Ordering::SeqCst), 8);
}
