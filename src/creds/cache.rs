//! [`CredentialCache`]: the current credentials of one source, in memory.
//!
//! - Fresh credentials (more than `refresh_ahead` left) are answered from memory.
//! - Otherwise one fetch runs (in its own task, so a caller that gives up does not
//!   cancel it) and every concurrent caller awaits that same fetch: 100 callers make
//!   one STS/SSO call.
//! - One background task per cache refreshes the credentials `refresh_ahead` before
//!   they expire, so callers normally never wait.
//! - After a failure, callers during the next [`RETRY_AFTER`] get the same error at
//!   once (a failing source answers fast and is not hammered); credentials that still
//!   have more than [`FALLBACK_FLOOR`] left are served meanwhile.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use tokio::sync::Notify;

use super::{CredsError, SourceSpec, remaining};
use crate::metrics::{CounterFamily, Metrics};

/// How long a failure is answered from memory before the source is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);
/// While a refresh fails, older credentials are still served if they have this much
/// left (botocore treats less than 10 minutes as "must refresh").
pub const FALLBACK_FLOOR: Duration = Duration::from_secs(11 * 60);
/// The background task never refreshes one source more often than this, even when
/// the source only gives credentials shorter than `refresh_ahead`.
const BACKGROUND_FLOOR: Duration = Duration::from_secs(30);
/// An upstream fetch that takes longer than this fails.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings of a [`CredentialCache`].
#[derive(Debug, Clone)]
pub struct CacheOptions {
    /// Refresh when less than this is left.
    pub refresh_ahead: Duration,
    /// Where refreshes and failures are counted, if anywhere.
    pub metrics: Option<SourceMetrics>,
    /// Log each failed fetch (a daemon's only report of it); a one-shot command
    /// turns this off because it prints the error itself.
    pub log_failures: bool,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            refresh_ahead: Duration::from_secs(20 * 60),
            metrics: None,
            log_failures: true,
        }
    }
}

/// Counters shared by every source of the process.
#[derive(Debug, Clone)]
pub struct SourceMetrics {
    refreshes: CounterFamily,
    failures: CounterFamily,
}

impl SourceMetrics {
    pub fn register(metrics: &Metrics) -> Self {
        Self {
            refreshes: metrics.counter_family(
                "awsproxy_creds_refreshes",
                "Credential fetches from a source (initial and refresh-ahead), successful or not",
            ),
            failures: metrics.counter_family(
                "awsproxy_creds_refresh_failures",
                "Credential fetches that failed, by source and error code",
            ),
        }
    }
}

type Flight = Shared<BoxFuture<'static, Result<Credentials, CredsError>>>;

/// The cached credentials of one source. Cheap to clone; clones share the cache.
#[derive(Clone, Debug)]
pub struct CredentialCache {
    inner: Arc<Inner>,
}

struct Inner {
    spec: SourceSpec,
    provider: SharedCredentialsProvider,
    opts: CacheOptions,
    state: Mutex<State>,
    wake: Arc<Notify>,
}

#[derive(Default)]
struct State {
    current: Option<Credentials>,
    last_error: Option<(Instant, CredsError)>,
    last_attempt: Option<Instant>,
    inflight: Option<Flight>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache")
            .field("source", &self.spec.name)
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Lets the background task see that the cache is gone.
        self.wake.notify_one();
    }
}

impl CredentialCache {
    /// Builds the source's provider and the cache. Must run inside a Tokio runtime
    /// (the refresh task is spawned on it).
    pub async fn new(spec: SourceSpec, opts: CacheOptions) -> Self {
        let provider = spec.build_provider().await;
        Self::with_provider(spec, provider, opts)
    }

