//! The HTTP cache core shared by the forward proxy and the PyPI and Maven
//! reverse proxies: pure RFC 9111 policy ([`policy`]), cache keys ([`key`]),
//! `[[proxy.rule]]` matching ([`rules`]), storage behind the [`Store`] trait
//! (disk or S3), and [`HttpCache`], which puts them together with request
//! coalescing, streaming tee-on-miss and upstream bans.
//!
//! Callers own the network: they implement [`Fetch`] (adding credentials,
//! TLS, proxies) and hand every `GET`/`HEAD` to [`HttpCache::handle`]. Add
//! upstream credentials inside `Fetch`, not to the request given to `handle`:
//! a request carrying `Authorization` is only shared when the response says
//! `public` (RFC 9111 3.5). [`into_body`] boxes any `http_body::Body` (hyper's
//! `Incoming`, axum's `Body`) into the cache's [`Body`].
//!
//! ```ignore
//! use std::sync::Arc;
//! use awsproxy::cache::{Body, Fetch, Fetched, FetchError, HttpCache, CacheSettings, BoxFuture};
//!
//! #[derive(Debug)]
//! struct Upstream { client: MyClient }
//! impl Fetch for Upstream {
//!     fn fetch(&self, req: http::Request<()>) -> BoxFuture<'static, Result<Fetched, FetchError>> {
//!         let client = self.client.clone();
//!         Box::pin(async move {
//!             let resp = client.request(req).await.map_err(|e| FetchError::new("cannot reach upstream", e))?;
//!             Ok(resp.map(awsproxy::cache::into_body).into())
//!         })
//!     }
//! }
//!
//! let section = config.file.cache.clone().unwrap_or_default(); // `serve --cache-dir` sets section.dir
//! let store = awsproxy::cache::store::open(&section, &awsproxy::cache::default_dir(&paths)).await?;
//! let cache = HttpCache::new(store, CacheSettings::from_proxy(&proxy_section)?);
//! // The request URI must be absolute (`https://host/path?query`).
//! let opts = cache.options_for(&req);           // policy and key rules from [[proxy.rule]]
//! let resp = cache.handle(req, opts, Arc::new(Upstream { client })).await;
//! // `resp` carries `Cache-Status` and (for stored responses) `Age`; its body streams.
//! ```
//!
//! Results and errors cross this boundary as types: a `Fetch` answers
//! [`Fetched::Upstream`] (the cache decides) or [`Fetched::Final`] (the
//! service's own answer: never stored, no ban bookkeeping), or a
//! [`FetchError`] whose kind says whether it counts toward a ban and whose
//! [`FetchError::answer`] is what the client is told. Every response of
//! `handle` carries its [`CacheStatus`] in its extensions
//! ([`CacheStatus::of`]); read that, never the `Cache-Status` text.
//!
//! Reverse proxies build [`LookupOptions`] themselves, e.g. with
//! `verify: Some(Verifier::Sha256(hex))` from a PyPI `#sha256=` link (a mismatch
//! fails the client's body and stores nothing) and `immutable: true` for
//! content-addressed files.

mod bans;
mod engine;
mod fill;
pub mod hot;
pub mod key;
pub mod policy;
pub mod range;
mod respond;
pub mod rules;
pub mod stats;
pub mod store;
pub(crate) mod tee;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;

pub use engine::HttpCache;
pub use key::CacheKey;
pub use policy::{CacheStatus, Fwd, NoStoreReason, Outcome};
pub use rules::Rules;
pub use store::{EntryMeta, Store, StoreError};

pub use crate::config::CachePolicy;

/// A boxed error for streaming bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A streaming response body (convert with `BodyExt::boxed_unsync`).
pub type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;
/// A boxed, `Send` future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Boxes any body with `Bytes` data into a cache [`Body`].
pub fn into_body<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    use http_body_util::BodyExt;
    body.map_err(Into::into).boxed_unsync()
}

/// The request header that picks a policy when `[proxy] allow_policy_header` is set.
pub const POLICY_HEADER: &str = "x-awsproxy-policy";

/// The `default_max_age` of files that never change once published (a
/// release, a wheel's metadata): a year, the longest RFC 9111 advises.
pub const IMMUTABLE_MAX_AGE: Duration = Duration::from_secs(365 * 24 * 3600);

/// How the cache reaches the upstream. Implemented by each service.
pub trait Fetch: Send + Sync + std::fmt::Debug {
    /// Sends `req` (absolute URI, the client's headers plus any conditional
    /// headers the cache added) upstream.
    fn fetch(&self, req: http::Request<()>) -> BoxFuture<'static, Result<Fetched, FetchError>>;
}

/// What a [`Fetch`] got.
#[derive(Debug)]
pub enum Fetched {
    /// The upstream's response: stored, revalidated or replaced by a stale
    /// entry as the policy says; it proves the upstream is up (bans).
    Upstream(http::Response<Body>),
    /// The service's own final answer (a refused destination, a failure it
    /// has already turned into the client's status): served as it is, never
    /// stored, never replaced by a stale entry, and not counted for or against
    /// an upstream ban.
    Final(http::Response<Body>),
}

