//! The configuration file's schema, one struct per section. Field docs here are
//! the reference; the README's configuration section mirrors them.
//!
//! A section that is absent is `None`: under `serve`, a service runs when its
//! section is present (or, with no config file at all, from the embedded default).

use std::path::PathBuf;

use serde::Deserialize;

use super::values::{ByteSize, HumanDuration, ListenAddr, SecretValue};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub sso: Option<SsoSection>,
    pub creds: Option<CredsSection>,
    pub repos: Option<ReposSection>,
    pub proxy: Option<ProxySection>,
    pub cache: Option<CacheSection>,
    pub metrics: Option<MetricsSection>,
    pub log: Option<LogSection>,
    pub server: Option<ServerSection>,
    pub access: Option<AccessSection>,
    pub docker: Option<DockerSection>,
}

/// The TLS keys of one listener's section (`tls_cert`, `tls_key`,
/// `tls_ca_names`), as [`crate::tls::listener::ListenerTls`] reads them.
#[derive(Debug, Clone, Copy)]
pub struct TlsKeys<'a> {
    /// `proxy`, `repos`, `metrics` or `creds`, for errors.
    pub section: &'static str,
    pub cert: Option<&'a std::path::Path>,
    pub key: Option<&'a std::path::Path>,
    pub ca_names: &'a [String],
}

impl<'a> TlsKeys<'a> {
    pub fn new(
        section: &'static str,
        cert: &'a Option<PathBuf>,
        key: &'a Option<PathBuf>,
        ca_names: &'a [String],
    ) -> Self {
        Self {
            section,
            cert: cert.as_deref(),
            key: key.as_deref(),
            ca_names,
        }
    }

    /// Does the listener speak TLS?
    pub fn is_on(&self) -> bool {
        self.cert.is_some() || !self.ca_names.is_empty()
    }
}

/// The sections whose listener can speak TLS.
pub const TLS_LISTENERS: [&str; 4] = ["proxy", "repos", "metrics", "creds"];

/// The listeners `allow_clients` and `[[access.token]]` apply to.
pub const ACCESS_LISTENERS: [&str; 3] = ["proxy", "repos", "metrics"];

impl ConfigFile {
    /// The TLS keys of `section` (one of [`TLS_LISTENERS`]), if it is configured.
    pub fn tls_keys(&self, section: &'static str) -> Option<TlsKeys<'_>> {
        let keys = |(c, k, n)| Some(TlsKeys::new(section, c, k, n));
        match section {
            "proxy" => self
                .proxy
                .as_ref()
                .and_then(|s| keys((&s.tls_cert, &s.tls_key, &s.tls_ca_names))),
            "repos" => self
                .repos
                .as_ref()
                .and_then(|s| keys((&s.tls_cert, &s.tls_key, &s.tls_ca_names))),
            "metrics" => self
                .metrics
                .as_ref()
                .and_then(|s| keys((&s.tls_cert, &s.tls_key, &s.tls_ca_names))),
            "creds" => self
                .creds
                .as_ref()
                .and_then(|s| keys((&s.tls_cert, &s.tls_key, &s.tls_ca_names))),
            _ => None,
        }
    }

    /// `allow_clients` of `listener`'s section (one of [`ACCESS_LISTENERS`]).
    pub fn allow_clients(&self, listener: &str) -> &[String] {
        match listener {
            "proxy" => self.proxy.as_ref().map(|s| s.allow_clients.as_slice()),
            "repos" => self.repos.as_ref().map(|s| s.allow_clients.as_slice()),
            "metrics" => self.metrics.as_ref().map(|s| s.allow_clients.as_slice()),
            _ => None,
        }
        .unwrap_or_default()
    }
}

/// `[access]`: tokens for the listeners other machines may reach (the
/// forward proxy, the repository and status listeners; the credentials
/// endpoint has its own per-client tokens).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessSection {
    #[serde(default)]
    pub token: Vec<AccessToken>,
}

