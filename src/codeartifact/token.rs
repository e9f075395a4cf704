//! CodeArtifact tokens for repository mounts (any format: a token is per
//! domain, owner, region and identity), kept in memory: one fetch at
//! a time (callers wait for the one in flight), refreshed once less than
//! [`REUSE_MARGIN`] (15 minutes) is left (half its life for shorter tokens), by a
//! background task as well as on demand, and replaced at once when the upstream
//! rejects the current one. Credentials come from a [`CredentialCache`], so a
//! fresh `sso login` is used without a restart.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use time::OffsetDateTime;

use super::{REUSE_MARGIN, Token, TokenKey};
use crate::aws::{self, SdkOptions};
use crate::creds::CredentialCache;
use crate::secret::Secret;

/// Where a provider's tokens come from.
#[derive(Debug, Clone)]
pub struct TokenSource {
    pub domain: String,
    pub owner: String,
    pub region: Option<String>,
    /// CodeArtifact endpoint override (tests); normally the SDK's own resolution.
    pub endpoint: Option<String>,
    pub creds: CredentialCache,
}

impl TokenSource {
    /// An SDK config signing with the mount's credentials.
    pub async fn sdk_config(&self) -> aws_types::SdkConfig {
        aws::sdk_config(&SdkOptions {
            region: self.region.clone(),
            endpoint: self.endpoint.clone(),
            credentials: Some(self.creds.provider()),
            ..SdkOptions::default()
        })
        .await
    }
}

/// The token providers of a process, one per (domain, owner, region,
/// identity, endpoint): mounts of any format that reach one domain with one
/// identity share its token.
#[derive(Debug, Default)]
pub struct Tokens {
    providers: Mutex<HashMap<SourceKey, Weak<TokenProvider>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SourceKey {
    domain: String,
    owner: String,
    region: Option<String>,
    endpoint: Option<String>,
    identity: String,
}

impl Tokens {
    /// The provider for `source`'s domain and identity (a new one when no
    /// live mount holds it).
    pub fn provider(&self, source: TokenSource) -> Arc<TokenProvider> {
        let key = SourceKey {
            domain: source.domain.clone(),
            owner: source.owner.clone(),
            region: source.region.clone(),
            endpoint: source.endpoint.clone(),
            identity: source.creds.spec().name.clone(),
        };
        let mut providers = lock(&self.providers);
        if let Some(live) = providers.get(&key).and_then(Weak::upgrade) {
            return live;
        }
        providers.retain(|_, p| p.strong_count() > 0);
        let provider = Arc::new(TokenProvider::new(source));
        providers.insert(key, Arc::downgrade(&provider));
        provider
    }
}

/// What the health probe and status page show.
#[derive(Debug, Clone, Default)]
pub struct TokenState {
    pub expiration: Option<OffsetDateTime>,
    /// Why the last attempt failed (cleared by a success).
    pub error: Option<String>,
}

/// The token of one (domain, owner, region, identity).
#[derive(Debug)]
pub struct TokenProvider {
    source: TokenSource,
    /// The token and when it was fetched.
    current: tokio::sync::Mutex<Option<(Token, OffsetDateTime)>>,
    state: Mutex<TokenState>,
    refreshes: AtomicU64,
}

impl TokenProvider {
    pub fn new(source: TokenSource) -> Self {
        Self {
            source,
            current: tokio::sync::Mutex::new(None),
            state: Mutex::new(TokenState::default()),
            refreshes: AtomicU64::new(0),
        }
    }

    /// A token with more than [`REUSE_MARGIN`] left, fetching one if needed.
    pub async fn get(&self) -> anyhow::Result<Secret> {
        let mut current = self.current.lock().await;
        if let Some((t, at)) = current.as_ref()
            && usable(t, *at, OffsetDateTime::now_utc())
        {
            return Ok(t.token.clone());
        }
        self.refresh_locked(&mut current).await
    }

