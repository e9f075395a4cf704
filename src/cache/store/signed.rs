//! `[cache] hmac_key`: a [`Store`] wrapper that signs every entry it commits
//! and serves only entries whose signature and body it has checked, so that
//! whoever can write a shared bucket (or cache directory) but lacks the key
//! cannot make awsproxy serve a body of their choosing.
//!
//! The tag is HMAC-SHA256 over [`EntryMeta::signing_input`] (every metadata
//! field: key, URL, status, headers, times, body length and SHA-256), hex in
//! the metadata's `hmac` field. On read:
//!
//! - no tag, or one that does not verify: a miss, logged once per entry per
//!   [`WARN_EVERY`]. A bad tag also removes the entry (before `get` returns,
//!   so the fill its miss starts is not removed instead); an untagged one
//!   (written without a key) is left for the next fill to replace.
//! - a good tag vouches for the metadata, and so for the body's length and
//!   SHA-256, which the body must then match. Bodies up to [`VERIFY_FIRST`] are
//!   read and checked before `get` returns, so a forged one is a miss before
//!   anything is served. Larger ones stream with their last chunk held back
//!   until the whole body matched: a forged one ends in an error (the client
//!   sees a failed transfer, never a complete body) and the entry is removed.
//!
//! Commits and `update_meta` (after a `304`) sign what they write; the latter
//! gets metadata the engine read through this store, so its length and
//! SHA-256 are ones a tag vouched for.
//!
//! Ranges ([`Store::get_range`]) are refused with
//! [`StoreError::RangesUnsupported`]: a part of a body cannot be checked
//! against the signed SHA-256, so callers read the whole verified body.
//!
//! A rollback is not detected: a writer of the bucket may put back an older
//! entry that awsproxy itself signed for the same key (it is served only as
//! long as its own `stored_at` and headers keep it fresh). Without a key the
//! store is not wrapped at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, StreamBody};
use sha2::{Digest, Sha256};

use super::{EntryMeta, Found, ListedEntry, PendingEntry, Store, StoreError};
use crate::cache::{Body, BoxError, BoxFuture};
use crate::secret::Secret;

/// Bodies up to this size are checked whole before `get` returns them.
pub const VERIFY_FIRST: u64 = 1 << 20;

/// How often a warning about one entry is repeated.
pub const WARN_EVERY: Duration = Duration::from_secs(60);

/// Entries whose last warning is remembered (then the oldest are forgotten).
const WARNED_MAX: usize = 4096;

/// The team's key, ready to sign. `Debug` never shows it.
#[derive(Clone)]
pub struct HmacKey(Hmac<Sha256>);

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacKey(<redacted>)")
    }
}

/// What a tag says about an entry's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Signed with this key.
    Valid,
    /// No tag: written without a key.
    Unsigned,
    /// A tag this key did not make (or not over this metadata).
    Forged,
}

impl HmacKey {
    pub fn new(secret: &Secret) -> Self {
        Self(
            Hmac::new_from_slice(secret.expose().as_bytes())
                .expect("HMAC accepts keys of any length"),
        )
    }

