//! The forward proxy on `[proxy] listen` (default `127.0.0.1:3128`). Clients use
//! it as `HTTP_PROXY`/`HTTPS_PROXY`; it speaks HTTP/1.1 with keep-alive.
//!
//! | request                          | what happens                                              |
//! |----------------------------------|-----------------------------------------------------------|
//! | `GET http://host/path` (any method, absolute URI) | forwarded through the [`Forwarder`]      |
//! | `CONNECT host:port`, intercepted | TLS with a minted leaf; each inner request -> [`Forwarder`] as `https://host:port/...` |
//! | `CONNECT host:port`, passthrough | raw tunnel (`intercept = false` or `passthrough_hosts`)   |
//! | `GET http://awsproxy.ca/`        | the CA certificate, PEM (`/cert.pem`, `/cert.der`)         |
//! | anything else (origin-form)      | 400 with a hint                                            |
//! | any of these to a loopback, link-local or own-listener destination | 403 with `Proxy-Status: awsproxy; error=destination_ip_prohibited`, unless `allow_destinations` lets it through |
//!
//! [`ForwardProxy::serve`] runs until the shutdown future resolves, then lets
//! in-flight requests finish (bounded by a grace period).

mod caching;
mod forwarder;
mod handler;
mod intercept;
mod target;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

pub use crate::net::strip_hop_by_hop;
pub use caching::CachingForwarder;
pub use forwarder::{Forwarder, PassThrough, Target};

use crate::config::ProxySection;
use crate::net::destination::{DestinationPolicy, OwnListeners};
use crate::net::{ClientSettings, UpstreamClient};
use crate::paths::Paths;
use crate::tls::{CertificateAuthority, LeafMinter};

/// How long in-flight connections may run after shutdown starts.
const GRACE: Duration = Duration::from_secs(10);

/// Resolved front-end settings.
#[derive(Debug, Clone)]
pub struct ForwardSettings {
    /// Decrypt CONNECT tunnels with the awsproxy CA.
    pub intercept: bool,
    /// Hosts (or `*.suffix`) tunnelled untouched even when intercepting.
    pub passthrough_hosts: Vec<String>,
    /// Where proxy clients may not go, checked on each request target; the
    /// upstream client checks the same policy on every address it connects to.
    pub destinations: DestinationPolicy,
}

impl ForwardSettings {
    /// `own`: awsproxy's listeners, as the supervisor publishes them.
    pub fn from_config(proxy: &ProxySection, own: OwnListeners) -> Self {
        Self {
            intercept: proxy.intercept,
            passthrough_hosts: proxy.passthrough_hosts.clone(),
            destinations: DestinationPolicy::new(proxy.allow_destinations.clone(), own),
        }
    }

    /// Whether CONNECT to `host` is tunnelled untouched.
    pub fn is_passthrough(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        !self.intercept
            || self.passthrough_hosts.iter().any(|pattern| {
                let pattern = pattern.to_ascii_lowercase();
                match pattern.strip_prefix("*.") {
                    Some(suffix) => host
                        .strip_suffix(suffix)
                        .is_some_and(|rest| rest.ends_with('.')),
                    None => host == pattern,
                }
            })
    }
}

/// Ties a connection (and the tunnels it opens) to one `serve` call: `stop` fires
/// at shutdown; `serve` returns once every `_alive` clone is dropped.
#[derive(Clone, Debug)]
struct Lifetime {
    stop: watch::Receiver<bool>,
    _alive: mpsc::Sender<()>,
}

/// Resolves once shutdown has started.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not Send; drop it right here.
    let _ = stop.wait_for(|s| *s).await.is_ok();
}

/// The forward proxy. Cheap to clone.
#[derive(Clone)]
pub struct ForwardProxy {
    inner: Arc<Inner>,
}

