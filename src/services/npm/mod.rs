//! CodeArtifact npm repositories on the repository listener.
//!
//! | route | answer |
//! |---|---|
//! | `GET /npm/NAME/PKG` (`PKG` = `name`, `@scope/name` or `@scope%2fname`) | the package document (full or abbreviated by `Accept`), tarball links rewritten to the mount |
//! | `GET /npm/NAME/-/PKG/-/FILE.tgz` | a tarball a served document listed (any other: 404, never fetched), cached immutably, checked against the document's `dist.integrity` (sha512) or `dist.shasum` before it is stored |
//! | `PUT /npm/NAME/PKG` | `npm publish`, streamed upstream with the token, only with `allow_publish = true` |
//! | `/npm/NAME/-/v1/search`, `/npm/NAME/-/npm/v1/security/...` | `501`: not proxied |
//! | `/{account}/{region}/{domain}/{repo}/npm/...` | the same without config (no publishing), credentials from the default chain ([`super::seeds`]) |
//!
//! No response to a client carries the token or the upstream host.

mod mount;
mod serve;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::any;

use super::repo_error::RepoError;
use super::repos::RepoContext;
use super::seeds::{SeedParts, SeedTable};
use crate::config::NpmMount;
use crate::net::UpstreamClient;
use axum::response::IntoResponse as _;

pub use mount::NpmRepo;

/// How long a package document is fresh when the upstream doesn't say.
pub const DOCUMENT_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// State shared by every handler of the npm mounts.
#[derive(Debug)]
pub(crate) struct NpmShared {
    ctx: RepoContext,
    client: UpstreamClient,
    named: HashMap<String, Arc<NpmRepo>>,
    /// The no-config form's repositories.
    seeds: SeedTable<Arc<NpmRepo>>,
}

type St = Arc<NpmShared>;

/// The router for `[[repos.npm]]` mounts.
pub async fn router(mounts: &[NpmMount], ctx: &RepoContext) -> anyhow::Result<Router> {
    let client = UpstreamClient::new(&ctx.upstream)?;
    let mut named = HashMap::new();
    for m in mounts {
        let creds = ctx.mount_creds(m.profile.as_deref()).await;
        let mount = NpmRepo::named(m, creds, ctx)?;
        mount.upstream.spawn_refresher();
        named.insert(m.name.clone(), Arc::new(mount));
    }
    let shared = Arc::new(NpmShared {
        ctx: ctx.clone(),
        client,
        named,
        seeds: SeedTable::new(Instant::now()),
    });
    mount::register_board(&shared);
    Ok(Router::new()
        .route("/npm/{name}/{*rest}", any(named_route))
        // Beside PyPI's `/{account}/{region}/{domain}/{repo}/{*rest}`: the
        // static `npm` segment wins there.
        .route(
            "/{account}/{region}/{domain}/{repo}/npm/{*rest}",
            any(seed_route),
        )
        .with_state(shared))
}

impl NpmShared {
    fn all_mounts(&self) -> Vec<Arc<NpmRepo>> {
        let mut all: Vec<_> = self.named.values().cloned().collect();
        all.sort_by(|a, b| a.label.cmp(&b.label));
        let mut seed = self.seeds.working();
        seed.sort_by(|a, b| a.label.cmp(&b.label));
        all.extend(seed);
        all
    }
}

async fn named_route(
    State(st): State<St>,
    Path((name, rest)): Path<(String, String)>,
    req: Request,
) -> Response {
    match st.named.get(&name) {
        Some(m) => serve::dispatch(&st, m.clone(), &rest, req).await,
        None => RepoError::NotFound.into_response(),
    }
}

async fn seed_route(
    State(st): State<St>,
    Path((account, region, domain, repo, rest)): Path<(String, String, String, String, String)>,
    req: Request,
) -> Response {
    let seed = SeedParts {
        account,
        region,
        domain,
        repo,
    };
    let mount = st
        .seeds
        .mount(&seed, async || {
            NpmRepo::seed(&seed, st.ctx.mount_creds(None).await, &st.ctx)
        })
        .await;
    match mount {
        Ok(m) => serve::dispatch(&st, m, &rest, req).await,
        Err(e) => e.response("[[repos.npm]]"),
    }
}
