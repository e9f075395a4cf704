//! The systemd user unit: `~/.config/systemd/user/awsproxy.service`.

use super::{AgentCommand, Plan, Platform};
use crate::paths::Paths;

/// First line of every unit awsproxy writes; how `install-agent` recognises its own.
pub const MARKER: &str = "# Written by `awsproxy install-agent`";

const UNIT: &str = "awsproxy.service";

pub fn plan(paths: &Paths, command: &AgentCommand) -> Plan {
    let unit_dir = paths
        .config_dir
        .parent()
        .map_or_else(|| paths.home.join(".config"), ToOwned::to_owned);
    let path = unit_dir.join("systemd").join("user").join(UNIT);
    let exec = command
        .argv()
        .iter()
        .map(|a| quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let contents = format!(
        "{MARKER}; remove it with `awsproxy uninstall-agent`.
[Unit]
Description=awsproxy: AWS SSO, credentials and package-repository proxy
Documentation=man:awsproxy(1)
After=network-online.target

[Service]
Type=simple
ExecStart={exec}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5
TimeoutStopSec=20

[Install]
WantedBy=default.target
"
    );
    let systemctl = |args: &[&str]| {
        let mut v = vec!["systemctl".to_owned(), "--user".to_owned()];
        v.extend(args.iter().map(|a| (*a).to_owned()));
        v
    };
    Plan {
        platform: Platform::Linux,
        path,
        contents,
        load: vec![
            systemctl(&["daemon-reload"]),
            systemctl(&["enable", "--now", UNIT]),
        ],
        unload: vec![
            systemctl(&["disable", "--now", UNIT]),
            systemctl(&["daemon-reload"]),
        ],
    }
}

/// Quotes one `ExecStart` word the way systemd.syntax(7) reads it.
fn quote(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
        .replace('$', "$$");
    if escaped.contains(' ') || escaped != word {
        format!("\"{escaped}\"")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn exec_words_are_quoted_for_systemd() {
        assert_eq!(quote("/usr/bin/awsproxy"), "/usr/bin/awsproxy");
        assert_eq!(quote("/home/a b/config.toml"), "\"/home/a b/config.toml\"");
        assert_eq!(quote("100%"), "\"100%%\"");
        assert_eq!(quote("$HOME"), "\"$$HOME\"");
    }
}
