//! `awsproxy creds serve`: the ECS credentials endpoint on its own listener, with
//! `/metrics`, reload on SIGHUP and on `clients_dir` changes, and a graceful stop on
//! SIGTERM/SIGINT. `--print-env CLIENT` prints what a container needs instead.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;

use anyhow::Context;

use super::Ctx;
use crate::cli::CredsServeArgs;
use crate::config::{Config, ConfigFile, CredsSection};
use tokio_util::sync::CancellationToken;

use crate::daemon::host::HostPolicy;
use crate::daemon::{self, BoundListener, Signal, Signals};
use crate::error::ExitStatus;
use crate::metrics::{self, Metrics};
use crate::services::creds_endpoint::{self, CredsService, DIR_POLL_INTERVAL};

pub fn run(ctx: &Ctx, args: &CredsServeArgs) -> anyhow::Result<ExitStatus> {
    let config = ctx.config()?;
    let mut section = config.file.creds.clone().unwrap_or_default();
    if let Some(listen) = args.listen {
        section.listen = listen;
    }
    if let Some(name) = &args.print_env {
        return print_env(ctx, &section, name);
    }
    let limits =
        daemon::ServerLimits::resolve(config.file.server.as_ref(), daemon::raise_open_file_limit())
            .with_tls(creds_endpoint::listener_tls(&section, &ctx.paths.data_dir)?);
    let listening = ConfigFile {
        creds: Some(section.clone()),
        ..ConfigFile::default()
    };
    daemon::exposure::refuse_exposed(&listening, &config.source)?;
    let loader = Loader {
        explicit: ctx.global.config.clone(),
        default_path: ctx.paths.config_file(),
        listen_override: args.listen,
        data_dir: ctx.paths.data_dir.clone(),
    };
    let rt = daemon::runtime()?;
    rt.block_on(serve(ctx, section, loader, limits))
}

/// Re-reads the configuration on SIGHUP.
struct Loader {
    explicit: Option<PathBuf>,
    default_path: PathBuf,
    listen_override: Option<crate::config::values::ListenAddr>,
    data_dir: PathBuf,
}

impl Loader {
    /// `[creds]` (with `--listen` applied) and the listener limits from `[server]`,
    /// with the endpoint's TLS (certificate files are read again).
    fn load(&self) -> anyhow::Result<(CredsSection, daemon::ServerLimits)> {
        let config = Config::load(self.explicit.as_deref(), &self.default_path)?;
        let mut section = config.file.creds.unwrap_or_default();
        if let Some(listen) = self.listen_override {
            section.listen = listen;
        }
        let limits =
            daemon::ServerLimits::resolve(config.file.server.as_ref(), daemon::open_file_limit())
                .with_tls(creds_endpoint::listener_tls(&section, &self.data_dir)?);
        Ok((section, limits))
    }
}

/// The HTTP server on the endpoint's socket: restarted for new limits (the
/// socket stays bound, so no connection is refused meanwhile), while new
/// allowed hosts are swapped in without a restart (which could close a
/// connection accepted just before it).
struct Server {
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    stop: CancellationToken,
    limits: daemon::ServerLimits,
    allowed_hosts: Vec<String>,
    hosts: Arc<ArcSwap<HostPolicy>>,
    addr: SocketAddr,
}

impl Server {
    fn start(
        listener: &BoundListener,
        app: axum::Router,
        limits: daemon::ServerLimits,
        allowed_hosts: Vec<String>,
    ) -> anyhow::Result<Self> {
        let hosts = Arc::new(ArcSwap::from_pointee(policy(listener.addr, &allowed_hosts)));
        let stop = CancellationToken::new();
        let task = tokio::spawn(daemon::serve_router_with_hosts(
            listener.tokio_listener()?,
            app,
            limits.clone(),
            hosts.clone(),
            stop.clone(),
        ));
        Ok(Self {
            task,
            stop,
            limits,
            allowed_hosts,
            hosts,
            addr: listener.addr,
        })
    }

    /// New `allowed_hosts` for the requests from now on, on the same
    /// connections (nothing restarts).
    fn set_allowed_hosts(&mut self, allowed_hosts: Vec<String>) {
        self.hosts
            .store(Arc::new(policy(self.addr, &allowed_hosts)));
        self.allowed_hosts = allowed_hosts;
    }

