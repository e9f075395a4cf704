//! Every environment variable awsproxy reads, in one place.
//!
//! Flags with an `env = ...` attribute in `cli.rs` use these names; the README's
//! configuration reference lists them.

/// Path of the configuration file (same as `--config`).
pub const AWSPROXY_CONFIG: &str = "AWSPROXY_CONFIG";
/// Log level: error, warn, info, debug or trace (same as `--log-level`).
pub const AWSPROXY_LOG_LEVEL: &str = "AWSPROXY_LOG_LEVEL";
/// Log format: human or json (same as `--log-format`).
pub const AWSPROXY_LOG_FORMAT: &str = "AWSPROXY_LOG_FORMAT";
/// Overrides `[cache] dir`.
pub const AWSPROXY_CACHE_DIR: &str = "AWSPROXY_CACHE_DIR";
/// Overrides `[proxy] listen`.
pub const AWSPROXY_PROXY_LISTEN: &str = "AWSPROXY_PROXY_LISTEN";
/// Overrides `[repos] listen`.
pub const AWSPROXY_REPOS_LISTEN: &str = "AWSPROXY_REPOS_LISTEN";
/// Overrides `[creds] listen`.
pub const AWSPROXY_CREDS_LISTEN: &str = "AWSPROXY_CREDS_LISTEN";
/// Overrides `[metrics] listen`.
pub const AWSPROXY_METRICS_LISTEN: &str = "AWSPROXY_METRICS_LISTEN";

/// The AWS CLI's config file (`~/.aws/config` when unset).
pub const AWS_CONFIG_FILE: &str = "AWS_CONFIG_FILE";
/// The user's home directory.
pub const HOME: &str = "HOME";
