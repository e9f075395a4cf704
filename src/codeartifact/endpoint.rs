//! `GetRepositoryEndpoint`: where a CodeArtifact repository serves one package
//! format, asked with the credentials of a [`TokenSource`].

use anyhow::Context as _;
use aws_sdk_codeartifact::types::PackageFormat;

use super::token::TokenSource;

/// The package formats awsproxy serves from CodeArtifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pypi,
    Npm,
    Maven,
    Cargo,
}

impl Format {
    fn sdk(self) -> PackageFormat {
        match self {
            Format::Pypi => PackageFormat::Pypi,
            Format::Npm => PackageFormat::Npm,
            Format::Maven => PackageFormat::Maven,
            Format::Cargo => PackageFormat::Cargo,
        }
    }

    /// The format's name in config sections, mount labels and local paths
    /// (`pypi`, `npm`, `maven`, `cargo`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pypi => "pypi",
            Format::Npm => "npm",
            Format::Maven => "maven",
            Format::Cargo => "cargo",
        }
    }
}

/// The endpoint URL of `repository` for `format`, as CodeArtifact gives it.
pub async fn repository_endpoint(
    source: &TokenSource,
    repository: &str,
    format: Format,
) -> anyhow::Result<String> {
    source.creds.get().await?;
    let sdk = source.sdk_config().await;
    let out = aws_sdk_codeartifact::Client::new(&sdk)
        .get_repository_endpoint()
        .domain(&source.domain)
        .domain_owner(&source.owner)
        .repository(repository)
        .format(format.sdk())
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(crate::error::chain_text(&e)))?;
    out.repository_endpoint()
        .map(str::to_owned)
        .context("GetRepositoryEndpoint returned no URL")
}
