//! How a repository mount of any format reaches CodeArtifact (and a public
//! registry): a [`Fetch`] that adds the token itself (`Authorization: Basic
//! aws:<token>` or `Bearer <token>`, as the format's endpoint wants), so the
//! request handed to the cache never carries it; retries once with a fresh
//! token after a `401`; and follows the redirects of file downloads.
//! Errors never carry the upstream host or the token; the detail goes to the log.

use std::sync::Arc;

use base64::Engine as _;
use http::header::AUTHORIZATION;
use http::{HeaderValue, Request, Response, StatusCode};

use super::token::TokenProvider;
use crate::cache::{Body, BoxFuture, Fetch, FetchError, FetchErrorKind, Fetched, into_body};
use crate::net::{self, UpstreamClient};
use crate::secret::Secret;

/// Redirects followed for one file download.
const MAX_REDIRECTS: usize = 3;

/// `Basic base64(aws:<token>)`, marked sensitive.
pub fn basic_auth(token: &Secret) -> HeaderValue {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("aws:{}", token.expose()));
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}

/// `Bearer <token>`, marked sensitive.
pub fn bearer_auth(token: &Secret) -> HeaderValue {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .unwrap_or_else(|_| HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}

/// How a format's CodeArtifact endpoint takes the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Basic aws:<token>` (PyPI, Maven).
    BasicAws,
    /// `Bearer <token>` (npm, Cargo).
    Bearer,
}

impl AuthScheme {
    /// The `Authorization` value for `token`.
    pub fn header(self, token: &Secret) -> HeaderValue {
        match self {
            Self::BasicAws => basic_auth(token),
            Self::Bearer => bearer_auth(token),
        }
    }
}

/// What a fetch does with redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// Pass them on to the cache (index pages and documents).
    PassOn,
    /// Follow up to three, the token only to the same origin (file downloads).
    Follow,
}

/// The [`Fetch`] of a repository mount: one upstream, with or without a token.
#[derive(Debug, Clone)]
pub struct RepoFetch {
    pub client: UpstreamClient,
    /// `None` for a public registry.
    pub token: Option<(Arc<TokenProvider>, AuthScheme)>,
    pub redirects: Redirects,
}

impl RepoFetch {
    /// Sends `req` with the token, retrying once with a fresh one after a 401.
    pub async fn send(&self, parts: &http::request::Parts) -> Result<Response<Body>, FetchError> {
        let secret = match &self.token {
            Some((t, _)) => Some(t.get().await.map_err(|e| {
                tracing::debug!(error = %crate::error::chain_text(e.as_ref()), "no token for the upstream request");
                FetchError::msg("no CodeArtifact token (see /healthz)")
                    .with_kind(FetchErrorKind::Service)
            })?),
            None => None,
        };
        let mut resp = self.once(parts, secret.as_ref()).await?;
        if resp.status() == StatusCode::UNAUTHORIZED
            && let (Some((t, _)), Some(old)) = (&self.token, &secret)
        {
            tracing::debug!("upstream refused the token; fetching a new one");
            let fresh = t.replace(old).await.map_err(|_| {
                FetchError::msg("no CodeArtifact token (see /healthz)")
                    .with_kind(FetchErrorKind::Service)
            })?;
            resp = self.once(parts, Some(&fresh)).await?;
        }
        if self.redirects == Redirects::Follow {
            resp = self.follow(parts, resp, secret.as_ref()).await?;
        }
        Ok(resp)
    }

