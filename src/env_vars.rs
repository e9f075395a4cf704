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
/// Set to anything non-empty: no colour in any output (https://no-color.org).
pub const NO_COLOR: &str = "NO_COLOR";
/// The AWS CLI's credentials file (`~/.aws/credentials` when unset).
pub const AWS_SHARED_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";
/// The user's home directory.
pub const HOME: &str = "HOME";
/// Cargo's home (`~/.cargo` when unset): `awsproxy setup cargo` edits its `config.toml`.
pub const CARGO_HOME: &str = "CARGO_HOME";
/// Gradle's user home (`~/.gradle` when unset): `awsproxy setup gradle` writes its `init.d/`.
pub const GRADLE_USER_HOME: &str = "GRADLE_USER_HOME";
/// npm's user config file (`~/.npmrc` when unset); npm reads it case-insensitively.
pub const NPM_CONFIG_USERCONFIG: &str = "NPM_CONFIG_USERCONFIG";

/// Command run with the login URL instead of the system browser (also makes
/// `sso login` assume a browser is available; tests use it as a simulated browser).
pub const AWSPROXY_BROWSER: &str = "AWSPROXY_BROWSER";
/// The user's preferred browser command (used when set and a display is available).
pub const BROWSER: &str = "BROWSER";
/// Service-specific endpoint of IAM Identity Center OIDC (honoured by every SDK).
pub const AWS_ENDPOINT_URL_SSO_OIDC: &str = "AWS_ENDPOINT_URL_SSO_OIDC";
/// Service-specific endpoint of STS (`doctor`'s clock check asks it for `Date`).
pub const AWS_ENDPOINT_URL_STS: &str = "AWS_ENDPOINT_URL_STS";
/// Service-specific endpoint of S3 (a local one needs path-style addressing).
pub const AWS_ENDPOINT_URL_S3: &str = "AWS_ENDPOINT_URL_S3";
/// Static credentials from the environment (`token get` names them in its cache key).
pub const AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// The profile SDKs use when none is given.
pub const AWS_PROFILE: &str = "AWS_PROFILE";
/// The watcher's notifier instead of the desktop's (run through `sh` with the
/// title and message; prints `login`, `snooze`, `dismiss` or nothing).
pub const AWSPROXY_NOTIFY_CMD: &str = "AWSPROXY_NOTIFY_CMD";
/// `awsproxy console`: the federation endpoint instead of the partition's
/// (tests, and networks that reach sign-in through another name).
pub const AWSPROXY_FEDERATION_URL: &str = "AWSPROXY_FEDERATION_URL";
/// When `true`, SDKs ignore `AWS_ENDPOINT_URL*`.
pub const AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";
/// Set in SSH sessions: no local browser can reach the machine.
pub const SSH_CONNECTION: &str = "SSH_CONNECTION";
/// Set in SSH sessions with a terminal.
pub const SSH_TTY: &str = "SSH_TTY";
/// X11 display (Linux): without it or `WAYLAND_DISPLAY`, no browser can be opened.
pub const DISPLAY: &str = "DISPLAY";
/// Wayland display (Linux).
pub const WAYLAND_DISPLAY: &str = "WAYLAND_DISPLAY";
/// Set by podman/systemd-nspawn inside containers.
pub const CONTAINER: &str = "container";
/// Proxy for awsproxy's own outbound `http://` traffic (lowercase honoured too).
pub const HTTP_PROXY: &str = "HTTP_PROXY";
/// Proxy for awsproxy's own outbound `https://` traffic (lowercase honoured too).
pub const HTTPS_PROXY: &str = "HTTPS_PROXY";
/// Proxy for both, when the specific one is unset (lowercase honoured too).
pub const ALL_PROXY: &str = "ALL_PROXY";
/// Hosts reached directly, bypassing the proxies above (lowercase honoured too).
pub const NO_PROXY: &str = "NO_PROXY";

/// For tests and unusual layouts: a directory prefixed to every system path
/// `ca trust` reads or writes (`/usr/local/share/ca-certificates`,
/// `/etc/pki/ca-trust/source/anchors`, the system root bundles). When set,
/// the system store's refresh tool is not run unless `AWSPROXY_TRUST_UPDATE` names one.
pub const AWSPROXY_TRUST_ROOT: &str = "AWSPROXY_TRUST_ROOT";
/// For tests and unusual layouts: the command `ca trust` runs instead of
/// `update-ca-certificates`/`update-ca-trust` after changing the system store.
pub const AWSPROXY_TRUST_UPDATE: &str = "AWSPROXY_TRUST_UPDATE";
/// The JDK `ca trust` uses for `keytool` and `cacerts` (else `keytool` on PATH).
pub const JAVA_HOME: &str = "JAVA_HOME";
/// The user's login shell: `awsproxy env` writes for it unless `--shell` says otherwise.
pub const SHELL: &str = "SHELL";
/// Docker's configuration directory (`config.json`; else `~/.docker`): where
/// `setup docker` writes `credHelpers`, as Docker, skopeo and podman read it.
pub const DOCKER_CONFIG: &str = "DOCKER_CONFIG";
