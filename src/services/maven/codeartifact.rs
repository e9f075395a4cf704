//! CodeArtifact Maven repositories at `/maven/NAME/` (a `[[repos.maven]]`
//! mount with `domain`, `domain_owner` and `repository` instead of `bucket`),
//! and without config at `/{account}/{region}/{domain}/{repo}/maven/`: the
//! shared [`CaMount`] with the no-config form's [`super::super::seeds`] rules
//! (credentials from the default chain; `PUT` refused with `403`, as that
//! form never publishes).
//!
//! The same routes and path rules as the S3 mounts ([`super::route`],
//! [`RepoPath`]): release files are cached immutably and checked against the
//! repository's `.sha256` (or `.sha1`) checksum before the cache commits them;
//! `maven-metadata.xml` and `-SNAPSHOT` paths are stored with `max-age=0` when
//! the repository names no freshness, so they are revalidated on each request
//! and served stale when CodeArtifact or the SSO session is down; `PUT`
//! (`mvn deploy`) is streamed to the repository when the mount has
//! `allow_deploy = true`. Requests carry `Basic aws:<token>` (the token shared
//! with every mount of the domain); no client-facing byte carries the token or
//! the repository's host. CodeArtifact has no directory listings: a directory
//! path is a 404 that says so.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use url::Url;

use crate::cache::{Body, CachePolicy, LookupOptions, UpstreamAuth, Verifier};
use crate::codeartifact::endpoint::Format;
use crate::codeartifact::fetch::{AuthScheme, Redirects, basic_auth};
use crate::config::MavenMount;
use crate::maven::content;
use crate::maven::path::RepoPath;
use crate::net::text;
use crate::net::{self, UpstreamClient};
use crate::services::ca_mount::{CaMount, MountConfig, Mounts};
use crate::services::repo_error::RepoError;
use crate::services::repos::{RepoContext, check_publish};

/// Largest checksum file read.
const MAX_SIDECAR: usize = 1024;

/// Response headers a client gets from the repository's answer (the rest,
/// which could name the repository's host, stay behind).
const PASSED: [header::HeaderName; 6] = [
    header::CONTENT_LENGTH,
    header::ETAG,
    header::LAST_MODIFIED,
    header::CACHE_CONTROL,
    header::AGE,
    header::ACCEPT_RANGES,
];

/// What a CodeArtifact Maven mount remembers: the checksums it has read, by
/// repository path (release files never change).
#[derive(Debug)]
pub struct MavenFiles {
    verifiers: Mutex<lru::LruCache<String, Option<Verifier>>>,
}

