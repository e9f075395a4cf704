//! The repository listener (`[repos] listen`, default 127.0.0.1:9000), shared by
//! the PyPI and Maven mounts.
//!
//! | route                                   | served by            |
//! |-----------------------------------------|----------------------|
//! | `/pypi/NAME/...`                        | [`super::pypi`]      |
//! | `/{account}/{region}/{domain}/{repo}/simple/...` (no config needed) | [`super::pypi`] |
//! | `/maven/NAME/...`                       | [`super::maven`]     |
//!
//! Each mount type builds its own router from a [`RepoContext`] (the cache, the
//! credentials registry, the status board); this module only merges them.

use std::sync::Arc;

use axum::Router;

use crate::cache::HttpCache;
use crate::config::ReposSection;
use crate::creds::CredsRegistry;
use crate::paths::Paths;
use crate::services::status::StatusBoard;

/// What every mount needs, shared by all mounts of one listener.
#[derive(Debug, Clone)]
pub struct RepoContext {
    pub paths: Paths,
    /// The HTTP cache over the configured store (`[cache]`).
    pub cache: HttpCache,
    /// One credentials cache per distinct source, refreshed ahead of expiry.
    pub creds: Arc<CredsRegistry>,
    /// Per-mount health (`pypi:NAME`, `maven:NAME`), tables and metrics.
    pub board: StatusBoard,
    /// Outbound HTTP(S) settings (upstream proxy, extra CAs) from `[proxy]`, for
    /// mounts that reach an upstream over HTTP.
    pub upstream: crate::net::ClientSettings,
}

/// The router of the whole listener.
pub async fn router(section: &ReposSection, ctx: &RepoContext) -> anyhow::Result<Router> {
    let pypi = super::pypi::router(&section.pypi, ctx).await?;
    let maven = super::maven::router(&section.maven, ctx).await?;
    Ok(pypi.merge(maven))
}
