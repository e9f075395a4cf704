//! The requests of one npm mount: package documents (through the cache,
//! rewritten for the client), tarballs (only those a served document listed,
//! verified before they are stored), `npm publish`, `npm dist-tag ls`, and the
//! endpoints awsproxy does not proxy.

use std::sync::Arc;

use axum::body::Body as AxumBody;
use axum::extract::Request;
use axum::response::Response;
use http::header::{ACCEPT, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use url::Url;

use super::NpmShared;
use super::mount::NpmRepo;
use crate::cache::{CachePolicy, CacheStatus, LookupOptions, UpstreamAuth, Verifier};
use crate::codeartifact::fetch::{AuthScheme, Redirects};
use crate::npm::document::{Integrity, rewrite};
use crate::npm::names::PackageName;
use crate::services::ca_mount::{
    PublicFallback, Source, cached, carry_cache_status, collect, file_response, origin,
    publish_refusal, publish_upstream, published_json, upstream_error, wants_revalidation,
};
use crate::services::repo_error::RepoError;
use axum::response::IntoResponse as _;

/// Documents larger than this are refused (they are buffered to be rewritten).
const MAX_DOCUMENT: usize = 64 << 20;
const ABBREVIATED: &str = "application/vnd.npm.install-v1+json";
const FULL: &str = "application/json";

/// Routes `rest` (the path under the mount).
pub async fn dispatch(st: &NpmShared, mount: Arc<NpmRepo>, rest: &str, req: Request) -> Response {
    if rest.starts_with("-/v1/search") || rest.starts_with("-/npm/v1/security/") {
        mount.stats.record(None);
        return RepoError::NotProxied("awsproxy does not proxy npm search or audit (`npm audit`, `npm search`) to CodeArtifact\n").into_response();
    }
    if let Some(tags) = rest.strip_prefix("-/package/") {
        let resp = dist_tags(st, &mount, tags, req.method(), req.headers()).await;
        mount.stats.record(resp.extensions().get::<CacheStatus>());
        return resp;
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
                _ => RepoError::BadPackageName.into_response(),
            },
            None => RepoError::NotFound.into_response(),
        }
    } else {
        match PackageName::parse(rest) {
            Some(pkg) => document(st, &mount, &pkg, req.headers()).await,
            None => RepoError::BadPackageName.into_response(),
        }
    };
    mount.stats.record(resp.extensions().get::<CacheStatus>());
    if head {
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, AxumBody::empty());
    }
    resp
}

/// `-/package/PKG/dist-tags[/TAG]` (`npm dist-tag`): the tags are read from
/// the package document (so through the cache); changing them is not proxied.
async fn dist_tags(
    st: &NpmShared,
    mount: &NpmRepo,
    tail: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Response {
    let Some((pkg, tag)) = tail.split_once("/dist-tags") else {
        return RepoError::NotFound.into_response();
    };
    if method != Method::GET && method != Method::HEAD {
        return RepoError::NotProxied("awsproxy does not change dist-tags; run `npm dist-tag` against the repository itself\n",
        )
        .into_response();
    }
    let Some(pkg) = PackageName::parse(pkg).filter(|_| tag.is_empty() || tag == "/") else {
        return RepoError::BadPackageName.into_response();
    };
    let resp = document(st, mount, &pkg, headers).await;
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let status = resp.extensions().get::<CacheStatus>().cloned();
    let body = match axum::body::to_bytes(resp.into_body(), MAX_DOCUMENT).await {
        Ok(b) => b,
        Err(_) => {
            return RepoError::Other(
                StatusCode::BAD_GATEWAY,
                "the package document was cut short\n",
            )
            .into_response();
        }
    };
    let tags = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|doc| doc.get("dist-tags").cloned())
        .unwrap_or_else(|| serde_json::json!({}));
    let mut out = Response::new(AxumBody::from(tags.to_string()));
    out.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(status) = status {
        out.extensions_mut().insert(status);
    }
    out
}