impl From<http::Response<Body>> for Fetched {
    fn from(resp: http::Response<Body>) -> Self {
        Fetched::Upstream(resp)
    }
}

/// No answer from the upstream: why ([`FetchErrorKind`]), what the client is
/// told ([`FetchError::answer`]) and whether it counts toward a ban.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    kind: FetchErrorKind,
    message: String,
    /// The client's answer, where the service has its own (the forward
    /// proxy's, with `Proxy-Status`); else [`FetchError::answer`]'s default.
    answer: Option<crate::net::ErrorAnswer>,
    #[source]
    source: Option<BoxError>,
}

/// Why a [`Fetch`] got no answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FetchErrorKind {
    /// The upstream could not be reached (connect error, TLS, a broken response).
    #[default]
    Unreachable,
    /// The upstream sent no response in time.
    Timeout,
    /// The upstream's host is banned ([`CacheSettings::ban_after_failures`]): nothing was sent.
    Banned,
    /// The service could not make the request (no token, a bad URL): the
    /// upstream was never asked.
    Service,
}

impl FetchErrorKind {
    /// Does it say the upstream is failing (and count toward a ban)?
    pub fn counts_as_upstream_failure(self) -> bool {
        matches!(self, FetchErrorKind::Unreachable | FetchErrorKind::Timeout)
    }
}

impl FetchError {
    /// An unreachable upstream, with the error behind it.
    pub fn new(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            kind: FetchErrorKind::Unreachable,
            message: message.into(),
            answer: None,
            source: Some(source.into()),
        }
    }

    /// An unreachable upstream.
    pub fn msg(message: impl Into<String>) -> Self {
        Self {
            kind: FetchErrorKind::Unreachable,
            message: message.into(),
            answer: None,
            source: None,
        }
    }

    pub fn with_kind(mut self, kind: FetchErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The service's own answer for the client; the message stays for the log.
    pub fn with_answer(mut self, answer: crate::net::ErrorAnswer) -> Self {
        self.answer = Some(answer);
        self
    }

    pub fn kind(&self) -> FetchErrorKind {
        self.kind
    }

    /// What the client is told: the service's own answer, else a `502`
    /// `awsproxy: upstream request failed: MESSAGE`.
    pub fn answer(&self) -> crate::net::ErrorAnswer {
        self.answer
            .clone()
            .unwrap_or_else(|| crate::net::ErrorAnswer {
                status: http::StatusCode::BAD_GATEWAY,
                text: format!("awsproxy: upstream request failed: {}\n", self.message),
                proxy_status: None,
            })
    }
}

/// The forward proxy's failures: the client gets the same answer (status,
/// hint, `Proxy-Status`) whether the request went through the cache or not.
impl From<crate::net::FetchError> for FetchError {
    fn from(e: crate::net::FetchError) -> Self {
        let kind = match &e {
            crate::net::FetchError::Timeout { .. } => FetchErrorKind::Timeout,
            crate::net::FetchError::Prohibited(_) => FetchErrorKind::Service,
            _ => FetchErrorKind::Unreachable,
        };
        Self {
            kind,
            message: format!("{e} (hint: {})", e.hint()),
            answer: Some(e.answer()),
            source: Some(e.into()),
        }
    }
}

/// A check of a complete body before it is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verifier {
    /// Expected SHA-256, hex (case-insensitive).
    Sha256(String),
    /// Expected SHA-1, hex (case-insensitive): Maven `.sha1` sidecars, where a
    /// repository has no `.sha256`. Checked on fills only (entries record SHA-256).
    Sha1(String),
    /// Expected SHA-512, hex (case-insensitive): npm's `dist.integrity`.
    /// Checked on fills only, like `Sha1`.
    Sha512(String),
}

impl Verifier {
    /// Is a stored entry with this SHA-256 the expected body? Entries record
    /// SHA-256 only, so a `Sha1` expectation (checked when the entry was filled)
    /// accepts any entry.
    pub fn accepts(&self, entry_sha256: &str) -> bool {
        match self {
            Verifier::Sha256(want) => want.eq_ignore_ascii_case(entry_sha256),
            Verifier::Sha1(_) | Verifier::Sha512(_) => true,
        }
    }
}

/// Per-request choices: namespace, policy, key normalisation, verification.
#[derive(Debug, Clone, Default)]
pub struct LookupOptions {
    /// Whose entries to use ([`key::Namespace`]): `forward` unless a
    /// repository mount sets its own (every service that adds credentials in
    /// its `Fetch` must).
    pub namespace: key::Namespace,
    pub policy: CachePolicy,
    /// Query parameters left out of the key (on top of the presigned-URL ones).
    pub ignore_query: Vec<String>,
    pub verify: Option<Verifier>,
    /// Never revalidate a stored entry (content-addressed files).
    pub immutable: bool,
    /// Store responses that carry `Set-Cookie` (a `[[proxy.rule]]` opt-in);
    /// the stored copy never carries it. Off: such responses are not stored.
    pub store_set_cookie: bool,
    /// Who authenticates the upstream request, and so who decides whether a
    /// signed request may have a stored entry.
    pub upstream_auth: UpstreamAuth,
    /// How long a successful upstream response that carries no
    /// `Cache-Control` is fresh (`max-age`); `None`: RFC 9111 heuristics.
    pub default_max_age: Option<Duration>,
    /// How long past its freshness such a response may still be served at
    /// once while it is refreshed in the background (`stale-while-revalidate`,
    /// RFC 5861); `None`: revalidated before it is served.
    pub default_stale_while_revalidate: Option<Duration>,
    /// The request header an upstream response varies on when it names no
    /// `Vary` itself (PyPI pages follow `Accept` without saying so).
    pub default_vary: Option<http::HeaderName>,
}

