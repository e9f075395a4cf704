//! CodeArtifact, the one module that uses aws-sdk-codeartifact: authorization
//! tokens, fetched and cached on disk per (domain, owner, region, credentials
//! identity) and reused until 15 minutes before they expire (`token get`); the
//! in-memory tokens of repository mounts ([`token`]); repository endpoints
//! ([`endpoint`]); a mount's repository ([`repository`]) and how its requests
//! carry the token upstream ([`fetch`]).
//!
//! The cache lives in `$XDG_CACHE_HOME/awsproxy/codeartifact/`, one 0600 JSON file
//! per key, written atomically. The token itself is a [`Secret`]: it never reaches
//! a log line or a `Debug` string.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use aws_config::SdkConfig;
use aws_sdk_codeartifact::error::SdkError;
use aws_sdk_codeartifact::operation::get_authorization_token::GetAuthorizationTokenError;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use time::OffsetDateTime;

pub mod endpoint;
pub mod fetch;
pub mod repository;
pub mod token;

use crate::error::{Error, Hinted, chain_text};
use crate::fsutil::{self, Mode};
use crate::secret::Secret;

/// A cached token is used only while it has more than this left.
pub const REUSE_MARGIN: Duration = Duration::from_secs(15 * 60);

/// Which token: the domain, its owner, the region and whose credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenKey {
    pub domain: String,
    pub owner: String,
    pub region: String,
    /// Names the credentials (profile, or the static key id from the environment),
    /// so two identities never share a token.
    pub identity: String,
}

impl TokenKey {
    fn file_name(&self) -> String {
        let mut h = sha2::Sha256::new();
        for part in [&self.domain, &self.owner, &self.region, &self.identity] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        format!("{}.json", hex::encode(&h.finalize()[..16]))
    }
}

/// An authorization token and what it is for.
#[derive(Debug, Clone)]
pub struct Token {
    pub token: Secret,
    pub expiration: OffsetDateTime,
    pub domain: String,
    pub owner: String,
    pub region: String,
}

impl Token {
    /// Whether the token has more than [`REUSE_MARGIN`] left at `now`.
    pub fn usable_at(&self, now: OffsetDateTime) -> bool {
        self.expiration - now > REUSE_MARGIN
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedToken {
    authorization_token: String,
    #[serde(with = "time::serde::rfc3339")]
    expiration: OffsetDateTime,
    domain: String,
    domain_owner: String,
    region: String,
    identity: String,
}

/// The on-disk token cache.
#[derive(Debug, Clone)]
pub struct TokenCache {
    dir: PathBuf,
}

impl TokenCache {
    pub fn new(cache_dir: &std::path::Path) -> Self {
        Self {
            dir: cache_dir.join("codeartifact"),
        }
    }

    /// A cached token for `key` that is still usable; unreadable entries count as absent.
    pub fn get(&self, key: &TokenKey) -> Option<Token> {
        let text = std::fs::read(self.dir.join(key.file_name())).ok()?;
        let cached: CachedToken = serde_json::from_slice(&text).ok()?;
        if cached.identity != key.identity
            || cached.domain != key.domain
            || cached.domain_owner != key.owner
            || cached.region != key.region
        {
            return None;
        }
        let token = Token {
            token: Secret::new(cached.authorization_token),
            expiration: cached.expiration,
            domain: cached.domain,
            owner: cached.domain_owner,
            region: cached.region,
        };
        token.usable_at(OffsetDateTime::now_utc()).then_some(token)
    }

    pub fn put(&self, key: &TokenKey, token: &Token) -> anyhow::Result<()> {
        let cached = CachedToken {
            authorization_token: token.token.expose().to_owned(),
            expiration: token.expiration,
            domain: key.domain.clone(),
            domain_owner: key.owner.clone(),
            region: key.region.clone(),
            identity: key.identity.clone(),
        };
        fsutil::atomic_write(
            &self.dir.join(key.file_name()),
            &serde_json::to_vec_pretty(&cached)?,
            Mode::Secret,
        )
    }
}

/// Checks a `--duration`: 0 (as long as the credentials) or 900 to 43200 seconds.
pub fn check_duration(seconds: u64) -> Result<(), Error> {
    if seconds == 0 || (900..=43200).contains(&seconds) {
        Ok(())
    } else {
        Err(Error::Usage {
            message: format!("--duration {seconds} is out of range"),
            hint: Some(
                "CodeArtifact accepts 0 (as long as the credentials last) or 900 to 43200 seconds"
                    .to_owned(),
            ),
        })
    }
}

/// Asks CodeArtifact for a new token.
pub async fn fetch(
    sdk: &SdkConfig,
    key: &TokenKey,
    duration: Option<u64>,
) -> anyhow::Result<Token> {
    let client = aws_sdk_codeartifact::Client::new(sdk);
    let mut request = client
        .get_authorization_token()
        .domain(&key.domain)
        .domain_owner(&key.owner);
    if let Some(seconds) = duration {
        request = request.duration_seconds(i64::try_from(seconds).unwrap_or(i64::MAX));
    }
    let output = request.send().await.map_err(|e| explain(e, key))?;
    let token = output
        .authorization_token()
        .context("CodeArtifact returned no token")?;
    let expiration = output
        .expiration()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t.secs()).ok())
        .context("CodeArtifact returned no expiration")?;
    Ok(Token {
        token: Secret::new(token),
        expiration,
        domain: key.domain.clone(),
        owner: key.owner.clone(),
        region: key.region.clone(),
    })
}

