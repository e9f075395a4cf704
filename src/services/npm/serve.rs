//! The requests of one npm mount: package documents (through the cache,
//! rewritten for the client), tarballs (only those a served document listed,
//! verified before they are stored), `npm publish`, and the endpoints awsproxy
//! does not proxy.

use std::sync::Arc;

use axum::body::Body as AxumBody;
use axum::extract::Request;
use axum::response::Response;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt as _;
use url::Url;

use super::NpmShared;
use super::mount::NpmRepo;
use crate::cache::{Body, CachePolicy, CacheStatus, LookupOptions, UpstreamAuth, Verifier};
use crate::codeartifact::fetch::{AuthScheme, DowngradeRefused, Redirects, RepoFetch};
use crate::npm::document::{Integrity, rewrite};
use crate::npm::names::PackageName;
use crate::services::repo_error::RepoError;
use crate::services::repos::{PublishRefusal, check_publish};
use axum::response::IntoResponse as _;

/// Documents larger than this are refused (they are buffered to be rewritten).
const MAX_DOCUMENT: usize = 64 << 20;
const ABBREVIATED: &str = "application/vnd.npm.install-v1+json";
const FULL: &str = "application/json";

/// Routes `rest` (the path under the mount).
pub async fn dispatch(st: &NpmShared, mount: Arc<NpmRepo>, rest: &str, req: Request) -> Response {
    if rest.starts_with("-/v1/search") || rest.starts_with("-/npm/v1/security/") {
        mount.stats.record(None);
        return RepoError::Other(StatusCode::NOT_IMPLEMENTED, "awsproxy does not proxy npm search or audit (`npm audit`, `npm search`) to CodeArtifact\n").into_response();
    }
    if req.method() == Method::PUT {
        return publish(st, &mount, rest, req).await;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return RepoError::MethodNotAllowed.into_response();
    }
    let head = req.method() == Method::HEAD;
    let resp = if let Some(tail) = rest.strip_prefix("-/") {
        match tail.rsplit_once("/-/") {
            Some((pkg, file)) => match PackageName::parse(pkg) {
                Some(pkg) if !file.contains('/') => {
                    tarball(
                        st,
                        &mount,
                        &pkg,
                        &format!("{}-/{pkg}/-/{file}", mount.local_base),
                    )
                    .await
                }
                _ => {
                    RepoError::Other(StatusCode::BAD_REQUEST, "bad package name\n").into_response()
                }
            },
            None => RepoError::NotFound.into_response(),
        }
    } else {
        match PackageName::parse(rest) {
            Some(pkg) => document(st, &mount, &pkg, req.headers()).await,
            None => RepoError::Other(StatusCode::BAD_REQUEST, "bad package name\n").into_response(),
        }
    };
    mount.stats.record(resp.extensions().get::<CacheStatus>());
    if head {
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, AxumBody::empty());
    }
    resp
}

fn unresolved() -> Response {
    RepoError::NoEndpoint.into_response()
}

fn fetch(st: &NpmShared, mount: &NpmRepo, redirects: Redirects) -> Arc<RepoFetch> {
    Arc::new(RepoFetch {
        client: st.client.clone(),
        token: Some((mount.upstream.token.clone(), AuthScheme::Bearer)),
        redirects,
    })
}

/// `http://HOST` of the client's request (tarball links must be absolute).
fn origin(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(HOST)?.to_str().ok()?;
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    ok.then(|| format!("http://{host}"))
}

/// The abbreviated document when the client takes it, the full one otherwise:
/// two cache variants, whatever the client's exact header.
fn canonical_accept(headers: &HeaderMap) -> HeaderValue {
    let abbreviated = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(ABBREVIATED));
    HeaderValue::from_static(if abbreviated { ABBREVIATED } else { FULL })
}

async fn cached(
    st: &NpmShared,
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
    st.ctx.cache.handle(req, opts, fetch).await
}

/// A package document, its tarballs remembered and rewritten to the mount.
async fn document(
    st: &NpmShared,
    mount: &NpmRepo,
    pkg: &PackageName,
    headers: &HeaderMap,
) -> Response {
    let Some(origin) = origin(headers) else {
        return RepoError::Other(StatusCode::BAD_REQUEST, "a Host header is needed\n")
            .into_response();
    };
    let Ok(base) = mount.upstream.base().await else {
        return unresolved();
    };
    let Ok(url) = base.join(&pkg.registry_path()) else {
        return RepoError::NotFound.into_response();
    };
    let no_cache = crate::cache::policy::directives(headers)
        .iter()
        .any(|(k, v)| k == "no-cache" || (k == "max-age" && v.as_deref() == Some("0")));
    let opts = LookupOptions {
        namespace: mount.namespace.clone(),
        upstream_auth: UpstreamAuth::Service,
        policy: CachePolicy::StaleIfError,
        default_max_age: Some(super::DOCUMENT_MAX_AGE),
        default_vary: Some(ACCEPT),
        ..LookupOptions::default()
    };
    let accept = canonical_accept(headers);
    let resp = cached(
        st,
        &url,
        Some(accept.clone()),
        no_cache,
        opts,
        fetch(st, mount, Redirects::PassOn),
    )
    .await;
    match resp.status() {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND => return RepoError::NotFound.into_response(),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            return RepoError::TokenRefused.into_response();
        }
        _ => return RepoError::UpstreamFailed.into_response(),
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = collect(body).await else {
        return RepoError::Upstream("cannot read the package document\n").into_response();
    };
    let rewritten = match rewrite(&bytes, pkg, &base, &origin, &mount.local_base) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(mount = %mount.label, package = %pkg, error = %e, "package document refused");
            return RepoError::Upstream(
                "the repository's package document could not be passed on safely\n",
            )
            .into_response();
        }
    };
    for t in rewritten.tarballs {
        mount.remember(t);
    }
    let mut r = Response::new(AxumBody::from(rewritten.body));
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, accept);
    for n in ["cache-status", "age"] {
        if let Some(v) = parts.headers.get(n) {
            h.insert(n, v.clone());
        }
    }
    if let Some(s) = parts.extensions.get::<CacheStatus>() {
        r.extensions_mut().insert(*s);
    }
    r
}

