//! Telling a human that a session needs a login. [`Notifier`] is a small trait so
//! the watcher can be tested with a counting notifier; [`DesktopNotifier`] uses
//! `notify-send` (Linux) or `osascript` (macOS) when present, else a log line.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::SsoSession;

/// Something that can tell the user a session needs `awsproxy sso login`.
pub trait Notifier: Send + Sync + std::fmt::Debug {
    fn notify(&self, session: &SsoSession, message: &str);
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

impl Notifier for DesktopNotifier {
    fn notify(&self, session: &SsoSession, message: &str) {
        let title = "awsproxy";
        let command = if cfg!(target_os = "macos") {
            find_on_path("osascript").map(|p| {
                let mut c = Command::new(p);
                let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
                c.arg("-e").arg(format!(
                    "display notification \"{}\" with title \"{}\"",
                    quote(message),
                    quote(title)
                ));
                c
            })
        } else {
            find_on_path("notify-send").map(|p| {
                let mut c = Command::new(p);
                c.arg("--app-name=awsproxy").arg(title).arg(message);
                c
            })
        };
        let shown = command.is_some_and(|mut c| {
            c.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        if shown {
            tracing::info!(session = %session.name, "desktop notification: {message}");
        } else {
            tracing::warn!(session = %session.name, "{message}");
        }
    }
}