impl LookupOptions {
    /// Applies [`Self::default_max_age`], [`Self::default_stale_while_revalidate`]
    /// and [`Self::default_vary`] to an upstream response, before it is
    /// judged and stored.
    pub(crate) fn apply_defaults(&self, resp: &mut http::Response<Body>) {
        use http::header::{CACHE_CONTROL, VARY};
        if let Some(v) = self.default_cache_control()
            && resp.status().is_success()
            && !resp.headers().contains_key(CACHE_CONTROL)
        {
            resp.headers_mut().insert(CACHE_CONTROL, v);
        }
        if let Some(name) = &self.default_vary
            && !resp.headers().contains_key(VARY)
            && let Ok(v) = http::HeaderValue::from_str(name.as_str())
        {
            resp.headers_mut().insert(VARY, v);
        }
    }

    /// The `Cache-Control` the defaults give a response that has none.
    fn default_cache_control(&self) -> Option<http::HeaderValue> {
        let directives: Vec<String> = [
            self.default_max_age
                .map(|d| format!("max-age={}", d.as_secs())),
            self.default_stale_while_revalidate
                .filter(|d| !d.is_zero())
                .map(|d| format!("stale-while-revalidate={}", d.as_secs())),
        ]
        .into_iter()
        .flatten()
        .collect();
        if directives.is_empty() {
            return None;
        }
        http::HeaderValue::from_str(&directives.join(", ")).ok()
    }
}

/// Whose credentials the upstream sees. Where they are the client's own (a
/// presigned URL, an `Authorization` header), only the origin can say whether
/// a stored entry may go to another request, so such entries are revalidated
/// with each request's own credentials. Where the service drops the client's
/// credentials and signs with its own (a repository mount), the client's are
/// never checked upstream and the mount's namespace already keeps its entries
/// apart: revalidating would cost a round trip and prove nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UpstreamAuth {
    /// The client's credentials reach the origin (the forward proxy).
    #[default]
    Client,
    /// The service replaces them with its own (PyPI and Maven mounts).
    Service,
}

/// Settings of an [`HttpCache`], resolved from `[proxy]`.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub rules: Rules,
    pub allow_policy_header: bool,
    /// Ban a host after this many consecutive failures (0: never)...
    pub ban_after_failures: u32,
    /// ...for this long.
    pub ban_for: Duration,
    /// A fill whose upstream body sends nothing for this long fails (and
    /// releases requests waiting for it).
    pub idle_timeout: Duration,
    /// Bytes of small entries held in memory in front of the store ([`hot`]);
    /// 0 turns the memory tier off.
    pub memory_size: u64,
}

/// Default [`CacheSettings::idle_timeout`].
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

impl Default for CacheSettings {
    fn default() -> Self {
        Self::from_proxy(&crate::config::ProxySection::default()).unwrap_or(Self {
            rules: Rules::default(),
            allow_policy_header: false,
            ban_after_failures: 5,
            ban_for: Duration::from_secs(30),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            memory_size: hot::DEFAULT_MEMORY_SIZE,
        })
    }
}

impl CacheSettings {
    /// Compiles `[[proxy.rule]]` (validated at config load, so this only fails
    /// for sections that bypassed validation).
    pub fn from_proxy(section: &crate::config::ProxySection) -> Result<Self, String> {
        Ok(Self {
            rules: Rules::compile(section)?,
            allow_policy_header: section.allow_policy_header,
            ban_after_failures: section.ban_after_failures,
            ban_for: section.ban_for.0,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            memory_size: hot::DEFAULT_MEMORY_SIZE,
        })
    }
}

/// The disk store's directory when `[cache] dir` is not set:
/// `$XDG_CACHE_HOME/awsproxy/http`.
pub fn default_dir(paths: &crate::paths::Paths) -> std::path::PathBuf {
    paths.cache_dir.join("http")
}

/// Parses an `X-Awsproxy-Policy` value (`no-refresh`, `standard`, ...).
pub fn parse_policy(value: &str) -> Option<CachePolicy> {
    Some(match value.trim().to_ascii_lowercase().as_str() {
        "no-refresh" => CachePolicy::NoRefresh,
        "standard" => CachePolicy::Standard,
        "stale-if-error" => CachePolicy::StaleIfError,
        "always-upstream" => CachePolicy::AlwaysUpstream,
        "no-cache" => CachePolicy::NoCache,
        _ => return None,
    })
}
