//! One PyPI mount: where it lives locally, its upstream base (resolved once),
//! its token, the file links of the pages it has served (the only files it
//! fetches, with their `#sha256=`), its fallback policy and counters; plus its rows on the status page, `/healthz` and `/metrics`.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use anyhow::Context as _;
use time::OffsetDateTime;
use url::Url;

use super::{Options, PypiShared};
use crate::cache::key::Namespace;
use crate::codeartifact::endpoint::{Format, repository_endpoint};
use crate::codeartifact::token::{TokenProvider, TokenSource, Tokens};
use crate::config::{Fallback, PypiMount};
use crate::creds::CredentialCache;
use crate::pypi::files::FileLink;
use crate::pypi::names::FallbackPolicy;
use crate::services::status::{Health, Section, label_value};

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

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

/// One PyPI repository as a mount serves it (a `[[repos.pypi]]` mount or a
/// no-config seed URL).
#[derive(Debug)]
pub struct PypiRepo {
    /// `pypi:NAME` (health component, metric label).
    pub label: String,
    /// Client-facing root, e.g. `/pypi/NAME/`.
    pub local_base: String,
    pub domain: String,
    pub repository: String,
    fixed_endpoint: Option<Url>,
    endpoint: tokio::sync::OnceCell<Url>,
    pub token: Arc<TokenProvider>,
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
    pub stats: Stats,
}

