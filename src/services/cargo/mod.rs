//! CodeArtifact Cargo repositories on the repository listener, served as
//! sparse registries (`sparse+http://127.0.0.1:9000/cargo/NAME/`).
//!
//! | route | answer |
//! |---|---|
//! | `GET /cargo/NAME/config.json` | the repository's `config.json` with `dl` and `api` pointing at the mount and no `auth-required`, so cargo sends no token |
//! | `GET /cargo/NAME/{1/a, 2/ab, 3/a/abc, se/rd/serde}` | the crate's index file, cached for [`INDEX_MAX_AGE`] and served stale when the repository fails |
//! | `GET /cargo/NAME/api/v1/crates/CRATE/VERSION/download` | the `.crate`, checked against its index line's `cksum` before it is stored, then immutable |
//! | `PUT /cargo/NAME/api/v1/crates/new`, `DELETE`/`PUT .../CRATE/VERSION/{yank,unyank}` | `cargo publish` and `cargo yank`, streamed with the token, only with `allow_publish = true` |
//! | any other `/cargo/NAME/api/...` (`cargo search`, `cargo owner`) | `501`: not proxied |
//! | `/{account}/{region}/{domain}/{repo}/cargo/...` | the same without config (no publishing), credentials from the default chain ([`super::seeds`]) |
//!
//! No response to a client carries the token or the upstream host.

mod serve;

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;

use super::ca_mount::{Board, BoxFuture, CaMount, MountConfig, Mounts, PublicFallback, Source};
use super::repos::RepoContext;
use crate::codeartifact::endpoint::Format;
use crate::config::CargoMount;
use crate::pypi::names::NameRule;
use crate::services::pypi::mount_lock as lock;

/// The public registry of `fallback = "missing"` when `fallback_index` is unset.
pub const DEFAULT_FALLBACK: &str = "https://index.crates.io/";

/// How long an index file or `config.json` is fresh when the upstream doesn't say.
pub const INDEX_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Checksums remembered per mount (an evicted one is read again from the index).
const CHECKSUMS: usize = 200_000;

/// How long after a publish or yank through a mount its index files are
/// revalidated on every request (so `cargo publish`, which waits for the new
/// version to appear in the index, sees it at once).
pub const CHANGED_FOR: std::time::Duration = std::time::Duration::from_secs(120);

/// One Cargo repository as a mount serves it.
pub type CargoRepo = CaMount<CargoFiles>;

/// What a mount knows about one `.crate`.
#[derive(Debug, Clone)]
pub struct Known {
    /// sha256 from the index line.
    pub cksum: String,
    /// The index that listed it.
    pub source: Source,
    /// Where it downloads from, once a download worked out the `dl` URL (so
    /// a hit needs no `config.json` lookup).
    pub url: Option<url::Url>,
}

/// What a Cargo mount remembers.
#[derive(Debug)]
pub struct CargoFiles {
    /// `crate/version` (crate lower-cased) -> the `.crate`'s sha256 and the
    /// index that listed it.
    checksums: Mutex<lru::LruCache<String, Known>>,
    /// When a publish or yank last went through.
    changed: Mutex<Option<Instant>>,
}

impl Default for CargoFiles {
    fn default() -> Self {
        Self {
            checksums: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(CHECKSUMS).unwrap_or(NonZeroUsize::MIN),
            )),
            changed: Mutex::new(None),
        }
    }
}

impl CargoFiles {
    fn key(name: &str, version: &str) -> String {
        format!("{}/{version}", name.to_ascii_lowercase())
    }

    pub fn remember(&self, name: &str, version: &str, known: Known) {
        lock(&self.checksums).put(Self::key(name, version), known);
    }

    pub fn checksum(&self, name: &str, version: &str) -> Option<Known> {
        lock(&self.checksums)
            .get(&Self::key(name, version))
            .cloned()
    }

    /// A publish or yank went through: the index is about to change.
    pub fn changed(&self) {
        *lock(&self.changed) = Some(Instant::now());
    }

    /// Within [`CHANGED_FOR`] of the last publish or yank?
    pub fn recently_changed(&self) -> bool {
        lock(&self.changed).is_some_and(|t| t.elapsed() < CHANGED_FOR)
    }
}

/// The mounts of the Cargo format and what their handlers share.
pub(crate) type CargoShared = Mounts<CargoFiles>;

/// The router for `[[repos.cargo]]` mounts.
pub async fn router(mounts: &[CargoMount], ctx: &RepoContext) -> anyhow::Result<Router> {
    let mut configured = Vec::new();
    for m in mounts {
        configured.push(MountConfig {
            repository: m.codeartifact(),
            endpoint: m.endpoint.clone(),
            allow_publish: m.allow_publish,
            fallback: PublicFallback::from_config(
                &format!("cargo mount {}", m.name),
                m.fallback,
                &m.fallback_allow,
                &m.fallback_deny,
                (
                    "fallback_index",
                    m.fallback_index.as_deref().unwrap_or(DEFAULT_FALLBACK),
                ),
                NameRule::Crate,
            )?,
        });
    }
    let board = Board {
        title: "Cargo registries",
        empty: "No Cargo mounts configured. Add a `[[repos.cargo]]` section (`name`, `domain`, `domain_owner`, `repository`) to the configuration; see the README's Cargo section.",
    };
    super::ca_mount::router(Format::Cargo, configured, ctx, board, dispatch).await
}

fn dispatch(
    st: Arc<CargoShared>,
    mount: Arc<CargoRepo>,
    rest: String,
    req: Request,
) -> BoxFuture<'static, Response> {
    Box::pin(async move { serve::dispatch(&st, mount, &rest, req).await })
}
