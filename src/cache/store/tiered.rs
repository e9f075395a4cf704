//! `[cache] local_size` with `store = "s3"`: a bounded local disk tier in
//! front of the bucket, so a hit costs a local read instead of an S3 `GET`.
//!
//! The local tier only ever holds copies of S3 objects, each with the ETag of
//! the object it copies ([`EntryMeta::s3_etag`]):
//!
//! - **lookup**: a local copy confirmed less than `recheck` ago is served as
//!   it is. An older one is checked with one `HeadObject`: the same ETag
//!   confirms it; another ETag or no object (another instance replaced or
//!   purged it) drops it, and the lookup reads S3. Without a local copy the
//!   lookup reads S3 and copies the body to local disk as it streams (kept
//!   only when the whole body arrived and matches the metadata's length and
//!   SHA-256). So an entry another instance replaced is served at most
//!   `recheck` after the replacement (plus the memory tier's second).
//! - **fill**: the body is written once, to a local temp file; on commit it
//!   is uploaded from there with S3's conditional write ([`S3Store::store_file`])
//!   and, once S3 took it, the local copy is committed with the new ETag. A
//!   lost race (another instance's upload of the key won) or a failed upload
//!   keeps nothing locally: the next lookup copies the winner's object.
//! - **S3 failing** (its cooldown, [`super::s3::DEFAULT_COOLDOWN`]): local
//!   copies are served unchecked, since nothing can be checked; misses go
//!   upstream and are not stored (as with the S3 store alone). A check that
//!   fails (outage, or a `403`) serves the local copy too.
//!
//! With `[cache] hmac_key` the signed store wraps this one, so every entry,
//! from local disk or S3, is checked before it is served: a local directory
//! can be as shared as a bucket (a CI cache restored from another job).
//! Eviction is the disk store's (least recently used beyond `local_size`).
//! `list` is S3's (the truth); `remove` removes both.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, StreamBody};
use sha2::{Digest, Sha256};

use super::disk::{DiskPending, DiskStore};
use super::s3::{S3Store, Uploaded};
use super::{EntryMeta, Found, ListedEntry, PendingEntry, Store, StoreError};
use crate::cache::BoxFuture;

/// `[cache] local_recheck` default.
pub const DEFAULT_RECHECK: Duration = Duration::from_secs(30);

/// Confirmations remembered; past this the expired ones are forgotten.
const CONFIRMED_MAX: usize = 64 * 1024;

