//! `awsproxy serve`: starts every configured service, restarts the ones whose
//! configuration changed on SIGHUP, and shuts everything down gracefully on
//! SIGTERM/SIGINT.
//!
//! Each service is one [`ServiceDef`]: which section enables it, which listen
//! address it takes, and how to start it on a bound socket. Listeners are bound
//! before anything starts, so a taken port fails `serve` at once with the port and
//! its config key; on reload an unchanged address keeps its socket.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, ConfigFile};
use crate::daemon::{self, BoundListener, SHUTDOWN_GRACE, Signal, Signals};
use crate::paths::Paths;
use crate::services::status::{Health, StatusBoard};

/// What services share: paths and the status board.
#[derive(Debug, Clone)]
pub struct Shared {
    pub paths: Paths,
    pub board: StatusBoard,
}

type StartFn = fn(
    &Shared,
    &ConfigFile,
    tokio::net::TcpListener,
    CancellationToken,
) -> anyhow::Result<JoinHandle<()>>;

/// One service `serve` can run.
pub struct ServiceDef {
    pub name: &'static str,
    /// The config key of its listen address, for errors.
    pub key: &'static str,
    /// What a user reads in the startup line.
    pub label: &'static str,
    /// Its listen address when its section is present.
    pub listen: fn(&ConfigFile) -> Option<SocketAddr>,
    /// Whether a new config differs for this service (it is then restarted).
    pub changed: fn(&ConfigFile, &ConfigFile) -> bool,
    pub start: StartFn,
}

impl std::fmt::Debug for ServiceDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceDef")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Sections this build reads but whose service is not built yet: `(section, what)`.
pub const NOT_BUILT: [(&str, &str); 3] = [
    ("proxy", "the caching forward proxy"),
    ("repos", "the repository listener (PyPI and Maven mounts)"),
    ("creds", "the credentials endpoint"),
];

/// The unbuilt services a configuration asks for.
pub fn unbuilt(file: &ConfigFile) -> Vec<(&'static str, &'static str)> {
    NOT_BUILT
        .into_iter()
        .filter(|(section, _)| match *section {
            "proxy" => file.proxy.is_some(),
            "repos" => file.repos.is_some(),
            "creds" => file.creds.is_some(),
            _ => false,
        })
        .collect()
}

/// The services this build can run, in start order.
pub fn services() -> Vec<ServiceDef> {
    vec![ServiceDef {
        name: "metrics",
        key: "[metrics] listen",
        label: "status page, /healthz, /metrics",
        listen: |f| f.metrics.as_ref().map(|m| m.listen.0),
        changed: |a, b| a.metrics != b.metrics,
        start: |shared, _file, listener, token| {
            let router = crate::services::status::router(shared.board.clone());
            Ok(tokio::spawn(run_logged(
                "metrics",
                daemon::serve_router(listener, router, token, SHUTDOWN_GRACE),
            )))
        },
    }]
}

async fn run_logged(name: &'static str, fut: impl Future<Output = anyhow::Result<()>>) {
    if let Err(e) = fut.await {
        tracing::error!(service = name, error = %format!("{e:#}"), "service stopped");
    }
}

struct Running {
    listener: Arc<BoundListener>,
    token: CancellationToken,
    task: JoinHandle<()>,
}

