//! SDK clients for IAM Identity Center in one region. They come from aws-config's
//! normal loading, so `AWS_ENDPOINT_URL_SSO_OIDC`, `AWS_ENDPOINT_URL_SSO` and
//! `AWS_ENDPOINT_URL` are honoured as by every other SDK. The OIDC calls and the
//! portal `Logout` are unsigned: no credentials are loaded.

use aws_config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

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

/// An SDK error in one line: `Code: message` for service errors, the whole
/// chain for transport errors. (No secrets are in SDK errors.)
pub fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("UnknownError");
            match e.message().filter(|m| !m.is_empty()) {
                Some(m) => format!("{code}: {m}"),
                None => code.to_owned(),
            }
        }
        other => aws_smithy_types::error::display::DisplayErrorContext(other).to_string(),
    }
}
