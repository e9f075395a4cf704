//! What the CodeArtifact mounts of the formats built on the shared core (npm,
//! Cargo, Maven) have in common: the mount itself ([`CaMount`], generic over what
//! the format remembers about the files it served), the mounts of a format
//! with their no-config table ([`Mounts`]; Maven routes them beside its S3
//! mounts), the format's router with
//! its named and no-config routes ([`router`]), its rows on the status
//! page, `/healthz` and `/metrics` ([`register_board`]), and the steps of a
//! request that don't depend on the format: a lookup through the cache
//! ([`cached`]), the client's origin for absolute links ([`origin`]), a
//! bounded read of a document ([`collect`]), a stored file passed on
//! ([`file_response`]), the upstream's failure as a [`RepoError`]
//! ([`upstream_error`]), and a publish streamed through with the token
//! ([`publish_upstream`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::Context as _;
use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse as _, Response};
use axum::routing::any;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt as _;
use url::Url;

use super::repo_error::RepoError;
use super::repos::{RepoContext, check_publish};
use super::seeds::{SeedMount, SeedParts, SeedTable};
pub use crate::cache::BoxFuture;
use crate::cache::key::Namespace;
use crate::cache::{Body, CacheStatus, LookupOptions};
use crate::codeartifact::endpoint::Format;
use crate::codeartifact::fetch::{AuthScheme, DowngradeRefused, Redirects, RepoFetch};
use crate::codeartifact::repository::{CaRepository, dir_url};
use crate::codeartifact::token::TokenSource;
use crate::config::{CodeArtifactMount, Fallback};
use crate::creds::CredentialCache;
use crate::net::UpstreamClient;
use crate::pypi::names::{FallbackPolicy, NameRule};
use crate::services::pypi::Stats;

/// One CodeArtifact repository as a mount of one format serves it.
#[derive(Debug)]
pub struct CaMount<F> {
    /// `FORMAT:NAME` (health component, metric label).
    pub label: String,
    /// Client-facing root: `/FORMAT/NAME/`, or `/ACCOUNT/REGION/DOMAIN/REPO/FORMAT/`.
    pub local_base: String,
    pub upstream: CaRepository,
    /// `FORMAT/NAME/IDENTITY`: two identities never share entries.
    pub namespace: Namespace,
    pub allow_publish: bool,
    /// A repository of the no-config form (which never publishes).
    pub seed: bool,
    /// `fallback = "missing"`: where names the repository lacks may come from.
    pub fallback: Option<PublicFallback>,
    pub stats: Stats,
    /// What the format remembers about the files it served.
    pub files: F,
}

/// Where a document or file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The CodeArtifact repository (fetched with the token).
    Private,
    /// The mount's public registry (fetched without any credentials).
    Public,
}

/// The public registry of `fallback = "missing"`: a name the repository
/// answers `404` for, and that the policy permits, comes from here, fetched
/// without the token (see the README on dependency confusion).
#[derive(Debug, Clone)]
pub struct PublicFallback {
    pub policy: FallbackPolicy,
    /// Ends in `/`.
    pub base: Url,
}

impl PublicFallback {
    /// The fallback of a mount's settings (`None` when `fallback` is off);
    /// `url` is its `fallback_index`/`fallback_registry` or `default`.
    pub fn from_config(
        label: &str,
        fallback: Fallback,
        allow: &[String],
        deny: &[String],
        url: (&str, &str),
        names: NameRule,
    ) -> anyhow::Result<Option<Self>> {
        if fallback == Fallback::Off {
            return Ok(None);
        }
        let (key, url) = url;
        let base = dir_url(url).with_context(|| format!("{label}: {key} `{url}`"))?;
        Ok(Some(Self {
            policy: FallbackPolicy {
                allow: allow.to_vec(),
                deny: deny.to_vec(),
                names,
            },
            base,
        }))
    }

    /// The public registry, if `name` may come from it.
    pub fn for_name(fallback: Option<&Self>, name: &str) -> Option<Url> {
        fallback
            .filter(|f| f.policy.permits(name))
            .map(|f| f.base.clone())
    }
}

