//! [`HttpCache`]: the request flow of DESIGN.md "Data flow of one cached request".
//!
//! lookup -> fresh: stream from the store (`hit`) | stale: revalidate (`304`
//! serves the stored body) or serve within `stale-while-revalidate` and refresh
//! in the background (one refresh per key at a time) | miss: one upstream
//! request per key (coalesced), tee the body to the client and the store.
//! Upstream failures fall back to stale entries where the policy or
//! `stale-if-error` allows. The upstream is always asked for whole bodies: a
//! client's `Range` is cut from what is stored or streamed ([`ranged`]).
//!
//! An entry stored for a signed request ([`Credential`]: a presigned URL's
//! `X-Amz-Signature`, or `Authorization`) is the origin's answer to that
//! signature only, although presigned URLs share a key. It is never served
//! without asking the origin: a request with no credential of its own goes
//! upstream as a miss; one with a credential revalidates with its own URL and
//! headers (`304` serves the stored body, `200` replaces it, any refusal is
//! passed on), whatever the policy, freshness or `stale-if-error` say. The
//! memory tier never holds such entries.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt;

mod ranged;

use ranged::{cut, cut_fresh};

use super::bans::Bans;
use super::fill::{self, Fill};
use super::hot::{HotEntry, HotTier};
use super::key::Credential;
use super::policy::{self, CacheStatus, Decision, Fwd};
use super::range;
use super::respond::{
    client_has_it, not_modified, refreshed, stale_status, strip_hop_by_hop, upstream_error,
    validators, with_cookies_of, with_status,
};
use super::store::{self, EntryMeta, Found, Store};
use super::{
    Body, CacheKey, CachePolicy, CacheSettings, Fetch, FetchError, Fetched, LookupOptions,
    POLICY_HEADER, UpstreamAuth,
};

/// The cache entry point. Cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct HttpCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn Store>,
    settings: CacheSettings,
    inflight: Mutex<HashMap<String, tokio::sync::watch::Receiver<()>>>,
    /// Keys being refreshed in the background (`stale-while-revalidate`):
    /// one refresh per key at a time.
    refreshing: Mutex<HashSet<String>>,
    bans: Bans,
    hot: HotTier,
}

/// One request in flight through the cache.
#[derive(Clone)]
struct Req {
    parts: http::request::Parts,
    key: CacheKey,
    hash: String,
    /// The request as the RFC 9111 code sees it.
    preq: Request<()>,
    policy: CachePolicy,
    opts: LookupOptions,
    fetch: Arc<dyn Fetch>,
    /// `host[:port]`: what upstream bans are kept for.
    upstream: String,
    /// The request's own signature or `Authorization`, if any.
    credential: Option<Credential>,
    /// The client's `Range` and `If-Range` (taken out of `parts`): the
    /// upstream is asked for the whole body, and the part cut here.
    ranges: HeaderMap,
}

/// Removes the in-flight marker of a key, releasing coalesced waiters.
struct InflightGuard {
    cache: Arc<Inner>,
    hash: String,
    _tx: tokio::sync::watch::Sender<()>,
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        lock(&self.cache.inflight).remove(&self.hash);
    }
}

/// Marks a key as refreshed in the background until dropped.
struct RefreshGuard {
    cache: Arc<Inner>,
    hash: String,
}

impl RefreshGuard {
    /// `None` when a refresh of `hash` is already running.
    fn take(cache: &Arc<Inner>, hash: &str) -> Option<Self> {
        lock(&cache.refreshing)
            .insert(hash.to_owned())
            .then(|| Self {
                cache: cache.clone(),
                hash: hash.to_owned(),
            })
    }
}

