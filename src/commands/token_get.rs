//! `awsproxy token get`: print a CodeArtifact authorization token (only the token
//! on stdout, or `--json`), from the cache when it has more than 15 minutes left.

use crate::aws::{self, SdkOptions};
use serde::Serialize;

use super::Ctx;
use crate::cli::TokenGetArgs;
use crate::codeartifact::{self, TokenCache, TokenKey};
use crate::config::CodeArtifactMount;
use crate::error::{Error, ExitStatus};

#[derive(Serialize)]
struct TokenJson<'a> {
    token: &'a str,
    expiration: String,
    domain: &'a str,
    owner: &'a str,
    region: &'a str,
}

/// Domain, owner, region and profile from the flags or a repository mount.
struct Target {
    domain: String,
    owner: String,
    region: Option<String>,
    profile: Option<String>,
}

fn target(ctx: &Ctx, args: &TokenGetArgs) -> anyhow::Result<Target> {
    let config = ctx.config()?;
    if let Some(wanted) = &args.repo {
        let mounts = config
            .file
            .repos
            .as_ref()
            .map(|r| r.codeartifact_mounts())
            .unwrap_or_default();
        let mount = pick_mount(&mounts, wanted).map_err(|message| Error::Usage {
            message: format!("{message} in {}", config.source),
            hint: Some(if mounts.is_empty() {
                "add a `[[repos.pypi]]`, `[[repos.npm]]` or `[[repos.cargo]]` mount to the configuration, or pass --domain and --domain-owner".to_owned()
            } else {
                format!(
                    "configured: {}",
                    mounts
                        .iter()
                        .map(|m| format!("{}:{}", m.format, m.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
        })?;
        return Ok(Target {
            domain: mount.domain.clone(),
            owner: mount.domain_owner.clone(),
            region: args.region.clone().or_else(|| mount.region.clone()),
            profile: args.profile.clone().or_else(|| mount.profile.clone()),
        });
    }
    // clap guarantees both flags when --repo is absent.
    Ok(Target {
        domain: args.domain.clone().unwrap_or_default(),
        owner: args.domain_owner.clone().unwrap_or_default(),
        region: args.region.clone(),
        profile: args.profile.clone(),
    })
}

/// The mount `wanted` names: `NAME`, or `FORMAT:NAME` when mounts of two
/// formats share a name and reach different domains.
fn pick_mount<'a>(
    mounts: &'a [CodeArtifactMount],
    wanted: &str,
) -> Result<&'a CodeArtifactMount, String> {
    let (format, name) = match wanted.split_once(':') {
        Some((f, n)) => (Some(f), n),
        None => (None, wanted),
    };
    let found: Vec<_> = mounts
        .iter()
        .filter(|m| m.name == name && format.is_none_or(|f| f == m.format))
        .collect();
    let Some(first) = found.first() else {
        return Err(format!("no repository mount named `{wanted}`"));
    };
    let same_token = |m: &&CodeArtifactMount| {
        (&m.domain, &m.domain_owner, &m.region, &m.profile)
            == (
                &first.domain,
                &first.domain_owner,
                &first.region,
                &first.profile,
            )
    };
    if found.iter().all(same_token) {
        Ok(first)
    } else {
        Err(format!(
            "`{wanted}` names mounts of several formats with different domains (say which: {})",
            found
                .iter()
                .map(|m| format!("{}:{}", m.format, m.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// Names the credentials without resolving them (a cache hit makes no network call).
fn identity(profile: Option<&str>) -> String {
    match (
        profile,
        std::env::var(crate::env_vars::AWS_ACCESS_KEY_ID)
            .ok()
            .filter(|k| !k.is_empty()),
    ) {
        (Some(p), _) => format!("profile:{p}"),
        (None, Some(key)) => format!("key:{key}"),
        (None, None) => format!(
            "profile:{}",
            std::env::var(crate::env_vars::AWS_PROFILE).unwrap_or_else(|_| "default".into())
        ),
    }
}

pub fn run(ctx: &Ctx, args: &TokenGetArgs) -> anyhow::Result<ExitStatus> {
    let target = target(ctx, args)?;
    if target.owner.len() != 12 || !target.owner.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Usage {
            message: format!(
                "--domain-owner `{}` is not a 12-digit AWS account id",
                target.owner
            ),
            hint: None,
        }
        .into());
    }
    if let Some(seconds) = args.duration {
        codeartifact::check_duration(seconds)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let token = runtime.block_on(async {
        let sdk = aws::sdk_config(&SdkOptions {
            region: target.region.clone(),
            profile: target.profile.clone(),
            ..SdkOptions::default()
        })
        .await;
        let region = sdk.region().map_or_else(|| aws::FALLBACK_REGION.to_owned(), ToString::to_string);
        let key = TokenKey { domain: target.domain.clone(), owner: target.owner.clone(), region, identity: identity(target.profile.as_deref()) };
        let (token, cached) = codeartifact::get(&TokenCache::new(&ctx.paths.cache_dir), &sdk, &key, args.duration).await?;
        tracing::debug!(domain = %key.domain, cached, expiration = %token.expiration, "CodeArtifact token");
        anyhow::Ok(token)
    })?;
    if args.json {
        let expiration = token
            .expiration
            .format(&time::format_description::well_known::Rfc3339)?;
        ctx.printer.json(&TokenJson {
            token: token.token.expose(),
            expiration,
            domain: &token.domain,
            owner: &token.owner,
            region: &token.region,
        })?;
    } else {
        ctx.printer.data(token.token.expose())?;
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(format: &'static str, name: &str, domain: &str) -> CodeArtifactMount {
        CodeArtifactMount {
            format,
            name: name.to_owned(),
            domain: domain.to_owned(),
            domain_owner: "123456789012".to_owned(),
            region: None,
            repository: "r".to_owned(),
            profile: None,
        }
    }

    #[test]
    fn a_mount_is_named_alone_or_with_its_format() {
        let mounts = [
            mount("pypi", "internal", "a"),
            mount("npm", "internal", "a"),
            mount("npm", "web", "b"),
            mount("cargo", "web", "c"),
        ];
        assert_eq!(pick_mount(&mounts, "internal").unwrap().format, "pypi");
        assert_eq!(pick_mount(&mounts, "npm:web").unwrap().domain, "b");
        assert_eq!(pick_mount(&mounts, "cargo:web").unwrap().domain, "c");
        let ambiguous = pick_mount(&mounts, "web").unwrap_err();
        assert!(ambiguous.contains("npm:web, cargo:web"), "{ambiguous}");
        assert!(pick_mount(&mounts, "nope").is_err());
        assert!(pick_mount(&mounts, "maven:internal").is_err());
    }
}
