//! The daemon's plumbing: binding listeners with errors that name the config key,
//! turning SIGTERM/SIGINT/SIGHUP into [`Signal`]s, and serving a router until a
//! shutdown token fires, with a grace period for in-flight transfers.
//! [`accept`] is the accept loop of every listener (timeouts, connection caps,
//! back-off); [`nofile`] raises the open-file limit; [`request_id`] gives each
//! request its id and log span.
//!
//! Listeners are bound as `std::net::TcpListener`s and handed to each run of a
//! service as a clone, so a service restarted by a reload keeps its socket (no
//! window in which connections are refused).
//!
//! What a listener may bind is [`exposure`]'s rule; which `Host` it answers is
//! [`host`]'s, applied to every request by the one middleware of [`serve_router`].

pub mod access;
pub mod ecs_address;
pub mod exposure;
pub mod host;

pub(crate) mod accept;
mod nofile;
pub mod request_id;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

pub use accept::ServerLimits;
pub(crate) use accept::Slot;
pub use nofile::{open_file_limit, raise_open_file_limit};

use self::host::{HostPolicy, Verdict};
use crate::error::Hinted;

/// How many tasks a runtime worker runs before it asks the kernel for ready
/// sockets again (tokio's default: 61). Under load, each ask wakes every
/// connection whose next request has arrived; asked often, the recently woken
/// are served again while earlier ones wait in the overflow queue, and with
/// 1000 busy keep-alive connections the tail was three times the median (p99
/// 62-67 ms, p50 12-17 ms). Asked once a round, as nginx's event loop does,
/// every waiting connection is served once per round: p99 26-39 ms at the same
/// req/s (docs/benchmarks.md, "c1000"). An idle worker asks at once, so this
/// only changes the order of work under saturation.
const EVENT_INTERVAL: u32 = 1024;

/// The runtime of the long-running commands (`serve`, `creds serve`): one
/// worker per core.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .event_interval(EVENT_INTERVAL)
        .build()
        .context("cannot start the async runtime")
}

/// How long in-flight requests may run after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A bound listening socket.
#[derive(Debug)]
pub struct BoundListener {
    pub addr: SocketAddr,
    socket: std::net::TcpListener,
    /// The ECS address awsproxy put on `lo` for this socket (or a share of one
    /// it put there for another), removed with the last share.
    _added: Option<ecs_address::AddedAddress>,
}

impl BoundListener {
    /// Binds `addr`. `key` (e.g. `[repos] listen`) is named in the error. An ECS
    /// credentials address this host does not have is added to `lo` first
    /// (see [`ecs_address`]), and removed when the listener drops.
    pub fn bind(addr: SocketAddr, key: &'static str) -> anyhow::Result<Self> {
        let ip = addr.ip().to_canonical();
        let (socket, added) = match listen(addr) {
            Ok(socket) => (socket, ecs_address::share(ip)),
            Err(e)
                if e.kind() == std::io::ErrorKind::AddrNotAvailable
                    && host::ECS_ADDRESSES.contains(&ip) =>
            {
                let added =
                    ecs_address::add_to_loopback(ip).map_err(|e| not_added(addr, key, e))?;
                let socket = listen(addr).map_err(|e| bind_error(addr, key, e))?;
                (socket, added)
            }
            Err(e) => return Err(bind_error(addr, key, e)),
        };
        socket
            .set_nonblocking(true)
            .context("cannot make the listener non-blocking")?;
        let addr = socket
            .local_addr()
            .context("cannot read the bound address")?;
        Ok(Self {
            addr,
            socket,
            _added: added,
        })
    }

    /// A tokio listener on the same socket, for one run of a service.
    pub fn tokio_listener(&self) -> anyhow::Result<tokio::net::TcpListener> {
        let clone = self
            .socket
            .try_clone()
            .context("cannot clone the listening socket")?;
        Ok(tokio::net::TcpListener::from_std(clone)?)
    }
}

