//! The responses [`super::HttpCache`] builds itself: a stored entry served
//! (with `Age` and `Cache-Status`; a `206` or `416` for a `Range`), a `304`
//! for a client that has it, the
//! answer to an upstream failure, and the metadata a `304` from upstream refreshes.

use std::time::SystemTime;

use http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use super::policy::{self, CacheStatus, Fwd};
use super::range;
use super::store::{self, EntryMeta, Found};
use super::{Body, FetchError};

pub(super) fn stale_status(mut status: CacheStatus) -> CacheStatus {
    status.hit = true;
    status.fwd = Some(Fwd::Stale);
    status.detail = Some("stale-if-error");
    status
}

/// The stored metadata updated with a `304`'s headers and a new response time.
/// A `Set-Cookie` on the `304` is for the client that caused the revalidation
/// ([`with_cookies_of`]), never stored.
pub(super) fn refreshed(meta: &EntryMeta, not_modified: &HeaderMap) -> EntryMeta {
    let mut update = not_modified.clone();
    crate::net::strip_hop_by_hop(&mut update);
    update.remove(header::CONTENT_LENGTH);
    update.remove(header::SET_COOKIE);
    let mut headers = meta.response_headers();
    for (name, value) in &update {
        headers.insert(name.clone(), value.clone());
    }
    EntryMeta {
        response_headers: store::from_header_map(&headers),
        stored_at_ms: store::now_ms(),
        ..meta.clone()
    }
}

/// The conditional headers that revalidate `meta` (`If-None-Match` from its
/// `ETag`, `If-Modified-Since` from its `Last-Modified`), as request parts.
pub(super) fn validators(meta: &EntryMeta) -> http::request::Parts {
    let (mut parts, ()) = http::Request::new(()).into_parts();
    let stored = meta.response_headers();
    if let Some(etag) = stored.get(header::ETAG) {
        parts.headers.insert(header::IF_NONE_MATCH, etag.clone());
    }
    if let Some(modified) = stored.get(header::LAST_MODIFIED) {
        parts
            .headers
            .insert(header::IF_MODIFIED_SINCE, modified.clone());
    }
    parts
}

/// Does the client's `If-None-Match` already name the stored response?
pub(super) fn client_has_it(req: &HeaderMap, meta: &EntryMeta) -> bool {
    let Some(etag) = meta
        .response_headers
        .iter()
        .find(|(k, _)| k == "etag")
        .map(|(_, v)| v.trim_start_matches("W/"))
    else {
        return false;
    };
    req.get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag)
}

/// A `304` for a client that has the stored response (RFC 9110 15.4.5 headers).
/// `age` is the stored response's age now, in seconds.
pub(super) fn not_modified(meta: &EntryMeta, age: u64, status: &CacheStatus) -> Response<Body> {
    let mut resp = Response::new(crate::net::empty());
    *resp.status_mut() = StatusCode::NOT_MODIFIED;
    let stored = meta.response_headers();
    for name in [
        header::ETAG,
        header::CACHE_CONTROL,
        header::EXPIRES,
        header::VARY,
        header::CONTENT_LOCATION,
        header::DATE,
    ] {
        for v in stored.get_all(&name) {
            resp.headers_mut().append(name.clone(), v.clone());
        }
    }
    resp.headers_mut()
        .insert(header::AGE, HeaderValue::from(age));
    with_status(resp, status)
}

pub(super) fn serve_stored(found: Found, status: CacheStatus, head: bool) -> Response<Body> {
    let Found { meta, body } = found;
    let age = policy::semantics(&meta).age(SystemTime::now()).as_secs();
    let body = if head { crate::net::empty() } else { body };
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(meta.status).unwrap_or(StatusCode::OK);
    *resp.headers_mut() = meta.response_headers();
    // Never stored (they are stripped before a fill), unless the entry was
    // tampered with; the length is the body's, not a stored header's.
    crate::net::strip_hop_by_hop(resp.headers_mut());
    let h = resp.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.body_len));
    h.insert(header::AGE, HeaderValue::from(age));
    if meta.status == 200 {
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    with_status(resp, &status)
}

/// A whole `200` of `len` bytes answered with `part` of it (`body` streams
/// that part): `206` with `Content-Range`.
pub(super) fn partial(
    resp: Response<Body>,
    part: &std::ops::Range<u64>,
    len: u64,
    body: Body,
) -> Response<Body> {
    let (mut parts, _whole) = resp.into_parts();
    parts.status = StatusCode::PARTIAL_CONTENT;
    let h = &mut parts.headers;
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(part.end - part.start),
    );
    if let Ok(v) = HeaderValue::from_str(&range::content_range(part, len)) {
        h.insert(header::CONTENT_RANGE, v);
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    Response::from_parts(parts, body)
}

/// A whole `200` of `len` bytes answered for a range past its end: `416`
/// with `Content-Range: bytes */LEN` and no body (the validators and
/// `Cache-Status` stay).
pub(super) fn unsatisfiable(resp: Response<Body>, len: u64) -> Response<Body> {
    let (mut parts, _whole) = resp.into_parts();
    parts.status = StatusCode::RANGE_NOT_SATISFIABLE;
    let h = &mut parts.headers;
    for name in [header::CONTENT_TYPE, header::CONTENT_ENCODING] {
        h.remove(name);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    if let Ok(v) = HeaderValue::from_str(&range::unsatisfied_range(len)) {
        h.insert(header::CONTENT_RANGE, v);
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    Response::from_parts(parts, crate::net::empty())
}

/// Adds the `Set-Cookie`s of an upstream answer (a `304`) to the response
/// served for it.
pub(super) fn with_cookies_of(mut resp: Response<Body>, upstream: &HeaderMap) -> Response<Body> {
    for cookie in upstream.get_all(header::SET_COOKIE) {
        resp.headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
    resp
}

/// Sets `Cache-Status`: the header for clients, the value for callers.
pub(super) fn with_status(mut resp: Response<Body>, status: &CacheStatus) -> Response<Body> {
    if let Some(v) = status.to_header() {
        resp.headers_mut().insert(policy::cache_status_name(), v);
    }
    resp.extensions_mut().insert(*status);
    resp
}

pub(super) fn strip_hop_by_hop(mut resp: Response<Body>) -> Response<Body> {
    crate::net::strip_hop_by_hop(resp.headers_mut());
    resp
}

/// The error's short answer for the client ([`FetchError::answer`]); the
/// full error goes to the log.
pub(super) fn upstream_error(e: &FetchError, mut status: CacheStatus) -> Response<Body> {
    tracing::warn!(error = %e, source = ?std::error::Error::source(e), "upstream request failed");
    status.detail = Some("upstream-error");
    with_status(e.answer().to_response(), &status)
}
