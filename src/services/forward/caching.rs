//! The forward proxy's caching [`Forwarder`]: `GET` and `HEAD` go through the
//! shared [`HttpCache`] (policy from `[[proxy.rule]]`), everything else streams
//! straight to the upstream. This is the seam of `forwarder.rs` filled in.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::{Method, Request, Response};

use super::forwarder::{Forwarder, PassThrough, Target};
use crate::cache::{self, HttpCache};
use crate::net::{Body, UpstreamClient};

/// Forwards through the cache.
#[derive(Debug, Clone)]
pub struct CachingForwarder {
    cache: HttpCache,
    upstream: Arc<CacheUpstream>,
    passthrough: PassThrough,
}

impl CachingForwarder {
    pub fn new(cache: HttpCache, client: UpstreamClient) -> Self {
        Self {
            cache,
            upstream: Arc::new(CacheUpstream(client.clone())),
            passthrough: PassThrough::new(client),
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
        Box::pin(async move {
            let opts = cache.options_for(&req);
            cache.handle(req, opts, upstream).await
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
    ) -> cache::BoxFuture<'static, Result<Response<cache::Body>, cache::FetchError>> {
        let fetch = self.0.fetch(req);
        Box::pin(async move {
            fetch.await.map_err(|e| {
                let message = format!("{e} (hint: {})", e.hint());
                cache::FetchError::new(message, e)
            })
        })
    }
}
