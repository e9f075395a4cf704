//! `awsproxy sso watch [--once]`: run the SSO watcher (`sso::watch`) until
//! Ctrl-C / SIGTERM, or one pass with `--once` (exit 3 when a session needs a login).

use std::io::IsTerminal;

use crate::cli::SsoWatchArgs;
use crate::commands::Ctx;
use crate::error::ExitStatus;
use crate::sso::watch::{SessionAction, WatchSettings, Watcher};

pub fn run(ctx: &Ctx, args: &SsoWatchArgs) -> anyhow::Result<ExitStatus> {
    let config = ctx.config()?;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let mut watcher = Watcher::new(WatchSettings::resolve(&ctx.paths, &config, interactive));
    let rt = crate::sso::runtime()?;
    if !args.once {
        rt.block_on(watcher.run(shutdown_signal()));
        return Ok(ExitStatus::Success);
    }
    let reports = rt.block_on(watcher.run_once())?;
    let mut needs_login = false;
    for r in &reports {
        let line = match &r.action {
            SessionAction::Fresh { expires_at } => format!("fresh until {expires_at}"),
            SessionAction::Refreshed { expires_at } => {
                format!("refreshed; valid until {expires_at}")
            }
            SessionAction::NotLoggedIn => {
                "not logged in (not in `[sso] sessions`: ignored)".to_owned()
            }
            SessionAction::Busy => "a login or refresh is in progress elsewhere".to_owned(),
            SessionAction::Failed { error } => format!("refresh failed: {error}"),
            SessionAction::NeedsLogin { reason } => {
                needs_login = true;
                format!("needs `{}` ({reason})", r.login_command)
            }
        };
        ctx.printer.message(&format!("{}: {line}", r.session));
    }
    Ok(if needs_login {
        ExitStatus::LoginRequired
    } else {
        ExitStatus::Success
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
