//! What awsproxy remembers about a session between runs (no secrets):
//! `$XDG_STATE_HOME/awsproxy/sso/sessions/<sha1(KEY)>.json`. It holds the last
//! refresh (for `sso status`), the last error, and which expiry the human was
//! already told about, so `sso watch --once` from cron notifies once, not every run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha1::Digest as _;

use crate::fsutil::{self, Mode};

/// Per-session memory. Timestamps are `YYYY-MM-DDTHH:MM:SSZ` strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionState {
    /// When awsproxy last refreshed the token.
    pub last_refresh: Option<String>,
    /// The last refresh or login error.
    pub last_error: Option<String>,
    /// The expiry (or `missing`) a notification was sent for.
    pub notified_for: Option<String>,
    /// No reminders before this time (set by "Snooze").
    pub snoozed_until: Option<String>,
}

pub fn state_file(state_dir: &Path, cache_key: &str) -> PathBuf {
    state_dir.join("sso").join("sessions").join(format!(
        "{}.json",
        hex::encode(sha1::Sha1::digest(cache_key.as_bytes()))
    ))
}

impl SessionState {
    /// Reads the state; missing or unreadable state is empty (it's only memory).
    pub fn load(state_dir: &Path, cache_key: &str) -> Self {
        let path = state_file(state_dir, cache_key);
        match fs_err::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), "ignoring unreadable session state: {e}");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    pub fn save(&self, state_dir: &Path, cache_key: &str) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(self)?;
        fsutil::atomic_write(&state_file(state_dir, cache_key), &bytes, Mode::Secret)
    }

    /// Loads, applies `f`, saves.
    pub fn update(state_dir: &Path, cache_key: &str, f: impl FnOnce(&mut Self)) {
        let mut state = Self::load(state_dir, cache_key);
        f(&mut state);
        if let Err(e) = state.save(state_dir, cache_key) {
            tracing::warn!("cannot save SSO session state: {e:#}");
        }
    }
}
