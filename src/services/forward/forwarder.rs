//! The one seam between the proxy front end and whatever reaches the upstream:
//! every request the proxy forwards (absolute-URI HTTP, and each request decrypted
//! inside an intercepted CONNECT) goes through [`Forwarder::forward`]: either
//! [`PassThrough`] (straight to the [`UpstreamClient`]) or the cache's
//! `CachingForwarder` (GET/HEAD through `HttpCache::handle`, other methods
//! streamed straight through with [`UpstreamClient::send`]).

use futures_util::future::BoxFuture;
use http::{Request, Response};

pub use super::target::Target;
use crate::net::{Body, UpstreamClient, strip_hop_by_hop};

/// Sends one request upstream and always answers: failures become a short
/// 502/504 response, with the details logged.
///
/// The request's URI is absolute (`https://host/path?query`) and its headers are
/// already free of hop-by-hop fields; the body streams. The answer is free of
/// hop-by-hop fields too: [`PassThrough`] strips them, the cache never returns
/// them.
pub trait Forwarder: Send + Sync + 'static {
    fn forward(&self, req: Request<Body>, target: Target) -> BoxFuture<'static, Response<Body>>;
}

/// Forwards without caching.
#[derive(Debug, Clone)]
pub struct PassThrough {
    client: UpstreamClient,
}

impl PassThrough {
    pub fn new(client: UpstreamClient) -> Self {
        Self { client }
    }
}

impl Forwarder for PassThrough {
    fn forward(&self, req: Request<Body>, target: Target) -> BoxFuture<'static, Response<Body>> {
        let client = self.client.clone();
        Box::pin(async move {
            match client.send(req).await {
                Ok(mut response) => {
                    strip_hop_by_hop(response.headers_mut());
                    response
                }
                Err(error) => {
                    tracing::warn!(
                        host = %target.host,
                        port = target.port,
                        error = %crate::error::chain_text(&error),
                        "upstream request failed"
                    );
                    error.to_response()
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, header};

    use crate::net::strip_hop_by_hop;

    #[test]
    fn hop_by_hop_fields_go_end_to_end_fields_stay() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, "keep-alive, X-Secret".parse().unwrap());
        headers.insert("x-secret", "1".parse().unwrap());
        headers.insert("keep-alive", "timeout=5".parse().unwrap());
        headers.insert("proxy-connection", "keep-alive".parse().unwrap());
        headers.insert(header::PROXY_AUTHORIZATION, "Basic x".parse().unwrap());
        headers.insert(header::TRANSFER_ENCODING, "chunked".parse().unwrap());
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        headers.insert(header::CONTENT_LENGTH, "3".parse().unwrap());
        strip_hop_by_hop(&mut headers);
        let mut left: Vec<_> = headers.keys().map(|k| k.as_str()).collect();
        left.sort_unstable();
        assert_eq!(left, ["content-length", "content-type"]);
    }
}
