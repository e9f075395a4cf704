//! Maven repositories on the repository listener: S3 buckets (this module),
//! and CodeArtifact repositories ([`codeartifact`]), both at `/maven/NAME/`;
//! CodeArtifact ones also without config.
//!
//! | route                        | what                                                        |
//! |------------------------------|-------------------------------------------------------------|
//! | `GET/HEAD /maven/NAME/PATH`  | the object `prefix/PATH` (cached; `Range` read from S3)       |
//! | `GET/HEAD /maven/NAME/DIR/`  | HTML listing of `prefix/DIR/` (ListObjectsV2, delimiter `/`)  |
//! | `PUT /maven/NAME/PATH`       | upload (`mvn deploy`) when the mount has `allow_deploy = true` and the request has credentials and no sign of a browser (see [`check_publish`]); else 405 |
//! | `/maven/NAME`                | redirect to `/maven/NAME/`                                   |
//! | `/{account}/{region}/{domain}/{repo}/maven/PATH` | a CodeArtifact repository without config: the same as a CodeArtifact mount, credentials from the default chain, `PUT` refused (`403`: the no-config form never deploys; see [`super::seeds`]) |
//!
//! Paths are validated by [`crate::maven::path::RepoPath`] (400 before any S3
//! call). Release files are cached forever, checked against their `.sha256` (or
//! `.sha1`) sidecar before the cache commits them; `maven-metadata.xml` and
//! `-SNAPSHOT` paths are revalidated with a conditional GET on every request.
//! Each mount's S3 client signs with the credentials core's cache for its
//! profile, so a new `awsproxy sso login` is used by the next request.
//!
//! Errors: missing -> 404; S3 access denied -> 502; SSO session expired -> 503
//! saying to run `awsproxy sso login` (cached release files are still served:
//! they need no S3 call); S3 unreachable -> 502. Bodies are [`RepoError`]'s
//! fixed words (see [`fetch::s3_error`]): the bucket, key and S3 error code go
//! to the log and `/healthz`, never to a client.

mod codeartifact;
mod fetch;
mod s3;
mod upstream;

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::routing::any;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use http_body_util::BodyExt as _;

use self::fetch::ObjectFetch;
use self::s3::{Mount, S3Failure, text};
use super::ca_mount::seed_path;
use super::repo_error::RepoError;
use super::repos::{RepoContext, check_publish};
use super::seeds::SeedParts;
use super::status::{Health, Section};
use crate::cache::tee::{Spill, SpillError};
use crate::cache::{Body, CachePolicy, HttpCache, LookupOptions, UpstreamAuth};
use crate::codeartifact::endpoint::Format;
use crate::config::MavenMount;
use crate::creds::{CredentialCache, CredsError};
use crate::maven::content;
use crate::maven::path::RepoPath;
use crate::metrics::CounterFamily;

/// Cache-Control of release files (never change once published).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of metadata and snapshots: stored, revalidated every time.
const REVALIDATE: &str = "no-cache";

/// Knobs the tests turn.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Keys per ListObjectsV2 page (S3's maximum is 1000).
    pub list_page_size: i32,
    /// Pages read for one listing before it is cut short.
    pub max_list_pages: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            list_page_size: 1000,
            max_list_pages: 50,
        }
    }
}

#[derive(Debug)]
struct Shared {
    mounts: HashMap<String, Arc<Mount>>,
    /// CodeArtifact mounts, configured and no-config ([`codeartifact`]).
    ca: Arc<codeartifact::CaMavens>,
    cache: HttpCache,
    tuning: Tuning,
    requests: CounterFamily,
}

/// The `/maven/NAME/` routes of every mount, with credentials from `ctx.creds`.
pub async fn router(mounts: &[MavenMount], ctx: &RepoContext) -> anyhow::Result<Router> {
    let mut with_creds = Vec::new();
    for m in mounts {
        let creds = ctx.creds.profile(m.profile.as_deref()).await;
        with_creds.push((m.clone(), creds));
    }
    router_with(with_creds, ctx, Tuning::default()).await
}