impl Default for MavenFiles {
    fn default() -> Self {
        Self {
            verifiers: Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(10_000).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

/// One CodeArtifact Maven repository as a mount serves it (configured, or
/// of the no-config form, which never deploys).
pub type CaMaven = CaMount<MavenFiles>;

/// The CodeArtifact Maven mounts, configured and no-config.
pub type CaMavens = Mounts<MavenFiles>;

/// The configured CodeArtifact mounts of `mounts` (those without `bucket`),
/// each token kept fresh in the background.
pub async fn mounts(mounts: &[MavenMount], ctx: &RepoContext) -> anyhow::Result<Arc<CaMavens>> {
    let mut configured = Vec::new();
    for m in mounts.iter().filter(|m| m.bucket.is_none()) {
        let Some(repository) = m.codeartifact() else {
            anyhow::bail!(
                "maven mount {}: needs domain, domain_owner and repository",
                m.name
            );
        };
        configured.push(MountConfig {
            repository,
            endpoint: m.endpoint.clone(),
            allow_publish: m.allow_deploy,
            fallback: None,
        });
    }
    Mounts::new(Format::Maven, configured, ctx).await
}

impl CaMount<MavenFiles> {
    /// The repository URL of `path` (each segment percent-encoded, so the
    /// URL stays under the base).
    async fn url(&self, segments: &[String]) -> Result<Url, RepoError> {
        let base = self.upstream.base().await.map_err(|e| {
            tracing::debug!(mount = %self.label, error = %e, "cannot resolve the repository endpoint");
            RepoError::NoEndpoint
        })?;
        let encoded: Vec<String> = segments
            .iter()
            .map(|s| url::form_urlencoded::byte_serialize(s.as_bytes()).collect())
            .collect();
        base.join(&encoded.join("/"))
            .map_err(|_| RepoError::BadPath)
    }

    /// The `.sha256` (else `.sha1`) checksum the repository has for `path`.
    async fn verifier(
        &self,
        client: &UpstreamClient,
        path: &RepoPath,
    ) -> Result<Option<Verifier>, RepoError> {
        let repo_path = path.segments().join("/");
        if let Some(v) = lock(&self.files.verifiers).get(&repo_path) {
            return Ok(v.clone());
        }
        let mut found = None;
        for (ext, len) in [("sha256", 64), ("sha1", 40)] {
            let mut segments = path.segments().to_vec();
            if let Some(last) = segments.last_mut() {
                last.push('.');
                last.push_str(ext);
            }
            let url = self.url(&segments).await?;
            let Some(bytes) = self.small(client, &url).await? else {
                continue;
            };
            let hex = content::parse_sidecar(&bytes, len)
                .unwrap_or_else(|| format!("unparseable-{ext}-sidecar"));
            found = Some(if len == 64 {
                Verifier::Sha256(hex)
            } else {
                Verifier::Sha1(hex)
            });
            break;
        }
        lock(&self.files.verifiers).put(repo_path, found.clone());
        Ok(found)
    }

    /// A small file read whole; `None` when the repository has none.
    async fn small(&self, client: &UpstreamClient, url: &Url) -> Result<Option<Bytes>, RepoError> {
        let Ok(uri) = url.as_str().parse::<http::Uri>() else {
            return Err(RepoError::BadPath);
        };
        let (parts, ()) = http::Request::get(uri)
            .body(())
            .map_err(|_| RepoError::BadPath)?
            .into_parts();
        let resp = self
            .fetch(client, AuthScheme::BasicAws, Redirects::Follow)
            .send(&parts)
            .await
            .map_err(|_| RepoError::Unreachable)?;
        match resp.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(None),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(RepoError::TokenRefused);
            }
            _ => return Err(RepoError::UpstreamFailed),
        }
        let mut body = resp.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| RepoError::Unreachable)?;
            if let Ok(data) = frame.into_data() {
                bytes.extend_from_slice(&data);
            }
            if bytes.len() > MAX_SIDECAR {
                return Err(RepoError::Upstream("a checksum file is too large\n"));
            }
        }
        Ok(Some(Bytes::from(bytes)))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Answers a request to a CodeArtifact mount (`sub` is the path below its root).
pub async fn serve(
    st: &CaMavens,
    m: &Arc<CaMaven>,
    sub: Option<&str>,
    req: Request,
) -> Response<Body> {
    let resp = match super::route(m.allow_publish, sub, req.method()) {
        super::Route::Redirect => return super::redirect(&m.local_base),
        super::Route::BadPath(e) => {
            tracing::debug!(mount = %m.label, reason = %e, "bad path");
            return super::error(RepoError::BadPath);
        }
        super::Route::NotAllowed if m.seed && req.method() == Method::PUT => {
            tracing::info!(mount = %m.label, "deploy refused: the no-config URL form never deploys");
            return super::error(RepoError::Forbidden(
                "deploys need a [[repos.maven]] mount with `allow_deploy = true`; the no-config URL form never accepts them\n",
            ));
        }
        super::Route::NotAllowed => return super::not_allowed(m.allow_publish, req.method()),
        super::Route::Listing { .. } => {
            return super::error(RepoError::Other(
                StatusCode::NOT_FOUND,
                "CodeArtifact Maven repositories have no directory listings\n",
            ));
        }
        super::Route::Deploy(path) => {
            if let Err(refusal) = check_publish(req.headers()) {
                tracing::info!(mount = %m.label, ?refusal, "deploy refused");
                return super::error(refusal);
            }
            deploy(&st.client, m, &path, req).await
        }
        super::Route::Object { path, head } => object(st, m, &path, head).await,
    };
    resp.unwrap_or_else(super::error)
}

async fn object(
    st: &CaMavens,
    m: &Arc<CaMaven>,
    path: &RepoPath,
    head: bool,
) -> Result<Response<Body>, RepoError> {
    let file = path.file_name().unwrap_or_default();
    let mutable = content::is_mutable(path.segments());
    let verify = if mutable || content::is_sidecar(file) || head {
        None
    } else {
        m.verifier(&st.client, path).await?
    };
    let url = m.url(path.segments()).await?;
    let method = if head { Method::HEAD } else { Method::GET };
    let creq = http::Request::builder()
        .method(method)
        .uri(url.as_str())
        .body(())
        .map_err(|_| RepoError::BadPath)?;
    let opts = LookupOptions {
        namespace: m.namespace.clone(),
        upstream_auth: UpstreamAuth::Service,
        // Metadata (and SNAPSHOTs) revalidate on every request, and are served
        // stale while the repository or the SSO session is down.
        policy: if mutable {
            CachePolicy::StaleIfError
        } else {
            CachePolicy::Standard
        },
        verify,
        immutable: !mutable,
        default_max_age: Some(if mutable {
            std::time::Duration::ZERO
        } else {
            crate::cache::IMMUTABLE_MAX_AGE
        }),
        ..LookupOptions::default()
    };
    let fetch = m.fetch(&st.client, AuthScheme::BasicAws, Redirects::Follow);
    let resp = st.ctx.cache.handle(creq, opts, fetch).await;
    match resp.status() {
        s if s.is_success() || s == StatusCode::NOT_MODIFIED => Ok(for_client(resp, file)),
        StatusCode::NOT_FOUND => Err(RepoError::NotFound),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(RepoError::TokenRefused),
        _ => Err(RepoError::UpstreamFailed),
    }
}

/// The cache's answer with only the headers a client needs, the content type
/// the S3 mounts give the same file, and the cache's outcome kept.
fn for_client(resp: Response<Body>, file: &str) -> Response<Body> {
    let (parts, body) = resp.into_parts();
    let mut headers = HeaderMap::new();
    for name in PASSED
        .iter()
        .chain([&http::HeaderName::from_static("cache-status")])
    {
        for v in parts.headers.get_all(name) {
            headers.append(name.clone(), v.clone());
        }
    }
    headers.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static(content::content_type(file)),
    );
    let mut out = Response::new(body);
    *out.status_mut() = parts.status;
    *out.headers_mut() = headers;
    *out.extensions_mut() = parts.extensions;
    out
}

