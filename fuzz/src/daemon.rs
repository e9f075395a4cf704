//! `src/daemon/` of awsproxy: the `Host` check (config validation parses
//! `allowed_hosts` entries with it).

#[path = "../../src/daemon/host.rs"]
pub mod host;