/// Like [`router`], with each mount's credentials cache given (tests hand in a
/// cache over their own provider) and tuning.
pub async fn router_with(
    mounts: Vec<(MavenMount, CredentialCache)>,
    ctx: &RepoContext,
    tuning: Tuning,
) -> anyhow::Result<Router> {
    // What `serve` resolved from `[proxy] upstream_ca` and `upstream_proxy`,
    // built only when some mount has an upstream.
    let outbound = if mounts.iter().any(|(m, _)| m.upstream.is_some()) {
        Some(crate::net::UpstreamClient::new(&ctx.upstream)?)
    } else {
        None
    };
    let configs: Vec<MavenMount> = mounts.iter().map(|(m, _)| m.clone()).collect();
    let ca = Box::pin(codeartifact::mounts(&configs, ctx)).await?;
    let mut built = HashMap::new();
    for (m, creds) in mounts {
        if m.bucket.is_some() {
            let mount = build_mount(&m, creds, outbound.as_ref()).await;
            built.insert(m.name.clone(), Arc::new(mount));
        }
    }
    let requests = register_status(ctx, &built, Arc::downgrade(&ca));
    let shared = Arc::new(Shared {
        mounts: built,
        ca,
        cache: ctx.cache.clone(),
        tuning,
        requests,
    });
    Ok(Router::new()
        .route("/maven/{*rest}", any(handle))
        .route(&seed_path(Format::Maven), any(handle_seed))
        .with_state(shared))
}

/// One configured mount with its S3 client and, when it has one, its upstream.
async fn build_mount(
    m: &MavenMount,
    creds: CredentialCache,
    outbound: Option<&crate::net::UpstreamClient>,
) -> Mount {
    let client = s3::client(m, &creds).await;
    let upstream = m
        .upstream
        .as_deref()
        .zip(outbound)
        .map(|(base, c)| upstream::Upstream::new(base, c.clone()));
    Mount {
        namespace: crate::cache::key::Namespace::repository("maven", &m.name, &creds.spec().name),
        name: m.name.clone(),
        bucket: m.bucket.clone().unwrap_or_default(),
        prefix: m.prefix.trim_matches('/').to_owned(),
        profile: m.profile.clone(),
        client,
        creds,
        upstream,
        allow_deploy: m.allow_deploy,
        verifiers: Mutex::new(lru::LruCache::new(
            NonZeroUsize::new(10_000).unwrap_or(NonZeroUsize::MIN),
        )),
        last_error: Mutex::new(None),
        write_back: m.write_back,
    }
}

/// Adds the mounts' metrics, status table and health probes to the status
/// board; returns the request counter.
fn register_status(
    ctx: &RepoContext,
    built: &HashMap<String, Arc<Mount>>,
    ca: Weak<codeartifact::CaMavens>,
) -> CounterFamily {
    // One handle: asking the board again would drop what this one registered.
    let metrics = ctx.board.metrics("maven");
    let requests = metrics.counter_family(
        "awsproxy_maven_requests",
        "Requests to Maven mounts, by mount and response status class",
    );
    let mut sorted: Vec<Arc<Mount>> = built.values().cloned().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    // Configured CodeArtifact mounts, then the no-config ones that work.
    let ca_all = move || ca.upgrade().map(|c| c.all()).unwrap_or_default();
    crate::services::ca_mount::token_metrics(&metrics, "maven", ca_all.clone());
    let (table_mounts, table_ca) = (sorted.clone(), ca_all.clone());
    ctx.board
        .add_section("maven", move || mounts_section(&table_mounts, &table_ca()));
    ctx.board.add_probe("maven", move || {
        let mut all = probes(&sorted);
        all.extend(
            ca_all()
                .iter()
                .map(|m| (m.label.clone(), m.upstream.health())),
        );
        all
    });
    requests
}

/// The status page's table of mounts.
fn mounts_section(mounts: &[Arc<Mount>], ca: &[Arc<codeartifact::CaMaven>]) -> Section {
    Section {
        title: "Maven mounts".to_owned(),
        columns: ["mount", "location", "profile", "state"]
            .map(str::to_owned)
            .to_vec(),
        rows: mounts
            .iter()
            .map(|m| {
                vec![
                    format!("/maven/{}/", m.name),
                    m.location(&m.prefix),
                    m.profile
                        .clone()
                        .unwrap_or_else(|| "(default chain)".to_owned()),
                    m.last_error().unwrap_or_else(|| "ok".to_owned()),
                ]
            })
            .chain(ca.iter().map(|m| {
                let [expires, state] = m.upstream.status_cells();
                vec![
                    m.local_base.clone(),
                    format!(
                        "CodeArtifact {}/{}",
                        m.upstream.domain, m.upstream.repository
                    ),
                    m.upstream.identity().to_owned(),
                    if state == "ok" {
                        format!("ok (token expires in {expires})")
                    } else {
                        state
                    },
                ]
            }))
            .collect(),
        note: None,
        empty: "No Maven mounts configured. Add a `[[repos.maven]]` section (`name` and `bucket`, or `domain`, `domain_owner` and `repository` for CodeArtifact) to the configuration; see the README's Maven section.",
    }
}

