//! Shell syntax for lines meant for `eval`: setting and unsetting environment
//! variables in POSIX shells (bash, zsh), fish and PowerShell, with each value
//! quoted so that no character in it (spaces, quotes, `$`, newlines) is
//! interpreted by the shell.

/// A shell `awsproxy env` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

impl Shell {
    /// The user's login shell from `$SHELL`, bash when unknown.
    pub fn from_env() -> Self {
        let shell = std::env::var(crate::env_vars::SHELL).unwrap_or_default();
        match shell.rsplit('/').next().unwrap_or_default() {
            "zsh" => Shell::Zsh,
            "fish" => Shell::Fish,
            "pwsh" | "powershell" => Shell::Powershell,
            _ => Shell::Bash,
        }
    }

    /// The line that sets `name` to `value` in the environment of later commands.
    pub fn set(self, name: &str, value: &str) -> String {
        match self {
            Shell::Bash | Shell::Zsh => format!("export {name}={};", quote_posix(value)),
            Shell::Fish => format!("set -gx {name} {};", quote_fish(value)),
            Shell::Powershell => format!("$env:{name} = {}", quote_powershell(value)),
        }
    }

    /// The line that removes `name` from the environment.
    pub fn unset(self, name: &str) -> String {
        match self {
            Shell::Bash | Shell::Zsh => format!("unset {name};"),
            Shell::Fish => format!("set -e {name};"),
            Shell::Powershell => {
                format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue")
            }
        }
    }
}

/// The value as one POSIX shell word: bare when plainly safe, else single-quoted
/// (inside single quotes nothing is special but `'`, written `'\''`).
pub fn quote_posix(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_-.:@%,".contains(&b));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// fish: inside single quotes only `\\` and `\'` are escapes.
fn quote_fish(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// PowerShell: a single-quoted string doubles its quote characters, and
/// PowerShell counts the typographic single quotes as quotes too.
fn quote_powershell(value: &str) -> String {
    let mut out = String::from("'");
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &str = "/tmp/it's a \"dir\"/$HOME/`x`\\n\u{2019}";

    #[test]
    fn posix_quoting() {
        assert_eq!(quote_posix("AKIDabc/+="), "AKIDabc/+=");
        assert_eq!(quote_posix(""), "''");
        assert_eq!(quote_posix("a b"), "'a b'");
        assert_eq!(quote_posix("it's"), r"'it'\''s'");
        assert_eq!(
            Shell::Bash.set("X", "localhost,::1"),
            "export X=localhost,::1;"
        );
    }

    #[test]
    fn fish_quoting() {
        assert_eq!(Shell::Fish.set("X", r"a\b'c"), r"set -gx X 'a\\b\'c';");
        assert_eq!(Shell::Fish.unset("X"), "set -e X;");
    }

    #[test]
    fn powershell_quoting() {
        assert_eq!(
            Shell::Powershell.set("X", "it's \u{2019}$env:HOME\""),
            "$env:X = 'it''s \u{2019}\u{2019}$env:HOME\"'"
        );
        assert_eq!(
            Shell::Powershell.unset("X"),
            "Remove-Item Env:X -ErrorAction SilentlyContinue"
        );
        assert!(quote_powershell(NASTY).starts_with('\''));
    }
}