/// Connections the kernel completes and queues for a listener before awsproxy
/// accepts them (capped by `net.core.somaxconn`). std's `TcpListener::bind`
/// asks for 128: a burst of new clients (a CI fleet starting, a load balancer
/// opening its pool) then overflows the queue, and the overflowing ones wait
/// one to three seconds for a retransmission. Also where connections wait while a
/// listener is at `[server] max_connections`.
pub const LISTEN_BACKLOG: i32 = 4096;

/// A listening socket on `addr` as std would bind it (`SO_REUSEADDR`,
/// close-on-exec), with a [`LISTEN_BACKLOG`] queue.
fn listen(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}

/// Why `addr` could not be bound, with what to do.
fn bind_error(addr: SocketAddr, key: &str, e: std::io::Error) -> anyhow::Error {
    let hint = match e.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "another process holds port {} (another awsproxy? `awsproxy doctor` shows what); stop it or set a different `{key}`",
            addr.port()
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "ports below 1024 need CAP_NET_BIND_SERVICE: `sudo setcap cap_net_bind_service,cap_net_admin+ep \"$(command -v awsproxy)\"`, \
             or let every user bind from port {port} with `sudo sysctl net.ipv4.ip_unprivileged_port_start={port}`; \
             or set `{key}` to a port above 1023 (SDKs accept any port in the URL)",
            port = addr.port()
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            "{} is not an address of this host; check `{key}` in the configuration",
            addr.ip()
        ),
        _ => format!("check `{key}` in the configuration"),
    };
    anyhow::Error::new(Hinted {
        message: format!("cannot listen on {addr} (`{key}`)"),
        hint,
        source: Some(e.into()),
    })
}

/// The ECS address `addr` names is not on this host and could not be added.
fn not_added(addr: SocketAddr, key: &str, e: std::io::Error) -> anyhow::Error {
    let ip = addr.ip().to_canonical();
    let command = ecs_address::add_command(ip);
    let (why, hint) = if e.kind() == std::io::ErrorKind::PermissionDenied {
        (
            "awsproxy may not add it (adding an address needs CAP_NET_ADMIN)".to_owned(),
            format!(
                "add it once yourself: `{command}` (containers reach it through their default route to this host; \
                 awsproxy then leaves it in place), or run awsproxy with CAP_NET_ADMIN \
                 (`sudo setcap cap_net_bind_service,cap_net_admin+ep \"$(command -v awsproxy)\"`) so it adds and removes it itself"
            ),
        )
    } else {
        (
            "awsproxy could not add it".to_owned(),
            format!("add it yourself: `{command}`, or set `{key}` to a loopback address"),
        )
    };
    anyhow::Error::new(Hinted {
        message: format!(
            "cannot listen on {addr} (`{key}`): this host does not have the address {ip}, and {why}"
        ),
        hint,
        source: Some(e.into()),
    })
}

/// What the process was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM or SIGINT: stop accepting, finish in-flight work, exit.
    Shutdown,
    /// SIGHUP: re-read the configuration.
    Reload,
}

/// Delivers signals as [`Signal`]s. Create it early: until then, SIGHUP kills the process.
#[derive(Debug)]
pub struct Signals {
    rx: tokio::sync::mpsc::UnboundedReceiver<Signal>,
}

impl Signals {
    pub fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        for (kind, what) in [
            (SignalKind::terminate(), Signal::Shutdown),
            (SignalKind::interrupt(), Signal::Shutdown),
            (SignalKind::hangup(), Signal::Reload),
        ] {
            let mut stream = signal(kind).context("cannot install a signal handler")?;
            let tx = tx.clone();
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    if tx.send(what).is_err() {
                        break;
                    }
                }
            });
        }
        Ok(Self { rx })
    }

    /// The next signal; `Shutdown` if the handlers are gone.
    pub async fn next(&mut self) -> Signal {
        self.rx.recv().await.unwrap_or(Signal::Shutdown)
    }

    /// Resolves at the next `Shutdown` (reloads in between are ignored: the
    /// process is already stopping).
    pub async fn next_shutdown(&mut self) {
        while self.next().await != Signal::Shutdown {}
    }
}

