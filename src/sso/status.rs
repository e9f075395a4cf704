//! The state of every SSO session, for `sso status` (table or `--json`), `doctor`
//! and the status page of `serve`. Reading never changes a file.

use std::path::PathBuf;

use serde::Serialize;
use time::OffsetDateTime;

use super::aws_config::{AwsConfig, SessionKind};
use super::state::SessionState;
use super::token_cache::{self, format_timestamp};
use crate::config::Config;
use crate::paths::Paths;

/// Whether a session's token can be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenState {
    /// Not expired.
    Valid,
    /// Past `expiresAt`.
    Expired,
    /// No cache file: never logged in, or logged out.
    Missing,
    /// The cache file is malformed (left as it is).
    Unreadable,
}

impl TokenState {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenState::Valid => "valid",
            TokenState::Expired => "expired",
            TokenState::Missing => "missing",
            TokenState::Unreadable => "unreadable",
        }
    }
}

/// One row of `sso status`.
#[derive(Debug, Clone, Serialize)]
pub struct SessionStatus {
    pub name: String,
    pub kind: SessionKind,
    pub start_url: String,
    pub region: String,
    pub cache_file: PathBuf,
    pub state: TokenState,
    /// `YYYY-MM-DDTHH:MM:SSZ`
    pub expires_at: Option<String>,
    /// Negative when expired.
    pub expires_in_seconds: Option<i64>,
    /// Whether awsproxy (or botocore) can refresh it without a human.
    pub refreshable: bool,
    /// Why not, when not.
    pub not_refreshable_reason: Option<String>,
    /// When awsproxy last refreshed it.
    pub last_refresh: Option<String>,
    /// The last refresh error awsproxy saw.
    pub last_error: Option<String>,
    /// Why the cache file can't be read (state `unreadable`).
    pub error: Option<String>,
    /// The command that logs in to it.
    pub login_command: String,
    /// A human must run `awsproxy sso login`: the token is expired or unreadable,
    /// or missing for a session named on the command line or in `[sso] sessions`.
    pub needs_login: bool,
}

/// Status of every session in `~/.aws/config`, narrowed by `[sso] sessions` and
/// then by `only` (names, start URLs or legacy profile names; all when empty).
pub fn sessions(
    paths: &Paths,
    config: &Config,
    only: &[String],
) -> anyhow::Result<Vec<SessionStatus>> {
    let aws = AwsConfig::load(&paths.aws_config_file())?;
    let filter = config.file.sso.as_ref().and_then(|s| s.sessions.clone());
    let mut selected = aws.selected(filter.as_deref());
    if !only.is_empty() {
        for name in only {
            if !selected.iter().any(|s| s.matches(name)) {
                return Err(crate::Error::Usage {
                    message: format!("no SSO session `{name}` in {}", aws.path.display()),
                    hint: Some(format!("configured sessions: {}", names(&selected))),
                }
                .into());
            }
        }
        selected.retain(|s| only.iter().any(|n| s.matches(n)));
    }
    let explicit = |s: &super::SsoSession| {
        only.iter()
            .chain(filter.iter().flatten())
            .any(|n| s.matches(n))
    };
    let now = OffsetDateTime::now_utc();
    let cache_dir = paths.aws_sso_cache_dir();
    Ok(selected
        .into_iter()
        .map(|session| {
            let cache_file = token_cache::cache_file(&cache_dir, &session.cache_key);
            let remembered = SessionState::load(&paths.state_dir, &session.cache_key);
            let mut status = SessionStatus {
                name: session.name.clone(),
                kind: session.kind.clone(),
                start_url: session.start_url.clone(),
                region: session.region.clone(),
                state: TokenState::Missing,
                expires_at: None,
                expires_in_seconds: None,
                refreshable: false,
                not_refreshable_reason: Some("not logged in".into()),
                last_refresh: remembered.last_refresh,
                last_error: remembered.last_error,
                error: None,
                login_command: session.login_command(),
                // A session nobody logged in to only counts when it was asked for.
                needs_login: explicit(&session),
                cache_file,
            };
            match token_cache::read(&status.cache_file) {
                Ok(None) => {}
                Err(e) => {
                    status.state = TokenState::Unreadable;
                    status.needs_login = true;
                    status.error = Some(format!("{e:#}"));
                    status.not_refreshable_reason = Some("cache file unreadable".into());
                }
                Ok(Some(token)) => {
                    let expired = token.is_expired(now);
                    status.state = if expired {
                        TokenState::Expired
                    } else {
                        TokenState::Valid
                    };
                    status.needs_login = expired;
                    status.expires_at = Some(format_timestamp(token.expires_at));
                    status.expires_in_seconds = Some(token.expires_in(now).whole_seconds());
                    let blocker = token.refresh_blocker(now).map(|why| {
                        if session.is_legacy() && why == "no refresh token" {
                            "legacy profile (no refresh token)".to_owned()
                        } else {
                            why.to_owned()
                        }
                    });
                    status.refreshable = blocker.is_none();
                    status.not_refreshable_reason = blocker;
                }
            }
            status
        })
        .collect())
}

/// `a, b, c` (or `none`) for messages.
pub fn names(sessions: &[super::SsoSession]) -> String {
    if sessions.is_empty() {
        return "none".into();
    }
    sessions
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `sso status --prompt` marker: each session with a token or needing a
/// login, as `NAME 3h05m` or `NAME login!`, space-separated (empty when none).
pub fn prompt_line(sessions: &[SessionStatus]) -> String {
    sessions
        .iter()
        .filter_map(|s| {
            if s.needs_login {
                return Some(format!("{} login!", s.name));
            }
            let left = s.expires_in_seconds.filter(|l| *l > 0)?;
            Some(if left >= 3600 {
                format!("{} {}h{:02}m", s.name, left / 3600, (left % 3600) / 60)
            } else {
                format!("{} {}m", s.name, left / 60)
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1h 5m`, `12m`, `expired 3m ago`.
pub fn human_duration(seconds: i64) -> String {
    let abs = seconds.unsigned_abs();
    let text = if abs >= 3600 {
        format!("{}h {}m", abs / 3600, (abs % 3600) / 60)
    } else if abs >= 60 {
        format!("{}m", abs / 60)
    } else {
        format!("{abs}s")
    };
    if seconds < 0 {
        format!("expired {text} ago")
    } else {
        text
    }
}
