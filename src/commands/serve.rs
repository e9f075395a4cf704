//! `awsproxy serve`: resolve the settings (flags > env > file > default), start
//! the supervisor, print one line per listener, run until signalled, then
//! drain and stop.

use super::Ctx;
use crate::cli::ServeArgs;
use crate::config::{Config, ConfigFile};
use crate::daemon::Signals;
use crate::error::ExitStatus;
use crate::services::status::StatusBoard;
use crate::supervisor::{Shared, Stopped, Supervisor};

/// Flags (and their `AWSPROXY_*` variables) override the file for sections that
/// are present; they don't enable a service on their own.
pub fn apply_overrides(file: &mut ConfigFile, args: &ServeArgs) {
    if let (Some(addr), Some(s)) = (args.proxy_listen, file.proxy.as_mut()) {
        s.listen = addr;
    }
    if let (Some(addr), Some(s)) = (args.repos_listen, file.repos.as_mut()) {
        s.listen = addr;
    }
    if let (Some(addr), Some(s)) = (args.creds_listen, file.creds.as_mut()) {
        s.listen = addr;
    }
    if let (Some(addr), Some(s)) = (args.metrics_listen, file.metrics.as_mut()) {
        s.listen = addr;
    }
    if let Some(dir) = &args.cache_dir {
        file.cache.get_or_insert_default().dir = Some(dir.clone());
    }
}

pub fn run(ctx: &Ctx, args: &ServeArgs) -> anyhow::Result<ExitStatus> {
    let load = || -> anyhow::Result<Config> {
        let mut config = ctx.config()?;
        apply_overrides(&mut config.file, args);
        crate::daemon::exposure::refuse_exposed(&config.file, &config.source)?;
        Ok(config)
    };
    let config = load()?;
    // Before any listener or cache file is opened.
    crate::daemon::raise_open_file_limit();
    let runtime = crate::daemon::runtime()?;
    let stopped = runtime.block_on(async {
        let mut signals = Signals::install()?;
        let shared = Shared::new(ctx.paths.clone(), StatusBoard::default());
        tracing::info!(config = %config.source, "starting");
        let mut supervisor = Supervisor::start(shared, config)?;
        for (label, url) in supervisor.listeners() {
            ctx.printer.message(&format!("awsproxy: {label:<32} {url}"));
        }
        supervisor.run_until_signalled(&mut signals, load).await;
        anyhow::Ok(supervisor.drain_and_shutdown(&mut signals).await)
    })?;
    if stopped == Stopped::AtOnce {
        // Tasks still running (a transfer, a blocking file write) are not waited for.
        runtime.shutdown_background();
    }
    Ok(ExitStatus::Success)
}
