//! The requests of one mount: index pages (fetched through the cache, then
//! rewritten for the client), files (only those a rewritten page lists,
//! verified against the `#sha256=` the proxy saw on the page), the public-index fallback and uploads.

use crate::services::repo_error::RepoError;
use std::sync::Arc;

use axum::body::Body as AxumBody;
use axum::extract::Request;
use axum::response::Response;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, LOCATION, VARY};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt as _;
use url::Url;

use super::metadata::{MetadataFetch, Wheel, extract_later};
use super::mount::PypiRepo;
use super::{PypiShared, is_read};
use crate::cache::{Body, CachePolicy, CacheStatus, Fetch, LookupOptions, UpstreamAuth, Verifier};
use crate::codeartifact::fetch::{AuthScheme, DowngradeRefused, Redirects, RepoFetch};
use crate::pypi::files::{link_path, upstream_url};
use crate::pypi::json;
use crate::pypi::names::normalize;
use crate::pypi::page::Page;
use crate::pypi::rewrite::{LinkMap, Refused, fallback_maps, rewrite_page};
use axum::response::IntoResponse as _;

/// Index pages larger than this are refused (they are buffered to be rewritten).
const MAX_PAGE: usize = 64 << 20;
/// What a client that names no format gets: PEP 503 HTML, which every client reads.
const DEFAULT_ACCEPT: &str = "application/vnd.pypi.simple.v1+html, text/html;q=0.5";
const JSON_ACCEPT: &str = "application/vnd.pypi.simple.v1+json";

/// Routes `rest` (the path under the mount) of a request.
pub async fn dispatch(st: &PypiShared, mount: Arc<PypiRepo>, rest: &str, req: Request) -> Response {
    if !is_read(req.method()) {
        return RepoError::MethodNotAllowed.into_response();
    }
    if !path_safe(rest) {
        return RepoError::BadPath.into_response();
    }
    let head = req.method() == Method::HEAD;
    let page = PageRequest {
        accept: req.headers().get(ACCEPT).cloned(),
        refresh: Refresh::asked(req.headers()),
    };
    let ranges = file_ranges(req.headers(), head);
    let parts: Vec<&str> = rest.split('/').collect();
    let resp = match parts.as_slice() {
        ["simple", ""] => index(st, &mount, None, page).await,
        ["simple", pkg, ""] => index(st, &mount, Some(&normalize(pkg)), page).await,
        ["simple", pkg] => redirect(&format!("{}simple/{}/", mount.local_base, normalize(pkg))),
        ["+f", pkg, rest @ ..] if !rest.is_empty() => {
            private_file(st, &mount, &normalize(pkg), &rest.join("/"), ranges).await
        }
        ["+fb", pkg, scheme, authority, rest @ ..] if !rest.is_empty() => {
            fallback_file(
                st,
                &mount,
                &normalize(pkg),
                scheme,
                authority,
                &rest.join("/"),
                ranges,
            )
            .await
        }
        _ => RepoError::NotFound.into_response(),
    };
    // Once per client request, by the page or file it got.
    mount.stats.record(CacheStatus::of(&resp));
    if head {
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, AxumBody::empty());
    }
    resp
}

/// No empty, `.` or `..` segments, no backslashes or encoded dots and slashes.
fn path_safe(rest: &str) -> bool {
    let lower = rest.to_ascii_lowercase();
    !rest.contains('\\')
        && !lower.contains("%2e")
        && !lower.contains("%2f")
        && !lower.contains("%5c")
        && rest.split('/').enumerate().all(|(i, s)| {
            let last = i + 1 == rest.split('/').count();
            (last || !s.is_empty()) && s != "." && s != ".."
        })
}

/// What a client asked of an index page: its format and how fresh.
#[derive(Debug, Clone, Default)]
struct PageRequest {
    accept: Option<HeaderValue>,
    refresh: Refresh,
}

impl PageRequest {
    /// PEP 691 JSON (made from HTML when the upstream has only that).
    fn wants_json(&self) -> bool {
        canonical_accept(self.accept.as_ref()) == JSON_ACCEPT
    }
}

/// The format a page goes to the client in, and the project it is of
/// (`None`: the project list).
#[derive(Debug, Clone, Copy)]
struct Want<'a> {
    json: bool,
    project: Option<&'a str>,
}

