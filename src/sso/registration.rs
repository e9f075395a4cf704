//! OIDC client registrations (`RegisterClient`), cached in their own file next to
//! the tokens (as the AWS CLI does) and reused until they expire, so repeated
//! logins don't register a new client every time.
//!
//! PKCE and device-code registrations differ (grant types, redirect URI), so each
//! flow has its own file: `<sha1_hex({"flow","region","scopes","session","startUrl","tool"})>.json`
//! holding `clientId`, `clientSecret`, `expiresAt`, `scopes`, `grantTypes`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::json;
use time::OffsetDateTime;

use super::SsoSession;
use super::client::{SsoClients, describe};
use super::token_cache::{cache_file, format_timestamp, parse_timestamp};
use crate::fsutil::{self, Mode};
use crate::secret::Secret;

/// The loopback redirect URI registered for PKCE (any port is allowed on loopback).
pub const REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";

/// A registration this close to expiry is replaced rather than reused.
const MIN_REMAINING: time::Duration = time::Duration::minutes(15);

/// Which login flow a registration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Pkce,
    DeviceCode,
}

impl Flow {
    fn as_str(self) -> &'static str {
        match self {
            Flow::Pkce => "pkce",
            Flow::DeviceCode => "device-code",
        }
    }
}

/// A registered public client.
#[derive(Debug, Clone)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: Secret,
    pub expires_at: OffsetDateTime,
}

/// The file a session's registration for `flow` is cached in.
pub fn registration_file(cache_dir: &Path, session: &SsoSession, flow: Flow) -> PathBuf {
    let key = json!({
        "tool": "awsproxy",
        "flow": flow.as_str(),
        "startUrl": session.start_url,
        "region": session.region,
        "scopes": session.scopes,
        "session": session.cache_key,
    });
    cache_file(cache_dir, &key.to_string())
}

fn read_cached(path: &Path) -> Option<Registration> {
    let bytes = fs_err::read(path).ok()?;
    let v: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(path = %path.display(), "ignoring unreadable client registration: {e}");
            return None;
        }
    };
    Some(Registration {
        client_id: v.get("clientId")?.as_str()?.to_owned(),
        client_secret: Secret::new(v.get("clientSecret")?.as_str()?),
        expires_at: parse_timestamp(v.get("expiresAt")?.as_str()?).ok()?,
    })
}

/// A usable registration: the cached one while it has time left, else a new one.
pub async fn obtain(
    clients: &SsoClients,
    cache_dir: &Path,
    session: &SsoSession,
    flow: Flow,
) -> anyhow::Result<Registration> {
    let path = registration_file(cache_dir, session, flow);
    let now = OffsetDateTime::now_utc();
    if let Some(cached) = read_cached(&path)
        && cached.expires_at - now > MIN_REMAINING
    {
        tracing::debug!(path = %path.display(), "reusing the cached client registration");
        return Ok(cached);
    }
    let grant_types: Vec<String> = match flow {
        Flow::Pkce => vec!["authorization_code".into(), "refresh_token".into()],
        Flow::DeviceCode => Vec::new(),
    };
    let mut request = clients
        .oidc
        .register_client()
        .client_name(format!("awsproxy-{}", client_name_suffix(session)))
        .client_type("public")
        .set_scopes((!session.scopes.is_empty()).then(|| session.scopes.clone()));
    if flow == Flow::Pkce {
        request = request
            .set_grant_types(Some(grant_types.clone()))
            .redirect_uris(REDIRECT_URI)
            .issuer_url(&session.start_url);
    }
    let out = request.send().await.map_err(|e| {
        anyhow::anyhow!(
            "RegisterClient at IAM Identity Center OIDC ({}) failed: {}",
            clients.oidc_endpoint,
            describe(&e)
        )
    })?;
    let registration = Registration {
        client_id: out
            .client_id()
            .context("RegisterClient returned no clientId")?
            .to_owned(),
        client_secret: Secret::new(
            out.client_secret()
                .context("RegisterClient returned no clientSecret")?,
        ),
        expires_at: OffsetDateTime::from_unix_timestamp(out.client_secret_expires_at())
            .context("RegisterClient returned an invalid clientSecretExpiresAt")?,
    };
    let file = json!({
        "clientId": registration.client_id,
        "clientSecret": registration.client_secret.expose(),
        "expiresAt": format_timestamp(registration.expires_at),
        "scopes": session.scopes,
        "grantTypes": grant_types,
    });
    fsutil::atomic_write(&path, file.to_string().as_bytes(), Mode::Secret)?;
    Ok(registration)
}

/// Session names may contain anything; client names are kept to a safe alphabet.
fn client_name_suffix(session: &SsoSession) -> String {
    session
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