impl<F> CaMount<F> {
    /// The mount's name: `NAME` of a configured one, `ACCOUNT/REGION/DOMAIN/REPO` of a seed.
    pub fn name(&self) -> &str {
        self.label.split_once(':').map_or(&self.label, |(_, n)| n)
    }

    /// A configured mount (`[[repos.FORMAT]]`); its token is kept fresh by
    /// the caller's [`CaRepository::spawn_refresher`].
    pub fn named(
        format: Format,
        m: &MountConfig,
        creds: CredentialCache,
        ctx: &RepoContext,
        files: F,
    ) -> anyhow::Result<Self> {
        let kind = format.as_str();
        let repo = &m.repository;
        let fixed_endpoint = m
            .endpoint
            .as_deref()
            .map(|e| {
                dir_url(e).with_context(|| format!("{kind} mount {}: endpoint `{e}`", repo.name))
            })
            .transpose()?;
        let namespace = Namespace::repository(kind, &repo.name, &creds.spec().name);
        let source = TokenSource {
            domain: repo.domain.clone(),
            owner: repo.domain_owner.clone(),
            region: repo.region.clone(),
            endpoint: ctx.codeartifact.endpoint.clone(),
            creds,
        };
        Ok(Self {
            label: format!("{kind}:{}", repo.name),
            local_base: format!("/{kind}/{}/", repo.name),
            upstream: CaRepository::new(
                source,
                &ctx.tokens,
                repo.repository.clone(),
                format,
                fixed_endpoint,
            ),
            namespace,
            allow_publish: m.allow_publish,
            seed: false,
            fallback: m.fallback.clone(),
            stats: Stats::default(),
            files,
        })
    }

    /// A repository of the no-config form, `/{account}/{region}/{domain}/{repo}/FORMAT/`
    /// (no publishing; no background refresher: a mistyped URL must not poll AWS forever).
    pub fn seed(
        format: Format,
        seed: &SeedParts,
        creds: CredentialCache,
        ctx: &RepoContext,
        files: F,
    ) -> Self {
        let kind = format.as_str();
        let namespace = Namespace::repository(kind, &seed.key(), &creds.spec().name);
        let source = TokenSource {
            domain: seed.domain.clone(),
            owner: seed.account.clone(),
            region: Some(seed.region.clone()),
            endpoint: ctx.codeartifact.endpoint.clone(),
            creds,
        };
        Self {
            label: format!("{kind}:{}", seed.key()),
            local_base: format!("/{}/{kind}/", seed.key()),
            upstream: CaRepository::new(source, &ctx.tokens, seed.repo.clone(), format, None),
            namespace,
            allow_publish: false,
            seed: true,
            fallback: None,
            stats: Stats::default(),
            files,
        }
    }

    /// The [`Fetch`](crate::cache::Fetch) of this mount's repository, with its
    /// token in the format's scheme.
    pub fn fetch(
        &self,
        client: &UpstreamClient,
        scheme: AuthScheme,
        redirects: Redirects,
    ) -> Arc<RepoFetch> {
        self.fetch_from(Source::Private, client, scheme, redirects)
    }

    /// [`Self::fetch`], or one without any credentials for the public registry.
    pub fn fetch_from(
        &self,
        source: Source,
        client: &UpstreamClient,
        scheme: AuthScheme,
        redirects: Redirects,
    ) -> Arc<RepoFetch> {
        Arc::new(RepoFetch {
            client: client.clone(),
            token: (source == Source::Private).then(|| (self.upstream.token.clone(), scheme)),
            redirects,
        })
    }
}

impl<F: Send + Sync> SeedMount for CaMount<F> {
    fn repository(&self) -> &CaRepository {
        &self.upstream
    }
}

/// A configured mount of one format, as [`router`] builds it.
#[derive(Debug, Clone)]
pub struct MountConfig {
    pub repository: CodeArtifactMount,
    /// The mount's fixed upstream base instead of `GetRepositoryEndpoint`.
    pub endpoint: Option<String>,
    pub allow_publish: bool,
    pub fallback: Option<PublicFallback>,
}

/// How a format answers one request under one of its mounts (`rest` is the
/// path below the mount's root).
pub type Dispatch<F> =
    fn(Arc<Mounts<F>>, Arc<CaMount<F>>, String, Request) -> BoxFuture<'static, Response>;

