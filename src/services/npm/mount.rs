//! One npm mount: where it lives locally, its CodeArtifact repository and
//! token, the tarballs of the documents it has served (the only ones it
//! fetches, with their integrity) and counters; plus its rows on the status
//! page, `/healthz` and `/metrics`.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use anyhow::Context as _;
use url::Url;

use super::NpmShared;
use crate::cache::key::Namespace;
use crate::codeartifact::endpoint::Format;
use crate::codeartifact::repository::{CaRepository, dir_url};
use crate::codeartifact::token::TokenSource;
use crate::config::NpmMount;
use crate::creds::CredentialCache;
use crate::npm::document::{Integrity, Tarball};
use crate::services::pypi::Stats;
use crate::services::pypi::mount_lock as lock;
use crate::services::repos::RepoContext;
use crate::services::seeds::{SeedMount, SeedParts};

/// Tarballs remembered per mount (an evicted one is learned again from its document).
const TARBALLS: usize = 200_000;

/// One npm repository as a mount serves it.
#[derive(Debug)]
pub struct NpmRepo {
    /// `npm:NAME` (health component, metric label).
    pub label: String,
    /// Client-facing root, `/npm/NAME/`.
    pub local_base: String,
    pub upstream: CaRepository,
    /// `npm/NAME/IDENTITY`.
    pub namespace: Namespace,
    pub allow_publish: bool,
    /// Client-facing tarball path -> where it is and what it must hash to.
    tarballs: Mutex<lru::LruCache<String, (Url, Integrity)>>,
    pub stats: Stats,
}

impl NpmRepo {
    pub fn named(m: &NpmMount, creds: CredentialCache, ctx: &RepoContext) -> anyhow::Result<Self> {
        let fixed_endpoint = m
            .endpoint
            .as_deref()
            .map(|e| dir_url(e).with_context(|| format!("npm mount {}: endpoint `{e}`", m.name)))
            .transpose()?;
        anyhow::ensure!(
            m.fallback == crate::config::Fallback::Off,
            "npm mount {}: `fallback = \"missing\"` is not supported for npm yet; remove it",
            m.name
        );
        let namespace = Namespace::repository("npm", &m.name, &creds.spec().name);
        let source = TokenSource {
            domain: m.domain.clone(),
            owner: m.domain_owner.clone(),
            region: m.region.clone(),
            endpoint: ctx.codeartifact.endpoint.clone(),
            creds,
        };
        Ok(Self {
            label: format!("npm:{}", m.name),
            local_base: format!("/npm/{}/", m.name),
            upstream: CaRepository::new(
                source,
                &ctx.tokens,
                m.repository.clone(),
                Format::Npm,
                fixed_endpoint,
            ),
            namespace,
            allow_publish: m.allow_publish,
            tarballs: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(TARBALLS).unwrap_or(NonZeroUsize::MIN),
            )),
            stats: Stats::default(),
        })
    }

    /// A repository of the no-config form, `/{account}/{region}/{domain}/{repo}/npm/`
    /// (no publishing; no background refresher: a mistyped URL must not poll AWS forever).
    pub fn seed(seed: &SeedParts, creds: CredentialCache, ctx: &RepoContext) -> Self {
        let namespace = Namespace::repository("npm", &seed.key(), &creds.spec().name);
        let source = TokenSource {
            domain: seed.domain.clone(),
            owner: seed.account.clone(),
            region: Some(seed.region.clone()),
            endpoint: ctx.codeartifact.endpoint.clone(),
            creds,
        };
        Self {
            label: format!("npm:{}", seed.key()),
            local_base: format!("/{}/npm/", seed.key()),
            upstream: CaRepository::new(source, &ctx.tokens, seed.repo.clone(), Format::Npm, None),
            namespace,
            allow_publish: false,
            tarballs: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(TARBALLS).unwrap_or(NonZeroUsize::MIN),
            )),
            stats: Stats::default(),
        }
    }

    /// Records a tarball of a served document.
    pub fn remember(&self, t: Tarball) {
        lock(&self.tarballs).put(t.local_path, (t.upstream, t.integrity));
    }

    /// Where `local` is and its integrity, if a served document listed it.
    pub fn listed(&self, local: &str) -> Option<(Url, Integrity)> {
        lock(&self.tarballs).get(local).cloned()
    }
}

impl SeedMount for NpmRepo {
    fn repository(&self) -> &CaRepository {
        &self.upstream
    }
}

/// Health per mount, a status table and metric families.
pub fn register_board(shared: &Arc<NpmShared>) {
    let board = &shared.ctx.board;
    let weak = Arc::downgrade(shared);
    board.add_probe("npm", move || {
        weak.upgrade()
            .map(|s| {
                s.all_mounts()
                    .iter()
                    .map(|m| (m.label.clone(), m.upstream.health()))
                    .collect()
            })
            .unwrap_or_default()
    });
    let weak = Arc::downgrade(shared);
    board.add_section("npm", move || {
        let mounts = weak.upgrade().map(|s| s.all_mounts()).unwrap_or_default();
        crate::services::repos::codeartifact_section(
            "npm repositories",
            "No npm mounts configured. Add a `[[repos.npm]]` section (`name`, `domain`, `domain_owner`, `repository`) to the configuration; see the README's npm section.",
            mounts
                .iter()
                .map(|m| (m.label.as_str(), m.local_base.as_str(), &m.upstream)),
        )
    });
    let metrics = board.metrics("npm");
    let weak = Arc::downgrade(shared);
    let mounts = move || weak.upgrade().map(|s| s.all_mounts()).unwrap_or_default();
    let m2 = mounts.clone();
    metrics.counters_read_at_scrape(
        "awsproxy_npm_cache",
        "Cache results of npm requests (Cache-Status)",
        move || {
            let mut values = Vec::new();
            for m in m2() {
                for (result, n) in [("hit", &m.stats.hits), ("miss", &m.stats.misses)] {
                    let labels = vec![("mount", m.label.clone()), ("result", result.into())];
                    values.push((labels, n.load(Ordering::Relaxed)));
                }
            }
            values
        },
    );
    metrics.counters_read_at_scrape(
        "awsproxy_npm_requests",
        "Client requests per npm mount",
        move || {
            mounts()
                .iter()
                .map(|m| {
                    (
                        vec![("mount", m.label.clone())],
                        m.stats.requests.load(Ordering::Relaxed),
                    )
                })
                .collect()
        },
    );
}
