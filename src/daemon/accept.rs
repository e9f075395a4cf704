//! The one accept loop every listener runs (the axum routers and the forward
//! proxy alike), with the limits that keep a client, or a whole listener, from
//! holding on to the process:
//!
//! - **header timer**: a client has [`ServerLimits::header_timeout`] to send a
//!   request's headers, counted from the accept or from the end of the previous
//!   response, so the same timer closes idle keep-alive connections (hyper's
//!   HTTP/1 server has one timer for both, and runs it only when given a
//!   `Timer`). The forward proxy applies it to the TLS handshake of an
//!   intercepted tunnel too.
//! - **connection cap per listener**: with [`ServerLimits::max_connections`]
//!   open, the loop stops accepting and new connections wait in the kernel's
//!   backlog until one closes. Waiting, rather than accepting and closing, costs
//!   no descriptor and lets a queued client in as soon as a slot frees; the cap
//!   keeps one listener's flood from taking the descriptors the others need.
//!   A tunnel keeps its connection's slot until the tunnel ends.
//! - **back-off on accept errors**: a peer that vanished before the accept is
//!   skipped; anything else (out of descriptors: EMFILE, ENFILE) sleeps 100 ms,
//!   doubling to 1 s, with at most one log line a second.
//! - **graceful shutdown**: stop accepting, let each connection finish its
//!   request, and after the grace period drop whatever is still open.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::config::ServerSection;
use crate::net::BoxError;

/// Connections one listener serves at once, unless `[server] max_connections` says otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Time to send a request's headers, and the keep-alive idle time (`[server] header_timeout`).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Idle time after which a passthrough tunnel closes (`[server] tunnel_idle_timeout`).
pub const DEFAULT_TUNNEL_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The first pause after a failed accept, and the longest.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// How often a full listener is reported.
const FULL_REPORT_EVERY: Duration = Duration::from_secs(60);

/// What every listener allows its clients, resolved from `[server]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub tunnel_idle_timeout: Duration,
    /// How long in-flight requests (and tunnels) may run after shutdown starts.
    pub grace: Duration,
    /// Who may connect and what they must send ([`super::access`]); one
    /// listener's, set with [`Self::with_access`]. Open by default.
    pub access: super::access::Access,
    /// TLS on the listener ([`Self::with_tls`]); plain HTTP by default.
    pub tls: Option<crate::tls::listener::ListenerTls>,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            tunnel_idle_timeout: DEFAULT_TUNNEL_IDLE_TIMEOUT,
            grace: super::SHUTDOWN_GRACE,
            access: super::access::Access::default(),
            tls: None,
        }
    }
}

impl ServerLimits {
    /// The limits of `[server]` for a process that may open `open_files`
    /// descriptors (`None`: unlimited). Without an explicit `max_connections`,
    /// one listener takes at most a quarter of them, so a flood on one leaves
    /// room for the others.
    pub fn resolve(section: Option<&ServerSection>, open_files: Option<u64>) -> Self {
        let defaults = Self::default();
        let section = section.cloned().unwrap_or_default();
        let max_connections = section.max_connections.unwrap_or_else(|| {
            let quarter = open_files.map_or(usize::MAX, |n| {
                usize::try_from(n / 4).unwrap_or(usize::MAX).max(1)
            });
            DEFAULT_MAX_CONNECTIONS.min(quarter)
        });
        Self {
            max_connections,
            header_timeout: section
                .header_timeout
                .map_or(defaults.header_timeout, |d| d.0),
            tunnel_idle_timeout: section
                .tunnel_idle_timeout
                .map_or(defaults.tunnel_idle_timeout, |d| d.0),
            grace: defaults.grace,
            access: defaults.access,
            tls: defaults.tls,
        }
    }

    /// These limits for a listener with `access`.
    pub fn with_access(self, access: super::access::Access) -> Self {
        Self { access, ..self }
    }

    /// These limits for a listener that speaks TLS (`None`: plain HTTP).
    pub fn with_tls(self, tls: Option<crate::tls::listener::ListenerTls>) -> Self {
        Self { tls, ..self }
    }
}