    /// Follows up to [`MAX_REDIRECTS`] redirects of a file download (e.g. to
    /// presigned blob storage URLs). The token goes only to the repository's own
    /// origin (same scheme, host and port); a redirect from `https` to plain
    /// `http` is not followed at all (anyone on the path could read the request
    /// or change the file): the answer is a `502` marked [`DowngradeRefused`].
    async fn follow(
        &self,
        parts: &http::request::Parts,
        mut resp: Response<Body>,
        token: Option<&Secret>,
    ) -> Result<Response<Body>, FetchError> {
        let origin = parts.uri.clone();
        let mut current = parts.clone();
        for _ in 0..MAX_REDIRECTS {
            if !resp.status().is_redirection() {
                break;
            }
            let Some(next) = resp
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url::Url::parse(&current.uri.to_string()).ok()?.join(l).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .and_then(|u| u.as_str().parse::<http::Uri>().ok())
            else {
                break;
            };
            if is_downgrade(&current.uri, &next) {
                tracing::warn!(
                    to = %next.host().unwrap_or_default(),
                    "the repository redirected a download from https to plain http; not following it"
                );
                let mut refused = Response::new(net::empty());
                *refused.status_mut() = StatusCode::BAD_GATEWAY;
                refused.extensions_mut().insert(DowngradeRefused);
                return Ok(refused);
            }
            let same_origin = same_origin(&origin, &next);
            current.uri = next;
            current.method = http::Method::GET;
            resp = self.once(&current, token.filter(|_| same_origin)).await?;
        }
        Ok(resp)
    }

    async fn once(
        &self,
        parts: &http::request::Parts,
        token: Option<&Secret>,
    ) -> Result<Response<Body>, FetchError> {
        let mut req = Request::new(net::empty());
        *req.method_mut() = parts.method.clone();
        *req.uri_mut() = parts.uri.clone();
        *req.headers_mut() = parts.headers.clone();
        req.headers_mut().remove(AUTHORIZATION);
        if let (Some(t), Some((_, scheme))) = (token, &self.token) {
            req.headers_mut().insert(AUTHORIZATION, scheme.header(t));
        }
        match self.client.send(req).await {
            Ok(resp) => Ok(resp.map(into_body)),
            Err(e) => {
                tracing::debug!(error = %e, "upstream request failed");
                Err(FetchError::msg("the upstream repository is unreachable"))
            }
        }
    }
}

/// Marks the `502` of a download the repository redirected from `https` to
/// plain `http` (see [`RepoFetch::follow`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DowngradeRefused;

/// `https` to `http`: a redirect that would drop TLS.
fn is_downgrade(from: &http::Uri, to: &http::Uri) -> bool {
    from.scheme() == Some(&http::uri::Scheme::HTTPS)
        && to.scheme() != Some(&http::uri::Scheme::HTTPS)
}

/// Same scheme, host (case-insensitive) and port (the scheme's default when absent).
fn same_origin(a: &http::Uri, b: &http::Uri) -> bool {
    let port = |u: &http::Uri| {
        u.port_u16().or(match u.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        })
    };
    a.scheme() == b.scheme()
        && a.host().map(str::to_ascii_lowercase) == b.host().map(str::to_ascii_lowercase)
        && port(a) == port(b)
}

impl Fetch for RepoFetch {
    fn fetch(&self, req: Request<()>) -> BoxFuture<'static, Result<Fetched, FetchError>> {
        let this = self.clone();
        Box::pin(async move {
            let (parts, ()) = req.into_parts();
            this.send(&parts).await.map(Fetched::from)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> http::Uri {
        s.parse().unwrap()
    }

    #[test]
    fn the_token_goes_only_to_the_same_scheme_host_and_port() {
        let repo = uri("https://d-1.example:443/pypi/r/simple/a/1/a.whl");
        assert!(same_origin(&repo, &uri("https://D-1.example/blob/a.whl")));
        assert!(!same_origin(
            &repo,
            &uri("http://d-1.example:443/blob/a.whl")
        ));
        assert!(!same_origin(
            &repo,
            &uri("https://d-1.example:8443/blob/a.whl")
        ));
        assert!(!same_origin(&repo, &uri("https://s3.example/blob/a.whl")));
        let plain = uri("http://127.0.0.1:8080/pypi/r/x");
        assert!(same_origin(&plain, &uri("http://127.0.0.1:8080/blob")));
        assert!(!same_origin(&plain, &uri("https://127.0.0.1:8080/blob")));
    }

    #[test]
    fn only_https_to_http_is_a_downgrade() {
        assert!(is_downgrade(&uri("https://a/x"), &uri("http://a/x")));
        assert!(!is_downgrade(&uri("https://a/x"), &uri("https://b/x")));
        assert!(!is_downgrade(&uri("http://a/x"), &uri("http://b/x")));
        assert!(!is_downgrade(&uri("http://a/x"), &uri("https://a/x")));
    }
}