impl Drop for RefreshGuard {
    fn drop(&mut self) {
        lock(&self.cache.refreshing).remove(&self.hash);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl HttpCache {
    pub fn new(store: Arc<dyn Store>, settings: CacheSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                hot: HotTier::new(settings.memory_size),
                settings,
                inflight: Mutex::new(HashMap::new()),
                refreshing: Mutex::new(HashSet::new()),
                bans: Bans::default(),
            }),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// Waits up to `timeout` for the fills in flight to end (committed or
    /// discarded), so a shutting-down daemon doesn't abandon an entry whose body
    /// already reached the client, and records the hits served from memory.
    /// Returns whether every fill settled.
    pub async fn settle(&self, timeout: std::time::Duration) -> bool {
        let wait = async {
            loop {
                let pending: Vec<_> = lock(&self.inner.inflight).values().cloned().collect();
                if pending.is_empty() {
                    return;
                }
                for mut rx in pending {
                    while rx.changed().await.is_ok() {}
                }
            }
        };
        let settled = tokio::time::timeout(timeout, wait).await.is_ok();
        // Hits served from memory since their entry was last read.
        for (hash, n) in self.inner.hot.take_hits() {
            self.inner.store.record_hit(&hash, n).await;
        }
        settled
    }

    /// Waits up to `timeout` for the fill of the entry `req` names (under
    /// `opts`' namespace) to end, if one is in flight; `false` on timeout.
    /// For work that reads an entry ([`Self::stored_range`]) right after
    /// serving it.
    pub async fn fill_settled(
        &self,
        req: &Request<()>,
        opts: &LookupOptions,
        timeout: std::time::Duration,
    ) -> bool {
        let hash = key_for(req.method(), req.uri(), req.headers(), opts).hash();
        let rx = lock(&self.inner.inflight).get(&hash).cloned();
        let Some(mut rx) = rx else {
            return true;
        };
        tokio::time::timeout(timeout, async { while rx.changed().await.is_ok() {} })
            .await
            .is_ok()
    }

    /// The options `[[proxy.rule]]` choose for a request (forward proxy).
    pub fn options_for<B>(&self, req: &Request<B>) -> LookupOptions {
        let host = host_of(req.uri(), req.headers());
        let selected = self
            .inner
            .settings
            .rules
            .select(req.method(), &host, req.uri().path());
        LookupOptions {
            policy: selected.policy,
            ignore_query: selected.ignore_query,
            store_set_cookie: selected.store_set_cookie,
            ..LookupOptions::default()
        }
    }

    /// Answers `req` from the cache or the upstream. Never fails: upstream and
    /// store problems become a `502` (or a stale entry) with `Cache-Status`.
    ///
    /// The URI must be absolute (`https://host/path`), or origin-form with a
    /// `Host` header (then `http` is assumed). Only `GET` and `HEAD` use the
    /// cache; other methods are passed to `fetch` without a body, so send
    /// requests with bodies upstream yourself. The request carries end-to-end
    /// fields only: the forward proxy strips hop-by-hop ones before its
    /// `Via` (and before choosing cache or pass-through), and the repository
    /// services build their requests themselves.
    pub async fn handle(
        &self,
        req: Request<()>,
        opts: LookupOptions,
        fetch: Arc<dyn Fetch>,
    ) -> Response<Body> {
        let (mut parts, ()) = req.into_parts();
        let mut policy = opts.policy;
        if let Some(value) = parts.headers.remove(POLICY_HEADER)
            && self.inner.settings.allow_policy_header
            && let Some(p) = value.to_str().ok().and_then(super::parse_policy)
        {
            policy = p;
        }
        debug_assert!(
            !parts.headers.contains_key(header::CONNECTION),
            "the caller strips hop-by-hop fields before the cache sees a request"
        );
        if opts.upstream_auth == UpstreamAuth::Service {
            // The service signs upstream with its own credentials: the client's
            // are never checked there, so they neither mark a request private
            // (RFC 9111 3.5) nor make it a signed one.
            parts.headers.remove(header::AUTHORIZATION);
        }
        // A stored entry is always a whole body: the client's range is cut
        // from it here, never asked of the upstream (a `206` is not stored).
        let ranges = if parts.method == Method::GET && policy != CachePolicy::NoCache {
            range::take(&mut parts.headers)
        } else {
            HeaderMap::new()
        };
        let key = key_for(&parts.method, &parts.uri, &parts.headers, &opts);
        let preq = policy::policy_request(&key.method, &key.url, &parts.headers);
        let credential = match opts.upstream_auth {
            UpstreamAuth::Client => Credential::of(&parts.uri, &parts.headers),
            UpstreamAuth::Service => None,
        };
        let mut r = Req {
            credential,
            hash: key.hash(),
            key,
            preq,
            policy,
            opts,
            fetch,
            upstream: authority_of(&parts.uri, &parts.headers),
            parts,
            ranges,
        };
        let head = r.parts.method == Method::HEAD;
        if policy == CachePolicy::NoCache || !(r.parts.method == Method::GET || head) {
            return self.pass_through(&r, CacheStatus::fwd(Fwd::Bypass)).await;
        }
        if let Some(resp) = self.hot_hit(&r, head) {
            return resp;
        }
        let mut fwd = Fwd::UriMiss;
        if let Some(found) = self.lookup(&r.hash).await {
            let vary = policy::vary_names(&found.meta.response_headers());
            match self.use_entry(&r, found, head).await {
                Ok(resp) => return resp,
                Err(f) => fwd = f,
            }
            // Another variant is stored under the URL's key: look for ours under
            // its variant key (and store it there on a miss).
            if fwd == Fwd::VaryMiss && !vary.is_empty() && !vary.iter().any(|v| v == "*") {
                r.hash = r.key.variant_hash(&vary, r.preq.headers());
                if let Some(found) = self.lookup(&r.hash).await {
                    match self.use_entry(&r, found, head).await {
                        Ok(resp) => return resp,
                        Err(f) => fwd = f,
                    }
                }
            }
        }
        if head {
            return self.pass_through(&r, CacheStatus::fwd(fwd)).await;
        }
        self.miss(&r, fwd).await
    }

    /// Serves (or revalidates) a stored entry; `Err` says why it can't be used.
    async fn use_entry(&self, r: &Req, found: Found, head: bool) -> Result<Response<Body>, Fwd> {
        // An entry whose body is not the one the caller expects is replaced.
        if let Some(v) = &r.opts.verify
            && !v.accepts(&found.meta.sha256)
        {
            return Err(Fwd::Miss);
        }
        if found.meta.signed.is_some() {
            // Only the origin can tell whether this request may have it.
            if r.credential.is_none() || head {
                return Err(Fwd::Miss);
            }
            let reval = validators(&found.meta);
            return Ok(self.revalidate(r, found, reval, Fwd::Request).await);
        }
        let now = SystemTime::now();
        match policy::decide(r.policy, &found.meta, &r.preq, now) {
            Decision::Fresh => {
                self.record_hit(&r.hash);
                let mut status = CacheStatus::hit();
                status.ttl = Some(policy::ttl(&found.meta, now));
                if client_has_it(&r.parts.headers, &found.meta) {
                    let age = policy::semantics(&found.meta).age(now).as_secs();
                    return Ok(not_modified(&found.meta, age, &status));
                }
                Ok(self.serve(r, found, status, head).await)
            }
            Decision::StaleWhileRevalidate(reval) => {
                // Requests that come while the entry is refreshed are served
                // it too, and start nothing.
                if let Some(guard) = RefreshGuard::take(&self.inner, &r.hash) {
                    let this = self.clone();
                    let mut bg = r.clone();
                    // The refresh stores the whole body; nobody reads a part of it.
                    bg.ranges.clear();
                    let meta = found.meta.clone();
                    tokio::spawn(async move {
                        let _guard = guard;
                        if let Some(stale) = this.lookup(&bg.hash).await
                            && stale.meta == meta
                        {
                            let resp = this.revalidate(&bg, stale, reval, Fwd::Stale).await;
                            // Drain so the refreshed body is stored.
                            let _ = resp.into_body().collect().await;
                        }
                    });
                }
                let status = CacheStatus::hit().detail("stale-while-revalidate");
                Ok(self.serve(r, found, status, head).await)
            }
            Decision::Revalidate(reval) if !head => {
                Ok(self.revalidate(r, found, reval, Fwd::Stale).await)
            }
            Decision::Revalidate(_) => Err(Fwd::Stale),
            Decision::Mismatch => Err(Fwd::VaryMiss),
        }
    }

    /// Serves a fresh entry of the memory tier ([`super::hot`]). Anything but
    /// a plain fresh hit drops the entry and returns `None` (the store path
    /// decides, and loads the entry again).
    fn hot_hit(&self, r: &Req, head: bool) -> Option<Response<Body>> {
        let hot = &self.inner.hot;
        let (entry, flushed) = hot.get(&r.hash);
        self.record_hits(flushed);
        let entry = entry?;
        // Never loaded (see `lookup`); checked again so no path can serve one.
        if entry.meta.signed.is_some() {
            self.record_hits(hot.remove(&r.hash, &entry));
            return None;
        }
        let now = SystemTime::now();
        let verified = r
            .opts
            .verify
            .as_ref()
            .is_none_or(|v| v.accepts(&entry.meta.sha256));
        let plain = match r.policy {
            CachePolicy::Standard | CachePolicy::StaleIfError | CachePolicy::NoRefresh => {
                entry.fresh_for_plain(&r.parts.headers, now)
            }
            CachePolicy::AlwaysUpstream | CachePolicy::NoCache => None,
        };
        let ttl = match plain {
            Some(ttl) if verified => ttl,
            None if verified
                && matches!(
                    policy::decide_with(r.policy, &entry.meta, &entry.sem, &r.preq, now),
                    Decision::Fresh
                ) =>
            {
                policy::ttl_with(&entry.meta, &entry.sem, now)
            }
            _ => {
                self.record_hits(hot.remove(&r.hash, &entry));
                return None;
            }
        };
        let mut status = CacheStatus::hit();
        status.ttl = Some(ttl);
        if client_has_it(&r.parts.headers, &entry.meta) {
            return Some(not_modified(
                &entry.meta,
                entry.sem.age(now).as_secs(),
                &status,
            ));
        }
        let resp = with_status(entry.response(now, head), &status);
        if r.ranges.is_empty() {
            return Some(resp);
        }
        let len = entry.meta.body_len;
        let requested = r.requested(entry.meta.status, &entry.meta.response_headers(), len);
        // Cut from memory: the body is already there (and was checked whole).
        Some(cut(resp, requested, len, false))
    }

    /// Counts a hit in the background (it is bookkeeping for `cache ls`).
    fn record_hit(&self, hash: &str) {
        self.record_hits(Some((hash.to_owned(), 1)));
    }

    /// Hands hits served from memory to the store's counter, in the background.
    fn record_hits(&self, hits: impl IntoIterator<Item = (String, u64)>) {
        for (hash, n) in hits {
            let store = self.inner.store.clone();
            tokio::spawn(async move { store.record_hit(&hash, n).await });
        }
    }

    /// Reads an entry from the store; a small one is also loaded into the
    /// memory tier (and its body then comes from memory). When nothing is
    /// loaded, the tier drops what it held under `hash` (a re-read of an
    /// entry another process purged or replaced: [`super::hot::HotTier::get`]).
    async fn lookup(&self, hash: &str) -> Option<Found> {
        let (found, loaded) = self.read_store(hash).await;
        if !loaded {
            self.record_hits(self.inner.hot.forget(hash));
        }
        found
    }

    /// [`Self::lookup`]'s read, and whether it loaded the entry into memory.
    async fn read_store(&self, hash: &str) -> (Option<Found>, bool) {
        let found = match self.inner.store.get(hash).await {
            Ok(Some(found)) => found,
            Ok(None) => return (None, false),
            Err(e) => {
                tracing::warn!(store = self.inner.store.kind(), error = %e.log_text(), "cache lookup failed; treating it as a miss");
                return (None, false);
            }
        };
        // A signed entry is revalidated on every use: memory would save nothing.
        if !self.inner.hot.wants(found.meta.body_len) || found.meta.signed.is_some() {
            return (Some(found), false);
        }
        let Found { meta, body } = found;
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => {
                tracing::warn!(store = self.inner.store.kind(), error = %e, "cannot read a cache entry; treating it as a miss");
                return (None, false);
            }
        };
        if body.len() as u64 != meta.body_len {
            tracing::warn!(store = self.inner.store.kind(), url = %meta.url, "a cache entry's body is shorter than its metadata says; treating it as a miss");
            return (None, false);
        }
        let entry = HotEntry::new(meta, body);
        let found = Found {
            meta: entry.meta.clone(),
            body: entry.body(),
        };
        let flushed = self.inner.hot.insert(entry);
        self.record_hits(flushed);
        (Some(found), true)
    }

