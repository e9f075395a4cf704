//! One module per leaf command. Each takes resolved settings and a [`Printer`]
//! and returns the exit status; `dispatch` is the only place that knows the tree.

mod ca_export;
mod ca_trust;
mod cache_ls;
mod cache_purge;
mod cache_warm;
mod completions;
mod config_check;
mod console;
mod creds_container_env;
mod creds_export;
mod creds_serve;
mod docker_credential;
mod doctor;
mod env;
mod exec;
mod install_agent;
mod serve;
mod setup;
mod sso_login;
mod sso_logout;
mod sso_profiles;
mod sso_status;
mod sso_watch;
mod token_get;

use crate::cli::{
    CaCommand, CacheCommand, Cli, Command, ConfigCommand, CredsCommand, DoctorArgs, GlobalArgs,
    SsoCommand, TokenCommand,
};
use crate::config::Config;
use crate::error::ExitStatus;
use crate::logging::{self, LogLevel};
use crate::paths::Paths;
use crate::printer::Printer;

/// What every command may need: global flags, paths and the printer.
#[derive(Debug)]
pub struct Ctx {
    pub global: GlobalArgs,
    pub paths: Paths,
    pub printer: Printer,
}

impl Ctx {
    /// The configuration, from `--config`, the XDG location or the embedded default.
    /// An invalid file is always an error: no command runs on a config it can't read.
    pub fn config(&self) -> Result<Config, crate::Error> {
        Ok(Config::load(
            self.global.config.as_deref(),
            &self.paths.config_file(),
        )?)
    }
}

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitStatus> {
    let daemon = matches!(
        cli.command,
        Command::Serve(_)
            | Command::Sso(SsoCommand::Watch(_))
            | Command::Creds(CredsCommand::Serve(_))
    );
    let paths = Paths::from_env()?;
    // `[log]` in the file sits between the flags/env and the defaults. An invalid
    // file is reported by the command itself, with its location.
    let file_log = Config::load(cli.global.config.as_deref(), &paths.config_file())
        .ok()
        .and_then(|c| c.file.log)
        .unwrap_or_default();
    let default_level = if daemon {
        LogLevel::Info
    } else {
        LogLevel::Warn
    };
    let base = cli
        .global
        .log_level
        .or(file_log.level)
        .unwrap_or(default_level);
    let level = base.shifted(i32::from(cli.global.verbose) - i32::from(cli.global.quiet));
    logging::init(
        level,
        cli.global
            .log_format
            .or(file_log.format)
            .unwrap_or_default(),
    );

    let ctx = Ctx {
        printer: Printer {
            quiet: cli.global.quiet > 0,
        },
        paths,
        global: cli.global,
    };
    match cli.command {
        Command::Completions(args) => completions::run(&ctx, &args),
        Command::Config(ConfigCommand::Check(args)) => config_check::run(&ctx, args.json),
        Command::Config(ConfigCommand::Default) => config_check::print_default(&ctx),
        Command::Doctor(args) if args.config_only => config_check::run(&ctx, args.json),
        Command::Doctor(DoctorArgs {
            probe: Some(url),
            json,
            ..
        }) => doctor::probe(&ctx, &url, json),
        Command::Doctor(args) => doctor::run(&ctx, &args),
        Command::Console(args) => console::run(&ctx, &args),
        Command::Serve(args) => serve::run(&ctx, &args),
        Command::Sso(SsoCommand::Login(args)) => sso_login::run(&ctx, &args),
        Command::Sso(SsoCommand::Status(args)) => sso_status::run(&ctx, &args),
        Command::Sso(SsoCommand::Profiles(args)) => sso_profiles::run(&ctx, &args),
        Command::Sso(SsoCommand::Watch(args)) => sso_watch::run(&ctx, &args),
        Command::Sso(SsoCommand::Logout(args)) => sso_logout::run(&ctx, &args),
        Command::Creds(CredsCommand::Serve(args)) => creds_serve::run(&ctx, &args),
        Command::Creds(CredsCommand::Export(args)) => creds_export::run(&ctx, &args),
        Command::Creds(CredsCommand::ContainerEnv(args)) => creds_container_env::run(&ctx, &args),
        Command::Token(TokenCommand::Get(args)) => token_get::run(&ctx, &args),
        Command::Cache(CacheCommand::Ls(args)) => cache_ls::run(&ctx, &args),
        Command::Cache(CacheCommand::Purge(args)) => cache_purge::run(&ctx, &args),
        Command::Cache(CacheCommand::Warm(args)) => cache_warm::run(&ctx, &args),
        Command::Exec(args) => exec::run(&ctx, &args),
        Command::Ca(CaCommand::Export(args)) => ca_export::run(&ctx, &args),
        Command::Ca(CaCommand::Trust(args)) => ca_trust::run(&ctx, &args),
        Command::Env(args) => env::run(&ctx, &args),
        Command::InstallAgent(args) => install_agent::install(&ctx, &args),
        Command::UninstallAgent(args) => install_agent::uninstall(&ctx, &args),
        Command::Setup(args) => setup::run(&ctx, &args),
        Command::DockerCredential(args) => docker_credential::run(&ctx, &args),
    }
}