/// Whether a stored index page may be served as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Refresh {
    /// While it is fresh.
    #[default]
    IfStale,
    /// A revalidated copy, as pip asks for every page (`max-age=0` to the
    /// cache): within the mount's `stale_while_revalidate` window past its
    /// freshness the stored page is served at once and refreshed in the
    /// background; past it (or with the window off), revalidated first.
    Soon,
    /// Only after revalidating it upstream (`no-cache` to the cache): the
    /// client's `no-cache`, and a page stored before an upload through the mount.
    Now,
}

impl Refresh {
    /// What the client asked for: [`Refresh::Now`] for `Cache-Control:
    /// no-cache` or `Pragma: no-cache`, [`Refresh::Soon`] for `max-age=0`.
    /// The mount builds its own request to the cache, so this is the one
    /// thing of the client's caching headers it passes on.
    fn asked(headers: &HeaderMap) -> Self {
        let directives = crate::cache::policy::directives(headers);
        let no_cache = directives.iter().any(|(k, _)| k == "no-cache");
        let max_age_0 = directives
            .iter()
            .any(|(k, v)| k == "max-age" && v.as_deref().is_some_and(|v| v.trim() == "0"));
        let pragma = headers
            .get_all(http::header::PRAGMA)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().contains("no-cache"));
        if no_cache || pragma {
            Self::Now
        } else if max_age_0 {
            Self::Soon
        } else {
            Self::IfStale
        }
    }

    /// The `Cache-Control` of the mount's request to the cache.
    fn cache_control(self) -> Option<HeaderValue> {
        match self {
            Self::IfStale => None,
            Self::Soon => Some(HeaderValue::from_static("max-age=0")),
            Self::Now => Some(HeaderValue::from_static("no-cache")),
        }
    }
}

fn redirect(to: &str) -> Response {
    let mut r = Response::new(AxumBody::empty());
    *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// Keeps the cache's [`CacheStatus`] on the response built for the client.
fn carry_status(r: &mut Response, from: &http::response::Parts) {
    if let Some(status) = from.extensions.get::<CacheStatus>() {
        r.extensions_mut().insert(*status);
    }
}

/// Headers a client may see from an upstream response.
fn client_headers(from: &HeaderMap, file: bool) -> HeaderMap {
    let mut out = HeaderMap::new();
    let mut names = vec!["content-type", "cache-status", "age"];
    if file {
        names.extend([
            "content-length",
            "etag",
            "last-modified",
            "content-range",
            "accept-ranges",
        ]);
    }
    for n in names {
        if let Some(v) = from.get(n) {
            out.insert(n, v.clone());
        }
    }
    out
}

/// What an upstream request fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fetched {
    /// An index page (short-lived when the upstream names no lifetime).
    Page,
    /// A file (redirects to blob storage followed).
    File,
}

/// Which repository an upstream request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repository {
    /// The mount's CodeArtifact repository, with its token.
    Private,
    /// The public index of `fallback = "missing"`, without one.
    Public,
}

fn upstream(
    st: &PypiShared,
    mount: &PypiRepo,
    fetched: Fetched,
    repo: Repository,
) -> Arc<RepoFetch> {
    Arc::new(RepoFetch {
        client: st.client.clone(),
        token: (repo == Repository::Private)
            .then(|| (mount.upstream.token.clone(), AuthScheme::BasicAws)),
        redirects: if fetched == Fetched::Page {
            Redirects::PassOn
        } else {
            Redirects::Follow
        },
    })
}

/// A page rewritten for the client: its headers and body, and the cache's
/// outcome for the page it came from.
struct ClientPage {
    headers: HeaderMap,
    body: Vec<u8>,
    status: Option<CacheStatus>,
}

impl ClientPage {
    fn into_response(self) -> Response {
        let mut r = Response::new(AxumBody::from(self.body));
        *r.headers_mut() = self.headers;
        if let Some(status) = self.status {
            r.extensions_mut().insert(status);
        }
        r
    }
}

/// A page from the private repository (`pkg` `None`: the project list).
async fn index(
    st: &PypiShared,
    mount: &PypiRepo,
    pkg: Option<&str>,
    page: PageRequest,
) -> Response {
    match private_page(st, mount, pkg, page).await {
        Ok(page) => page.into_response(),
        Err(resp) => resp,
    }
}