/// The mounts of one format on the listener, and what their handlers share.
#[derive(Debug)]
pub struct Mounts<F> {
    pub ctx: RepoContext,
    pub client: UpstreamClient,
    format: Format,
    named: HashMap<String, Arc<CaMount<F>>>,
    /// The no-config form's repositories.
    seeds: SeedTable<Arc<CaMount<F>>>,
}

impl<F> Mounts<F> {
    /// Every mount, configured ones first, each group by label.
    pub fn all(&self) -> Vec<Arc<CaMount<F>>> {
        let mut all: Vec<_> = self.named.values().cloned().collect();
        all.sort_by(|a, b| a.label.cmp(&b.label));
        let mut seed = self.seeds.working();
        seed.sort_by(|a, b| a.label.cmp(&b.label));
        all.extend(seed);
        all
    }

    /// The configured mount `/FORMAT/NAME/`.
    pub fn named(&self, name: &str) -> Option<Arc<CaMount<F>>> {
        self.named.get(name).cloned()
    }
}

impl<F: Default + Send + Sync + 'static> Mounts<F> {
    /// The configured mounts of `format` (each token kept fresh in the
    /// background) and an empty no-config table.
    pub async fn new(
        format: Format,
        configured: Vec<MountConfig>,
        ctx: &RepoContext,
    ) -> anyhow::Result<Arc<Self>> {
        let client = UpstreamClient::new(&ctx.upstream)?;
        let mut named = HashMap::new();
        for m in configured {
            let creds = ctx.mount_creds(m.repository.profile.as_deref()).await;
            let mount = CaMount::named(format, &m, creds, ctx, F::default())?;
            mount.upstream.spawn_refresher();
            named.insert(m.repository.name.clone(), Arc::new(mount));
        }
        Ok(Arc::new(Self {
            ctx: ctx.clone(),
            client,
            format,
            named,
            seeds: SeedTable::new(Instant::now()),
        }))
    }

    /// The mount of a no-config URL (see [`super::seeds`] for the limits),
    /// or the answer to the client when there is none (`404`, or `503` with
    /// `Retry-After`).
    pub async fn seed(&self, seed: &SeedParts) -> Result<Arc<CaMount<F>>, Response> {
        self.seeds
            .mount(seed, self.format, async || {
                CaMount::seed(
                    self.format,
                    seed,
                    self.ctx.mount_creds(None).await,
                    &self.ctx,
                    F::default(),
                )
            })
            .await
            .map_err(axum::response::IntoResponse::into_response)
    }
}

/// What a format says about itself on the status page.
#[derive(Debug, Clone, Copy)]
pub struct Board {
    pub title: &'static str,
    /// The table's text when no mount is configured (what to add).
    pub empty: &'static str,
}

/// The router of one format: `/FORMAT/NAME/...` for each configured mount
/// (its token kept fresh in the background) and
/// `/{account}/{region}/{domain}/{repo}/FORMAT/...` for the no-config form
/// (beside PyPI's `/{account}/{region}/{domain}/{repo}/{*rest}`: the static
/// format segment wins there), each request handed to `dispatch`.
pub async fn router<F: Default + std::fmt::Debug + Send + Sync + 'static>(
    format: Format,
    configured: Vec<MountConfig>,
    ctx: &RepoContext,
    board: Board,
    dispatch: Dispatch<F>,
) -> anyhow::Result<Router> {
    let shared = Mounts::<F>::new(format, configured, ctx).await?;
    let weak = Arc::downgrade(&shared);
    register_board(ctx, format, board, move || {
        weak.upgrade().map(|s| s.all()).unwrap_or_default()
    });
    Ok(Router::new()
        .route(
            &format!("/{}/{{name}}/{{*rest}}", format.as_str()),
            any(named_route::<F>),
        )
        .route(&seed_path(format), any(seed_route::<F>))
        .with_state(Routed { shared, dispatch }))
}

/// The no-config route of `format`, `/{account}/{region}/{domain}/{repo}/FORMAT/{*rest}`.
pub fn seed_path(format: Format) -> String {
    format!(
        "/{{account}}/{{region}}/{{domain}}/{{repo}}/{}/{{*rest}}",
        format.as_str()
    )
}

