//! The requests of one Cargo mount: `config.json` (rewritten for the
//! client), index files (through the cache, passed on as they are), `.crate`
//! downloads (verified against the index before they are stored), and
//! `cargo publish`/`cargo yank` streamed through.

use std::sync::Arc;

use axum::body::Body as AxumBody;
use axum::extract::Request;
use axum::response::{IntoResponse as _, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use url::Url;

use super::{CargoRepo, CargoShared, Known};
use crate::cache::{CachePolicy, CacheStatus, LookupOptions, UpstreamAuth, Verifier};
use crate::cargo::{config, index};
use crate::codeartifact::fetch::{AuthScheme, Redirects};
use crate::services::ca_mount::{
    PublicFallback, Source, cached, carry_cache_status, collect, file_response, origin,
    publish_refusal, publish_upstream, published_json, upstream_error, wants_revalidation,
};
use crate::services::repo_error::RepoError;

/// Index files and `config.json` larger than this are refused (they are read whole).
const MAX_INDEX: usize = 32 << 20;

/// What cargo gets after a publish (its response format; the repository's
/// own words stay here).
const PUBLISHED: &str =
    "{\"warnings\":{\"invalid_categories\":[],\"invalid_badges\":[],\"other\":[]}}\n";
const OK: &str = "{\"ok\":true}\n";

/// Routes `rest` (the path under the mount).
pub async fn dispatch(
    st: &CargoShared,
    mount: Arc<CargoRepo>,
    rest: &str,
    req: Request,
) -> Response {
    if let Some(api) = rest.strip_prefix("api/v1/crates/") {
        let parts: Vec<&str> = api.split('/').collect();
        if !parts.iter().all(|p| plain_segment(p)) {
            mount.stats.record(None);
            return RepoError::BadPath.into_response();
        }
        match (req.method(), parts.as_slice()) {
            (&Method::GET | &Method::HEAD, [_, _, "download"]) => {}
            (&Method::PUT, ["new"]) => return publish(st, &mount, Method::PUT, "new", req).await,
            (&Method::DELETE, [_, _, "yank"]) | (&Method::PUT, [_, _, "unyank"]) => {
                let (name, version) = (parts[0], parts[1]);
                if !index::valid_name(name) || !index::valid_version(version) {
                    mount.stats.record(None);
                    return RepoError::BadPath.into_response();
                }
                let method = req.method().clone();
                return publish(st, &mount, method, api, req).await;
            }
            _ => return not_proxied(&mount),
        }
    } else if rest.starts_with("api/") {
        return not_proxied(&mount);
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        mount.stats.record(None);
        return RepoError::MethodNotAllowed.into_response();
    }
    let head = req.method() == Method::HEAD;
    let resp = if let Some(api) = rest.strip_prefix("api/v1/crates/") {
        let parts: Vec<&str> = api.split('/').collect();
        download(st, &mount, parts[0], parts[1]).await
    } else if rest == "config.json" {
        config_json(st, &mount, req.headers()).await
    } else {
        match index::name_of_index_path(rest) {
            Some(name) => index_file(st, &mount, name, req.headers()).await,
            None => RepoError::NotFound.into_response(),
        }
    };
    mount.stats.record(resp.extensions().get::<CacheStatus>());
    if head {
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, AxumBody::empty());
    }
    resp
}

/// A path segment that is a name, a version or a verb, never `..` or hidden.
fn plain_segment(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'))
}

fn not_proxied(mount: &CargoRepo) -> Response {
    mount.stats.record(None);
    RepoError::NotProxied("awsproxy proxies Cargo's index, downloads, publish and yank only (`cargo search` and `cargo owner` are not proxied)\n",
    )
    .into_response()
}

/// Index files and `config.json`: fresh for [`super::INDEX_MAX_AGE`], served
/// stale when the repository fails.
fn index_options(mount: &CargoRepo) -> LookupOptions {
    LookupOptions {
        namespace: mount.namespace.clone(),
        upstream_auth: UpstreamAuth::Service,
        policy: CachePolicy::StaleIfError,
        default_max_age: Some(super::INDEX_MAX_AGE),
        ..LookupOptions::default()
    }
}

/// Where `source`'s index is (`Err` is the answer).
async fn index_base(mount: &CargoRepo, source: Source) -> Result<Url, Response> {
    match source {
        Source::Private => mount
            .upstream
            .base()
            .await
            .map_err(|_| RepoError::NoEndpoint.into_response()),
        Source::Public => mount
            .fallback
            .as_ref()
            .map(|f| f.base.clone())
            .ok_or_else(|| RepoError::NotFound.into_response()),
    }
}

/// `path` under `source`'s index, through the cache: the response, whatever
/// its status (`Err` for a path that cannot be joined).
async fn lookup(
    st: &CargoShared,
    mount: &CargoRepo,
    source: Source,
    path: &str,
    no_cache: bool,
) -> Result<http::Response<crate::cache::Body>, Response> {
    let base = index_base(mount, source).await?;
    let Ok(url) = base.join(path) else {
        return Err(RepoError::NotFound.into_response());
    };
    let fetch = mount.fetch_from(source, &st.client, AuthScheme::Bearer, Redirects::PassOn);
    Ok(cached(&st.ctx, &url, None, no_cache, index_options(mount), fetch).await)
}

