//! PEP 658 metadata for wheels the repository serves without it (CodeArtifact
//! serves none): once a mount has stored a wheel it checked against the page's
//! `#sha256=`, it reads the wheel's `METADATA` out of the stored entry (by
//! ranges: [`crate::pypi::wheel`]), stores it as an entry of its own, and
//! advertises its hash on the project page from then on, so the next
//! resolver fetches a few KiB instead of the wheel.
//!
//! - Only wheels whose stored body has the page's sha256 get metadata; a
//!   wheel that is not stored, not a zip awsproxy can read, or in a store that
//!   serves no ranges (`[cache] hmac_key`) gets none: the page says nothing.
//! - The entry lives under the URL `WHEEL_URL.metadata` in the mount's
//!   namespace, filled by [`MetadataFetch`] (which reads the stored wheel, and
//!   pulls the wheel through the cache first if it was evicted), so a client's
//!   `FILE.whl.metadata` request is an ordinary cached, verified file.
//! - What has metadata is remembered in memory ([`Generated`]); after a
//!   restart, a wheel's next download (a cache hit) finds it again.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::BodyExt as _;
use sha2::{Digest as _, Sha256};
use url::Url;

use super::mount::lock;
use crate::cache::{BoxFuture, Fetch, FetchError, Fetched, HttpCache, LookupOptions};
use crate::pypi::wheel;

/// Wheels whose metadata hash is remembered per mount.
const REMEMBERED: usize = 50_000;

/// How long extraction waits for the wheel's fill to be committed.
const FILL_WAIT: Duration = Duration::from_secs(600);

/// The wheels of one mount that have metadata: client-facing wheel path ->
/// the metadata's sha256; and those being extracted now.
#[derive(Debug, Clone)]
pub struct Generated(Arc<Mutex<State>>);

#[derive(Debug)]
struct State {
    known: lru::LruCache<String, String>,
    working: HashSet<String>,
}

impl Default for Generated {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(State {
            known: lru::LruCache::new(NonZeroUsize::new(REMEMBERED).unwrap_or(NonZeroUsize::MIN)),
            working: HashSet::new(),
        })))
    }
}

impl Generated {
    /// The metadata hash of the wheel at `path` (client-facing), if extracted.
    pub fn get(&self, path: &str) -> Option<String> {
        lock(&self.0).known.get(path).cloned()
    }

    /// Claims `path` for one extraction; `false` when it has metadata or
    /// another extraction is running.
    fn claim(&self, path: &str) -> bool {
        let mut st = lock(&self.0);
        !st.known.contains(path) && st.working.insert(path.to_owned())
    }

    fn done(&self, path: &str, sha256: Option<String>) {
        let mut st = lock(&self.0);
        st.working.remove(path);
        if let Some(sha) = sha256 {
            st.known.put(path.to_owned(), sha);
        }
    }
}

/// A wheel stored (or being stored) in a mount's namespace.
#[derive(Debug, Clone)]
pub struct Wheel {
    pub cache: HttpCache,
    /// Its upstream URL (the cache key's).
    pub url: Url,
    /// Its file name (`NAME-VERSION-...-PLATFORM.whl`).
    pub filename: String,
    /// How to pull it through the cache when it is not stored.
    pub fetch: Arc<dyn Fetch>,
    /// Its namespace, and the page's sha256 that the stored body must have.
    pub opts: LookupOptions,
}

impl Wheel {
    /// The URL its metadata entry is stored under.
    pub fn metadata_url(&self) -> Option<http::Uri> {
        format!("{}.metadata", self.url).parse().ok()
    }

    /// A GET of the wheel, as the cache keys it.
    fn request(&self) -> Option<http::Request<()>> {
        let mut req = http::Request::new(());
        *req.uri_mut() = self.url.as_str().parse().ok()?;
        Some(req)
    }

