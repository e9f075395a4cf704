//! `awsproxy serve`: starts every configured service, restarts the ones whose
//! configuration changed on SIGHUP, and shuts everything down gracefully on
//! SIGTERM/SIGINT.
//!
//! Each service is one [`ServiceDef`]: which section enables it, which listen
//! address it takes, and how to start it on a bound socket. Listeners are bound
//! before anything starts, so a taken port fails `serve` at once with the port and
//! its config key; on reload an unchanged address keeps its socket. The bound
//! addresses are published ([`Shared::own_listeners`]) before any service
//! starts, so the forward proxy refuses them as destinations from its first
//! request.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, ConfigFile};

mod cache_report;
mod services;
mod settings;
use crate::daemon::{BoundListener, SHUTDOWN_GRACE, Signal, Signals};
use crate::paths::Paths;
use crate::services::status::{Health, ServiceInfo, StatusBoard};
pub use settings::Settings;

/// The open store, and the `[cache]` section it was opened for.
type OpenStore = (crate::config::CacheSection, Arc<dyn crate::cache::Store>);

/// What services share: paths, the status board, the credentials registry and
/// the cache store (opened once, so the proxy and the repositories evict from one
/// disk budget).
#[derive(Debug, Clone)]
pub struct Shared {
    pub paths: Paths,
    pub board: StatusBoard,
    pub creds: Arc<crate::creds::CredsRegistry>,
    /// CodeArtifact tokens of every repository mount: kept across a reload
    /// while a mount still holds them.
    pub tokens: Arc<crate::codeartifact::token::Tokens>,
    /// Cache outcomes per service (read off `Cache-Status`).
    pub cache_stats: Arc<crate::cache::stats::CacheStats>,
    /// Every listener's bound address: destinations the forward proxy refuses.
    pub own_listeners: crate::net::destination::OwnListeners,
    /// `awsproxy_access_requests_total`, shared by the listeners with access control.
    pub access_requests: crate::metrics::CounterFamily,
    store: Arc<tokio::sync::Mutex<Option<OpenStore>>>,
}

impl Shared {
    pub fn new(paths: Paths, board: StatusBoard) -> Self {
        Self {
            paths,
            creds: Arc::new(crate::creds::CredsRegistry::new(
                crate::creds::CacheOptions::default(),
            )),
            tokens: Arc::default(),
            cache_stats: Arc::default(),
            own_listeners: Default::default(),
            access_requests: board.metrics("access").counter_family(
                "awsproxy_access_requests",
                "Requests to listeners with access control, by listener, token name and outcome",
            ),
            board,
            store: Arc::default(),
        }
    }

    /// The store a service opened, if any.
    pub async fn current_store(&self) -> Option<Arc<dyn crate::cache::Store>> {
        self.store
            .lock()
            .await
            .as_ref()
            .map(|(_, store)| store.clone())
    }

    /// The store for `section`, reused while the section is unchanged.
    pub async fn store(
        &self,
        section: &crate::config::CacheSection,
    ) -> anyhow::Result<Arc<dyn crate::cache::Store>> {
        let mut slot = self.store.lock().await;
        if let Some((open_for, store)) = slot.as_ref()
            && open_for == section
        {
            return Ok(store.clone());
        }
        let store =
            crate::cache::store::open(section, &crate::cache::default_dir(&self.paths)).await?;
        *slot = Some((section.clone(), store.clone()));
        Ok(store)
    }
}

/// Where a service runs for a given configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Its section is absent.
    Off,
    /// A task with no socket (the SSO watcher).
    Background,
    /// A listener on this address.
    Listen(SocketAddr),
}

type StartFn = fn(
    &Shared,
    &Settings,
    Option<tokio::net::TcpListener>,
    CancellationToken,
) -> anyhow::Result<JoinHandle<()>>;