/// One health probe per mount: its last S3 error, if any.
fn probes(mounts: &[Arc<Mount>]) -> Vec<(String, Health)> {
    mounts
        .iter()
        .map(|m| {
            let health = match m.last_error() {
                None => Health::Healthy,
                Some(reason) => Health::Unhealthy { reason },
            };
            (format!("maven:{}", m.name), health)
        })
        .collect()
}

async fn handle(State(st): State<Arc<Shared>>, req: Request) -> Response<axum::body::Body> {
    let raw = req.uri().path().to_owned();
    let rest = raw.strip_prefix("/maven/").unwrap_or_default();
    let (name, sub) = match rest.split_once('/') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if let Some(m) = st.ca.named(name) {
        return serve_ca(&st, &m, sub, req).await;
    }
    let Some(mount) = st.mounts.get(name).cloned() else {
        tracing::debug!(mount = %name, "no such Maven mount");
        return finish(error(RepoError::NotFound));
    };
    let resp = serve(&st, &mount, sub, req).await;
    let class = format!("{}xx", resp.status().as_u16() / 100);
    st.requests
        .get_or_create(&vec![("mount", mount.name.clone()), ("status", class)])
        .inc();
    finish(resp)
}

/// `/{account}/{region}/{domain}/{repo}/maven/PATH`: the no-config form of a
/// CodeArtifact mount (never deploys), `PATH` taken undecoded as for `/maven/NAME/`.
async fn handle_seed(
    State(st): State<Arc<Shared>>,
    Path((account, region, domain, repo, _)): Path<(String, String, String, String, String)>,
    req: Request,
) -> Response<axum::body::Body> {
    let seed = SeedParts {
        account,
        region,
        domain,
        repo,
    };
    let m = match st.ca.seed(&seed).await {
        Ok(m) => m,
        Err(refused) => return refused,
    };
    let raw = req.uri().path().to_owned();
    let sub = raw.splitn(7, '/').nth(6);
    serve_ca(&st, &m, sub, req).await
}

async fn serve_ca(
    st: &Shared,
    m: &Arc<codeartifact::CaMaven>,
    sub: Option<&str>,
    req: Request,
) -> Response<axum::body::Body> {
    let resp = codeartifact::serve(&st.ca, m, sub, req).await;
    let class = format!("{}xx", resp.status().as_u16() / 100);
    st.requests
        .get_or_create(&vec![("mount", m.name().to_owned()), ("status", class)])
        .inc();
    finish(resp)
}

fn finish(resp: Response<Body>) -> Response<axum::body::Body> {
    resp.map(axum::body::Body::new)
}

/// A [`RepoError`] as the mounts' responses are typed.
fn error(e: RepoError) -> Response<Body> {
    axum::response::IntoResponse::into_response(e).map(crate::net::boxed)
}

/// What a request to a mount asks for, decided from its path and method alone.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// `/maven/NAME` without the slash.
    Redirect,
    BadPath(String),
    Deploy(RepoPath),
    /// A method the mount does not take.
    NotAllowed,
    Listing {
        path: RepoPath,
        head: bool,
    },
    Object {
        path: RepoPath,
        head: bool,
    },
}

fn route(allow_deploy: bool, sub: Option<&str>, method: &Method) -> Route {
    let Some(sub) = sub else {
        return Route::Redirect;
    };
    let path = match RepoPath::parse(sub) {
        Ok(p) => p,
        Err(e) => return Route::BadPath(e.to_string()),
    };
    let head = *method == Method::HEAD;
    match *method {
        Method::GET | Method::HEAD if path.directory => Route::Listing { path, head },
        Method::GET | Method::HEAD => Route::Object { path, head },
        Method::PUT if allow_deploy && !path.directory => Route::Deploy(path),
        _ => Route::NotAllowed,
    }
}

