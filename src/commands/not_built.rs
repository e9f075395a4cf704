//! The answer of a command whose capability is not built yet: a plain message and
//! exit code 69, after checking the configuration like any real command would.

use super::Ctx;
use crate::error::{Error, ExitStatus};

pub fn run(
    ctx: &Ctx,
    command: &'static str,
    instead: Option<&'static str>,
) -> anyhow::Result<ExitStatus> {
    ctx.config()?;
    Err(Error::NotBuilt { command, instead }.into())
}
