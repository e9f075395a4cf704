//! The one place that builds AWS SDK configuration, so every AWS caller in awsproxy
//! (credentials core, CodeArtifact, S3 stores and mounts) resolves region, profile,
//! endpoint overrides and credentials the same way.
//!
//! The SDK's own environment handling stays in charge of what users expect from any
//! AWS tool: `AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL` and the per-service
//! `AWS_ENDPOINT_URL_<SERVICE>` variables (which the tests point at local fakes).
//! What awsproxy configures explicitly (a mount's `region`, `profile`, `endpoint`)
//! wins over the environment.

use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;

/// Region used when neither the caller, the profile nor the environment names one.
/// STS and IAM answer in every partition's default region; this is the commercial one.
pub const FALLBACK_REGION: &str = "us-east-1";

/// What a caller wants from the SDK. Unset fields come from the environment and
/// `~/.aws/config` as in every other AWS tool.
#[derive(Debug, Clone, Default)]
pub struct SdkOptions {
    /// Region, e.g. from a mount's `region` key.
    pub region: Option<String>,
    /// Profile in `~/.aws/config` for region and (without `credentials`) credentials.
    pub profile: Option<String>,
    /// Endpoint override for every service client built from this config
    /// (e.g. a MinIO URL); per-service env overrides still apply when unset.
    pub endpoint: Option<String>,
    /// Credentials to sign with, normally a [`crate::creds::CredentialCache`] so a
    /// fresh `sso login` is picked up without a restart.
    pub credentials: Option<SharedCredentialsProvider>,
}

/// Builds an `SdkConfig` from `opts`. The region falls back to [`FALLBACK_REGION`].
pub async fn sdk_config(opts: &SdkOptions) -> SdkConfig {
    let region = resolve_region(opts.region.as_deref(), opts.profile.as_deref()).await;
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region);
    if let Some(profile) = &opts.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &opts.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(credentials) = &opts.credentials {
        loader = loader.credentials_provider(credentials.clone());
    }
    loader.load().await
}

/// The region for a caller: explicit, else `AWS_REGION` / `AWS_DEFAULT_REGION`, else
/// the profile's (or the default profile's), else [`FALLBACK_REGION`]. Unlike the
/// SDK's default chain this never asks the EC2 instance metadata service, which on a
/// laptop only adds a timeout to every start.
pub async fn resolve_region(explicit: Option<&str>, profile: Option<&str>) -> Region {
    if let Some(region) = explicit {
        return Region::new(region.to_owned());
    }
    let mut from_profile = ProfileFileRegionProvider::builder();
    if let Some(profile) = profile {
        from_profile = from_profile.profile_name(profile);
    }
    RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(from_profile.build())
        .region()
        .await
        .unwrap_or_else(|| Region::new(FALLBACK_REGION))
}

/// The `region` a profile sets in the AWS config file, if it sets one.
pub async fn profile_region(profile: &str) -> Option<Region> {
    use aws_config::meta::region::ProvideRegion as _;
    ProfileFileRegionProvider::builder()
        .profile_name(profile)
        .build()
        .region()
        .await
}

/// A `ProviderConfig` for aws-config's credential providers (profile, default chain):
/// it carries the region those providers use for their own STS/SSO calls.
pub fn provider_config(region: Region) -> ProviderConfig {
    ProviderConfig::without_region().with_region(Some(region))
}