async fn serve(st: &Shared, m: &Arc<Mount>, sub: Option<&str>, req: Request) -> Response<Body> {
    match route(m.allow_deploy, sub, req.method()) {
        Route::Redirect => redirect(&format!("/maven/{}/", m.name)),
        Route::BadPath(e) => {
            tracing::debug!(mount = %m.name, reason = %e, "bad path");
            error(RepoError::BadPath)
        }
        Route::Deploy(path) => {
            if let Err(r) = check_publish(req.headers()) {
                tracing::info!(mount = %m.name, refusal = r.as_str(), "deploy refused");
                return r.response();
            }
            deploy(m, &path, req).await
        }
        Route::NotAllowed => not_allowed(m.allow_deploy, req.method()),
        Route::Listing { path, head } => {
            if let Err(e) = m.creds.get().await {
                return creds_failure(m, &e);
            }
            listing(st, m, &path, head).await
        }
        Route::Object { path, head } => object(st, m, &path, head, req).await,
    }
}

/// A redirect to the mount's root (`base` ends in `/`).
fn redirect(base: &str) -> Response<Body> {
    let mut resp = text(StatusCode::PERMANENT_REDIRECT, format!("{base}\n"));
    if let Ok(v) = HeaderValue::from_str(base) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

fn not_allowed(allow_deploy: bool, method: &Method) -> Response<Body> {
    let allow = if allow_deploy {
        "GET, HEAD, PUT"
    } else {
        "GET, HEAD"
    };
    let e = if allow_deploy || *method != Method::PUT {
        RepoError::MethodNotAllowed
    } else {
        RepoError::Other(
            StatusCode::METHOD_NOT_ALLOWED,
            "uploads are off for this mount (set `allow_deploy = true` on its [[repos.maven]] mount)\n",
        )
    };
    let mut resp = error(e);
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    resp
}

/// How a file of a mount is served and cached, decided from its path alone.
#[derive(Debug, PartialEq, Eq)]
struct ObjectPlan {
    key: String,
    /// The path inside the repository (sidecars are looked up beside it).
    repo_path: String,
    content_type: &'static str,
    /// `maven-metadata.xml` and snapshots: revalidated on every request.
    mutable: bool,
    /// Look up the `.sha256`/`.sha1` sidecar to check the body against.
    wants_verifier: bool,
    write_back: bool,
}

impl ObjectPlan {
    fn new(prefix: &str, write_back: bool, path: &RepoPath, head: bool) -> Self {
        let file = path.file_name().unwrap_or_default();
        let mutable = content::is_mutable(path.segments());
        let sidecar = content::is_sidecar(file);
        Self {
            key: path.key(prefix),
            repo_path: path.segments().join("/"),
            content_type: content::content_type(file),
            mutable,
            wants_verifier: !(mutable || sidecar || head),
            write_back: write_back && !mutable,
        }
    }

    fn cache_control(&self) -> &'static str {
        if self.mutable { REVALIDATE } else { IMMUTABLE }
    }
}

/// The `Range` a `GET` asks for (a `HEAD` is answered whole).
fn range_of(req: &Request, head: bool) -> Option<&str> {
    if head {
        return None;
    }
    req.headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
}

async fn object(
    st: &Shared,
    m: &Arc<Mount>,
    path: &RepoPath,
    head: bool,
    req: Request,
) -> Response<Body> {
    let plan = ObjectPlan::new(&m.prefix, m.write_back, path, head);
    if let Some(range) = range_of(&req, head) {
        if let Err(e) = m.creds.get().await {
            return creds_failure(m, &e);
        }
        return match m.ranged(&plan.key, range, plan.content_type).await {
            Ok(resp) => resp,
            Err(f) => fetch::failure_response(m, &plan.key, &f),
        };
    }
    let verify = if plan.wants_verifier {
        match m.verifier(&plan.key, &plan.repo_path).await {
            Ok(v) => v,
            Err(f) => return fetch::failure_response(m, &plan.key, &f),
        }
    } else {
        None
    };
    let opts = LookupOptions {
        namespace: m.namespace.clone(),
        upstream_auth: UpstreamAuth::Service,
        policy: CachePolicy::Standard,
        verify: verify.clone(),
        immutable: !plan.mutable,
        // Neither S3 nor the upstream's answer says how long to keep a file:
        // metadata is stale at once (revalidated on each request), releases never.
        default_max_age: Some(if plan.mutable {
            Duration::ZERO
        } else {
            crate::cache::IMMUTABLE_MAX_AGE
        }),
        ..LookupOptions::default()
    };
    let cache_control = plan.cache_control();
    let fetch = Arc::new(ObjectFetch {
        mount: m.clone(),
        key: plan.key,
        path: plan.repo_path,
        content_type: plan.content_type,
        write_back: plan.write_back,
        verify,
    });
    let Ok(creq) = http::Request::builder()
        .method(req.method().clone())
        .uri(cache_url(m, path))
        .body(())
    else {
        return error(RepoError::BadPath);
    };
    let mut resp = st.cache.handle(creq, opts, fetch).await;
    // What clients may do with the file is the mount's to say, whatever the
    // cache stored (refusals keep their own `no-store`).
    if resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED {
        resp.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
    }
    conditional(req.headers(), resp)
}

