//! The disk store: one file per entry under `[cache] dir`, crash-safe and
//! bounded by `max_size` with least-recently-used eviction.
//!
//! ```text
//! DIR/v1/ab/abcdef...   committed entries (sharded by the first two hex digits)
//! DIR/tmp/PID-RANDOM    fills in progress (never read by lookups)
//! ```
//!
//! An entry file is `MAGIC | hits (u64 LE) | body | metadata JSON | meta length
//! (u32 LE) | MAGIC`. A fill writes the header and body to a temp file, appends
//! the metadata, fsyncs and renames it into place, so `kill -9` at any point
//! leaves either the old entry or the new one. Temp files of dead processes are
//! removed when a store is opened. A file that does not parse is a miss and is
//! removed. The file's mtime is its last use (set on every lookup), which makes
//! LRU order survive restarts. `hits` is updated in place (best effort).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};

use super::{EntryMeta, Found, ListedEntry, PendingEntry, Store, StoreError, meta};
use crate::cache::{Body, BoxFuture};

use super::meta::{DISK_HEADER_LEN as HEADER_LEN, DISK_TRAILER_LEN as TRAILER_LEN};

/// `[cache] max_size` default: 10 GiB.
pub const DEFAULT_MAX_SIZE: u64 = 10 << 30;

/// A directory of entries.
#[derive(Debug, Clone)]
pub struct DiskStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    max_size: u64,
    /// Bytes in committed entries (estimated between scans).
    used: AtomicU64,
    evicting: tokio::sync::Mutex<()>,
}

impl DiskStore {
    /// Opens (creating) the store at `root`, removes temp files left by dead
    /// processes, and measures what is there.
    pub fn open(root: &Path, max_size: u64) -> Result<Self, StoreError> {
        for sub in ["v1", "tmp"] {
            crate::fsutil::create_private_dir(&root.join(sub)).map_err(|e| {
                StoreError::io(
                    format!("cannot create {}", root.join(sub).display()),
                    std::io::Error::other(e.to_string()),
                )
            })?;
        }
        let store = Self {
            inner: Arc::new(Inner {
                root: root.to_owned(),
                max_size,
                used: AtomicU64::new(0),
                evicting: tokio::sync::Mutex::new(()),
            }),
        };
        store.clean_temp();
        let used = store.scan().iter().map(|(_, size, _)| size).sum();
        store.inner.used.store(used, Ordering::Relaxed);
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    fn entry_path(&self, key: &str) -> Option<PathBuf> {
        // Keys are hex digests; anything else could escape the directory.
        if key.len() < 8 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.inner.root.join("v1").join(&key[..2]).join(key))
    }

    fn tmp_dir(&self) -> PathBuf {
        self.inner.root.join("tmp")
    }

    /// Removes temp files whose writer process is gone.
    fn clean_temp(&self) {
        let Ok(entries) = std::fs::read_dir(self.tmp_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let pid = name
                .to_str()
                .and_then(|n| n.split('-').next())
                .and_then(|p| p.parse::<u32>().ok());
            let alive = pid.is_some_and(process_alive);
            if !alive {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// `(key, size, mtime)` of every committed entry.
    fn scan(&self) -> Vec<(String, u64, SystemTime)> {
        let mut out = Vec::new();
        let Ok(shards) = std::fs::read_dir(self.inner.root.join("v1")) else {
            return out;
        };
        for shard in shards.flatten() {
            let Ok(files) = std::fs::read_dir(shard.path()) else {
                continue;
            };
            for file in files.flatten() {
                if let (Ok(md), Some(name)) = (file.metadata(), file.file_name().to_str())
                    && md.is_file()
                {
                    out.push((
                        name.to_owned(),
                        md.len(),
                        md.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    ));
                }
            }
        }
        out
    }

    /// Removes least recently used entries until the store is under 90% of
    /// `max_size` (only once it is over `max_size`).
    async fn evict(&self) {
        if self.inner.used.load(Ordering::Relaxed) <= self.inner.max_size {
            return;
        }
        // Go a little below the limit so the next fills don't each rescan.
        self.evict_to(self.inner.max_size / 10 * 9).await;
    }

    /// The disk filled up (`ENOSPC`) under a fill: `max_size` is above the
    /// free space. Removes least recently used entries until a tenth of what
    /// is stored is free, so later fills fit instead of failing forever. Fills
    /// failing together compute the same target, so they free that tenth once.
    async fn make_room(&self) {
        let used = self.inner.used.load(Ordering::Relaxed);
        let removed = self.evict_to(used / 10 * 9).await;
        tracing::warn!(
            dir = %self.inner.root.display(),
            removed,
            "the cache disk is full; evicted least recently used entries"
        );
    }

    /// Removes least recently used entries until at most `target` bytes
    /// remain; returns how many it removed.
    async fn evict_to(&self, target: u64) -> usize {
        let _guard = self.inner.evicting.lock().await;
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut entries = this.scan();
            let mut used: u64 = entries.iter().map(|(_, s, _)| s).sum();
            entries.sort_by_key(|(_, _, mtime)| *mtime);
            let mut removed = 0;
            for (key, size, _) in entries {
                if used <= target {
                    break;
                }
                if let Some(path) = this.entry_path(&key)
                    && std::fs::remove_file(&path).is_ok()
                {
                    tracing::debug!(key, size, "evicted least recently used cache entry");
                    used = used.saturating_sub(size);
                    removed += 1;
                }
            }
            this.inner.used.store(used, Ordering::Relaxed);
            removed
        })
        .await
        .unwrap_or(0)
    }
}

fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        // Without /proc, assume alive: a leftover costs disk space, not correctness.
        true
    }
}