/// [`index`] before it becomes a response: what the page lists is
/// remembered either way, and any other answer is the client's response.
async fn private_page(
    st: &PypiShared,
    mount: &PypiRepo,
    pkg: Option<&str>,
    page: PageRequest,
) -> Result<ClientPage, Response> {
    let base = match mount.upstream.base().await {
        Ok(b) => b,
        Err(e) => {
            tracing::debug!(mount = %mount.label, error = %e, "cannot resolve the repository endpoint");
            return Err(RepoError::NoEndpoint.into_response());
        }
    };
    let path = pkg.map_or_else(|| "simple/".to_owned(), |p| format!("simple/{p}/"));
    let Ok(url) = base.join(&path) else {
        return Err(RepoError::NotFound.into_response());
    };
    // A project just answered 404 is not asked for again at once: resolvers
    // probe many names, and pip's `max-age=0` on every page would otherwise
    // send each probe to the repository.
    if let Some(p) = pkg
        && mount.known_missing(p)
    {
        return Err(match &mount.fallback {
            Some(fb) if fb.policy.permits(p) => fallback_index(st, mount, p, page).await,
            _ => RepoError::NotFound.into_response(),
        });
    }
    let resp = get_page(
        st,
        mount,
        &url,
        &page,
        upstream(st, mount, Fetched::Page, Repository::Private),
    )
    .await;
    match resp.status() {
        StatusCode::OK => {
            let local = match pkg {
                Some(p) => format!("{}+f/{p}/", mount.local_base),
                None => mount.local_base.clone(),
            };
            let maps = vec![LinkMap {
                upstream_base: base.clone(),
                local_base: local,
            }];
            let files = format!("{}+f/", mount.local_base);
            let want = Want {
                json: page.wants_json(),
                project: pkg,
            };
            render(mount, &url, resp, |_| maps, base.host_str(), &files, want).await
        }
        StatusCode::NOT_FOUND => Err({
            if let Some(p) = pkg {
                mount.note_missing(p);
            }
            match (pkg, &mount.fallback) {
                (Some(p), Some(fb)) if fb.policy.permits(p) => {
                    fallback_index(st, mount, p, page).await
                }
                _ => RepoError::NotFound.into_response(),
            }
        }),
        s if s.is_redirection() => Err({
            let loc = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok());
            let map = LinkMap {
                upstream_base: base.clone(),
                local_base: mount.local_base.clone(),
            };
            match loc.and_then(|l| map.map_location(&url, l)) {
                Some(to) => redirect(&to),
                None => {
                    RepoError::Upstream("the repository redirected elsewhere\n").into_response()
                }
            }
        }),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            Err(RepoError::TokenRefused.into_response())
        }
        _ => Err(RepoError::UpstreamFailed.into_response()),
    }
}

fn index_opts(mount: &PypiRepo) -> LookupOptions {
    LookupOptions {
        namespace: mount.namespace.clone(),
        upstream_auth: UpstreamAuth::Service,
        policy: CachePolicy::StaleIfError,
        default_max_age: Some(super::INDEX_MAX_AGE),
        // pip's `max-age=0` ([`Refresh::Soon`]) gets the stored page at once
        // within this window, refreshed in the background.
        default_stale_while_revalidate: mount.stale_while_revalidate(),
        // The format follows `Accept`; keep the cache's variants apart.
        default_vary: Some(ACCEPT),
        ..LookupOptions::default()
    }
}

/// An index page through the cache, revalidated when the client asked for that
/// or when it was stored before an upload through the mount.
async fn get_page(
    st: &PypiShared,
    mount: &PypiRepo,
    url: &Url,
    page: &PageRequest,
    fetch: Arc<RepoFetch>,
) -> http::Response<Body> {
    let accept = canonical_accept(page.accept.as_ref());
    let variant = format!("{url} {}", accept.to_str().unwrap_or_default());
    // Asked before the client's wish is looked at, so a revalidation the client
    // asked for also counts as the one after an upload.
    let after_upload = mount.stale_since_upload(&variant);
    let refresh = if after_upload {
        Refresh::Now
    } else {
        page.refresh
    };
    get_cached(st, url, Some(accept), refresh, fetch, index_opts(mount)).await
}