/// The cache's URL for a mount's object: one host per bucket, the S3 key as path.
fn cache_url(m: &Mount, path: &RepoPath) -> String {
    let mut url = format!("http://{}.s3.maven.awsproxy/", m.bucket);
    let mut segments: Vec<&str> = Vec::new();
    if !m.prefix.is_empty() {
        segments.extend(m.prefix.split('/'));
    }
    segments.extend(path.segments().iter().map(String::as_str));
    let encoded: Vec<String> = segments
        .iter()
        .map(|s| url::form_urlencoded::byte_serialize(s.as_bytes()).collect())
        .collect();
    url.push_str(&encoded.join("/"));
    url
}

fn creds_failure(m: &Mount, e: &CredsError) -> Response<Body> {
    match e {
        CredsError::LoginRequired { .. } => {
            let f = S3Failure::LoginRequired {
                detail: e.to_string(),
            };
            m.record(Some(&f));
            fetch::failure_response(m, "", &f)
        }
        _ => {
            tracing::warn!(mount = %m.name, code = e.code(), error = %e, "no credentials for a Maven mount");
            m.record(Some(&S3Failure::Other {
                detail: e.to_string(),
            }));
            error(RepoError::Upstream(
                "no AWS credentials for the mount's profile (run `awsproxy doctor`)\n",
            ))
        }
    }
}