/// `[[access.token]]`: one user or machine of a shared awsproxy. Once a token
/// names a listener, every request to it needs one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessToken {
    /// Who it is (logs, `/metrics`; the user name of the proxy's Basic credentials).
    pub name: String,
    /// The token (`${file:…}` or `${env:…}` keeps it out of the file).
    pub token: Option<SecretValue>,
    /// Or its SHA-256, hex, so the configuration never holds the token.
    pub sha256: Option<String>,
    /// The listeners it opens: `proxy`, `repos`, `metrics` (default: all).
    pub listeners: Option<Vec<String>>,
    /// The repository mounts it may use, as `FORMAT/NAME` (default: all).
    pub mounts: Option<Vec<String>>,
}

/// `[sso]`: which sessions awsproxy keeps fresh, and what happens when a human is needed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoSection {
    /// Only these `[sso-session NAME]`s (or legacy start URLs) from `~/.aws/config`; all when absent.
    pub sessions: Option<Vec<String>>,
    /// Refresh a token when this much time is left (default 20m, before botocore's 15m).
    #[serde(default = "default_refresh_ahead")]
    pub refresh_ahead: HumanDuration,
    /// What to do when a refresh is impossible.
    #[serde(default)]
    pub login: LoginMode,
}

impl Default for SsoSection {
    fn default() -> Self {
        Self {
            sessions: None,
            refresh_ahead: default_refresh_ahead(),
            login: LoginMode::default(),
        }
    }
}

fn default_refresh_ahead() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(20 * 60))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginMode {
    /// Desktop notification (or a log line / terminal prompt) once per session and expiry.
    #[default]
    Notify,
    /// Start the login flow (at most one browser tab).
    Auto,
    /// Do nothing; `sso status` and `/healthz` still show it.
    Off,
}

/// `[creds]`: the ECS container-credentials endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredsSection {
    #[serde(default = "default_creds_listen")]
    pub listen: ListenAddr,
    /// Allow a listen address other than loopback (nothing else stops whoever
    /// can reach it; `doctor` warns).
    #[serde(default)]
    pub allow_non_loopback: bool,
    /// Names (or `*.suffix`, or IP addresses) this listener answers besides
    /// loopback, `localhost` and its own address: what a team deployment's
    /// clients call it. Other `Host` values get 421 (DNS rebinding).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// TLS with this certificate chain (PEM, leaf first)...
    pub tls_cert: Option<PathBuf>,
    /// ...and its private key (PEM). Re-read on SIGHUP.
    pub tls_key: Option<PathBuf>,
    /// Or TLS with a certificate from awsproxy's own CA for these names (such
    /// as `host.docker.internal`, for containers: SDKs take any host over https).
    #[serde(default)]
    pub tls_ca_names: Vec<String>,
    /// A directory of `*.toml` files, each one `[[client]]` table, watched for changes.
    pub clients_dir: Option<PathBuf>,
    /// Log requests to `/health` (off by default: orchestrators poll it often).
    #[serde(default)]
    pub log_health_checks: bool,
    /// Refresh credentials when this much time is left; never vend credentials closer
    /// to expiry than this when a refresh can be had (default 20m: SDKs refetch at 15m).
    #[serde(default = "default_creds_refresh_ahead")]
    pub refresh_ahead: HumanDuration,
    #[serde(default)]
    pub client: Vec<CredsClient>,
}

/// A file in `[creds] clients_dir`: `[[client]]` tables with the keys of `[[creds.client]]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredsClientsFile {
    #[serde(default)]
    pub client: Vec<CredsClient>,
}

fn default_creds_refresh_ahead() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(20 * 60))
}

impl Default for CredsSection {
    fn default() -> Self {
        Self {
            listen: default_creds_listen(),
            allow_non_loopback: false,
            allowed_hosts: Vec::new(),
            tls_cert: None,
            tls_key: None,
            tls_ca_names: Vec::new(),
            clients_dir: None,
            log_health_checks: false,
            refresh_ahead: default_creds_refresh_ahead(),
            client: Vec::new(),
        }
    }
}

fn default_creds_listen() -> ListenAddr {
    ListenAddr(([127, 0, 0, 1], 1338).into())
}

