//! `awsproxy install-agent` and `uninstall-agent`.

use super::Ctx;
use crate::agent::{self, AgentCommand, Existing, Plan, Platform};
use crate::cli::{InstallAgentArgs, UninstallAgentArgs};
use crate::error::ExitStatus;

fn plan_for(ctx: &Ctx, platform: Option<Platform>) -> anyhow::Result<Plan> {
    let command = AgentCommand {
        binary: agent::current_binary()?,
        config: ctx.global.config.as_deref().map(agent::absolute),
    };
    agent::plan(
        platform.unwrap_or_else(Platform::current),
        &ctx.paths,
        &command,
    )
}

pub fn install(ctx: &Ctx, args: &InstallAgentArgs) -> anyhow::Result<ExitStatus> {
    // The agent will run `serve` on this config: refuse to install one that can't start.
    ctx.config()?;
    let plan = plan_for(ctx, args.platform)?;
    if args.dry_run {
        let mut out = format!("# {}\n{}", plan.path.display(), plan.contents);
        out.push_str("# then run:\n");
        for cmd in &plan.load {
            out.push_str(&agent::shell_line(cmd));
            out.push('\n');
        }
        ctx.printer.data(&out)?;
        return Ok(ExitStatus::Success);
    }
    let before = agent::write_unit(&plan, args.force)?;
    ctx.printer.message(&match before {
        Existing::Current => format!("{} is already up to date", plan.path.display()),
        Existing::Absent => format!("wrote {}", plan.path.display()),
        Existing::Outdated | Existing::Foreign => format!("updated {}", plan.path.display()),
    });
    load(ctx, &plan)
}

fn load(ctx: &Ctx, plan: &Plan) -> anyhow::Result<ExitStatus> {
    if !agent::manager_available(plan.platform) {
        ctx.printer
            .message("the service manager is not reachable from here; to start the agent, run:");
        for cmd in &plan.load {
            ctx.printer
                .message(&format!("  {}", agent::shell_line(cmd)));
        }
        return Ok(ExitStatus::Success);
    }
    agent::run_commands(&plan.unload, true)?;
    agent::run_commands(&plan.load, false)?;
    ctx.printer
        .message("the agent is running; `awsproxy doctor` checks it");
    Ok(ExitStatus::Success)
}

pub fn uninstall(ctx: &Ctx, args: &UninstallAgentArgs) -> anyhow::Result<ExitStatus> {
    let plan = plan_for(ctx, args.platform)?;
    let state = agent::existing(&plan);
    if args.dry_run {
        let mut out = String::new();
        for cmd in &plan.unload {
            out.push_str(&agent::shell_line(cmd));
            out.push('\n');
        }
        if state != Existing::Absent {
            out.push_str(&format!(
                "rm {}\n",
                agent::shell_line(&[plan.path.display().to_string()])
            ));
        }
        ctx.printer.data(&out)?;
        return Ok(ExitStatus::Success);
    }
    match state {
        Existing::Absent => {
            ctx.printer.message(&format!(
                "no agent installed ({} does not exist)",
                plan.path.display()
            ));
            return Ok(ExitStatus::Success);
        }
        Existing::Foreign if !args.force => {
            return Err(crate::error::Hinted::new(
                format!(
                    "{} was not written by awsproxy; leaving it alone",
                    plan.path.display()
                ),
                "re-run with --force to remove it anyway",
            )
            .into());
        }
        _ => {}
    }
    if agent::manager_available(plan.platform) {
        agent::run_commands(&plan.unload, true)?;
    }
    std::fs::remove_file(&plan.path)
        .map_err(|e| anyhow::anyhow!("cannot remove {}: {e}", plan.path.display()))?;
    ctx.printer
        .message(&format!("removed {}", plan.path.display()));
    Ok(ExitStatus::Success)
}
