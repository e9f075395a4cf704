//! The connector under the outbound client: straight TCP, or through an HTTP proxy
//! (`CONNECT` for `https://` destinations and raw tunnels, absolute-form requests
//! for `http://`), chosen per destination by the proxy matcher (`HTTPS_PROXY`,
//! `HTTP_PROXY`, `NO_PROXY` or `[proxy] upstream_proxy`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use super::BoxError;

/// How long to wait for a TCP connection (to the origin or the upstream proxy).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to a destination directly or through the configured proxy.
#[derive(Clone)]
pub struct ProxyConnector {
    http: HttpConnector,
    matcher: Arc<Matcher>,
}

impl std::fmt::Debug for ProxyConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConnector").finish_non_exhaustive()
    }
}

impl ProxyConnector {
    pub fn new(matcher: Matcher) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.set_nodelay(true);
        Self {
            http,
            matcher: Arc::new(matcher),
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
        let mut http = self.http.clone();
        match self.matcher.intercept(&dst) {
            None => Ok(Conn {
                io: http.call(dst).await?,
                proxied: false,
            }),
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