/// A `200` for `path` from `source`'s index (`Err` is the answer).
async fn index_lookup(
    st: &CargoShared,
    mount: &CargoRepo,
    source: Source,
    path: &str,
    no_cache: bool,
) -> Result<http::Response<crate::cache::Body>, Response> {
    let resp = lookup(st, mount, source, path, no_cache).await?;
    if resp.status() != StatusCode::OK {
        return Err(upstream_error(&resp).into_response());
    }
    Ok(resp)
}

/// The index file of crate `name`: the repository's, or (`fallback =
/// "missing"`, a crate it answers `404` for and the policy permits) the
/// public index's.
async fn crate_index(
    st: &CargoShared,
    mount: &CargoRepo,
    name: &str,
    no_cache: bool,
) -> Result<(Source, http::Response<crate::cache::Body>), Response> {
    let Some(path) = index::index_path(name) else {
        return Err(RepoError::NotFound.into_response());
    };
    let resp = lookup(st, mount, Source::Private, &path, no_cache).await?;
    let (source, resp) = if resp.status() == StatusCode::NOT_FOUND
        && PublicFallback::for_name(mount.fallback.as_ref(), name).is_some()
    {
        tracing::debug!(mount = %mount.label, name, "not in the repository; trying the public index");
        (
            Source::Public,
            lookup(st, mount, Source::Public, &path, no_cache).await?,
        )
    } else {
        (Source::Private, resp)
    };
    if resp.status() != StatusCode::OK {
        return Err(upstream_error(&resp).into_response());
    }
    Ok((source, resp))
}

/// `source`'s `config.json`, read whole (its `dl` and `api`), and its index base.
async fn upstream_config(
    st: &CargoShared,
    mount: &CargoRepo,
    source: Source,
    no_cache: bool,
) -> Result<(Url, http::response::Parts, bytes::Bytes), Response> {
    let resp = index_lookup(st, mount, source, "config.json", no_cache).await?;
    let (parts, body) = resp.into_parts();
    let bytes = collect(body, MAX_INDEX).await.map_err(|()| {
        RepoError::Upstream("cannot read the registry's config.json\n").into_response()
    })?;
    Ok((index_base(mount, source).await?, parts, bytes))
}

/// `config.json` for the client: `dl` and `api` at the mount, no `auth-required`.
async fn config_json(st: &CargoShared, mount: &CargoRepo, headers: &HeaderMap) -> Response {
    let Some(origin) = origin(headers) else {
        return RepoError::NoHost.into_response();
    };
    let no_cache = wants_revalidation(headers);
    let (_, parts, bytes) = match upstream_config(st, mount, Source::Private, no_cache).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(body) = config::rewrite(&bytes, &format!("{origin}{}", mount.local_base)) else {
        tracing::debug!(mount = %mount.label, "the registry's config.json has no usable `dl`");
        return RepoError::Upstream("the registry's config.json could not be passed on safely\n")
            .into_response();
    };
    let mut r = Response::new(AxumBody::from(body));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    carry_cache_status(&parts, &mut r);
    r
}

/// The index file of crate `name`, streamed as the repository wrote it (it
/// holds no URLs).
async fn index_file(
    st: &CargoShared,
    mount: &CargoRepo,
    name: &str,
    headers: &HeaderMap,
) -> Response {
    let no_cache = wants_revalidation(headers) || mount.files.recently_changed();
    match crate_index(st, mount, name, no_cache).await {
        Ok((_, resp)) => file_response(resp, "text/plain; charset=utf-8"),
        Err(r) => r,
    }
}

/// The sha256 the index gives `name` `version`, and which index gave it
/// (remembered once read).
async fn checksum(
    st: &CargoShared,
    mount: &CargoRepo,
    name: &str,
    version: &str,
) -> Result<Known, Response> {
    if let Some(known) = mount.files.checksum(name, version) {
        return Ok(known);
    }
    let (source, resp) = crate_index(st, mount, name, mount.files.recently_changed()).await?;
    let bytes = collect(resp.into_body(), MAX_INDEX).await.map_err(|()| {
        RepoError::Upstream("cannot read the crate's index file\n").into_response()
    })?;
    let line = index::find_version(&bytes, name, version).ok_or_else(|| {
        tracing::debug!(mount = %mount.label, name, version, "no such version in the index (or no usable cksum)");
        RepoError::NotFound.into_response()
    })?;
    let known = Known {
        cksum: line.cksum,
        source,
        url: None,
    };
    mount.files.remember(name, version, known.clone());
    Ok(known)
}

