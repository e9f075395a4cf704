//! One module per leaf command. Each takes resolved settings and a [`Printer`]
//! and returns the exit status; `dispatch` is the only place that knows the tree.

mod ca_export;
mod completions;
mod config_check;
mod not_built;

use crate::cli::{
    CaCommand, CacheCommand, Cli, Command, ConfigCommand, CredsCommand, GlobalArgs, SsoCommand,
    TokenCommand,
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
    let base = cli.global.log_level.unwrap_or(if daemon {
        LogLevel::Info
    } else {
        LogLevel::Warn
    });
    let level = base.shifted(i32::from(cli.global.verbose) - i32::from(cli.global.quiet));
    logging::init(level, cli.global.log_format.unwrap_or_default());

    let ctx = Ctx {
        printer: Printer {
            quiet: cli.global.quiet > 0,
        },
        paths: Paths::from_env()?,
        global: cli.global,
    };
    match cli.command {
        Command::Completions(args) => completions::run(&ctx, &args),
        Command::Config(ConfigCommand::Check(args)) => config_check::run(&ctx, args.json),
        Command::Config(ConfigCommand::Default) => config_check::print_default(&ctx),
        Command::Doctor(args) if args.config_only => config_check::run(&ctx, args.json),
        Command::Doctor(_) => not_built::run(
            &ctx,
            "doctor",
            Some("`awsproxy doctor --config-only` validates the configuration"),
        ),
        Command::Serve(_) => not_built::run(&ctx, "serve", None),
        Command::Sso(SsoCommand::Login(_)) => not_built::run(
            &ctx,
            "sso login",
            Some("`aws sso login` writes the same token cache"),
        ),
        Command::Sso(SsoCommand::Status(_)) => not_built::run(&ctx, "sso status", None),
        Command::Sso(SsoCommand::Watch(_)) => not_built::run(&ctx, "sso watch", None),
        Command::Sso(SsoCommand::Logout(_)) => not_built::run(
            &ctx,
            "sso logout",
            Some("`aws sso logout` removes the cached tokens"),
        ),
        Command::Creds(CredsCommand::Serve(_)) => not_built::run(&ctx, "creds serve", None),
        Command::Creds(CredsCommand::Export(_)) => not_built::run(
            &ctx,
            "creds export",
            Some("`aws configure export-credentials` prints the same data"),
        ),
        Command::Token(TokenCommand::Get(_)) => not_built::run(
            &ctx,
            "token get",
            Some("`aws codeartifact get-authorization-token` fetches one"),
        ),
        Command::Cache(CacheCommand::Ls(_)) => not_built::run(&ctx, "cache ls", None),
        Command::Cache(CacheCommand::Purge(_)) => not_built::run(&ctx, "cache purge", None),
        Command::Ca(CaCommand::Export(args)) => ca_export::run(&ctx, &args),
        Command::InstallAgent(_) => not_built::run(&ctx, "install-agent", None),
        Command::UninstallAgent(_) => not_built::run(&ctx, "uninstall-agent", None),
    }
}