/// One accepted connection's place on its listener. Work a connection starts
/// that outlives its HTTP exchange (a `CONNECT` tunnel) runs through
/// [`Slot::spawn`] on a clone, so the slot stays taken, and shutdown waits for
/// it, until the last clone is gone.
#[derive(Debug, Clone)]
pub struct Slot {
    inner: Arc<SlotInner>,
}

#[derive(Debug)]
struct SlotInner {
    peer: SocketAddr,
    limits: Arc<ServerLimits>,
    /// Fires when shutdown starts: finish the current request, then close.
    stop: CancellationToken,
    /// Fires when the grace period is over: drop everything.
    kill: CancellationToken,
    _permit: OwnedSemaphorePermit,
}

impl Slot {
    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.inner.peer
    }

    pub fn limits(&self) -> &ServerLimits {
        &self.inner.limits
    }

    /// Resolves once the listener is shutting down.
    pub async fn stopping(&self) {
        self.inner.stop.cancelled().await;
    }

    /// Runs `work` on its own task, holding this slot, until it ends or the
    /// shutdown grace period is over. It stays in the current span (a tunnel
    /// logs with the id of the `CONNECT` that opened it).
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let slot = self.clone();
        let work = tracing::Instrument::in_current_span(work);
        tokio::spawn(async move {
            tokio::select! {
                () = work => {}
                () = slot.inner.kill.cancelled() => {}
            }
            drop(slot);
        });
    }
}

/// Serves HTTP/1.1 on `io` with `service` under `slot`'s limits (header timer,
/// keep-alive, upgrades for `CONNECT`), closing gracefully at shutdown. Each
/// request gets its id ([`super::request_id`]).
pub async fn serve_connection<I, S, B>(io: I, service: S, slot: &Slot) -> hyper::Result<()>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: hyper::body::Body + 'static,
    B::Error: Into<BoxError>,
{
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(slot.limits().header_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), super::request_id::WithRequestId(service))
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => result,
        () = slot.stopping() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    }
}

/// Accepts connections on `listener` until `shutdown` resolves, serving each
/// with the service `make_service` builds for its [`Slot`]; then lets open
/// connections finish within the grace period, and closes the rest.
pub async fn serve<M, S, B>(
    listener: TcpListener,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
    mut make_service: M,
) where
    M: FnMut(&Slot) -> S,
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let limits = Arc::new(limits);
    let address = listener.local_addr().ok();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let stop = CancellationToken::new();
    let kill = CancellationToken::new();
    let mut backoff = Backoff::default();
    let mut reported_full: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if reported_full.is_none_or(|at| at.elapsed() >= FULL_REPORT_EVERY) {
                    reported_full = Some(Instant::now());
                    tracing::warn!(
                        listener = ?address,
                        max_connections = limits.max_connections,
                        "listener at its connection limit; new connections wait (`[server] max_connections`)"
                    );
                }
                tokio::select! {
                    permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    if let Some(pause) = backoff.failed(&error, address) {
                        tokio::select! {
                            () = tokio::time::sleep(pause) => {}
                            () = &mut shutdown => break,
                        }
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        backoff.succeeded();
        if !limits.access.admits_peer(peer.ip()) {
            // Closed before a byte of HTTP is read (`allow_clients`).
            drop(stream);
            continue;
        }
        // Small responses (cache hits, index pages, credentials) would otherwise
        // wait for Nagle's algorithm and the peer's delayed ACK: ~40 ms each.
        let _ = stream.set_nodelay(true);
        let slot = Slot {
            inner: Arc::new(SlotInner {
                peer,
                limits: limits.clone(),
                stop: stop.clone(),
                kill: kill.clone(),
                _permit: permit,
            }),
        };
        let service = make_service(&slot);
        let conn_slot = slot.clone();
        let tls = limits.tls.clone();
        slot.spawn(async move {
            let served: Result<(), BoxError> = match tls {
                None => serve_connection(stream, service, &conn_slot)
                    .await
                    .map_err(Into::into),
                // The handshake has the header timer's time, like a request head.
                Some(tls) => match tokio::time::timeout(
                    conn_slot.limits().header_timeout,
                    tls.acceptor.accept(stream),
                )
                .await
                {
                    Ok(Ok(stream)) => serve_connection(stream, service, &conn_slot)
                        .await
                        .map_err(Into::into),
                    Ok(Err(error)) => Err(error.into()),
                    Err(_) => Err("TLS handshake timed out".into()),
                },
            };
            if let Err(error) = served {
                tracing::debug!(%peer, %error, "client connection ended with an error");
            }
        });
    }
    drop(listener);
    stop.cancel();
    // Each open connection (and tunnel) holds a permit: all of them back means
    // all closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.grace, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(listener = ?address, grace = ?limits.grace, "connections still open at the end of the grace period; closing them");
        kill.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(1), slots.acquire_many(all)).await;
    }
}