/// Answers a client's `If-None-Match` / `If-Modified-Since` against a `200`.
fn conditional(req: &HeaderMap, resp: Response<Body>) -> Response<Body> {
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let etag = resp
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(|t| t.trim_start_matches("W/").to_owned());
    let inm: Vec<&str> = req
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .collect();
    let not_modified = if inm.is_empty() {
        let since = req
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(http_date);
        let modified = resp
            .headers()
            .get(header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
            .and_then(http_date);
        matches!((since, modified), (Some(s), Some(m)) if m <= s)
    } else {
        inm.iter().any(|t| *t == "*" || Some(*t) == etag.as_deref())
    };
    if !not_modified {
        return resp;
    }
    // Dropping the body lets a filling cache entry finish in the background.
    let (parts, _body) = resp.into_parts();
    let mut out = Response::new(crate::net::empty());
    *out.status_mut() = StatusCode::NOT_MODIFIED;
    for name in [
        header::ETAG,
        header::LAST_MODIFIED,
        header::CACHE_CONTROL,
        header::DATE,
    ] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    if let Some(v) = parts.headers.get("cache-status") {
        out.headers_mut().insert("cache-status", v.clone());
    }
    if let Some(status) = parts.extensions.get::<crate::cache::CacheStatus>() {
        out.extensions_mut().insert(*status);
    }
    out
}

fn http_date(v: &str) -> Option<i64> {
    aws_smithy_types::DateTime::from_str(v, aws_smithy_types::date_time::Format::HttpDate)
        .ok()
        .map(|d| d.secs())
}

async fn listing(st: &Shared, m: &Arc<Mount>, path: &RepoPath, head: bool) -> Response<Body> {
    let prefix = path.key(&m.prefix);
    // The mount's root lists `prefix/` (or the bucket's root when there is no prefix).
    let prefix = if prefix == "/" { String::new() } else { prefix };
    let (entries, truncated) = match m
        .list(&prefix, st.tuning.list_page_size, st.tuning.max_list_pages)
        .await
    {
        Ok(l) => l,
        Err(f) => return fetch::failure_response(m, &prefix, &f),
    };
    let root = path.segments().is_empty();
    if entries.is_empty() && !root {
        tracing::debug!(location = %m.location(&prefix), "nothing to list");
        return error(RepoError::NotFound);
    }
    let mut title = format!("/maven/{}/", m.name);
    for s in path.segments() {
        title.push_str(s);
        title.push('/');
    }
    let page = crate::maven::listing::render(&title, &entries, !root, truncated);
    let len = page.len();
    let body = if head {
        crate::net::empty()
    } else {
        crate::net::full(page)
    };
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// `PUT` (`mvn deploy`): spills the body to a temp file, then one `PutObject`.
async fn deploy(m: &Arc<Mount>, path: &RepoPath, req: Request) -> Response<Body> {
    if let Err(e) = m.creds.get().await {
        return creds_failure(m, &e);
    }
    let key = path.key(&m.prefix);
    let file = path.file_name().unwrap_or_default();
    let body = req
        .into_body()
        .map_err(crate::cache::BoxError::from)
        .boxed_unsync();
    let (spill_path, len) = match Spill::read_all(body).await {
        Ok(spilled) => spilled,
        Err(SpillError::Body(e)) => {
            tracing::debug!(mount = %m.name, error = %e, "the upload body failed");
            return error(RepoError::Other(
                StatusCode::BAD_REQUEST,
                "the upload body could not be read\n",
            ));
        }
        Err(SpillError::File(e)) => {
            tracing::warn!(error = %e, "cannot write an upload spill file");
            return error(RepoError::Other(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot buffer the upload\n",
            ));
        }
    };
    match m
        .put_file(&key, &spill_path, len, content::content_type(file))
        .await
    {
        Ok(()) => {
            m.forget_verifier(&key);
            text(
                StatusCode::CREATED,
                format!("stored {}\n", m.location(&key)),
            )
        }
        Err(f) => fetch::failure_response(m, &key, &f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(raw: &str) -> RepoPath {
        RepoPath::parse(raw).expect("valid path")
    }

    #[test]
    fn routes_follow_path_and_method() {
        assert_eq!(route(false, None, &Method::GET), Route::Redirect);
        assert!(matches!(
            route(false, Some("a/../b"), &Method::GET),
            Route::BadPath(_)
        ));
        assert_eq!(
            route(false, Some("org/x/"), &Method::HEAD),
            Route::Listing {
                path: path("org/x/"),
                head: true
            }
        );
        assert_eq!(
            route(false, Some("org/x/1/x-1.jar"), &Method::GET),
            Route::Object {
                path: path("org/x/1/x-1.jar"),
                head: false
            }
        );
        assert_eq!(
            route(true, Some("org/x/1/x-1.jar"), &Method::PUT),
            Route::Deploy(path("org/x/1/x-1.jar"))
        );
        assert_eq!(
            route(false, Some("org/x/1/x-1.jar"), &Method::PUT),
            Route::NotAllowed
        );
        assert_eq!(route(true, Some("org/x/"), &Method::PUT), Route::NotAllowed);
        assert_eq!(
            route(true, Some("org/x/1/x-1.jar"), &Method::DELETE),
            Route::NotAllowed
        );
    }

    #[test]
    fn releases_are_verified_and_written_back_metadata_is_not() {
        let release = ObjectPlan::new("repo", true, &path("org/x/1/x-1.jar"), false);
        assert_eq!(release.key, "repo/org/x/1/x-1.jar");
        assert_eq!(release.repo_path, "org/x/1/x-1.jar");
        assert!(release.wants_verifier && release.write_back && !release.mutable);
        assert_eq!(release.cache_control(), IMMUTABLE);

        let head = ObjectPlan::new("repo", true, &path("org/x/1/x-1.jar"), true);
        assert!(!head.wants_verifier);

        let meta = ObjectPlan::new("", true, &path("org/x/maven-metadata.xml"), false);
        assert!(meta.mutable && !meta.wants_verifier && !meta.write_back);
        assert_eq!(meta.cache_control(), REVALIDATE);

        let sidecar = ObjectPlan::new("", false, &path("org/x/1/x-1.jar.sha1"), false);
        assert!(!sidecar.wants_verifier && !sidecar.write_back);
    }
}
