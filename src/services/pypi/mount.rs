//! One PyPI mount: where it lives locally, its upstream base (resolved once),
//! its token, the file links of the pages it has served (the only files it
//! fetches, with their `#sha256=`), its fallback policy and counters; plus its rows on the status page, `/healthz` and `/metrics`.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::Context as _;
use url::Url;

use super::PypiShared;
use crate::cache::CacheStatus;
use crate::cache::key::Namespace;
use crate::codeartifact::endpoint::Format;
use crate::codeartifact::repository::{CaRepository, dir_url};
use crate::codeartifact::token::{TokenSource, Tokens};
use crate::config::{Fallback, PypiMount};
use crate::creds::CredentialCache;
use crate::pypi::files::FileLink;
use crate::pypi::names::FallbackPolicy;
use crate::services::ca_mount::{Board, BoardRow};
use crate::services::repos::RepoContext;
use crate::services::seeds::{SeedMount, SeedParts};

/// The public index used by `fallback = "missing"` when `fallback_index` is unset.
pub const DEFAULT_FALLBACK_INDEX: &str = "https://pypi.org/simple/";
/// File links remembered per mount (an evicted one is learned again from its page).
const FILES: usize = 200_000;
/// Index pages whose revalidation after an upload is remembered (an evicted
/// one is revalidated once more).
const PAGES: usize = 10_000;

#[derive(Debug)]
pub struct FallbackConfig {
    pub policy: FallbackPolicy,
    /// Ends in `/`; project pages are `index/PKG/`.
    pub index: Url,
}

/// How long a 404 for a project is remembered when the mount doesn't say
/// (`[[repos.pypi]] negative_ttl`; the no-config form uses this).
pub const DEFAULT_NEGATIVE_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// How long past its freshness an index page is served at once to a client
/// asking for a revalidated copy, while it is refreshed in the background,
/// when the mount doesn't say (`[[repos.pypi]] stale_while_revalidate`; the
/// no-config form uses this).
pub const DEFAULT_STALE_WHILE_REVALIDATE: std::time::Duration = std::time::Duration::from_secs(300);

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

