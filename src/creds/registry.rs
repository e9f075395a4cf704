//! [`CredsRegistry`]: one [`CredentialCache`] per distinct source in the process, so
//! services that use the same profile (a Maven mount, a PyPI mount, the S3 cache)
//! share one cache, one refresh task and one upstream call per refresh.

use tokio::sync::Mutex;

use super::{CacheOptions, CredentialCache, SourceSpec};

/// The process-wide set of credential caches. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct CredsRegistry {
    opts: CacheOptions,
    caches: Mutex<Vec<CredentialCache>>,
}

impl CredsRegistry {
    pub fn new(opts: CacheOptions) -> Self {
        Self {
            opts,
            caches: Mutex::new(Vec::new()),
        }
    }

    /// The cache for `spec`, created on first use.
    pub async fn cache(&self, spec: SourceSpec) -> CredentialCache {
        let mut caches = self.caches.lock().await;
        if let Some(found) = caches.iter().find(|c| c.spec() == &spec) {
            return found.clone();
        }
        let cache = CredentialCache::new(spec, self.opts.clone()).await;
        caches.push(cache.clone());
        cache
    }

    /// The cache for a profile (`None`: the default chain).
    pub async fn profile(&self, profile: Option<&str>) -> CredentialCache {
        self.cache(SourceSpec::profile(profile)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_cache_per_source() {
        let reg = CredsRegistry::new(CacheOptions::default());
        let a = reg.profile(Some("a")).await;
        let a2 = reg.profile(Some("a")).await;
        let b = reg.profile(Some("b")).await;
        assert_eq!(a.spec(), a2.spec());
        assert_ne!(a.spec(), b.spec());
        assert_eq!(reg.caches.lock().await.len(), 2);
    }
}