impl PypiRepo {
    pub fn named(
        m: &PypiMount,
        creds: CredentialCache,
        opts: &Options,
        tokens: &Tokens,
    ) -> anyhow::Result<Self> {
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
                    },
                    index: dir_url(index).with_context(|| {
                        format!("pypi mount {}: fallback_index `{index}`", m.name)
                    })?,
                })
            }
        };
        Ok(Self {
            allow_upload: m.allow_upload,
            ..Self::new(
                format!("pypi:{}", m.name),
                format!("/pypi/{}/", m.name),
                TokenSource {
                    domain: m.domain.clone(),
                    owner: m.domain_owner.clone(),
                    region: m.region.clone(),
                    endpoint: opts.codeartifact_endpoint.clone(),
                    creds,
                },
                tokens,
                m.repository.clone(),
                fixed_endpoint,
                fallback,
            )
        })
    }

    pub fn seed(
        account: &str,
        region: &str,
        domain: &str,
        repo: &str,
        creds: CredentialCache,
        opts: &Options,
        tokens: &Tokens,
    ) -> Self {
        // No background refresher: a mistyped URL must not poll AWS forever.
        Self::new(
            format!("pypi:{account}/{region}/{domain}/{repo}"),
            format!("/{account}/{region}/{domain}/{repo}/"),
            TokenSource {
                domain: domain.to_owned(),
                owner: account.to_owned(),
                region: Some(region.to_owned()),
                endpoint: opts.codeartifact_endpoint.clone(),
                creds,
            },
            tokens,
            repo.to_owned(),
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
            domain: source.domain.clone(),
            repository,
            fixed_endpoint,
            allow_upload: false,
            endpoint: tokio::sync::OnceCell::new(),
            token: tokens.provider(source),
            fallback,
            files: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(FILES).unwrap_or(NonZeroUsize::MIN),
            )),
            uploads: AtomicU64::new(0),
            revalidated: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(PAGES).unwrap_or(NonZeroUsize::MIN),
            )),
            stats: Stats::default(),
        }
    }

    /// Keeps the token fetched ahead of expiry while the mount exists (and makes
    /// `/healthz` report a mount that cannot get one).
    pub fn spawn_refresher(&self) {
        let weak = Arc::downgrade(&self.token);
        tokio::spawn(async move {
            loop {
                let Some(token) = weak.upgrade() else { return };
                let wait = token.refresh_ahead().await;
                drop(token);
                tokio::time::sleep(wait).await;
            }
        });
    }

    /// The upstream repository base (ends in `/`), asked once.
    pub async fn base(&self) -> anyhow::Result<Url> {
        if let Some(u) = &self.fixed_endpoint {
            return Ok(u.clone());
        }
        self.endpoint
            .get_or_try_init(|| async {
                let url = repository_endpoint(self.token.source(), &self.repository, Format::Pypi)
                    .await?;
                dir_url(&url)
            })
            .await
            .cloned()
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

    pub fn count(&self, cache_status: Option<&str>) {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(s) = cache_status {
            if s.contains("; hit") {
                self.stats.hits.fetch_add(1, Ordering::Relaxed);
            } else {
                self.stats.misses.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn health(&self) -> Health {
        match self.token.state().error {
            Some(reason) => Health::Unhealthy {
                reason: format!("cannot get a CodeArtifact token: {reason}"),
            },
            None => Health::Healthy,
        }
    }

    fn expires_in(&self) -> Option<i64> {
        self.token
            .state()
            .expiration
            .map(|e| (e - OffsetDateTime::now_utc()).whole_seconds())
    }
}

/// A URL that ends in `/` (so joins stay under it).
fn dir_url(raw: &str) -> anyhow::Result<Url> {
    let mut url = Url::parse(raw)?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https"),
        "not an http(s) URL"
    );
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// `/{account}/{region}/{domain}/{repo}/`: 12-digit account, plausible names.
pub fn seed_parts_valid(account: &str, region: &str, domain: &str, repo: &str) -> bool {
    let name = |s: &str, max: usize| {
        !s.is_empty()
            && s.len() <= max
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !s.starts_with('.')
    };
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name(domain, 50)
        && name(repo, 100)
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Health per mount, a status table and metric families.
pub fn register_board(shared: &Arc<PypiShared>) {
    let board = &shared.ctx.board;
    let weak = Arc::downgrade(shared);
    board.add_probe("pypi", move || {
        weak.upgrade()
            .map(|s| {
                s.all_mounts()
                    .iter()
                    .map(|m| (m.label.clone(), m.health()))
                    .collect()
            })
            .unwrap_or_default()
    });
    let weak = Arc::downgrade(shared);
    board.add_section("pypi", move || {
        let mounts = weak.upgrade().map(|s| s.all_mounts()).unwrap_or_default();
        Section {
            title: "PyPI repositories".to_owned(),
            columns: [
                "mount",
                "path",
                "domain",
                "repository",
                "token expires in",
                "state",
            ]
            .map(str::to_owned)
            .to_vec(),
            rows: mounts
                .iter()
                .map(|m| {
                    vec![
                        m.label.clone(),
                        m.local_base.clone(),
                        m.domain.clone(),
                        m.repository.clone(),
                        m.expires_in()
                            .map_or_else(|| "-".to_owned(), |s| format!("{}m", s / 60)),
                        match m.health() {
                            Health::Healthy => "ok".to_owned(),
                            Health::Unhealthy { reason } => reason,
                        },
                    ]
                })
                .collect(),
            note: None,
            empty: "No PyPI mounts configured. Add a `[[repos.pypi]]` section (`name`, `domain`, `domain_owner`, `repository`) to the configuration, or use the no-config form `/ACCOUNT/REGION/DOMAIN/REPO/simple/`; see the README's PyPI section.",
        }
    });
    let weak = Arc::downgrade(shared);
    board.add_metrics("pypi", move || {
        let mounts = weak.upgrade().map(|s| s.all_mounts()).unwrap_or_default();
        render_metrics(&mounts)
    });
}

fn render_metrics(mounts: &[Arc<PypiRepo>]) -> String {
    let mut families: HashMap<&str, (&str, &str, Vec<String>)> = HashMap::new();
    let mut add = |name: &'static str, kind: &'static str, help: &'static str, line: String| {
        families
            .entry(name)
            .or_insert((kind, help, Vec::new()))
            .2
            .push(line);
    };
    for m in mounts {
        let l = label_value(&m.label);
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        add(
            "awsproxy_pypi_requests",
            "counter",
            "Client requests per PyPI mount.",
            format!(
                "awsproxy_pypi_requests_total{{mount=\"{l}\"}} {}",
                n(&m.stats.requests)
            ),
        );
        add(
            "awsproxy_pypi_cache",
            "counter",
            "Cache results of PyPI requests (Cache-Status).",
            format!(
                "awsproxy_pypi_cache_total{{mount=\"{l}\",result=\"hit\"}} {}",
                n(&m.stats.hits)
            ),
        );
        add(
            "awsproxy_pypi_cache",
            "counter",
            "Cache results of PyPI requests (Cache-Status).",
            format!(
                "awsproxy_pypi_cache_total{{mount=\"{l}\",result=\"miss\"}} {}",
                n(&m.stats.misses)
            ),
        );
        add(
            "awsproxy_pypi_token_refreshes",
            "counter",
            "CodeArtifact tokens fetched.",
            format!(
                "awsproxy_pypi_token_refreshes_total{{mount=\"{l}\"}} {}",
                m.token.refreshes()
            ),
        );
        if let Some(s) = m.expires_in() {
            add(
                "awsproxy_pypi_token_expiry_seconds",
                "gauge",
                "Seconds until the mount's token expires.",
                format!("awsproxy_pypi_token_expiry_seconds{{mount=\"{l}\"}} {s}"),
            );
        }
    }
    let mut names: Vec<_> = families.keys().copied().collect();
    names.sort_unstable();
    let mut out = String::new();
    for name in names {
        let (kind, help, lines) = &families[name];
        out.push_str(&format!("# TYPE {name} {kind}\n# HELP {name} {help}\n"));
        for line in lines {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
