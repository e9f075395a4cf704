//! The refresh loop (`sso watch`, and a task inside `serve`): every pass re-reads
//! `~/.aws/config` and each session's cache file (so logins and refreshes by other
//! tools are picked up without a restart), refreshes tokens with less than
//! `refresh_ahead` left, backs off on transient errors, and when only a human can
//! help, acts per `[sso] login` once per session and expiry:
//!
//! - `notify`: a dialoguer prompt on a terminal, else a desktop notification
//!   (or a log line) through a [`Notifier`];
//! - `auto`: starts a login (the session lock keeps it to one browser tab);
//! - `off`: a log line only.
//!
//! "Already told about this expiry" lives in the state dir ([`SessionState`]), so
//! `sso watch --once` from cron notifies once, not on every run.
//!
//! ```ignore
//! let watcher = Watcher::new(WatchSettings::resolve(&paths, &config, false));
//! tokio::spawn(watcher.run(shutdown_signal));
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::Instant;

use super::aws_config::AwsConfig;
use super::login::{self, LoginOptions, Ui};
use super::notify::{DesktopNotifier, Notifier};
use super::refresh::{self, RefreshError, RefreshOutcome};
use super::state::SessionState;
use super::token_cache::{self, format_timestamp, parse_timestamp};
use super::{SsoSession, lock};
use crate::config::{Config, LoginMode};
use crate::paths::Paths;

/// Longest sleep between passes: how quickly files rewritten by other tools are seen.
const MAX_SLEEP: Duration = Duration::from_secs(60);
const MIN_SLEEP: Duration = Duration::from_secs(1);
const BACKOFF_START: Duration = Duration::from_secs(10);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// Resolved watcher settings.
#[derive(Debug, Clone)]
pub struct WatchSettings {
    pub paths: Paths,
    /// `AWS_CONFIG_FILE` or `~/.aws/config`, re-read on every pass.
    pub aws_config_file: PathBuf,
    /// `[sso] sessions` (all sessions when `None`).
    pub filter: Option<Vec<String>>,
    pub refresh_ahead: Duration,
    pub login: LoginMode,
    /// Prompt with dialoguer (only when stdin and stderr are terminals).
    pub interactive: bool,
}

impl WatchSettings {
    pub fn resolve(paths: &Paths, config: &Config, interactive: bool) -> Self {
        let sso = config.file.sso.clone().unwrap_or_default();
        Self {
            paths: paths.clone(),
            aws_config_file: paths.aws_config_file(),
            filter: sso.sessions,
            refresh_ahead: sso.refresh_ahead.0,
            login: sso.login,
            interactive,
        }
    }
}

/// What a pass did for one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionAction {
    /// More than `refresh_ahead` left.
    Fresh {
        expires_at: String,
    },
    Refreshed {
        expires_at: String,
    },
    /// A login or another refresh held the lock.
    Busy,
    /// Transient failure; retried after a backoff.
    Failed {
        error: String,
    },
    /// Only a new login helps.
    NeedsLogin {
        reason: String,
    },
    /// No token and not named in `[sso] sessions`: left alone.
    NotLoggedIn,
}

#[derive(Debug, Clone)]
pub struct SessionReport {
    pub session: String,
    /// How a human logs in to it.
    pub login_command: String,
    pub action: SessionAction,
}

#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
    next_attempt: Option<Instant>,
}

/// Keeps every selected session fresh. See the module docs.
#[derive(Debug)]
pub struct Watcher {
    settings: WatchSettings,
    notifier: Arc<dyn Notifier>,
    backoff: HashMap<String, Backoff>,
    /// Tokens whose refresh was refused: cache key -> (expiry, reason).
    refused: HashMap<String, (String, String)>,
    /// `auto` logins started by [`Watcher::run`], by cache key.
    logins: HashMap<String, tokio::task::JoinHandle<()>>,
    /// Run `auto` logins as tasks (in [`Watcher::run`]) rather than inline (`run_once`).
    background_logins: bool,
}

impl Watcher {
    pub fn new(settings: WatchSettings) -> Self {
        Self::with_notifier(settings, Arc::new(DesktopNotifier))
    }

    pub fn with_notifier(settings: WatchSettings, notifier: Arc<dyn Notifier>) -> Self {
        Self {
            settings,
            notifier,
            backoff: HashMap::new(),
            refused: HashMap::new(),
            logins: HashMap::new(),
            background_logins: false,
        }
    }

