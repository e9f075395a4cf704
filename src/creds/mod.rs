//! The credentials core: every part of awsproxy that needs AWS credentials (the ECS
//! endpoint, `creds export`, CodeArtifact tokens, S3 stores and mounts) gets them here.
//!
//! A [`SourceSpec`] says where credentials come from: the default chain, a named
//! profile (SSO, `credential_process`, `source_profile`/`role_arn` chains, all through
//! aws-config), or static keys, optionally with an assume-role on top (aws-sdk-sts).
//! A [`CredentialCache`] holds the current credentials of one source in memory,
//! refreshes them ahead of expiry from one background task, and makes concurrent
//! callers share one upstream call. It implements `ProvideCredentials`, so SDK clients
//! built by [`crate::aws::sdk_config`] pick up a fresh `sso login` without a restart.
//!
//! Services get their cache from a [`CredsRegistry`] (one cache per distinct source)
//! and hand [`CredentialCache::provider`] to [`crate::aws::SdkOptions::credentials`].
//!
//! Nothing here waits on a human: an SSO session that needs a login is reported at
//! once as [`CredsError::LoginRequired`].

mod assume;
mod cache;
mod registry;
mod source;

use std::time::{Duration, SystemTime};

pub use cache::{CacheOptions, CredentialCache, SourceMetrics};
pub use registry::CredsRegistry;
pub use source::{AssumeRoleSpec, BaseSource, SourceSpec};

/// Why a source could not give credentials. Messages never contain secrets; they
/// name the source (`client app`, `profile dev`) so the log says what was tried.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CredsError {
    /// The source is an SSO profile whose session needs `sso login`.
    #[error("{name}: the SSO session needs a new login ({detail})")]
    LoginRequired {
        name: String,
        /// The profile whose session expired, for the hint.
        profile: Option<String>,
        detail: String,
    },
    /// The source failed (AWS error, bad profile, network).
    #[error("{name}: could not get credentials: {detail}")]
    Unavailable { name: String, detail: String },
    /// The source did not answer in time.
    #[error("{name}: no credentials within {}s", .after.as_secs())]
    Timeout { name: String, after: Duration },
}

impl CredsError {
    /// A stable code for HTTP error bodies, logs and metric labels.
    pub fn code(&self) -> &'static str {
        match self {
            CredsError::LoginRequired { .. } => "login_required",
            CredsError::Unavailable { .. } => "source_unavailable",
            CredsError::Timeout { .. } => "source_timeout",
        }
    }

    /// The library-wide error this maps to for commands (exit code 3 for a login).
    pub fn into_anyhow(self) -> anyhow::Error {
        match &self {
            CredsError::LoginRequired { profile, name, .. } => {
                // `profile NAME` makes the hint `sso login --profile NAME`.
                let session = profile
                    .as_ref()
                    .map_or_else(|| name.clone(), |p| format!("profile {p}"));
                anyhow::Error::new(crate::Error::LoginRequired { session })
                    .context(self.to_string())
            }
            _ => anyhow::Error::new(self),
        }
    }
}

/// Time left until `expiry` (zero when past); `None` for credentials that never expire.
pub fn remaining(expiry: Option<SystemTime>, now: SystemTime) -> Option<Duration> {
    expiry.map(|e| e.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `2026-01-02T03:04:05Z`: RFC 3339 in UTC, whole seconds, as STS and the ECS agent write it.
pub fn rfc3339(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    t.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_utc_whole_seconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_999);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn login_required_maps_to_exit_code_3() {
        let e = CredsError::LoginRequired {
            name: "profile dev".into(),
            profile: Some("dev".into()),
            detail: "token expired".into(),
        };
        assert_eq!(e.code(), "login_required");
        let err = e.into_anyhow();
        assert_eq!(
            crate::error::exit_status_of(&err),
            crate::ExitStatus::LoginRequired
        );
        let mut report = Vec::new();
        crate::error::report(&err, &mut report);
        let report = String::from_utf8(report).unwrap();
        assert!(
            report.contains("hint: run `awsproxy sso login --profile dev`"),
            "the profile's session, not a session named like the profile: {report}"
        );
    }
}