async fn get_cached(
    st: &PypiShared,
    url: &Url,
    accept: Option<HeaderValue>,
    refresh: Refresh,
    fetch: Arc<dyn Fetch>,
    opts: LookupOptions,
) -> http::Response<Body> {
    let mut req = http::Request::new(());
    *req.uri_mut() = match url.as_str().parse() {
        Ok(u) => u,
        Err(_) => {
            let mut r = http::Response::new(net_empty());
            *r.status_mut() = StatusCode::BAD_GATEWAY;
            return r;
        }
    };
    if let Some(a) = accept {
        req.headers_mut().insert(ACCEPT, a);
    }
    if let Some(cc) = refresh.cache_control() {
        req.headers_mut().insert(CACHE_CONTROL, cc);
    }
    st.ctx.cache.handle(req, opts, fetch).await
}

/// One of two `Accept` values (JSON when the client takes PEP 691 JSON), so the
/// cache keeps one variant per format rather than one per client's header.
fn canonical_accept(accept: Option<&HeaderValue>) -> HeaderValue {
    let wants_json = accept
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/vnd.pypi.simple.v1+json"));
    HeaderValue::from_static(if wants_json {
        JSON_ACCEPT
    } else {
        DEFAULT_ACCEPT
    })
}

fn net_empty() -> Body {
    crate::cache::into_body(http_body_util::Empty::<bytes::Bytes>::new())
}

/// Buffers, parses and rewrites a page with the maps `maps` gives for it
/// (adding the metadata the mount extracted), and remembers its file links
/// under `files` (the mount's `+f/` or `+fb/`): the only files the mount will
/// fetch. A client that wants JSON gets PEP 691 JSON made from an HTML page.
async fn render(
    mount: &PypiRepo,
    page_url: &Url,
    resp: http::Response<Body>,
    maps: impl FnOnce(&Page) -> Vec<LinkMap>,
    upstream_host: Option<&str>,
    files: &str,
    want: Want<'_>,
) -> Result<ClientPage, Response> {
    let (parts, body) = resp.into_parts();
    let bytes = match collect(body).await {
        Ok(b) => b,
        Err(e) => {
            tracing::debug!(mount = %mount.label, error = %e, "cannot read an index page");
            return Err(RepoError::Upstream("cannot read the index page\n").into_response());
        }
    };
    let json = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    let Ok(page) = Page::parse(&bytes, json) else {
        return Err(RepoError::Upstream("the index page is not valid JSON\n").into_response());
    };
    let maps = maps(&page);
    let metadata = |l: &crate::pypi::page::Link| mount.metadata.get(&link_path(&l.href));
    let rewritten = match rewrite_page(page_url, &page, &maps, metadata, upstream_host, files) {
        Ok(r) => r,
        Err(Refused::LinksOutside) => {
            tracing::debug!(mount = %mount.label, "index page links outside the repository");
            return Err(
                RepoError::Upstream("the index page links outside the repository\n")
                    .into_response(),
            );
        }
    };
    for link in rewritten.files {
        mount.remember_file(link);
    }
    let mut headers = client_headers(&parts.headers, false);
    headers.insert(VARY, HeaderValue::from_static("Accept"));
    let body = if want.json && !page.is_json() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(json::CONTENT_TYPE));
        match want.project {
            Some(p) => json::project(p, &rewritten.links),
            None => json::index(&rewritten.links),
        }
    } else {
        rewritten.body
    };
    Ok(ClientPage {
        headers,
        body,
        status: parts.extensions.get::<CacheStatus>().copied(),
    })
}

/// A whole page, at most [`MAX_PAGE`] bytes.
async fn collect(mut body: Body) -> Result<bytes::Bytes, String> {
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > MAX_PAGE {
                return Err("the page is too large".to_owned());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.into())
}