/// `[[creds.client]]`: one consumer of the ECS endpoint, with its own token and source.
/// The source is `profile`, or `access_key_id` + `secret_access_key`, or neither
/// (the default chain); `role_arn` assumes a role on top of it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredsClient {
    pub name: String,
    /// The bearer token the client sends verbatim as `Authorization`.
    pub token: Option<SecretValue>,
    /// A file holding the token (one trailing newline is ignored).
    pub token_file: Option<PathBuf>,
    pub profile: Option<String>,
    pub access_key_id: Option<SecretValue>,
    pub secret_access_key: Option<SecretValue>,
    pub session_token: Option<SecretValue>,
    pub region: Option<String>,
    pub role_arn: Option<String>,
    pub role_session_name: Option<String>,
    pub external_id: Option<SecretValue>,
    /// Assumed-role session length (default 1h).
    pub duration: Option<HumanDuration>,
}

/// `[repos]`: the repository listener shared by the mounts of every format.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReposSection {
    #[serde(default = "default_repos_listen")]
    pub listen: ListenAddr,
    /// Allow a listen address other than loopback (nothing else stops whoever
    /// can reach it; `doctor` warns).
    #[serde(default)]
    pub allow_non_loopback: bool,
    /// Client networks (`"10.0.0.0/8"`) or addresses this listener serves;
    /// others are closed at accept (loopback always may). Empty: any.
    #[serde(default)]
    pub allow_clients: Vec<String>,
    /// TLS with this certificate chain (PEM, leaf first)...
    pub tls_cert: Option<PathBuf>,
    /// ...and its private key (PEM). Re-read on SIGHUP.
    pub tls_key: Option<PathBuf>,
    /// Or TLS with a certificate from awsproxy's own CA for these names.
    #[serde(default)]
    pub tls_ca_names: Vec<String>,
    /// Names (or `*.suffix`, or IP addresses) this listener answers besides
    /// loopback, `localhost` and its own address: what a team deployment's
    /// clients call it. Other `Host` values get 421 (DNS rebinding).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    #[serde(default)]
    pub pypi: Vec<PypiMount>,
    #[serde(default)]
    pub maven: Vec<MavenMount>,
    #[serde(default)]
    pub npm: Vec<NpmMount>,
    #[serde(default)]
    pub cargo: Vec<CargoMount>,
}

impl Default for ReposSection {
    fn default() -> Self {
        Self {
            listen: default_repos_listen(),
            allow_non_loopback: false,
            allow_clients: Vec::new(),
            tls_cert: None,
            tls_key: None,
            tls_ca_names: Vec::new(),
            allowed_hosts: Vec::new(),
            pypi: Vec::new(),
            maven: Vec::new(),
            npm: Vec::new(),
            cargo: Vec::new(),
        }
    }
}

/// Where a mount of any format finds its CodeArtifact repository (what
/// `doctor` checks and `token get --repo` asks a token for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeArtifactMount {
    /// `pypi`, `npm`, `maven` or `cargo`.
    pub format: &'static str,
    pub name: String,
    pub domain: String,
    pub domain_owner: String,
    pub region: Option<String>,
    pub repository: String,
    pub profile: Option<String>,
}

/// `codeartifact()`: where a mount of a CodeArtifact-only format finds its repository.
macro_rules! codeartifact_mount {
    ($ty:ty, $format:literal) => {
        impl $ty {
            pub fn codeartifact(&self) -> CodeArtifactMount {
                CodeArtifactMount {
                    format: $format,
                    name: self.name.clone(),
                    domain: self.domain.clone(),
                    domain_owner: self.domain_owner.clone(),
                    region: self.region.clone(),
                    repository: self.repository.clone(),
                    profile: self.profile.clone(),
                }
            }
        }
    };
}
codeartifact_mount!(PypiMount, "pypi");