/// One service `serve` can run.
pub struct ServiceDef {
    pub name: &'static str,
    /// The config key of its listen address, for errors.
    pub key: &'static str,
    /// What a user reads in the startup line (and the status page).
    pub label: &'static str,
    /// The one line that uses it, given its address and settings (status page).
    pub usage: fn(SocketAddr, &Settings) -> String,
    pub placement: fn(&ConfigFile) -> Placement,
    /// Whether the service's resolved settings differ in a new configuration
    /// (it is then restarted; `[server]` limits and its socket are compared
    /// by the supervisor for every listener).
    pub changed: fn(&Settings, &Settings) -> bool,
    /// Starts it; gets a listener exactly when its placement is `Listen`.
    pub start: StartFn,
}

impl std::fmt::Debug for ServiceDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceDef")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Runs a service; if it stops with an error, logs it and marks it unhealthy.
pub async fn run_logged(
    board: StatusBoard,
    name: &'static str,
    fut: impl Future<Output = anyhow::Result<()>>,
) {
    if let Err(e) = fut.await {
        let reason = format!("{e:#}");
        tracing::error!(service = name, error = %reason, "service stopped");
        board.set_health(
            name,
            Health::Unhealthy {
                reason: format!("stopped: {reason}"),
            },
        );
    }
}

struct Running {
    listener: Option<Arc<BoundListener>>,
    token: CancellationToken,
    task: JoinHandle<()>,
}

/// The running daemon.
pub struct Supervisor {
    shared: Shared,
    defs: Vec<ServiceDef>,
    /// What the running services were started with.
    settings: Settings,
    running: BTreeMap<&'static str, Running>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("running", &self.running.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// Binds every listener of `config`, then starts the services. Nothing starts
    /// if any listener cannot be bound.
    pub fn start(shared: Shared, config: Config) -> anyhow::Result<Self> {
        let settings = Settings::resolve(&shared.paths, &config)?;
        let started = std::time::Instant::now();
        let metrics = shared.board.metrics("supervisor");
        metrics
            .int_gauge_family("awsproxy_build_info", "The running awsproxy version")
            .get_or_create(&vec![("version", env!("CARGO_PKG_VERSION").to_owned())])
            .set(1);
        let uptime = metrics.int_gauge("awsproxy_uptime_seconds", "Seconds since serve started");
        metrics.on_scrape(move || {
            let secs = i64::try_from(started.elapsed().as_secs()).unwrap_or(i64::MAX);
            uptime.set(secs);
        });
        cache_report::start(&shared);
        let defs = services::all();
        let mut wanted = Vec::new();
        for def in &defs {
            match (def.placement)(&config.file) {
                Placement::Off => {}
                Placement::Background => wanted.push((def.name, None)),
                Placement::Listen(addr) => wanted.push((
                    def.name,
                    Some(Arc::new(BoundListener::bind(addr, def.key)?)),
                )),
            }
        }
        shared.own_listeners.set(
            wanted
                .iter()
                .filter_map(|(name, l)| Some((*name, l.as_ref()?.addr)))
                .collect(),
        );
        let mut this = Self {
            shared,
            defs,
            settings: settings.clone(),
            running: BTreeMap::new(),
        };
        for (name, listener) in wanted {
            this.launch(name, listener, &settings)?;
        }
        Ok(this)
    }

