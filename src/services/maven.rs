//! S3 buckets served as Maven repositories at `/maven/NAME/` (issue 7). Not built
//! yet: the listener answers 404 under `/maven/` until it is.

use axum::Router;

use super::repos::RepoContext;
use crate::config::MavenMount;

pub async fn router(_mounts: &[MavenMount], _ctx: &RepoContext) -> anyhow::Result<Router> {
    Ok(Router::new())
}