impl MavenMount {
    /// Its CodeArtifact repository (`None` for an S3 mount, or without all
    /// of `domain`, `domain_owner` and `repository`).
    pub fn codeartifact(&self) -> Option<CodeArtifactMount> {
        let (Some(domain), Some(owner), Some(repository)) =
            (&self.domain, &self.domain_owner, &self.repository)
        else {
            return None;
        };
        Some(CodeArtifactMount {
            format: "maven",
            name: self.name.clone(),
            domain: domain.clone(),
            domain_owner: owner.clone(),
            region: self.region.clone(),
            repository: repository.clone(),
            profile: self.profile.clone(),
        })
    }
}
codeartifact_mount!(NpmMount, "npm");
codeartifact_mount!(CargoMount, "cargo");

impl ReposSection {
    /// Every mount served from CodeArtifact, in configuration order per format.
    pub fn codeartifact_mounts(&self) -> Vec<CodeArtifactMount> {
        let mut all: Vec<CodeArtifactMount> = (self.pypi.iter().map(PypiMount::codeartifact))
            .chain(self.npm.iter().map(NpmMount::codeartifact))
            .chain(self.cargo.iter().map(CargoMount::codeartifact))
            .collect();
        all.extend(self.maven.iter().filter_map(MavenMount::codeartifact));
        all
    }
}

fn default_repos_listen() -> ListenAddr {
    ListenAddr(([127, 0, 0, 1], 9000).into())
}

/// `[[repos.pypi]]`: a CodeArtifact PyPI repository served at `/pypi/NAME/simple/`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PypiMount {
    pub name: String,
    pub domain: String,
    pub domain_owner: String,
    pub region: Option<String>,
    pub repository: String,
    pub profile: Option<String>,
    /// Use this upstream base URL instead of asking `GetRepositoryEndpoint`.
    pub endpoint: Option<String>,
    #[serde(default)]
    pub fallback: Fallback,
    /// Package-name patterns that may come from the public index (with `fallback = "missing"`).
    #[serde(default)]
    pub fallback_allow: Vec<String>,
    /// Package-name patterns that must never come from the public index.
    #[serde(default)]
    pub fallback_deny: Vec<String>,
    /// The public index used for fallback.
    pub fallback_index: Option<String>,
    /// Accept `POST` uploads (`twine upload`).
    #[serde(default)]
    pub allow_upload: bool,
    /// How long a project the repository answered 404 for is answered 404
    /// without asking again ("0s": always ask); an upload through the mount
    /// forgets them all.
    #[serde(default = "default_negative_ttl")]
    pub negative_ttl: HumanDuration,
    /// How long past its freshness an index page is served at once to a
    /// client asking for a revalidated copy (pip's `max-age=0`), while it is
    /// refreshed in the background ("0s": revalidated first).
    #[serde(default = "default_stale_while_revalidate")]
    pub stale_while_revalidate: HumanDuration,
}

fn default_negative_ttl() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(60))
}

fn default_stale_while_revalidate() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(300))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fallback {
    /// Never use the public index (the default).
    #[default]
    Off,
    /// Use the public index only for names the private repository does not have.
    Missing,
}

/// `[[repos.npm]]`: a CodeArtifact npm repository served at `/npm/NAME/`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NpmMount {
    pub name: String,
    pub domain: String,
    pub domain_owner: String,
    pub region: Option<String>,
    pub repository: String,
    pub profile: Option<String>,
    /// Use this upstream base URL instead of asking `GetRepositoryEndpoint`.
    pub endpoint: Option<String>,
    #[serde(default)]
    pub fallback: Fallback,
    /// Package-name patterns that may come from the public registry (with `fallback = "missing"`).
    #[serde(default)]
    pub fallback_allow: Vec<String>,
    /// Package-name patterns that must never come from the public registry.
    #[serde(default)]
    pub fallback_deny: Vec<String>,
    /// The public registry used for fallback (default `https://registry.npmjs.org/`).
    pub fallback_registry: Option<String>,
    /// Accept `npm publish` (`PUT /npm/NAME/PKG`).
    #[serde(default)]
    pub allow_publish: bool,
}

