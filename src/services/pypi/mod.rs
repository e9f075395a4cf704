//! CodeArtifact PyPI repositories on the repository listener.
//!
//! | route | answer |
//! |---|---|
//! | `GET /pypi/NAME/simple/` | the repository's project list (PEP 503 HTML or PEP 691 JSON by `Accept`), links rewritten |
//! | `GET /pypi/NAME/simple/PKG/` | the project page, file links rewritten to `/pypi/NAME/+f/PKG/...` |
//! | `GET /pypi/NAME/+f/PKG/...` | a file that a page the mount rewrote links to (any other path: 404, never fetched), cached immutably and checked against the page's `#sha256=` |
//! | `GET /pypi/NAME/+fb/PKG/SCHEME/HOST/...` | a file from the public index (`fallback = "missing"` only) |
//! | `POST /pypi/NAME/` | an upload (`twine upload`) when the mount has `allow_upload = true`, streamed upstream with the token |
//! | `/{account}/{region}/{domain}/{repo}/...` | the same without config (no uploads), credentials from the default chain; `503` + `Retry-After` for a repository that didn't resolve |
//!
//! The upstream base comes from `GetRepositoryEndpoint` (or the mount's
//! `endpoint`); the seed form keeps only repositories it resolved ([`seeds`]). Tokens live in memory ([`crate::codeartifact::token`]); no response to
//! a client carries the token or the upstream host.

mod metadata;
mod mount;
mod pages;
mod upload;

use crate::services::repo_error::RepoError;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use http::Method;

use super::repos::RepoContext;
use super::seeds::{SeedParts, SeedTable};
use crate::config::PypiMount;
use crate::net::UpstreamClient;

pub use mount::{PypiRepo, Stats, lock as mount_lock};

/// How long an index page is fresh when the upstream doesn't say
/// ([`crate::cache::LookupOptions::default_max_age`]).
pub const INDEX_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// State shared by every handler of the PyPI mounts.
#[derive(Debug)]
pub(crate) struct PypiShared {
    ctx: RepoContext,
    client: UpstreamClient,
    named: HashMap<String, Arc<PypiRepo>>,
    /// The no-config form's repositories ([`super::seeds`]).
    seeds: SeedTable<Arc<PypiRepo>>,
}

type St = Arc<PypiShared>;

/// The router for `[[repos.pypi]]` mounts and the no-config seed form.
pub async fn router(mounts: &[PypiMount], ctx: &RepoContext) -> anyhow::Result<Router> {
    let client = UpstreamClient::new(&ctx.upstream)?;
    let mut named = HashMap::new();
    for m in mounts {
        let creds = ctx.mount_creds(m.profile.as_deref()).await;
        let mount = PypiRepo::named(m, creds, ctx)?;
        mount.upstream.spawn_refresher();
        named.insert(m.name.clone(), Arc::new(mount));
    }
    let shared = Arc::new(PypiShared {
        ctx: ctx.clone(),
        client,
        named,
        seeds: SeedTable::new(Instant::now()),
    });
    mount::register_board(&shared);
    Ok(Router::new()
        .route("/pypi/{name}/", post(upload_named))
        .route("/pypi/{name}/{*rest}", any(named_route))
        .route("/{account}/{region}/{domain}/{repo}/", post(upload_seed))
        .route(
            "/{account}/{region}/{domain}/{repo}/{*rest}",
            any(seed_route),
        )
        .with_state(shared))
}

impl PypiShared {
    fn all_mounts(&self) -> Vec<Arc<PypiRepo>> {
        let mut all: Vec<_> = self.named.values().cloned().collect();
        all.sort_by(|a, b| a.label.cmp(&b.label));
        let mut seed = self.seeds.working();
        seed.sort_by(|a, b| a.label.cmp(&b.label));
        all.extend(seed);
        all
    }

    /// The mount of a no-config seed URL (see [`super::seeds`] for the limits).
    async fn seed_mount(&self, seed: &SeedParts) -> Result<Arc<PypiRepo>, Response> {
        self.seeds
            .mount(
                seed,
                crate::codeartifact::endpoint::Format::Pypi,
                async || PypiRepo::seed(seed, self.ctx.mount_creds(None).await, &self.ctx),
            )
            .await
            .map_err(IntoResponse::into_response)
    }
}

async fn named_route(
    State(st): State<St>,
    Path((name, rest)): Path<(String, String)>,
    req: Request,
) -> Response {
    match st.named.get(&name) {
        Some(m) => pages::dispatch(&st, m.clone(), &rest, req).await,
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
    match st.seed_mount(&seed).await {
        Ok(m) => pages::dispatch(&st, m, &rest, req).await,
        Err(refused) => refused,
    }
}

async fn upload_named(State(st): State<St>, Path(name): Path<String>, req: Request) -> Response {
    match st.named.get(&name) {
        Some(m) => upload::upload(&st, m.clone(), req).await,
        None => RepoError::NotFound.into_response(),
    }
}

/// The no-config form has no mount to opt in with, so it never uploads.
async fn upload_seed() -> Response {
    RepoError::Forbidden("uploads need a [[repos.pypi]] mount with `allow_upload = true`; the no-config URL form never accepts them\n").into_response()
}

pub(crate) fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}
