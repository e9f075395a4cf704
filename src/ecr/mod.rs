//! Amazon ECR, the one module that uses aws-sdk-ecr and aws-sdk-ecrpublic:
//! registry authorization tokens for the Docker credential helper
//! (`awsproxy docker-credential`), fetched with the credentials core and cached
//! on disk per registry and identity until shortly before they expire.
//!
//! [`registry`] parses server URLs and ECR host names (pure); [`source`] picks
//! the credentials for a registry without ever probing instance metadata off
//! EC2. The cache lives in `$XDG_CACHE_HOME/awsproxy/ecr/`, one 0600 JSON file
//! per (registry host, identity), written atomically. The password is a
//! [`Secret`]: it never reaches a log line or a `Debug` string.

pub mod registry;
pub mod source;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use aws_config::SdkConfig;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use time::OffsetDateTime;

pub use registry::{RegistryKind, classify, parse_server_url};

use crate::error::{Hinted, chain_text};
use crate::fsutil::{self, Mode};
use crate::secret::Secret;

/// A token is replaced this long before it expires (half-way through its life
/// when it was issued for less than twice that).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(15 * 60);

/// The user name of every ECR token.
pub const USERNAME: &str = "AWS";

/// A registry password and its life.
#[derive(Debug, Clone)]
pub struct Token {
    /// The decoded password of `AWS:<password>`.
    pub password: Secret,
    pub expires_at: OffsetDateTime,
    pub fetched_at: OffsetDateTime,
}

impl Token {
    /// When it is due for replacement: [`REFRESH_MARGIN`] before expiry, or
    /// half-way through a shorter life.
    pub fn refresh_at(&self) -> OffsetDateTime {
        let life = Duration::try_from(self.expires_at - self.fetched_at).unwrap_or_default();
        self.expires_at - REFRESH_MARGIN.min(life / 2)
    }

    /// Whether it may still be handed out at `now`.
    pub fn usable_at(&self, now: OffsetDateTime) -> bool {
        now < self.refresh_at()
    }
}

/// Which cached token: the registry host and whose credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenKey {
    pub host: String,
    /// Names the credentials (`profile:dev`, `key:AKID…`, `default-chain`), so
    /// two identities never share a token.
    pub identity: String,
}

