//! `awsproxy sso status [SESSION..] [--json|--prompt]`: one row per session
//! (or one short line for a shell prompt). Exits 0 when
//! every listed session has a valid token, 3 (`LoginRequired`) when any needs a login.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use crate::cli::SsoStatusArgs;
use crate::commands::Ctx;
use crate::error::ExitStatus;
use crate::sso::status::{self, SessionStatus, human_duration};

pub fn run(ctx: &Ctx, args: &SsoStatusArgs) -> anyhow::Result<ExitStatus> {
    if args.prompt {
        // A prompt must never show an error or slow the shell: any failure is
        // an empty marker.
        let line = ctx
            .config()
            .ok()
            .and_then(|config| status::sessions(&ctx.paths, &config, &args.sessions).ok())
            .map(|s| status::prompt_line(&s))
            .unwrap_or_default();
        if !line.is_empty() {
            ctx.printer.data(&format!("{line}\n"))?;
        }
        return Ok(ExitStatus::Success);
    }
    let config = ctx.config()?;
    let sessions = status::sessions(&ctx.paths, &config, &args.sessions)?;
    for s in &sessions {
        if let Some(e) = &s.error {
            ctx.printer.warn(e);
        }
    }
    if args.json {
        ctx.printer.json(&sessions)?;
    } else if sessions.is_empty() {
        ctx.printer.message(&format!(
            "No SSO sessions in {}",
            ctx.paths.aws_config_file().display()
        ));
    } else {
        ctx.printer.data(&table(&sessions).to_string())?;
    }
    Ok(if sessions.iter().any(|s| s.needs_login) {
        ExitStatus::LoginRequired
    } else {
        ExitStatus::Success
    })
}

fn table(sessions: &[SessionStatus]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "Session",
        "Start URL",
        "Region",
        "Expires in",
        "Refreshable",
        "Last refresh",
    ]);
    for s in sessions {
        let expires = match s.expires_in_seconds {
            Some(secs) => human_duration(secs),
            None => s.state.as_str().to_owned(),
        };
        let refreshable = match &s.not_refreshable_reason {
            None => "yes".to_owned(),
            Some(why) => format!("no: {why}"),
        };
        table.add_row([
            s.name.clone(),
            s.start_url.clone(),
            s.region.clone(),
            expires,
            refreshable,
            s.last_refresh.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    table
}