/// `mvn deploy`: the body streamed to the repository with the token.
async fn deploy(
    client: &UpstreamClient,
    m: &Arc<CaMaven>,
    path: &RepoPath,
    req: Request,
) -> Result<Response<Body>, RepoError> {
    let token = m.upstream.token.get().await.map_err(|e| {
        tracing::debug!(mount = %m.label, error = %crate::error::chain_text(e.as_ref()), "no token for a deploy");
        RepoError::NoToken
    })?;
    let url = m.url(path.segments()).await?;
    let (parts, body) = req.into_parts();
    let mut out = http::Request::new(net::streamed(body));
    *out.method_mut() = Method::PUT;
    *out.uri_mut() = url.as_str().parse().map_err(|_| RepoError::BadPath)?;
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
    ] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out.headers_mut()
        .insert(header::AUTHORIZATION, basic_auth(&token));
    let resp = client.send(out).await.map_err(|e| {
        tracing::debug!(mount = %m.label, error = %e, "deploy failed");
        RepoError::Unreachable
    })?;
    let status = resp.status();
    tracing::debug!(mount = %m.label, %status, "deploy");
    if status.is_success() {
        if content::is_sidecar(path.file_name().unwrap_or_default()) {
            lock(&m.files.verifiers).clear();
        }
        return Ok(text(
            StatusCode::CREATED,
            format!("stored {}\n", path.segments().join("/")),
        ));
    }
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(RepoError::TokenRefused),
        s if s.is_client_error() => {
            Err(RepoError::Other(s, "the repository rejected the upload\n"))
        }
        _ => Err(RepoError::UpstreamFailed),
    }
}