/// Reads an entry's metadata (decoded by [`super::meta`]); the file is
/// positioned nowhere in particular after.
fn read_meta(file: &mut std::fs::File, key: &str) -> Result<(EntryMeta, u64), StoreError> {
    let len = file
        .metadata()
        .map_err(|e| StoreError::io("cannot stat a cache entry", e))?
        .len();
    if len < HEADER_LEN + TRAILER_LEN {
        return Err(StoreError::Corrupt("too short".into()));
    }
    let mut head = [0u8; 16];
    let mut tail = [0u8; 12];
    let io = |e| StoreError::io("cannot read a cache entry", e);
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.read_exact(&mut head).map_err(io)?;
    file.seek(SeekFrom::End(-12)).map_err(io)?;
    file.read_exact(&mut tail).map_err(io)?;
    let frame = meta::disk_frame(len, &head, &tail)?;
    let mut json = vec![0u8; frame.meta_len];
    file.seek(SeekFrom::Start(frame.meta_start)).map_err(io)?;
    file.read_exact(&mut json).map_err(io)?;
    Ok((meta::disk_meta(&frame, &json, key)?, frame.hits))
}

/// What follows the body ([`meta::disk_trailer`]).
fn trailer(meta: &EntryMeta) -> Result<Vec<u8>, StoreError> {
    let out = meta::disk_trailer(meta)?;
    Ok(out)
}

/// Bytes read from an entry file per step when streaming a body.
const READ_CHUNK: u64 = 1024 * 1024;

/// Streams `len` bytes of `file` from its current position: each chunk is one
/// read on the blocking pool, and the next read starts while the client takes
/// the current chunk (no thread is held while the client is slow, and at most
/// two chunks per stream are in memory).
fn file_body(file: std::fs::File, len: u64) -> Body {
    type Read = tokio::task::JoinHandle<std::io::Result<(std::fs::File, Vec<u8>)>>;
    fn start(file: std::fs::File, left: u64) -> Read {
        tokio::task::spawn_blocking(move || {
            let n = left.min(READ_CHUNK);
            let mut buf = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            (&file).take(n).read_to_end(&mut buf)?;
            if buf.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "a cache entry file ended early",
                ));
            }
            Ok((file, buf))
        })
    }
    let first = (len > 0).then(|| start(file, len));
    let stream = futures_util::stream::unfold((first, len), |(read, left)| async move {
        let read = read?;
        let chunk = match read.await {
            Ok(Ok(chunk)) => chunk,
            Ok(Err(e)) => return Some((Err(Box::new(e) as crate::cache::BoxError), (None, 0))),
            Err(e) => return Some((Err(Box::new(e) as crate::cache::BoxError), (None, 0))),
        };
        let (file, buf) = chunk;
        let left = left.saturating_sub(buf.len() as u64);
        let next = (left > 0).then(|| start(file, left));
        Some((Ok(http_body::Frame::data(Bytes::from(buf))), (next, left)))
    });
    StreamBody::new(stream).boxed_unsync()
}

