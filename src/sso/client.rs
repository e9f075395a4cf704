//! SDK clients for IAM Identity Center in one region. They come from aws-config's
//! normal loading, so `AWS_ENDPOINT_URL_SSO_OIDC`, `AWS_ENDPOINT_URL_SSO` and
//! `AWS_ENDPOINT_URL` are honoured as by every other SDK. The OIDC calls and the
//! portal `Logout` are unsigned: no credentials are loaded.

use aws_config::{BehaviorVersion, Region};

/// `sso-oidc` and SSO portal clients for one region.
#[derive(Debug, Clone)]
pub struct SsoClients {
    pub oidc: aws_sdk_ssooidc::Client,
    pub portal: aws_sdk_sso::Client,
    /// Base URL of the OIDC service (for the browser's `/authorize` URL).
    pub oidc_endpoint: String,
}

impl SsoClients {
    pub async fn new(region: &str) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .no_credentials()
            .load()
            .await;
        Self {
            oidc: aws_sdk_ssooidc::Client::new(&config),
            portal: aws_sdk_sso::Client::new(&config),
            oidc_endpoint: oidc_endpoint(region, config.endpoint_url()),
        }
    }
}

/// The OIDC endpoint as the SDK resolves it: the service override, the global
/// override, or `https://oidc.<region>.amazonaws.com`.
fn oidc_endpoint(region: &str, global: Option<&str>) -> String {
    let ignore = std::env::var(crate::env_vars::AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    let service = std::env::var(crate::env_vars::AWS_ENDPOINT_URL_SSO_OIDC)
        .ok()
        .filter(|v| !v.is_empty() && !ignore);
    service
        .or_else(|| global.map(str::to_owned))
        .unwrap_or_else(|| format!("https://oidc.{region}.amazonaws.com"))
        .trim_end_matches('/')
        .to_owned()
}

/// An SDK error with its whole chain, for messages (no secrets are in SDK errors).
pub fn describe<E: std::error::Error>(err: &E) -> String {
    aws_smithy_types::error::display::DisplayErrorContext(err).to_string()
}
