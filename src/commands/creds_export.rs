//! `awsproxy creds export`: credentials of a profile (or the default chain) as
//! credential_process JSON, shell `export` lines, or plain JSON. Secrets go to stdout
//! only; errors on stderr never contain them.

use anyhow::Context;
use serde::Serialize;

use super::Ctx;
use crate::cli::{CredsExportArgs, ExportFormat};
use crate::creds::{CacheOptions, CredentialCache, SourceSpec, rfc3339};
use crate::error::ExitStatus;
use crate::paths::Paths;
use crate::shell::quote_posix as shell_quote;
use crate::sso::aws_config::{ProfileFile, profile_names};

/// The credential_process answer (`Version` must be the integer 1).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonOutput<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: Option<&'a str>,
    expiration: Option<String>,
    account_id: Option<&'a str>,
}

pub fn run(ctx: &Ctx, args: &CredsExportArgs) -> anyhow::Result<ExitStatus> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if let Some(profile) = &args.profile {
        check_profile_exists(&ctx.paths, profile)?;
    }
    let spec = SourceSpec::profile(args.profile.as_deref());
    // The error below says all there is to say: no log line beside it.
    let options = CacheOptions {
        log_failures: false,
        ..CacheOptions::default()
    };
    let creds = rt
        .block_on(async {
            let cache = CredentialCache::new(spec, options).await;
            cache.get().await
        })
        .map_err(crate::creds::CredsError::into_anyhow)?;
    let expiration = creds.expiry().map(rfc3339);
    match args.format {
        ExportFormat::Process => ctx.printer.json(&ProcessOutput {
            version: 1,
            access_key_id: creds.access_key_id(),
            secret_access_key: creds.secret_access_key(),
            session_token: creds.session_token(),
            expiration,
        })?,
        ExportFormat::Json => ctx.printer.json(&JsonOutput {
            access_key_id: creds.access_key_id(),
            secret_access_key: creds.secret_access_key(),
            session_token: creds.session_token(),
            expiration,
            account_id: creds.account_id().map(|a| a.as_str()),
        })?,
        ExportFormat::Env => {
            let mut out = format!(
                "export AWS_ACCESS_KEY_ID={}\nexport AWS_SECRET_ACCESS_KEY={}\n",
                shell_quote(creds.access_key_id()),
                shell_quote(creds.secret_access_key())
            );
            match creds.session_token() {
                Some(t) => out.push_str(&format!("export AWS_SESSION_TOKEN={}\n", shell_quote(t))),
                None => out.push_str("unset AWS_SESSION_TOKEN\n"),
            }
            if let Some(e) = &expiration {
                out.push_str(&format!("export AWS_CREDENTIAL_EXPIRATION={e}\n"));
            }
            ctx.printer.data(&out)?;
        }
    }
    Ok(ExitStatus::Success)
}

/// A profile that neither of the AWS CLI's files defines is a usage error that
/// names both files and the profiles they do define (the SDK would only say
/// "the credential provider was not enabled").
pub(super) fn check_profile_exists(paths: &Paths, profile: &str) -> Result<(), crate::Error> {
    let config = paths.aws_config_file();
    let credentials = paths.aws_credentials_file();
    let mut known = Vec::new();
    for (path, file) in [
        (&config, ProfileFile::Config),
        (&credentials, ProfileFile::Credentials),
    ] {
        // An unreadable file is the SDK's to report; a missing one defines nothing.
        if let Ok(text) = fs_err::read_to_string(path) {
            known.extend(profile_names(&text, file));
        }
    }
    if known.iter().any(|p| p == profile) {
        return Ok(());
    }
    known.sort();
    known.dedup();
    let hint = if known.is_empty() {
        format!(
            "no profiles are defined there; add one with `aws configure sso --profile {profile}` or `aws configure --profile {profile}`"
        )
    } else {
        format!("profiles defined there: {}", known.join(", "))
    };
    Err(crate::Error::Usage {
        message: format!(
            "profile `{profile}` is not in {} or {}",
            config.display(),
            credentials.display()
        ),
        hint: Some(hint),
    })
}