/// `[[repos.cargo]]`: a CodeArtifact Cargo repository served as a sparse
/// registry at `/cargo/NAME/`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CargoMount {
    pub name: String,
    pub domain: String,
    pub domain_owner: String,
    pub region: Option<String>,
    pub repository: String,
    pub profile: Option<String>,
    /// Use this upstream base URL instead of asking `GetRepositoryEndpoint`.
    pub endpoint: Option<String>,
    #[serde(default)]
    pub fallback: Fallback,
    /// Crate-name patterns that may come from the public registry (with `fallback = "missing"`).
    #[serde(default)]
    pub fallback_allow: Vec<String>,
    /// Crate-name patterns that must never come from the public registry.
    #[serde(default)]
    pub fallback_deny: Vec<String>,
    /// The public sparse index used for fallback (default `https://index.crates.io/`).
    pub fallback_index: Option<String>,
    /// Accept `cargo publish` (`PUT /cargo/NAME/api/v1/crates/new`).
    #[serde(default)]
    pub allow_publish: bool,
}

/// `[[repos.maven]]`: a Maven repository at `/maven/NAME/`, served from an S3
/// prefix (`bucket`) or from a CodeArtifact repository (`domain`,
/// `domain_owner`, `repository`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MavenMount {
    pub name: String,
    /// An S3 mount's bucket.
    pub bucket: Option<String>,
    /// A CodeArtifact mount's domain, with `domain_owner` and `repository`.
    pub domain: Option<String>,
    pub domain_owner: Option<String>,
    pub repository: Option<String>,
    #[serde(default)]
    pub prefix: String,
    pub region: Option<String>,
    pub profile: Option<String>,
    /// The S3 endpoint (S3 mounts), or the repository's base URL instead of
    /// asking `GetRepositoryEndpoint` (CodeArtifact mounts).
    pub endpoint: Option<String>,
    #[serde(default)]
    pub force_path_style: bool,
    /// Pull-through for artifacts missing from the bucket.
    pub upstream: Option<String>,
    /// Copy artifacts fetched from `upstream` into the bucket.
    #[serde(default)]
    pub write_back: bool,
    /// Accept `PUT` (for `mvn deploy`).
    #[serde(default)]
    pub allow_deploy: bool,
}

/// `[proxy]`: the caching forward proxy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxySection {
    #[serde(default = "default_proxy_listen")]
    pub listen: ListenAddr,
    /// Allow a listen address other than loopback (nothing else stops whoever
    /// can reach it; `doctor` warns).
    #[serde(default)]
    pub allow_non_loopback: bool,
    /// Client networks (`"10.0.0.0/8"`) or addresses this listener serves;
    /// others are closed at accept (loopback always may). Empty: any.
    #[serde(default)]
    pub allow_clients: Vec<String>,
    /// TLS with this certificate chain (PEM, leaf first)...
    pub tls_cert: Option<PathBuf>,
    /// ...and its private key (PEM). Re-read on SIGHUP.
    pub tls_key: Option<PathBuf>,
    /// Or TLS with a certificate from awsproxy's own CA for these names.
    #[serde(default)]
    pub tls_ca_names: Vec<String>,
    /// Intercept TLS with awsproxy's own CA so HTTPS responses can be cached.
    #[serde(default = "yes")]
    pub intercept: bool,
    /// Extra CA certificates (PEM) to trust for upstream TLS.
    #[serde(default)]
    pub upstream_ca: Vec<PathBuf>,
    /// Hosts (or `*.suffix` patterns) tunnelled untouched.
    #[serde(default)]
    pub passthrough_hosts: Vec<String>,
    /// Let clients choose a policy with the `X-Awsproxy-Policy` request header.
    #[serde(default)]
    pub allow_policy_header: bool,
    /// A proxy for awsproxy's own outbound traffic (otherwise `HTTPS_PROXY` and friends).
    pub upstream_proxy: Option<String>,
    /// Loopback, link-local and own-listener destinations proxy clients may
    /// reach anyway (`net::destination::Allow`); all are refused by default.
    #[serde(default)]
    pub allow_destinations: Vec<crate::net::destination::Allow>,
    /// Ban an upstream host after this many consecutive failures...
    #[serde(default = "default_ban_after")]
    pub ban_after_failures: u32,
    /// ...for this long.
    #[serde(default = "default_ban_for")]
    pub ban_for: HumanDuration,
    #[serde(default)]
    pub rule: Vec<ProxyRule>,
}

