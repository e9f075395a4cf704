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
//! [`ForwardProxy::serve`] runs the listener's accept loop
//! ([`crate::daemon::accept`]: header timeout, connection cap, graceful
//! shutdown); each tunnel holds its connection's slot until it ends. An
//! intercepted tunnel's client has the header timeout to start its TLS
//! handshake; a passthrough tunnel closes after `tunnel_idle_timeout` without
//! a byte either way.

mod caching;
mod forwarder;
mod handler;
mod intercept;
mod target;
mod tunnel;

use std::future::Future;
use std::sync::Arc;

use hyper::service::service_fn;
use tokio::net::TcpListener;

pub use crate::net::strip_hop_by_hop;
pub use caching::CachingForwarder;
pub use forwarder::{Forwarder, PassThrough, Target};

use crate::config::ProxySection;
use crate::daemon::{ServerLimits, accept};
use crate::net::destination::{DestinationPolicy, OwnListeners};
use crate::net::{ClientSettings, UpstreamClient};
use crate::paths::Paths;
use crate::tls::{CertificateAuthority, LeafMinter};

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

/// The forward proxy. Cheap to clone.
#[derive(Clone)]
pub struct ForwardProxy {
    inner: Arc<Inner>,
}

struct Inner {
    settings: ForwardSettings,
    /// `None` with interception off: no CA is loaded (a read-only data dir is fine).
    minter: Option<Arc<LeafMinter>>,
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
    /// forwarded request; `ca` signs intercepted hosts' leaves (`None`: no
    /// interception, every tunnel passes through).
    pub fn new(
        settings: ForwardSettings,
        ca: Option<Arc<CertificateAuthority>>,
        client: UpstreamClient,
        forwarder: Arc<dyn Forwarder>,
    ) -> anyhow::Result<Self> {
        let minter = ca.map(LeafMinter::new).transpose()?.map(Arc::new);
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
    /// under the data dir when it intercepts, builds the upstream client (checking destinations,
    /// `own` listeners among them), and sends `GET`/`HEAD` through `cache`.
    pub fn with_cache(
        proxy: &ProxySection,
        paths: &Paths,
        cache: crate::cache::HttpCache,
        stats: Arc<crate::cache::stats::CacheStats>,
        own: OwnListeners,
    ) -> anyhow::Result<Self> {
        let ca = if proxy.intercept {
            Some(Arc::new(CertificateAuthority::load_or_create(
                &paths.data_dir,
            )?))
        } else {
            None
        };
        let settings = ForwardSettings::from_config(proxy, own);
        let client = UpstreamClient::new(&ClientSettings {
            destinations: Some(settings.destinations.clone()),
            ..ClientSettings::from_config(proxy)
        })?;
        let forwarder = Arc::new(CachingForwarder::new(cache, client.clone(), stats));
        Self::new(settings, ca, client, forwarder)
    }

    /// Accepts connections until `shutdown` resolves, with the default
    /// [`ServerLimits`]; then lets open connections finish within the grace period.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        self.serve_with(listener, ServerLimits::default(), shutdown)
            .await;
        Ok(())
    }

    /// [`Self::serve`] with the given limits.
    pub async fn serve_with(
        self,
        listener: TcpListener,
        limits: ServerLimits,
        shutdown: impl Future<Output = ()> + Send,
    ) {
        accept::serve(listener, limits, shutdown, |slot| {
            let proxy = self.clone();
            let slot = slot.clone();
            service_fn(move |req| proxy.clone().handle(req, slot.clone()))
        })
        .await;
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
