//! Upstream bans: after `ban_after_failures` consecutive failures to reach a
//! server (connect errors, timeouts, TLS failures: what [`super::Fetch`]
//! returns as an error) it is skipped for `ban_for`, so clients get an
//! immediate error (or stale content) instead of waiting on a dead upstream.
//!
//! HTTP statuses never count: a server that answers `500` is up, and any
//! client can make an origin answer `500` (one broken URL) to ban it for
//! everyone. The map is keyed by authorities that clients choose, so it is
//! bounded: expired bans are dropped when read, and at [`MAX_HOSTS`] entries
//! the ones that are not banned (failure counts) go first; when every entry is
//! a live ban, a new host is not tracked (it is simply never banned).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Hosts tracked at most.
pub const MAX_HOSTS: usize = 4096;

#[derive(Debug, Default)]
pub struct Bans {
    hosts: Mutex<HashMap<String, State>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct State {
    failures: u32,
    until: Option<Instant>,
}

impl State {
    fn banned_at(&self, now: Instant) -> bool {
        self.until.is_some_and(|until| now < until)
    }
}

impl Bans {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, State>> {
        self.hosts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Is `host` banned right now? (An expired ban is forgotten.)
    pub fn banned(&self, host: &str) -> bool {
        let mut hosts = self.lock();
        match hosts.get(host) {
            Some(state) if state.banned_at(Instant::now()) => true,
            Some(state) if state.until.is_some() => {
                hosts.remove(host);
                false
            }
            _ => false,
        }
    }

    pub fn success(&self, host: &str) {
        self.lock().remove(host);
    }

    /// Records a failure to reach `host`; returns true when this one started a ban.
    pub fn failure(&self, host: &str, after: u32, ban_for: Duration) -> bool {
        if after == 0 {
            return false;
        }
        let now = Instant::now();
        let mut hosts = self.lock();
        if !hosts.contains_key(host) && hosts.len() >= MAX_HOSTS {
            hosts.retain(|_, s| s.banned_at(now));
            if hosts.len() >= MAX_HOSTS {
                return false;
            }
        }
        let state = hosts.entry(host.to_owned()).or_default();
        state.failures += 1;
        if state.failures >= after {
            state.failures = 0;
            state.until = Some(now + ban_for);
            return true;
        }
        false
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
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

    #[test]
    fn a_flood_of_distinct_authorities_keeps_the_map_bounded() {
        let bans = Bans::default();
        let long = Duration::from_secs(3600);
        // Expired bans are forgotten when read.
        assert!(bans.failure("gone", 1, Duration::ZERO));
        assert!(!bans.banned("gone"));
        assert_eq!(bans.len(), 0);
        // A client naming ever new authorities (one failure each).
        for i in 0..3 * MAX_HOSTS {
            bans.failure(&format!("h{i}.example:1"), 5, long);
            assert!(bans.len() <= MAX_HOSTS);
        }
        // Real bans survive the flood's pruning...
        let bans = Bans::default();
        assert!(bans.failure("dead:1", 1, long));
        for i in 0..2 * MAX_HOSTS {
            bans.failure(&format!("h{i}:1"), 5, long);
        }
        assert!(bans.banned("dead:1"));
        assert!(bans.len() <= MAX_HOSTS);
        // ...and a map full of live bans tracks no more hosts.
        let bans = Bans::default();
        for i in 0..MAX_HOSTS + 10 {
            bans.failure(&format!("d{i}:1"), 1, long);
        }
        assert_eq!(bans.len(), MAX_HOSTS);
        assert!(!bans.banned(&format!("d{}:1", MAX_HOSTS + 5)));
    }
}
