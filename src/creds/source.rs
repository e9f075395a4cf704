//! Where credentials come from ([`SourceSpec`]) and how to build the uncached
//! aws-config / aws-sdk-sts provider for it. Caching is [`super::CredentialCache`]'s job.

use std::time::Duration;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::provider::error::CredentialsError;

use super::CredsError;
use super::assume::AssumeRoleProvider;
use crate::config::CredsClient;
use crate::secret::Secret;

/// The credentials a source starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseSource {
    /// The AWS default chain (environment, profile, web identity, container, IMDS).
    DefaultChain,
    /// A profile in `~/.aws/config`: SSO, `credential_process`, role chains, static keys.
    Profile(String),
    /// Keys given in the awsproxy config (usually `${env:..}` or `${file:..}`).
    Static {
        access_key_id: Secret,
        secret_access_key: Secret,
        session_token: Option<Secret>,
    },
}

/// `AssumeRole` on top of the base credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleSpec {
    pub role_arn: String,
    pub session_name: String,
    pub external_id: Option<Secret>,
    pub duration: Duration,
}

/// One credential source. Two equal specs give the same credentials, so a reload
/// keeps the cache of a client whose spec did not change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// A name for logs, errors and metric labels (`client app`, `profile dev`).
    pub name: String,
    pub base: BaseSource,
    /// Region for STS/SSO calls; the profile's or the environment's when unset.
    pub region: Option<String>,
    pub assume: Option<AssumeRoleSpec>,
}

/// Default assumed-role session length.
pub const DEFAULT_ROLE_DURATION: Duration = Duration::from_secs(3600);

impl SourceSpec {
    /// The source of a `[[creds.client]]`.
    pub fn from_client(c: &CredsClient) -> Self {
        let base = match (&c.profile, &c.access_key_id, &c.secret_access_key) {
            (Some(profile), _, _) => BaseSource::Profile(profile.clone()),
            (None, Some(akid), Some(secret)) => BaseSource::Static {
                access_key_id: akid.0.clone(),
                secret_access_key: secret.0.clone(),
                session_token: c.session_token.as_ref().map(|t| t.0.clone()),
            },
            _ => BaseSource::DefaultChain,
        };
        let assume = c.role_arn.as_ref().map(|arn| AssumeRoleSpec {
            role_arn: arn.clone(),
            session_name: c
                .role_session_name
                .clone()
                .unwrap_or_else(|| default_session_name(&c.name)),
            external_id: c.external_id.as_ref().map(|e| e.0.clone()),
            duration: c.duration.map_or(DEFAULT_ROLE_DURATION, |d| d.0),
        });
        Self {
            name: format!("client {}", c.name),
            base,
            region: c.region.clone(),
            assume,
        }
    }

    /// A profile, or the default chain when `None` (what `creds export` uses).
    pub fn profile(profile: Option<&str>) -> Self {
        match profile {
            Some(p) => Self {
                name: format!("profile {p}"),
                base: BaseSource::Profile(p.to_owned()),
                region: None,
                assume: None,
            },
            None => Self {
                name: "default chain".to_owned(),
                base: BaseSource::DefaultChain,
                region: None,
                assume: None,
            },
        }
    }

    fn profile_name(&self) -> Option<&str> {
        match &self.base {
            BaseSource::Profile(p) => Some(p),
            _ => None,
        }
    }

    /// Builds the uncached provider: base credentials, then the assumed role if any.
    pub async fn build_provider(&self) -> SharedCredentialsProvider {
        let region = crate::aws::resolve_region(self.region.as_deref(), self.profile_name()).await;
        let conf = crate::aws::provider_config(region.clone());
        let base = match &self.base {
            // The chain's own region lookup would ask instance metadata: give it ours.
            BaseSource::DefaultChain => SharedCredentialsProvider::new(
                DefaultCredentialsChain::builder()
                    .configure(conf)
                    .region(region.clone())
                    .build()
                    .await,
            ),
            BaseSource::Profile(p) => SharedCredentialsProvider::new(
                ProfileFileCredentialsProvider::builder()
                    .configure(&conf)
                    .profile_name(p)
                    .build(),
            ),
            BaseSource::Static {
                access_key_id,
                secret_access_key,
                session_token,
            } => SharedCredentialsProvider::new(Credentials::new(
                access_key_id.expose(),
                secret_access_key.expose(),
                session_token.as_ref().map(|t| t.expose().to_owned()),
                None,
                "awsproxy-static",
            )),
        };
        match &self.assume {
            None => base,
            Some(spec) => SharedCredentialsProvider::new(
                AssumeRoleProvider::new(spec.clone(), region, base).await,
            ),
        }
    }

    /// Turns an aws-config error into a [`CredsError`], recognising SSO sessions that
    /// need a human (expired or missing token, portal `UnauthorizedException`).
    pub fn classify(&self, err: &CredentialsError) -> CredsError {
        let detail = crate::error::chain_text(err);
        let lower = detail.to_ascii_lowercase();
        let needs_login = lower.contains("sso token")
            || lower.contains("unauthorizedexception")
            || lower.contains("session token not found or invalid")
            || (lower.contains("sso") && lower.contains("expired"));
        if needs_login {
            CredsError::LoginRequired {
                name: self.name.clone(),
                profile: self.profile_name().map(str::to_owned),
                detail,
            }
        } else {
            CredsError::Unavailable {
                name: self.name.clone(),
                detail,
            }
        }
    }
}

/// `awsproxy-<client>`, cut to STS's 64-character limit.
pub fn default_session_name(client: &str) -> String {
    let mut name = format!("awsproxy-{client}");
    name.truncate(64);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_fit_sts_limits() {
        assert_eq!(default_session_name("app"), "awsproxy-app");
        assert_eq!(default_session_name(&"x".repeat(64)).len(), 64);
    }

    #[test]
    fn expired_sso_tokens_need_a_login() {
        let spec = SourceSpec::profile(Some("dev"));
        let err =
            CredentialsError::provider_error("the SSO token has expired and cannot be refreshed");
        assert_eq!(spec.classify(&err).code(), "login_required");
        let err = CredentialsError::provider_error("dispatch failure: connection refused");
        assert_eq!(spec.classify(&err).code(), "source_unavailable");
    }
}
