//! Errors shared by the library, the hints printed with them, and the one place
//! where failures become process exit codes.
//!
//! Library code returns [`Error`] (or wraps other errors with `anyhow::Context`);
//! commands return `anyhow::Result<ExitStatus>`. [`report`] prints the chain as
//! `error:` / `Caused by:` / `hint:` and picks the exit code from the first
//! [`Error`] found in the chain.

use std::fmt;
use std::io::Write;

use crate::config::ConfigError;

/// Process exit codes. The README's "Exit codes" table lists the same values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitStatus {
    /// Everything worked.
    Success = 0,
    /// A runtime failure: network, AWS, I/O. The message says what was tried.
    Failure = 1,
    /// Bad command-line arguments or an invalid configuration file.
    Usage = 2,
    /// An SSO session needs a human to log in again (`awsproxy sso login`).
    LoginRequired = 3,
    /// `doctor` ran and at least one check failed.
    ChecksFailed = 4,
    /// Interrupted by Ctrl-C.
    Interrupted = 130,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Every status with a one-line meaning, for `--help` and the README.
    pub const ALL: [(ExitStatus, &'static str); 6] = [
        (ExitStatus::Success, "success"),
        (ExitStatus::Failure, "runtime failure (network, AWS, I/O)"),
        (ExitStatus::Usage, "bad arguments or invalid configuration"),
        (
            ExitStatus::LoginRequired,
            "an SSO session needs `awsproxy sso login`",
        ),
        (ExitStatus::ChecksFailed, "`doctor` found a failing check"),
        (ExitStatus::Interrupted, "interrupted (Ctrl-C)"),
    ];
}

/// Errors with a meaning the user can act on. Anything else is a plain failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),

    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },

    /// `session` is an sso-session name (`corp`) or `profile NAME` for a profile's session.
    #[error("{}", login_subject(session))]
    LoginRequired { session: String },

    #[error("interrupted")]
    Interrupted,
}

impl Error {
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Config(_) | Error::Usage { .. } => ExitStatus::Usage,
            Error::LoginRequired { .. } => ExitStatus::LoginRequired,
            Error::Interrupted => ExitStatus::Interrupted,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Config(e) => e.hint.clone(),
            Error::Usage { hint, .. } => hint.clone(),
            Error::LoginRequired { session } => Some(match session.strip_prefix("profile ") {
                Some(profile) => format!("run `awsproxy sso login --profile {profile}`"),
                None => format!("run `awsproxy sso login {session}`"),
            }),
            Error::Interrupted => None,
        }
    }
}

fn login_subject(session: &str) -> String {
    match session.strip_prefix("profile ") {
        Some(profile) => {
            format!("the SSO session of profile `{profile}` has expired and cannot be refreshed")
        }
        None => format!("SSO session `{session}` has expired and cannot be refreshed"),
    }
}

/// A message and a hint wrapped around an error with [`ResultExt::hint_context`].
/// The report prints the message as one link of the chain and the hint as `hint:`.
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub hint: String,
    pub source: Option<anyhow::Error>,
}

impl Hinted {
    /// A new error with no cause.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: hint.into(),
            source: None,
        }
    }
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| {
            let inner: &(dyn std::error::Error + Send + Sync + 'static) = e.as_ref();
            inner as &(dyn std::error::Error + 'static)
        })
    }
}

/// Adds a message and a hint to a failing result.
pub trait ResultExt<T> {
    fn hint_context(self, message: impl Into<String>, hint: impl Into<String>)
    -> anyhow::Result<T>;
}

impl<T, E> ResultExt<T> for Result<T, E>
where
    E: Into<anyhow::Error>,
{
    fn hint_context(
        self,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> anyhow::Result<T> {
        self.map_err(|e| {
            anyhow::Error::new(Hinted {
                message: message.into(),
                hint: hint.into(),
                source: Some(e.into()),
            })
        })
    }
}

/// An error and its causes on one line (`outer: inner: innermost`), each
/// distinct message once, without the `Debug` dumps some errors (the AWS SDK's)
/// carry. For log lines and short client-facing bodies.
pub fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// The exit status for an error chain: the first [`Error`] in it decides.
pub fn exit_status_of(err: &anyhow::Error) -> ExitStatus {
    err.chain()
        .find_map(|e| e.downcast_ref::<Error>().map(Error::exit_status))
        .unwrap_or(ExitStatus::Failure)
}

/// Prints an error chain to `out` (stderr in the binary) and returns its exit status.
pub fn report(err: &anyhow::Error, out: &mut dyn Write) -> ExitStatus {
    let mut hint = None;
    let mut lines = Vec::new();
    for cause in err.chain() {
        if let Some(h) = cause.downcast_ref::<Hinted>() {
            hint.get_or_insert_with(|| h.hint.clone());
        }
        if let Some(e) = cause.downcast_ref::<Error>()
            && hint.is_none()
        {
            hint = e.hint();
        }
        let text = cause.to_string();
        // `#[error(transparent)]` and anyhow's own wrapping repeat a message; print it once.
        if lines.last() != Some(&text) {
            lines.push(text);
        }
    }
    let mut lines = lines.into_iter();
    // Writing to stderr can only fail if stderr is gone; nothing useful to do then.
    let _ = writeln!(out, "error: {}", lines.next().unwrap_or_default());
    for line in lines {
        let _ = writeln!(out, "  Caused by: {line}");
    }
    if let Some(hint) = hint {
        let _ = writeln!(out, "hint: {hint}");
    }
    exit_status_of(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    fn render(err: &anyhow::Error) -> (String, ExitStatus) {
        let mut buf = Vec::new();
        let status = report(err, &mut buf);
        (String::from_utf8(buf).unwrap(), status)
    }

    #[test]
    fn chain_is_printed_with_causes_and_hint() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let err = Err::<(), _>(io)
            .hint_context("could not reach the STS endpoint", "check HTTPS_PROXY")
            .context("could not load credentials for profile `dev`")
            .unwrap_err();
        let (text, status) = render(&err);
        assert_eq!(
            text,
            "error: could not load credentials for profile `dev`\n  Caused by: could not reach the STS endpoint\n  Caused by: connection refused\nhint: check HTTPS_PROXY\n"
        );
        assert_eq!(status, ExitStatus::Failure);
    }

    #[test]
    fn library_errors_pick_the_exit_status() {
        let err = anyhow::Error::from(Error::LoginRequired {
            session: "corp".into(),
        })
        .context("cannot vend credentials");
        let (text, status) = render(&err);
        assert_eq!(status, ExitStatus::LoginRequired);
        assert!(
            text.contains("hint: run `awsproxy sso login corp`"),
            "{text}"
        );
        let err = anyhow::Error::from(Error::Usage {
            message: "bad".into(),
            hint: None,
        });
        assert_eq!(exit_status_of(&err), ExitStatus::Usage);
    }

    #[test]
    fn exit_codes_are_distinct() {
        let mut codes: Vec<u8> = ExitStatus::ALL.iter().map(|(s, _)| s.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ExitStatus::ALL.len());
    }
}