    /// A cache over any provider (tests, or callers with their own source).
    pub fn with_provider(
        spec: SourceSpec,
        provider: SharedCredentialsProvider,
        opts: CacheOptions,
    ) -> Self {
        let wake = Arc::new(Notify::new());
        let inner = Arc::new(Inner {
            spec,
            provider,
            opts,
            state: Mutex::new(State::default()),
            wake: wake.clone(),
        });
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(refresher(Arc::downgrade(&inner), wake));
        }
        Self { inner }
    }

    /// This cache as an SDK credentials provider, for [`crate::aws::SdkOptions`].
    pub fn provider(&self) -> SharedCredentialsProvider {
        SharedCredentialsProvider::new(self.clone())
    }

    pub fn spec(&self) -> &SourceSpec {
        &self.inner.spec
    }

    /// Time left on the cached credentials (`None` when there are none, or they
    /// never expire).
    pub fn expires_in(&self) -> Option<Duration> {
        let st = self.inner.lock();
        let expiry = st.current.as_ref()?.expiry();
        remaining(expiry, SystemTime::now())
    }

    /// The cached credentials if they are fresh (what [`Self::get`] would
    /// answer at once), without starting a fetch.
    pub fn fresh(&self) -> Option<Credentials> {
        let st = self.inner.lock();
        st.current
            .as_ref()
            .filter(|c| self.inner.is_fresh(c, SystemTime::now()))
            .cloned()
    }

    /// Current credentials: from memory when fresh, else from the one fetch in flight.
    pub async fn get(&self) -> Result<Credentials, CredsError> {
        let flight = {
            let mut st = self.inner.lock();
            let now = SystemTime::now();
            if let Some(c) = &st.current
                && self.inner.is_fresh(c, now)
            {
                return Ok(c.clone());
            }
            if let Some(flight) = &st.inflight {
                flight.clone()
            } else if let Some((at, err)) = &st.last_error
                && at.elapsed() < RETRY_AFTER
            {
                return fallback(&st, now).ok_or_else(|| err.clone());
            } else {
                start_fetch(&self.inner, &mut st)
            }
        };
        match flight.await {
            Ok(c) => Ok(c),
            Err(e) => fallback(&self.inner.lock(), SystemTime::now()).ok_or(e),
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_fresh(&self, c: &Credentials, now: SystemTime) -> bool {
        remaining(c.expiry(), now).is_none_or(|left| left > self.opts.refresh_ahead)
    }

    /// When the background task should refresh next; `None` while there is nothing
    /// to refresh (no credentials yet, or keys that never expire).
    fn next_refresh_in(&self) -> Option<Duration> {
        let st = self.lock();
        let expiry = st.current.as_ref()?.expiry()?;
        let due_at = expiry
            .checked_sub(self.opts.refresh_ahead)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut wait = due_at
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        if let Some(last) = st.last_attempt {
            wait = wait.max((last + BACKGROUND_FLOOR).saturating_duration_since(Instant::now()));
        }
        Some(wait)
    }
}

/// Older credentials that are still good enough to serve while a refresh fails.
fn fallback(st: &State, now: SystemTime) -> Option<Credentials> {
    st.current
        .as_ref()
        .filter(|c| remaining(c.expiry(), now).is_none_or(|left| left > FALLBACK_FLOOR))
        .cloned()
}

/// Starts the one fetch of this source; the caller holds the state lock, so no
/// second fetch can start and the task cannot finish before `inflight` is set.
fn start_fetch(inner: &Arc<Inner>, st: &mut State) -> Flight {
    let task_inner = inner.clone();
    let handle = tokio::spawn(async move {
        let inner = task_inner;
        let result =
            match tokio::time::timeout(FETCH_TIMEOUT, inner.provider.provide_credentials()).await {
                Ok(Ok(c)) => Ok(c),
                Ok(Err(e)) => Err(inner.spec.classify(&e)),
                Err(_) => Err(CredsError::Timeout {
                    name: inner.spec.name.clone(),
                    after: FETCH_TIMEOUT,
                }),
            };
        record(&inner, &result);
        result
    });
    let name = inner.spec.name.clone();
    let flight = async move {
        handle.await.unwrap_or_else(|_| {
            Err(CredsError::Unavailable {
                name,
                detail: "the refresh task stopped unexpectedly".to_owned(),
            })
        })
    }
    .boxed()
    .shared();
    st.inflight = Some(flight.clone());
    flight
}

fn record(inner: &Inner, result: &Result<Credentials, CredsError>) {
    let source = vec![("source", inner.spec.name.clone())];
    if let Some(m) = &inner.opts.metrics {
        m.refreshes.get_or_create(&source).inc();
    }
    let mut st = inner.lock();
    st.inflight = None;
    st.last_attempt = Some(Instant::now());
    match result {
        Ok(c) => {
            let left = remaining(c.expiry(), SystemTime::now());
            tracing::info!(source = %inner.spec.name, expires_in_s = left.map(|d| d.as_secs()), "fetched credentials");
            if left.is_some_and(|l| l <= inner.opts.refresh_ahead) {
                tracing::warn!(source = %inner.spec.name, "the source gives credentials shorter than `refresh_ahead`; they are refreshed on every use");
            }
            st.current = Some(c.clone());
            st.last_error = None;
        }
        Err(e) => {
            if inner.opts.log_failures {
                tracing::warn!(source = %inner.spec.name, code = e.code(), "credential fetch failed: {e}");
            }
            if let Some(m) = &inner.opts.metrics {
                let mut labels = source;
                labels.push(("code", e.code().to_owned()));
                m.failures.get_or_create(&labels).inc();
            }
            st.last_error = Some((Instant::now(), e.clone()));
        }
    }
    drop(st);
    inner.wake.notify_one();
}

/// The one background task of a cache: sleeps until the credentials are due, then
/// refreshes them through the same single flight as callers. Ends with the cache.
async fn refresher(weak: Weak<Inner>, wake: Arc<Notify>) {
    loop {
        let wait = match weak.upgrade() {
            Some(inner) => inner.next_refresh_in(),
            None => return,
        };
        match wait {
            Some(wait) => {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = wake.notified() => continue,
                }
            }
            None => {
                wake.notified().await;
                continue;
            }
        }
        let Some(inner) = weak.upgrade() else { return };
        let flight = {
            let mut st = inner.lock();
            match &st.inflight {
                Some(f) => f.clone(),
                None => start_fetch(&inner, &mut st),
            }
        };
        drop(inner);
        let _ = flight.await;
    }
}