    /// Sends a request upstream unless its host is banned; records the outcome.
    async fn fetch(&self, r: &Req, req: Request<()>) -> Result<Fetched, FetchError> {
        let settings = &self.inner.settings;
        if self.inner.bans.banned(&r.upstream) {
            return Err(FetchError::msg(format!(
                "{} failed {} times in a row and is skipped for {}",
                r.upstream,
                settings.ban_after_failures,
                humantime::format_duration(settings.ban_for)
            ))
            .with_kind(super::FetchErrorKind::Banned));
        }
        let mut result = r.fetch.fetch(req).await;
        if let Ok(Fetched::Upstream(resp)) = &mut result {
            r.opts.apply_defaults(resp);
        }
        // Only failures to reach the server count (see `bans`): any status,
        // 5xx included, came from a live one. A service's final answer says
        // nothing about the upstream.
        match &result {
            Ok(Fetched::Final(_)) => {}
            Ok(Fetched::Upstream(_)) => self.inner.bans.success(&r.upstream),
            Err(e) if !e.kind().counts_as_upstream_failure() => {}
            Err(_) => {
                if self.inner.bans.failure(
                    &r.upstream,
                    settings.ban_after_failures,
                    settings.ban_for,
                ) {
                    tracing::warn!(upstream = %r.upstream, ban_for = ?settings.ban_for, "upstream keeps failing; banning it");
                }
            }
        }
        result
    }