/// A file of the private repository, only if a page this mount rewrote lists it
/// (read the project page first when none has yet): any other path under the
/// repository base (raw pages, say) is never fetched.
async fn private_file(
    st: &PypiShared,
    mount: &PypiRepo,
    pkg: &str,
    rest: &str,
    ranges: HeaderMap,
) -> Response {
    let local = format!("{}+f/{pkg}/{rest}", mount.local_base);
    let base = match mount.upstream.base().await {
        Ok(b) => b,
        Err(_) => {
            return RepoError::NoEndpoint.into_response();
        }
    };
    let Some(sha) = listed(st, mount, pkg, &local).await else {
        return RepoError::NotFound.into_response();
    };
    let Some(url) = upstream_url(&base, rest) else {
        return RepoError::NotFound.into_response();
    };
    let repo: Arc<dyn Fetch> = upstream(st, mount, Fetched::File, Repository::Private);
    // A metadata file the mount made itself is read out of its stored wheel.
    if let Some(wheel_path) = local.strip_suffix(".metadata")
        && let Some(made) = mount.metadata.get(wheel_path)
        && sha.as_deref() == Some(made.as_str())
        && let Some(wheel_url) = upstream_url(&base, &rest[..rest.len() - ".metadata".len()])
        && let Some(wheel) = stored_wheel(st, mount, wheel_path, wheel_url, repo.clone())
    {
        let opts = MetadataFetch::options(file_opts(mount, sha));
        return file(st, &url, opts, Arc::new(MetadataFetch(wheel)), ranges).await;
    }
    let resp = file(
        st,
        &url,
        file_opts(mount, sha.clone()),
        repo.clone(),
        ranges,
    )
    .await;
    if resp.status() == StatusCode::OK
        && let Some(wheel) = stored_wheel(st, mount, &local, url, repo)
    {
        extract_later(&mount.metadata, local, wheel);
    }
    resp
}

/// The wheel at `path` (client-facing) as [`super::metadata`] reads it: only
/// a `.whl` the page listed with a sha256, which its stored body has.
fn stored_wheel(
    st: &PypiShared,
    mount: &PypiRepo,
    path: &str,
    url: Url,
    fetch: Arc<dyn Fetch>,
) -> Option<Wheel> {
    let filename = path.rsplit('/').next()?;
    if !filename.ends_with(".whl") {
        return None;
    }
    let sha256 = mount.listed_file(path).flatten()?;
    Some(Wheel {
        cache: st.ctx.cache.clone(),
        url,
        filename: filename.to_owned(),
        opts: file_opts(mount, Some(sha256)),
        fetch,
    })
}

/// What [`PypiRepo::listed_file`] says about `local`, after reading the project
/// page of `pkg` if no page listed it yet (a lockfile's URL, after a restart).
async fn listed(
    st: &PypiShared,
    mount: &PypiRepo,
    pkg: &str,
    local: &str,
) -> Option<Option<String>> {
    if let Some(sha) = mount.listed_file(local) {
        return Some(sha);
    }
    let _ = private_page(st, mount, Some(pkg), PageRequest::default()).await;
    mount.listed_file(local)
}

async fn fallback_file(
    st: &PypiShared,
    mount: &PypiRepo,
    pkg: &str,
    scheme: &str,
    authority: &str,
    rest: &str,
    ranges: HeaderMap,
) -> Response {
    let Some(fb) = &mount.fallback else {
        return RepoError::NotFound.into_response();
    };
    if !fb.policy.permits(pkg) || !matches!(scheme, "http" | "https") {
        return RepoError::NotFound.into_response();
    }
    let local = format!("{}+fb/{pkg}/{scheme}/{authority}/{rest}", mount.local_base);
    let mut sha = mount.listed_file(&local).flatten();
    if sha.is_none() {
        let _ = fallback_page(st, mount, pkg, PageRequest::default()).await;
        sha = mount.listed_file(&local).flatten();
    }
    // Only files a fallback page listed with a hash: the path can't name any other host.
    let Some(sha) = sha else {
        return RepoError::NotFound.into_response();
    };
    let Ok(url) = Url::parse(&format!("{scheme}://{authority}/{rest}")) else {
        return RepoError::NotFound.into_response();
    };
    file(
        st,
        &url,
        file_opts(mount, Some(sha)),
        upstream(st, mount, Fetched::File, Repository::Public),
        ranges,
    )
    .await
}

/// The client's `Range` and `If-Range` for a file (none for a `HEAD`,
/// which is answered whole): the cache cuts the part from the stored file.
fn file_ranges(headers: &HeaderMap, head: bool) -> HeaderMap {
    if head {
        return HeaderMap::new();
    }
    crate::cache::range::take(&mut headers.clone())
}