impl ProvideCredentials for CredentialCache {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            self.get().await.map_err(CredentialsError::provider_error)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A provider that counts calls and issues credentials living `lifetime`.
    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicU32>,
        lifetime: Duration,
        fail: bool,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            let lifetime = self.lifetime;
            let fail = self.fail;
            provider::future::ProvideCredentials::new(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if fail {
                    return Err(CredentialsError::provider_error("connection refused"));
                }
                Ok(Credentials::new(
                    format!("AKID{n}"),
                    "secret",
                    Some("token".into()),
                    Some(SystemTime::now() + lifetime),
                    "test",
                ))
            })
        }
    }

    fn cache(lifetime: Duration, fail: bool) -> (CredentialCache, Arc<AtomicU32>) {
        let calls = Arc::new(AtomicU32::new(0));
        let provider = SharedCredentialsProvider::new(Counting {
            calls: calls.clone(),
            lifetime,
            fail,
        });
        let c = CredentialCache::with_provider(
            SourceSpec::profile(Some("t")),
            provider,
            CacheOptions::default(),
        );
        (c, calls)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_fetch() {
        let (c, calls) = cache(Duration::from_secs(3600), false);
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.get().await.map(|c| c.access_key_id().to_owned()) })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "AKID0");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(c.get().await.unwrap().access_key_id(), "AKID0");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn credentials_inside_the_refresh_window_are_refetched() {
        let (c, calls) = cache(Duration::from_secs(10 * 60), false);
        assert_eq!(c.get().await.unwrap().access_key_id(), "AKID0");
        assert_eq!(c.get().await.unwrap().access_key_id(), "AKID1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn failures_are_shared_for_a_moment() {
        let (c, calls) = cache(Duration::from_secs(3600), true);
        let e = c.get().await.unwrap_err();
        assert_eq!(e.code(), "source_unavailable");
        assert_eq!(c.get().await.unwrap_err().code(), "source_unavailable");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
