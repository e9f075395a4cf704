//! Upstream bans: after `ban_after_failures` consecutive failures (connect
//! errors, timeouts, 5xx) a host is skipped for `ban_for`, so clients get an
//! immediate error (or stale content) instead of waiting on a dead upstream.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Bans {
    hosts: Mutex<HashMap<String, State>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct State {
    failures: u32,
    until: Option<Instant>,
}

impl Bans {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, State>> {
        self.hosts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Is `host` banned right now?
    pub fn banned(&self, host: &str) -> bool {
        self.lock()
            .get(host)
            .and_then(|s| s.until)
            .is_some_and(|until| Instant::now() < until)
    }

    pub fn success(&self, host: &str) {
        self.lock().remove(host);
    }

    /// Records a failure; returns true when this one started a ban.
    pub fn failure(&self, host: &str, after: u32, ban_for: Duration) -> bool {
        if after == 0 {
            return false;
        }
        let mut hosts = self.lock();
        let state = hosts.entry(host.to_owned()).or_default();
        state.failures += 1;
        if state.failures >= after {
            state.failures = 0;
            state.until = Some(Instant::now() + ban_for);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bans_after_consecutive_failures_and_success_resets() {
        let bans = Bans::default();
        let long = Duration::from_secs(3600);
        assert!(!bans.failure("h", 3, long));
        assert!(!bans.failure("h", 3, long));
        bans.success("h");
        assert!(!bans.failure("h", 3, long));
        assert!(!bans.failure("h", 3, long));
        assert!(!bans.banned("h"));
        assert!(bans.failure("h", 3, long));
        assert!(bans.banned("h"));
        assert!(!bans.banned("other"));
        assert!(!bans.failure("z", 0, long), "0 disables bans");
        assert!(bans.failure("x", 1, Duration::ZERO));
        assert!(!bans.banned("x"), "a zero-length ban is over at once");
    }
}
