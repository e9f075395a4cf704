//! `awsproxy creds serve`: the ECS credentials endpoint on its own listener, with
//! `/metrics`, reload on SIGHUP and on `clients_dir` changes, and a graceful stop on
//! SIGTERM/SIGINT. `--print-env CLIENT` prints what a container needs instead.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;

use super::Ctx;
use crate::cli::CredsServeArgs;
use crate::config::{Config, CredsSection};
use tokio_util::sync::CancellationToken;

use crate::daemon::{self, BoundListener, Signal, Signals};
use crate::error::{Error, ExitStatus};
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
        daemon::ServerLimits::resolve(config.file.server.as_ref(), daemon::raise_open_file_limit());
    let loader = Loader {
        explicit: ctx.global.config.clone(),
        default_path: ctx.paths.config_file(),
        listen_override: args.listen,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(serve(ctx, section, loader, limits))
}

/// Re-reads the configuration on SIGHUP.
struct Loader {
    explicit: Option<PathBuf>,
    default_path: PathBuf,
    listen_override: Option<crate::config::values::ListenAddr>,
}

impl Loader {
    fn load(&self) -> Result<CredsSection, crate::config::ConfigError> {
        let config = Config::load(self.explicit.as_deref(), &self.default_path)?;
        let mut section = config.file.creds.unwrap_or_default();
        if let Some(listen) = self.listen_override {
            section.listen = listen;
        }
        Ok(section)
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
    let ip = addr.ip();
    let link_local = ip == IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2))
        || ip == IpAddr::V4(Ipv4Addr::new(169, 254, 170, 23));
    if !ip.is_loopback() && !link_local {
        ctx.printer.warn(&format!(
            "listening on {ip}, which is not loopback: credentials travel in clear text to anyone who can reach it, and SDKs only accept loopback or the ECS link-local addresses"
        ));
    }
    if handle.client_names().is_empty() {
        ctx.printer.warn("no [[creds.client]] is configured: every request will be refused until one is added (SIGHUP reloads)");
    }
    ctx.printer.message(&format!(
        "awsproxy creds: ECS credentials endpoint at http://{addr}/v1/credentials"
    ));

    let watcher = handle.watch_clients_dir(DIR_POLL_INTERVAL);
    let stop = CancellationToken::new();
    let mut server = tokio::spawn(daemon::serve_router(
        listener.tokio_listener()?,
        app,
        limits,
        stop.clone(),
    ));
    loop {
        tokio::select! {
            result = &mut server => {
                watcher.abort();
                result.context("the credentials endpoint panicked")??;
                return Ok(ExitStatus::Success);
            }
            signal = signals.next() => match signal {
                Signal::Shutdown => break,
                Signal::Reload => match loader.load() {
                    Ok(section) => {
                        let report = handle.apply_rebuilding_sources(&section).await;
                        tracing::info!(added = ?report.added, removed = ?report.removed, "reloaded on SIGHUP");
                    }
                    Err(e) => tracing::error!("SIGHUP: keeping the current clients; the configuration is invalid: {e}"),
                },
            },
        }
    }
    tracing::info!("stopping: finishing requests in flight");
    stop.cancel();
    watcher.abort();
    server
        .await
        .context("the credentials endpoint panicked")??;
    Ok(ExitStatus::Success)
}

/// `--print-env CLIENT`: the two variables for docker compose or a shell.
fn print_env(ctx: &Ctx, section: &CredsSection, name: &str) -> anyhow::Result<ExitStatus> {
    let Some(client) = creds_endpoint::find_client(section, name) else {
        let known = creds_endpoint::client_names(section);
        return Err(Error::Usage {
            message: format!("no creds client named `{name}`"),
            hint: Some(if known.is_empty() {
                "add a [[creds.client]] to the configuration".to_owned()
            } else {
                format!("configured clients: {}", known.join(", "))
            }),
        }
        .into());
    };
    if section.listen.0.port() == 0 {
        return Err(Error::Usage {
            message: "`[creds] listen` has port 0, so the URL is not known in advance".to_owned(),
            hint: Some("set a fixed port with --listen or `[creds] listen`".to_owned()),
        }
        .into());
    }
    let mut out = format!(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://{}/v1/credentials\n",
        client_address(section.listen.0)
    );
    match (&client.token_file, &client.token) {
        (Some(path), _) => {
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            if std::fs::read(&path).is_ok_and(|b| b.ends_with(b"\n")) {
                ctx.printer.warn(&format!(
                    "`{}` ends with a newline; SDKs send the file verbatim, so the token will not match (write it with `printf %s`)",
                    path.display()
                ));
            }
            out.push_str(&format!(
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE={}\n",
                path.display()
            ));
        }
        (None, Some(token)) => {
            out.push_str(&format!(
                "AWS_CONTAINER_AUTHORIZATION_TOKEN={}\n",
                token.0.expose()
            ));
        }
        // Validation requires one of the two; a client without either is never loaded.
        (None, None) => anyhow::bail!("client `{name}` has no token"),
    }
    ctx.printer.data(&out)?;
    Ok(ExitStatus::Success)
}

/// The address a client on this host uses: loopback when listening on all interfaces.
fn client_address(listen: SocketAddr) -> SocketAddr {
    match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, listen.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, listen.port()).into(),
        _ => listen,
    }
}