    async fn pass_through(&self, r: &Req, status: CacheStatus) -> Response<Body> {
        match self
            .fetch(r, Request::from_parts(r.parts.clone(), ()))
            .await
        {
            Ok(Fetched::Upstream(resp) | Fetched::Final(resp)) => {
                with_status(strip_hop_by_hop(resp), &status)
            }
            Err(e) => upstream_error(&e, status),
        }
    }

    /// A miss: one upstream request per key; concurrent callers wait for its
    /// fill to end and then serve the committed entry.
    async fn miss(&self, r: &Req, fwd: Fwd) -> Response<Body> {
        let leader = {
            let mut inflight = lock(&self.inner.inflight);
            match inflight.get(&r.hash) {
                Some(rx) => Err(rx.clone()),
                None => {
                    let (tx, rx) = tokio::sync::watch::channel(());
                    inflight.insert(r.hash.clone(), rx);
                    Ok(InflightGuard {
                        cache: self.inner.clone(),
                        hash: r.hash.clone(),
                        _tx: tx,
                    })
                }
            }
        };
        let mut rx = match leader {
            Ok(guard) => {
                // A fill may have committed between our lookup (which found
                // nothing) and taking the lead: look again before going upstream,
                // so it is not fetched twice.
                if fwd == Fwd::UriMiss
                    && let Some(found) = self.lookup(&r.hash).await
                    && found.meta.signed.is_none()
                    && matches!(
                        policy::decide(r.policy, &found.meta, &r.preq, SystemTime::now()),
                        Decision::Fresh
                    )
                    && r.opts
                        .verify
                        .as_ref()
                        .is_none_or(|v| v.accepts(&found.meta.sha256))
                {
                    drop(guard);
                    self.record_hit(&r.hash);
                    return self.serve(r, found, CacheStatus::hit(), false).await;
                }
                return self
                    .fetch_and_fill(r, None, CacheStatus::fwd(fwd), Some(guard))
                    .await;
            }
            Err(rx) => rx,
        };
        // Wait until the leader's fill ends (its sender is dropped).
        let waited_since = store::now_ms();
        while rx.changed().await.is_ok() {}
        let mut found = self.lookup(&r.hash).await;
        // The leader's answer to its own signature is not ours: the origin
        // decides on ours.
        if let Some(signed) = found.take_if(|f| f.meta.signed.is_some()) {
            return match self.use_entry(r, signed, false).await {
                Ok(resp) => resp,
                Err(fwd) => {
                    self.fetch_and_fill(r, None, CacheStatus::fwd(fwd), None)
                        .await
                }
            };
        }
        // The leader's response was fetched for us too: serve it even when it
        // is stale at once (`max-age=0`), as long as it is our variant.
        if let Some(found) = found
            && match policy::decide(r.policy, &found.meta, &r.preq, SystemTime::now()) {
                Decision::Fresh => true,
                Decision::Mismatch => false,
                _ => found.meta.stored_at_ms >= waited_since,
            }
        {
            self.record_hit(&r.hash);
            let mut status = CacheStatus::hit();
            status.collapsed = true;
            return self.serve(r, found, status, false).await;
        }
        // Nothing usable was stored: fetch for ourselves (not coalesced).
        self.fetch_and_fill(r, None, CacheStatus::fwd(fwd), None)
            .await
    }

