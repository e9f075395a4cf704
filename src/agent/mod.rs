//! `install-agent` / `uninstall-agent`: run `awsproxy serve` at login as a
//! systemd user unit (Linux) or a launchd agent (macOS).
//!
//! [`plan`] is pure: it renders the unit file and the commands that load it, so
//! `--dry-run` prints exactly what a real install would do and tests can snapshot
//! both platforms on any machine. [`install`] / [`uninstall`] carry a plan out.

mod launchd_agent;
mod systemd;

use std::path::{Path, PathBuf};

use crate::fsutil::{self, Mode};
use crate::paths::Paths;

/// Which service manager to write for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Platform {
    /// A systemd user unit.
    Linux,
    /// A launchd agent.
    Macos,
}

impl Platform {
    pub fn current() -> Self {
        if cfg!(target_os = "macos") {
            Platform::Macos
        } else {
            Platform::Linux
        }
    }
}

/// Everything an install writes and runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub platform: Platform,
    /// The unit or plist file.
    pub path: PathBuf,
    pub contents: String,
    /// Commands that load and start the agent, in order (after `unload`, which may fail).
    pub load: Vec<Vec<String>>,
    /// Commands that stop and unload it, in order.
    pub unload: Vec<Vec<String>>,
}

/// What the agent runs: the absolute binary and, if given, the config file.
#[derive(Debug, Clone)]
pub struct AgentCommand {
    pub binary: PathBuf,
    pub config: Option<PathBuf>,
}

impl AgentCommand {
    /// `awsproxy [--config PATH] serve --log-format json`
    pub fn argv(&self) -> Vec<String> {
        let mut argv = vec![self.binary.display().to_string()];
        if let Some(config) = &self.config {
            argv.push("--config".into());
            argv.push(config.display().to_string());
        }
        argv.extend(["serve", "--log-format", "json"].map(String::from));
        argv
    }
}

pub fn plan(platform: Platform, paths: &Paths, command: &AgentCommand) -> anyhow::Result<Plan> {
    match platform {
        Platform::Linux => Ok(systemd::plan(paths, command)),
        Platform::Macos => launchd_agent::plan(paths, command),
    }
}

/// What is at the plan's path now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Absent,
    /// Ours, byte-identical to the plan.
    Current,
    /// Ours, from another version or with other arguments.
    Outdated,
    /// Something awsproxy did not write.
    Foreign,
}

pub fn existing(plan: &Plan) -> Existing {
    match std::fs::read_to_string(&plan.path) {
        Err(_) => Existing::Absent,
        Ok(text) if text == plan.contents => Existing::Current,
        Ok(text) if is_ours(plan.platform, &text) => Existing::Outdated,
        Ok(_) => Existing::Foreign,
    }
}

fn is_ours(platform: Platform, text: &str) -> bool {
    match platform {
        Platform::Linux => text.starts_with(systemd::MARKER),
        Platform::Macos => text.contains(&format!("<string>{}</string>", launchd_agent::LABEL)),
    }
}

/// Writes the unit (atomically) unless a foreign file is there and `force` is off.
pub fn write_unit(plan: &Plan, force: bool) -> anyhow::Result<Existing> {
    let before = existing(plan);
    if before == Existing::Foreign && !force {
        return Err(crate::error::Hinted::new(
            format!(
                "{} exists and was not written by awsproxy",
                plan.path.display()
            ),
            "look at it, then re-run with --force to replace it",
        )
        .into());
    }
    if before != Existing::Current {
        fsutil::atomic_write(&plan.path, plan.contents.as_bytes(), Mode::Public)?;
    }
    Ok(before)
}

/// Whether the commands of `plan` can run here (the service manager answers).
pub fn manager_available(platform: Platform) -> bool {
    let probe: &[&str] = match platform {
        Platform::Linux => &["systemctl", "--user", "show-environment"],
        Platform::Macos => &["launchctl", "print", "system"],
    };
    std::process::Command::new(probe[0])
        .args(&probe[1..])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether the agent is running (`systemctl --user is-active`, `launchctl print`).
pub fn is_running(platform: Platform) -> bool {
    let label = expand_uid(&format!(
        "gui/{}/{}",
        launchd_agent::UID_PLACEHOLDER,
        launchd_agent::LABEL
    ));
    let probe: Vec<String> = match platform {
        Platform::Linux => [
            "systemctl",
            "--user",
            "is-active",
            "--quiet",
            "awsproxy.service",
        ]
        .map(String::from)
        .to_vec(),
        Platform::Macos => vec!["launchctl".into(), "print".into(), label],
    };
    std::process::Command::new(&probe[0])
        .args(&probe[1..])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs commands in order; with `tolerate_failure`, a failing one is reported and skipped.
pub fn run_commands(commands: &[Vec<String>], tolerate_failure: bool) -> anyhow::Result<()> {
    for argv in commands {
        let argv: Vec<String> = argv.iter().map(|a| expand_uid(a)).collect();
        let status = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .status();
        match status {
            Ok(s) if s.success() => {}
            _ if tolerate_failure => {
                tracing::debug!(command = %argv.join(" "), "command failed; continuing")
            }
            Ok(s) => anyhow::bail!("`{}` failed ({s})", argv.join(" ")),
            Err(e) => anyhow::bail!("cannot run `{}`: {e}", argv.join(" ")),
        }
    }
    Ok(())
}

/// The launchd domain needs the numeric uid; plans show it as `$(id -u)`.
fn expand_uid(arg: &str) -> String {
    if !arg.contains(launchd_agent::UID_PLACEHOLDER) {
        return arg.to_owned();
    }
    let uid = std::process::Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    arg.replace(launchd_agent::UID_PLACEHOLDER, &uid)
}

/// Renders a command for display, quoting what a shell would need quoted.
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.contains(launchd_agent::UID_PLACEHOLDER)
                || a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@".contains(&b))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The running binary's absolute path (what the unit should start).
pub fn current_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe.canonicalize().unwrap_or(exe))
}

/// An absolute form of a user-given config path.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
