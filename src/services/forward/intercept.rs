//! TLS interception inside a `CONNECT` tunnel: the client gets a leaf minted for
//! the host it asked for (signed by the awsproxy CA), then speaks HTTP/1.1; each
//! request goes to the [`Forwarder`](super::Forwarder) as `https://host:port/...`.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{Request, Uri};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio_rustls::TlsAcceptor;

use super::{ForwardProxy, Lifetime, Target, stopped};
use crate::net;

pub(super) async fn serve(
    proxy: ForwardProxy,
    io: TokioIo<hyper::upgrade::Upgraded>,
    host: String,
    port: u16,
    peer: SocketAddr,
    life: Lifetime,
) {
    let config = match proxy.inner.minter.server_config(&host) {
        Ok(config) => Arc::new(config),
        Err(error) => {
            tracing::warn!(%host, %error, "cannot build the interception TLS config");
            return;
        }
    };
    let tls = match TlsAcceptor::from(config).accept(io).await {
        Ok(tls) => tls,
        Err(error) => {
            // Typically a client that does not trust the awsproxy CA.
            tracing::info!(%peer, %host, %error, "client TLS handshake failed (is the awsproxy CA trusted?)");
            return;
        }
    };
    let target = Target {
        scheme: http::uri::Scheme::HTTPS,
        host,
        port,
        intercepted: true,
    };
    let authority = target.authority();
    let service = service_fn(move |req: Request<Incoming>| {
        let proxy = proxy.clone();
        let target = target.clone();
        let authority = authority.clone();
        async move {
            let req = match to_absolute(req, &authority) {
                Ok(req) => req,
                Err(_) => {
                    return Ok::<_, std::convert::Infallible>(super::handler::text(
                        http::StatusCode::BAD_REQUEST,
                        "awsproxy: bad request target\n",
                    ));
                }
            };
            tracing::debug!(%peer, method = %req.method(), host = %target.host, "forwarding (intercepted)");
            Ok(proxy.forward(req.map(net::boxed), target).await)
        }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(tls), service);
    tokio::pin!(conn);
    let mut stop = life.stop.clone();
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = stopped(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "intercepted connection ended with an error");
    }
}

/// Rewrites the origin-form target to `https://authority/path?query`.
fn to_absolute<B>(req: Request<B>, authority: &str) -> Result<Request<B>, http::Error> {
    let (mut parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    parts.uri = Uri::builder()
        .scheme("https")
        .authority(authority)
        .path_and_query(path)
        .build()?;
    Ok(Request::from_parts(parts, body))
}