/// Where `name` `version` downloads from: the `dl` template of its index's
/// `config.json` (`Err` is the answer). The repository's `dl` must be on its
/// own origin, since the token goes with the request.
async fn download_url(
    st: &CargoShared,
    mount: &CargoRepo,
    name: &str,
    version: &str,
    known: &Known,
) -> Result<Url, Response> {
    let (base, _, config) = upstream_config(st, mount, known.source, false).await?;
    let Some(up) = config::parse(&config) else {
        return Err(
            RepoError::Upstream("the registry's config.json has no usable `dl`\n").into_response(),
        );
    };
    // The public index's `dl` may be on another host (crates.io's is): no
    // token goes there.
    match Url::parse(&index::dl_url(&up.dl, name, version, &known.cksum)) {
        Ok(u) if known.source == Source::Public || same_origin(&u, &base) => Ok(u),
        _ => {
            tracing::warn!(mount = %mount.label, "the registry's `dl` is not on the repository's own origin; not downloading");
            Err(RepoError::Upstream(
                "the registry's download URL is not on the repository's own host\n",
            )
            .into_response())
        }
    }
}

/// Is `url` on the repository's own origin (scheme, host and port)? The
/// token goes nowhere else, whatever `config.json` says.
fn same_origin(url: &Url, base: &Url) -> bool {
    url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
}

/// A `.crate`, fetched from the `dl` of the index that listed it, checked
/// against that index's `cksum` before it is stored (a mismatch fails the
/// download and stores nothing), then served immutably.
async fn download(st: &CargoShared, mount: &CargoRepo, name: &str, version: &str) -> Response {
    if !index::valid_name(name) || !index::valid_version(version) {
        return RepoError::BadPath.into_response();
    }
    let mut known = match checksum(st, mount, name, version).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let url = match known.url.clone() {
        Some(u) => u,
        None => match download_url(st, mount, name, version, &known).await {
            Ok(u) => {
                known.url = Some(u.clone());
                mount.files.remember(name, version, known.clone());
                u
            }
            Err(r) => return r,
        },
    };
    let opts = LookupOptions {
        namespace: mount.namespace.clone(),
        upstream_auth: UpstreamAuth::Service,
        policy: CachePolicy::Standard,
        immutable: true,
        verify: Some(Verifier::Sha256(known.cksum)),
        ..LookupOptions::default()
    };
    let resp = cached(
        &st.ctx,
        &url,
        None,
        false,
        opts,
        mount.fetch_from(
            known.source,
            &st.client,
            AuthScheme::Bearer,
            Redirects::Follow,
        ),
    )
    .await;
    if resp.status() != StatusCode::OK {
        return upstream_error(&resp).into_response();
    }
    file_response(resp, "application/x-tar")
}

/// `cargo publish` (`api` = `new`) or `cargo yank` (`CRATE/VERSION/yank`,
/// `.../unyank`), streamed to the repository's `api` with the token.
async fn publish(
    st: &CargoShared,
    mount: &CargoRepo,
    method: Method,
    api: &str,
    req: Request,
) -> Response {
    mount.stats.record(None);
    let setting = "`allow_publish = true` on its [[repos.cargo]] mount";
    if let Some(refused) = publish_refusal(mount, mount.allow_publish, req.headers(), setting) {
        return refused;
    }
    let (base, _, config) = match upstream_config(st, mount, Source::Private, false).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let root = config::parse(&config).and_then(|c| c.api).map_or_else(
        || Ok(base.clone()),
        |a| crate::codeartifact::repository::dir_url(&a),
    );
    let url = match root
        .ok()
        .and_then(|r| r.join(&format!("api/v1/crates/{api}")).ok())
    {
        Some(u) if same_origin(&u, &base) => u,
        _ => {
            tracing::warn!(mount = %mount.label, "the registry's `api` is not on the repository's own origin; not publishing");
            return RepoError::Upstream(
                "the registry's API URL is not on the repository's own host\n",
            )
            .into_response();
        }
    };
    let ok = if api == "new" { PUBLISHED } else { OK };
    match publish_upstream(&st.client, mount, method, &url, AuthScheme::Bearer, req).await {
        Ok(status) => {
            mount.files.changed();
            published_json(status, ok)
        }
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_to_the_repository_origin_only() {
        let base =
            Url::parse("https://d-1.d.codeartifact.us-east-1.amazonaws.com/cargo/r/").unwrap();
        for ok in [
            "https://d-1.d.codeartifact.us-east-1.amazonaws.com/cargo/r/api/v1/crates/a/1/download",
            "https://d-1.d.codeartifact.us-east-1.amazonaws.com:443/other",
        ] {
            assert!(same_origin(&Url::parse(ok).unwrap(), &base), "{ok}");
        }
        for bad in [
            "http://d-1.d.codeartifact.us-east-1.amazonaws.com/cargo/r/",
            "https://evil.example/cargo/r/",
            "https://d-1.d.codeartifact.us-east-1.amazonaws.com:8443/cargo/r/",
            "https://d-1.d.codeartifact.us-east-1.amazonaws.com.evil.example/",
        ] {
            assert!(!same_origin(&Url::parse(bad).unwrap(), &base), "{bad}");
        }
    }
}