impl TokenKey {
    fn file_name(&self) -> String {
        let mut h = sha2::Sha256::new();
        for part in [&self.host, &self.identity] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        format!("{}.json", hex::encode(&h.finalize()[..16]))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedToken {
    host: String,
    identity: String,
    password: String,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    fetched_at: OffsetDateTime,
}

/// The on-disk token cache.
#[derive(Debug, Clone)]
pub struct TokenCache {
    dir: PathBuf,
}

impl TokenCache {
    pub fn new(cache_dir: &std::path::Path) -> Self {
        Self {
            dir: cache_dir.join("ecr"),
        }
    }

    /// The cached token for `key` when it is still usable at `now`; unreadable
    /// or foreign entries count as absent.
    pub fn get(&self, key: &TokenKey, now: OffsetDateTime) -> Option<Token> {
        let bytes = std::fs::read(self.dir.join(key.file_name())).ok()?;
        let cached: CachedToken = serde_json::from_slice(&bytes).ok()?;
        if cached.host != key.host || cached.identity != key.identity {
            return None;
        }
        let token = Token {
            password: Secret::new(cached.password),
            expires_at: cached.expires_at,
            fetched_at: cached.fetched_at,
        };
        token.usable_at(now).then_some(token)
    }

    pub fn put(&self, key: &TokenKey, token: &Token) -> anyhow::Result<()> {
        let cached = CachedToken {
            host: key.host.clone(),
            identity: key.identity.clone(),
            password: token.password.expose().to_owned(),
            expires_at: token.expires_at,
            fetched_at: token.fetched_at,
        };
        fsutil::atomic_write(
            &self.dir.join(key.file_name()),
            &serde_json::to_vec_pretty(&cached)?,
            Mode::Secret,
        )
    }
}

/// The password in an `authorizationToken` (base64 of `AWS:<password>`).
pub fn decode_token(encoded: &str) -> anyhow::Result<Secret> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| anyhow::anyhow!("the authorization token is not base64"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("the authorization token is not text"))?;
    match text.split_once(':') {
        Some((USERNAME, password)) if !password.is_empty() => Ok(Secret::new(password)),
        _ => anyhow::bail!("the authorization token is not `AWS:<password>`"),
    }
}

/// Asks ECR (or ECR Public) for a new token. `sdk` carries the region and the
/// credentials; FIPS hosts use the FIPS API endpoint.
pub async fn fetch(sdk: &SdkConfig, host: &str, kind: &RegistryKind) -> anyhow::Result<Token> {
    let fetched_at = OffsetDateTime::now_utc();
    let (encoded, expires) = match kind {
        RegistryKind::Private { fips, .. } => {
            let conf = aws_sdk_ecr::config::Builder::from(sdk)
                .use_fips(*fips)
                .build();
            let out = aws_sdk_ecr::Client::from_conf(conf)
                .get_authorization_token()
                .send()
                .await
                .map_err(|e| explain(&e, host, kind))?;
            let data = out
                .authorization_data()
                .first()
                .context("ECR returned no authorization data")?;
            (
                data.authorization_token().map(str::to_owned),
                data.expires_at().map(|t| t.secs()),
            )
        }
        RegistryKind::Public => {
            let out = aws_sdk_ecrpublic::Client::new(sdk)
                .get_authorization_token()
                .send()
                .await
                .map_err(|e| explain(&e, host, kind))?;
            let data = out
                .authorization_data()
                .context("ECR Public returned no authorization data")?;
            (
                data.authorization_token().map(str::to_owned),
                data.expires_at().map(|t| t.secs()),
            )
        }
    };
    let password = decode_token(&encoded.context("ECR returned no authorization token")?)?;
    let expires_at = expires
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .context("ECR returned no expiry for the token")?;
    Ok(Token {
        password,
        expires_at,
        fetched_at,
    })
}

/// An SDK error as what was tried and what to do; the service's own message
/// stays in the chain.
fn explain(
    err: &(dyn std::error::Error + 'static),
    host: &str,
    kind: &RegistryKind,
) -> anyhow::Error {
    let what = match kind {
        RegistryKind::Private { region, .. } => {
            format!("cannot get an ECR authorization token for {host} (region {region})")
        }
        RegistryKind::Public => "cannot get an ECR Public authorization token".to_owned(),
    };
    let detail = chain_text(err);
    let lower = detail.to_ascii_lowercase();
    let hint = if lower.contains("accessdenied") || lower.contains("not authorized") {
        "the credentials are not allowed `ecr:GetAuthorizationToken` (ECR Public: `ecr-public:GetAuthorizationToken` and `sts:GetServiceBearerToken`); choose another profile in `[[docker.registry]]`"
    } else if lower.contains("expired")
        || lower.contains("unrecognizedclient")
        || lower.contains("invalidclienttokenid")
    {
        "the credentials were refused; check the profile with `awsproxy creds export --profile NAME`"
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

    fn token(life: Duration, age: Duration) -> Token {
        let now = OffsetDateTime::now_utc();
        Token {
            password: Secret::new("pw"),
            fetched_at: now - age,
            expires_at: now - age + life,
        }
    }

    #[test]
    fn tokens_are_replaced_fifteen_minutes_early_short_ones_half_way() {
        let now = OffsetDateTime::now_utc();
        let hours = |h: u64| Duration::from_secs(h * 3600);
        assert!(token(hours(12), hours(11)).usable_at(now));
        assert!(!token(hours(12), hours(11) + Duration::from_secs(46 * 60)).usable_at(now));
        let ten_min = Duration::from_secs(600);
        assert!(token(ten_min, Duration::from_secs(240)).usable_at(now));
        assert!(!token(ten_min, Duration::from_secs(360)).usable_at(now));
        // An expired token (moto issues those) is never usable.
        assert!(!token(Duration::ZERO, Duration::from_secs(1)).usable_at(now));
    }

    #[test]
    fn the_cache_is_per_host_and_identity_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(dir.path());
        let key = |host: &str, id: &str| TokenKey {
            host: host.into(),
            identity: id.into(),
        };
        let now = OffsetDateTime::now_utc();
        let t = token(Duration::from_secs(12 * 3600), Duration::ZERO);
        cache
            .put(&key("public.ecr.aws", "profile:dev"), &t)
            .unwrap();
        assert_eq!(
            cache
                .get(&key("public.ecr.aws", "profile:dev"), now)
                .unwrap()
                .password
                .expose(),
            "pw"
        );
        assert!(
            cache
                .get(&key("public.ecr.aws", "profile:prod"), now)
                .is_none()
        );
        assert!(
            cache
                .get(
                    &key(
                        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
                        "profile:dev"
                    ),
                    now
                )
                .is_none()
        );
        assert!(
            cache
                .get(
                    &key("public.ecr.aws", "profile:dev"),
                    now + time::Duration::hours(12) - time::Duration::minutes(14)
                )
                .is_none(),
            "inside the margin"
        );
        use std::os::unix::fs::PermissionsExt;
        let file = dir
            .path()
            .join("ecr")
            .join(key("public.ecr.aws", "profile:dev").file_name());
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn tokens_decode_to_the_password_of_aws() {
        let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(
            decode_token(&enc("AWS:s3cr:et")).unwrap().expose(),
            "s3cr:et"
        );
        assert!(decode_token(&enc("root:pw")).is_err());
        assert!(decode_token(&enc("AWS:")).is_err());
        assert!(decode_token("not base64!").is_err());
        let err = decode_token(&enc("nobody")).unwrap_err().to_string();
        assert!(
            !err.contains("nobody"),
            "the token stays out of errors: {err}"
        );
    }
}
