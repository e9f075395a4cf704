//! awsproxy's outbound HTTP client: one pooled hyper client (HTTP/1.1, keep-alive)
//! that verifies upstream TLS against [`roots`] and goes through a corporate proxy
//! when `[proxy] upstream_proxy` or `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` say so
//! ([`connect`]). Bodies stream both ways as [`Body`].
//!
//! The forward proxy's client also checks every destination it connects to for
//! a proxy client ([`destination`]); clients of services that reach only
//! configured upstreams don't.
//!
//! [`UpstreamClient::fetch`] has the shape the cache's `Fetch` trait expects
//! (bodiless request in, streaming response out); [`UpstreamClient::send`] takes a
//! streaming request body for methods that bypass the cache.

pub mod connect;
pub mod destination;
pub mod proxy_env;
pub mod roots;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioExecutor;

pub use connect::ProxyConnector;
pub use destination::{DestinationPolicy, Refusal};

use crate::config::ProxySection;

/// Errors inside bodies and services.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A streaming body, boxed (request and response bodies alike). The same type as
/// the cache's body, so responses pass between the two without re-boxing.
pub type Body = crate::cache::Body;

/// An empty body.
pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// A body from bytes in memory (small, generated responses only).
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A plain-text answer (`text/plain; charset=utf-8`) with `status`.
pub fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Wraps hyper's incoming body (or any other) as a [`Body`], still streaming.
pub fn boxed<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}

/// How long to wait for the upstream's response headers.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(120);
/// Idle pooled connections are closed after this long.
const POOL_IDLE: Duration = Duration::from_secs(90);

/// Resolved settings for the outbound client.
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    /// Proxy for all outbound traffic; overrides the environment when set.
    pub upstream_proxy: Option<String>,
    /// Read `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` when no
    /// `upstream_proxy` is set.
    pub proxy_from_env: bool,
    /// Extra PEM CA files trusted for upstream TLS.
    pub upstream_ca: Vec<PathBuf>,
    /// awsproxy's own proxy listener: proxy variables pointing at it are ignored.
    pub own_listen: Option<SocketAddr>,
    /// Check every destination against this before connecting (the forward
    /// proxy's client, which connects where proxy clients ask). `None` for
    /// services whose upstreams come from the configuration.
    pub destinations: Option<DestinationPolicy>,
}

impl ClientSettings {
    pub fn from_config(proxy: &ProxySection) -> Self {
        Self {
            upstream_proxy: proxy.upstream_proxy.clone(),
            proxy_from_env: true,
            upstream_ca: proxy.upstream_ca.clone(),
            own_listen: Some(proxy.listen.0),
            destinations: None,
        }
    }

    fn matcher(&self) -> Matcher {
        proxy_env::matcher(
            self.upstream_proxy.as_deref(),
            self.proxy_from_env,
            self.own_listen,
            &|name| std::env::var(name).ok(),
        )
    }
}

/// Why an upstream request failed; each maps to a 502/504 with a `Proxy-Status`.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A destination proxy clients may not reach; nothing was sent to it.
    #[error("refused to connect: {0}")]
    Prohibited(Refusal),
    #[error("the TLS certificate of {target} is not trusted: {reason}")]
    UntrustedCertificate { target: String, reason: String },
    #[error("cannot connect to {target}")]
    Connect {
        target: String,
        #[source]
        source: BoxError,
    },
    #[error("{target} sent no response within {}s", RESPONSE_TIMEOUT.as_secs())]
    Timeout { target: String },
    #[error("the request to {target} failed")]
    Request {
        target: String,
        #[source]
        source: BoxError,
    },
}

/// The client's answer to a failed upstream request: the one shape the
/// forward proxy's tunnels, pass-through requests and cached `GET`s share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorAnswer {
    pub status: StatusCode,
    /// The body (`awsproxy: ...`, with a `hint:` line where there is one).
    pub text: String,
    /// The RFC 9209 `Proxy-Status` error type, for a proxy's own failures.
    pub proxy_status: Option<&'static str>,
}

impl ErrorAnswer {
    pub fn to_response(&self) -> Response<Body> {
        let mut response = text(self.status, self.text.clone());
        let headers = response.headers_mut();
        if let Some(error) = self.proxy_status
            && let Ok(value) = http::HeaderValue::from_str(&format!("awsproxy; error={error}"))
        {
            headers.insert("proxy-status", value);
        }
        response
    }
}

impl FetchError {
    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            Self::Prohibited(refusal) => refusal.hint(),
            Self::UntrustedCertificate { .. } => {
                "if this origin uses a private CA, add its PEM file to `[proxy] upstream_ca`".into()
            }
            Self::Connect { .. } => {
                "check that the host is reachable (and `[proxy] upstream_proxy` / HTTPS_PROXY if you need a proxy)".into()
            }
            Self::Timeout { .. } | Self::Request { .. } => {
                "the upstream may be overloaded; retry later".into()
            }
        }
    }

    /// The RFC 9209 `Proxy-Status` error type.
    pub fn proxy_status_error(&self) -> &'static str {
        match self {
            Self::Prohibited(_) => "destination_ip_prohibited",
            Self::UntrustedCertificate { .. } => "tls_certificate_error",
            Self::Connect { .. } => "destination_unavailable",
            Self::Timeout { .. } => "http_response_timeout",
            Self::Request { .. } => "http_protocol_error",
        }
    }

    /// What the client is told (status, text with the hint, `Proxy-Status`).
    pub fn answer(&self) -> ErrorAnswer {
        let status = match self {
            Self::Prohibited(_) => StatusCode::FORBIDDEN,
            Self::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_GATEWAY,
        };
        ErrorAnswer {
            status,
            text: format!("awsproxy: {self}\nhint: {}\n", self.hint()),
            proxy_status: Some(self.proxy_status_error()),
        }
    }

    /// A short response for the client; details go to the log.
    pub fn to_response(&self) -> Response<Body> {
        self.answer().to_response()
    }

    fn classify(target: String, err: hyper_util::client::legacy::Error) -> Self {
        if let Some(refusal) = refusal_in(&err) {
            return Self::Prohibited(refusal);
        }
        if let Some(reason) = certificate_problem(&err) {
            return Self::UntrustedCertificate { target, reason };
        }
        if err.is_connect() {
            Self::Connect {
                target,
                source: err.into(),
            }
        } else {
            Self::Request {
                target,
                source: err.into(),
            }
        }
    }
}