/// A local disk store in front of an S3 store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct TieredStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    local: DiskStore,
    remote: S3Store,
    /// Bodies larger than this stay in S3 only.
    local_max_body: u64,
    recheck: Duration,
    /// When each local copy last matched its S3 object.
    confirmed: Mutex<HashMap<String, Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl TieredStore {
    /// `local` (bounded by its own `max_size`, which it was opened with:
    /// `local_size`) in front of `remote`.
    pub fn new(local: DiskStore, local_size: u64, remote: S3Store, recheck: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                local,
                remote,
                local_max_body: local_size / 4,
                recheck,
                confirmed: Mutex::default(),
            }),
        }
    }

    fn confirm(&self, key: &str, at: Instant) {
        let mut map = lock(&self.inner.confirmed);
        if map.len() >= CONFIRMED_MAX {
            let recheck = self.inner.recheck;
            map.retain(|_, t| t.elapsed() < recheck);
            if map.len() >= CONFIRMED_MAX {
                map.clear();
            }
        }
        map.insert(key.to_owned(), at);
    }

    fn unconfirm(&self, key: &str) {
        lock(&self.inner.confirmed).remove(key);
    }

    fn confirmed_recently(&self, key: &str) -> bool {
        lock(&self.inner.confirmed)
            .get(key)
            .is_some_and(|t| t.elapsed() < self.inner.recheck)
    }

    /// Whether a local copy may be served: see the module docs.
    async fn usable(&self, key: &str, meta: &EntryMeta) -> bool {
        let Some(etag) = &meta.s3_etag else {
            // Not a copy of an S3 object (a disk store's entry in a shared
            // directory): S3 is the truth.
            return false;
        };
        if self.confirmed_recently(key) || self.inner.remote.skipping() {
            return true;
        }
        let asked = Instant::now();
        match self.inner.remote.head_etag(key).await {
            Ok(Some(now)) if now == *etag => {
                self.confirm(key, asked);
                true
            }
            Ok(_) => {
                tracing::debug!(
                    key,
                    "the S3 object changed or went; dropping the local copy"
                );
                false
            }
            Err(e) => {
                tracing::debug!(key, error = %e.log_text(), "cannot check a local copy against S3; serving it");
                true
            }
        }
    }

    /// The local copy of `key` if it may be served; drops one that may not.
    async fn local_hit(&self, key: &str, range: Option<std::ops::Range<u64>>) -> Option<Found> {
        let local = &self.inner.local;
        let found = match range {
            None => local.get(key).await,
            Some(range) => local.get_range(key, range).await,
        };
        let found = match found {
            Ok(found) => found?,
            Err(e) => {
                tracing::warn!(key, error = %e.log_text(), "cannot read the local cache tier; reading S3");
                return None;
            }
        };
        if self.usable(key, &found.meta).await {
            return Some(found);
        }
        drop(found);
        self.unconfirm(key);
        let _ = local.remove(key).await;
        None
    }

    /// `found` (read from S3 by a request sent at `read_at`, object `etag`)
    /// with its body copied to the local tier as it streams.
    fn copy_through(&self, found: Found, etag: Option<String>, read_at: Instant) -> Found {
        let Some(etag) = etag.filter(|_| found.meta.body_len <= self.inner.local_max_body) else {
            return found;
        };
        let Found { meta, body } = found;
        let copy = LocalCopy {
            tier: self.clone(),
            meta: EntryMeta {
                s3_etag: Some(etag),
                ..meta.clone()
            },
            pending: None,
            started: false,
            read_at,
            sha256: Sha256::new(),
            len: 0,
        };
        let frames =
            futures_util::stream::unfold((body, Some(copy)), |(mut body, mut copy)| async move {
                let c = copy.as_mut()?;
                if !c.started {
                    c.started = true;
                    c.pending = c.tier.inner.local.begin_entry(&c.meta.key).await.ok();
                }
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Some(data) = frame.data_ref() {
                            c.take(data).await;
                        }
                        // Committed with the last byte: a server that sent
                        // `Content-Length` bytes drops the body unpolled.
                        if c.len >= c.meta.body_len
                            && let Some(c) = copy.take()
                        {
                            c.finish();
                        }
                        Some((Ok(frame), (body, copy)))
                    }
                    Some(Err(e)) => Some((Err(e), (body, None))),
                    None => {
                        if let Some(c) = copy.take() {
                            c.finish();
                        }
                        None
                    }
                }
            });
        Found {
            meta,
            body: StreamBody::new(frames).boxed_unsync(),
        }
    }
}

/// A body read from S3 being copied to the local tier.
struct LocalCopy {
    tier: TieredStore,
    /// What the copy is committed with.
    meta: EntryMeta,
    pending: Option<DiskPending>,
    started: bool,
    /// When the request for this body was sent: the copy is confirmed as
    /// of then.
    read_at: Instant,
    sha256: Sha256,
    len: u64,
}

impl LocalCopy {
    async fn take(&mut self, data: &[u8]) {
        self.sha256.update(data);
        self.len += data.len() as u64;
        if let Some(pending) = &mut self.pending
            && pending.write(data).await.is_err()
        {
            // A full local disk costs the copy, never the client's body.
            self.pending = None;
        }
    }

    /// Commits the copy (in the background) if it is the whole body.
    fn finish(self) {
        let Some(pending) = self.pending else {
            return;
        };
        let whole = self.len == self.meta.body_len
            && hex::encode(self.sha256.finalize()) == self.meta.sha256;
        if !whole {
            tracing::debug!(url = %self.meta.url, "an S3 body does not match its metadata; not copied locally");
            return;
        }
        let (tier, meta, at) = (self.tier, self.meta, self.read_at);
        tokio::spawn(async move {
            match Box::new(pending).commit(meta.clone()).await {
                Ok(()) => tier.confirm(&meta.key, at),
                Err(e) => {
                    tracing::warn!(url = %meta.url, error = %e.log_text(), "cannot copy an S3 entry to the local cache tier");
                }
            }
        });
    }
}

impl Store for TieredStore {
    fn kind(&self) -> &'static str {
        "s3+local"
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Found>, StoreError>> {
        Box::pin(async move {
            if let Some(found) = self.local_hit(key, None).await {
                return Ok(Some(found));
            }
            let asked = Instant::now();
            Ok(self
                .inner
                .remote
                .get_tagged(key)
                .await?
                .map(|(found, etag)| self.copy_through(found, etag, asked)))
        })
    }

