//! CodeArtifact npm repositories on the repository listener.
//!
//! | route | answer |
//! |---|---|
//! | `GET /npm/NAME/PKG` (`PKG` = `name`, `@scope/name` or `@scope%2fname`) | the package document (full or abbreviated by `Accept`), tarball links rewritten to the mount |
//! | `GET /npm/NAME/-/PKG/-/FILE.tgz` | a tarball a served document listed (any other: 404, never fetched), cached immutably, checked against the document's `dist.integrity` (sha512) or `dist.shasum` before it is stored |
//! | `PUT /npm/NAME/PKG` | `npm publish`, streamed upstream with the token, only with `allow_publish = true` |
//! | `GET /npm/NAME/-/package/PKG/dist-tags` | the document's `dist-tags` (`npm dist-tag ls`); `PUT`/`DELETE` of a tag: `501` |
//! | `/npm/NAME/-/v1/search`, `/npm/NAME/-/npm/v1/security/...` | `501`: not proxied |
//! | `/{account}/{region}/{domain}/{repo}/npm/...` | the same without config (no publishing), credentials from the default chain ([`super::seeds`]) |
//!
//! No response to a client carries the token or the upstream host.

mod mount;
mod serve;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::response::Response;

use super::ca_mount::{Board, BoxFuture, MountConfig, Mounts, PublicFallback};
use super::repos::RepoContext;
use crate::codeartifact::endpoint::Format;
use crate::config::NpmMount;
use crate::pypi::names::NameRule;

pub use mount::{NpmRepo, Tarballs};

/// The public registry of `fallback = "missing"` when `fallback_registry` is unset.
pub const DEFAULT_FALLBACK: &str = "https://registry.npmjs.org/";

/// How long a package document is fresh when the upstream doesn't say.
pub const DOCUMENT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// The mounts of the npm format and what their handlers share.
pub(crate) type NpmShared = Mounts<Tarballs>;

/// The router for `[[repos.npm]]` mounts.
pub async fn router(mounts: &[NpmMount], ctx: &RepoContext) -> anyhow::Result<Router> {
    let mut configured = Vec::new();
    for m in mounts {
        configured.push(MountConfig {
            repository: m.codeartifact(),
            endpoint: m.endpoint.clone(),
            allow_publish: m.allow_publish,
            fallback: PublicFallback::from_config(
                &format!("npm mount {}", m.name),
                m.fallback,
                &m.fallback_allow,
                &m.fallback_deny,
                (
                    "fallback_registry",
                    m.fallback_registry.as_deref().unwrap_or(DEFAULT_FALLBACK),
                ),
                NameRule::Exact,
            )?,
        });
    }
    let board = Board {
        title: "npm repositories",
        empty: "No npm mounts configured. Add a `[[repos.npm]]` section (`name`, `domain`, `domain_owner`, `repository`) to the configuration; see the README's npm section.",
    };
    super::ca_mount::router(Format::Npm, configured, ctx, board, dispatch).await
}

fn dispatch(
    st: Arc<NpmShared>,
    mount: Arc<NpmRepo>,
    rest: String,
    req: Request,
) -> BoxFuture<'static, Response> {
    Box::pin(async move { serve::dispatch(&st, mount, &rest, req).await })
}