/// Serves `router` on `listener` until `shutdown` fires, then lets in-flight
/// requests finish for up to the grace period of `limits`. Handlers can
/// extract `ConnectInfo<SocketAddr>`. Requests whose `Host` `hosts` refuses,
/// or that lack a token `limits.access` wants, never reach the router.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    hosts: HostPolicy,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    serve_with(
        listener,
        router,
        limits,
        Hosts::Fixed(Arc::new(hosts)),
        shutdown,
    )
    .await
}

/// [`serve_router`] with a `Host` policy the caller may replace while it
/// serves (a reload of `allowed_hosts` then needs no restart, so no
/// connection is dropped).
pub async fn serve_router_with_hosts(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    hosts: Arc<arc_swap::ArcSwap<HostPolicy>>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    serve_with(listener, router, limits, Hosts::Swappable(hosts), shutdown).await
}

/// The `Host` policy of a listener: fixed for its life (every listener but
/// the ones a reload changes in place), or replaceable.
#[derive(Clone)]
enum Hosts {
    Fixed(Arc<HostPolicy>),
    Swappable(Arc<arc_swap::ArcSwap<HostPolicy>>),
}

async fn serve_with(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    hosts: Hosts,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let gate = (hosts, limits.access.clone());
    let router = router.layer(axum::middleware::from_fn_with_state(gate, log_request));
    accept::serve(listener, limits, shutdown.cancelled_owned(), |slot| {
        let router = router.clone();
        let peer = axum::extract::ConnectInfo(slot.peer());
        hyper::service::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(peer);
            // A `Router` is always ready: its `poll_ready` returns at once.
            tower_service::Service::call(&mut router.clone(), request)
        })
    })
    .await;
    Ok(())
}

