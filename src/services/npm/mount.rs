//! What an npm mount remembers: the tarballs of the documents it has served
//! (the only ones it fetches) with their integrity.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use url::Url;

use crate::npm::document::{Integrity, Tarball};
use crate::services::ca_mount::CaMount;
use crate::services::pypi::mount_lock as lock;

/// Tarballs remembered per mount (an evicted one is learned again from its document).
const TARBALLS: usize = 200_000;

/// One npm repository as a mount serves it.
pub type NpmRepo = CaMount<Tarballs>;

/// Client-facing tarball path -> where it is and what it must hash to.
#[derive(Debug)]
pub struct Tarballs(Mutex<lru::LruCache<String, (Url, Integrity)>>);

impl Default for Tarballs {
    fn default() -> Self {
        Self(Mutex::new(lru::LruCache::new(
            NonZeroUsize::new(TARBALLS).unwrap_or(NonZeroUsize::MIN),
        )))
    }
}

impl Tarballs {
    /// Records a tarball of a served document.
    pub fn remember(&self, t: Tarball) {
        lock(&self.0).put(t.local_path, (t.upstream, t.integrity));
    }

    /// Where `local` is and its integrity, if a served document listed it.
    pub fn listed(&self, local: &str) -> Option<(Url, Integrity)> {
        lock(&self.0).get(local).cloned()
    }
}
