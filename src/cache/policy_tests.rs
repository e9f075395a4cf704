//! RFC 9111 / RFC 5861 cases the cache relies on, each with an explicit `now`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Method, Request, StatusCode};

use super::*;
use crate::cache::store::{EntryMeta, META_VERSION, from_header_map};

const URL: &str = "https://example.com/pkg.tgz";

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn req(pairs: &[(&str, &str)]) -> Request<()> {
    policy_request(&Method::GET, URL, &headers(pairs))
}

/// An entry stored at `t0()` from `req` and a 200 with `res` headers.
fn entry(request: &Request<()>, res: &[(&str, &str)]) -> EntryMeta {
    let mut res = headers(res);
    if !res.contains_key("date") {
        res.insert("date", HeaderValue::from_str(&http_date(t0())).unwrap());
    }
    EntryMeta {
        version: META_VERSION,
        key: "k".into(),
        method: "GET".into(),
        url: URL.into(),
        status: 200,
        request_headers: from_header_map(&stored_request_headers(request, &res)),
        response_headers: from_header_map(&res),
        stored_at_ms: 1_800_000_000_000,
        body_len: 1,
        sha256: String::new(),
        immutable: false,
        namespace: String::new(),
        signed: None,
        hmac: None,
        s3_etag: None,
    }
}

fn at(secs: u64) -> SystemTime {
    t0() + Duration::from_secs(secs)
}

fn decide_at(p: CachePolicy, meta: &EntryMeta, r: &Request<()>, secs: u64) -> &'static str {
    decide(p, meta, r, at(secs)).as_str()
}

#[test]
fn max_age_gives_freshness() {
    let r = req(&[]);
    let m = entry(&r, &[("cache-control", "max-age=100")]);
    assert_eq!(decide_at(CachePolicy::Standard, &m, &r, 99), "fresh");
    assert_eq!(decide_at(CachePolicy::Standard, &m, &r, 101), "revalidate");
    assert_eq!(ttl(&m, at(40)), 60);
    assert!(ttl(&m, at(130)) < 0);
}

#[test]
fn s_maxage_wins_over_max_age_in_a_shared_cache() {
    let r = req(&[]);
    let m = entry(&r, &[("cache-control", "max-age=10, s-maxage=1000")]);
    assert_eq!(decide_at(CachePolicy::Standard, &m, &r, 500), "fresh");
}

#[test]
fn expires_gives_freshness_relative_to_date() {
    let r = req(&[]);
    let m = entry(&r, &[("expires", &http_date(at(300)))]);
    assert_eq!(decide_at(CachePolicy::Standard, &m, &r, 299), "fresh");
    assert_eq!(decide_at(CachePolicy::Standard, &m, &r, 301), "revalidate");
}

#[test]
fn heuristic_freshness_is_a_tenth_of_the_last_modified_age() {
    let r = req(&[]);
    let lm = t0() - Duration::from_secs(10_000);
    let m = entry(&r, &[("last-modified", &http_date(lm))]);
    assert_eq!(decide_at(CachePolicy::Standard, &m, &r, 999), "fresh");
    assert_eq!(decide_at(CachePolicy::Standard, &m, &r, 1001), "revalidate");
}

#[test]
fn revalidation_uses_etag_and_last_modified() {
    let r = req(&[]);
    let lm = http_date(t0() - Duration::from_secs(60));
    let m = entry(
        &r,
        &[
            ("cache-control", "max-age=0"),
            ("etag", "\"v1\""),
            ("last-modified", &lm),
        ],
    );
    let Decision::Revalidate(parts) = decide(CachePolicy::Standard, &m, &r, at(1)) else {
        panic!("expected a revalidation");
    };
    assert_eq!(parts.headers["if-none-match"], "\"v1\"");
    assert_eq!(parts.headers["if-modified-since"], lm.as_str());
}

