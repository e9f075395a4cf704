//! The repository listener (`[repos] listen`, default 127.0.0.1:9000), shared by
//! the PyPI, Maven, npm and Cargo mounts.
//!
//! | route                                   | served by            |
//! |-----------------------------------------|----------------------|
//! | `/pypi/NAME/...`                        | [`super::pypi`]      |
//! | `/{account}/{region}/{domain}/{repo}/simple/...` (no config needed) | [`super::pypi`] |
//! | `/maven/NAME/...`                       | [`super::maven`]     |
//! | `/npm/NAME/...`                         | [`super::npm`]       |
//! | `/cargo/NAME/...`                       | [`super::cargo`]     |
//! | `/{account}/{region}/{domain}/{repo}/{npm,cargo}/...` | [`super::npm`], [`super::cargo`] |
//!
//! Each mount type builds its own router from a [`RepoContext`] (the cache, the
//! credentials registry, the status board); this module merges them and holds
//! the rule every mount applies before publishing ([`check_publish`]).

use std::sync::Arc;

use axum::Router;
use http::HeaderMap;
use http::header::{AUTHORIZATION, ORIGIN};

use crate::cache::HttpCache;
use crate::codeartifact::repository::CaRepository;
use crate::codeartifact::token::Tokens;
use crate::config::ReposSection;
use crate::creds::{CredsRegistry, SourceSpec};
use crate::paths::Paths;
use crate::services::repo_error::RepoError;
use crate::services::status::{Section, StatusBoard};

/// What every mount needs, shared by all mounts of one listener.
#[derive(Debug, Clone)]
pub struct RepoContext {
    pub paths: Paths,
    /// The HTTP cache over the configured store (`[cache]`).
    pub cache: HttpCache,
    /// One credentials cache per distinct source, refreshed ahead of expiry.
    pub creds: Arc<CredsRegistry>,
    /// Per-mount health (`pypi:NAME`, `maven:NAME`), tables and metrics.
    pub board: StatusBoard,
    /// Outbound HTTP(S) settings (upstream proxy, extra CAs) from `[proxy]`, for
    /// mounts that reach an upstream over HTTP.
    pub upstream: crate::net::ClientSettings,
    /// CodeArtifact tokens, one per domain, owner, region and identity, shared
    /// by the mounts of every format.
    pub tokens: Arc<Tokens>,
    /// How mounts reach CodeArtifact's API.
    pub codeartifact: CodeArtifactOptions,
}

/// Overrides of how mounts reach CodeArtifact's API (tests and embedding;
/// `serve` leaves both unset).
#[derive(Debug, Clone, Default)]
pub struct CodeArtifactOptions {
    /// API endpoint (otherwise the SDK's resolution, which honours
    /// `AWS_ENDPOINT_URL_CODEARTIFACT`).
    pub endpoint: Option<String>,
    /// Credentials for every mount instead of the mount's profile / default chain.
    pub credentials: Option<SourceSpec>,
}

impl RepoContext {
    /// The credentials a mount with `profile` uses (the override, if set).
    pub async fn mount_creds(&self, profile: Option<&str>) -> crate::creds::CredentialCache {
        match &self.codeartifact.credentials {
            Some(spec) => self.creds.cache(spec.clone()).await,
            None => self.creds.profile(profile).await,
        }
    }
}

/// The router of the whole listener.
pub async fn router(section: &ReposSection, ctx: &RepoContext) -> anyhow::Result<Router> {
    let pypi = super::pypi::router(&section.pypi, ctx).await?;
    let maven = super::maven::router(&section.maven, ctx).await?;
    let npm = super::npm::router(&section.npm, ctx).await?;
    let cargo = super::cargo::router(&section.cargo, ctx).await?;
    Ok(pypi.merge(maven).merge(npm).merge(cargo))
}

/// The status table of one format's CodeArtifact mounts, one row per mount
/// (`(label, local path, repository)`).
pub(crate) fn codeartifact_section<'a>(
    title: &str,
    empty: &'static str,
    mounts: impl Iterator<Item = (&'a str, &'a str, &'a CaRepository)>,
) -> Section {
    Section {
        title: title.to_owned(),
        columns: [
            "mount",
            "path",
            "domain",
            "repository",
            "token expires in",
            "state",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: mounts
            .map(|(label, local, repo)| {
                let [expires, state] = repo.status_cells();
                vec![
                    label.to_owned(),
                    local.to_owned(),
                    repo.domain.clone(),
                    repo.repository.clone(),
                    expires,
                    state,
                ]
            })
            .collect(),
        note: None,
        empty,
    }
}

/// A publish must not come from a web page, and must carry an `Authorization`
/// header (any value: awsproxy adds the real credentials upstream).
///
/// A page can make the browser send a cross-site `POST` form (a CORS "simple
/// request") without asking anyone, but not one with `Authorization`: that
/// needs a preflight, and no listener allows one. Browsers name the page in
/// `Origin` and say where it is in `Sec-Fetch-Site`. No page awsproxy serves
/// publishes anything, so any `Origin` (even this listener's own, which a
/// rebound DNS name could fake) and any `Sec-Fetch-Site` but `none` (the user
/// typed the URL) mean a page sent it. twine, mvn, gradle and curl send
/// neither header.
pub(crate) fn check_publish(headers: &HeaderMap) -> Result<(), RepoError> {
    let fetch_site = headers
        .get("sec-fetch-site")
        .map(|v| v.as_bytes().eq_ignore_ascii_case(b"none"));
    if headers.contains_key(ORIGIN) || fetch_site == Some(false) {
        return Err(RepoError::PublishFromBrowser);
    }
    match headers.get(AUTHORIZATION) {
        Some(v) if !v.is_empty() => Ok(()),
        _ => Err(RepoError::PublishNeedsCredentials),
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn publishing_needs_credentials_and_no_browser() {
        let ok = [("authorization", "Basic eDp5")];
        assert_eq!(check_publish(&headers(&ok)), Ok(()));
        assert_eq!(
            check_publish(&headers(&[
                ("authorization", "Basic eDp5"),
                ("sec-fetch-site", "none")
            ])),
            Ok(())
        );
        assert_eq!(
            check_publish(&headers(&[])),
            Err(RepoError::PublishNeedsCredentials)
        );
        for browser in [
            [
                ("origin", "https://evil.test"),
                ("authorization", "Basic eDp5"),
            ],
            [("origin", "null"), ("authorization", "Basic eDp5")],
            [
                ("sec-fetch-site", "same-site"),
                ("authorization", "Basic eDp5"),
            ],
            [
                ("sec-fetch-site", "same-origin"),
                ("authorization", "Basic eDp5"),
            ],
            [
                ("sec-fetch-site", "cross-site"),
                ("authorization", "Basic eDp5"),
            ],
        ] {
            assert_eq!(
                check_publish(&headers(&browser)),
                Err(RepoError::PublishFromBrowser),
                "{browser:?}"
            );
        }
    }
}
