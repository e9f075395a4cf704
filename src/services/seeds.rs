//! The repositories reached through the no-config URL form
//! (`/ACCOUNT/REGION/DOMAIN/REPO/...`), which any web page can make the user's
//! browser name, with any account in it.
//!
//! A seed becomes a mount once `GetRepositoryEndpoint` (a signed call with the
//! user's credentials) answers for it. Seeds that worked stay in an LRU of
//! [`WORKING`]. A seed whose call failed is dropped at once and the failure is
//! remembered for [`FAILED_FOR`] in a separate LRU of [`FAILED`]: repeats get the
//! remembered answer without an AWS call, and a flood of junk seeds churns only
//! that list, never the working one. New seeds are tried at most [`IN_FLIGHT`]
//! at a time, and at most [`BURST`] at once then [`PER_SECOND`] a second, so
//! junk cannot turn into a stream of AWS calls (which would eat the account's
//! CodeArtifact request quota); one that finds no slot is told to retry shortly.
//! A failure to get credentials at all (before any AWS call) is not remembered:
//! it says nothing about the seed, and `sso login` fixes it.
//!
//! The table is generic over what it holds, so its rules are tested without AWS;
//! every format's seed form uses it through [`SeedTable::mount`].

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::codeartifact::endpoint::Format;
use crate::codeartifact::repository::CaRepository;
use crate::services::repo_error::RepoError;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Working seeds kept (least recently used goes first).
pub const WORKING: usize = 64;
/// Failed seeds remembered.
pub const FAILED: usize = 4096;
/// How long a failure is remembered.
pub const FAILED_FOR: Duration = Duration::from_secs(5 * 60);
/// Seeds being tried at once.
pub const IN_FLIGHT: usize = 16;
/// New seeds that may be tried at once after a quiet spell.
pub const BURST: f64 = 32.0;
/// New seeds tried per second, sustained.
pub const PER_SECOND: f64 = 1.0;

/// How trying a seed went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `GetRepositoryEndpoint` answered: keep the mount.
    Works,
    /// It failed: remember that for [`FAILED_FOR`].
    Failed,
    /// No credentials to ask with (no AWS call made): nothing to remember.
    NoCredentials,
}

/// Why a seed gets no mount now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It failed recently; tried again after `retry_after`.
    Failed { retry_after: Duration },
    /// Too many new seeds lately; try again after `retry_after`.
    Busy { retry_after: Duration },
}

impl Refusal {
    /// The client's answer (a `503` with `Retry-After`).
    fn answer(self, format: Format) -> RepoError {
        match self {
            Self::Failed { retry_after } => RepoError::SeedFailed { retry_after },
            Self::Busy { retry_after } => RepoError::SeedBusy {
                retry_after,
                format,
            },
        }
    }
}

/// One seed being tried; everyone asking for it meanwhile waits for the one outcome.
#[derive(Debug)]
pub struct Probe<M> {
    pub mount: M,
    pub outcome: tokio::sync::OnceCell<Outcome>,
}

/// What [`SeedTable::lookup`] found.
#[derive(Debug)]
pub enum Step<M> {
    /// A working seed.
    Ready(M),
    /// No mount now.
    Refused(Refusal),
    /// Being tried: wait for its outcome.
    Wait(Arc<Probe<M>>),
    /// Unknown, and there is room to try it: build a mount and [`SeedTable::begin`].
    Try,
}

#[derive(Debug)]
pub struct SeedTable<M> {
    inner: Mutex<Inner<M>>,
}

#[derive(Debug)]
struct Inner<M> {
    working: lru::LruCache<String, M>,
    /// Seed -> when its failure is forgotten.
    failed: lru::LruCache<String, Instant>,
    trying: HashMap<String, Arc<Probe<M>>>,
    /// New-seed allowance (a token bucket).
    tokens: f64,
    refilled: Instant,
}