async fn collect(mut body: Body) -> Result<bytes::Bytes, ()> {
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ())?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > MAX_DOCUMENT {
                return Err(());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.into())
}

/// A tarball a served document listed (the document is read first when none
/// has yet: a lockfile's URL after a restart).
async fn tarball(st: &NpmShared, mount: &NpmRepo, pkg: &PackageName, local: &str) -> Response {
    let mut listed = mount.listed(local);
    if listed.is_none() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("localhost"));
        let _ = document(st, mount, pkg, &headers).await;
        listed = mount.listed(local);
    }
    let Some((url, integrity)) = listed else {
        return RepoError::NotFound.into_response();
    };
    let verify = match integrity {
        Integrity::Sha512(h) => Some(Verifier::Sha512(h)),
        Integrity::Sha1(h) => Some(Verifier::Sha1(h)),
        Integrity::None => None,
    };
    let opts = LookupOptions {
        namespace: mount.namespace.clone(),
        upstream_auth: UpstreamAuth::Service,
        policy: CachePolicy::Standard,
        immutable: verify.is_some(),
        verify,
        ..LookupOptions::default()
    };
    let resp = cached(
        st,
        &url,
        None,
        false,
        opts,
        fetch(st, mount, Redirects::Follow),
    )
    .await;
    match resp.status() {
        StatusCode::OK => {
            let (parts, body) = resp.into_parts();
            let mut r = Response::new(AxumBody::new(body));
            for n in [
                "content-length",
                "cache-status",
                "age",
                "etag",
                "last-modified",
            ] {
                if let Some(v) = parts.headers.get(n) {
                    r.headers_mut().insert(n, v.clone());
                }
            }
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            if let Some(s) = parts.extensions.get::<CacheStatus>() {
                r.extensions_mut().insert(*s);
            }
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

/// `npm publish`: the client's body streamed to `BASE/PKG` with the token.
async fn publish(st: &NpmShared, mount: &NpmRepo, rest: &str, req: Request) -> Response {
    mount.stats.record(None);
    let refused = |r: PublishRefusal| {
        tracing::info!(mount = %mount.label, refusal = r.as_str(), "publish refused");
        r.response().map(AxumBody::new)
    };
    match check_publish(req.headers()) {
        Err(r @ PublishRefusal::FromBrowser) => return refused(r),
        _ if !mount.allow_publish => {
            return RepoError::Forbidden("publishing is off for this mount (set `allow_publish = true` on its [[repos.npm]] mount)\n").into_response();
        }
        Err(r) => return refused(r),
        Ok(()) => {}
    }
    let Some(pkg) = PackageName::parse(rest) else {
        return RepoError::Other(StatusCode::BAD_REQUEST, "bad package name\n").into_response();
    };
    let Ok(base) = mount.upstream.base().await else {
        return unresolved();
    };
    let Ok(token) = mount.upstream.token.get().await else {
        return RepoError::Other(
            StatusCode::SERVICE_UNAVAILABLE,
            "no CodeArtifact token (see /healthz)\n",
        )
        .into_response();
    };
    let Some(uri) = base
        .join(&pkg.registry_path())
        .ok()
        .and_then(|u| u.as_str().parse::<http::Uri>().ok())
    else {
        return RepoError::Upstream("bad repository endpoint\n").into_response();
    };
    let (parts, body) = req.into_parts();
    let mut out = http::Request::new(crate::net::streamed(body));
    *out.method_mut() = Method::PUT;
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
    out.headers_mut().insert(
        http::header::AUTHORIZATION,
        AuthScheme::Bearer.header(&token),
    );
    match st.client.send(out).await {
        Ok(resp) => {
            let status = resp.status();
            tracing::debug!(mount = %mount.label, %status, "publish");
            if status.is_success() {
                let mut r = RepoError::Other(status, "{\"ok\":true}\n").into_response();
                r.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                r
            } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                RepoError::TokenRefused.into_response()
            } else if status.is_client_error() {
                RepoError::Other(status, "the repository rejected the publish\n").into_response()
            } else {
                RepoError::UpstreamFailed.into_response()
            }
        }
        Err(e) => {
            tracing::debug!(mount = %mount.label, error = %e, "publish failed");
            RepoError::Unreachable.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn tarball_links_use_a_plain_host_header_only() {
        assert_eq!(
            origin(&headers(&[("host", "127.0.0.1:9000")])).as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(
            origin(&headers(&[("host", "[::1]:9000")])).as_deref(),
            Some("http://[::1]:9000")
        );
        for bad in ["evil.example/x", "a@b", "a\"b", ""] {
            let mut h = HeaderMap::new();
            h.insert(HOST, HeaderValue::from_str(bad).unwrap());
            assert_eq!(origin(&h), None, "{bad}");
        }
        assert_eq!(origin(&HeaderMap::new()), None);
    }

    #[test]
    fn accept_collapses_to_two_variants() {
        let npm = headers(&[(
            "accept",
            "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*",
        )]);
        assert_eq!(canonical_accept(&npm), ABBREVIATED);
        assert_eq!(canonical_accept(&headers(&[("accept", "*/*")])), FULL);
        assert_eq!(canonical_accept(&HeaderMap::new()), FULL);
    }
}