/// The state of [`router`]'s routes.
struct Routed<F> {
    shared: Arc<Mounts<F>>,
    dispatch: Dispatch<F>,
}

impl<F> Clone for Routed<F> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            dispatch: self.dispatch,
        }
    }
}

async fn named_route<F: Send + Sync + 'static>(
    State(st): State<Routed<F>>,
    Path((name, rest)): Path<(String, String)>,
    req: Request,
) -> Response {
    match st.shared.named(&name) {
        Some(m) => (st.dispatch)(st.shared.clone(), m, rest, req).await,
        None => RepoError::NotFound.into_response(),
    }
}

async fn seed_route<F: Default + Send + Sync + 'static>(
    State(st): State<Routed<F>>,
    Path((account, region, domain, repo, rest)): Path<(String, String, String, String, String)>,
    req: Request,
) -> Response {
    let seed = SeedParts {
        account,
        region,
        domain,
        repo,
    };
    match st.shared.seed(&seed).await {
        Ok(m) => (st.dispatch)(st.shared.clone(), m, rest, req).await,
        Err(refused) => refused,
    }
}

/// What the status board reads from a mount of any CodeArtifact format
/// (PyPI's mounts and every [`CaMount`]).
pub trait BoardRow: Send + Sync + 'static {
    /// `FORMAT:NAME`.
    fn label(&self) -> &str;
    fn local_base(&self) -> &str;
    fn repository(&self) -> &CaRepository;
    fn stats(&self) -> &Stats;
}

impl<F: Send + Sync + 'static> BoardRow for CaMount<F> {
    fn label(&self) -> &str {
        &self.label
    }
    fn local_base(&self) -> &str {
        &self.local_base
    }
    fn repository(&self) -> &CaRepository {
        &self.upstream
    }
    fn stats(&self) -> &Stats {
        &self.stats
    }
}

/// Health per mount (component `FORMAT`), a status table and the metric
/// families `awsproxy_FORMAT_cache`, `_requests`, `_token_refreshes` and
/// `_token_expiry_seconds`, all read from `mounts()` when asked (it returns
/// nothing once the router is gone).
pub(crate) fn register_board<M: BoardRow>(
    ctx: &RepoContext,
    format: Format,
    board: Board,
    mounts: impl Fn() -> Vec<Arc<M>> + Clone + Send + Sync + 'static,
) {
    let kind = format.as_str();
    let status = &ctx.board;
    let all = mounts.clone();
    status.add_probe(kind, move || {
        all()
            .iter()
            .map(|m| (m.label().to_owned(), m.repository().health()))
            .collect()
    });
    let all = mounts.clone();
    status.add_section(kind, move || {
        let mounts = all();
        super::repos::codeartifact_section(
            board.title,
            board.empty,
            mounts
                .iter()
                .map(|m| (m.label(), m.local_base(), m.repository())),
        )
    });
    let metrics = status.metrics(kind);
    let per_mount = |read: fn(&M) -> u64| {
        let mounts = mounts.clone();
        move || {
            mounts()
                .iter()
                .map(|m| (vec![("mount", m.label().to_owned())], read(m)))
                .collect()
        }
    };
    let all = mounts.clone();
    metrics.counters_read_at_scrape(
        &format!("awsproxy_{kind}_cache"),
        &format!("Cache results of {kind} requests (Cache-Status)"),
        move || {
            let mut values = Vec::new();
            for m in all() {
                let stats = m.stats();
                for (result, n) in [("hit", &stats.hits), ("miss", &stats.misses)] {
                    let labels = vec![("mount", m.label().to_owned()), ("result", result.into())];
                    values.push((labels, n.load(Ordering::Relaxed)));
                }
            }
            values
        },
    );
    metrics.counters_read_at_scrape(
        &format!("awsproxy_{kind}_requests"),
        &format!("Client requests per {kind} mount"),
        per_mount(|m| m.stats().requests.load(Ordering::Relaxed)),
    );
    token_metrics(&metrics, kind, mounts);
}