/// How a mount's files go through the cache: immutable and checked when the
/// page gave a sha256.
fn file_opts(mount: &PypiRepo, sha: Option<String>) -> LookupOptions {
    LookupOptions {
        namespace: mount.namespace.clone(),
        upstream_auth: UpstreamAuth::Service,
        policy: CachePolicy::Standard,
        immutable: sha.is_some(),
        verify: sha.map(Verifier::Sha256),
        ..LookupOptions::default()
    }
}

/// A file through the cache; `ranges` (the client's `Range`, `If-Range`)
/// may make it a `206` or `416`.
async fn file(
    st: &PypiShared,
    url: &Url,
    opts: LookupOptions,
    fetch: Arc<dyn Fetch>,
    ranges: HeaderMap,
) -> Response {
    let Ok(uri) = url.as_str().parse() else {
        return RepoError::UpstreamFailed.into_response();
    };
    let mut req = http::Request::new(());
    *req.uri_mut() = uri;
    *req.headers_mut() = ranges;
    let resp = st.ctx.cache.handle(req, opts, fetch).await;
    match resp.status() {
        StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::RANGE_NOT_SATISFIABLE => {
            let (parts, body) = resp.into_parts();
            let mut r = Response::new(AxumBody::new(body));
            *r.status_mut() = parts.status;
            *r.headers_mut() = client_headers(&parts.headers, true);
            carry_status(&mut r, &parts);
            r
        }
        StatusCode::NOT_FOUND => RepoError::NotFound.into_response(),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            RepoError::TokenRefused.into_response()
        }
        _ if resp.extensions().get::<DowngradeRefused>().is_some() => RepoError::Upstream("the repository redirected this download to plain http; awsproxy does not follow that\n").into_response(),
        _ => RepoError::UpstreamFailed.into_response(),
    }
}

/// A project page from the public index, its links pointing back through the proxy.
async fn fallback_index(
    st: &PypiShared,
    mount: &PypiRepo,
    pkg: &str,
    page: PageRequest,
) -> Response {
    match fallback_page(st, mount, pkg, page).await {
        Ok(page) => page.into_response(),
        Err(resp) => resp,
    }
}

/// [`fallback_index`] before it becomes a response (see [`private_page`]).
async fn fallback_page(
    st: &PypiShared,
    mount: &PypiRepo,
    pkg: &str,
    page: PageRequest,
) -> Result<ClientPage, Response> {
    let Some(fb) = &mount.fallback else {
        return Err(RepoError::NotFound.into_response());
    };
    let Ok(url) = fb.index.join(&format!("{pkg}/")) else {
        return Err(RepoError::NotFound.into_response());
    };
    let resp = get_page(
        st,
        mount,
        &url,
        &page,
        upstream(st, mount, Fetched::Page, Repository::Public),
    )
    .await;
    if resp.status() == StatusCode::NOT_FOUND {
        return Err(RepoError::NotFound.into_response());
    }
    if resp.status() != StatusCode::OK {
        return Err(RepoError::Upstream("the public index failed\n").into_response());
    }
    let root = format!("{}+fb/{pkg}/", mount.local_base);
    let files = format!("{}+fb/", mount.local_base);
    let want = Want {
        json: page.wants_json(),
        project: Some(pkg),
    };
    render(
        mount,
        &url,
        resp,
        |page| fallback_maps(&url, page, &root),
        None,
        &files,
        want,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_paths_are_refused() {
        for bad in [
            "+f/x/../y",
            "+f/x/./y",
            "+f//y",
            "+f/x/%2e%2e/y",
            "+f/x/a%2Fb",
            "+f/x\\y",
        ] {
            assert!(!path_safe(bad), "{bad}");
        }
        for ok in [
            "simple/",
            "simple/foo/",
            "+f/foo/simple/foo/1.0/foo-1.0.tar.gz",
        ] {
            assert!(path_safe(ok), "{ok}");
        }
    }

    #[test]
    fn accept_collapses_to_two_variants() {
        let pip = HeaderValue::from_static(
            "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01",
        );
        assert_eq!(canonical_accept(Some(&pip)), JSON_ACCEPT);
        assert_eq!(canonical_accept(None), DEFAULT_ACCEPT);
    }
}
