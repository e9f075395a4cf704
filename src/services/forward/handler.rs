//! Routing of one client request on the proxy's listening socket: absolute-URI
//! requests are forwarded, `CONNECT` opens a tunnel (intercepted or raw),
//! `http://awsproxy.ca/` serves the CA certificate.
//!
//! A target that is refused as written (a loopback, link-local or own-listener
//! address, `localhost`: see `net::destination`) gets its 403 here, before the
//! cache or a tunnel; names are checked again by the connector once resolved.
//! Every forwarded request carries `X-Forwarded-For` with the client's address,
//! as Squid adds by default: the instance metadata service refuses IMDSv2 tokens
//! to requests that carry it, where a user allows link-local destinations.

use std::convert::Infallible;
use std::net::SocketAddr;

use http::{Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use super::target::{self, Target, absolute_target, connect_target};
use super::{ForwardProxy, intercept, strip_hop_by_hop, tunnel};
use crate::daemon::Slot;
use crate::net::{self, Body, FetchError};

/// The magic host that serves the CA certificate, like mitm.it.
pub const CA_HOST: &str = "awsproxy.ca";

impl ForwardProxy {
    pub(super) async fn handle(
        self,
        req: Request<Incoming>,
        slot: Slot,
    ) -> Result<Response<Body>, Infallible> {
        let peer = slot.peer();
        let target = absolute_target(req.uri());
        // The CA certificate is public: a new machine fetches it before it
        // has anything else set up.
        let ca = req.method() != Method::CONNECT && is_ca_request(&req, target.as_ref());
        if !ca && let Err(denied) = slot.limits().access.check_proxy(req.headers()) {
            tracing::debug!(%peer, "proxy request without a valid token");
            return Ok(own(denied.proxy_response()));
        }
        if req.method() == Method::CONNECT {
            return Ok(self.connect(req, slot).await);
        }
        if ca {
            return Ok(self.ca_response(req.uri().path()));
        }
        let Some(target) = target else {
            return Ok(ProxyError::NotAbsolute.response());
        };
        if let Some(refused) = self.refuse(&target.host, target.port, peer) {
            return Ok(refused);
        }
        tracing::debug!(%peer, method = %req.method(), host = %target.host, "forwarding");
        Ok(self.forward(req.map(net::boxed), target, peer).await)
    }

    /// The 403 for a destination proxy clients may not reach, if `host:port`
    /// is one as written.
    fn refuse(&self, host: &str, port: u16, peer: SocketAddr) -> Option<Response<Body>> {
        let refusal = self
            .inner
            .settings
            .destinations
            .check_target(host, port)
            .err()?;
        tracing::info!(%peer, target = %refusal.target, "refused a destination: {refusal}");
        Some(FetchError::Prohibited(refusal).to_response())
    }

    /// Aims the request at `target` (URI and `Host`), strips the request's
    /// hop-by-hop fields (the [`Forwarder`](super::Forwarder) answers without
    /// any), and adds `Via` and `X-Forwarded-For`.
    pub(super) async fn forward(
        &self,
        req: Request<Body>,
        target: Target,
        peer: SocketAddr,
    ) -> Response<Body> {
        let (mut parts, body) = req.into_parts();
        if target::aim(&mut parts, &target).is_err() {
            return ProxyError::BadTarget.response();
        }
        let mut req = Request::from_parts(parts, body);
        let via = &self.inner.via;
        let looped = req
            .headers()
            .get_all(header::VIA)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|hop| hop.trim().ends_with(via.as_str())));
        if looped {
            return ProxyError::Loop.response();
        }
        strip_hop_by_hop(req.headers_mut());
        if let Ok(value) = header::HeaderValue::from_str(&format!("1.1 {via}")) {
            req.headers_mut().append(header::VIA, value);
        }
        if let Ok(value) = header::HeaderValue::from_str(&peer.ip().to_canonical().to_string()) {
            req.headers_mut().append("x-forwarded-for", value);
        }
        self.inner.forwarder.forward(req, target).await
    }

    /// Opens a tunnel on the client's connection. The tunnel runs on the
    /// connection's [`Slot`], which it keeps until it ends.
    async fn connect(self, req: Request<Incoming>, slot: Slot) -> Response<Body> {
        let peer = slot.peer();
        let Some((host, port)) = connect_target(req.uri()) else {
            return ProxyError::BadConnectTarget.response();
        };
        if let Some(refused) = self.refuse(&host, port, peer) {
            return refused;
        }
        if self.inner.settings.is_passthrough(&host) {
            // Connect first, so the client sees a clear 502 instead of a dead tunnel.
            let upstream = match self.inner.client.connect_raw(&host, port).await {
                Ok(stream) => stream,
                Err(error) => {
                    tracing::warn!(%peer, error = %crate::error::chain_text(&error), "CONNECT failed");
                    return error.to_response();
                }
            };
            let idle = slot.limits().tunnel_idle_timeout;
            slot.spawn(async move {
                match hyper::upgrade::on(req).await {
                    Ok(upgraded) => {
                        let mut client = TokioIo::new(upgraded);
                        let mut upstream = upstream;
                        match tunnel::relay(&mut client, &mut upstream, idle).await {
                            Ok(tunnel::End::Closed) => {}
                            Ok(tunnel::End::Idle) => {
                                tracing::debug!(%peer, %host, ?idle, "tunnel closed: idle");
                            }
                            Err(error) => {
                                tracing::debug!(%peer, %host, %error, "tunnel closed with an error");
                            }
                        }
                    }
                    Err(error) => tracing::debug!(%peer, %error, "CONNECT upgrade failed"),
                }
            });
        } else {
            let tunnel_slot = slot.clone();
            slot.spawn(async move {
                match hyper::upgrade::on(req).await {
                    Ok(upgraded) => {
                        intercept::serve(self, TokioIo::new(upgraded), host, port, tunnel_slot)
                            .await;
                    }
                    Err(error) => tracing::debug!(%peer, %error, "CONNECT upgrade failed"),
                }
            });
        }
        Response::new(net::empty())
    }

    fn ca_response(&self, path: &str) -> Response<Body> {
        let Some(minter) = &self.inner.minter else {
            return ProxyError::NoCa.response();
        };
        let ca = minter.ca();
        let (body, content_type, filename) = match path {
            "/" | "/cert.pem" | "/ca.pem" => (
                net::full(ca.cert_pem().to_owned()),
                "application/x-pem-file",
                "awsproxy-ca.pem",
            ),
            "/cert.der" | "/ca.der" | "/cert.crt" => (
                net::full(ca.cert_der().to_vec()),
                "application/x-x509-ca-cert",
                "awsproxy-ca.der",
            ),
            _ => {
                return ProxyError::NoSuchCaFile.response();
            }
        };
        let mut response = Response::new(body);
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(content_type),
        );
        if let Ok(v) = header::HeaderValue::from_str(&format!("inline; filename=\"{filename}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        own(response)
    }
}

