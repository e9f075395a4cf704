//! What an npm mount remembers: the tarballs of the documents it has served
//! (the only ones it fetches) with their integrity.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use url::Url;

use crate::npm::document::{Integrity, Tarball};
use crate::services::ca_mount::{CaMount, Source};
use crate::services::pypi::mount_lock as lock;

/// Tarballs remembered per mount (an evicted one is learned again from its document).
const TARBALLS: usize = 200_000;

/// One npm repository as a mount serves it.
pub type NpmRepo = CaMount<Tarballs>;

/// Client-facing tarball path -> where it is, what it must hash to, and
/// whether the repository or the public registry listed it.
#[derive(Debug)]
pub struct Tarballs(Mutex<lru::LruCache<String, (Url, Integrity, Source)>>);

impl Default for Tarballs {
    fn default() -> Self {
        Self(Mutex::new(lru::LruCache::new(
            NonZeroUsize::new(TARBALLS).unwrap_or(NonZeroUsize::MIN),
        )))
    }
}

impl Tarballs {
    /// Records a tarball of a served document.
    pub fn remember(&self, t: Tarball, source: Source) {
        lock(&self.0).put(t.local_path, (t.upstream, t.integrity, source));
    }

    /// Where `local` is, its integrity and source, if a served document listed it.
    pub fn listed(&self, local: &str) -> Option<(Url, Integrity, Source)> {
        lock(&self.0).get(local).cloned()
    }
}
