//! `awsproxy doctor`: run the checks in `crate::doctor` and print a table (or JSON).

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
