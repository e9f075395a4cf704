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
use super::notify::{Choice, DesktopNotifier, Notifier};
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

    /// Reads what the session's state is, asks [`next_step`] what to do, and does it.
    async fn session_pass(&mut self, session: &SsoSession) -> (SessionAction, Duration) {
        let paths = &self.settings.paths;
        let path = token_cache::cache_file(&paths.aws_sso_cache_dir(), &session.cache_key);
        let read = token_cache::read(&path);
        if let Err(e) = &read {
            tracing::error!(session = %session.name, "{e:#}; leaving the file as it is");
        }
        let now = Instant::now();
        let seen = Seen {
            token: match &read {
                Ok(token) => Ok(token.as_ref().map(|t| t.expires_at)),
                Err(e) => Err(format!("{e:#}")),
            },
            explicitly_selected: self.explicitly_selected(session),
            now: OffsetDateTime::now_utc(),
            refresh_ahead: time::Duration::try_from(self.settings.refresh_ahead)
                .unwrap_or_default(),
            backing_off_for: self
                .backoff
                .get(&session.cache_key)
                .and_then(|b| b.next_attempt)
                .and_then(|at| at.checked_duration_since(now))
                .filter(|left| !left.is_zero()),
            refused: self
                .refused
                .get(&session.cache_key)
                .map(|(expiry, why)| (expiry.as_str(), why.as_str())),
        };
        match next_step(&seen) {
            Step::LeaveAlone => (SessionAction::NotLoggedIn, MAX_SLEEP),
            Step::NeedsLogin { key, reason } => self.needs_login(session, &key, &reason).await,
            Step::Fresh { expires_at, due } => {
                self.backoff.remove(&session.cache_key);
                (SessionAction::Fresh { expires_at }, due)
            }
            Step::BackOff { left } => (
                SessionAction::Failed {
                    error: "backing off after an error".into(),
                },
                left,
            ),
            Step::Refresh { expiry_key } => self.refresh(session, expiry_key).await,
        }
    }

    /// Refreshes one session's token and records what came of it.
    async fn refresh(
        &mut self,
        session: &SsoSession,
        expiry_key: String,
    ) -> (SessionAction, Duration) {
        let paths = &self.settings.paths;
        let ahead = time::Duration::try_from(self.settings.refresh_ahead).unwrap_or_default();
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
                let delay = backoff_delay(b.failures);
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
                    Choice::LogIn => login_now = true,
                    Choice::Snooze(d) => {
                        s.snoozed_until = Some(format_timestamp(now + d));
                    }
                    Choice::DontRemind => s.notified_for = Some(key.to_owned()),
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
                // Marked first: no second notification while this one is open.
                SessionState::update(&state_dir, &session.cache_key, |s| {
                    s.notified_for = Some(key.to_owned());
                });
                let notifier = self.notifier.clone();
                let paths = self.settings.paths.clone();
                let target = session.clone();
                let answered = async move {
                    let shown = target.clone();
                    let choice =
                        tokio::task::spawn_blocking(move || notifier.notify(&shown, &message))
                            .await
                            .ok()
                            .flatten();
                    if let Some(choice) = choice {
                        act_on(&paths, &target, choice).await;
                    }
                };
                if self.background_logins {
                    // Someone may answer much later; other sessions go on meanwhile.
                    tokio::spawn(answered);
                } else {
                    answered.await;
                }
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

/// What a notification's answer does: a login (the session lock keeps it to
/// one browser tab, whoever else is logging in), a snooze (reminded again
/// after it), or nothing more until the next expiry.
async fn act_on(paths: &Paths, session: &SsoSession, choice: Choice) {
    match choice {
        Choice::LogIn => {
            if let Err(e) = login::login(paths, session, &LoginOptions::default(), &Ui::log()).await
            {
                tracing::error!(session = %session.name, "login from the notification failed: {e:#}");
            }
        }
        Choice::Snooze(d) => {
            let until = format_timestamp(OffsetDateTime::now_utc() + d);
            SessionState::update(&paths.state_dir, &session.cache_key, |s| {
                s.snoozed_until = Some(until);
                s.notified_for = None;
            });
        }
        Choice::DontRemind => {}
    }
}

/// What one pass read about a session, for [`next_step`].
#[derive(Debug)]
struct Seen<'a> {
    /// The cached token's expiry; `Ok(None)` without a cache file, `Err` when it is unreadable.
    token: Result<Option<OffsetDateTime>, String>,
    /// Named in `[sso] sessions`.
    explicitly_selected: bool,
    now: OffsetDateTime,
    refresh_ahead: time::Duration,
    /// Left of the backoff after a transient failure.
    backing_off_for: Option<Duration>,
    /// The last refused refresh: (the expiry of the token it was for, why).
    refused: Option<(&'a str, &'a str)>,
}

/// What the pass does for a session: the watcher's whole decision, without I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// No token and not named in `[sso] sessions`: nobody is nagged about it.
    LeaveAlone,
    /// Only a human can help; `key` (the expiry, `missing` or `unreadable`) says
    /// which expiry the user is told about, so they are told once.
    NeedsLogin { key: String, reason: String },
    /// More than `refresh_ahead` left: look again in `due`.
    Fresh { expires_at: String, due: Duration },
    /// A transient failure's backoff hasn't run out.
    BackOff { left: Duration },
    /// Refresh now; `expiry_key` names the token being replaced.
    Refresh { expiry_key: String },
}

