//! `awsproxy config check` (and `doctor --config-only`): validate the configuration
//! file. `awsproxy config default`: print the embedded default.

use serde::Serialize;

use super::Ctx;
use crate::config::DEFAULT_TOML;
use crate::error::ExitStatus;

#[derive(Serialize)]
struct CheckReport<'a> {
    valid: bool,
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorReport<'a>>,
}

#[derive(Serialize)]
struct ErrorReport<'a> {
    line: usize,
    column: usize,
    key: &'a str,
    message: &'a str,
    hint: Option<&'a str>,
}

pub fn run(ctx: &Ctx, json: bool) -> anyhow::Result<ExitStatus> {
    let result = ctx.config();
    if !json {
        let config = result?;
        ctx.printer
            .message(&format!("configuration OK: {}", config.source));
        return Ok(ExitStatus::Success);
    }
    let (report, status) = match &result {
        Ok(config) => (
            CheckReport {
                valid: true,
                source: config.source.to_string(),
                error: None,
            },
            ExitStatus::Success,
        ),
        Err(crate::Error::Config(e)) => (
            CheckReport {
                valid: false,
                source: e.source.clone(),
                error: Some(ErrorReport {
                    line: e.line,
                    column: e.column,
                    key: &e.key,
                    message: &e.message,
                    hint: e.hint.as_deref(),
                }),
            },
            ExitStatus::Usage,
        ),
        Err(_) => return Ok(result.map(|_| ExitStatus::Success)?),
    };
    ctx.printer.json(&report)?;
    Ok(status)
}

pub fn print_default(ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    ctx.printer.data(DEFAULT_TOML)?;
    Ok(ExitStatus::Success)
}