/// `awsproxy_FORMAT_token_refreshes` and `_token_expiry_seconds` of the
/// CodeArtifact mounts `mounts()` returns (a format that builds its own
/// status board, such as Maven's, registers these alone).
pub(crate) fn token_metrics<M: BoardRow>(
    metrics: &crate::metrics::Metrics,
    kind: &str,
    mounts: impl Fn() -> Vec<Arc<M>> + Clone + Send + Sync + 'static,
) {
    let refreshed = mounts.clone();
    metrics.counters_read_at_scrape(
        &format!("awsproxy_{kind}_token_refreshes"),
        "CodeArtifact tokens fetched",
        move || {
            refreshed()
                .iter()
                .map(|m| {
                    (
                        vec![("mount", m.label().to_owned())],
                        m.repository().token.refreshes(),
                    )
                })
                .collect()
        },
    );
    let expiry = metrics.int_gauge_family(
        &format!("awsproxy_{kind}_token_expiry_seconds"),
        "Seconds until the mount's token expires",
    );
    metrics.on_scrape(move || {
        expiry.clear();
        for m in mounts() {
            if let Some(s) = m.repository().expires_in() {
                expiry
                    .get_or_create(&vec![("mount", m.label().to_owned())])
                    .set(s);
            }
        }
    });
}

/// `http://HOST` of the client's request, for the absolute links a document
/// must carry (`None` for a missing or odd `Host`).
pub fn origin(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(HOST)?.to_str().ok()?;
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    ok.then(|| format!("http://{host}"))
}

/// Did the client ask to revalidate (`Cache-Control: no-cache` or `max-age=0`)?
pub fn wants_revalidation(headers: &HeaderMap) -> bool {
    crate::cache::policy::directives(headers)
        .iter()
        .any(|(k, v)| k == "no-cache" || (k == "max-age" && v.as_deref() == Some("0")))
}

/// `GET url` through the cache, with `accept` as the request's `Accept` and
/// `no-cache` when the client asked to revalidate.
pub async fn cached(
    ctx: &RepoContext,
    url: &Url,
    accept: Option<HeaderValue>,
    no_cache: bool,
    opts: LookupOptions,
    fetch: Arc<RepoFetch>,
) -> http::Response<Body> {
    let mut req = http::Request::new(());
    let Ok(uri) = url.as_str().parse() else {
        let mut r = http::Response::new(crate::cache::into_body(http_body_util::Empty::<
            bytes::Bytes,
        >::new()));
        *r.status_mut() = StatusCode::BAD_GATEWAY;
        return r;
    };
    *req.uri_mut() = uri;
    if let Some(a) = accept {
        req.headers_mut().insert(ACCEPT, a);
    }
    if no_cache {
        req.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    ctx.cache.handle(req, opts, fetch).await
}

/// The failure a non-`200` answer of the cache stands for.
pub fn upstream_error(resp: &http::Response<Body>) -> RepoError {
    match resp.status() {
        StatusCode::NOT_FOUND | StatusCode::GONE => RepoError::NotFound,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => RepoError::TokenRefused,
        _ if resp.extensions().get::<DowngradeRefused>().is_some() => RepoError::Upstream(
            "the repository redirected this download to plain http; awsproxy does not follow that\n",
        ),
        _ => RepoError::UpstreamFailed,
    }
}

/// A whole body, refused past `max` bytes (documents buffered to be rewritten).
pub async fn collect(mut body: Body, max: usize) -> Result<bytes::Bytes, ()> {
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ())?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > max {
                return Err(());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.into())
}

/// Copies the cache's own headers (`Cache-Status`, `Age`) and outcome from
/// `from` to the client's response.
pub fn carry_cache_status(from: &http::response::Parts, to: &mut Response) {
    for n in ["cache-status", "age"] {
        if let Some(v) = from.headers.get(n) {
            to.headers_mut().insert(n, v.clone());
        }
    }
    if let Some(s) = from.extensions.get::<CacheStatus>() {
        to.extensions_mut().insert(*s);
    }
}