    /// A part from the local copy, else from S3 (not copied: only whole
    /// bodies are).
    fn get_range<'a>(
        &'a self,
        key: &'a str,
        range: std::ops::Range<u64>,
    ) -> BoxFuture<'a, Result<Option<Found>, StoreError>> {
        Box::pin(async move {
            if let Some(found) = self.local_hit(key, Some(range.clone())).await {
                return Ok(Some(found));
            }
            self.inner.remote.get_range(key, range).await
        })
    }

    fn begin<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn PendingEntry>, StoreError>> {
        Box::pin(async move {
            self.inner.remote.available()?;
            // What this fill replaces: the object the last S3 lookup found,
            // else the one the local copy is of.
            let expected = match self.inner.remote.seen(key) {
                Some(etag) => Some(etag),
                None => match self.inner.local.get_range(key, 0..0).await {
                    Ok(Some(found)) => found.meta.s3_etag,
                    _ => None,
                },
            };
            let local = self.inner.local.begin_entry(key).await?;
            Ok(Box::new(TieredPending {
                tier: self.clone(),
                local,
                expected,
            }) as Box<dyn PendingEntry>)
        })
    }

    fn update_meta<'a>(&'a self, meta: &'a EntryMeta) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.inner.remote.available()?;
            let at = Instant::now();
            let etag = self.inner.remote.replace_meta(meta).await?;
            let local = &self.inner.local;
            match etag {
                Some(etag) => {
                    let copy = EntryMeta {
                        s3_etag: Some(etag),
                        ..meta.clone()
                    };
                    if local.update_meta(&copy).await.is_ok() {
                        self.confirm(&meta.key, at);
                    }
                }
                None => {
                    self.unconfirm(&meta.key);
                    let _ = local.remove(&meta.key).await;
                }
            }
            Ok(())
        })
    }

    fn record_hit<'a>(&'a self, key: &'a str, hits: u64) -> BoxFuture<'a, ()> {
        self.inner.local.record_hit(key, hits)
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<ListedEntry>, StoreError>> {
        self.inner.remote.list()
    }

    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            self.unconfirm(key);
            let local = self.inner.local.remove(key).await.unwrap_or(false);
            let remote = self.inner.remote.remove(key).await?;
            Ok(remote || local)
        })
    }
}

/// A fill: the body in a local temp file, uploaded to S3 on commit, then
/// committed locally with the object's ETag.
#[derive(Debug)]
struct TieredPending {
    tier: TieredStore,
    local: DiskPending,
    /// The ETag of the object this fill replaces.
    expected: Option<String>,
}

impl PendingEntry for TieredPending {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, Result<(), StoreError>> {
        self.local.write(chunk)
    }

    fn commit(self: Box<Self>, meta: EntryMeta) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async move {
            let TieredPending {
                tier,
                mut local,
                expected,
            } = *self;
            if meta.body_len != local.written() {
                return Err(StoreError::Corrupt(format!(
                    "wrote {} bytes but the metadata says {}",
                    local.written(),
                    meta.body_len
                )));
            }
            let at = Instant::now();
            let file = local.body_file().await?;
            let uploaded = tier.inner.remote.store_file(&meta, file, expected).await;
            let key = meta.key.clone();
            match uploaded {
                Ok(Uploaded::Stored(Some(etag))) => {
                    let copy = EntryMeta {
                        s3_etag: Some(etag),
                        ..meta
                    };
                    match Box::new(local).commit(copy).await {
                        Ok(()) => tier.confirm(&key, at),
                        Err(e) => {
                            tracing::warn!(key, error = %e.log_text(), "stored in S3, but not in the local cache tier");
                        }
                    }
                    Ok(())
                }
                Ok(Uploaded::Stored(None)) => {
                    // No ETag to check a local copy against: S3 only.
                    drop(local);
                    tier.drop_local(&key).await;
                    Ok(())
                }
                Ok(Uploaded::Lost | Uploaded::Gone) => {
                    tracing::debug!(
                        key,
                        "another awsproxy stored this entry first; keeping its object"
                    );
                    drop(local);
                    tier.drop_local(&key).await;
                    Ok(())
                }
                Err(e) => Err(e),
            }
        })
    }
}

impl TieredStore {
    /// Forgets the local copy of `key` (S3 holds another object, or none).
    async fn drop_local(&self, key: &str) {
        self.unconfirm(key);
        let _ = self.inner.local.remove(key).await;
    }
}