fn cap(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

impl<M: Clone> SeedTable<M> {
    pub fn new(now: Instant) -> Self {
        Self {
            inner: Mutex::new(Inner {
                working: lru::LruCache::new(cap(WORKING)),
                failed: lru::LruCache::new(cap(FAILED)),
                trying: HashMap::new(),
                tokens: BURST,
                refilled: now,
            }),
        }
    }

    pub fn lookup(&self, key: &str, now: Instant) -> Step<M> {
        let mut t = lock(&self.inner);
        if let Some(m) = t.working.get(key) {
            return Step::Ready(m.clone());
        }
        if let Some(until) = t.failed.get(key).copied() {
            if until > now {
                return Step::Refused(Refusal::Failed {
                    retry_after: until - now,
                });
            }
            t.failed.pop(key);
        }
        if let Some(p) = t.trying.get(key) {
            return Step::Wait(p.clone());
        }
        let elapsed = now.saturating_duration_since(t.refilled).as_secs_f64();
        t.tokens = (t.tokens + elapsed * PER_SECOND).min(BURST);
        t.refilled = now;
        if t.trying.len() >= IN_FLIGHT || t.tokens < 1.0 {
            let wait = ((1.0 - t.tokens).max(0.0) / PER_SECOND).ceil().max(1.0);
            return Step::Refused(Refusal::Busy {
                retry_after: Duration::from_secs_f64(wait),
            });
        }
        t.tokens -= 1.0;
        Step::Try
    }

    /// Registers `mount` as the one being tried for `key` (or returns the probe
    /// another caller registered first).
    pub fn begin(&self, key: &str, mount: M) -> Arc<Probe<M>> {
        lock(&self.inner)
            .trying
            .entry(key.to_owned())
            .or_insert_with(|| {
                Arc::new(Probe {
                    mount,
                    outcome: tokio::sync::OnceCell::new(),
                })
            })
            .clone()
    }

    /// Files the outcome of `probe` (once; later calls for it do nothing).
    pub fn finish(&self, key: &str, probe: &Arc<Probe<M>>, outcome: Outcome, now: Instant) {
        let mut t = lock(&self.inner);
        if !t.trying.get(key).is_some_and(|p| Arc::ptr_eq(p, probe)) {
            return;
        }
        t.trying.remove(key);
        match outcome {
            Outcome::Works => {
                t.working.put(key.to_owned(), probe.mount.clone());
            }
            Outcome::Failed => {
                t.failed.put(key.to_owned(), now + FAILED_FOR);
            }
            Outcome::NoCredentials => {}
        }
    }

    /// The working seeds, most recently used first.
    pub fn working(&self) -> Vec<M> {
        lock(&self.inner)
            .working
            .iter()
            .map(|(_, m)| m.clone())
            .collect()
    }
}

/// A mount the no-config form can make: what probing it needs.
pub trait SeedMount: Send + Sync {
    fn repository(&self) -> &CaRepository;
}

/// The four parts of a seed URL, `/{account}/{region}/{domain}/{repo}/`.
#[derive(Debug, Clone)]
pub struct SeedParts {
    pub account: String,
    pub region: String,
    pub domain: String,
    pub repo: String,
}

impl SeedParts {
    /// The table key and label suffix, `account/region/domain/repo`.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.account, self.region, self.domain, self.repo
        )
    }
}

