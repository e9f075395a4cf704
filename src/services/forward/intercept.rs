//! Interception inside a `CONNECT` tunnel. The first byte decides: a TLS
//! handshake gets a leaf minted for the host the client asked for (signed by the
//! awsproxy CA); anything else is taken as plain HTTP (a client tunnelling
//! `http://` through CONNECT). Either way the client then speaks HTTP/1.1 and each
//! request goes to the [`Forwarder`](super::Forwarder) as
//! `https://host:port/...` (or `http://...`) of the CONNECT target, whatever the
//! inner request line or `Host` name. `Upgrade` (WebSocket) is not relayed: it is
//! a hop-by-hop header and is removed.
//!
//! The client has the listener's header timeout to send its first byte and
//! finish the TLS handshake; the inner connection then runs under the same
//! limits as the proxy's own (header timer, graceful shutdown).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Request;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::{ForwardProxy, Target};
use crate::daemon::{Slot, accept};
use crate::net;

/// The first byte of a TLS record carrying a handshake message.
const TLS_HANDSHAKE: u8 = 0x16;

/// The client side of a tunnel once its first bytes are in.
enum Opened {
    Plain(Prefixed<TokioIo<hyper::upgrade::Upgraded>>),
    Tls(Box<TlsStream<Prefixed<TokioIo<hyper::upgrade::Upgraded>>>>),
}

pub(super) async fn serve(
    proxy: ForwardProxy,
    io: TokioIo<hyper::upgrade::Upgraded>,
    host: String,
    port: u16,
    slot: Slot,
) {
    let peer = slot.peer();
    let timeout = slot.limits().header_timeout;
    let opened = match tokio::time::timeout(timeout, open(&proxy, io, &host, peer)).await {
        Ok(Some(opened)) => opened,
        Ok(None) => return,
        Err(_) => {
            tracing::debug!(%peer, %host, ?timeout, "tunnel closed: no request or TLS handshake in time");
            return;
        }
    };
    let target = |scheme| Target {
        scheme,
        host,
        port,
        intercepted: true,
    };
    match opened {
        Opened::Plain(io) => serve_http(proxy, io, target(http::uri::Scheme::HTTP), slot).await,
        Opened::Tls(tls) => serve_http(proxy, tls, target(http::uri::Scheme::HTTPS), slot).await,
    }
}

/// Reads the first byte; on a TLS handshake, completes it with a leaf for `host`.
async fn open(
    proxy: &ForwardProxy,
    mut io: TokioIo<hyper::upgrade::Upgraded>,
    host: &str,
    peer: std::net::SocketAddr,
) -> Option<Opened> {
    let mut first = [0u8; 1];
    match io.read(&mut first).await {
        Ok(1) => {}
        _ => return None,
    }
    let io = Prefixed {
        first: Some(first[0]),
        inner: io,
    };
    if first[0] != TLS_HANDSHAKE {
        return Some(Opened::Plain(io));
    }
    // Without a CA every tunnel passes through (`is_passthrough`); never here.
    let minter = proxy.inner.minter.as_ref()?;
    let config = match minter.server_config(host) {
        Ok(config) => Arc::new(config),
        Err(error) => {
            tracing::warn!(%host, %error, "cannot build the interception TLS config");
            return None;
        }
    };
    match TlsAcceptor::from(config).accept(io).await {
        Ok(tls) => Some(Opened::Tls(Box::new(tls))),
        Err(error) => {
            // Typically a client that does not trust the awsproxy CA.
            tracing::info!(%peer, %host, %error, "client TLS handshake failed (is the awsproxy CA trusted?)");
            None
        }
    }
}

/// Serves HTTP/1.1 on the client side of a tunnel until it closes or shutdown.
async fn serve_http<I>(proxy: ForwardProxy, io: I, target: Target, slot: Slot)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let peer = slot.peer();
    let service = service_fn(move |req: Request<Incoming>| {
        let proxy = proxy.clone();
        let target = target.clone();
        async move {
            tracing::debug!(%peer, method = %req.method(), host = %target.host, "forwarding (intercepted)");
            // `forward` aims the request at the CONNECT target, whatever its
            // own request line and `Host` say.
            Ok::<_, std::convert::Infallible>(
                proxy.forward(req.map(net::boxed), target, peer).await,
            )
        }
    });
    if let Err(error) = accept::serve_connection(io, service, &slot).await {
        tracing::debug!(%peer, %error, "intercepted connection ended with an error");
    }
}

/// A stream with one already-read byte put back in front.
struct Prefixed<I> {
    first: Option<u8>,
    inner: I,
}

impl<I: AsyncRead + Unpin> AsyncRead for Prefixed<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if buf.remaining() > 0
            && let Some(byte) = self.first.take()
        {
            buf.put_slice(&[byte]);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Prefixed<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
