//! The memory tier: small, recently served entries kept in memory in front of
//! the store, so a hit on a small object costs no file open, no metadata parse
//! and no blocking-pool hop (measured: those made 1 KiB hits 3x slower than
//! nginx; see docs/benchmarks.md).
//!
//! What it holds is a copy of a committed store entry: the body as `Bytes`, the
//! metadata, and what the hit path would otherwise rebuild per request (the
//! RFC 9111 view and the response headers). It is a cache of the store, never
//! the truth:
//!
//! * an entry is only ever used while it is fresh; any other decision (stale,
//!   another variant, a client's `no-cache`) drops it and the request takes the
//!   store path, whose result is loaded again;
//! * every entry is re-read from the store [`RECHECK`] after it was loaded, so
//!   an entry purged or replaced by another process (`cache purge`, another
//!   host on a shared S3 store) stops being served within that time plus the
//!   one re-read (plus `[cache] local_recheck` behind a local tier,
//!   [`super::store::tiered`]). One request re-reads; the others are answered
//!   from memory meanwhile, for at most another `RECHECK` (without that, every
//!   request arriving during the re-read read the store too: under 1000
//!   connections, 290-390 blocking-pool threads reading the same entry file
//!   once a second, or as many `GET`s of an S3 store);
//! * hits served from memory are handed to the store's hit counter (`cache ls`)
//!   when the entry is re-read or dropped.
//!
//! Bounded by `[cache] memory_size` (least recently used out first); entries
//! larger than 1/64 of it are never held.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};

use super::Body;
use super::policy;
use super::store::EntryMeta;

/// How long an entry is served from memory before the store is asked again.
pub const RECHECK: Duration = Duration::from_secs(1);

/// `[cache] memory_size` default.
pub const DEFAULT_MEMORY_SIZE: u64 = 16 << 20;

/// One entry held in memory.
#[derive(Debug)]
pub struct HotEntry {
    pub meta: EntryMeta,
    /// The RFC 9111 view of `meta`, built once.
    pub sem: http_cache_semantics::CachePolicy,
    /// Until when the entry is fresh for a request that says nothing about
    /// caching (see [`HotEntry::fresh_for_plain`]); `None`: always ask `sem`.
    fresh_until: Option<SystemTime>,
    /// The stored response headers plus `Content-Length`.
    headers: HeaderMap,
    status: StatusCode,
    body: Bytes,
    loaded: Instant,
    /// Bytes this entry accounts for (body, headers and bookkeeping).
    weight: usize,
    /// Hits served from memory not yet given to the store's counter.
    hits: AtomicU64,
    /// Set by the request that re-reads the entry once it is [`RECHECK`] old.
    rechecking: AtomicBool,
}

impl HotEntry {
    pub fn new(meta: EntryMeta, body: Bytes) -> Self {
        let sem = policy::semantics(&meta);
        let mut headers = meta.response_headers();
        // As `serve_stored`: a tampered entry can't smuggle framing headers.
        crate::net::strip_hop_by_hop(&mut headers);
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        if meta.status == 200 {
            headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        }
        // Entries that vary on request headers, or were stored for an
        // `Authorization` or a signed URL, always go through the full decision.
        let now = SystemTime::now();
        let plain = policy::policy_request(&Method::GET, &meta.url, &HeaderMap::new());
        let fresh_until = (meta.request_headers.is_empty()
            && meta.signed.is_none()
            && !headers.contains_key(header::VARY)
            && matches!(
                sem.before_request(&plain, now),
                http_cache_semantics::BeforeRequest::Fresh(_)
            ))
        .then(|| now + sem.time_to_live(now));
        let stored_headers: usize = meta
            .response_headers
            .iter()
            .chain(&meta.request_headers)
            .map(|(k, v)| k.len() + v.len() + 32)
            .sum();
        Self {
            weight: body.len() + 2 * stored_headers + meta.url.len() + 512,
            fresh_until,
            status: StatusCode::from_u16(meta.status).unwrap_or(StatusCode::OK),
            sem,
            headers,
            meta,
            body,
            loaded: Instant::now(),
            hits: AtomicU64::new(0),
            rechecking: AtomicBool::new(false),
        }
    }

