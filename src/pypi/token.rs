//! CodeArtifact tokens for the PyPI proxy, kept in memory per mount: one fetch at
//! a time (callers wait for the one in flight), refreshed once less than
//! [`REUSE_MARGIN`] (15 minutes) is left, and replaced at once when the upstream
//! rejects the current one. Credentials come from a [`CredentialCache`], so a
//! fresh `sso login` is used without a restart.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use time::OffsetDateTime;

use crate::aws::{self, SdkOptions};
use crate::codeartifact::{self, REUSE_MARGIN, Token, TokenKey};
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
    current: tokio::sync::Mutex<Option<Token>>,
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
        if let Some(t) = current.as_ref()
            && t.usable_at(OffsetDateTime::now_utc())
        {
            return Ok(t.token.clone());
        }
        self.refresh_locked(&mut current).await
    }

    /// The upstream refused `rejected`: fetch a new token unless another caller
    /// already replaced it.
    pub async fn replace(&self, rejected: &Secret) -> anyhow::Result<Secret> {
        let mut current = self.current.lock().await;
        if let Some(t) = current.as_ref()
            && t.token.expose() != rejected.expose()
            && t.usable_at(OffsetDateTime::now_utc())
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
                    .state()
                    .expiration
                    .map(|e| e - OffsetDateTime::now_utc() - REUSE_MARGIN);
                left.and_then(|d| std::time::Duration::try_from(d).ok())
                    .map_or(retry, |d| d.max(std::time::Duration::from_secs(1)))
            }
            Err(_) => retry,
        }
    }

    async fn refresh_locked(&self, current: &mut Option<Token>) -> anyhow::Result<Secret> {
        match self.fetch().await {
            Ok(token) => {
                self.refreshes.fetch_add(1, Ordering::Relaxed);
                let secret = token.token.clone();
                let mut st = lock(&self.state);
                st.expiration = Some(token.expiration);
                st.error = None;
                drop(st);
                *current = Some(token);
                Ok(secret)
            }
            Err(e) => {
                let reason = codeartifact::chain_text(e.as_ref());
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
        codeartifact::fetch(&sdk, &key, None).await
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