    /// Its `METADATA`, from the stored entry; `None` when it is not stored
    /// with the page's sha256 or holds no metadata awsproxy can read.
    async fn read_stored(&self) -> Option<Vec<u8>> {
        let req = self.request()?;
        let read = |range: std::ops::Range<u64>| async {
            let found = self.cache.stored_range(&req, &self.opts, range).await?;
            let body = found.body.collect().await.ok()?.to_bytes();
            Some((found.meta, body))
        };
        let (meta, _) = read(0..0).await?;
        if meta.status != 200 {
            return None;
        }
        let len = meta.body_len;
        let (_, tail) = read(len.saturating_sub(wheel::TAIL_MAX)..len).await?;
        let dir = wheel::directory(&tail, len)?;
        let (_, cd) = read(dir.range()).await?;
        let member = wheel::metadata_member(&cd, &self.filename)?;
        let (_, local) = read(member.range(len)).await?;
        wheel::extract(&member, &local)
    }

    /// [`Self::read_stored`], after pulling the wheel through the cache when
    /// it is not stored (evicted since its metadata was advertised).
    async fn read(&self) -> Option<Vec<u8>> {
        if let Some(m) = self.read_stored().await {
            return Some(m);
        }
        let req = self.request()?;
        let resp = self
            .cache
            .handle(req, self.opts.clone(), self.fetch.clone())
            .await;
        if resp.status() != StatusCode::OK {
            return None;
        }
        // Drained so the fill completes and commits.
        let _ = resp.into_body().collect().await;
        self.cache
            .fill_settled(&self.request()?, &self.opts, FILL_WAIT)
            .await;
        self.read_stored().await
    }
}

/// Fills the metadata entry of a wheel: reads `METADATA` out of the stored
/// wheel. Its answer is "not found" when there is none to read.
#[derive(Debug)]
pub struct MetadataFetch(pub Wheel);

impl MetadataFetch {
    /// The lookup of a metadata entry: `base` (the wheel's mount and
    /// namespace) for a file that never changes once extracted.
    pub fn options(base: LookupOptions) -> LookupOptions {
        LookupOptions {
            immutable: true,
            default_max_age: Some(crate::cache::IMMUTABLE_MAX_AGE),
            ..base
        }
    }
}

impl Fetch for MetadataFetch {
    fn fetch(&self, _req: http::Request<()>) -> BoxFuture<'static, Result<Fetched, FetchError>> {
        let wheel = self.0.clone();
        Box::pin(async move {
            let metadata = wheel.read().await;
            let mut resp = http::Response::new(crate::cache::into_body(http_body_util::Full::new(
                Bytes::from(metadata.clone().unwrap_or_default()),
            )));
            match metadata {
                Some(m) => {
                    let h = resp.headers_mut();
                    h.insert(
                        CONTENT_TYPE,
                        http::HeaderValue::from_static("text/plain; charset=utf-8"),
                    );
                    h.insert(CONTENT_LENGTH, m.len().into());
                    Ok(Fetched::Upstream(resp))
                }
                None => {
                    *resp.status_mut() = StatusCode::NOT_FOUND;
                    Ok(Fetched::Final(resp))
                }
            }
        })
    }
}

/// After the wheel at `path` (client-facing) was served: fills its metadata
/// entry in the background (once the wheel's own fill is committed) and
/// remembers the hash for the pages. One extraction per wheel at a time.
pub fn extract_later(generated: &Generated, path: String, wheel: Wheel) {
    if !generated.claim(&path) {
        return;
    }
    let generated = generated.clone();
    tokio::spawn(async move {
        let sha = extract(&wheel).await;
        if sha.is_none() {
            tracing::debug!(wheel = %wheel.filename, "no metadata extracted");
        }
        generated.done(&path, sha);
    });
}

/// The metadata entry's sha256, after filling it.
async fn extract(wheel: &Wheel) -> Option<String> {
    wheel
        .cache
        .fill_settled(&wheel.request()?, &wheel.opts, FILL_WAIT)
        .await;
    let uri = wheel.metadata_url()?;
    let mut req = http::Request::new(());
    *req.uri_mut() = uri;
    // Its hash is the one computed here; nothing to check it against yet.
    let opts = MetadataFetch::options(LookupOptions {
        verify: None,
        ..wheel.opts.clone()
    });
    let resp = wheel
        .cache
        .handle(req, opts, Arc::new(MetadataFetch(wheel.clone())))
        .await;
    if resp.status() != StatusCode::OK {
        return None;
    }
    let body = resp.into_body().collect().await.ok()?.to_bytes();
    Some(hex::encode(Sha256::digest(&body)))
}