struct Inner {
    settings: ForwardSettings,
    minter: Arc<LeafMinter>,
    client: UpstreamClient,
    forwarder: Arc<dyn Forwarder>,
    /// This instance's `Via` pseudonym; seeing it on a request means a loop
    /// (for example `upstream_proxy` pointing back at this proxy).
    via: String,
}

impl std::fmt::Debug for ForwardProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForwardProxy")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl ForwardProxy {
    /// `client` opens CONNECT passthrough tunnels; `forwarder` handles every
    /// forwarded request.
    pub fn new(
        settings: ForwardSettings,
        ca: Arc<CertificateAuthority>,
        client: UpstreamClient,
        forwarder: Arc<dyn Forwarder>,
    ) -> anyhow::Result<Self> {
        let minter = Arc::new(LeafMinter::new(ca)?);
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                minter,
                client,
                forwarder,
                via: format!("awsproxy-{}", hex::encode(rand::random::<[u8; 4]>())),
            }),
        })
    }

    /// The proxy `serve` runs, from the configuration: loads (or creates) the CA
    /// under the data dir, builds the upstream client (checking destinations,
    /// `own` listeners among them), and sends `GET`/`HEAD` through `cache`.
    pub fn with_cache(
        proxy: &ProxySection,
        paths: &Paths,
        cache: crate::cache::HttpCache,
        stats: Arc<crate::cache::stats::CacheStats>,
        own: OwnListeners,
    ) -> anyhow::Result<Self> {
        let ca = Arc::new(CertificateAuthority::load_or_create(&paths.data_dir)?);
        let settings = ForwardSettings::from_config(proxy, own);
        let client = UpstreamClient::new(&ClientSettings {
            destinations: Some(settings.destinations.clone()),
            ..ClientSettings::from_config(proxy)
        })?;
        let forwarder = Arc::new(CachingForwarder::new(cache, client.clone(), stats));
        Self::new(settings, ca, client, forwarder)
    }

    /// Accepts connections until `shutdown` resolves, then waits (up to a grace
    /// period) for open connections to finish their current request.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        // Out of file descriptors and the like: back off briefly.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // Cache hits of small objects would otherwise wait on Nagle's algorithm.
            let _ = stream.set_nodelay(true);
            let proxy = self.clone();
            let life = Lifetime {
                stop: stop_rx.clone(),
                _alive: alive_tx.clone(),
            };
            tokio::spawn(async move {
                let mut stop = life.stop.clone();
                let inner_life = life.clone();
                let service =
                    service_fn(move |req| proxy.clone().handle(req, peer, inner_life.clone()));
                let conn = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades();
                tokio::pin!(conn);
                let result = tokio::select! {
                    result = conn.as_mut() => result,
                    () = stopped(&mut stop) => {
                        conn.as_mut().graceful_shutdown();
                        conn.await
                    }
                };
                if let Err(error) = result {
                    tracing::debug!(%peer, %error, "client connection ended with an error");
                }
            });
        }
        drop(listener);
        let _ = stop_tx.send(true);
        drop(alive_tx);
        if tokio::time::timeout(GRACE, alive_rx.recv()).await.is_err() {
            tracing::warn!("forward proxy: connections still open after the grace period");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passthrough_patterns() {
        let s = ForwardSettings {
            intercept: true,
            passthrough_hosts: vec!["pinned.example".into(), "*.bank.example".into()],
            destinations: DestinationPolicy::default(),
        };
        assert!(s.is_passthrough("pinned.example"));
        assert!(s.is_passthrough("PINNED.example."));
        assert!(s.is_passthrough("www.bank.example"));
        assert!(!s.is_passthrough("bank.example"));
        assert!(!s.is_passthrough("evilbank.example"));
        assert!(!s.is_passthrough("other.example"));
        let off = ForwardSettings {
            intercept: false,
            passthrough_hosts: vec![],
            destinations: DestinationPolicy::default(),
        };
        assert!(off.is_passthrough("other.example"));
    }
}
