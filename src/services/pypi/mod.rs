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

mod mount;
mod pages;
mod seeds;
mod upload;
mod upstream;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use http::{HeaderValue, Method, StatusCode};

use super::repos::RepoContext;
use crate::codeartifact::token::Tokens;
use crate::config::PypiMount;
use crate::creds::SourceSpec;
use crate::net::{ClientSettings, UpstreamClient};

pub use mount::PypiRepo;
use seeds::{Outcome, Refusal, SeedTable, Step};

/// Knobs for tests and embedding (`serve` passes its `[proxy]` client settings).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// CodeArtifact API endpoint override (otherwise the SDK's resolution, which
    /// honours `AWS_ENDPOINT_URL_CODEARTIFACT`).
    pub codeartifact_endpoint: Option<String>,
    /// Credentials for every mount instead of the mount's profile / default chain.
    pub credentials: Option<SourceSpec>,
    /// Outbound client settings.
    pub client: ClientSettings,
}

/// State shared by every handler of the PyPI mounts.
#[derive(Debug)]
pub(crate) struct PypiShared {
    ctx: RepoContext,
    opts: Options,
    client: UpstreamClient,
    named: HashMap<String, Arc<PypiRepo>>,
    /// Tokens shared by mounts of one domain and identity.
    tokens: Tokens,
    /// The no-config form's repositories ([`seeds`]).
    seeds: SeedTable<Arc<PypiRepo>>,
}

type St = Arc<PypiShared>;

/// The router for `[[repos.pypi]]` mounts and the no-config seed form.
pub async fn router(mounts: &[PypiMount], ctx: &RepoContext) -> anyhow::Result<Router> {
    let opts = Options {
        client: ctx.upstream.clone(),
        ..Options::default()
    };
    router_with(mounts, ctx, opts).await
}

/// [`router`] with explicit [`Options`].
pub async fn router_with(
    mounts: &[PypiMount],
    ctx: &RepoContext,
    opts: Options,
) -> anyhow::Result<Router> {
    let client = UpstreamClient::new(&opts.client)?;
    let mut named = HashMap::new();
    let tokens = Tokens::default();
    for m in mounts {
        let creds = match &opts.credentials {
            Some(spec) => ctx.creds.cache(spec.clone()).await,
            None => ctx.creds.profile(m.profile.as_deref()).await,
        };
        let mount = PypiRepo::named(m, creds, &opts, &tokens)?;
        mount.spawn_refresher();
        named.insert(m.name.clone(), Arc::new(mount));
    }
    let shared = Arc::new(PypiShared {
        ctx: ctx.clone(),
        opts,
        client,
        named,
        tokens,
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

    /// The mount of a no-config seed URL: one that worked, or a new one once
    /// `GetRepositoryEndpoint` answers for it (see [`seeds`] for the limits).
    async fn seed_mount(
        &self,
        account: &str,
        region: &str,
        domain: &str,
        repo: &str,
    ) -> Result<Arc<PypiRepo>, Response> {
        if !mount::seed_parts_valid(account, region, domain, repo) {
            return Err(not_found());
        }
        let key = format!("{account}/{region}/{domain}/{repo}");
        let probe = match self.seeds.lookup(&key, Instant::now()) {
            Step::Ready(m) => return Ok(m),
            Step::Refused(why) => return Err(refused_seed(why)),
            Step::Wait(probe) => probe,
            Step::Try => {
                let creds = match &self.opts.credentials {
                    Some(spec) => self.ctx.creds.cache(spec.clone()).await,
                    None => self.ctx.creds.profile(None).await,
                };
                let m = PypiRepo::seed(
                    account,
                    region,
                    domain,
                    repo,
                    creds,
                    &self.opts,
                    &self.tokens,
                );
                self.seeds.begin(&key, Arc::new(m))
            }
        };
        let outcome = *probe
            .outcome
            .get_or_init(|| async {
                let m = &probe.mount;
                if let Err(e) = m.token.source().creds.get().await {
                    tracing::debug!(seed = %key, error = %crate::error::chain_text(&e), "no credentials for a no-config repository");
                    return Outcome::NoCredentials;
                }
                match m.base().await {
                    Ok(_) => Outcome::Works,
                    Err(e) => {
                        tracing::warn!(seed = %key, error = %e, "GetRepositoryEndpoint failed for a no-config repository URL; not asking again for {}", humantime::format_duration(seeds::FAILED_FOR));
                        Outcome::Failed
                    }
                }
            })
            .await;
        self.seeds.finish(&key, &probe, outcome, Instant::now());
        match outcome {
            Outcome::Works => Ok(probe.mount.clone()),
            Outcome::Failed => Err(refused_seed(Refusal::Failed {
                retry_after: seeds::FAILED_FOR,
            })),
            Outcome::NoCredentials => Err(text(
                StatusCode::SERVICE_UNAVAILABLE,
                "no AWS credentials to reach this repository with (run `awsproxy doctor`)\n",
            )),
        }
    }
}

/// `503` with `Retry-After` for a seed that gets no mount now.
fn refused_seed(why: Refusal) -> Response {
    let mut resp = text(
        StatusCode::SERVICE_UNAVAILABLE,
        match why {
            Refusal::Failed { .. } => {
                "CodeArtifact did not resolve this repository (GetRepositoryEndpoint failed; see the log); awsproxy asks again after Retry-After seconds\n"
            }
            Refusal::Busy { .. } => {
                "too many new repositories through the no-config URL form at once; try again shortly, or configure [[repos.pypi]] mounts\n"
            }
        },
    );
    let secs = why.retry_after().as_secs_f64().ceil().max(1.0);
    if let Ok(v) = HeaderValue::from_str(&format!("{secs:.0}")) {
        resp.headers_mut().insert(http::header::RETRY_AFTER, v);
    }
    resp
}

async fn named_route(
    State(st): State<St>,
    Path((name, rest)): Path<(String, String)>,
    req: Request,
) -> Response {
    match st.named.get(&name) {
        Some(m) => pages::dispatch(&st, m.clone(), &rest, req).await,
        None => not_found(),
    }
}

async fn seed_route(
    State(st): State<St>,
    Path((account, region, domain, repo, rest)): Path<(String, String, String, String, String)>,
    req: Request,
) -> Response {
    match st.seed_mount(&account, &region, &domain, &repo).await {
        Ok(m) => pages::dispatch(&st, m, &rest, req).await,
        Err(refused) => refused,
    }
}

async fn upload_named(State(st): State<St>, Path(name): Path<String>, req: Request) -> Response {
    match st.named.get(&name) {
        Some(m) => upload::upload(&st, m.clone(), req).await,
        None => not_found(),
    }
}

/// The no-config form has no mount to opt in with, so it never uploads.
async fn upload_seed() -> Response {
    text(
        StatusCode::FORBIDDEN,
        "uploads need a [[repos.pypi]] mount with `allow_upload = true`; the no-config URL form never accepts them\n",
    )
}

pub(crate) fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "not found\n")
}

pub(crate) fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

pub(crate) fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}