/// The pause after each failed accept, and when the last failure was logged.
#[derive(Debug, Default)]
struct Backoff {
    pause: Option<Duration>,
    logged: Option<Instant>,
    unlogged: u64,
}

impl Backoff {
    /// How long to wait before the next accept (`None`: at once).
    fn failed(&mut self, error: &std::io::Error, address: Option<SocketAddr>) -> Option<Duration> {
        use std::io::ErrorKind;
        if matches!(
            error.kind(),
            ErrorKind::ConnectionAborted
                | ErrorKind::ConnectionReset
                | ErrorKind::Interrupted
                | ErrorKind::WouldBlock
        ) {
            tracing::debug!(listener = ?address, %error, "a connection went away before it was accepted");
            return None;
        }
        let pause = self.pause.map_or(BACKOFF_MIN, |p| (p * 2).min(BACKOFF_MAX));
        self.pause = Some(pause);
        if self
            .logged
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1))
        {
            let hint = match rustix::io::Errno::from_io_error(error) {
                Some(rustix::io::Errno::MFILE | rustix::io::Errno::NFILE) => {
                    "out of file descriptors: raise `ulimit -n` (LimitNOFILE= in a systemd unit) or lower `[server] max_connections`"
                }
                _ => "retrying",
            };
            tracing::warn!(listener = ?address, %error, retry_in = ?pause, similar_since_last = self.unlogged, "accept failed; {hint}");
            self.logged = Some(Instant::now());
            self.unlogged = 0;
        } else {
            self.unlogged += 1;
        }
        Some(pause)
    }

    fn succeeded(&mut self) {
        self.pause = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_setting_a_listener_takes_at_most_a_quarter_of_the_descriptors() {
        assert_eq!(ServerLimits::resolve(None, Some(128)).max_connections, 32);
        assert_eq!(
            ServerLimits::resolve(None, Some(1 << 20)).max_connections,
            DEFAULT_MAX_CONNECTIONS
        );
        assert_eq!(
            ServerLimits::resolve(None, None).max_connections,
            DEFAULT_MAX_CONNECTIONS
        );
        assert_eq!(ServerLimits::resolve(None, Some(2)).max_connections, 1);
        let section = ServerSection {
            max_connections: Some(5000),
            ..Default::default()
        };
        assert_eq!(
            ServerLimits::resolve(Some(&section), Some(128)).max_connections,
            5000
        );
    }

    #[test]
    fn accept_failures_back_off_to_a_second_and_vanished_peers_do_not() {
        let mut backoff = Backoff::default();
        let gone = std::io::Error::from(std::io::ErrorKind::ConnectionAborted);
        assert_eq!(backoff.failed(&gone, None), None);
        let emfile = std::io::Error::from_raw_os_error(rustix::io::Errno::MFILE.raw_os_error());
        let pauses: Vec<_> = (0..6).map(|_| backoff.failed(&emfile, None)).collect();
        assert_eq!(
            pauses,
            [100, 200, 400, 800, 1000, 1000].map(|ms| Some(Duration::from_millis(ms)))
        );
        assert_eq!(backoff.unlogged, 5);
        backoff.succeeded();
        assert_eq!(backoff.failed(&emfile, None), Some(BACKOFF_MIN));
    }
}