    /// Revalidates an entry (stale, or signed: `fwd` says which); a `304`
    /// refreshes and serves it.
    async fn revalidate(
        &self,
        r: &Req,
        found: Found,
        reval: http::request::Parts,
        fwd: Fwd,
    ) -> Response<Body> {
        let mut req = Request::from_parts(r.parts.clone(), ());
        for name in [header::IF_NONE_MATCH, header::IF_MODIFIED_SINCE] {
            if let Some(v) = reval.headers.get(&name) {
                req.headers_mut().insert(name, v.clone());
            }
        }
        let now = SystemTime::now();
        let mut status = CacheStatus::fwd(fwd);
        // A signed entry is never served unless the origin said `304` to this request.
        let stale_if_error =
            found.meta.signed.is_none() && policy::stale_if_error(r.policy, &found.meta, now);
        match self.fetch(r, req).await {
            Ok(Fetched::Final(resp)) => {
                status.fwd_status = Some(resp.status().as_u16());
                final_answer(resp, status)
            }
            Ok(Fetched::Upstream(resp)) if resp.status() == StatusCode::NOT_MODIFIED => {
                status.fwd_status = Some(304);
                let sem = policy::semantics(&found.meta);
                if let http_cache_semantics::AfterResponse::NotModified(..) =
                    sem.after_response(&r.preq, &resp, now)
                {
                    let meta = refreshed(&found.meta, resp.headers());
                    if let Err(e) = self.inner.store.update_meta(&meta).await {
                        tracing::warn!(url = %meta.url, error = %e.log_text(), "cannot refresh a cache entry");
                    }
                    let served = self
                        .serve(
                            r,
                            Found {
                                meta,
                                body: found.body,
                            },
                            status,
                            false,
                        )
                        .await;
                    return with_cookies_of(served, resp.headers());
                }
                // The validators don't match ours: fetch the whole response.
                self.fetch_and_fill(r, None, status, None).await
            }
            Ok(Fetched::Upstream(resp)) if resp.status().is_server_error() && stale_if_error => {
                status.fwd_status = Some(resp.status().as_u16());
                self.serve(r, found, stale_status(status), false).await
            }
            Ok(Fetched::Upstream(resp)) => {
                status.fwd_status = Some(resp.status().as_u16());
                self.store_response(r, resp, status, None).await
            }
            Err(e) if stale_if_error => {
                tracing::warn!(url = %r.key.url, error = %e, "upstream failed; serving stale content");
                self.serve(r, found, stale_status(status), false).await
            }
            Err(e) => upstream_error(&e, status),
        }
    }

