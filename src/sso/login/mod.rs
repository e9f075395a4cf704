//! `sso login`: pick a flow, hold the session's login lock, run the flow, write
//! the token cache file exactly as the AWS CLI v2 does.
//!
//! - PKCE authorization code ([`pkce`]) by default;
//! - device code ([`device`]) with `--use-device-code`, or automatically when no
//!   browser can be opened here ([`browser::unavailable_reason`]).
//!
//! A second login for the same session (another `sso login`, or the watcher in
//! `auto` mode) waits for the first and, when that one wrote a valid token, uses
//! it instead of opening another browser tab. Ctrl-C cancels cleanly: nothing
//! is written and the lock is released.

pub mod browser;
mod device;
mod pkce;

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use time::OffsetDateTime;

use super::client::SsoClients;
use super::registration::{self, Flow};
use super::state::SessionState;
use super::token_cache::{self, CachedToken};
use super::{SsoSession, lock};
use crate::paths::Paths;
use crate::printer::Printer;
use crate::secret::Secret;

/// How long a login may take before it gives up (PKCE and device code alike).
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Resolved login settings.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// Always use the device-code flow.
    pub use_device_code: bool,
    /// Never start a browser; print the URL.
    pub no_browser: bool,
    /// Give up after this long.
    pub timeout: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        Self {
            use_device_code: false,
            no_browser: false,
            timeout: LOGIN_TIMEOUT,
        }
    }
}

/// How a login ended.
#[derive(Debug)]
pub enum LoginOutcome {
    /// This process logged in and wrote the token.
    LoggedIn(CachedToken),
    /// Another process logged in while this one waited; its token is used.
    UsedConcurrentLogin(CachedToken),
}

impl LoginOutcome {
    pub fn token(&self) -> &CachedToken {
        match self {
            LoginOutcome::LoggedIn(t) | LoginOutcome::UsedConcurrentLogin(t) => t,
        }
    }
}

/// Where login messages go: a terminal (stderr, with a spinner) or the log (daemons).
#[derive(Debug)]
pub struct Ui {
    printer: Option<Printer>,
    spinner: Mutex<Option<ProgressBar>>,
}

impl Ui {
    /// Messages on stderr and a spinner (drawn only when stderr is a terminal).
    pub fn terminal(printer: Printer) -> Self {
        Self {
            printer: Some(printer),
            spinner: Mutex::new(None),
        }
    }

    /// Messages as log lines (for the watcher inside a daemon).
    pub fn log() -> Self {
        Self {
            printer: None,
            spinner: Mutex::new(None),
        }
    }

    pub fn message(&self, text: &str) {
        match self.printer {
            Some(p) => {
                let spinner = self.spinner.lock().ok().and_then(|s| s.clone());
                match spinner {
                    Some(s) => s.suspend(|| p.message(text)),
                    None => p.message(text),
                }
            }
            None => tracing::warn!("{text}"),
        }
    }

    pub fn spinner(&self, text: &str) {
        let Some(printer) = self.printer else { return };
        if printer.quiet {
            return;
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(text.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut slot) = self.spinner.lock()
            && let Some(old) = slot.replace(bar)
        {
            old.finish_and_clear();
        }
    }

    fn clear(&self) {
        if let Ok(mut slot) = self.spinner.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        self.clear();
    }
}

/// What a successful `CreateToken` gave.
#[derive(Debug)]
pub(crate) struct TokenGrant {
    access_token: Secret,
    expires_in: i32,
    refresh_token: Option<Secret>,
}

impl TokenGrant {
    fn from_output(
        out: &aws_sdk_ssooidc::operation::create_token::CreateTokenOutput,
    ) -> anyhow::Result<Self> {
        let access = out
            .access_token()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| anyhow::anyhow!("CreateToken returned no accessToken"))?;
        Ok(Self {
            access_token: Secret::new(access),
            expires_in: out.expires_in(),
            refresh_token: out
                .refresh_token()
                .filter(|t| !t.is_empty())
                .map(Secret::new),
        })
    }
}

/// Which flow a login uses, and why (for the message).
/// Legacy profiles always use the device code, as the AWS CLI does.
pub fn choose_flow(session: &SsoSession, opts: &LoginOptions) -> (Flow, Option<&'static str>) {
    if opts.use_device_code || session.is_legacy() {
        return (Flow::DeviceCode, None);
    }
    match browser::unavailable_reason() {
        Some(why) => (Flow::DeviceCode, Some(why)),
        None => (Flow::Pkce, None),
    }
}

/// Logs in to `session` (see the module docs) and writes its token cache file.
pub async fn login(
    paths: &Paths,
    session: &SsoSession,
    opts: &LoginOptions,
    ui: &Ui,
) -> anyhow::Result<LoginOutcome> {
    let cache_dir = paths.aws_sso_cache_dir();
    let path = token_cache::cache_file(&cache_dir, &session.cache_key);
    let before = fs_err::read(&path).ok();
    let lock_path = lock::lock_path(&paths.state_dir, &session.cache_key);
    // One listener for the whole login, so a Ctrl-C between two steps isn't lost.
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let (_lock, waited) = tokio::select! {
        r = lock::acquire(&lock_path, opts.timeout + Duration::from_secs(60), || {
            ui.message(&format!(
                "Another login for `{}` is in progress; waiting for it to finish...",
                session.name
            ));
        }) => r?,
        _ = &mut interrupted => return Err(crate::Error::Interrupted.into()),
    };
    if waited {
        let after = fs_err::read(&path).ok();
        if after.is_some() && after != before {
            match token_cache::read(&path) {
                Ok(Some(token)) if !token.is_expired(OffsetDateTime::now_utc()) => {
                    ui.clear();
                    return Ok(LoginOutcome::UsedConcurrentLogin(token));
                }
                _ => {}
            }
        }
    }

    let (flow, why) = choose_flow(session, opts);
    if let Some(why) = why {
        ui.message(&format!(
            "No browser can be opened here ({why}): using the device-code flow."
        ));
    }
    let clients = SsoClients::new(&session.region).await;
    let run = async {
        let registration = registration::obtain(&clients, &cache_dir, session, flow).await?;
        let grant = match flow {
            Flow::Pkce => pkce::run(&clients, session, &registration, opts, ui).await?,
            Flow::DeviceCode => device::run(&clients, session, &registration, opts, ui).await?,
        };
        anyhow::Ok((registration, grant))
    };
    let result = tokio::select! {
        r = run => r,
        _ = &mut interrupted => Err(crate::Error::Interrupted.into()),
    };
    ui.clear();
    let (registration, grant) = result?;
    let now = OffsetDateTime::now_utc();
    let token = CachedToken {
        start_url: Some(session.start_url.clone()),
        region: Some(session.region.clone()),
        access_token: grant.access_token,
        expires_at: now + time::Duration::seconds(i64::from(grant.expires_in)),
        client_id: Some(registration.client_id),
        client_secret: Some(registration.client_secret),
        registration_expires_at: Some(registration.expires_at),
        refresh_token: grant.refresh_token,
        extra: serde_json::Map::new(),
    };
    token_cache::write(&path, &token)?;
    SessionState::update(&paths.state_dir, &session.cache_key, |s| {
        s.last_error = None;
        s.notified_for = None;
        s.snoozed_until = None;
    });
    Ok(LoginOutcome::LoggedIn(token))
}