/// One debug line per request (method, path without the query, status, time).
/// Health checks are left out: orchestrators poll them constantly. Queries are
/// left out because presigned URLs carry credentials there.
///
/// Requests with a `Host` the listener does not answer get the policy's refusal
/// (DNS rebinding). Every response says who answered (`Server: awsproxy`;
/// `doctor` uses it to tell "port held by awsproxy" from "port held by
/// something else"), forbids content sniffing, and grants no cross-origin read.
/// One layer does all of it: each layer costs every request a boxed future.
async fn log_request(
    axum::extract::State((hosts, access)): axum::extract::State<(Hosts, access::Access)>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let logged = tracing::enabled!(tracing::Level::DEBUG)
        .then(|| (request.method().clone(), request.uri().path().to_owned()))
        .filter(|(_, path)| {
            !matches!(path.as_str(), "/health" | "/healthz" | "/livez" | "/readyz")
        });
    let started = std::time::Instant::now();
    let swapped;
    let hosts: &HostPolicy = match &hosts {
        Hosts::Fixed(policy) => policy,
        Hosts::Swappable(current) => {
            swapped = current.load();
            &swapped
        }
    };
    let mut response = match hosts.check_request(&request) {
        Verdict::Allowed => match access.check_request(request.headers(), request.uri().path()) {
            Ok(_) => next.run(request).await,
            Err(denied) => denied.response().map(axum::body::Body::new),
        },
        refused => {
            tracing::debug!(verdict = refused.as_str(), "refused by the Host check");
            let text = [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")];
            axum::response::IntoResponse::into_response((text, hosts.refusal(refused)))
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        http::header::SERVER,
        http::HeaderValue::from_static(SERVER_HEADER),
    );
    headers.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        http::HeaderValue::from_static("nosniff"),
    );
    headers.remove(http::header::ACCESS_CONTROL_ALLOW_ORIGIN);
    if let Some((method, path)) = logged {
        tracing::debug!(%method, %path, status = response.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    }
    response
}

/// The `Server` header of every awsproxy listener.
pub const SERVER_HEADER: &str = "awsproxy";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_queue_a_burst_of_connections_before_they_are_accepted() {
        // Nothing accepts: every connection waits in the kernel's queue, which
        // std's bind limits to 128 (the connects after the 129th would hang on
        // a SYN retransmission). Connects are non-blocking, each bounded.
        let listener = BoundListener::bind("127.0.0.1:0".parse().unwrap(), "test").unwrap();
        let mut queued = Vec::new();
        for _ in 0..300 {
            let stream =
                std::net::TcpStream::connect_timeout(&listener.addr, Duration::from_millis(500))
                    .expect("the listen queue has room");
            queued.push(stream);
        }
        assert_eq!(queued.len(), 300);
    }

    #[test]
    fn a_taken_port_names_the_port_and_the_key() {
        let first = BoundListener::bind("127.0.0.1:0".parse().unwrap(), "[repos] listen").unwrap();
        let err = BoundListener::bind(first.addr, "[repos] listen").unwrap_err();
        let mut text = Vec::new();
        crate::error::report(&err, &mut text);
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains(&format!(
                "cannot listen on {} (`[repos] listen`)",
                first.addr
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("port {}", first.addr.port())),
            "{text}"
        );
    }

    #[tokio::test]
    async fn shutdown_waits_for_in_flight_requests_up_to_the_grace_period() {
        use axum::routing::get;
        let listener = BoundListener::bind("127.0.0.1:0".parse().unwrap(), "test").unwrap();
        let addr = listener.addr;
        let router = axum::Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                "done"
            }),
        );
        let token = CancellationToken::new();
        let limits = ServerLimits {
            grace: Duration::from_secs(5),
            ..ServerLimits::default()
        };
        let hosts = HostPolicy::new("[test]", addr, &[]);
        let socket = listener.tokio_listener().unwrap();
        let stop = token.clone();
        let server =
            tokio::spawn(async move { serve_router(socket, router, limits, hosts, stop).await });
        let request = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET /slow HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            let mut body = String::new();
            s.read_to_string(&mut body).await.unwrap();
            body
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        token.cancel();
        let body = request.await.unwrap();
        assert!(body.ends_with("done"), "{body}");
        server.await.unwrap().unwrap();
        // The socket lives as long as its BoundListener (reloads reuse it).
        drop(listener);
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn requests_still_running_after_the_grace_period_are_dropped() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = BoundListener::bind("127.0.0.1:0".parse().unwrap(), "test").unwrap();
        let addr = listener.addr;
        let router = axum::Router::new().route(
            "/hang",
            axum::routing::get(std::future::pending::<&'static str>),
        );
        let token = CancellationToken::new();
        let limits = ServerLimits {
            grace: Duration::from_millis(100),
            ..ServerLimits::default()
        };
        let socket = listener.tokio_listener().unwrap();
        let server = tokio::spawn(serve_router(
            socket,
            router,
            limits,
            HostPolicy::new("[test]", addr, &[]),
            token.clone(),
        ));
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /hang HTTP/1.1\r\nhost: localhost\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        token.cancel();
        tokio::time::timeout(Duration::from_secs(20), server)
            .await
            .expect("serve returns after the grace period")
            .unwrap()
            .unwrap();
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "the hanging request's connection is closed");
        assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
    }

    #[tokio::test]
    async fn handlers_can_extract_the_peer_address() {
        use axum::extract::ConnectInfo;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = BoundListener::bind("127.0.0.1:0".parse().unwrap(), "test").unwrap();
        let router = axum::Router::new().route(
            "/peer",
            axum::routing::get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                peer.to_string()
            }),
        );
        let token = CancellationToken::new();
        let socket = listener.tokio_listener().unwrap();
        let server = tokio::spawn(serve_router(
            socket,
            router,
            ServerLimits::default(),
            HostPolicy::new("[test]", listener.addr, &[]),
            token.clone(),
        ));
        let mut s = tokio::net::TcpStream::connect(listener.addr).await.unwrap();
        let local = s.local_addr().unwrap();
        s.write_all(b"GET /peer HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).await.unwrap();
        assert!(text.ends_with(&local.to_string()), "{text}");
        token.cancel();
        server.await.unwrap().unwrap();
    }
}