    async fn fetch_and_fill(
        &self,
        r: &Req,
        req: Option<Request<()>>,
        status: CacheStatus,
        guard: Option<InflightGuard>,
    ) -> Response<Body> {
        let req = req.unwrap_or_else(|| Request::from_parts(r.parts.clone(), ()));
        match self.fetch(r, req).await {
            Ok(Fetched::Upstream(resp)) => self.store_response(r, resp, status, guard).await,
            Ok(Fetched::Final(resp)) => final_answer(resp, status),
            Err(e) => upstream_error(&e, status),
        }
    }

    /// Streams an upstream response to the client, storing it when allowed.
    async fn store_response(
        &self,
        r: &Req,
        resp: Response<Body>,
        mut status: CacheStatus,
        guard: Option<InflightGuard>,
    ) -> Response<Body> {
        let resp = strip_hop_by_hop(resp);
        if let Err(reason) = policy::storable(
            r.policy,
            &r.preq,
            resp.status(),
            resp.headers(),
            r.opts.store_set_cookie,
        ) {
            status.detail = Some(reason.as_str());
            return cut_fresh(r, with_status(resp, &status), false);
        }
        let pending = match self.inner.store.begin(&r.hash).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e.log_text(), "cannot start a cache entry; serving without storing");
                status.detail = Some("store-error");
                return with_status(resp, &status);
            }
        };
        status.stored = true;
        // This response replaces the stored entry: the memory tier must not
        // keep serving the copy it loaded (a revalidation that got a new body).
        let (held, flushed) = self.inner.hot.get(&r.hash);
        self.record_hits(flushed);
        if let Some(held) = held {
            self.record_hits(self.inner.hot.remove(&r.hash, &held));
        }
        let (parts, upstream) = resp.into_parts();
        let expected_len = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let mut stored_headers = parts.headers.clone();
        stored_headers.remove(header::CONTENT_LENGTH);
        // One user's cookie is never served to another (the client that
        // caused the fill still gets it).
        stored_headers.remove(header::SET_COOKIE);
        let meta = EntryMeta {
            version: store::META_VERSION,
            key: r.hash.clone(),
            method: r.key.method.to_string(),
            url: r.key.url.clone(),
            status: parts.status.as_u16(),
            request_headers: store::from_header_map(&policy::stored_request_headers(
                &r.preq,
                &parts.headers,
            )),
            response_headers: store::from_header_map(&stored_headers),
            stored_at_ms: store::now_ms(),
            body_len: 0,
            sha256: String::new(),
            immutable: r.opts.immutable,
            namespace: r.key.namespace.as_str().to_owned(),
            signed: r.credential,
            // Set by `store::signed` on commit when `[cache] hmac_key` is set.
            hmac: None,
            s3_etag: None,
        };
        let body = fill::spawn(Fill {
            upstream,
            pending: Some(pending),
            expected_len,
            verify: r.opts.verify.clone(),
            meta,
            store: self.inner.store.clone(),
            guard: guard.map(|g| Box::new(g) as Box<dyn Send>),
            idle_timeout: self.inner.settings.idle_timeout,
        });
        let mut resp = with_status(Response::from_parts(parts, body), &status);
        if resp.status() == StatusCode::OK && expected_len.is_some() {
            resp.headers_mut().insert(
                header::ACCEPT_RANGES,
                http::HeaderValue::from_static("bytes"),
            );
        }
        // A checked body's part ends only once the whole body matched.
        cut_fresh(r, resp, r.opts.verify.is_some())
    }
}