fn unresolved() -> Response {
    RepoError::NoEndpoint.into_response()
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

/// A package document, its tarballs remembered and rewritten to the mount:
/// the repository's, or (`fallback = "missing"`, a name it answers `404` for
/// and the policy permits) the public registry's.
async fn document(
    st: &NpmShared,
    mount: &NpmRepo,
    pkg: &PackageName,
    headers: &HeaderMap,
) -> Response {
    let Some(origin) = origin(headers) else {
        return RepoError::NoHost.into_response();
    };
    let Ok(base) = mount.upstream.base().await else {
        return unresolved();
    };
    let accept = canonical_accept(headers);
    let lookup = async |source: Source, base: &Url| {
        let Ok(url) = base.join(&pkg.registry_path()) else {
            return None;
        };
        let opts = LookupOptions {
            namespace: mount.namespace.clone(),
            upstream_auth: UpstreamAuth::Service,
            policy: CachePolicy::StaleIfError,
            default_max_age: Some(super::DOCUMENT_MAX_AGE),
            default_vary: Some(ACCEPT),
            ..LookupOptions::default()
        };
        let fetch = mount.fetch_from(source, &st.client, AuthScheme::Bearer, Redirects::PassOn);
        let no_cache = wants_revalidation(headers);
        Some(cached(&st.ctx, &url, Some(accept.clone()), no_cache, opts, fetch).await)
    };
    let Some(mut resp) = lookup(Source::Private, &base).await else {
        return RepoError::NotFound.into_response();
    };
    let (mut source, mut base) = (Source::Private, base);
    if resp.status() == StatusCode::NOT_FOUND
        && let Some(public) = PublicFallback::for_name(mount.fallback.as_ref(), &pkg.to_string())
    {
        tracing::debug!(mount = %mount.label, package = %pkg, "not in the repository; trying the public registry");
        let Some(r) = lookup(Source::Public, &public).await else {
            return RepoError::NotFound.into_response();
        };
        (resp, source, base) = (r, Source::Public, public);
    }
    if resp.status() != StatusCode::OK {
        return upstream_error(&resp).into_response();
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = collect(body, MAX_DOCUMENT).await else {
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
        mount.files.remember(t, source);
    }
    let mut r = Response::new(AxumBody::from(rewritten.body));
    r.headers_mut().insert(CONTENT_TYPE, accept);
    carry_cache_status(&parts, &mut r);
    r
}

/// A tarball a served document listed (the document is read first when none
/// has yet: a lockfile's URL after a restart).
async fn tarball(st: &NpmShared, mount: &NpmRepo, pkg: &PackageName, local: &str) -> Response {
    let mut listed = mount.files.listed(local);
    if listed.is_none() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("localhost"));
        let _ = document(st, mount, pkg, &headers).await;
        listed = mount.files.listed(local);
    }
    let Some((url, integrity, source)) = listed else {
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
        &st.ctx,
        &url,
        None,
        false,
        opts,
        mount.fetch_from(source, &st.client, AuthScheme::Bearer, Redirects::Follow),
    )
    .await;
    if resp.status() != StatusCode::OK {
        return upstream_error(&resp).into_response();
    }
    file_response(resp, "application/octet-stream")
}

/// `npm publish`: the client's body streamed to `BASE/PKG` with the token.
async fn publish(st: &NpmShared, mount: &NpmRepo, rest: &str, req: Request) -> Response {
    mount.stats.record(None);
    let setting = "`allow_publish = true` on its [[repos.npm]] mount";
    if let Some(refused) = publish_refusal(mount, mount.allow_publish, req.headers(), setting) {
        return refused;
    }
    let Some(pkg) = PackageName::parse(rest) else {
        return RepoError::BadPackageName.into_response();
    };
    let Ok(base) = mount.upstream.base().await else {
        return unresolved();
    };
    let Ok(url) = base.join(&pkg.registry_path()) else {
        return RepoError::Upstream("bad repository endpoint\n").into_response();
    };
    match publish_upstream(
        &st.client,
        mount,
        Method::PUT,
        &url,
        AuthScheme::Bearer,
        req,
    )
    .await
    {
        Ok(status) => published_json(status, "{\"ok\":true}\n"),
        Err(r) => r,
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