    fn launch(
        &mut self,
        name: &'static str,
        listener: Option<Arc<BoundListener>>,
        settings: &Settings,
    ) -> anyhow::Result<()> {
        let def = self
            .defs
            .iter()
            .find(|d| d.name == name)
            .expect("known service");
        let token = CancellationToken::new();
        let socket = listener.as_ref().map(|l| l.tokio_listener()).transpose()?;
        // Healthy until the service says otherwise (a failing task marks itself).
        self.shared.board.set_health(name, Health::Healthy);
        let task = (def.start)(&self.shared, settings, socket, token.clone())?;
        match &listener {
            Some(l) => {
                self.shared.board.set_service(
                    name,
                    ServiceInfo {
                        url: format!("{}://{}/", settings.scheme(name), l.addr),
                        purpose: def.label.to_owned(),
                        usage: (def.usage)(l.addr, settings),
                    },
                );
                tracing::info!(service = name, address = %l.addr, "listening");
            }
            None => {
                self.shared.board.set_service(
                    name,
                    ServiceInfo {
                        url: "(in the background)".to_owned(),
                        purpose: def.label.to_owned(),
                        usage: (def.usage)(SocketAddr::from(([0, 0, 0, 0], 0)), settings),
                    },
                );
                tracing::info!(service = name, "started");
            }
        }
        self.running.insert(
            name,
            Running {
                listener,
                token,
                task,
            },
        );
        Ok(())
    }

    /// `(label, where)` of every running service, for the startup lines.
    pub fn listeners(&self) -> Vec<(&'static str, String)> {
        self.defs
            .iter()
            .filter_map(|d| {
                let running = self.running.get(d.name)?;
                Some((
                    d.label,
                    running.listener.as_ref().map_or_else(
                        || "running".to_owned(),
                        |l| format!("{}://{}/", self.settings.scheme(d.name), l.addr),
                    ),
                ))
            })
            .collect()
    }

    /// Applies a new configuration: services whose settings changed restart
    /// (keeping their socket when the address is the same); removed ones stop;
    /// new ones start. A listener that cannot be bound fails the reload before
    /// anything stops.
    pub async fn reload(&mut self, new: Config) -> anyhow::Result<Vec<&'static str>> {
        // Resolve and bind first so a failure changes nothing.
        let settings = Settings::resolve(&self.shared.paths, &new)?;
        let mut fresh: BTreeMap<&'static str, Option<Arc<BoundListener>>> = BTreeMap::new();
        for def in &self.defs {
            let listener = match (def.placement)(&new.file) {
                Placement::Off => continue,
                Placement::Background => None,
                Placement::Listen(addr) => {
                    let keep = self
                        .running
                        .get(def.name)
                        .and_then(|r| r.listener.clone())
                        .filter(|l| same_address(l.addr, addr));
                    Some(match keep {
                        Some(l) => l,
                        None => Arc::new(BoundListener::bind(addr, def.key)?),
                    })
                }
            };
            fresh.insert(def.name, listener);
        }
        // While services move, both the old and the new addresses are own.
        let mut own: Vec<(&'static str, SocketAddr)> = self
            .running
            .iter()
            .filter_map(|(name, r)| Some((*name, r.listener.as_ref()?.addr)))
            .collect();
        own.extend(
            fresh
                .iter()
                .filter_map(|(name, l)| Some((*name, l.as_ref()?.addr))),
        );
        self.shared.own_listeners.set(own);
        let mut restarted = Vec::new();
        let names: Vec<&'static str> = self.defs.iter().map(|d| d.name).collect();
        for name in names {
            let def = self
                .defs
                .iter()
                .find(|d| d.name == name)
                .expect("known service");
            let wanted = fresh.remove(name);
            let running = self.running.get(name);
            let same_listener = match (&wanted, running) {
                (Some(Some(w)), Some(r)) => r.listener.as_ref().is_some_and(|l| Arc::ptr_eq(w, l)),
                (Some(None), Some(r)) => r.listener.is_none(),
                _ => false,
            };
            // `[server]` applies to every listener.
            let limits_changed =
                matches!(wanted, Some(Some(_))) && self.settings.limits != settings.limits;
            let changed =
                (def.changed)(&self.settings, &settings) || !same_listener || limits_changed;
            let is_running = running.is_some();
            if is_running && (wanted.is_none() || changed) {
                self.stop(name).await;
                if wanted.is_none() {
                    self.shared.board.remove(name);
                }
            }
            if let Some(listener) = wanted
                && (!is_running || changed)
            {
                self.launch(name, listener, &settings)?;
                restarted.push(name);
            }
        }
        self.settings = settings;
        self.publish_listeners();
        Ok(restarted)
    }

