//! Range requests through [`HttpCache`]: a stored entry served cut to the
//! client's `Range` ([`crate::cache::range`] parses it), an upstream response
//! cut as it streams to the client (the fill stores the whole body), and
//! [`HttpCache::stored_range`] for callers that read part of a stored file
//! themselves.

use std::time::SystemTime;

use http::{HeaderMap, Request, Response, header};

use super::{HttpCache, Req, key_for};
use crate::cache::policy::{self, CacheStatus, Decision};
use crate::cache::range::{self, Requested};
use crate::cache::respond::{partial, serve_stored, unsatisfiable};
use crate::cache::store::{self, Found};
use crate::cache::{Body, CachePolicy, LookupOptions};

impl Req {
    /// What the client's `Range` asks of a `status` response of `len` bytes
    /// with headers `resp`: only a whole `200` is cut.
    pub(super) fn requested(&self, status: u16, resp: &HeaderMap, len: u64) -> Requested {
        if self.ranges.is_empty() || status != 200 {
            return Requested::Whole;
        }
        range::requested(&self.ranges, resp, len)
    }
}

impl HttpCache {
    /// The entry [`HttpCache::handle`] would serve `req` from (its key, and
    /// the `Vary` variant the request selects) with only `range` of its body
    /// ([`store::Store::get_range`]: `Found::meta` is the whole entry's).
    ///
    /// `None` when nothing usable is stored: no entry, another body than
    /// `opts.verify` expects, an entry stored for a signed request, a store
    /// failure (logged). Freshness is not asked: this reads what is stored
    /// (files whose body never changes, checked by `opts.verify`). With
    /// `[cache] hmac_key` the store refuses parts, so the whole verified body
    /// is read and cut to the range; its end arrives only once the whole
    /// body matched its signature.
    pub async fn stored_range(
        &self,
        req: &Request<()>,
        opts: &LookupOptions,
        range: std::ops::Range<u64>,
    ) -> Option<Found> {
        let key = key_for(req.method(), req.uri(), req.headers(), opts);
        let preq = policy::policy_request(&key.method, &key.url, req.headers());
        let mut hash = key.hash();
        for first in [true, false] {
            let found = self.read_range(&hash, range.clone()).await?;
            if found.meta.signed.is_some()
                || opts
                    .verify
                    .as_ref()
                    .is_some_and(|v| !v.accepts(&found.meta.sha256))
            {
                return None;
            }
            let decision = policy::decide(
                CachePolicy::NoRefresh,
                &found.meta,
                &preq,
                SystemTime::now(),
            );
            if !matches!(decision, Decision::Mismatch) {
                return Some(found);
            }
            let vary = policy::vary_names(&found.meta.response_headers());
            if !first || vary.is_empty() || vary.iter().any(|v| v == "*") {
                return None;
            }
            hash = key.variant_hash(&vary, preq.headers());
        }
        None
    }

    /// Reads `range` of an entry from the store; from a store that refuses
    /// parts (signed), the whole body cut to the range, read to its end so
    /// a forged body fails the part.
    async fn read_range(&self, hash: &str, range: std::ops::Range<u64>) -> Option<Found> {
        let store = &self.inner.store;
        let read = match store.get_range(hash, range.clone()).await {
            Err(store::StoreError::RangesUnsupported) => store.get(hash).await.map(|found| {
                found.map(|Found { meta, body }| Found {
                    body: range::slice(body, store::clamp(&range, meta.body_len), true),
                    meta,
                })
            }),
            read => read,
        };
        match read {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(store = store.kind(), error = %e.log_text(), "cache lookup failed; treating it as a miss");
                None
            }
        }
    }

    /// Serves a stored entry (from [`Self::lookup`]), cut to the client's
    /// `Range`. A part of a large entry is read from the store by itself
    /// ([`store::Store::get_range`]); one in memory, or of a store that refuses
    /// parts (signed: then read to its end, so a forged body fails the
    /// part), is cut from the whole body.
    pub(super) async fn serve(
        &self,
        r: &Req,
        found: Found,
        status: CacheStatus,
        head: bool,
    ) -> Response<Body> {
        if r.ranges.is_empty() {
            return serve_stored(found, status, head);
        }
        let len = found.meta.body_len;
        let part = match r.requested(found.meta.status, &found.meta.response_headers(), len) {
            Requested::Part(part) if !head => part,
            Requested::Unsatisfiable if !head => {
                return unsatisfiable(serve_stored(found, status, true), len);
            }
            _ => return serve_stored(found, status, head),
        };
        let Found { meta, body } = found;
        let in_memory = meta.signed.is_none() && self.inner.hot.wants(len);
        let body = if in_memory {
            range::slice(body, part.clone(), false)
        } else {
            match self.inner.store.get_range(&r.hash, part.clone()).await {
                // Still the entry whose metadata is served.
                Ok(Some(alone)) if alone.meta == meta => alone.body,
                Err(store::StoreError::RangesUnsupported) => range::slice(body, part.clone(), true),
                _ => range::slice(body, part.clone(), false),
            }
        };
        let whole = serve_stored(
            Found {
                meta,
                body: crate::net::empty(),
            },
            status,
            false,
        );
        partial(whole, &part, len, body)
    }
}

/// An upstream response for the client, cut to its `Range` when its length is
/// known (the fill, if any, goes on for the whole body).
pub(super) fn cut_fresh(r: &Req, resp: Response<Body>, to_end: bool) -> Response<Body> {
    let Some(len) = resp
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
    else {
        return resp;
    };
    let requested = r.requested(resp.status().as_u16(), resp.headers(), len);
    cut(resp, requested, len, to_end)
}

/// `resp`, whose body is the whole `len` bytes, answered for `requested`.
pub(super) fn cut(
    resp: Response<Body>,
    requested: Requested,
    len: u64,
    to_end: bool,
) -> Response<Body> {
    match requested {
        Requested::Whole => resp,
        Requested::Unsatisfiable => unsatisfiable(resp, len),
        Requested::Part(part) => {
            let (parts, body) = resp.into_parts();
            let body = range::slice(body, part.clone(), to_end);
            partial(
                Response::from_parts(parts, crate::net::empty()),
                &part,
                len,
                body,
            )
        }
    }
}
