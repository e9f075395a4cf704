//! Pure cache policy: may a response be stored, may a stored one be served,
//! how to revalidate it, and what to say in `Cache-Status`. No I/O here.
//!
//! RFC 9111 semantics (freshness from `s-maxage`/`max-age`/`Expires`/heuristic,
//! `Vary`, `no-store`, `private`, `Authorization`, validators) come from the
//! `http-cache-semantics` crate in shared-cache mode; this module adds RFC 5861
//! `stale-while-revalidate` / `stale-if-error`, which the crate lacks, and the
//! awsproxy policies (`NoRefresh`, `StaleIfError`, `AlwaysUpstream`, `NoCache`).

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_cache_semantics::{BeforeRequest, CacheOptions};
use sha2::{Digest, Sha256};

use super::store::EntryMeta;
use crate::config::CachePolicy;

/// Request headers whose values are stored (for `Vary`) only as a digest.
const SENSITIVE: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

fn options() -> CacheOptions {
    CacheOptions {
        shared: true,
        ..CacheOptions::default()
    }
}

/// Why a response was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoStoreReason {
    /// The policy is `no-cache`.
    Policy,
    /// Only GET (and HEAD, served from GET entries) are cached.
    Method,
    /// `Cache-Control: no-store` in the request or response.
    NoStore,
    /// `Cache-Control: private`.
    Private,
    /// The request carried `Authorization` and the response did not allow sharing.
    Authorization,
    /// A status this cache does not store (only complete 200s are stored).
    Status,
    /// RFC 9111 says no for another reason (e.g. `Vary: *`).
    NotStorable,
    /// The response sets a cookie: it is meant for one user (what nginx does;
    /// a rule's `store_set_cookie` stores it without the cookie).
    SetCookie,
}

impl NoStoreReason {
    pub fn as_str(self) -> &'static str {
        match self {
            NoStoreReason::Policy => "policy-no-cache",
            NoStoreReason::Method => "method",
            NoStoreReason::NoStore => "no-store",
            NoStoreReason::Private => "private",
            NoStoreReason::Authorization => "authorization",
            NoStoreReason::Status => "status",
            NoStoreReason::NotStorable => "not-storable",
            NoStoreReason::SetCookie => "set-cookie",
        }
    }
}

/// The request as the semantics crate sees it: the normalised URL, and
/// sensitive header values replaced by digests (they are stored for `Vary`).
pub fn policy_request(method: &Method, url: &str, headers: &HeaderMap) -> Request<()> {
    let mut req = Request::new(());
    *req.method_mut() = method.clone();
    if let Ok(uri) = url.parse() {
        *req.uri_mut() = uri;
    }
    let out = req.headers_mut();
    for (name, value) in headers {
        if name == http::header::HOST || name.as_str() == super::POLICY_HEADER {
            continue;
        }
        if SENSITIVE.contains(&name.as_str()) {
            let digest = format!("sha256:{}", hex::encode(Sha256::digest(value.as_bytes())));
            if let Ok(v) = HeaderValue::from_str(&digest) {
                out.append(name.clone(), v);
            }
        } else {
            out.append(name.clone(), value.clone());
        }
    }
    req
}

/// Decides whether a fresh upstream response may be stored; one with
/// `Set-Cookie` only when `store_set_cookie` (and then without the cookie).
pub fn storable(
    policy: CachePolicy,
    req: &Request<()>,
    status: StatusCode,
    res_headers: &HeaderMap,
    store_set_cookie: bool,
) -> Result<(), NoStoreReason> {
    if policy == CachePolicy::NoCache {
        return Err(NoStoreReason::Policy);
    }
    if req.method() != Method::GET {
        return Err(NoStoreReason::Method);
    }
    if status != StatusCode::OK {
        return Err(NoStoreReason::Status);
    }
    let res_cc = directives(res_headers);
    let req_cc = directives(req.headers());
    if has(&res_cc, "no-store") || has(&req_cc, "no-store") {
        return Err(NoStoreReason::NoStore);
    }
    if has(&res_cc, "private") {
        return Err(NoStoreReason::Private);
    }
    if !store_set_cookie && res_headers.contains_key(http::header::SET_COOKIE) {
        return Err(NoStoreReason::SetCookie);
    }
    let res = response(status, res_headers);
    let semantics =
        http_cache_semantics::CachePolicy::new_options(req, &res, SystemTime::now(), options());
    if semantics.is_storable() {
        Ok(())
    } else if req.headers().contains_key(http::header::AUTHORIZATION) {
        Err(NoStoreReason::Authorization)
    } else {
        Err(NoStoreReason::NotStorable)
    }
}