    /// The tag of `meta`, hex.
    pub fn tag(&self, meta: &EntryMeta) -> String {
        let mut mac = self.0.clone();
        mac.update(&meta.signing_input());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Checks `meta`'s tag (in constant time).
    pub fn check(&self, meta: &EntryMeta) -> Check {
        let Some(tag) = &meta.hmac else {
            return Check::Unsigned;
        };
        let Ok(tag) = hex::decode(tag) else {
            return Check::Forged;
        };
        let mut mac = self.0.clone();
        mac.update(&meta.signing_input());
        match mac.verify_slice(&tag) {
            Ok(()) => Check::Valid,
            Err(_) => Check::Forged,
        }
    }

    /// `meta` with its tag.
    pub fn sign(&self, meta: &EntryMeta) -> EntryMeta {
        EntryMeta {
            hmac: Some(self.tag(meta)),
            ..meta.clone()
        }
    }
}

/// A stored body that is not the one its signed metadata describes.
#[derive(Debug, thiserror::Error)]
#[error("a cache entry's body does not match its signed metadata ({0}); the entry is removed")]
pub struct BodyMismatch(&'static str);

/// Signs and verifies the entries of `inner`.
#[derive(Debug, Clone)]
pub struct SignedStore {
    inner: Arc<dyn Store>,
    key: HmacKey,
    warned: Arc<Warned>,
}

impl SignedStore {
    pub fn new(inner: Arc<dyn Store>, key: HmacKey) -> Self {
        Self {
            inner,
            key,
            warned: Arc::default(),
        }
    }

    /// Logs (once in a while per entry) that an entry was refused.
    fn warn(&self, meta: &EntryMeta, check: Check, why: &str) {
        if !self.warned.first_in_a_while(&meta.key) {
            return;
        }
        match check {
            Check::Unsigned => tracing::warn!(
                store = self.inner.kind(),
                url = %meta.url,
                "a cache entry has no signature and `[cache] hmac_key` is set: treating it as \
                 a miss (it was written without the key; the next fetch replaces it)"
            ),
            _ => tracing::warn!(
                store = self.inner.kind(),
                url = %meta.url,
                why,
                "a cache entry does not match its signature under `[cache] hmac_key`: never \
                 served, removed (someone without the key wrote it, or a teammate uses \
                 another key)"
            ),
        }
    }

    /// Removes a forged entry. `get` waits for it, so the fill its miss
    /// starts is never removed in its place.
    async fn remove_forged(inner: &dyn Store, key: &str) {
        if let Err(e) = inner.remove(key).await {
            tracing::warn!(key, error = %e.log_text(), "cannot remove a forged cache entry");
        }
    }
}

impl Store for SignedStore {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Found>, StoreError>> {
        Box::pin(async move {
            let Some(found) = self.inner.get(key).await? else {
                return Ok(None);
            };
            match self.key.check(&found.meta) {
                Check::Valid => {}
                Check::Unsigned => {
                    self.warn(&found.meta, Check::Unsigned, "no signature");
                    return Ok(None);
                }
                Check::Forged => {
                    self.warn(&found.meta, Check::Forged, "metadata");
                    drop(found.body);
                    Self::remove_forged(&*self.inner, key).await;
                    return Ok(None);
                }
            }
            let Found { meta, body } = found;
            if meta.body_len > VERIFY_FIRST {
                // Found out while streaming: the client's body fails, and
                // the entry is removed in the background.
                let this = self.clone();
                let refused = meta.clone();
                let body = verified(body, &meta, move |why| {
                    this.warn(&refused, Check::Forged, why);
                    tokio::spawn(async move {
                        Self::remove_forged(&*this.inner, &refused.key).await;
                    });
                });
                return Ok(Some(Found { meta, body }));
            }
            let body = verified(body, &meta, |_| {});
            match body.collect().await {
                Ok(whole) => Ok(Some(Found {
                    meta,
                    body: crate::net::full(whole.to_bytes()),
                })),
                Err(e) => {
                    if let Some(BodyMismatch(why)) = e.downcast_ref::<BodyMismatch>() {
                        self.warn(&meta, Check::Forged, why);
                        Self::remove_forged(&*self.inner, key).await;
                    } else {
                        tracing::warn!(store = self.inner.kind(), url = %meta.url, error = %e, "cannot read a cache entry; treating it as a miss");
                    }
                    Ok(None)
                }
            }
        })
    }

    /// Never: a part cannot be checked against the signed SHA-256, and
    /// serving unchecked bytes is what the key exists to prevent.
    fn get_range<'a>(
        &'a self,
        _key: &'a str,
        _range: std::ops::Range<u64>,
    ) -> BoxFuture<'a, Result<Option<Found>, StoreError>> {
        Box::pin(async { Err(StoreError::RangesUnsupported) })
    }

    fn begin<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn PendingEntry>, StoreError>> {
        Box::pin(async move {
            let inner = self.inner.begin(key).await?;
            Ok(Box::new(SignedPending {
                inner,
                key: self.key.clone(),
            }) as Box<dyn PendingEntry>)
        })
    }