/// A cached token when one is usable, else a fresh one (then cached). The bool
/// says whether it came from the cache.
pub async fn get(
    cache: &TokenCache,
    sdk: &SdkConfig,
    key: &TokenKey,
    duration: Option<u64>,
) -> anyhow::Result<(Token, bool)> {
    if let Some(token) = cache.get(key) {
        return Ok((token, true));
    }
    let token = fetch(sdk, key, duration).await?;
    cache
        .put(key, &token)
        .context("cannot cache the CodeArtifact token")?;
    Ok((token, false))
}

/// Turns an SDK error into one that says what was tried and what to do.
fn explain(err: SdkError<GetAuthorizationTokenError>, key: &TokenKey) -> anyhow::Error {
    let what = format!(
        "cannot get a CodeArtifact token for domain `{}` (owner {}, region {})",
        key.domain, key.owner, key.region
    );
    let detail = chain_text(&err);
    if let SdkError::ServiceError(service) = &err {
        let hint = match service.err() {
            GetAuthorizationTokenError::AccessDeniedException(_) => Some(format!(
                "the credentials ({}) are not allowed `codeartifact:GetAuthorizationToken` and `sts:GetServiceBearerToken` on this domain",
                key.identity
            )),
            GetAuthorizationTokenError::ResourceNotFoundException(_) => {
                Some("check --domain, --domain-owner (the 12-digit account that owns the domain) and --region".to_owned())
            }
            GetAuthorizationTokenError::ValidationException(_) => Some("check --domain-owner and --duration".to_owned()),
            _ => None,
        };
        if let Some(hint) = hint {
            return anyhow::Error::new(Hinted {
                message: what,
                hint,
                source: Some(anyhow::anyhow!(detail)),
            });
        }
    }
    let lower = detail.to_ascii_lowercase();
    if lower.contains("sso") && (lower.contains("expired") || lower.contains("refresh")) {
        tracing::debug!(error = %detail, "credentials need an SSO login");
        let session = match key.identity.strip_prefix("profile:") {
            Some(profile) => format!("profile {profile}"),
            None => key.identity.clone(),
        };
        return anyhow::Error::new(Error::LoginRequired { session }).context(what);
    }
    let hint = if lower.contains("credentials") {
        "no usable AWS credentials: pass --profile, or check `aws configure list`"
    } else {
        "check the network (and HTTPS_PROXY), then try again"
    };
    anyhow::Error::new(Hinted {
        message: what,
        hint: hint.to_owned(),
        source: Some(anyhow::anyhow!(detail)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(identity: &str) -> TokenKey {
        TokenKey {
            domain: "d".into(),
            owner: "123456789012".into(),
            region: "us-east-1".into(),
            identity: identity.into(),
        }
    }

    fn token(lifetime: Duration) -> Token {
        Token {
            token: Secret::new("tok"),
            expiration: OffsetDateTime::now_utc() + lifetime,
            domain: "d".into(),
            owner: "123456789012".into(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn cache_round_trips_per_identity_and_honours_the_margin() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(dir.path());
        cache
            .put(&key("profile:dev"), &token(Duration::from_secs(3600)))
            .unwrap();
        assert_eq!(
            cache.get(&key("profile:dev")).unwrap().token.expose(),
            "tok"
        );
        assert!(cache.get(&key("profile:prod")).is_none());
        cache
            .put(&key("profile:dev"), &token(Duration::from_secs(600)))
            .unwrap();
        assert!(
            cache.get(&key("profile:dev")).is_none(),
            "a token with 10 minutes left is not reused"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = dir
                .path()
                .join("codeartifact")
                .join(key("profile:dev").file_name());
            assert_eq!(
                std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn durations_follow_the_api_limits() {
        assert!(check_duration(0).is_ok());
        assert!(check_duration(900).is_ok());
        assert!(check_duration(43200).is_ok());
        assert!(check_duration(899).is_err());
        assert!(check_duration(43201).is_err());
    }
}