/// The request headers kept in an entry's metadata: those the response `Vary`s
/// on (digested when sensitive), plus `Authorization`'s presence.
pub fn stored_request_headers(req: &Request<()>, res_headers: &HeaderMap) -> HeaderMap {
    let mut keep = HeaderMap::new();
    let vary: Vec<String> = vary_names(res_headers);
    for (name, value) in req.headers() {
        if vary.iter().any(|v| v == name.as_str()) || name == http::header::AUTHORIZATION {
            keep.append(name.clone(), value.clone());
        }
    }
    keep
}

/// Header names in `Vary`, lowercased.
pub fn vary_names(res_headers: &HeaderMap) -> Vec<String> {
    res_headers
        .get_all(http::header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

/// What to do with a stored entry for a request.
#[derive(Debug)]
pub enum Decision {
    /// Serve it as is.
    Fresh,
    /// Stale but inside its `stale-while-revalidate` window: serve it and
    /// revalidate in the background with this request.
    StaleWhileRevalidate(http::request::Parts),
    /// Revalidate (or, without validators, refetch) with this request first.
    Revalidate(http::request::Parts),
    /// The entry is another variant (`Vary`) or unusable for this request.
    Mismatch,
}

impl Decision {
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Fresh => "fresh",
            Decision::StaleWhileRevalidate(_) => "stale-while-revalidate",
            Decision::Revalidate(_) => "revalidate",
            Decision::Mismatch => "mismatch",
        }
    }
}

/// Rebuilds the RFC 9111 view of a stored entry.
pub fn semantics(meta: &EntryMeta) -> http_cache_semantics::CachePolicy {
    let method = Method::from_bytes(meta.method.as_bytes()).unwrap_or(Method::GET);
    let req = policy_request(&method, &meta.url, &meta.request_headers());
    let res = response(
        StatusCode::from_u16(meta.status).unwrap_or(StatusCode::OK),
        &meta.response_headers(),
    );
    http_cache_semantics::CachePolicy::new_options(&req, &res, meta.stored_at(), options())
}

/// Decides how `req` (built with [`policy_request`]) may use `meta`.
pub fn decide(
    policy: CachePolicy,
    meta: &EntryMeta,
    req: &Request<()>,
    now: SystemTime,
) -> Decision {
    decide_with(policy, meta, &semantics(meta), req, now)
}

/// [`decide`] with the entry's RFC 9111 view already built ([`semantics`]).
pub fn decide_with(
    policy: CachePolicy,
    meta: &EntryMeta,
    sem: &http_cache_semantics::CachePolicy,
    req: &Request<()>,
    now: SystemTime,
) -> Decision {
    // A request with `no-cache` always goes upstream; so does `always-upstream`.
    let mut probe = req.clone();
    if policy == CachePolicy::AlwaysUpstream {
        probe.headers_mut().insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        );
    }
    match sem.before_request(&probe, now) {
        BeforeRequest::Fresh(_) if policy != CachePolicy::AlwaysUpstream => Decision::Fresh,
        BeforeRequest::Fresh(_) => Decision::Mismatch,
        BeforeRequest::Stale { matches: false, .. } => Decision::Mismatch,
        // `no-refresh` serves what is stored, whatever the client asks: that is
        // the rule's point (Maven sends `no-cache` with every request).
        BeforeRequest::Stale { .. } if policy == CachePolicy::NoRefresh => Decision::Fresh,
        BeforeRequest::Stale { request, .. } => {
            let client_no_cache = has(&directives(req.headers()), "no-cache");
            if meta.immutable && !client_no_cache {
                Decision::Fresh
            } else if policy != CachePolicy::AlwaysUpstream
                && !client_no_cache
                && within(meta, sem, "stale-while-revalidate", now)
            {
                Decision::StaleWhileRevalidate(request)
            } else {
                Decision::Revalidate(request)
            }
        }
    }
}