    /// Is the entry fresh at `now` for a request with none of the headers
    /// that change the decision (`Cache-Control`, `Pragma`)? `None` when the
    /// full RFC 9111 decision is needed. Returns the seconds of freshness left.
    ///
    /// Equivalent to [`policy::decide_with`] answering `Fresh` for such a
    /// request under the `standard`, `stale-if-error` and `no-refresh`
    /// policies; a stale entry is left to the full decision.
    pub fn fresh_for_plain(&self, req: &HeaderMap, now: SystemTime) -> Option<i64> {
        let until = self.fresh_until?;
        if req.contains_key(header::CACHE_CONTROL) || req.contains_key(header::PRAGMA) {
            return None;
        }
        let left = until.duration_since(now).ok()?;
        Some(i64::try_from(left.as_secs()).unwrap_or(i64::MAX))
    }

    /// The stored response, with `Age` as of `now` (`Cache-Status` is the caller's).
    pub fn response(&self, now: SystemTime, head: bool) -> Response<Body> {
        self.hits.fetch_add(1, Ordering::Relaxed);
        let body = if head {
            crate::net::empty()
        } else {
            self.body()
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = self.status;
        *resp.headers_mut() = self.headers.clone();
        resp.headers_mut()
            .insert(header::AGE, HeaderValue::from(self.sem.age(now).as_secs()));
        resp
    }

    /// A copy of the body as a cache [`Body`].
    pub fn body(&self) -> Body {
        crate::net::full(self.body.clone())
    }
}

/// The tier: an LRU map from entry key to [`HotEntry`], bounded in bytes.
#[derive(Debug)]
pub struct HotTier {
    budget: usize,
    max_entry: u64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    entries: lru::LruCache<String, Arc<HotEntry>>,
    used: usize,
}

/// Hits to hand to the store after an entry left the tier: `(key, hits)`.
pub type Flushed = Option<(String, u64)>;

impl HotTier {
    /// A tier of `budget` bytes (0 turns it off).
    pub fn new(budget: u64) -> Self {
        let budget = usize::try_from(budget).unwrap_or(usize::MAX);
        Self {
            budget,
            max_entry: (budget / 64) as u64,
            state: Mutex::new(State {
                entries: lru::LruCache::unbounded(),
                used: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Would an entry with a body of `len` bytes be held?
    pub fn wants(&self, len: u64) -> bool {
        self.budget > 0 && len <= self.max_entry
    }

    /// The entry for `key` when it was loaded less than [`RECHECK`] ago.
    /// For an older one, the first caller gets `None` and reads the store
    /// again (its result replaces the entry: [`Self::insert`], or
    /// [`Self::forget`] when there is none to hold); while it does, the
    /// others still get the entry, until it is twice `RECHECK` old. Past that
    /// it is dropped and its unrecorded hits are returned.
    pub fn get(&self, key: &str) -> (Option<Arc<HotEntry>>, Flushed) {
        if self.budget == 0 {
            return (None, None);
        }
        let mut state = self.lock();
        let entry = match state.entries.get(key) {
            Some(e) => e.clone(),
            None => return (None, None),
        };
        drop(state);
        let age = entry.loaded.elapsed();
        if age < RECHECK {
            return (Some(entry), None);
        }
        if age < 2 * RECHECK {
            let first = !entry.rechecking.swap(true, Ordering::Relaxed);
            return (if first { None } else { Some(entry) }, None);
        }
        (None, self.remove(key, &entry))
    }

    /// Drops whatever is held for `key`: the store no longer has an entry the
    /// tier could hold under it.
    pub fn forget(&self, key: &str) -> Flushed {
        if self.budget == 0 {
            return None;
        }
        let entry = self.lock().entries.peek(key).cloned()?;
        self.remove(key, &entry)
    }

    /// Drops `entry` if it is still the one held for `key`.
    pub fn remove(&self, key: &str, entry: &Arc<HotEntry>) -> Flushed {
        let mut state = self.lock();
        if state
            .entries
            .peek(key)
            .is_some_and(|held| Arc::ptr_eq(held, entry))
        {
            state.entries.pop(key);
            state.used = state.used.saturating_sub(entry.weight);
        }
        drop(state);
        let hits = entry.hits.swap(0, Ordering::Relaxed);
        (hits > 0).then(|| (key.to_owned(), hits))
    }

    /// Holds `entry` (replacing any older copy); evicts the least recently used
    /// entries over the budget. Returns the hits of what left.
    pub fn insert(&self, entry: HotEntry) -> Vec<(String, u64)> {
        let mut flushed = Vec::new();
        let weight = entry.weight;
        let key = entry.meta.key.clone();
        if !self.wants(entry.body.len() as u64) || weight > self.budget {
            // Not held: neither is an older copy.
            flushed.extend(self.forget(&key));
            return flushed;
        }
        let mut state = self.lock();
        if let Some(old) = state.entries.put(key, Arc::new(entry)) {
            state.used = state.used.saturating_sub(old.weight);
            take_hits(&old, &mut flushed);
        }
        state.used += weight;
        while state.used > self.budget {
            let Some((_, old)) = state.entries.pop_lru() else {
                break;
            };
            state.used = state.used.saturating_sub(old.weight);
            take_hits(&old, &mut flushed);
        }
        flushed
    }

    /// Takes the unrecorded hits of every entry (at shutdown).
    pub fn take_hits(&self) -> Vec<(String, u64)> {
        let state = self.lock();
        let mut out = Vec::new();
        for (_, entry) in state.entries.iter() {
            take_hits(entry, &mut out);
        }
        out
    }

    /// Entries and bytes held.
    pub fn usage(&self) -> (usize, usize) {
        let state = self.lock();
        (state.entries.len(), state.used)
    }
}

fn take_hits(entry: &HotEntry, out: &mut Vec<(String, u64)>) {
    let hits = entry.hits.swap(0, Ordering::Relaxed);
    if hits > 0 {
        out.push((entry.meta.key.clone(), hits));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(key: &str, len: usize) -> EntryMeta {
        EntryMeta {
            version: super::super::store::META_VERSION,
            key: key.to_owned(),
            method: "GET".to_owned(),
            url: format!("http://example.test/{key}"),
            status: 200,
            request_headers: Vec::new(),
            response_headers: vec![("cache-control".to_owned(), "max-age=60".to_owned())],
            stored_at_ms: super::super::store::now_ms(),
            body_len: len as u64,
            sha256: String::new(),
            immutable: false,
            namespace: String::new(),
            signed: None,
            hmac: None,
            s3_etag: None,
        }
    }

    fn entry(key: &str, len: usize) -> HotEntry {
        HotEntry::new(meta(key, len), Bytes::from(vec![b'x'; len]))
    }

    #[test]
    fn holds_small_entries_and_serves_them_with_length_and_age() {
        let tier = HotTier::new(1 << 20);
        assert!(tier.insert(entry("aa", 100)).is_empty());
        let (held, flushed) = tier.get("aa");
        let held = held.expect("held");
        assert!(flushed.is_none());
        let resp = held.response(SystemTime::now(), false);
        assert_eq!(resp.headers()["content-length"], "100");
        assert_eq!(resp.headers()["cache-control"], "max-age=60");
        assert!(resp.headers().contains_key("age"));
    }

    #[test]
    fn plain_requests_skip_the_full_decision_only_while_fresh_and_unvaried() {
        let now = SystemTime::now();
        let held = entry("aa", 10);
        let plain = HeaderMap::new();
        let left = held.fresh_for_plain(&plain, now).expect("fresh");
        assert!((58..=60).contains(&left), "{left}");
        assert!(
            held.fresh_for_plain(&plain, now + Duration::from_secs(61))
                .is_none()
        );
        let mut no_cache = HeaderMap::new();
        no_cache.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        assert!(held.fresh_for_plain(&no_cache, now).is_none());

        let mut varied = meta("bb", 1);
        varied
            .response_headers
            .push(("vary".to_owned(), "accept-encoding".to_owned()));
        let varied = HotEntry::new(varied, Bytes::from_static(b"x"));
        assert!(varied.fresh_for_plain(&plain, now).is_none());

        let mut revalidate = meta("cc", 1);
        revalidate.response_headers = vec![("cache-control".to_owned(), "no-cache".to_owned())];
        let revalidate = HotEntry::new(revalidate, Bytes::from_static(b"x"));
        assert!(revalidate.fresh_for_plain(&plain, now).is_none());
    }

    #[test]
    fn framing_headers_of_a_tampered_entry_are_never_served() {
        let mut m = meta("aa", 4);
        m.response_headers
            .push(("transfer-encoding".to_owned(), "chunked".to_owned()));
        m.response_headers
            .push(("content-length".to_owned(), "999".to_owned()));
        let resp = HotEntry::new(m, Bytes::from_static(b"abcd")).response(SystemTime::now(), false);
        assert!(!resp.headers().contains_key("transfer-encoding"));
        assert_eq!(resp.headers()["content-length"], "4");
    }

    #[test]
    fn never_holds_entries_over_a_sixty_fourth_of_the_budget() {
        let tier = HotTier::new(64 * 1024);
        assert!(tier.wants(1024));
        assert!(!tier.wants(1025));
        tier.insert(entry("aa", 2048));
        assert_eq!(tier.usage().0, 0);
        let off = HotTier::new(0);
        assert!(!off.wants(1));
        off.insert(entry("bb", 1));
        assert!(off.get("bb").0.is_none());
    }

    #[test]
    fn evicts_least_recently_used_over_the_budget_and_hands_back_their_hits() {
        let tier = HotTier::new(64 * 1024);
        for key in ["k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"] {
            tier.insert(entry(key, 1000));
        }
        let (k1, _) = tier.get("k1");
        let k1 = k1.expect("k1 still held");
        let _ = k1.response(SystemTime::now(), false);
        let _ = k1.response(SystemTime::now(), true);
        // Fill until k1 is the least recently used and goes.
        let mut flushed = Vec::new();
        for i in 0..64 {
            flushed.extend(tier.insert(entry(&format!("n{i}"), 1000)));
        }
        assert!(tier.usage().1 <= 64 * 1024);
        assert!(tier.get("k1").0.is_none());
        assert!(flushed.contains(&("k1".to_owned(), 2)), "{flushed:?}");
    }

    fn aged(key: &str, age: Duration) -> HotEntry {
        let mut e = entry(key, 10);
        e.loaded = Instant::now()
            .checked_sub(age)
            .expect("a clock older than the age");
        e
    }

    /// Once an entry is RECHECK old, one caller re-reads the store while the
    /// others go on being answered from memory: 1000 connections asking for
    /// it at that moment would otherwise all read the store at once (seen:
    /// 260-390 blocking-pool threads in c1000 runs).
    #[test]
    fn one_caller_rereads_an_entry_past_its_recheck_and_the_others_keep_it() {
        let tier = HotTier::new(1 << 20);
        tier.insert(aged("aa", RECHECK + Duration::from_millis(10)));
        let (first, flushed) = tier.get("aa");
        assert!(first.is_none(), "the first caller reads the store");
        assert!(flushed.is_none());
        for _ in 0..3 {
            assert!(
                tier.get("aa").0.is_some(),
                "the others are answered from memory meanwhile"
            );
        }
        // The re-read's copy replaces it, and is served to everyone again.
        tier.insert(entry("aa", 20));
        assert_eq!(tier.get("aa").0.expect("held").meta.body_len, 20);
        assert_eq!(tier.get("aa").0.expect("held").meta.body_len, 20);
    }

    #[test]
    fn a_recheck_that_finds_nothing_or_never_returns_drops_the_entry() {
        let tier = HotTier::new(1 << 20);
        // The re-read found the entry gone (purged by another process).
        tier.insert(aged("aa", RECHECK + Duration::from_millis(10)));
        assert!(tier.get("aa").0.is_none(), "the first caller re-reads");
        let _ = tier
            .get("aa")
            .0
            .expect("held")
            .response(SystemTime::now(), true);
        assert_eq!(tier.forget("aa"), Some(("aa".to_owned(), 1)));
        assert!(tier.get("aa").0.is_none());
        assert!(
            tier.get("aa").0.is_none(),
            "nothing held: every caller reads the store"
        );
        // The re-read never came back: past twice RECHECK nobody is answered from it.
        tier.insert(aged("bb", 2 * RECHECK + Duration::from_millis(10)));
        assert!(tier.get("bb").0.is_none());
        assert_eq!(tier.usage().0, 0);
    }

    #[test]
    fn remove_only_drops_the_entry_it_was_given() {
        let tier = HotTier::new(1 << 20);
        tier.insert(entry("aa", 10));
        let (first, _) = tier.get("aa");
        let first = first.expect("held");
        tier.insert(entry("aa", 20));
        let _ = tier.remove("aa", &first);
        let (second, _) = tier.get("aa");
        assert_eq!(second.expect("newer copy kept").meta.body_len, 20);
    }
}