/// Finds a rustls certificate error anywhere in the chain.
fn certificate_problem(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    find_in_chain(err, |e| match e.downcast_ref::<rustls::Error>() {
        Some(rustls::Error::InvalidCertificate(why)) => Some(format!("{why:?}")),
        _ => None,
    })
}

/// Finds a destination refusal anywhere in the chain (the connector's
/// resolver returns it inside hyper's connect errors).
fn refusal_in(err: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
    find_in_chain(err, |e| e.downcast_ref::<Refusal>().cloned())
}

/// The first error in the chain that `pick` picks. `io::Error` hides its
/// payload from `source()` (and io errors nest), so descend through `get_ref`.
fn find_in_chain<T>(
    err: &(dyn std::error::Error + 'static),
    pick: impl Fn(&(dyn std::error::Error + 'static)) -> Option<T>,
) -> Option<T> {
    let mut next = Some(err);
    // Bounded: error chains are short, and this guards against odd cycles.
    for _ in 0..32 {
        let e = next?;
        if let Some(found) = pick(e) {
            return Some(found);
        }
        next = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// The pooled outbound client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct UpstreamClient {
    client: Client<HttpsConnector<ProxyConnector>, Body>,
    connector: ProxyConnector,
}

impl UpstreamClient {
    pub fn new(settings: &ClientSettings) -> anyhow::Result<Self> {
        let roots = roots::root_store(&settings.upstream_ca)?;
        let tls = rustls::ClientConfig::builder_with_provider(crate::tls::provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = ProxyConnector::new(settings.matcher(), settings.destinations.clone());
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector.clone());
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE)
            .build(https);
        Ok(Self { client, connector })
    }

    /// Sends `req` (absolute URI, streaming body) and returns the streaming response.
    pub async fn send(&self, mut req: Request<Body>) -> Result<Response<Body>, FetchError> {
        let target = describe(req.uri());
        if req.uri().scheme() == Some(&http::uri::Scheme::HTTP)
            && let Some(auth) = self.connector.proxy_authorization(req.uri())
        {
            req.headers_mut()
                .insert(http::header::PROXY_AUTHORIZATION, auth);
        }
        let response = match tokio::time::timeout(RESPONSE_TIMEOUT, self.client.request(req)).await
        {
            Err(_) => return Err(FetchError::Timeout { target }),
            Ok(Err(e)) => return Err(FetchError::classify(target, e)),
            Ok(Ok(response)) => response,
        };
        Ok(response.map(boxed))
    }

    /// A bodiless request (GET/HEAD through the cache), in the shape of the
    /// cache's `Fetch` trait.
    pub fn fetch(
        &self,
        req: Request<()>,
    ) -> BoxFuture<'static, Result<Response<Body>, FetchError>> {
        let this = self.clone();
        Box::pin(async move { this.send(req.map(|()| empty())).await })
    }

    /// A raw stream to `host:port` for CONNECT passthrough (through the upstream
    /// proxy when one applies).
    pub async fn connect_raw(
        &self,
        host: &str,
        port: u16,
    ) -> Result<tokio::net::TcpStream, FetchError> {
        self.connector
            .connect_raw(host, port)
            .await
            .map_err(|source| match refusal_in(&*source) {
                Some(refusal) => FetchError::Prohibited(refusal),
                None => FetchError::Connect {
                    target: format!("{host}:{port}"),
                    source,
                },
            })
    }
}

/// `scheme://authority` of a URI, for messages (never the path or query, which
/// may carry presigned-URL signatures).
fn describe(uri: &Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("http");
    let host = uri.host().unwrap_or("?");
    match uri.port_u16() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    }
}

/// Removes hop-by-hop fields (RFC 9110 7.6.1): the fixed list plus every field
/// the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut http::HeaderMap) {
    let named: Vec<String> = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect();
    for name in named {
        headers.remove(name.as_str());
    }
    for name in [
        http::header::CONNECTION,
        http::header::PROXY_AUTHENTICATE,
        http::header::PROXY_AUTHORIZATION,
        http::header::TE,
        http::header::TRAILER,
        http::header::TRANSFER_ENCODING,
        http::header::UPGRADE,
    ] {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
}

/// A client's request body (not `Sync`) as a [`Body`] for the outbound
/// client, still streaming: a task forwards its chunks through a small
/// channel as they arrive (uploads and deploys passed to a repository).
pub fn streamed(body: axum::body::Body) -> Body {
    boxed(pump(body))
}

fn pump(body: axum::body::Body) -> ChannelBody {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut body = body;
        while let Some(frame) = BodyExt::frame(&mut body).await {
            let item = match frame {
                Ok(f) => match f.into_data() {
                    Ok(d) => Ok(d),
                    Err(_) => continue,
                },
                Err(e) => Err(BoxError::from(e)),
            };
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    });
    ChannelBody(rx)
}

struct ChannelBody(tokio::sync::mpsc::Receiver<Result<Bytes, BoxError>>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        self.0
            .poll_recv(cx)
            .map(|o| o.map(|r| r.map(http_body::Frame::data)))
    }
}
