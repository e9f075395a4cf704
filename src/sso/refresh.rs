//! The `refresh_token` grant: an unsigned `CreateToken` with the cached client
//! registration. A response without a new refresh token keeps the old one (the
//! service may or may not rotate). [`refresh_session`] does it for one session's
//! cache file under the session lock, re-reading the file first because another
//! tool (the AWS CLI, botocore, a second awsproxy) may have refreshed it already.

use std::path::Path;

use aws_sdk_ssooidc::operation::create_token::CreateTokenError;
use time::OffsetDateTime;

use super::client::{SsoClients, describe};
use super::state::SessionState;
use super::token_cache::{self, CachedToken, format_timestamp};
use super::{SsoSession, lock};
use crate::secret::Secret;

/// Why a refresh failed.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Only a new login helps (no refresh token, registration expired, grant refused).
    #[error("cannot refresh: {0}")]
    NeedsLogin(String),
    /// May work later (network, throttling, server errors).
    #[error("refresh failed: {0}")]
    Transient(String),
    /// The cache file is malformed; it is left as it is.
    #[error(transparent)]
    Unreadable(anyhow::Error),
}

/// Refreshes `token` with its refresh token and returns the new token (not written).
pub async fn refresh_token(
    clients: &SsoClients,
    token: &CachedToken,
    now: OffsetDateTime,
) -> Result<CachedToken, RefreshError> {
    if let Some(why) = token.refresh_blocker(now) {
        return Err(RefreshError::NeedsLogin(why.to_owned()));
    }
    let (Some(client_id), Some(secret), Some(refresh)) =
        (&token.client_id, &token.client_secret, &token.refresh_token)
    else {
        return Err(RefreshError::NeedsLogin("incomplete token".into()));
    };
    let out = clients
        .oidc
        .create_token()
        .client_id(client_id)
        .client_secret(secret.expose())
        .grant_type("refresh_token")
        .refresh_token(refresh.expose())
        .send()
        .await
        .map_err(|e| {
            let text = describe(&e);
            match e.as_service_error() {
                Some(
                    CreateTokenError::InvalidGrantException(_)
                    | CreateTokenError::InvalidClientException(_)
                    | CreateTokenError::UnauthorizedClientException(_)
                    | CreateTokenError::AccessDeniedException(_)
                    | CreateTokenError::ExpiredTokenException(_)
                    | CreateTokenError::InvalidRequestException(_)
                    | CreateTokenError::InvalidScopeException(_),
                ) => RefreshError::NeedsLogin(format!(
                    "the refresh token was refused: {}",
                    oidc_description(e.as_service_error()).unwrap_or(&text)
                )),
                _ => RefreshError::Transient(format!(
                    "CreateToken at {} failed: {text}",
                    clients.oidc_endpoint
                )),
            }
        })?;
    let access = out
        .access_token()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| RefreshError::Transient("CreateToken returned no accessToken".into()))?;
    let mut new = token.clone();
    new.access_token = Secret::new(access);
    new.expires_at =
        OffsetDateTime::now_utc() + time::Duration::seconds(i64::from(out.expires_in()));
    if let Some(rotated) = out.refresh_token().filter(|t| !t.is_empty()) {
        new.refresh_token = Some(Secret::new(rotated));
    }
    Ok(new)
}

/// What [`refresh_session`] did.
#[derive(Debug)]
pub enum RefreshOutcome {
    /// Refreshed and written.
    Refreshed(CachedToken),
    /// Someone else refreshed it meanwhile; nothing to do.
    AlreadyFresh(CachedToken),
    /// A login or refresh holds the session lock; try again later.
    Busy,
}

/// Refreshes a session's cache file when less than `ahead` is left.
pub async fn refresh_session(
    cache_dir: &Path,
    state_dir: &Path,
    session: &SsoSession,
    ahead: time::Duration,
) -> Result<RefreshOutcome, RefreshError> {
    let Some(_lock) = lock::try_acquire(&lock::lock_path(state_dir, &session.cache_key))
        .map_err(|e| RefreshError::Transient(format!("{e:#}")))?
    else {
        return Ok(RefreshOutcome::Busy);
    };
    let path = token_cache::cache_file(cache_dir, &session.cache_key);
    let token = match token_cache::read(&path) {
        Ok(Some(t)) => t,
        Ok(None) => return Err(RefreshError::NeedsLogin("not logged in".into())),
        Err(e) => return Err(RefreshError::Unreadable(e)),
    };
    let now = OffsetDateTime::now_utc();
    if token.expires_in(now) > ahead {
        return Ok(RefreshOutcome::AlreadyFresh(token));
    }
    let result = match token.refresh_blocker(now) {
        Some(why) => Err(RefreshError::NeedsLogin(why.to_owned())),
        None => {
            let region = token.region.as_deref().unwrap_or(&session.region);
            refresh_token(&SsoClients::new(region).await, &token, now).await
        }
    };
    match &result {
        Ok(new) => {
            token_cache::write(&path, new)
                .map_err(|e| RefreshError::Transient(format!("{e:#}")))?;
            SessionState::update(state_dir, &session.cache_key, |s| {
                s.last_refresh = Some(format_timestamp(OffsetDateTime::now_utc()));
                s.last_error = None;
            });
        }
        Err(e) => {
            let text = e.to_string();
            SessionState::update(state_dir, &session.cache_key, |s| s.last_error = Some(text));
        }
    }
    result.map(RefreshOutcome::Refreshed)
}

/// The OAuth `error_description` of an OIDC error, where the service puts its message.
fn oidc_description(e: Option<&CreateTokenError>) -> Option<&str> {
    match e? {
        CreateTokenError::InvalidGrantException(e) => e.error_description(),
        CreateTokenError::InvalidClientException(e) => e.error_description(),
        CreateTokenError::UnauthorizedClientException(e) => e.error_description(),
        CreateTokenError::AccessDeniedException(e) => e.error_description(),
        CreateTokenError::ExpiredTokenException(e) => e.error_description(),
        CreateTokenError::InvalidRequestException(e) => e.error_description(),
        CreateTokenError::InvalidScopeException(e) => e.error_description(),
        _ => None,
    }
}
