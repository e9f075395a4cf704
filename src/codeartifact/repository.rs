//! One CodeArtifact repository as a mount of any format reaches it: its
//! upstream base (`GetRepositoryEndpoint` with the mount's format, asked once,
//! or the mount's fixed `endpoint`), the token it shares with every mount of
//! the same domain and identity, and what its status rows show.

use std::sync::Arc;

use time::OffsetDateTime;
use url::Url;

use super::endpoint::{Format, repository_endpoint};
use super::token::{TokenProvider, TokenSource, Tokens};
use crate::services::status::Health;

/// A CodeArtifact repository for one format.
#[derive(Debug)]
pub struct CaRepository {
    pub domain: String,
    pub repository: String,
    pub format: Format,
    fixed_endpoint: Option<Url>,
    endpoint: tokio::sync::OnceCell<Url>,
    pub token: Arc<TokenProvider>,
}

impl CaRepository {
    /// `fixed_endpoint` replaces `GetRepositoryEndpoint` (a mount's `endpoint`).
    pub fn new(
        source: TokenSource,
        tokens: &Tokens,
        repository: String,
        format: Format,
        fixed_endpoint: Option<Url>,
    ) -> Self {
        Self {
            domain: source.domain.clone(),
            repository,
            format,
            fixed_endpoint,
            endpoint: tokio::sync::OnceCell::new(),
            token: tokens.provider(source),
        }
    }

    /// The credentials' source name (part of every cache namespace, so two
    /// identities never share entries).
    pub fn identity(&self) -> &str {
        &self.token.source().creds.spec().name
    }

    /// The upstream repository base (ends in `/`), asked once.
    pub async fn base(&self) -> anyhow::Result<Url> {
        if let Some(u) = &self.fixed_endpoint {
            return Ok(u.clone());
        }
        self.endpoint
            .get_or_try_init(|| async {
                let url =
                    repository_endpoint(self.token.source(), &self.repository, self.format).await?;
                dir_url(&url)
            })
            .await
            .cloned()
    }

    /// Keeps the token fetched ahead of expiry while the repository's token
    /// provider is alive (and makes `/healthz` report a mount that cannot get
    /// one). Configured mounts call this; no-config seeds don't (a mistyped
    /// URL must not poll AWS forever).
    pub fn spawn_refresher(&self) {
        let weak = Arc::downgrade(&self.token);
        tokio::spawn(async move {
            loop {
                let Some(token) = weak.upgrade() else { return };
                let wait = token.refresh_ahead().await;
                drop(token);
                tokio::time::sleep(wait).await;
            }
        });
    }

    /// Unhealthy while the last token fetch failed.
    pub fn health(&self) -> Health {
        match self.token.state().error {
            Some(reason) => Health::Unhealthy {
                reason: format!("cannot get a CodeArtifact token: {reason}"),
            },
            None => Health::Healthy,
        }
    }

    /// Seconds until the current token expires.
    pub fn expires_in(&self) -> Option<i64> {
        self.token
            .state()
            .expiration
            .map(|e| (e - OffsetDateTime::now_utc()).whole_seconds())
    }

    /// The "token expires in" and "state" cells of a status table row.
    pub fn status_cells(&self) -> [String; 2] {
        [
            self.expires_in()
                .map_or_else(|| "-".to_owned(), |s| format!("{}m", s / 60)),
            match self.health() {
                Health::Healthy => "ok".to_owned(),
                Health::Unhealthy { reason } => reason,
            },
        ]
    }
}

/// A URL that ends in `/` (so joins stay under it), without query or fragment.
pub fn dir_url(raw: &str) -> anyhow::Result<Url> {
    let mut url = Url::parse(raw)?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https"),
        "not an http(s) URL"
    );
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// `/{account}/{region}/{domain}/{repo}/` of the no-config URL form: a
/// 12-digit account and plausible names.
pub fn seed_parts_valid(account: &str, region: &str, domain: &str, repo: &str) -> bool {
    let name = |s: &str, max: usize| {
        !s.is_empty()
            && s.len() <= max
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !s.starts_with('.')
    };
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name(domain, 50)
        && name(repo, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_urls_end_in_a_slash_and_drop_query_and_fragment() {
        assert_eq!(
            dir_url("https://d-1.example/npm/r?x=1#f").unwrap().as_str(),
            "https://d-1.example/npm/r/"
        );
        assert!(dir_url("ftp://x/").is_err());
    }

    #[test]
    fn seed_parts_need_an_account_id_and_plain_names() {
        assert!(seed_parts_valid("123456789012", "us-east-1", "d", "r"));
        assert!(!seed_parts_valid("12345678901", "us-east-1", "d", "r"));
        assert!(!seed_parts_valid("123456789012", "US", "d", "r"));
        assert!(!seed_parts_valid("123456789012", "us-east-1", "..", "r"));
        assert!(!seed_parts_valid("123456789012", "us-east-1", "d", "a/b"));
    }
}