/// May `meta` be served stale because the upstream failed (RFC 5861, or the policy)?
pub fn stale_if_error(policy: CachePolicy, meta: &EntryMeta, now: SystemTime) -> bool {
    match policy {
        CachePolicy::StaleIfError | CachePolicy::AlwaysUpstream | CachePolicy::NoRefresh => true,
        CachePolicy::NoCache => false,
        CachePolicy::Standard => {
            let sem = semantics(meta);
            !has(&directives(&meta.response_headers()), "must-revalidate")
                && within(meta, &sem, "stale-if-error", now)
        }
    }
}

/// Is the entry's staleness inside the window of an RFC 5861 directive?
fn within(
    meta: &EntryMeta,
    sem: &http_cache_semantics::CachePolicy,
    directive: &str,
    now: SystemTime,
) -> bool {
    let Some(window) = directives(&meta.response_headers())
        .into_iter()
        .find(|(k, _)| k == directive)
        .and_then(|(_, v)| v?.parse::<u64>().ok())
    else {
        return false;
    };
    staleness(meta, sem, now) <= Duration::from_secs(window)
}

/// How long past its freshness lifetime the entry is at `now`.
pub fn staleness(
    meta: &EntryMeta,
    sem: &http_cache_semantics::CachePolicy,
    now: SystemTime,
) -> Duration {
    let at = meta.stored_at();
    let lifetime = sem.time_to_live(at) + sem.age(at);
    sem.age(now).saturating_sub(lifetime)
}

/// Remaining freshness (seconds, negative when stale), for `Cache-Status: ttl=`.
pub fn ttl(meta: &EntryMeta, now: SystemTime) -> i64 {
    ttl_with(meta, &semantics(meta), now)
}

/// [`ttl`] with the entry's RFC 9111 view already built.
pub fn ttl_with(meta: &EntryMeta, sem: &http_cache_semantics::CachePolicy, now: SystemTime) -> i64 {
    let ttl = sem.time_to_live(now);
    if ttl.is_zero() {
        -i64::try_from(staleness(meta, sem, now).as_secs()).unwrap_or(i64::MAX)
    } else {
        i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)
    }
}

/// Cache-Control directives, lowercased, with unquoted values.
pub fn directives(headers: &HeaderMap) -> Vec<(String, Option<String>)> {
    headers
        .get_all(http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|d| {
            let d = d.trim();
            if d.is_empty() {
                return None;
            }
            Some(match d.split_once('=') {
                Some((k, v)) => (
                    k.trim().to_ascii_lowercase(),
                    Some(v.trim().trim_matches('"').to_owned()),
                ),
                None => (d.to_ascii_lowercase(), None),
            })
        })
        .collect()
}

fn has(directives: &[(String, Option<String>)], name: &str) -> bool {
    directives.iter().any(|(k, _)| k == name)
}

fn response(status: StatusCode, headers: &HeaderMap) -> http::Response<()> {
    let mut res = http::Response::new(());
    *res.status_mut() = status;
    *res.headers_mut() = headers.clone();
    res
}

/// RFC 9211 `fwd` values this cache uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fwd {
    /// The policy or method bypasses the cache.
    Bypass,
    /// Nothing stored for this URL.
    UriMiss,
    /// Something stored, but another `Vary` variant.
    VaryMiss,
    /// A stored entry exists but the policy always goes upstream.
    Miss,
    /// A stale entry was revalidated (or refetched).
    Stale,
    /// The client asked for a fresh copy (`Cache-Control: no-cache`).
    Request,
}

impl Fwd {
    pub fn as_str(self) -> &'static str {
        match self {
            Fwd::Bypass => "bypass",
            Fwd::UriMiss => "uri-miss",
            Fwd::VaryMiss => "vary-miss",
            Fwd::Miss => "miss",
            Fwd::Stale => "stale",
            Fwd::Request => "request",
        }
    }
}

/// One `Cache-Status` entry (RFC 9211) for the `awsproxy` cache. Every
/// response of [`super::HttpCache::handle`] carries it twice: as the header
/// clients see, and as this value in the response's extensions, which is what
/// callers read ([`CacheStatus::of`], [`CacheStatus::outcome`]); nobody parses
/// the header text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStatus {
    pub hit: bool,
    pub fwd: Option<Fwd>,
    pub fwd_status: Option<u16>,
    pub stored: bool,
    pub collapsed: bool,
    pub ttl: Option<i64>,
    pub detail: Option<&'static str>,
}

