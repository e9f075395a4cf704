//! `awsproxy doctor`: run the checks in `crate::doctor` and print a table (or
//! JSON); `doctor --probe URL`: one GET, for a container's health check.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::Ctx;
use crate::cli::DoctorArgs;
use crate::config::Config;
use crate::doctor::{self, Outcome};
use crate::error::ExitStatus;

pub fn run(ctx: &Ctx, args: &DoctorArgs) -> anyhow::Result<ExitStatus> {
    let config = Config::load(ctx.global.config.as_deref(), &ctx.paths.config_file());
    let dctx = doctor::Context {
        config,
        paths: ctx.paths.clone(),
        env: std::env::vars().collect(),
    };
    let findings = doctor::run(&dctx);
    if args.json {
        ctx.printer.json(&findings)?;
    } else {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        table.set_header(["result", "check", "finding", "hint"]);
        for f in &findings {
            table.add_row([
                f.outcome.as_str(),
                &f.check,
                &f.summary,
                f.hint.as_deref().unwrap_or(""),
            ]);
        }
        ctx.printer.data(&table.to_string())?;
    }
    Ok(match doctor::worst(&findings) {
        Outcome::Fail => ExitStatus::ChecksFailed,
        Outcome::Pass | Outcome::Warn => ExitStatus::Success,
    })
}

/// `doctor --probe URL`: the answer's status line on stdout (`--json`: an
/// object), exit 0 for a 2xx and 1 for anything else, which Docker, Podman and
/// ECS take as "unhealthy".
pub fn probe(ctx: &Ctx, url: &str, json: bool) -> anyhow::Result<ExitStatus> {
    let status = doctor::probe::get(url, doctor::CHECK_TIMEOUT).map_err(|e| {
        let hint = match e {
            doctor::probe::ProbeError::BadUrl(_) => {
                "write it like http://127.0.0.1:9464/livez (`[metrics] listen`, then the path)"
            }
            _ => {
                "is `awsproxy serve` running with `[metrics] listen` at that address? (`awsproxy doctor` checks the ports)"
            }
        };
        crate::error::Hinted {
            message: format!("cannot probe {url}"),
            hint: hint.to_owned(),
            source: Some(e.into()),
        }
    })?;
    let ok = (200..300).contains(&status);
    if json {
        ctx.printer
            .json(&serde_json::json!({ "url": url, "status": status, "ok": ok }))?;
    } else {
        ctx.printer.data(&format!("{status} {url}"))?;
    }
    Ok(if ok {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
