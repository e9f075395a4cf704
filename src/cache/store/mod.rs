//! Where cached responses live: the [`Store`] trait and its two backends,
//! [`disk::DiskStore`] (the default) and [`s3::S3Store`] (a bucket shared by many
//! instances).
//!
//! A store holds entries named by [`super::CacheKey::hash`]: a streamed body
//! plus [`EntryMeta`]. Writes go through a [`PendingEntry`] that spills to a
//! temporary file and becomes visible only on [`PendingEntry::commit`]; dropping
//! it (a failed fetch, a crash) leaves nothing behind that a lookup could see.
//! With `[cache] local_size`, [`tiered::TieredStore`] puts a bounded disk
//! store in front of the S3 store. With `[cache] hmac_key`,
//! [`signed::SignedStore`] wraps whichever it is.

pub mod disk;
pub mod meta;
pub mod s3;
pub mod signed;
pub mod tiered;

use std::ops::Range;
use std::time::{SystemTime, UNIX_EPOCH};

pub use meta::{EntryMeta, META_VERSION, from_header_map};

use super::{Body, BoxError, BoxFuture};

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// One entry as `cache ls` shows it.
#[derive(Debug, Clone)]
pub struct ListedEntry {
    pub meta: EntryMeta,
    /// Bytes used in the store (body plus metadata).
    pub size: u64,
    /// Times served from the cache (disk store only).
    pub hits: Option<u64>,
    /// Last use (disk store: for LRU eviction).
    pub accessed: Option<SystemTime>,
}

/// A store failure. Lookups treat every failure as a miss; fills as "not stored".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("corrupt cache entry: {0}")]
    Corrupt(String),
    #[error("{context}")]
    Backend {
        context: String,
        #[source]
        source: BoxError,
    },
    /// [`Store::get_range`] on a store that serves only bodies it has
    /// checked whole ([`signed::SignedStore`]): read the entry with
    /// [`Store::get`] instead.
    #[error(
        "this cache store cannot serve part of an entry (`[cache] hmac_key` checks whole bodies)"
    )]
    RangesUnsupported,
}

impl From<meta::Corrupt> for StoreError {
    fn from(e: meta::Corrupt) -> Self {
        StoreError::Corrupt(e.0)
    }
}

impl StoreError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }

    /// The file system under the store is full or over quota (`ENOSPC`, `EDQUOT`).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Io { source, .. } if matches!(
            source.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
        ))
    }

    /// For log lines: the error with its causes (`Display` is only the context),
    /// plus a hint when the disk is full.
    pub fn log_text(&self) -> String {
        let text = crate::error::chain_text(self);
        if self.is_disk_full() {
            format!(
                "{text}; hint: the disk the cache writes to is full (its directory, or the \
                 system temp directory for the S3 store): free space there, or set \
                 `[cache] max_size` below the free space so older entries are evicted first"
            )
        } else {
            text
        }
    }
}

/// A stored entry opened for reading: metadata now, the body as a stream.
#[derive(Debug)]
pub struct Found {
    pub meta: EntryMeta,
    pub body: Body,
}

/// `range` clamped to a body of `len` bytes: what [`Store::get_range`]
/// streams. Empty when it starts at or past the end.
pub fn clamp(range: &Range<u64>, len: u64) -> Range<u64> {
    let end = range.end.min(len);
    range.start.min(end)..end
}

/// A cache storage backend. Every method is safe to call concurrently, from
/// several processes (`serve` and `cache purge`), and for S3 from several hosts.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// `disk` or `s3`, for `cache ls` and logs.
    fn kind(&self) -> &'static str;

    /// Opens an entry. Missing -> `Ok(None)`; corrupt -> removed and `Ok(None)`.
    /// Counts as a use for LRU.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Found>, StoreError>>;

    /// Opens bytes `range` of an entry's body without reading the rest (a
    /// zip's central directory, an HTTP `Range`). `Found::meta` is the whole
    /// entry's (`body_len` is the full length); `Found::body` streams only
    /// [`clamp`]`(range, body_len)`, which is empty when the range starts past
    /// the end. Missing or corrupt: as [`Store::get`]. A use for LRU.
    ///
    /// [`StoreError::RangesUnsupported`] from the signed store: a part cannot
    /// be checked against the signed SHA-256, so it never serves one; callers
    /// fall back to `get` (the whole, verified body) and skip to the range.
    fn get_range<'a>(
        &'a self,
        key: &'a str,
        range: Range<u64>,
    ) -> BoxFuture<'a, Result<Option<Found>, StoreError>>;

    /// Starts writing an entry; nothing is visible until `commit`.
    fn begin<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn PendingEntry>, StoreError>>;

    /// Replaces an existing entry's metadata, keeping its body (after a `304`).
    fn update_meta<'a>(&'a self, meta: &'a EntryMeta) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Notes that an entry was served `hits` more times (for `cache ls`). Best effort.
    fn record_hit<'a>(&'a self, _key: &'a str, _hits: u64) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// Every committed entry (never ones being written).
    fn list(&self) -> BoxFuture<'_, Result<Vec<ListedEntry>, StoreError>>;

    /// Removes a committed entry; `Ok(false)` when it was not there.
    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
}

/// An entry being written. Dropping it without `commit` discards it.
pub trait PendingEntry: Send + std::fmt::Debug {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Makes the entry visible atomically (`meta.body_len` must equal what was written).
    fn commit(self: Box<Self>, meta: EntryMeta) -> BoxFuture<'static, Result<(), StoreError>>;
}

/// Opens the store `[cache]` configures. `dir` overrides `[cache] dir`.
pub async fn open(
    section: &crate::config::CacheSection,
    default_dir: &std::path::Path,
) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    use anyhow::Context;
    let store: std::sync::Arc<dyn Store> = match (section.store, &section.s3) {
        (crate::config::StoreKind::S3, Some(s3)) => {
            let remote = s3::S3Store::from_config(s3).await?;
            match section.local_size {
                Some(size) if size.0 > 0 => {
                    let dir = section
                        .local_dir
                        .clone()
                        .or_else(|| section.dir.clone())
                        .unwrap_or_else(|| default_dir.to_owned());
                    let local = disk::DiskStore::open(&dir, size.0).with_context(|| {
                        format!("cannot open the local cache tier at {}", dir.display())
                    })?;
                    let recheck = section
                        .local_recheck
                        .map_or(tiered::DEFAULT_RECHECK, |d| d.0);
                    std::sync::Arc::new(tiered::TieredStore::new(local, size.0, remote, recheck))
                }
                _ => std::sync::Arc::new(remote),
            }
        }
        _ => {
            let dir = section
                .dir
                .clone()
                .unwrap_or_else(|| default_dir.to_owned());
            let max = section.max_size.map_or(disk::DEFAULT_MAX_SIZE, |s| s.0);
            let store = disk::DiskStore::open(&dir, max)
                .with_context(|| format!("cannot open the disk cache at {}", dir.display()))?;
            std::sync::Arc::new(store)
        }
    };
    // Without a key nothing is wrapped: lookups cost what they did.
    Ok(match &section.hmac_key {
        Some(key) => std::sync::Arc::new(signed::SignedStore::new(
            store,
            signed::HmacKey::new(&key.0),
        )),
        None => store,
    })
}
