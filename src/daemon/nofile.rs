//! The open-file limit. Shells and service managers often start processes with
//! a soft limit of 1024 (or lower) under a much higher hard limit; a proxy with
//! hundreds of clients, tunnels and cache files needs more. Like nginx and Go
//! programs, `serve` raises the soft limit to the hard one when it starts.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// macOS refuses a soft limit of "unlimited" (and, on some versions, anything
/// above `OPEN_MAX`); this is the value to fall back to there.
const OPEN_MAX: u64 = 10240;

/// The soft limit on open descriptors (`None`: unlimited).
pub fn open_file_limit() -> Option<u64> {
    getrlimit(Resource::Nofile).current
}

/// Raises the soft limit on open descriptors to the hard limit and returns the
/// soft limit in force afterwards (`None`: unlimited).
pub fn raise_open_file_limit() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    if limit.current == limit.maximum {
        tracing::debug!(soft = ?limit.current, "open-file limit already at the hard limit");
        return limit.current;
    }
    let wanted = [limit.maximum, Some(OPEN_MAX)];
    for current in wanted {
        // Never lower it.
        if limit.current.is_none() || current.is_some_and(|c| Some(c) <= limit.current) {
            continue;
        }
        let raised = Rlimit {
            current,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => {
                tracing::debug!(soft = ?current, hard = ?limit.maximum, "raised the open-file limit");
                return current;
            }
            Err(error) => {
                tracing::debug!(soft = ?current, %error, "cannot raise the open-file limit to this");
            }
        }
    }
    limit.current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_never_lowers_the_limit() {
        let before = open_file_limit();
        let after = raise_open_file_limit();
        assert_eq!(after, open_file_limit());
        assert!(after.is_none() || after >= before);
    }
}