/// The running daemon.
pub struct Supervisor {
    shared: Shared,
    defs: Vec<ServiceDef>,
    config: Config,
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
        let defs = services();
        let mut bound = Vec::new();
        for def in &defs {
            if let Some(addr) = (def.listen)(&config.file) {
                bound.push((def.name, Arc::new(BoundListener::bind(addr, def.key)?)));
            }
        }
        let started = std::time::Instant::now();
        shared.board.add_metrics(move || {
            format!(
                "# HELP awsproxy_build_info The running awsproxy version.\n# TYPE awsproxy_build_info gauge\nawsproxy_build_info{{version=\"{}\"}} 1\n# HELP awsproxy_uptime_seconds Seconds since serve started.\n# TYPE awsproxy_uptime_seconds gauge\nawsproxy_uptime_seconds {}\n",
                env!("CARGO_PKG_VERSION"),
                started.elapsed().as_secs()
            )
        });
        let mut this = Self {
            shared,
            defs,
            config,
            running: BTreeMap::new(),
        };
        for (name, listener) in bound {
            this.launch(name, listener)?;
        }
        Ok(this)
    }

    fn launch(&mut self, name: &'static str, listener: Arc<BoundListener>) -> anyhow::Result<()> {
        let def = self
            .defs
            .iter()
            .find(|d| d.name == name)
            .expect("known service");
        let token = CancellationToken::new();
        let task = (def.start)(
            &self.shared,
            &self.config.file,
            listener.tokio_listener()?,
            token.clone(),
        )?;
        self.shared
            .board
            .set_service(name, &format!("http://{}/", listener.addr));
        self.shared.board.set_health(name, Health::Healthy);
        tracing::info!(service = name, address = %listener.addr, "listening");
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

    /// `(label, url)` of every running listener, for the startup lines.
    pub fn listeners(&self) -> Vec<(&'static str, String)> {
        self.defs
            .iter()
            .filter_map(|d| {
                self.running
                    .get(d.name)
                    .map(|r| (d.label, format!("http://{}/", r.listener.addr)))
            })
            .collect()
    }

    /// Applies a new configuration: services whose settings changed restart
    /// (keeping their socket when the address is the same); removed ones stop;
    /// new ones start. A listener that cannot be bound fails the reload and
    /// leaves the old service running.
    pub async fn reload(&mut self, new: Config) -> anyhow::Result<Vec<&'static str>> {
        // Bind new addresses first so a failure changes nothing.
        let mut fresh: BTreeMap<&'static str, Arc<BoundListener>> = BTreeMap::new();
        for def in &self.defs {
            let Some(addr) = (def.listen)(&new.file) else {
                continue;
            };
            let keep = self
                .running
                .get(def.name)
                .filter(|r| same_address(r.listener.addr, addr));
            let listener = match keep {
                Some(r) => r.listener.clone(),
                None => Arc::new(BoundListener::bind(addr, def.key)?),
            };
            fresh.insert(def.name, listener);
        }
        let mut restarted = Vec::new();
        let names: Vec<&'static str> = self.defs.iter().map(|d| d.name).collect();
        for name in names {
            let def = self
                .defs
                .iter()
                .find(|d| d.name == name)
                .expect("known service");
            let is_running = self.running.contains_key(name);
            let wanted = fresh.get(name).cloned();
            let same_listener = match (&wanted, self.running.get(name)) {
                (Some(w), Some(r)) => Arc::ptr_eq(w, &r.listener),
                _ => false,
            };
            let changed = (def.changed)(&self.config.file, &new.file) || !same_listener;
            if is_running && (wanted.is_none() || changed) {
                self.stop(name).await;
                if wanted.is_none() {
                    self.shared.board.remove(name);
                }
            }
            if let Some(listener) = wanted
                && (!is_running || changed)
            {
                let old = std::mem::replace(&mut self.config, new.clone());
                let result = self.launch(name, listener);
                self.config = old;
                result?;
                restarted.push(name);
            }
        }
        self.config = new;
        Ok(restarted)
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
        let names: Vec<&'static str> = self.running.keys().copied().collect();
        for running in self.running.values() {
            running.token.cancel();
        }
        for name in names {
            self.stop(name).await;
        }
    }

    /// Runs until SIGTERM/SIGINT; SIGHUP re-reads `config_path` (or the default).
    pub async fn run_until_signalled(
        &mut self,
        mut signals: Signals,
        load: impl Fn() -> anyhow::Result<Config>,
    ) {
        loop {
            match signals.next().await {
                Signal::Shutdown => {
                    tracing::info!("shutting down");
                    return;
                }
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

fn same_address(running: SocketAddr, wanted: SocketAddr) -> bool {
    // Port 0 means "any": a running listener on an ephemeral port satisfies it.
    running.ip() == wanted.ip() && (wanted.port() == 0 || running.port() == wanted.port())
}
