//! Opening a URL in a browser, and knowing when that can't work: in an SSH
//! session, in a container, or on Linux without a display, a browser on this
//! machine can't be opened (and a loopback callback can't be reached from the
//! user's own machine), so login falls back to the device-code flow.
//!
//! `AWSPROXY_BROWSER=<command>` replaces the browser: the command is run through
//! `sh` with the URL as its argument (tests use it as a simulated browser).

use std::process::Stdio;

use crate::env_vars;

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// Why no browser can be used, or `None` when one can.
pub fn unavailable_reason() -> Option<&'static str> {
    if env_set(env_vars::AWSPROXY_BROWSER) {
        return None;
    }
    if env_set(env_vars::SSH_CONNECTION) || env_set(env_vars::SSH_TTY) {
        return Some("this is an SSH session");
    }
    if env_set(env_vars::CONTAINER)
        || std::path::Path::new("/.dockerenv").exists()
        || std::path::Path::new("/run/.containerenv").exists()
    {
        return Some("this is a container");
    }
    if cfg!(all(unix, not(target_os = "macos")))
        && !env_set(env_vars::DISPLAY)
        && !env_set(env_vars::WAYLAND_DISPLAY)
    {
        return Some("no graphical display (DISPLAY/WAYLAND_DISPLAY unset)");
    }
    None
}

/// Starts a browser on `url` without waiting for it.
pub fn open(url: &str) -> anyhow::Result<()> {
    open_with(None, url)
}

/// [`open`], with `command` (run through `sh`, the URL as its argument)
/// instead of the default browser when given.
pub fn open_with(command: Option<&str>, url: &str) -> anyhow::Result<()> {
    let mut cmd = if let Some(custom) = command {
        shell(custom, url)
    } else if let Ok(custom) = std::env::var(env_vars::AWSPROXY_BROWSER)
        && !custom.is_empty()
    {
        shell(&custom, url)
    } else if let Ok(custom) = std::env::var(env_vars::BROWSER)
        && !custom.is_empty()
    {
        shell(&custom, url)
    } else if cfg!(target_os = "macos") {
        let mut c = tokio::process::Command::new("open");
        c.arg(url);
        c
    } else if cfg!(windows) {
        let mut c = tokio::process::Command::new("cmd");
        c.args(["/C", "start", "", url]);
        c
    } else {
        let mut c = tokio::process::Command::new("xdg-open");
        c.arg(url);
        c
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(false);
    let child = cmd
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start a browser: {e}"))?;
    // Reap it in the background; its exit status doesn't matter.
    tokio::spawn(async move {
        let mut child = child;
        let _ = child.wait().await;
    });
    Ok(())
}

/// `sh -c '<command> "$1"' sh <url>`: the command may carry its own arguments,
/// and the URL is passed as one argument, never interpreted by the shell.
fn shell(command: &str, url: &str) -> tokio::process::Command {
    let mut c = tokio::process::Command::new("sh");
    c.arg("-c")
        .arg(format!("{command} \"$1\""))
        .arg("sh")
        .arg(url);
    c
}
