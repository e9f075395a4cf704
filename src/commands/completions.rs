//! `awsproxy completions SHELL`: print a completion script.

use super::Ctx;
use crate::cli::CompletionsArgs;
use crate::error::ExitStatus;

pub fn run(ctx: &Ctx, args: &CompletionsArgs) -> anyhow::Result<ExitStatus> {
    ctx.printer.bytes(&crate::docs::completions(args.shell))?;
    Ok(ExitStatus::Success)
}
