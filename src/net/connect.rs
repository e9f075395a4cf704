//! The connector under the outbound client: straight TCP, or through an HTTP proxy
//! (`CONNECT` for `https://` destinations and raw tunnels, absolute-form requests
//! for `http://`), chosen per destination by the proxy matcher (`HTTPS_PROXY`,
//! `HTTP_PROXY`, `NO_PROXY` or `[proxy] upstream_proxy`).
//!
//! With a [`DestinationPolicy`] (the forward proxy's client) every destination
//! is checked first as written, then each address its name resolves to; the
//! connection goes to a checked address, never to a second resolution's answer.
//! Through an upstream proxy only the first check applies (that proxy resolves
//! the name); the upstream proxy itself is configured, not chosen by a client,
//! and is never checked.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use super::BoxError;
use super::destination::DestinationPolicy;

/// How long to wait for a TCP connection (to the origin or the upstream proxy).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to a destination directly or through the configured proxy.
#[derive(Clone)]
pub struct ProxyConnector {
    http: HttpConnector,
    matcher: Arc<Matcher>,
    destinations: Option<DestinationPolicy>,
}

impl std::fmt::Debug for ProxyConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConnector").finish_non_exhaustive()
    }
}

/// An `HttpConnector` set up the way every outbound connection is.
fn tcp_connector<R>(resolver: R) -> HttpConnector<R> {
    let mut http = HttpConnector::new_with_resolver(resolver);
    http.enforce_http(false);
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    http.set_nodelay(true);
    http
}

impl ProxyConnector {
    /// `destinations`: check every destination (see the module doc).
    pub fn new(matcher: Matcher, destinations: Option<DestinationPolicy>) -> Self {
        Self {
            http: tcp_connector(hyper_util::client::legacy::connect::dns::GaiResolver::new()),
            matcher: Arc::new(matcher),
            destinations,
        }
    }

    /// The `Proxy-Authorization` value for a plain-HTTP request to `uri`, if it
    /// goes through a proxy whose URL carries credentials.
    pub fn proxy_authorization(&self, uri: &Uri) -> Option<http::HeaderValue> {
        self.matcher
            .intercept(uri)
            .and_then(|i| i.basic_auth().cloned())
    }

    /// A raw byte stream to `host:port` (for CONNECT passthrough), tunnelled
    /// through the upstream proxy when one applies to `https://host:port`.
    pub async fn connect_raw(&self, host: &str, port: u16) -> Result<TcpStream, BoxError> {
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let dst: Uri = format!("https://{host}:{port}").parse()?;
        let conn = self.clone().call(dst).await?;
        Ok(conn.io.into_inner())
    }

    async fn connect(self, dst: Uri) -> Result<Conn, BoxError> {
        let port = dst
            .port_u16()
            .unwrap_or(if dst.scheme() == Some(&http::uri::Scheme::HTTPS) {
                443
            } else {
                80
            });
        if let Some(policy) = &self.destinations {
            policy.check_target(dst.host().unwrap_or_default(), port)?;
        }
        let mut http = self.http.clone();
        match self.matcher.intercept(&dst) {
            None => {
                let io = match &self.destinations {
                    // A literal address skips the resolver: `check_target` checked it.
                    Some(policy) => {
                        tcp_connector(CheckedResolver {
                            policy: policy.clone(),
                            port,
                        })
                        .call(dst)
                        .await?
                    }
                    None => http.call(dst).await?,
                };
                Ok(Conn { io, proxied: false })
            }
            Some(proxy) if dst.scheme() == Some(&http::uri::Scheme::HTTPS) => {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), http);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                let io = tunnel.call(dst).await.map_err(|e| {
                    BoxError::from(format!("through proxy {}: {e}", redact(proxy.uri())))
                })?;
                Ok(Conn { io, proxied: false })
            }
            Some(proxy) => Ok(Conn {
                io: http.call(proxy.uri().clone()).await?,
                proxied: true,
            }),
        }
    }
}

/// Resolves a name and keeps only the addresses the policy allows for it; when
/// none is left, fails with the first refusal.
#[derive(Clone)]
struct CheckedResolver {
    policy: DestinationPolicy,
    /// The destination's port (the name alone reaches the resolver).
    port: u16,
}

impl Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy.clone();
        let port = self.port;
        Box::pin(async move {
            let host = name.as_str();
            let resolved = tokio::net::lookup_host((host, port)).await?;
            let mut refused = None;
            let allowed: Vec<SocketAddr> = resolved
                .filter(|addr| match policy.check_resolved(host, *addr) {
                    Ok(()) => true,
                    Err(refusal) => {
                        refused.get_or_insert(refusal);
                        false
                    }
                })
                .collect();
            match refused {
                Some(refusal) if allowed.is_empty() => Err(refusal.into()),
                _ => Ok(allowed.into_iter()),
            }
        })
    }
}

/// A proxy URI without userinfo, for messages.
fn redact(uri: &Uri) -> String {
    crate::secret::redact_url(&uri.to_string()).into_owned()
}

impl Service<Uri> for ProxyConnector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        Box::pin(self.clone().connect(dst))
    }
}

/// A TCP connection that remembers whether it leads to a proxy (then the client
/// sends absolute-form request targets).
#[derive(Debug)]
pub struct Conn {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::net::destination::{OwnListeners, Refusal};

    fn policy(allow: &[&str]) -> DestinationPolicy {
        let allow = allow.iter().map(|a| a.parse().unwrap()).collect();
        DestinationPolicy::new(allow, OwnListeners::default())
    }

    async fn resolve(
        policy: DestinationPolicy,
        name: &str,
        port: u16,
    ) -> Result<Vec<SocketAddr>, BoxError> {
        let mut resolver = CheckedResolver { policy, port };
        Ok(resolver
            .call(Name::from_str(name).unwrap())
            .await?
            .collect())
    }

    #[tokio::test]
    async fn the_resolver_refuses_what_a_name_resolves_to_and_keeps_what_is_allowed() {
        // `localhost` stands for any name that resolves to loopback.
        let err = resolve(policy(&[]), "localhost", 8080).await.unwrap_err();
        let refusal = err.downcast_ref::<Refusal>().expect("a refusal");
        assert_eq!(refusal.target, "localhost:8080");

        // Only the allowed address is kept (not ::1), with the port.
        let kept = resolve(policy(&["127.0.0.1:8080"]), "localhost", 8080)
            .await
            .unwrap();
        assert_eq!(kept, ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]);
        assert!(
            resolve(policy(&["127.0.0.1:8080"]), "localhost", 8081)
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn the_connector_checks_literals_and_connects_to_a_checked_address() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connector =
            |allow: &[&str]| ProxyConnector::new(Matcher::builder().build(), Some(policy(allow)));
        for uri in [
            format!("http://127.0.0.1:{port}/"),
            format!("http://2130706433:{port}/"),
            format!("http://[::ffff:127.0.0.1]:{port}/"),
            format!("http://localhost:{port}/"),
        ] {
            let err = connector(&[]).call(uri.parse().unwrap()).await.unwrap_err();
            assert!(err.downcast_ref::<Refusal>().is_some(), "{uri}: {err}");
        }
        let conn = connector(&[&format!("127.0.0.1:{port}")])
            .call(format!("http://localhost:{port}/").parse().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        assert_eq!(
            conn.io.inner().peer_addr().unwrap(),
            accepted.local_addr().unwrap()
        );
        // Without a policy (clients of configured upstreams) nothing is checked.
        let unchecked = ProxyConnector::new(Matcher::builder().build(), None);
        assert!(unchecked.connect_raw("127.0.0.1", port).await.is_ok());
    }
}