    fn update_meta<'a>(&'a self, meta: &'a EntryMeta) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.inner.update_meta(&self.key.sign(meta)).await })
    }

    fn record_hit<'a>(&'a self, key: &'a str, hits: u64) -> BoxFuture<'a, ()> {
        self.inner.record_hit(key, hits)
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<ListedEntry>, StoreError>> {
        self.inner.list()
    }

    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.inner.remove(key)
    }
}

/// A fill whose metadata is signed on commit.
#[derive(Debug)]
struct SignedPending {
    inner: Box<dyn PendingEntry>,
    key: HmacKey,
}

impl PendingEntry for SignedPending {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, Result<(), StoreError>> {
        self.inner.write(chunk)
    }

    fn commit(self: Box<Self>, meta: EntryMeta) -> BoxFuture<'static, Result<(), StoreError>> {
        let signed = self.key.sign(&meta);
        self.inner.commit(signed)
    }
}

/// When each entry was last warned about.
#[derive(Debug, Default)]
struct Warned(Mutex<HashMap<String, Instant>>);

impl Warned {
    /// Whether to warn about `key` now: not if it was warned about within
    /// [`WARN_EVERY`].
    fn first_in_a_while(&self, key: &str) -> bool {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if map.len() >= WARNED_MAX {
            map.retain(|_, at| now.duration_since(*at) < WARN_EVERY);
            if map.len() >= WARNED_MAX {
                map.clear();
            }
        }
        match map.get(key) {
            Some(at) if now.duration_since(*at) < WARN_EVERY => false,
            _ => {
                map.insert(key.to_owned(), now);
                true
            }
        }
    }
}