#[test]
fn vary_selects_matching_requests_only() {
    let gz = req(&[("accept-encoding", "gzip")]);
    let m = entry(
        &gz,
        &[
            ("cache-control", "max-age=100"),
            ("vary", "Accept-Encoding"),
        ],
    );
    assert_eq!(decide_at(CachePolicy::Standard, &m, &gz, 1), "fresh");
    assert_eq!(
        decide_at(
            CachePolicy::Standard,
            &m,
            &req(&[("accept-encoding", "br")]),
            1
        ),
        "mismatch"
    );
    assert_eq!(
        decide_at(CachePolicy::Standard, &m, &req(&[]), 1),
        "mismatch"
    );
    let star = entry(&gz, &[("cache-control", "max-age=100"), ("vary", "*")]);
    assert_eq!(decide_at(CachePolicy::Standard, &star, &gz, 1), "mismatch");
}

#[test]
fn no_store_private_and_authorization_are_not_stored() {
    let ok = StatusCode::OK;
    let plain = req(&[]);
    assert_eq!(
        storable(
            CachePolicy::Standard,
            &plain,
            ok,
            &headers(&[("cache-control", "max-age=60")]),
            false
        ),
        Ok(())
    );
    assert_eq!(
        storable(
            CachePolicy::Standard,
            &plain,
            ok,
            &headers(&[("cache-control", "no-store")]),
            false
        ),
        Err(NoStoreReason::NoStore)
    );
    assert_eq!(
        storable(
            CachePolicy::Standard,
            &req(&[("cache-control", "no-store")]),
            ok,
            &HeaderMap::new(),
            false
        ),
        Err(NoStoreReason::NoStore)
    );
    assert_eq!(
        storable(
            CachePolicy::NoRefresh,
            &plain,
            ok,
            &headers(&[("cache-control", "private, max-age=60")]),
            false
        ),
        Err(NoStoreReason::Private)
    );
    let authed = req(&[("authorization", "Bearer secret")]);
    assert_eq!(
        storable(
            CachePolicy::Standard,
            &authed,
            ok,
            &headers(&[("cache-control", "max-age=60")]),
            false
        ),
        Err(NoStoreReason::Authorization)
    );
    assert_eq!(
        storable(
            CachePolicy::Standard,
            &authed,
            ok,
            &headers(&[("cache-control", "public, max-age=60")]),
            false
        ),
        Ok(())
    );
    // The secret itself is never kept, only a digest.
    assert!(!format!("{:?}", authed.headers()).contains("secret"));
    assert_eq!(
        storable(CachePolicy::NoCache, &plain, ok, &HeaderMap::new(), false),
        Err(NoStoreReason::Policy)
    );
    assert_eq!(
        storable(
            CachePolicy::Standard,
            &plain,
            StatusCode::PARTIAL_CONTENT,
            &HeaderMap::new(),
            false
        ),
        Err(NoStoreReason::Status)
    );
    let post = policy_request(&Method::POST, URL, &HeaderMap::new());
    assert_eq!(
        storable(CachePolicy::Standard, &post, ok, &HeaderMap::new(), false),
        Err(NoStoreReason::Method)
    );
}

#[test]
fn responses_with_set_cookie_are_stored_only_when_a_rule_says_so() {
    let cookie = headers(&[
        ("cache-control", "public, max-age=60"),
        ("set-cookie", "session=a"),
    ]);
    let plain = req(&[]);
    assert_eq!(
        storable(
            CachePolicy::Standard,
            &plain,
            StatusCode::OK,
            &cookie,
            false
        ),
        Err(NoStoreReason::SetCookie)
    );
    assert_eq!(NoStoreReason::SetCookie.as_str(), "set-cookie");
    assert_eq!(
        storable(CachePolicy::Standard, &plain, StatusCode::OK, &cookie, true),
        Ok(())
    );
}