impl Default for ProxySection {
    fn default() -> Self {
        Self {
            listen: default_proxy_listen(),
            allow_non_loopback: false,
            allow_clients: Vec::new(),
            tls_cert: None,
            tls_key: None,
            tls_ca_names: Vec::new(),
            intercept: true,
            upstream_ca: Vec::new(),
            passthrough_hosts: Vec::new(),
            allow_policy_header: false,
            upstream_proxy: None,
            allow_destinations: Vec::new(),
            ban_after_failures: default_ban_after(),
            ban_for: default_ban_for(),
            rule: Vec::new(),
        }
    }
}

fn default_proxy_listen() -> ListenAddr {
    ListenAddr(([127, 0, 0, 1], 3128).into())
}

fn default_ban_after() -> u32 {
    5
}

fn default_ban_for() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(30))
}

fn yes() -> bool {
    true
}

/// `[[proxy.rule]]`: the first rule that matches a request picks its cache policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyRule {
    /// Host name, or `*.example.com` for any subdomain.
    pub host: Option<String>,
    /// Path glob (`*` within a segment, `**` across segments).
    pub path: Option<String>,
    /// Path regular expression (instead of `path`).
    pub path_regex: Option<String>,
    /// HTTP methods this rule applies to (default: any).
    #[serde(default)]
    pub method: Vec<String>,
    pub policy: CachePolicy,
    /// Query parameters left out of the cache key (e.g. presigned-URL signatures).
    #[serde(default)]
    pub ignore_query: Vec<String>,
    /// Store responses that carry `Set-Cookie` (the stored copy never carries it).
    #[serde(default)]
    pub store_set_cookie: bool,
}

/// How a matching request uses the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CachePolicy {
    /// Serve from the cache without revalidating; fetch only on a miss.
    #[serde(alias = "NoRefresh")]
    NoRefresh,
    /// RFC 9111 semantics (the default).
    #[default]
    #[serde(alias = "Standard")]
    Standard,
    /// Like standard, but serve stale content when the upstream fails.
    #[serde(alias = "StaleIfError")]
    StaleIfError,
    /// Always fetch; keep a copy to fall back on when the upstream fails.
    #[serde(alias = "AlwaysUpstream")]
    AlwaysUpstream,
    /// Pass through; never store.
    #[serde(alias = "NoCache")]
    NoCache,
}

/// `[cache]`: where cached artifacts live.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSection {
    #[serde(default)]
    pub store: StoreKind,
    /// Disk store directory (default: `$XDG_CACHE_HOME/awsproxy/http`).
    pub dir: Option<PathBuf>,
    /// Disk store size limit; least recently used entries go first (default 10GiB).
    pub max_size: Option<ByteSize>,
    /// Memory for small, hot entries in front of the store, per service (default 16MiB; "0" turns it off).
    pub memory_size: Option<ByteSize>,
    /// Signs every entry written and verifies every entry read (HMAC-SHA256):
    /// a team sharing an S3 bucket shares this key (at least 32 bytes), so a
    /// writer of the bucket without it cannot forge entries. Usually
    /// `"${file:~/.config/awsproxy/cache.key}"`.
    pub hmac_key: Option<SecretValue>,
    pub s3: Option<CacheS3>,
    /// With `store = "s3"`: a local disk tier of this size in front of the
    /// bucket (hits from local disk, misses fill both); unset: every hit is
    /// an S3 read.
    pub local_size: Option<ByteSize>,
    /// The local tier's directory (default: the disk store's, `dir`).
    pub local_dir: Option<PathBuf>,
    /// How long a local copy is served before S3 is asked (one `HeadObject`)
    /// whether another instance replaced or removed the object (default 30s;
    /// "0s": on every hit).
    pub local_recheck: Option<HumanDuration>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    #[default]
    Disk,
    S3,
}

