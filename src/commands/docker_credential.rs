//! `awsproxy docker-credential ACTION` (run by Docker, skopeo and podman as
//! `docker-credential-awsproxy ACTION`): the credential-helper protocol for
//! ECR registries.
//!
//! | action | stdin | stdout |
//! |---|---|---|
//! | `get` | the server URL | `{"ServerURL", "Username": "AWS", "Secret"}` |
//! | `list` | — | `{"HOST": "AWS", …}` for the configured registries |
//! | `store`, `erase` | JSON (ignored) | refused, exit 2 |
//!
//! A failure prints one line on stdout (Docker quotes it in its own error)
//! and the full `error:`/`hint:` report on stderr (Docker passes it through).
//! A host that is not an ECR registry gets `credentials not found in native
//! keychain`, the protocol's "no entry", so the client goes on anonymously.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use time::OffsetDateTime;

use super::Ctx;
use crate::aws::{self, SdkOptions};
use crate::cli::{DockerCredentialAction, DockerCredentialArgs};
use crate::config::DockerSection;
use crate::creds::{CacheOptions, CredentialCache};
use crate::ecr::source::{self, AwsFiles};
use crate::ecr::{self, RegistryKind, TokenCache, TokenKey};
use crate::error::{Error, ExitStatus};

/// The protocol's answer for "no credentials for this server".
const NOT_FOUND: &str = "credentials not found in native keychain";

/// A server URL is a line; anything longer is not one.
const MAX_INPUT: u64 = 4096;

#[derive(Serialize)]
struct Credentials<'a> {
    #[serde(rename = "ServerURL")]
    server_url: &'a str,
    #[serde(rename = "Username")]
    username: &'a str,
    #[serde(rename = "Secret")]
    secret: &'a str,
}

pub fn run(ctx: &Ctx, args: &DockerCredentialArgs) -> anyhow::Result<ExitStatus> {
    let result = match args.action {
        DockerCredentialAction::Get => get(ctx),
        DockerCredentialAction::List => list(ctx),
        DockerCredentialAction::Version => {
            ctx.printer.data(&format!(
                "{} (awsproxy {})",
                crate::cli::DOCKER_HELPER_NAME,
                env!("CARGO_PKG_VERSION")
            ))?;
            Ok(ExitStatus::Success)
        }
        DockerCredentialAction::Store | DockerCredentialAction::Erase => {
            // The client writes its JSON before reading our answer.
            let _ = read_stdin();
            Err(Error::Usage {
                message: format!(
                    "{} does not {} credentials: ECR tokens are fetched when needed, never stored",
                    crate::cli::DOCKER_HELPER_NAME,
                    if args.action == DockerCredentialAction::Store {
                        "store"
                    } else {
                        "erase"
                    }
                ),
                hint: Some(
                    "there is no need to `docker login` to an ECR registry set up with `awsproxy setup docker`; `docker logout` has nothing to remove"
                        .to_owned(),
                ),
            }
            .into())
        }
    };
    result.inspect_err(|err| {
        // Docker quotes stdout in its own message; stderr gets the full report.
        let mut report = Vec::new();
        crate::error::report(err, &mut report);
        let line = String::from_utf8_lossy(&report)
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        let _ = ctx.printer.data(&line);
    })
}

fn read_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_INPUT)
        .read_to_string(&mut text)
        .context("cannot read the server URL from stdin")?;
    Ok(text)
}

fn list(ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let docker = ctx.config()?.file.docker.unwrap_or_default();
    let map: BTreeMap<&str, &str> = docker
        .registry
        .iter()
        .map(|r| (r.host.as_str(), ecr::USERNAME))
        .collect();
    ctx.printer.json(&map)?;
    Ok(ExitStatus::Success)
}

/// The registry `host` is, from its name or its `[[docker.registry]]` entry.
fn registry_kind(docker: &DockerSection, host: &str) -> Option<RegistryKind> {
    ecr::classify(host).or_else(|| {
        let region = docker.registry(host)?.region.clone()?;
        Some(RegistryKind::Private {
            account: String::new(),
            region,
            fips: false,
        })
    })
}

fn get(ctx: &Ctx) -> anyhow::Result<ExitStatus> {
    let input = read_stdin()?;
    let host = ecr::parse_server_url(&input).map_err(|e| Error::Usage {
        message: e.to_string(),
        hint: Some(
            "the client passes the registry's server URL on stdin, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com` or `https://public.ecr.aws`"
                .to_owned(),
        ),
    })?;
    let docker = ctx.config()?.file.docker.unwrap_or_default();
    let Some(kind) = registry_kind(&docker, &host) else {
        tracing::info!(%host, "not an ECR registry and not in [[docker.registry]]: no credentials");
        ctx.printer.data(NOT_FOUND)?;
        return Ok(ExitStatus::Failure);
    };
    let configured = docker
        .registry(&host)
        .and_then(|r| r.profile.clone())
        .or_else(|| docker.profile.clone());
    let var = |name: &str| std::env::var(name).ok();
    let choice = source::choose(
        &host,
        configured.as_deref(),
        &var,
        &AwsFiles::new(&ctx.paths),
        source::on_ec2(Path::new("/"), &var),
    )?;
    if let Some(profile) = &choice.profile {
        super::creds_export::check_profile_exists(&ctx.paths, profile)?;
    }
    let key = TokenKey {
        host: host.clone(),
        identity: choice.identity.clone(),
    };
    let cache = TokenCache::new(&ctx.paths.cache_dir);
    let token = match cache.get(&key, OffsetDateTime::now_utc()) {
        Some(token) => {
            tracing::debug!(%host, identity = %key.identity, "ECR token from the cache");
            token
        }
        None => {
            let token = fetch(choice.spec, &host, &kind)?;
            if token.usable_at(OffsetDateTime::now_utc()) {
                cache
                    .put(&key, &token)
                    .context("cannot cache the ECR token")?;
            } else {
                tracing::warn!(%host, expires_at = %token.expires_at, "ECR issued a token that is about to expire; not cached");
            }
            token
        }
    };
    ctx.printer.json(&Credentials {
        server_url: input.trim(),
        username: ecr::USERNAME,
        secret: token.password.expose(),
    })?;
    Ok(ExitStatus::Success)
}

/// Credentials from the core (SSO, credential_process, role chains), then the token.
fn fetch(
    spec: crate::creds::SourceSpec,
    host: &str,
    kind: &RegistryKind,
) -> anyhow::Result<ecr::Token> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let options = CacheOptions {
            log_failures: false,
            ..CacheOptions::default()
        };
        let creds = CredentialCache::new(spec, options).await;
        creds
            .get()
            .await
            .map_err(crate::creds::CredsError::into_anyhow)?;
        let sdk = aws::sdk_config(&SdkOptions {
            region: Some(kind.region().to_owned()),
            credentials: Some(creds.provider()),
            ..SdkOptions::default()
        })
        .await;
        ecr::fetch(&sdk, host, kind).await
    })
}
