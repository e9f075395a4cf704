//! The launchd agent: `~/Library/LaunchAgents/io.awsproxy.serve.plist`, rendered
//! with the `launchd` crate (so the plist is well-formed on any platform).

use anyhow::Context;
use launchd::Launchd;

use super::{AgentCommand, Plan, Platform};
use crate::paths::Paths;

pub const LABEL: &str = "io.awsproxy.serve";
/// Shown in plans; replaced with the numeric uid when commands run.
pub const UID_PLACEHOLDER: &str = "$(id -u)";

pub fn plan(paths: &Paths, command: &AgentCommand) -> anyhow::Result<Plan> {
    let path = paths
        .home
        .join("Library")
        .join("LaunchAgents")
        .join(format!("{LABEL}.plist"));
    let log = paths.state_dir.join("awsproxy.log");
    let argv = command.argv();
    let agent = Launchd::new(LABEL, &command.binary)
        .context("cannot describe the launchd agent")?
        .with_program_arguments(argv)
        .with_run_at_load(true)
        .with_keep_alive(true.into())
        .with_standard_out_path(&log)
        .context("bad log path")?
        .with_standard_error_path(&log)
        .context("bad log path")?;
    let mut xml = Vec::new();
    agent
        .to_writer_xml(&mut xml)
        .context("cannot render the launchd plist")?;
    let mut contents = String::from_utf8(xml).context("plist is not UTF-8")?;
    if !contents.ends_with('\n') {
        contents.push('\n');
    }
    let domain = format!("gui/{UID_PLACEHOLDER}");
    let path_str = path.display().to_string();
    Ok(Plan {
        platform: Platform::Macos,
        load: vec![vec![
            "launchctl".into(),
            "bootstrap".into(),
            domain.clone(),
            path_str,
        ]],
        unload: vec![vec![
            "launchctl".into(),
            "bootout".into(),
            format!("{domain}/{LABEL}"),
        ]],
        path,
        contents,
    })
}