    /// Stops accepting, lets requests in flight finish.
    async fn stop(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.task
            .await
            .context("the credentials endpoint panicked")?
    }
}

async fn serve(
    ctx: &Ctx,
    section: CredsSection,
    loader: Loader,
    limits: daemon::ServerLimits,
) -> anyhow::Result<ExitStatus> {
    let metrics = Metrics::new();
    let (router, handle) = CredsService::build(&section, &metrics).await;
    let app = router.merge(metrics::router(metrics.clone()));
    let listener = BoundListener::bind(section.listen.0, "[creds] listen")?;
    // Signal handlers go in before the URL is announced: whoever starts us may
    // signal as soon as it reads the URL.
    let mut signals = Signals::install()?;
    let addr = listener.addr;
    let configured_listen = section.listen.0;
    if handle.client_names().is_empty() {
        ctx.printer.warn("no [[creds.client]] is configured: every request will be refused until one is added (SIGHUP reloads)");
    }
    ctx.printer.message(&format!(
        "awsproxy creds: ECS credentials endpoint at {}://{addr}/v1/credentials",
        if limits.tls.is_some() {
            "https"
        } else {
            "http"
        }
    ));
    for name in &section.tls_ca_names {
        ctx.printer.message(&format!(
            "awsproxy creds: as https://{name}:{}/v1/credentials (a certificate from awsproxy's CA: `awsproxy ca export`)",
            addr.port()
        ));
    }

    let watcher = handle.watch_clients_dir(DIR_POLL_INTERVAL);
    let mut server = Server::start(
        &listener,
        app.clone(),
        limits,
        creds_endpoint::answered_hosts(&section),
    )?;
    loop {
        tokio::select! {
            result = &mut server.task => {
                watcher.abort();
                result.context("the credentials endpoint panicked")??;
                return Ok(ExitStatus::Success);
            }
            signal = signals.next() => match signal {
                Signal::Shutdown => break,
                Signal::Reload => match loader.load() {
                    Ok((new, limits)) => {
                        let report = handle.apply_rebuilding_sources(&new).await;
                        tracing::info!(added = ?report.added, removed = ?report.removed, "reloaded on SIGHUP");
                        if new.listen.0 != configured_listen {
                            tracing::warn!(listen = %new.listen.0, "SIGHUP: `[creds] listen` changed; restart `creds serve` to move the endpoint (it stays on {addr})");
                        }
                        if limits != server.limits {
                            server.stop().await?;
                            server = Server::start(&listener, app.clone(), limits, creds_endpoint::answered_hosts(&new))?;
                            tracing::info!("SIGHUP: `[server]` limits and `[creds] allowed_hosts` applied");
                        } else if creds_endpoint::answered_hosts(&new) != server.allowed_hosts {
                            server.set_allowed_hosts(creds_endpoint::answered_hosts(&new));
                            tracing::info!("SIGHUP: `[creds] allowed_hosts` applied");
                        }
                    }
                    Err(e) => tracing::error!("SIGHUP: keeping the current clients; the configuration is invalid: {e:#}"),
                },
            },
        }
    }
    tracing::info!("stopping: finishing requests in flight");
    watcher.abort();
    server.stop().await?;
    Ok(ExitStatus::Success)
}

/// `--print-env CLIENT`: the two variables for docker compose or a shell.
fn print_env(ctx: &Ctx, section: &CredsSection, name: &str) -> anyhow::Result<ExitStatus> {
    let env = creds_endpoint::client_env(section, name)?;
    for warning in &env.warnings {
        ctx.printer.warn(warning);
    }
    let out: String = env
        .vars
        .iter()
        .map(|(name, value)| format!("{name}={value}\n"))
        .collect();
    ctx.printer.data(&out)?;
    Ok(ExitStatus::Success)
}

/// The endpoint's `Host` policy: loopback, its address, the ECS addresses
/// and `allowed_hosts`.
fn policy(addr: SocketAddr, allowed_hosts: &[String]) -> HostPolicy {
    HostPolicy::new("[creds]", addr, allowed_hosts).with_ecs_addresses()
}