#[test]
fn stale_while_revalidate_window() {
    let r = req(&[]);
    let m = entry(
        &r,
        &[("cache-control", "max-age=10, stale-while-revalidate=50")],
    );
    assert_eq!(
        decide_at(CachePolicy::Standard, &m, &r, 30),
        "stale-while-revalidate"
    );
    assert_eq!(decide_at(CachePolicy::Standard, &m, &r, 70), "revalidate");
    // A client asking for a fresh copy is not served stale.
    let nc = req(&[("cache-control", "no-cache")]);
    assert_eq!(decide_at(CachePolicy::Standard, &m, &nc, 30), "revalidate");
}

#[test]
fn stale_if_error_window_and_policies() {
    let r = req(&[]);
    let m = entry(&r, &[("cache-control", "max-age=10, stale-if-error=100")]);
    assert!(stale_if_error(CachePolicy::Standard, &m, at(50)));
    assert!(!stale_if_error(CachePolicy::Standard, &m, at(200)));
    let plain = entry(&r, &[("cache-control", "max-age=10")]);
    assert!(!stale_if_error(CachePolicy::Standard, &plain, at(50)));
    assert!(stale_if_error(
        CachePolicy::StaleIfError,
        &plain,
        at(1_000_000)
    ));
    assert!(stale_if_error(CachePolicy::AlwaysUpstream, &plain, at(50)));
    assert!(!stale_if_error(CachePolicy::NoCache, &plain, at(50)));
    let strict = entry(
        &r,
        &[(
            "cache-control",
            "max-age=10, stale-if-error=100, must-revalidate",
        )],
    );
    assert!(!stale_if_error(CachePolicy::Standard, &strict, at(50)));
}

#[test]
fn policies_no_refresh_always_upstream_and_immutable() {
    let r = req(&[]);
    let m = entry(&r, &[("cache-control", "max-age=10"), ("etag", "\"x\"")]);
    assert_eq!(
        decide_at(CachePolicy::NoRefresh, &m, &r, 1_000_000),
        "fresh"
    );
    assert_eq!(
        decide_at(CachePolicy::AlwaysUpstream, &m, &r, 1),
        "revalidate"
    );
    let mut imm = m.clone();
    imm.immutable = true;
    assert_eq!(
        decide_at(CachePolicy::Standard, &imm, &r, 1_000_000),
        "fresh"
    );
}

#[test]
fn no_refresh_serves_what_is_stored_even_to_clients_that_ask_for_a_fresh_copy() {
    let r = req(&[]);
    let m = entry(&r, &[("cache-control", "max-age=10"), ("etag", "\"x\"")]);
    // What Maven sends with every request.
    let mvn = req(&[
        ("cache-control", "no-cache"),
        ("cache-store", "no-store"),
        ("pragma", "no-cache"),
    ]);
    for secs in [1, 1_000_000] {
        assert_eq!(decide_at(CachePolicy::NoRefresh, &m, &mvn, secs), "fresh");
        assert_eq!(
            decide_at(
                CachePolicy::NoRefresh,
                &m,
                &req(&[("cache-control", "max-age=0")]),
                secs
            ),
            "fresh"
        );
    }
    // Only `no-refresh` means that: the standard policy honours the client.
    assert_eq!(decide_at(CachePolicy::Standard, &m, &mvn, 1), "revalidate");
    let mut imm = m.clone();
    imm.immutable = true;
    assert_eq!(
        decide_at(CachePolicy::Standard, &imm, &mvn, 1),
        "revalidate"
    );
}

#[test]
fn cache_status_values() {
    assert_eq!(CacheStatus::hit().header_value(), "awsproxy; hit");
    let mut s = CacheStatus::fwd(Fwd::UriMiss);
    s.stored = true;
    assert_eq!(s.header_value(), "awsproxy; fwd=uri-miss; stored");
    let mut s = CacheStatus::fwd(Fwd::Stale).detail("stale-if-error");
    s.fwd_status = Some(503);
    assert_eq!(
        s.header_value(),
        "awsproxy; fwd=stale; fwd-status=503; detail=stale-if-error"
    );
}