    /// Publishes the running listeners' addresses as awsproxy's own.
    fn publish_listeners(&self) {
        self.shared.own_listeners.set(
            self.running
                .iter()
                .filter_map(|(name, r)| Some((*name, r.listener.as_ref()?.addr)))
                .collect(),
        );
    }

    async fn stop(&mut self, name: &str) {
        if let Some(running) = self.running.remove(name) {
            running.token.cancel();
            if tokio::time::timeout(
                SHUTDOWN_GRACE + std::time::Duration::from_secs(1),
                running.task,
            )
            .await
            .is_err()
            {
                tracing::warn!(service = name, "did not stop within the grace period");
            }
        }
    }

    /// Stops everything, letting in-flight requests finish within the grace period.
    pub async fn shutdown(mut self) {
        for running in self.running.values() {
            running.token.cancel();
        }
        let names: Vec<&'static str> = self.running.keys().copied().collect();
        for name in names {
            self.stop(name).await;
        }
    }

    /// Stops after the first SIGTERM/SIGINT: `/readyz` answers 503 at once
    /// while every listener keeps serving for `[server] drain` (a load
    /// balancer sees the pod go unready before connections are refused); then
    /// the listeners stop accepting and in-flight requests finish within the
    /// grace period. Another SIGTERM/SIGINT cuts either wait short: it returns
    /// `Stopped::AtOnce` and whatever still runs is dropped with the runtime.
    pub async fn drain_and_shutdown(self, signals: &mut Signals) -> Stopped {
        let drain = self.settings.drain;
        self.shared.board.set_draining(format!(
            "draining: shutting down (serving for {} more, then finishing in-flight requests)",
            humantime::format_duration(drain)
        ));
        tracing::info!(drain = ?drain, "shutting down: /readyz answers 503; still serving during the drain");
        tokio::select! {
            () = tokio::time::sleep(drain) => {}
            () = signals.next_shutdown() => return Stopped::at_once(),
        }
        tracing::info!("drain over: no new connections; finishing in-flight requests");
        tokio::select! {
            () = self.shutdown() => Stopped::Gracefully,
            () = signals.next_shutdown() => Stopped::at_once(),
        }
    }

    /// Runs until SIGTERM/SIGINT; SIGHUP calls `load` and applies the result.
    pub async fn run_until_signalled(
        &mut self,
        signals: &mut Signals,
        load: impl Fn() -> anyhow::Result<Config>,
    ) {
        loop {
            match signals.next().await {
                Signal::Shutdown => return,
                Signal::Reload => match load() {
                    Ok(new) => match self.reload(new).await {
                        Ok(restarted) => {
                            tracing::info!(restarted = ?restarted, "configuration reloaded")
                        }
                        Err(e) => {
                            tracing::error!(error = %format!("{e:#}"), "reload failed; the running configuration stays")
                        }
                    },
                    Err(e) => {
                        tracing::error!(error = %format!("{e:#}"), "new configuration rejected; the running configuration stays")
                    }
                },
            }
        }
    }
}

/// How [`Supervisor::drain_and_shutdown`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The drain ran out and every listener finished its requests (or the
    /// grace period ended).
    Gracefully,
    /// A second signal: in-flight requests are dropped.
    AtOnce,
}

impl Stopped {
    fn at_once() -> Self {
        tracing::warn!("second shutdown signal: stopping at once, dropping in-flight requests");
        Self::AtOnce
    }
}

fn same_address(running: SocketAddr, wanted: SocketAddr) -> bool {
    // Port 0 means "any": a running listener on an ephemeral port satisfies it.
    running.ip() == wanted.ip() && (wanted.port() == 0 || running.port() == wanted.port())
}
