//! Telling a human that a session needs a login, and hearing back. [`Notifier`]
//! is a small trait so the watcher can be tested with a counting notifier;
//! [`DesktopNotifier`] offers *Log in now*, *Snooze 1 hour* and *Don't remind*
//! where the desktop can (`notify-send --action` on Linux, `terminal-notifier`
//! on macOS), a plain notification where it can't (`notify-send` without
//! actions, `osascript`), else a log line. `AWSPROXY_NOTIFY_CMD` replaces all
//! of them (tests, other desktops): it runs through `sh` with the title and the
//! message as arguments and prints the chosen action (`login`, `snooze`,
//! `dismiss`) or nothing.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::SsoSession;
use crate::env_vars;

/// How long *Snooze* on a desktop notification waits.
pub const DESKTOP_SNOOZE: time::Duration = time::Duration::hours(1);

/// What the user chose on a prompt or a notification with actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    LogIn,
    Snooze(time::Duration),
    /// No more reminders until the session's next expiry.
    DontRemind,
}

/// Something that can tell the user a session needs `awsproxy sso login`.
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// Shows `message`; returns the user's choice when the notification offered
    /// actions and one was picked. May block until then: call it off the runtime.
    fn notify(&self, session: &SsoSession, message: &str) -> Option<Choice>;
}

/// A desktop notification where available, otherwise a warning in the log.
#[derive(Debug, Default)]
pub struct DesktopNotifier;

/// `name` on `PATH`, if it is there.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The action a notifier printed (its key or its label).
pub fn parse_action(out: &str) -> Option<Choice> {
    match out.trim() {
        "login" | "Log in now" => Some(Choice::LogIn),
        "snooze" | "Snooze 1 hour" => Some(Choice::Snooze(DESKTOP_SNOOZE)),
        "dismiss" | "Don't remind" => Some(Choice::DontRemind),
        _ => None,
    }
}

/// Runs `cmd`: `Some(stdout)` when it exits 0.
fn output(mut cmd: Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

const TITLE: &str = "awsproxy";

/// Tries each way this machine has to show `message`, best first:
/// `Some(printed)` from the first that worked.
fn show(message: &str) -> Option<String> {
    if let Ok(custom) = std::env::var(env_vars::AWSPROXY_NOTIFY_CMD)
        && !custom.is_empty()
    {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!("{custom} \"$1\" \"$2\""))
            .arg("sh")
            .arg(TITLE)
            .arg(message);
        return output(c);
    }
    if cfg!(target_os = "macos") {
        if let Some(p) = find_on_path("terminal-notifier") {
            let mut c = Command::new(p);
            c.args(["-title", TITLE, "-message", message])
                .args(["-actions", "Log in now,Snooze 1 hour,Don't remind"])
                .args(["-timeout", "3600"]);
            if let Some(out) = output(c) {
                return Some(out);
            }
        }
        return find_on_path("osascript").and_then(|p| {
            let mut c = Command::new(p);
            let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
            c.arg("-e").arg(format!(
                "display notification \"{}\" with title \"{}\"",
                quote(message),
                quote(TITLE)
            ));
            output(c)
        });
    }
    let notify_send = find_on_path("notify-send")?;
    // With actions (libnotify 0.7.9+ and a server that shows them), waiting
    // for the choice; an older notify-send refuses the flags: plain then.
    let mut with_actions = Command::new(&notify_send);
    with_actions
        .args(["--app-name=awsproxy", "--wait"])
        .args([
            "--action=login=Log in now",
            "--action=snooze=Snooze 1 hour",
            "--action=dismiss=Don't remind",
        ])
        .arg(TITLE)
        .arg(message);
    output(with_actions).or_else(|| {
        let mut plain = Command::new(&notify_send);
        plain.arg("--app-name=awsproxy").arg(TITLE).arg(message);
        output(plain)
    })
}

impl Notifier for DesktopNotifier {
    fn notify(&self, session: &SsoSession, message: &str) -> Option<Choice> {
        match show(message) {
            Some(printed) => {
                tracing::info!(session = %session.name, "desktop notification: {message}");
                let choice = parse_action(&printed);
                if let Some(c) = choice {
                    tracing::info!(session = %session.name, choice = ?c, "notification answered");
                }
                choice
            }
            None => {
                tracing::warn!(session = %session.name, "{message}");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_read_by_key_or_label() {
        assert_eq!(parse_action("login\n"), Some(Choice::LogIn));
        assert_eq!(parse_action("Log in now"), Some(Choice::LogIn));
        assert_eq!(parse_action("snooze"), Some(Choice::Snooze(DESKTOP_SNOOZE)));
        assert_eq!(parse_action("Don't remind"), Some(Choice::DontRemind));
        assert_eq!(parse_action(""), None);
        assert_eq!(parse_action("@CONTENTCLICKED"), None);
    }
}
