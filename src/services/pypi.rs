//! CodeArtifact PyPI repositories at `/pypi/NAME/` (issue 6). Not built yet:
//! the listener answers 404 under `/pypi/` until it is.

use axum::Router;

use super::repos::RepoContext;
use crate::config::PypiMount;

pub async fn router(_mounts: &[PypiMount], _ctx: &RepoContext) -> anyhow::Result<Router> {
    Ok(Router::new())
}