impl DiskStore {
    /// Opens an entry, its body positioned at the start of `range` (the
    /// whole body when `None`).
    fn open_range<'a>(
        &'a self,
        key: &'a str,
        range: Option<std::ops::Range<u64>>,
    ) -> BoxFuture<'a, Result<Option<Found>, StoreError>> {
        Box::pin(async move {
            let Some(path) = self.entry_path(key) else {
                return Ok(None);
            };
            let key = key.to_owned();
            tokio::task::spawn_blocking(move || {
                let mut file = match std::fs::File::open(&path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(StoreError::io(format!("cannot open {}", path.display()), e)),
                };
                match read_meta(&mut file, &key) {
                    Ok((meta, _)) => {
                        let _ = file.set_modified(SystemTime::now());
                        let part = super::clamp(&range.unwrap_or(0..u64::MAX), meta.body_len);
                        file.seek(SeekFrom::Start(HEADER_LEN + part.start))
                            .map_err(|e| StoreError::io("cannot read a cache entry", e))?;
                        let body = file_body(file, part.end - part.start);
                        Ok(Some(Found { meta, body }))
                    }
                    Err(StoreError::Corrupt(why)) => {
                        tracing::warn!(path = %path.display(), why, "removing a corrupt cache entry");
                        let _ = std::fs::remove_file(&path);
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            })
            .await
            .map_err(|e| StoreError::io("cache lookup task failed", std::io::Error::other(e)))?
        })
    }
}

impl DiskStore {
    /// [`Store::begin`], as the concrete pending entry (the tiered store
    /// uploads its body file before committing it).
    pub(crate) async fn begin_entry(&self, key: &str) -> Result<DiskPending, StoreError> {
        let target = self
            .entry_path(key)
            .ok_or_else(|| StoreError::Corrupt(format!("invalid key `{key}`")))?;
        let dir = self.tmp_dir();
        let tmp = tempfile::Builder::new()
            .prefix(&format!("{}-", std::process::id()))
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| {
                StoreError::io(format!("cannot create a temp file in {}", dir.display()), e)
            })?;
        let (file, path) = tmp.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        tokio::io::AsyncWriteExt::write_all(&mut file, &meta::disk_header(0))
            .await
            .map_err(|e| StoreError::io("cannot write a cache temp file", e))?;
        Ok(DiskPending {
            store: self.clone(),
            file: Some(file),
            path: Some(path),
            target,
            written: 0,
        })
    }
}

impl Store for DiskStore {
    fn kind(&self) -> &'static str {
        "disk"
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Found>, StoreError>> {
        self.open_range(key, None)
    }

    fn get_range<'a>(
        &'a self,
        key: &'a str,
        range: std::ops::Range<u64>,
    ) -> BoxFuture<'a, Result<Option<Found>, StoreError>> {
        self.open_range(key, Some(range))
    }

    fn begin<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn PendingEntry>, StoreError>> {
        Box::pin(async move {
            let pending = self.begin_entry(key).await?;
            Ok(Box::new(pending) as Box<dyn PendingEntry>)
        })
    }

    fn update_meta<'a>(&'a self, meta: &'a EntryMeta) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let path = self
                .entry_path(&meta.key)
                .ok_or_else(|| StoreError::Corrupt("invalid key".into()))?;
            let tmp_dir = self.tmp_dir();
            let meta = meta.clone();
            tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
                let io = |e| StoreError::io(format!("cannot update {}", path.display()), e);
                let tmp = tempfile::Builder::new()
                    .prefix(&format!("{}-", std::process::id()))
                    .suffix(".tmp")
                    .tempfile_in(&tmp_dir)
                    .map_err(io)?;
                std::fs::copy(&path, tmp.path()).map_err(io)?;
                let mut file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(tmp.path())
                    .map_err(io)?;
                let (old, _) = read_meta(&mut file, &meta.key)?;
                if old.body_len != meta.body_len {
                    return Err(StoreError::Corrupt("body length changed".into()));
                }
                file.set_len(HEADER_LEN + meta.body_len).map_err(io)?;
                file.seek(SeekFrom::End(0)).map_err(io)?;
                file.write_all(&trailer(&meta)?).map_err(io)?;
                file.sync_all().map_err(io)?;
                tmp.persist(&path).map_err(|e| io(e.error))?;
                Ok(())
            })
            .await
            .map_err(|e| StoreError::io("cache update task failed", std::io::Error::other(e)))?
        })
    }

    fn record_hit<'a>(&'a self, key: &'a str, hits: u64) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(path) = self.entry_path(key) else {
                return;
            };
            let _ = tokio::task::spawn_blocking(move || {
                #[cfg(unix)]
                if let Ok(file) = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&path)
                {
                    use std::os::unix::fs::FileExt;
                    let mut buf = [0u8; 8];
                    if file.read_exact_at(&mut buf, 8).is_ok() {
                        let hits = u64::from_le_bytes(buf).saturating_add(hits);
                        let _ = file.write_all_at(&hits.to_le_bytes(), 8);
                    }
                }
                #[cfg(not(unix))]
                let _ = path;
            })
            .await;
        })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<ListedEntry>, StoreError>> {
        let this = self.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut out = Vec::new();
                for (key, size, mtime) in this.scan() {
                    let Some(path) = this.entry_path(&key) else {
                        continue;
                    };
                    let Ok(mut file) = std::fs::File::open(&path) else {
                        continue;
                    };
                    if let Ok((meta, hits)) = read_meta(&mut file, &key) {
                        out.push(ListedEntry {
                            meta,
                            size,
                            hits: Some(hits),
                            accessed: Some(mtime),
                        });
                    }
                }
                Ok(out)
            })
            .await
            .map_err(|e| StoreError::io("cache listing task failed", std::io::Error::other(e)))?
        })
    }

    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let Some(path) = self.entry_path(key) else {
                return Ok(false);
            };
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {
                    let _ =
                        self.inner
                            .used
                            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                                Some(u.saturating_sub(size))
                            });
                    Ok(true)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(StoreError::io(
                    format!("cannot remove {}", path.display()),
                    e,
                )),
            }
        })
    }
}

