//! The device-code flow (RFC 8628): `StartDeviceAuthorization`, show the URL and
//! user code, then poll `CreateToken` at the server's `interval`, adding 5 s on
//! every `SlowDownException`, until approved, denied or expired.

use std::time::Duration;

use aws_sdk_ssooidc::operation::create_token::CreateTokenError;

use super::{LoginOptions, TokenGrant, Ui, browser};
use crate::sso::SsoSession;
use crate::sso::client::{SsoClients, describe};
use crate::sso::registration::Registration;

/// `grantType` of device-code polls.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// What RFC 8628 says to add on `slow_down`.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// A server that sends no interval gets polled this often.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Never poll faster than this, whatever the server says.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

pub(super) async fn run(
    clients: &SsoClients,
    session: &SsoSession,
    registration: &Registration,
    opts: &LoginOptions,
    ui: &Ui,
) -> anyhow::Result<TokenGrant> {
    let auth = clients
        .oidc
        .start_device_authorization()
        .client_id(&registration.client_id)
        .client_secret(registration.client_secret.expose())
        .start_url(&session.start_url)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "StartDeviceAuthorization at {} failed: {}",
                clients.oidc_endpoint,
                describe(&e)
            )
        })?;
    let device_code = auth
        .device_code()
        .ok_or_else(|| anyhow::anyhow!("StartDeviceAuthorization returned no deviceCode"))?;
    let user_code = auth.user_code().unwrap_or_default();
    let url = auth
        .verification_uri_complete()
        .or(auth.verification_uri())
        .unwrap_or_default();
    ui.message(&format!(
        "To log in to `{}`, open this URL in any browser and confirm the code {user_code}:\n  {url}",
        session.name
    ));
    if !opts.no_browser
        && browser::unavailable_reason().is_none()
        && let Err(e) = browser::open(url)
    {
        ui.message(&format!("({e:#}; open the URL yourself)"));
    }
    // A missing interval arrives as 0; slow-down answers then set the pace.
    let mut interval = match u64::try_from(auth.interval()) {
        Ok(s) => Duration::from_secs(s).max(MIN_INTERVAL),
        Err(_) => DEFAULT_INTERVAL,
    };
    let expires_in = Duration::from_secs(u64::try_from(auth.expires_in()).unwrap_or(600));
    let deadline = tokio::time::Instant::now() + expires_in.min(opts.timeout);
    ui.spinner(&format!("Waiting for approval of code {user_code}"));
    loop {
        tokio::time::sleep(interval).await;
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("the device code expired before it was approved; run the login again");
        }
        let result = clients
            .oidc
            .create_token()
            .client_id(&registration.client_id)
            .client_secret(registration.client_secret.expose())
            .grant_type(DEVICE_CODE_GRANT)
            .device_code(device_code)
            .send()
            .await;
        match result {
            Ok(out) => return TokenGrant::from_output(&out),
            Err(e) => match e.as_service_error() {
                Some(CreateTokenError::AuthorizationPendingException(_)) => {
                    tracing::debug!("authorization pending");
                }
                Some(CreateTokenError::SlowDownException(_)) => {
                    interval += SLOW_DOWN_STEP;
                    ui.message(&format!(
                        "The server asked to slow down: polling every {}s",
                        interval.as_secs_f32()
                    ));
                }
                Some(CreateTokenError::ExpiredTokenException(_)) => anyhow::bail!(
                    "the device code expired before it was approved; run the login again"
                ),
                Some(CreateTokenError::AccessDeniedException(_)) => {
                    anyhow::bail!("the login was denied in the browser")
                }
                _ => anyhow::bail!(
                    "CreateToken at {} failed: {}",
                    clients.oidc_endpoint,
                    describe(&e)
                ),
            },
        }
    }
}