    /// Runs passes until `shutdown` completes.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        self.background_logins = true;
        loop {
            // A pass may wait on a terminal prompt: shutdown must not wait for it.
            let result = tokio::select! {
                r = self.pass() => r,
                () = &mut shutdown => break,
            };
            let wait = match result {
                Ok((_, wait)) => wait,
                Err(e) => {
                    tracing::error!("SSO watcher: {e:#}");
                    MAX_SLEEP
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait.clamp(MIN_SLEEP, MAX_SLEEP)) => {}
                () = &mut shutdown => break,
            }
        }
        for (_, login) in self.logins.drain() {
            login.abort();
        }
    }

    /// One pass over all sessions.
    pub async fn run_once(&mut self) -> anyhow::Result<Vec<SessionReport>> {
        Ok(self.pass().await?.0)
    }

    async fn pass(&mut self) -> anyhow::Result<(Vec<SessionReport>, Duration)> {
        let aws = AwsConfig::load(&self.settings.aws_config_file)?;
        let sessions = aws.selected(self.settings.filter.as_deref());
        let mut reports = Vec::new();
        let mut wait = MAX_SLEEP;
        for session in sessions {
            let (action, next) = self.session_pass(&session).await;
            wait = wait.min(next);
            reports.push(SessionReport {
                session: session.name.clone(),
                login_command: session.login_command(),
                action,
            });
        }
        Ok((reports, wait))
    }

    async fn session_pass(&mut self, session: &SsoSession) -> (SessionAction, Duration) {
        let paths = &self.settings.paths;
        let ahead = time::Duration::try_from(self.settings.refresh_ahead).unwrap_or_default();
        let path = token_cache::cache_file(&paths.aws_sso_cache_dir(), &session.cache_key);
        let now = OffsetDateTime::now_utc();
        let token = match token_cache::read(&path) {
            Ok(Some(t)) => t,
            Ok(None) if self.explicitly_selected(session) => {
                return self.needs_login(session, "missing", "not logged in").await;
            }
            // Sessions nobody logged in to are not nagged about unless `[sso] sessions` names them.
            Ok(None) => return (SessionAction::NotLoggedIn, MAX_SLEEP),
            Err(e) => {
                tracing::error!(session = %session.name, "{e:#}; leaving the file as it is");
                return self
                    .needs_login(session, "unreadable", &format!("{e:#}"))
                    .await;
            }
        };
        let left = token.expires_in(now);
        if left > ahead {
            self.backoff.remove(&session.cache_key);
            let due = (left - ahead).try_into().unwrap_or(MAX_SLEEP);
            return (
                SessionAction::Fresh {
                    expires_at: format_timestamp(token.expires_at),
                },
                due,
            );
        }
        if let Some(at) = self
            .backoff
            .get(&session.cache_key)
            .and_then(|b| b.next_attempt)
            && at > Instant::now()
        {
            return (
                SessionAction::Failed {
                    error: "backing off after an error".into(),
                },
                at - Instant::now(),
            );
        }
        let expiry_key = format_timestamp(token.expires_at);
        // A refresh the server refused is not retried for the same token every pass.
        if let Some(why) = self
            .refused
            .get(&session.cache_key)
            .filter(|(key, _)| *key == expiry_key)
            .map(|(_, why)| why.clone())
        {
            return self.needs_login(session, &expiry_key, &why).await;
        }
        match refresh::refresh_session(&paths.aws_sso_cache_dir(), &paths.state_dir, session, ahead)
            .await
        {
            Ok(RefreshOutcome::Refreshed(t)) => {
                self.backoff.remove(&session.cache_key);
                tracing::info!(session = %session.name, expires_at = %format_timestamp(t.expires_at), "refreshed the SSO token");
                (
                    SessionAction::Refreshed {
                        expires_at: format_timestamp(t.expires_at),
                    },
                    MAX_SLEEP,
                )
            }
            Ok(RefreshOutcome::AlreadyFresh(t)) => (
                SessionAction::Fresh {
                    expires_at: format_timestamp(t.expires_at),
                },
                MAX_SLEEP,
            ),
            Ok(RefreshOutcome::Busy) => (SessionAction::Busy, MIN_SLEEP * 5),
            Err(RefreshError::NeedsLogin(why)) => {
                let why = if session.is_legacy() && why == "no refresh token" {
                    "legacy profile without a refresh token".to_owned()
                } else {
                    why
                };
                self.refused
                    .insert(session.cache_key.clone(), (expiry_key.clone(), why.clone()));
                self.needs_login(session, &expiry_key, &why).await
            }
            Err(RefreshError::Unreadable(e)) => {
                tracing::error!(session = %session.name, "{e:#}; leaving the file as it is");
                self.needs_login(session, "unreadable", &format!("{e:#}"))
                    .await
            }
            Err(RefreshError::Transient(e)) => {
                let b = self.backoff.entry(session.cache_key.clone()).or_default();
                let delay = BACKOFF_START
                    .saturating_mul(2u32.saturating_pow(b.failures.min(16)))
                    .min(BACKOFF_MAX);
                b.failures += 1;
                b.next_attempt = Some(Instant::now() + delay);
                tracing::warn!(session = %session.name, "SSO refresh failed (retrying in {}s): {e}", delay.as_secs());
                (SessionAction::Failed { error: e }, delay)
            }
        }
    }

    fn explicitly_selected(&self, session: &SsoSession) -> bool {
        self.settings
            .filter
            .as_ref()
            .is_some_and(|names| names.iter().any(|n| session.matches(n)))
    }

    /// Acts on `[sso] login` once per session and `key` (the expiry, `missing` or `unreadable`).
    async fn needs_login(
        &mut self,
        session: &SsoSession,
        key: &str,
        reason: &str,
    ) -> (SessionAction, Duration) {
        let action = SessionAction::NeedsLogin {
            reason: reason.to_owned(),
        };
        let state_dir = self.settings.paths.state_dir.clone();
        let state = SessionState::load(&state_dir, &session.cache_key);
        let now = OffsetDateTime::now_utc();
        let snoozed = state
            .snoozed_until
            .as_deref()
            .and_then(|t| parse_timestamp(t).ok())
            .is_some_and(|until| until > now);
        if state.notified_for.as_deref() == Some(key) || snoozed {
            return (action, MAX_SLEEP);
        }
        let message = format!(
            "SSO session `{}` needs a login ({reason}): run `{}`",
            session.name,
            session.login_command()
        );
        match self.settings.login {
            LoginMode::Off => {
                tracing::info!("{message}");
                return (action, MAX_SLEEP);
            }
            LoginMode::Notify if self.settings.interactive => {
                let choice = prompt(&message).await;
                let mut login_now = false;
                SessionState::update(&state_dir, &session.cache_key, |s| match choice {
                    PromptChoice::LogIn => login_now = true,
                    PromptChoice::Snooze(d) => {
                        s.snoozed_until = Some(format_timestamp(now + d));
                    }
                    PromptChoice::DontRemind => s.notified_for = Some(key.to_owned()),
                });
                if login_now {
                    return self
                        .auto_login(
                            session,
                            action,
                            Ui::terminal(crate::printer::Printer { quiet: false }),
                        )
                        .await;
                }
            }
            LoginMode::Notify => {
                self.notifier.notify(session, &message);
                SessionState::update(&state_dir, &session.cache_key, |s| {
                    s.notified_for = Some(key.to_owned());
                });
            }
            LoginMode::Auto => {
                SessionState::update(&state_dir, &session.cache_key, |s| {
                    s.notified_for = Some(key.to_owned());
                });
                return self.auto_login(session, action, Ui::log()).await;
            }
        }
        (action, MAX_SLEEP)
    }

    async fn auto_login(
        &mut self,
        session: &SsoSession,
        action: SessionAction,
        ui: Ui,
    ) -> (SessionAction, Duration) {
        let busy = (SessionAction::Busy, MIN_SLEEP * 5);
        if self
            .logins
            .get(&session.cache_key)
            .is_some_and(|h| !h.is_finished())
        {
            return busy;
        }
        // Someone is already logging in: their token will be picked up next pass.
        let lock_path = lock::lock_path(&self.settings.paths.state_dir, &session.cache_key);
        if matches!(lock::try_acquire(&lock_path), Ok(None)) {
            return busy;
        }
        let paths = self.settings.paths.clone();
        let target = session.clone();
        let login = async move {
            login::login(&paths, &target, &LoginOptions::default(), &ui)
                .await
                .map(|outcome| format_timestamp(outcome.token().expires_at))
                .map_err(|e| {
                    tracing::error!(session = %target.name, "automatic login failed: {e:#}");
                })
        };
        if self.background_logins {
            // A login can take minutes; other sessions keep being refreshed meanwhile.
            let handle = tokio::spawn(async move {
                let _ = login.await;
            });
            self.logins.insert(session.cache_key.clone(), handle);
            return busy;
        }
        match login.await {
            Ok(expires_at) => (SessionAction::Refreshed { expires_at }, MAX_SLEEP),
            Err(()) => (action, MAX_SLEEP),
        }
    }
}