/// `[cache.s3]`: a bucket shared by many awsproxy instances.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheS3 {
    pub bucket: String,
    #[serde(default)]
    pub prefix: String,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
    #[serde(default)]
    pub force_path_style: bool,
}

/// `[metrics]`: health, Prometheus metrics and the status page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    #[serde(default = "default_metrics_listen")]
    pub listen: ListenAddr,
    /// Allow a listen address other than loopback (nothing else stops whoever
    /// can reach it; `doctor` warns).
    #[serde(default)]
    pub allow_non_loopback: bool,
    /// Client networks (`"10.0.0.0/8"`) or addresses this listener serves;
    /// others are closed at accept (loopback always may). Empty: any.
    #[serde(default)]
    pub allow_clients: Vec<String>,
    /// TLS with this certificate chain (PEM, leaf first)...
    pub tls_cert: Option<PathBuf>,
    /// ...and its private key (PEM). Re-read on SIGHUP.
    pub tls_key: Option<PathBuf>,
    /// Or TLS with a certificate from awsproxy's own CA for these names.
    #[serde(default)]
    pub tls_ca_names: Vec<String>,
    /// Names (or `*.suffix`, or IP addresses) this listener answers besides
    /// loopback, `localhost` and its own address: what a team deployment's
    /// clients call it. Other `Host` values get 421 (DNS rebinding).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
}

impl Default for MetricsSection {
    fn default() -> Self {
        Self {
            listen: default_metrics_listen(),
            allow_non_loopback: false,
            allow_clients: Vec::new(),
            tls_cert: None,
            tls_key: None,
            tls_ca_names: Vec::new(),
            allowed_hosts: Vec::new(),
        }
    }
}

fn default_metrics_listen() -> ListenAddr {
    ListenAddr(([127, 0, 0, 1], 9464).into())
}

/// `[server]`: limits every listener applies to its clients. Each key has a
/// default (`crate::daemon::ServerLimits`); the section exists for busy hosts.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Connections each listener serves at once; more wait in the kernel's
    /// queue until one closes.
    pub max_connections: Option<usize>,
    /// Time a client has to send a request's headers (and, in an intercepted
    /// tunnel, to finish its TLS handshake); also how long an idle keep-alive
    /// connection stays open.
    pub header_timeout: Option<HumanDuration>,
    /// A passthrough `CONNECT` tunnel closes after this long with no bytes
    /// either way.
    pub tunnel_idle_timeout: Option<HumanDuration>,
    /// After SIGTERM, how long `serve` keeps accepting requests while
    /// `/readyz` already answers 503 (so a load balancer stops sending traffic
    /// before the listeners close); default 0s.
    pub drain: Option<HumanDuration>,
}

/// `[docker]`: the Docker credential helper (`docker-credential-awsproxy`) and
/// the registries `awsproxy setup docker` adds to Docker's `credHelpers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerSection {
    /// The AWS profile for registries that name none (else `AWS_PROFILE`,
    /// else keys in the environment or a `[default]` profile).
    pub profile: Option<String>,
    #[serde(default)]
    pub registry: Vec<DockerRegistry>,
}

impl DockerSection {
    /// The registry entry for `host`, if one is configured.
    pub fn registry(&self, host: &str) -> Option<&DockerRegistry> {
        self.registry.iter().find(|r| r.host == host)
    }
}

/// `[[docker.registry]]`: one registry the helper answers for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerRegistry {
    /// `ACCOUNT.dkr.ecr.REGION.amazonaws.com` (also `dkr.ecr-fips`,
    /// `.amazonaws.com.cn`), `public.ecr.aws`, or another name (with its port)
    /// under which an ECR registry is reached, such as a mirror, with `region`.
    pub host: String,
    /// The AWS profile whose credentials get this registry's token.
    pub profile: Option<String>,
    /// Only for a host that is not an ECR name: the region of the registry's
    /// account whose token it is given (the token goes to that host).
    pub region: Option<String>,
}

/// `[log]`: defaults for `--log-level` and `--log-format`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    pub level: Option<crate::logging::LogLevel>,
    pub format: Option<crate::logging::LogFormat>,
}