/// A file from the cache (a `200`, or a `206`/`416` for a `Range`),
/// streamed, with only its validators, length, range and cache headers
/// (nothing else the upstream sent reaches the client).
pub fn file_response(resp: http::Response<Body>, content_type: &'static str) -> Response {
    let (parts, body) = resp.into_parts();
    let mut r = Response::new(AxumBody::new(body));
    *r.status_mut() = parts.status;
    for n in [
        "content-length",
        "etag",
        "last-modified",
        "content-range",
        "accept-ranges",
    ] {
        if let Some(v) = parts.headers.get(n) {
            r.headers_mut().insert(n, v.clone());
        }
    }
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    carry_cache_status(&parts, &mut r);
    r
}

/// The checks before a publish (a PyPI upload, an npm or Cargo publish): not
/// from a web page, the mount's opt-in (`setting` names it, e.g.
/// `allow_upload` on `[[repos.pypi]]`), credentials of some kind. `Some` is
/// the refusal.
pub fn publish_refusal<M: BoardRow>(
    mount: &M,
    allowed: bool,
    headers: &HeaderMap,
    setting: &'static str,
) -> Option<Response> {
    let refusal = match check_publish(headers) {
        Err(r @ RepoError::PublishFromBrowser) => r,
        _ if !allowed => RepoError::PublishOff { setting },
        Err(r) => r,
        Ok(()) => return None,
    };
    tracing::info!(mount = %mount.label(), ?refusal, "publish refused");
    Some(refusal.into_response())
}

/// Streams the client's request body to `url` with `method` and the token
/// (the client's own `Authorization` is dropped), keeping only its
/// `Content-Type` and length. The upstream's answer is reduced to its status:
/// `Ok(status)` for a success (the caller words it), a [`RepoError`] answer
/// otherwise, so nothing the repository said reaches the client.
pub async fn publish_upstream<M: BoardRow>(
    client: &UpstreamClient,
    mount: &M,
    method: Method,
    url: &Url,
    scheme: AuthScheme,
    req: Request,
) -> Result<StatusCode, Response> {
    let Ok(uri) = url.as_str().parse::<http::Uri>() else {
        return Err(RepoError::Upstream("bad repository endpoint\n").into_response());
    };
    let Ok(token) = mount.repository().token.get().await else {
        return Err(RepoError::NoToken.into_response());
    };
    let (parts, body) = req.into_parts();
    let mut out = http::Request::new(crate::net::streamed(body));
    *out.method_mut() = method;
    *out.uri_mut() = uri;
    for name in [
        CONTENT_TYPE,
        http::header::CONTENT_LENGTH,
        http::header::TRANSFER_ENCODING,
    ] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out.headers_mut()
        .insert(http::header::AUTHORIZATION, scheme.header(&token));
    match client.send(out).await {
        Ok(resp) => {
            let status = resp.status();
            tracing::debug!(mount = %mount.label(), %status, "publish");
            if status.is_success() {
                Ok(status)
            } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                Err(RepoError::TokenRefused.into_response())
            } else if status.is_client_error() {
                Err(
                    RepoError::Other(status, "the repository rejected the publish\n")
                        .into_response(),
                )
            } else {
                Err(RepoError::UpstreamFailed.into_response())
            }
        }
        Err(e) => {
            tracing::debug!(mount = %mount.label(), error = %e, "publish failed");
            Err(RepoError::Unreachable.into_response())
        }
    }
}

/// A publish's success as JSON (`body`), with the repository's status.
pub fn published_json(status: StatusCode, body: &'static str) -> Response {
    let mut r = RepoError::Other(status, body).into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_use_a_plain_host_header_only() {
        let with = |host: &str| {
            let mut h = HeaderMap::new();
            h.insert(HOST, HeaderValue::from_str(host).unwrap());
            origin(&h)
        };
        assert_eq!(
            with("127.0.0.1:9000").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(with("[::1]:9000").as_deref(), Some("http://[::1]:9000"));
        for bad in ["evil.example/x", "a@b", "a\"b", ""] {
            assert_eq!(with(bad), None, "{bad}");
        }
        assert_eq!(origin(&HeaderMap::new()), None);
    }

    #[test]
    fn revalidation_is_no_cache_or_max_age_zero() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(CACHE_CONTROL, HeaderValue::from_static(v));
            wants_revalidation(&h)
        };
        assert!(with("no-cache"));
        assert!(with("max-age=0"));
        assert!(!with("max-age=60"));
        assert!(!wants_revalidation(&HeaderMap::new()));
    }
}