fn next_step(seen: &Seen<'_>) -> Step {
    let expires_at = match &seen.token {
        Ok(Some(at)) => *at,
        Ok(None) if seen.explicitly_selected => {
            return Step::NeedsLogin {
                key: "missing".into(),
                reason: "not logged in".into(),
            };
        }
        Ok(None) => return Step::LeaveAlone,
        Err(e) => {
            return Step::NeedsLogin {
                key: "unreadable".into(),
                reason: e.clone(),
            };
        }
    };
    let left = expires_at - seen.now;
    if left > seen.refresh_ahead {
        return Step::Fresh {
            expires_at: format_timestamp(expires_at),
            due: (left - seen.refresh_ahead).try_into().unwrap_or(MAX_SLEEP),
        };
    }
    if let Some(left) = seen.backing_off_for {
        return Step::BackOff { left };
    }
    let expiry_key = format_timestamp(expires_at);
    // A refresh the server refused is not retried for the same token every pass.
    match seen.refused {
        Some((expiry, why)) if expiry == expiry_key => Step::NeedsLogin {
            key: expiry_key,
            reason: why.to_owned(),
        },
        _ => Step::Refresh { expiry_key },
    }
}

/// 10 s after the first transient failure, doubling up to 5 minutes.
fn backoff_delay(failures: u32) -> Duration {
    BACKOFF_START
        .saturating_mul(2u32.saturating_pow(failures.min(16)))
        .min(BACKOFF_MAX)
}

/// Asks on the terminal; anything but a clear answer snoozes for 15 minutes.
async fn prompt(message: &str) -> Choice {
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
        Ok(Ok(Some(0))) => Choice::LogIn,
        Ok(Ok(Some(2))) => Choice::Snooze(time::Duration::hours(1)),
        Ok(Ok(Some(3))) => Choice::Snooze(time::Duration::hours(4)),
        Ok(Ok(Some(4))) => Choice::DontRemind,
        _ => Choice::Snooze(time::Duration::minutes(15)),
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
        fn notify(&self, _: &SsoSession, message: &str) -> Option<Choice> {
            self.0.lock().unwrap().push(message.to_owned());
            None
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

    fn seen(token: Result<Option<OffsetDateTime>, String>) -> Seen<'static> {
        Seen {
            token,
            explicitly_selected: false,
            now: OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000),
            refresh_ahead: time::Duration::minutes(20),
            backing_off_for: None,
            refused: None,
        }
    }

    #[test]
    fn a_token_with_more_than_refresh_ahead_left_is_looked_at_again_when_it_enters_the_window() {
        let s = seen(Ok(None));
        let s = Seen {
            token: Ok(Some(s.now + time::Duration::minutes(50))),
            ..s
        };
        assert!(
            matches!(next_step(&s), Step::Fresh { due, .. } if due == Duration::from_secs(30 * 60))
        );
    }

    #[test]
    fn a_token_inside_the_window_is_refreshed_unless_backing_off_or_refused() {
        let now = seen(Ok(None)).now;
        let expires = now + time::Duration::minutes(5);
        let key = format_timestamp(expires);
        let s = seen(Ok(Some(expires)));
        assert_eq!(
            next_step(&s),
            Step::Refresh {
                expiry_key: key.clone()
            }
        );
        let backing_off = Seen {
            backing_off_for: Some(Duration::from_secs(7)),
            ..seen(Ok(Some(expires)))
        };
        assert_eq!(
            next_step(&backing_off),
            Step::BackOff {
                left: Duration::from_secs(7)
            }
        );
        let refused = Seen {
            refused: Some((&key, "refresh refused")),
            ..seen(Ok(Some(expires)))
        };
        assert_eq!(
            next_step(&refused),
            Step::NeedsLogin {
                key: key.clone(),
                reason: "refresh refused".into()
            }
        );
        // A refusal for an older token doesn't stop a refresh of the new one.
        let refused_before = Seen {
            refused: Some(("2020-01-01T00:00:00Z", "refresh refused")),
            ..seen(Ok(Some(expires)))
        };
        assert_eq!(
            next_step(&refused_before),
            Step::Refresh { expiry_key: key }
        );
    }

    #[test]
    fn missing_and_unreadable_tokens() {
        assert_eq!(next_step(&seen(Ok(None))), Step::LeaveAlone);
        let named = Seen {
            explicitly_selected: true,
            ..seen(Ok(None))
        };
        assert_eq!(
            next_step(&named),
            Step::NeedsLogin {
                key: "missing".into(),
                reason: "not logged in".into()
            }
        );
        assert_eq!(
            next_step(&seen(Err("bad json".into()))),
            Step::NeedsLogin {
                key: "unreadable".into(),
                reason: "bad json".into()
            }
        );
    }

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let delays: Vec<u64> = (0..7).map(|n| backoff_delay(n).as_secs()).collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(backoff_delay(u32::MAX), BACKOFF_MAX);
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