impl Stats {
    /// Counts one client request; `status` is the cache's outcome for the
    /// page or file it got (none: answered without the cache). Hits are the
    /// responses whose body came from the store ([`crate::cache::Outcome::from_store`]).
    pub fn record(&self, status: Option<&CacheStatus>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(status) = status {
            let counter = if status.outcome().from_store() {
                &self.hits
            } else {
                &self.misses
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One PyPI repository as a mount serves it (a `[[repos.pypi]]` mount or a
/// no-config seed URL).
#[derive(Debug)]
pub struct PypiRepo {
    /// `pypi:NAME` (health component, metric label).
    pub label: String,
    /// Client-facing root, e.g. `/pypi/NAME/`.
    pub local_base: String,
    /// The CodeArtifact repository, its endpoint and its token.
    pub upstream: CaRepository,
    pub fallback: Option<FallbackConfig>,
    /// This mount's cache entries: `pypi/NAME/IDENTITY` (the credentials'
    /// source name), apart from the forward proxy's and other mounts'.
    pub namespace: Namespace,
    /// `POST` uploads are passed on (`allow_upload = true`).
    pub allow_upload: bool,
    /// Client-facing file paths listed on pages this mount rewrote
    /// ([`crate::pypi::files`]) -> the sha256 the page gave, if any.
    files: Mutex<lru::LruCache<String, Option<String>>>,
    /// Uploads passed on by this mount so far.
    uploads: AtomicU64,
    /// Index page variants -> [`Self::uploads`] when they were last revalidated:
    /// a page stored before an upload is revalidated once after it.
    revalidated: Mutex<lru::LruCache<String, u64>>,
    /// How long a 404 for a project is remembered (zero: not at all).
    negative_ttl: std::time::Duration,
    /// `stale_while_revalidate` of index pages (zero: off).
    stale_while_revalidate: std::time::Duration,
    /// Projects the repository answered 404 for -> when, and [`Self::uploads`] then.
    missing: Mutex<lru::LruCache<String, (std::time::Instant, u64)>>,
    pub stats: Stats,
    /// Wheels whose PEP 658 metadata this mount extracted ([`super::metadata`]).
    pub metadata: super::metadata::Generated,
}

impl PypiRepo {
    pub fn named(m: &PypiMount, creds: CredentialCache, ctx: &RepoContext) -> anyhow::Result<Self> {
        let fixed_endpoint = m
            .endpoint
            .as_deref()
            .map(|e| dir_url(e).with_context(|| format!("pypi mount {}: endpoint `{e}`", m.name)))
            .transpose()?;
        let fallback = match m.fallback {
            Fallback::Off => None,
            Fallback::Missing => {
                let index = m
                    .fallback_index
                    .as_deref()
                    .unwrap_or(DEFAULT_FALLBACK_INDEX);
                Some(FallbackConfig {
                    policy: FallbackPolicy {
                        allow: m.fallback_allow.clone(),
                        deny: m.fallback_deny.clone(),
                        names: crate::pypi::names::NameRule::Pep503,
                    },
                    index: dir_url(index).with_context(|| {
                        format!("pypi mount {}: fallback_index `{index}`", m.name)
                    })?,
                })
            }
        };
        Ok(Self {
            allow_upload: m.allow_upload,
            negative_ttl: m.negative_ttl.0,
            stale_while_revalidate: m.stale_while_revalidate.0,
            ..Self::new(
                format!("pypi:{}", m.name),
                format!("/pypi/{}/", m.name),
                TokenSource {
                    domain: m.domain.clone(),
                    owner: m.domain_owner.clone(),
                    region: m.region.clone(),
                    endpoint: ctx.codeartifact.endpoint.clone(),
                    creds,
                },
                &ctx.tokens,
                m.repository.clone(),
                fixed_endpoint,
                fallback,
            )
        })
    }

    pub fn seed(seed: &SeedParts, creds: CredentialCache, ctx: &RepoContext) -> Self {
        // No background refresher: a mistyped URL must not poll AWS forever.
        Self::new(
            format!("pypi:{}", seed.key()),
            format!("/{}/", seed.key()),
            TokenSource {
                domain: seed.domain.clone(),
                owner: seed.account.clone(),
                region: Some(seed.region.clone()),
                endpoint: ctx.codeartifact.endpoint.clone(),
                creds,
            },
            &ctx.tokens,
            seed.repo.clone(),
            None,
            None,
        )
    }

    fn new(
        label: String,
        local_base: String,
        source: TokenSource,
        tokens: &Tokens,
        repository: String,
        fixed_endpoint: Option<Url>,
        fallback: Option<FallbackConfig>,
    ) -> Self {
        let mount = label.strip_prefix("pypi:").unwrap_or(&label);
        let namespace = Namespace::repository("pypi", mount, &source.creds.spec().name);
        Self {
            namespace,
            label,
            local_base,
            upstream: CaRepository::new(source, tokens, repository, Format::Pypi, fixed_endpoint),
            allow_upload: false,
            fallback,
            files: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(FILES).unwrap_or(NonZeroUsize::MIN),
            )),
            uploads: AtomicU64::new(0),
            revalidated: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(PAGES).unwrap_or(NonZeroUsize::MIN),
            )),
            negative_ttl: DEFAULT_NEGATIVE_TTL,
            stale_while_revalidate: DEFAULT_STALE_WHILE_REVALIDATE,
            missing: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(PAGES).unwrap_or(NonZeroUsize::MIN),
            )),
            stats: Stats::default(),
            metadata: super::metadata::Generated::default(),
        }
    }

    /// How long past its freshness an index page may be served while it is
    /// refreshed in the background (`None`: off).
    pub fn stale_while_revalidate(&self) -> Option<std::time::Duration> {
        (!self.stale_while_revalidate.is_zero()).then_some(self.stale_while_revalidate)
    }

    /// The repository answered 404 for `project`.
    pub fn note_missing(&self, project: &str) {
        if !self.negative_ttl.is_zero() {
            let uploads = self.uploads.load(Ordering::Relaxed);
            lock(&self.missing).put(project.to_owned(), (std::time::Instant::now(), uploads));
        }
    }

    /// Was `project` a 404 within [`Self::negative_ttl`], with no upload since?
    pub fn known_missing(&self, project: &str) -> bool {
        let uploads = self.uploads.load(Ordering::Relaxed);
        let mut missing = lock(&self.missing);
        match missing.get(project) {
            Some((at, seen)) if *seen == uploads && at.elapsed() < self.negative_ttl => true,
            Some(_) => {
                missing.pop(project);
                false
            }
            None => false,
        }
    }

    /// Records a file link of a rewritten page (a hash once known is kept when
    /// another variant of the page lists the file without one).
    pub fn remember_file(&self, link: FileLink) {
        let mut files = lock(&self.files);
        let sha = link
            .sha256
            .or_else(|| files.peek(&link.path).cloned().flatten());
        files.put(link.path, sha);
    }

    /// An upload went through: every page stored before it may lack the new
    /// file, so each is revalidated once ([`Self::stale_since_upload`]).
    pub fn note_upload(&self) {
        self.uploads.fetch_add(1, Ordering::Relaxed);
    }

    /// Was the page variant `page` stored before the latest upload (and not
    /// revalidated since)? Marks it revalidated.
    pub fn stale_since_upload(&self, page: &str) -> bool {
        let uploads = self.uploads.load(Ordering::Relaxed);
        if uploads == 0 {
            return false;
        }
        let mut seen = lock(&self.revalidated);
        let stale = seen.get(page).is_none_or(|at| *at < uploads);
        if stale {
            seen.put(page.to_owned(), uploads);
        }
        stale
    }

    /// `Some(sha256)` when a page this mount rewrote lists `path`; `None` when
    /// no page did (so far).
    pub fn listed_file(&self, path: &str) -> Option<Option<String>> {
        lock(&self.files).get(path).cloned()
    }
}

impl SeedMount for PypiRepo {
    fn repository(&self) -> &CaRepository {
        &self.upstream
    }
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl BoardRow for PypiRepo {
    fn label(&self) -> &str {
        &self.label
    }
    fn local_base(&self) -> &str {
        &self.local_base
    }
    fn repository(&self) -> &CaRepository {
        &self.upstream
    }
    fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// Health per mount, a status table and metric families.
pub fn register_board(shared: &Arc<PypiShared>) {
    let weak = Arc::downgrade(shared);
    let board = Board {
        title: "PyPI repositories",
        empty: "No PyPI mounts configured. Add a `[[repos.pypi]]` section (`name`, `domain`, `domain_owner`, `repository`) to the configuration, or use the no-config form `/ACCOUNT/REGION/DOMAIN/REPO/simple/`; see the README's PyPI section.",
    };
    crate::services::ca_mount::register_board(&shared.ctx, Format::Pypi, board, move || {
        weak.upgrade().map(|s| s.all_mounts()).unwrap_or_default()
    });
}