enum PromptChoice {
    LogIn,
    Snooze(time::Duration),
    DontRemind,
}

/// Asks on the terminal; anything but a clear answer snoozes for 15 minutes.
async fn prompt(message: &str) -> PromptChoice {
    let message = message.to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        dialoguer::Select::new()
            .with_prompt(message)
            .items([
                "Log in now",
                "Snooze 15 minutes",
                "Snooze 1 hour",
                "Snooze 4 hours",
                "Don't remind me for this session's expiry",
            ])
            .default(0)
            .interact_opt()
    })
    .await;
    match answer {
        Ok(Ok(Some(0))) => PromptChoice::LogIn,
        Ok(Ok(Some(2))) => PromptChoice::Snooze(time::Duration::hours(1)),
        Ok(Ok(Some(3))) => PromptChoice::Snooze(time::Duration::hours(4)),
        Ok(Ok(Some(4))) => PromptChoice::DontRemind,
        _ => PromptChoice::Snooze(time::Duration::minutes(15)),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Mutex;

    use super::*;
    use crate::fsutil;
    use crate::secret::Secret;
    use crate::sso::token_cache::CachedToken;

    #[derive(Debug, Default)]
    struct Counting(Mutex<Vec<String>>);

    impl Notifier for Counting {
        fn notify(&self, _: &SsoSession, message: &str) {
            self.0.lock().unwrap().push(message.to_owned());
        }
    }

    fn setup(dir: &Path, expires_in: time::Duration) -> Paths {
        let paths = Paths {
            config_dir: dir.join("config"),
            cache_dir: dir.join("cache"),
            data_dir: dir.join("data"),
            state_dir: dir.join("state"),
            home: dir.join("home"),
        };
        fsutil::atomic_write(
            &paths.home.join(".aws/config"),
            b"[sso-session corp]\nsso_start_url = https://x/start\nsso_region = us-east-1\n",
            fsutil::Mode::Public,
        )
        .unwrap();
        let token = CachedToken {
            start_url: Some("https://x/start".into()),
            region: Some("us-east-1".into()),
            access_token: Secret::new("at"),
            expires_at: OffsetDateTime::now_utc() + expires_in,
            client_id: None,
            client_secret: None,
            registration_expires_at: None,
            refresh_token: None,
            extra: serde_json::Map::new(),
        };
        token_cache::write(
            &token_cache::cache_file(&paths.aws_sso_cache_dir(), "corp"),
            &token,
        )
        .unwrap();
        paths
    }

    fn settings(paths: &Paths, login: LoginMode) -> WatchSettings {
        WatchSettings {
            paths: paths.clone(),
            aws_config_file: paths.home.join(".aws/config"),
            filter: None,
            refresh_ahead: Duration::from_secs(20 * 60),
            login,
            interactive: false,
        }
    }

    #[tokio::test]
    async fn notifies_once_per_expiry_across_watchers() {
        let dir = tempfile::tempdir().unwrap();
        let paths = setup(dir.path(), time::Duration::minutes(5));
        let counter = Arc::new(Counting::default());
        for _ in 0..2 {
            // A new watcher each time, like `sso watch --once` from cron.
            let mut w =
                Watcher::with_notifier(settings(&paths, LoginMode::Notify), counter.clone());
            let reports = w.run_once().await.unwrap();
            assert!(
                matches!(&reports[0].action, SessionAction::NeedsLogin { reason } if reason == "no refresh token"),
                "{reports:?}"
            );
        }
        assert_eq!(counter.0.lock().unwrap().len(), 1);
        let mut w = Watcher::with_notifier(settings(&paths, LoginMode::Notify), counter.clone());
        w.run_once().await.unwrap();
        assert!(w.refused.contains_key("corp"), "remembered in memory");
        w.run_once().await.unwrap();
        assert_eq!(counter.0.lock().unwrap().len(), 1);

        // A token more than refresh_ahead away from expiry needs nothing.
        let dir = tempfile::tempdir().unwrap();
        let paths = setup(dir.path(), time::Duration::hours(2));
        let mut w = Watcher::with_notifier(settings(&paths, LoginMode::Notify), counter.clone());
        let reports = w.run_once().await.unwrap();
        assert!(
            matches!(reports[0].action, SessionAction::Fresh { .. }),
            "{reports:?}"
        );
        assert_eq!(counter.0.lock().unwrap().len(), 1);
    }

    /// `serve` runs the watcher with `tokio::spawn`.
    #[test]
    fn the_watcher_can_be_spawned() {
        fn assert_send<T: Send + 'static>(_: &T) {}
        let dir = tempfile::tempdir().unwrap();
        let paths = setup(dir.path(), time::Duration::hours(1));
        let run = Watcher::new(settings(&paths, LoginMode::Auto)).run(std::future::pending());
        assert_send(&run);
    }

    #[tokio::test]
    async fn login_off_never_notifies() {
        let dir = tempfile::tempdir().unwrap();
        let paths = setup(dir.path(), time::Duration::minutes(-5));
        let counter = Arc::new(Counting::default());
        let mut w = Watcher::with_notifier(settings(&paths, LoginMode::Off), counter.clone());
        w.run_once().await.unwrap();
        assert!(counter.0.lock().unwrap().is_empty());
    }
}
