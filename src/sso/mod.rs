//! IAM Identity Center (SSO): the sessions in `~/.aws/config`, the token cache the
//! AWS CLI v2 and every SDK share (`~/.aws/sso/cache`), the login flows, and the
//! refresh loop that keeps those files fresh so no tool has to ask a human.
//!
//! This module owns `aws-sdk-ssooidc` and `aws-sdk-sso`. Its boundary:
//!
//! | module | what it does |
//! |---|---|
//! | [`aws_config`] | sessions and profiles from `~/.aws/config` (incl. legacy `sso_start_url` profiles) |
//! | [`token_cache`] | read/write `~/.aws/sso/cache/<sha1(KEY)>.json` exactly as the AWS CLI v2 |
//! | [`registration`] | cached OIDC client registrations, reused until they expire |
//! | [`client`] | SDK clients for one region, honouring `AWS_ENDPOINT_URL_SSO_OIDC` / `_SSO` |
//! | [`login`] | PKCE (loopback callback) and device-code flows |
//! | [`lock`] | one login or refresh per session at a time, across processes |
//! | [`refresh`] | the `refresh_token` grant |
//! | [`state`] | what awsproxy remembers per session (last refresh, notifications) |
//! | [`notify`] | telling a human that a login is needed |
//! | [`status`] | one [`status::SessionStatus`] per session, for `sso status` and `serve` |
//! | [`watch`] | the refresh loop (`sso watch`, also run inside `serve`) |

pub mod aws_config;
pub mod client;
pub mod lock;
pub mod login;
pub mod notify;
pub mod profiles;
pub mod refresh;
pub mod registration;
pub mod state;
pub mod status;
pub mod token_cache;
pub mod watch;

pub use aws_config::SsoSession;

/// A runtime for the `sso` commands (the commands are synchronous functions).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