impl<M: SeedMount + 'static> SeedTable<Arc<M>> {
    /// The mount of a seed URL: one that worked, or `make()`'s once
    /// `GetRepositoryEndpoint` answers for it (one probe per seed at a time,
    /// everyone else waits for its outcome).
    ///
    /// Refused: `404` for a malformed URL, else a `503` with `Retry-After`
    /// (`format` names the mounts to configure instead).
    pub async fn mount(
        &self,
        parts: &SeedParts,
        format: Format,
        make: impl AsyncFnOnce() -> M,
    ) -> Result<Arc<M>, RepoError> {
        if !crate::codeartifact::repository::seed_parts_valid(
            &parts.account,
            &parts.region,
            &parts.domain,
            &parts.repo,
        ) {
            return Err(RepoError::NotFound);
        }
        let key = parts.key();
        let probe = match self.lookup(&key, Instant::now()) {
            Step::Ready(m) => return Ok(m),
            Step::Refused(why) => return Err(why.answer(format)),
            Step::Wait(probe) => probe,
            Step::Try => self.begin(&key, Arc::new(make().await)),
        };
        let outcome = *probe
            .outcome
            .get_or_init(|| async {
                let repo = probe.mount.repository();
                if let Err(e) = repo.token.source().creds.get().await {
                    tracing::debug!(seed = %key, error = %crate::error::chain_text(&e), "no credentials for a no-config repository");
                    return Outcome::NoCredentials;
                }
                match repo.base().await {
                    Ok(_) => Outcome::Works,
                    Err(e) => {
                        tracing::warn!(seed = %key, format = repo.format.as_str(), error = %e, "GetRepositoryEndpoint failed for a no-config repository URL; not asking again for {}", humantime::format_duration(FAILED_FOR));
                        Outcome::Failed
                    }
                }
            })
            .await;
        self.finish(&key, &probe, outcome, Instant::now());
        match outcome {
            Outcome::Works => Ok(probe.mount.clone()),
            Outcome::Failed => Err(RepoError::SeedFailed {
                retry_after: FAILED_FOR,
            }),
            Outcome::NoCredentials => Err(RepoError::NoAwsCredentials),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tries `key` to the end with `outcome`; what `lookup` said first.
    fn try_seed(t: &SeedTable<u32>, key: &str, outcome: Outcome, now: Instant) -> bool {
        match t.lookup(key, now) {
            Step::Try => {
                let p = t.begin(key, 7);
                t.finish(key, &p, outcome, now);
                true
            }
            _ => false,
        }
    }

    #[test]
    fn failures_are_remembered_for_a_while_then_tried_again() {
        let now = Instant::now();
        let t = SeedTable::new(now);
        assert!(try_seed(&t, "junk", Outcome::Failed, now));
        let later = now + Duration::from_secs(60);
        match t.lookup("junk", later) {
            Step::Refused(Refusal::Failed { retry_after }) => {
                assert_eq!(retry_after, FAILED_FOR - Duration::from_secs(60));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(t.lookup("junk", now + FAILED_FOR), Step::Try));
    }

    #[test]
    fn junk_never_pushes_out_a_working_seed() {
        let mut now = Instant::now();
        let t = SeedTable::new(now);
        assert!(try_seed(&t, "real", Outcome::Works, now));
        for i in 0..(FAILED * 2) {
            // Slow enough for the allowance: every junk seed is tried.
            now += Duration::from_secs(1);
            assert!(try_seed(&t, &format!("junk{i}"), Outcome::Failed, now));
        }
        assert!(matches!(t.lookup("real", now), Step::Ready(7)));
        assert_eq!(t.working().len(), 1);
        // The failed list stayed bounded.
        assert_eq!(lock(&t.inner).failed.len(), FAILED);
    }

    #[test]
    fn working_seeds_are_an_lru() {
        let mut now = Instant::now();
        let t = SeedTable::new(now);
        for i in 0..=WORKING {
            now += Duration::from_secs(1);
            assert!(try_seed(&t, &format!("r{i}"), Outcome::Works, now));
            assert!(
                matches!(t.lookup("r0", now), Step::Ready(_)),
                "r0 kept in use"
            );
        }
        assert_eq!(t.working().len(), WORKING);
        assert!(
            matches!(t.lookup("r1", now), Step::Try),
            "r1 was least recent"
        );
    }

    #[test]
    fn a_flood_of_new_seeds_gets_a_burst_then_one_a_second() {
        let now = Instant::now();
        let t = SeedTable::new(now);
        let tried = (0..200)
            .filter(|i| try_seed(&t, &format!("j{i}"), Outcome::Failed, now))
            .count();
        assert_eq!(tried as f64, BURST);
        match t.lookup("next", now) {
            Step::Refused(Refusal::Busy { retry_after }) => {
                assert_eq!(retry_after, Duration::from_secs(1));
            }
            other => panic!("{other:?}"),
        }
        let later = now + Duration::from_secs(3);
        let tried = (200..300)
            .filter(|i| try_seed(&t, &format!("j{i}"), Outcome::Failed, later))
            .count();
        assert_eq!(tried, 3);
    }

    #[test]
    fn seeds_being_tried_are_shared_and_capped() {
        let now = Instant::now();
        let t = SeedTable::new(now);
        assert!(matches!(t.lookup("a", now), Step::Try));
        let p = t.begin("a", 1);
        let Step::Wait(q) = t.lookup("a", now) else {
            panic!("a second caller waits for the first");
        };
        assert!(Arc::ptr_eq(&p, &q));
        assert!(Arc::ptr_eq(&t.begin("a", 2), &p), "one probe per seed");
        for i in 1..IN_FLIGHT {
            assert!(matches!(t.lookup(&format!("b{i}"), now), Step::Try));
            t.begin(&format!("b{i}"), 0);
        }
        assert!(matches!(
            t.lookup("c", now),
            Step::Refused(Refusal::Busy { .. })
        ));
        t.finish("a", &p, Outcome::NoCredentials, now);
        t.finish("a", &p, Outcome::Works, now);
        assert!(
            matches!(t.lookup("a", now), Step::Try),
            "a credentials failure is not remembered, and only the first finish counts"
        );
    }
}