/// A service's final answer ([`Fetched::Final`]), passed on unstored.
fn final_answer(resp: Response<Body>, status: CacheStatus) -> Response<Body> {
    let status = status.detail(super::NoStoreReason::NoStore.as_str());
    with_status(strip_hop_by_hop(resp), &status)
}

/// The key `handle` files a request under.
fn key_for(
    method: &Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    opts: &LookupOptions,
) -> CacheKey {
    CacheKey::namespaced(
        opts.namespace.clone(),
        method,
        uri,
        Some(&host_of(uri, headers)),
        &opts.ignore_query,
    )
}

/// The request's target authority: the URI's, else the `Host` header's
/// (origin-form), parsed by `http` so `[v6]` literals and ports read right;
/// without any userinfo.
fn target_authority(uri: &http::Uri, headers: &HeaderMap) -> Option<http::uri::Authority> {
    let raw = uri
        .authority()
        .map(http::uri::Authority::as_str)
        .or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))?;
    raw.rsplit('@').next()?.parse().ok()
}

/// `host[:port]` of the request's target, lowercased (upstream bans are per
/// server: another port on the same host is another server).
fn authority_of(uri: &http::Uri, headers: &HeaderMap) -> String {
    target_authority(uri, headers)
        .map(|a| a.as_str().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The target's host, lowercased (what `[[proxy.rule]]` hosts match).
fn host_of(uri: &http::Uri, headers: &HeaderMap) -> String {
    target_authority(uri, headers)
        .map(|a| a.host().to_ascii_lowercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{authority_of, host_of};

    #[test]
    fn target_host_and_authority_come_from_the_uri_or_the_host_header() {
        let host = |uri: &str, h: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::HOST, h.parse().unwrap());
            let uri: http::Uri = uri.parse().unwrap();
            (host_of(&uri, &headers), authority_of(&uri, &headers))
        };
        assert_eq!(
            host("https://U@Example.COM:8443/x", "ignored"),
            ("example.com".into(), "example.com:8443".into())
        );
        assert_eq!(
            host("/x", "Files.Test:81"),
            ("files.test".into(), "files.test:81".into())
        );
        assert_eq!(host("/x", "[::1]"), ("[::1]".into(), "[::1]".into()));
        assert_eq!(
            host("/x", "[::1]:8080"),
            ("[::1]".into(), "[::1]:8080".into())
        );
    }
}
