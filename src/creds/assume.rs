//! `AssumeRole` through aws-sdk-sts, signed by a source's base credentials. Written
//! here rather than using aws-config's provider so the account id of the assumed role
//! reaches the ECS answer (`AccountId`) and errors name the client.

use aws_config::Region;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_types::error::display::DisplayErrorContext;

use super::source::AssumeRoleSpec;

#[derive(Debug)]
pub(super) struct AssumeRoleProvider {
    spec: AssumeRoleSpec,
    client: aws_sdk_sts::Client,
}

impl AssumeRoleProvider {
    pub(super) async fn new(
        spec: AssumeRoleSpec,
        region: Region,
        base: SharedCredentialsProvider,
    ) -> Self {
        let conf = crate::aws::sdk_config(&crate::aws::SdkOptions {
            region: Some(region.to_string()),
            credentials: Some(base),
            ..Default::default()
        })
        .await;
        Self {
            spec,
            client: aws_sdk_sts::Client::new(&conf),
        }
    }

    async fn assume(&self) -> provider::Result {
        let duration = i32::try_from(self.spec.duration.as_secs()).unwrap_or(3600);
        let out = self
            .client
            .assume_role()
            .role_arn(&self.spec.role_arn)
            .role_session_name(&self.spec.session_name)
            .set_external_id(
                self.spec
                    .external_id
                    .as_ref()
                    .map(|e| e.expose().to_owned()),
            )
            .duration_seconds(duration)
            .send()
            .await
            .map_err(|e| {
                CredentialsError::provider_error(format!(
                    "AssumeRole {}: {}",
                    self.spec.role_arn,
                    DisplayErrorContext(&e)
                ))
            })?;
        let creds = out
            .credentials
            .ok_or_else(|| CredentialsError::unhandled("STS AssumeRole returned no credentials"))?;
        let expiry = std::time::SystemTime::try_from(creds.expiration).map_err(|_| {
            CredentialsError::unhandled("STS AssumeRole returned an invalid expiration")
        })?;
        let account_id = out
            .assumed_role_user
            .as_ref()
            .and_then(|u| u.arn.split(':').nth(4))
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        let mut builder = Credentials::builder()
            .access_key_id(creds.access_key_id)
            .secret_access_key(creds.secret_access_key)
            .session_token(creds.session_token)
            .expiry(expiry)
            .provider_name("awsproxy-assume-role");
        builder.set_account_id(account_id.map(Into::into));
        Ok(builder.build())
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.assume())
    }
}
