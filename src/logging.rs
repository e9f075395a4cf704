//! Logging through `tracing`, to stderr: a human format by default, JSON lines for
//! daemons (`--log-format json`). Secrets never reach a log line because they are
//! [`crate::secret::Secret`]s, whose `Debug`/`Display` redact.

use std::io::IsTerminal;

use serde::Deserialize;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    /// Moves `steps` levels up (positive, more verbose) or down.
    pub fn shifted(self, steps: i32) -> Self {
        const ORDER: [LogLevel; 5] = [
            LogLevel::Error,
            LogLevel::Warn,
            LogLevel::Info,
            LogLevel::Debug,
            LogLevel::Trace,
        ];
        let index = ORDER.iter().position(|l| *l == self).unwrap_or(1) as i32 + steps;
        ORDER[index.clamp(0, 4) as usize]
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber. Our own crate logs at `level`; dependencies
/// (the AWS SDK, hyper) one level quieter, so `-v` shows awsproxy's debug lines
/// without the SDK's.
pub fn init(level: LogLevel, format: LogFormat) {
    let deps = level.shifted(-1).as_str();
    let filter = EnvFilter::new(format!("{deps},awsproxy={}", level.as_str()));
    let no_color = std::env::var_os(crate::env_vars::NO_COLOR).is_some_and(|v| !v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(use_colour(std::io::stderr().is_terminal(), no_color))
        .with_writer(std::io::stderr);
    // `try_init` fails only when a subscriber is already installed (tests); that's fine.
    let _ = match format {
        LogFormat::Human => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Colour codes only for a person at a terminal: a file, a pipe or the journal
/// would keep them as noise, and `NO_COLOR` turns them off everywhere.
fn use_colour(stderr_is_terminal: bool, no_color: bool) -> bool {
    stderr_is_terminal && !no_color
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, false));
        assert!(!use_colour(false, false));
        assert!(!use_colour(true, true));
    }

    #[test]
    fn shifting_clamps_at_both_ends() {
        assert_eq!(LogLevel::Warn.shifted(1), LogLevel::Info);
        assert_eq!(LogLevel::Warn.shifted(10), LogLevel::Trace);
        assert_eq!(LogLevel::Warn.shifted(-10), LogLevel::Error);
    }
}
