//! `awsproxy console`: the AWS console in a browser, signed in as a profile's
//! role, through the federation endpoint ([`crate::console`]).

use std::time::SystemTime;

use anyhow::Context as _;
use http_body_util::BodyExt as _;
use url::Url;

use super::Ctx;
use crate::cli::ConsoleArgs;
use crate::console::{self, Session, SigninToken};
use crate::creds::{CacheOptions, CredentialCache, SourceSpec};
use crate::env_vars;
use crate::error::{Error, ExitStatus, Hinted};
use crate::net::{ClientSettings, UpstreamClient};

pub fn run(ctx: &Ctx, args: &ConsoleArgs) -> anyhow::Result<ExitStatus> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(sign_in(ctx, args))
}

async fn sign_in(ctx: &Ctx, args: &ConsoleArgs) -> anyhow::Result<ExitStatus> {
    let profile = args
        .profile
        .clone()
        .or_else(|| std::env::var(env_vars::AWS_PROFILE).ok())
        .unwrap_or_else(|| "default".to_owned());
    // The profile's own region wins over the environment's: the console
    // opens where that profile works.
    let region = match (&args.region, crate::aws::profile_region(&profile).await) {
        (Some(r), _) => r.clone(),
        (None, Some(r)) => r.to_string(),
        (None, None) => crate::aws::resolve_region(None, Some(&profile))
            .await
            .to_string(),
    };
    let partition = console::partition(&region);
    let federation = match std::env::var(env_vars::AWSPROXY_FEDERATION_URL) {
        Ok(u) if !u.is_empty() => u,
        _ => partition.federation.to_owned(),
    };
    let federation =
        Url::parse(&federation).with_context(|| format!("bad federation URL `{federation}`"))?;
    let options = CacheOptions {
        log_failures: false,
        ..CacheOptions::default()
    };
    let creds = CredentialCache::new(SourceSpec::profile(Some(&profile)), options)
        .await
        .get()
        .await
        .map_err(crate::creds::CredsError::into_anyhow)?;
    let Some(session_token) = creds.session_token() else {
        return Err(Error::Usage {
            message: format!("profile `{profile}` has long-term IAM user keys; the console sign-in needs temporary credentials"),
            hint: Some("use a profile that assumes a role (`role_arn`) or an SSO profile (`sso_session`, `sso_role_name`)".to_owned()),
        }
        .into());
    };
    let session = Session {
        access_key_id: creds.access_key_id(),
        secret_access_key: creds.secret_access_key(),
        session_token,
    };
    let duration = console::session_duration(creds.expiry(), SystemTime::now());
    let token = signin_token(&federation, &session, duration).await?;
    let destination = args
        .destination
        .clone()
        .unwrap_or_else(|| console::default_destination(&region));
    let login = console::login_url(&federation, &destination, &token);
    if args.print {
        ctx.printer.data(&format!("{login}\n"))?;
        return Ok(ExitStatus::Success);
    }
    crate::sso::login::browser::open_with(args.browser.as_deref(), login.as_str()).map_err(
        |e| {
            Hinted::new(
                format!("{e}"),
                "run `awsproxy console --print` and open the URL in the browser of your choice",
            )
        },
    )?;
    ctx.printer.message(&format!(
        "awsproxy: opened the {} console as profile `{profile}` ({region}){}",
        partition.name,
        duration.map_or_else(String::new, |d| format!(
            " for {}",
            crate::sso::status::human_duration(i64::try_from(d.as_secs()).unwrap_or(0))
        ))
    ));
    Ok(ExitStatus::Success)
}

/// `getSigninToken` for `session` (the URL carries the credentials: it is
/// never logged, and errors don't repeat it).
async fn signin_token(
    federation: &Url,
    session: &Session<'_>,
    duration: Option<std::time::Duration>,
) -> anyhow::Result<String> {
    let url = console::signin_token_url(federation, session, duration)?;
    let client = UpstreamClient::new(&ClientSettings {
        proxy_from_env: true,
        ..ClientSettings::default()
    })?;
    let mut req = http::Request::new(crate::net::empty());
    *req.uri_mut() = url.as_str().parse().context("bad federation URL")?;
    let host = federation
        .host_str()
        .unwrap_or("the federation endpoint")
        .to_owned();
    let hint = || {
        format!(
            "asked {host} for a sign-in token; check the network (or `AWSPROXY_FEDERATION_URL`), then try again"
        )
    };
    let resp = client
        .send(req)
        .await
        .map_err(|e| Hinted::new(format!("cannot reach {host}: {e}"), hint()))?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| Hinted::new(format!("reading {host}'s answer: {e}"), hint()))?
        .to_bytes();
    if !status.is_success() {
        return Err(Hinted::new(
            format!("{host} refused the sign-in ({status})"),
            "the role's credentials may be expired or not allowed to federate; run `awsproxy creds export --profile P` to check them",
        )
        .into());
    }
    let token: SigninToken = serde_json::from_slice(&body)
        .map_err(|_| Hinted::new(format!("{host} answered without a SigninToken"), hint()))?;
    Ok(token.token)
}