impl CacheStatus {
    pub fn hit() -> Self {
        Self {
            hit: true,
            ..Self::default()
        }
    }

    pub fn fwd(fwd: Fwd) -> Self {
        Self {
            fwd: Some(fwd),
            ..Self::default()
        }
    }

    pub fn detail(mut self, detail: &'static str) -> Self {
        self.detail = Some(detail);
        self
    }

    /// The status a response of the cache carries in its extensions.
    pub fn of<B>(resp: &http::Response<B>) -> Option<&CacheStatus> {
        resp.extensions().get::<CacheStatus>()
    }

    /// How the response counts in `/metrics` and on the status page.
    pub fn outcome(&self) -> Outcome {
        if self.hit && self.detail.is_some() {
            // A stored response served because the upstream failed, or while
            // it is refreshed in the background.
            Outcome::Stale
        } else if self.hit {
            Outcome::Hit
        } else if self.detail == Some("upstream-error") {
            Outcome::UpstreamError
        } else if self.fwd == Some(Fwd::Bypass) {
            Outcome::Bypass
        } else if self.fwd_status == Some(304) && !self.stored && self.detail.is_none() {
            // The upstream said `304`: the stored body was served.
            Outcome::Revalidated
        } else {
            Outcome::Miss
        }
    }

    /// The header value, e.g. `awsproxy; fwd=uri-miss; stored`.
    pub fn header_value(&self) -> String {
        let mut out = String::with_capacity(64);
        // Writing to a `String` cannot fail.
        let _ = self.write_to(&mut out);
        out
    }

    /// The header, written on the stack and copied once into the value (a
    /// hit's only allocation for it).
    pub fn to_header(&self) -> Option<HeaderValue> {
        let mut buf = StackBuf::default();
        if self.write_to(&mut buf).is_ok() {
            return HeaderValue::from_bytes(&buf.bytes[..buf.len]).ok();
        }
        HeaderValue::from_str(&self.header_value()).ok()
    }

    fn write_to(&self, out: &mut impl std::fmt::Write) -> std::fmt::Result {
        out.write_str("awsproxy")?;
        if self.hit {
            out.write_str("; hit")?;
        }
        if let Some(fwd) = self.fwd {
            write!(out, "; fwd={}", fwd.as_str())?;
        }
        if let Some(s) = self.fwd_status {
            write!(out, "; fwd-status={s}")?;
        }
        if self.stored {
            out.write_str("; stored")?;
        }
        if self.collapsed {
            out.write_str("; collapsed")?;
        }
        if let Some(ttl) = self.ttl {
            write!(out, "; ttl={ttl}")?;
        }
        if let Some(d) = self.detail {
            write!(out, "; detail={d}")?;
        }
        Ok(())
    }
}

/// A fixed buffer for [`CacheStatus::to_header`] (longer values fall back to a `String`).
struct StackBuf {
    bytes: [u8; 160],
    len: usize,
}

impl Default for StackBuf {
    fn default() -> Self {
        Self {
            bytes: [0; 160],
            len: 0,
        }
    }
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// What one response of the cache was, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Served fresh from the store.
    Hit,
    /// Served from the store after the upstream answered `304`.
    Revalidated,
    /// Served stale (upstream failing, or while revalidating).
    Stale,
    /// Fetched from the upstream (stored or not).
    Miss,
    /// Not cacheable by policy or method: passed through.
    Bypass,
    /// The upstream failed and nothing stored could stand in.
    UpstreamError,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Hit,
        Outcome::Revalidated,
        Outcome::Miss,
        Outcome::Stale,
        Outcome::Bypass,
        Outcome::UpstreamError,
    ];

    /// The `outcome` label in `/metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Hit => "hit",
            Outcome::Revalidated => "revalidated",
            Outcome::Stale => "stale",
            Outcome::Miss => "miss",
            Outcome::Bypass => "bypass",
            Outcome::UpstreamError => "upstream_error",
        }
    }

    /// Was the body served from the store?
    pub fn from_store(self) -> bool {
        matches!(self, Outcome::Hit | Outcome::Revalidated | Outcome::Stale)
    }
}

/// Name of the `Cache-Status` header.
pub fn cache_status_name() -> HeaderName {
    HeaderName::from_static("cache-status")
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