    /// The upstream refused `rejected`: fetch a new token unless another caller
    /// already replaced it.
    pub async fn replace(&self, rejected: &Secret) -> anyhow::Result<Secret> {
        let mut current = self.current.lock().await;
        if let Some((t, at)) = current.as_ref()
            && t.token.expose() != rejected.expose()
            && usable(t, *at, OffsetDateTime::now_utc())
        {
            return Ok(t.token.clone());
        }
        self.refresh_locked(&mut current).await
    }

    /// Fetches now when the token is missing or inside the margin (the background
    /// refresher's step). Returns when the next check is due.
    pub async fn refresh_ahead(&self) -> std::time::Duration {
        let retry = std::time::Duration::from_secs(5);
        match self.get().await {
            Ok(_) => {
                let left = self
                    .current
                    .lock()
                    .await
                    .as_ref()
                    .map(|(t, at)| refresh_at(t, *at) - OffsetDateTime::now_utc());
                left.and_then(|d| std::time::Duration::try_from(d).ok())
                    .map_or(retry, |d| d.max(std::time::Duration::from_secs(1)))
            }
            Err(_) => retry,
        }
    }

    async fn refresh_locked(
        &self,
        current: &mut Option<(Token, OffsetDateTime)>,
    ) -> anyhow::Result<Secret> {
        let fetched_at = OffsetDateTime::now_utc();
        match self.fetch().await {
            Ok(token) => {
                self.refreshes.fetch_add(1, Ordering::Relaxed);
                let secret = token.token.clone();
                let mut st = lock(&self.state);
                st.expiration = Some(token.expiration);
                st.error = None;
                drop(st);
                *current = Some((token, fetched_at));
                Ok(secret)
            }
            Err(e) => {
                let reason = crate::error::chain_text(e.as_ref());
                tracing::debug!(domain = %self.source.domain, error = %reason, "no CodeArtifact token");
                lock(&self.state).error = Some(reason);
                Err(e)
            }
        }
    }

    async fn fetch(&self) -> anyhow::Result<Token> {
        let s = &self.source;
        // Resolve credentials first so an expired SSO session reads as such.
        s.creds.get().await?;
        let sdk = s.sdk_config().await;
        let region = sdk
            .region()
            .map_or_else(|| aws::FALLBACK_REGION.to_owned(), ToString::to_string);
        let key = TokenKey {
            domain: s.domain.clone(),
            owner: s.owner.clone(),
            region,
            identity: s.creds.spec().name.clone(),
        };
        super::fetch(&sdk, &key, None).await
    }

    pub fn source(&self) -> &TokenSource {
        &self.source
    }

    pub fn state(&self) -> TokenState {
        lock(&self.state).clone()
    }

    /// Tokens fetched so far.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }
}

/// When a token fetched at `at` is due for replacement: [`REUSE_MARGIN`] before
/// it expires, or half-way through its life when it was issued for less than
/// that (CodeArtifact caps tokens at the caller's own credentials), so a short
/// token is not refetched on every request.
fn refresh_at(t: &Token, at: OffsetDateTime) -> OffsetDateTime {
    let margin = REUSE_MARGIN
        .min(std::time::Duration::try_from((t.expiration - at) / 2).unwrap_or_default());
    t.expiration - margin
}

fn usable(t: &Token, at: OffsetDateTime, now: OffsetDateTime) -> bool {
    now < refresh_at(t, at)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_in: time::Duration, now: OffsetDateTime) -> Token {
        Token {
            token: Secret::new("t"),
            expiration: now + expires_in,
            domain: "d".into(),
            owner: "o".into(),
            region: "r".into(),
        }
    }

    #[test]
    fn long_tokens_are_replaced_fifteen_minutes_early_short_ones_half_way() {
        let now = OffsetDateTime::now_utc();
        let long = token(time::Duration::hours(12), now);
        assert!(usable(&long, now, now + time::Duration::hours(11)));
        assert!(!usable(
            &long,
            now,
            now + time::Duration::minutes(11 * 60 + 46)
        ));
        let short = token(time::Duration::minutes(10), now);
        assert!(usable(&short, now, now + time::Duration::minutes(4)));
        assert!(!usable(&short, now, now + time::Duration::minutes(6)));
    }
}