/// `body` checked against `meta`'s length and SHA-256 as it streams: each
/// chunk goes out only once the next one has arrived, and the last one only
/// once the whole body matched. A mismatch ends the body with [`BodyMismatch`]
/// and calls `forged` (once).
fn verified(
    body: Body,
    meta: &EntryMeta,
    forged: impl FnOnce(&'static str) + Send + 'static,
) -> Body {
    struct State<F> {
        body: Body,
        hasher: Sha256,
        len: u64,
        want_len: u64,
        want_sha256: String,
        held: Option<Bytes>,
        forged: Option<F>,
        done: bool,
    }
    type Step<F> = Option<(Result<http_body::Frame<Bytes>, BoxError>, State<F>)>;
    fn fail<F: FnOnce(&'static str)>(mut s: State<F>, why: &'static str) -> Step<F> {
        s.done = true;
        s.held = None;
        if let Some(forged) = s.forged.take() {
            forged(why);
        }
        Some((Err(Box::new(BodyMismatch(why))), s))
    }
    let state = State {
        body,
        hasher: Sha256::new(),
        len: 0,
        want_len: meta.body_len,
        want_sha256: meta.sha256.clone(),
        held: None,
        forged: Some(forged),
        done: false,
    };
    let stream = futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        loop {
            match s.body.frame().await {
                Some(Ok(frame)) => {
                    // Empty chunks are dropped: the one held back must hold bytes.
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    if data.is_empty() {
                        continue;
                    }
                    s.len += data.len() as u64;
                    if s.len > s.want_len {
                        return fail(s, "longer than signed");
                    }
                    s.hasher.update(&data);
                    if let Some(prev) = s.held.replace(data) {
                        return Some((Ok(http_body::Frame::data(prev)), s));
                    }
                }
                Some(Err(e)) => {
                    s.done = true;
                    return Some((Err(e), s));
                }
                None => {
                    s.done = true;
                    if s.len != s.want_len {
                        return fail(s, "shorter than signed");
                    }
                    let digest = hex::encode(std::mem::take(&mut s.hasher).finalize());
                    if !digest.eq_ignore_ascii_case(&s.want_sha256) {
                        return fail(s, "sha256");
                    }
                    let last = s.held.take()?;
                    return Some((Ok(http_body::Frame::data(last)), s));
                }
            }
        }
    });
    StreamBody::new(stream).boxed_unsync()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::store::disk::DiskStore;
    use crate::cache::store::{META_VERSION, now_ms};

    const KEY: &str = "q3J0cGl4ZWxzLWFyZS1ub3QtYS1rZXktYnV0LXRoaXM=";

    fn key(k: &str) -> HmacKey {
        HmacKey::new(&Secret::new(k))
    }

    fn meta(key: &str, body: &[u8]) -> EntryMeta {
        EntryMeta {
            version: META_VERSION,
            key: key.to_owned(),
            method: "GET".into(),
            url: format!("https://example.com/{key}"),
            status: 200,
            request_headers: vec![],
            response_headers: vec![("cache-control".into(), "max-age=600".into())],
            stored_at_ms: now_ms(),
            body_len: body.len() as u64,
            sha256: hex::encode(Sha256::digest(body)),
            immutable: false,
            namespace: "forward".into(),
            signed: None,
            hmac: None,
            s3_etag: None,
        }
    }

    /// Writes an entry straight into `store` (bypassing any signing).
    async fn put(store: &dyn Store, meta: &EntryMeta, body: &[u8]) {
        let mut p = store.begin(&meta.key).await.unwrap();
        p.write(body).await.unwrap();
        p.commit(meta.clone()).await.unwrap();
    }

    /// A disk store and the same store signed with [`KEY`].
    fn stores(dir: &std::path::Path) -> (Arc<dyn Store>, SignedStore) {
        let disk: Arc<dyn Store> = Arc::new(DiskStore::open(dir, 1 << 30).unwrap());
        (disk.clone(), SignedStore::new(disk, key(KEY)))
    }

    /// The data frames of `body` until its end or first error.
    async fn frames(mut body: Body) -> (Vec<u8>, Option<BoxError>) {
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => out.extend_from_slice(&f.into_data().unwrap_or_default()),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    async fn gone(store: &dyn Store, key: &str) -> bool {
        for _ in 0..200 {
            if store.get(key).await.unwrap().is_none() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    /// RFC 4231 test case 2: the tag is HMAC-SHA256.
    #[test]
    fn the_tag_is_hmac_sha256() {
        let mut mac = key("Jefe").0;
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let m = meta("ab12cd34", b"x");
        assert_eq!(key(KEY).tag(&m).len(), 64);
        assert_ne!(
            key(KEY).tag(&m),
            key("another key of at least 32 bytes!").tag(&m)
        );
        assert!(!format!("{:?}", key(KEY)).contains(KEY));
    }

    #[test]
    fn a_tag_verifies_only_for_its_key_and_metadata() {
        let k = key(KEY);
        let m = k.sign(&meta("ab12cd34", b"body"));
        assert_eq!(k.check(&m), Check::Valid);
        assert_eq!(k.check(&meta("ab12cd34", b"body")), Check::Unsigned);
        assert_eq!(
            key("another key of at least 32 bytes!").check(&m),
            Check::Forged
        );
        let moved = EntryMeta {
            sha256: "00".repeat(32),
            ..m.clone()
        };
        assert_eq!(k.check(&moved), Check::Forged);
        for tag in ["", "zz", &"00".repeat(32), &m.hmac.clone().unwrap()[..62]] {
            let bad = EntryMeta {
                hmac: Some(tag.to_owned()),
                ..m.clone()
            };
            assert_eq!(k.check(&bad), Check::Forged, "{tag}");
        }
    }

    #[tokio::test]
    async fn signed_entries_round_trip_and_stay_signed_after_a_304() {
        let dir = tempfile::tempdir().unwrap();
        let (disk, signed) = stores(dir.path());
        let m = meta("ab12cd34", b"hello");
        put(&signed, &m, b"hello").await;
        let stored = disk.get("ab12cd34").await.unwrap().unwrap();
        assert_eq!(key(KEY).check(&stored.meta), Check::Valid);
        let found = signed.get("ab12cd34").await.unwrap().unwrap();
        assert_eq!(frames(found.body).await.0, b"hello");

        // A refresh after a `304` keeps the entry signed.
        let refreshed = EntryMeta {
            stored_at_ms: m.stored_at_ms + 1000,
            ..found.meta
        };
        signed.update_meta(&refreshed).await.unwrap();
        let found = signed.get("ab12cd34").await.unwrap().unwrap();
        assert_eq!(found.meta.stored_at_ms, m.stored_at_ms + 1000);
        let (got, err) = frames(found.body).await;
        assert!(err.is_none() && got == b"hello");
    }

    #[tokio::test]
    async fn unsigned_and_forged_entries_are_misses_and_forged_ones_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let (disk, signed) = stores(dir.path());
        // Written without a key: a miss, left in place for a fill to replace.
        put(&*disk, &meta("ab000001", b"plain"), b"plain").await;
        assert!(signed.get("ab000001").await.unwrap().is_none());
        assert!(disk.get("ab000001").await.unwrap().is_some());
        put(&signed, &meta("ab000001", b"plain"), b"plain").await;
        assert!(signed.get("ab000001").await.unwrap().is_some());

        // Signed with another key.
        let other = SignedStore::new(disk.clone(), key("another key of at least 32 bytes!"));
        put(&other, &meta("ab000002", b"theirs"), b"theirs").await;
        assert!(signed.get("ab000002").await.unwrap().is_none());
        assert!(
            disk.get("ab000002").await.unwrap().is_none(),
            "removed before the miss"
        );

        // A genuine tag over metadata rewritten for a forged body.
        let genuine = key(KEY).sign(&meta("ab000003", b"genuine"));
        let forged = EntryMeta {
            hmac: genuine.hmac.clone(),
            ..meta("ab000003", b"forged!")
        };
        put(&*disk, &forged, b"forged!").await;
        assert!(signed.get("ab000003").await.unwrap().is_none());
        assert!(
            disk.get("ab000003").await.unwrap().is_none(),
            "removed before the miss"
        );

        // Genuine metadata over a forged body of the same length: small
        // bodies are checked before anything is returned.
        put(&*disk, &genuine, b"forged!").await;
        assert!(signed.get("ab000003").await.unwrap().is_none());
        assert!(
            disk.get("ab000003").await.unwrap().is_none(),
            "removed before the miss"
        );
    }

    #[tokio::test]
    async fn a_forged_large_body_fails_before_its_last_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let (disk, signed) = stores(dir.path());
        let len = 3 * VERIFY_FIRST as usize + 17;
        let genuine: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut forged = genuine.clone();
        forged[len - 1] ^= 1;
        let m = key(KEY).sign(&meta("ab0000aa", &genuine));

        // The genuine body streams whole.
        put(&*disk, &m, &genuine).await;
        let found = signed.get("ab0000aa").await.unwrap().unwrap();
        let (got, err) = frames(found.body).await;
        assert!(err.is_none() && got == genuine);

        // One flipped bit in the last byte: the client never gets a complete body.
        put(&*disk, &m, &forged).await;
        let found = signed.get("ab0000aa").await.unwrap().unwrap();
        let (got, err) = frames(found.body).await;
        assert!(err.unwrap().is::<BodyMismatch>());
        assert!(got.len() < len && forged.starts_with(&got), "{}", got.len());
        assert!(gone(&*disk, "ab0000aa").await);
    }

    #[tokio::test]
    async fn a_body_longer_or_shorter_than_signed_fails() {
        for (body, why) in [(&b"toolong"[..], "longer"), (&b"short"[..], "shorter")] {
            let m = meta("ab0000bb", b"exact!");
            let (got, err) = frames(verified(crate::net::full(body.to_vec()), &m, |_| {})).await;
            assert!(got.is_empty(), "{why}");
            assert!(err.unwrap().to_string().contains(why));
        }
        let m = meta("ab0000bb", b"");
        let (got, err) = frames(verified(crate::net::empty(), &m, |_| {})).await;
        assert!(got.is_empty() && err.is_none());
    }

    #[test]
    fn warnings_repeat_at_most_once_a_minute_per_entry() {
        let w = Warned::default();
        assert!(w.first_in_a_while("a"));
        assert!(!w.first_in_a_while("a"));
        assert!(w.first_in_a_while("b"));
        for i in 0..2 * WARNED_MAX {
            w.first_in_a_while(&i.to_string());
        }
        assert!(w.0.lock().unwrap().len() <= WARNED_MAX);
    }
}