/// A `GET`/`HEAD` for [`CA_HOST`], by its absolute `target` or, in origin
/// form, its `Host`.
fn is_ca_request<B>(req: &Request<B>, target: Option<&Target>) -> bool {
    let host = match target {
        Some(t) => Some(t.host.clone()),
        None => target::host_header(req.headers()),
    };
    host.is_some_and(|h| h == CA_HOST) && matches!(*req.method(), Method::GET | Method::HEAD)
}

/// What the forward proxy answers itself (not an origin's answer) when it
/// cannot forward a request: the one error type of the listener, besides the
/// upstream failures [`FetchError`] renders with `Proxy-Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ProxyError {
    /// An origin-form request that isn't for the CA host.
    NotAbsolute,
    /// A target that can't be aimed at.
    BadTarget,
    /// The request already carries this proxy's `Via`.
    Loop,
    /// `CONNECT` without `host:port`.
    BadConnectTarget,
    /// A path on the CA host other than the certificate's.
    NoSuchCaFile,
    /// The CA host, with interception off (no CA is loaded).
    NoCa,
}

impl ProxyError {
    fn status(self) -> StatusCode {
        match self {
            Self::NotAbsolute | Self::BadTarget | Self::BadConnectTarget => StatusCode::BAD_REQUEST,
            Self::Loop => StatusCode::LOOP_DETECTED,
            Self::NoSuchCaFile | Self::NoCa => StatusCode::NOT_FOUND,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::NotAbsolute => {
                "awsproxy is a forward proxy: send absolute-URI requests \
                 (set HTTP_PROXY/HTTPS_PROXY to this address)\n"
            }
            Self::BadTarget => "awsproxy: bad request target\n",
            Self::Loop => {
                "awsproxy: this request already passed through this proxy \
                 (does `[proxy] upstream_proxy` or HTTPS_PROXY point back at it?)\n"
            }
            Self::BadConnectTarget => "awsproxy: CONNECT needs a host:port target\n",
            Self::NoSuchCaFile => {
                "awsproxy: the CA certificate is at / (PEM) and /cert.der (DER)\n"
            }
            Self::NoCa => {
                "awsproxy: TLS interception is off (`[proxy] intercept = false`), so there is no CA to trust\n"
            }
        }
    }

    /// The plain-text answer, marked as the proxy's own.
    pub(super) fn response(self) -> Response<Body> {
        own(net::text(self.status(), self.message()))
    }
}

/// Marks `response` as the proxy's own answer: `Server: awsproxy` (`doctor`
/// relies on it) and `nosniff`.
fn own(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    headers.insert(
        header::SERVER,
        header::HeaderValue::from_static(crate::daemon::SERVER_HEADER),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_host_by_uri_or_host_header() {
        let ca = |req: &Request<()>| is_ca_request(req, absolute_target(req.uri()).as_ref());
        let req = Request::get("http://awsproxy.ca/").body(()).unwrap();
        assert!(ca(&req));
        let req = Request::get("http://AwsProxy.CA:80/cert.der")
            .body(())
            .unwrap();
        assert!(ca(&req));
        let req = Request::get("/")
            .header("host", "AWSPROXY.CA:80")
            .body(())
            .unwrap();
        assert!(ca(&req));
        let req = Request::get("http://example.com/")
            .header("host", "awsproxy.ca")
            .body(())
            .unwrap();
        assert!(!ca(&req), "the request line names the host, not Host");
        let req = Request::post("http://awsproxy.ca/").body(()).unwrap();
        assert!(!ca(&req));
    }
}