/// A fill in progress: a temp file in `DIR/tmp` that `commit` renames into place.
#[derive(Debug)]
pub(crate) struct DiskPending {
    store: DiskStore,
    file: Option<tokio::fs::File>,
    /// Deletes the temp file when dropped uncommitted.
    path: Option<tempfile::TempPath>,
    target: PathBuf,
    written: u64,
}

impl DiskPending {
    /// Bytes of body written so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Flushes what was written and names the temp file and where the body
    /// starts in it (for an upload of the body before the commit).
    pub(crate) async fn body_file(&mut self) -> Result<(&Path, u64), StoreError> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| StoreError::Corrupt("already committed".into()))?;
        tokio::io::AsyncWriteExt::flush(file)
            .await
            .map_err(|e| StoreError::io("cannot flush a cache temp file", e))?;
        let path = self
            .path
            .as_deref()
            .ok_or_else(|| StoreError::Corrupt("already committed".into()))?;
        Ok((path, HEADER_LEN))
    }
}

impl PendingEntry for DiskPending {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let file = self
                .file
                .as_mut()
                .ok_or_else(|| StoreError::Corrupt("already committed".into()))?;
            if let Err(e) = tokio::io::AsyncWriteExt::write_all(file, chunk).await {
                let e = StoreError::io("cannot write a cache temp file", e);
                if e.is_disk_full() {
                    self.store.make_room().await;
                }
                return Err(e);
            }
            self.written += chunk.len() as u64;
            Ok(())
        })
    }

    fn commit(mut self: Box<Self>, meta: EntryMeta) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async move {
            if meta.body_len != self.written {
                return Err(StoreError::Corrupt(format!(
                    "wrote {} bytes but the metadata says {}",
                    self.written, meta.body_len
                )));
            }
            let mut file = self
                .file
                .take()
                .ok_or_else(|| StoreError::Corrupt("already committed".into()))?;
            let io = |e| StoreError::io("cannot finish a cache temp file", e);
            let tail = trailer(&meta)?;
            let finished = async {
                tokio::io::AsyncWriteExt::write_all(&mut file, &tail).await?;
                tokio::io::AsyncWriteExt::flush(&mut file).await?;
                file.sync_all().await
            };
            if let Err(e) = finished.await {
                let e = io(e);
                if e.is_disk_full() {
                    self.store.make_room().await;
                }
                return Err(e);
            }
            // The last use, on the clock lookups use: the kernel stamps writes
            // with a coarse clock that can lag it by a tick, which would make a
            // fresh entry look older than one looked up just before (and evict
            // it first).
            let file = file.into_std().await;
            let _ = file.set_modified(SystemTime::now());
            drop(file);
            let path = self
                .path
                .take()
                .ok_or_else(|| StoreError::Corrupt("already committed".into()))?;
            let target = self.target.clone();
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(io)?;
            }
            let size = HEADER_LEN + meta.body_len + tail.len() as u64;
            tokio::task::spawn_blocking(move || path.persist(&target))
                .await
                .map_err(|e| io(std::io::Error::other(e)))?
                .map_err(|e| io(e.error))?;
            self.store.inner.used.fetch_add(size, Ordering::Relaxed);
            self.store.evict().await;
            Ok(())
        })
    }
}
