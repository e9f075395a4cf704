//! The forward proxy's caching [`Forwarder`]: `GET` and `HEAD` go through the
//! shared [`HttpCache`] (policy from `[[proxy.rule]]`), everything else streams
//! straight to the upstream. This is the seam of `forwarder.rs` filled in.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::{Method, Request, Response};

use super::forwarder::{Forwarder, PassThrough, Target};
use crate::cache::stats::CacheStats;
use crate::cache::{self, HttpCache};
use crate::net::{self, Body, UpstreamClient};

/// Forwards through the cache.
#[derive(Debug, Clone)]
pub struct CachingForwarder {
    cache: HttpCache,
    upstream: Arc<CacheUpstream>,
    passthrough: PassThrough,
    stats: Arc<CacheStats>,
}

impl CachingForwarder {
    /// Outcomes are counted in `stats` under `proxy`.
    pub fn new(cache: HttpCache, client: UpstreamClient, stats: Arc<CacheStats>) -> Self {
        Self {
            cache,
            upstream: Arc::new(CacheUpstream(client.clone())),
            passthrough: PassThrough::new(client),
            stats,
        }
    }
}

impl Forwarder for CachingForwarder {
    fn forward(&self, req: Request<Body>, target: Target) -> BoxFuture<'static, Response<Body>> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return self.passthrough.forward(req, target);
        }
        // A GET or HEAD body has no defined meaning (RFC 9110 9.3.1); it is dropped.
        let (parts, _body) = req.into_parts();
        let req = Request::from_parts(parts, ());
        let cache = self.cache.clone();
        let upstream: Arc<dyn cache::Fetch> = self.upstream.clone();
        let stats = self.stats.clone();
        Box::pin(async move {
            let opts = cache.options_for(&req);
            let response = cache.handle(req, opts, upstream).await;
            stats.record_response("proxy", &response);
            response
        })
    }
}

/// The outbound client in the shape of the cache's [`cache::Fetch`].
#[derive(Debug)]
struct CacheUpstream(UpstreamClient);

impl cache::Fetch for CacheUpstream {
    fn fetch(
        &self,
        req: Request<()>,
    ) -> cache::BoxFuture<'static, Result<cache::Fetched, cache::FetchError>> {
        let fetch = self.0.fetch(req);
        Box::pin(async move {
            match fetch.await {
                Ok(response) => Ok(response.into()),
                // A refused destination (a name that resolved to loopback, say)
                // is the proxy's answer, not a failure to reach a server: the
                // client gets the 403, which is never stored, bans nothing and
                // does not stand in for a stale entry.
                Err(e @ net::FetchError::Prohibited(_)) => {
                    tracing::info!(error = %e, "refused a destination");
                    let mut response = e.to_response();
                    // For the client: a refusal is not to be kept.
                    response.headers_mut().insert(
                        http::header::CACHE_CONTROL,
                        http::HeaderValue::from_static("no-store"),
                    );
                    Ok(cache::Fetched::Final(response))
                }
                Err(e) => Err(e.into()),
            }
        })
    }
}
