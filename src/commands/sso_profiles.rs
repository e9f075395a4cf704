//! `awsproxy sso profiles`: every account and role an SSO session can reach
//! (the portal's `ListAccounts` and `ListAccountRoles`, all pages), as a
//! table or JSON, and with `--write` as `[profile …]` sections in a marked
//! block of `~/.aws/config` that a later run replaces and nothing else
//! touches ([`crate::sso::profiles`], [`crate::setup::block`]).

use std::collections::BTreeSet;

use anyhow::Context as _;
use time::OffsetDateTime;

use super::Ctx;
use crate::cli::SsoProfilesArgs;
use crate::error::{Error, ExitStatus, Hinted};
use crate::fsutil::{self, Mode};
use crate::setup::block::{self, Comment};
use crate::sso::aws_config::{AwsConfig, ProfileFile, SsoSession, profile_names};
use crate::sso::client::{SsoClients, describe};
use crate::sso::profiles::{self, Assignment, Generated};
use crate::sso::token_cache;

pub fn run(ctx: &Ctx, args: &SsoProfilesArgs) -> anyhow::Result<ExitStatus> {
    profiles::check_template(&args.template).map_err(|e| Error::Usage {
        message: format!("--template: {e}"),
        hint: Some(format!("the default is `{}`", profiles::DEFAULT_TEMPLATE)),
    })?;
    let path = ctx.paths.aws_config_file();
    let config = AwsConfig::load(&path)?;
    let session = pick(&config, args.session.as_deref())?;
    let rt = crate::sso::runtime()?;
    let assignments = rt.block_on(list(ctx, &session))?;

    let text = match fs_err::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).context("cannot read the AWS config file"),
    };
    let current = text.as_deref().unwrap_or("");
    let found = block::find(current, Comment::Hash).map_err(|e| Error::Usage {
        message: format!("{}: {e}", path.display()),
        hint: Some("remove the extra `# >>> awsproxy >>>` / `# <<< awsproxy <<<` lines by hand, then run again".to_owned()),
    })?;
    // The user's own profiles keep their names; ours may be renamed freely.
    let ours: BTreeSet<String> = found
        .as_ref()
        .map(|f| {
            profile_names(f.body, ProfileFile::Config)
                .into_iter()
                .collect()
        })
        .unwrap_or_default();
    let taken: BTreeSet<String> = profile_names(current, ProfileFile::Config)
        .into_iter()
        .filter(|n| !ours.contains(n))
        .collect();
    let generated = profiles::name_all(
        &assignments,
        &args.template,
        &args.prefix,
        &session.name,
        &taken,
    );

    if !args.write {
        print(ctx, args, &generated)?;
        return Ok(ExitStatus::Success);
    }
    let region = args
        .region
        .clone()
        .unwrap_or_else(|| session.region.clone());
    let body = profiles::block_body(&generated, &session.name, &region);
    let new = match &found {
        Some(f) => block::replace(current, f, &body),
        None => block::insert(
            current,
            current.len(),
            &body,
            Comment::Hash,
            "",
            text.is_none(),
        ),
    };
    if args.dry_run {
        let shown = path.display().to_string();
        ctx.printer.data(&crate::setup::diff::unified(
            &shown,
            text.as_deref(),
            Some(&new),
        ))?;
        return Ok(ExitStatus::Success);
    }
    if text.as_deref() == Some(new.as_str()) {
        ctx.printer.message(&format!(
            "awsproxy: {} is up to date ({} profiles)",
            path.display(),
            generated.len()
        ));
        return Ok(ExitStatus::Success);
    }
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir)?;
    }
    fsutil::atomic_write(&path, new.as_bytes(), Mode::Secret)?;
    ctx.printer.message(&format!(
        "awsproxy: wrote {} profiles for session `{}` to {} (between the awsproxy markers)",
        generated.len(),
        session.name,
        path.display()
    ));
    Ok(ExitStatus::Success)
}

/// The session asked for, or the only one there is.
fn pick(config: &AwsConfig, name: Option<&str>) -> anyhow::Result<SsoSession> {
    let names = || crate::sso::status::names(&config.sessions);
    match name {
        Some(n) => config.sessions.iter().find(|s| s.matches(n)).cloned().ok_or_else(|| {
            Error::Usage {
                message: format!("no SSO session `{n}` in the AWS config file"),
                hint: Some(format!("sessions: {}", names())),
            }
            .into()
        }),
        None => match config.sessions.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(Error::Usage {
                message: "no SSO session in the AWS config file".to_owned(),
                hint: Some("add one with `aws configure sso` (an `[sso-session NAME]` section), then `awsproxy sso login NAME`".to_owned()),
            }
            .into()),
            _ => Err(Error::Usage {
                message: "several SSO sessions: name one".to_owned(),
                hint: Some(format!("`awsproxy sso profiles SESSION`; sessions: {}", names())),
            }
            .into()),
        },
    }
}

/// Every account and role of the session, accounts by name.
async fn list(ctx: &Ctx, session: &SsoSession) -> anyhow::Result<Vec<Assignment>> {
    let file = token_cache::cache_file(&ctx.paths.aws_sso_cache_dir(), &session.cache_key);
    let token = match token_cache::read(&file)? {
        Some(t) if !t.is_expired(OffsetDateTime::now_utc()) => t,
        _ => {
            return Err(Error::LoginRequired {
                session: session.name.clone(),
            }
            .into());
        }
    };
    let clients = SsoClients::new(&session.region).await;
    let access = token.access_token.expose().to_owned();
    let failed = |what: &str, e: String| {
        Hinted::new(
            format!("{what} for session `{}` failed: {e}", session.name),
            format!(
                "check the session with `awsproxy sso status`; if it says expired, run `{}`",
                session.login_command()
            ),
        )
    };
    let mut accounts = Vec::new();
    let mut pages = clients
        .portal
        .list_accounts()
        .access_token(&access)
        .into_paginator()
        .items()
        .send();
    while let Some(account) = pages.next().await {
        let account = account.map_err(|e| failed("ListAccounts", describe(&e)))?;
        accounts.push((
            account.account_id().unwrap_or_default().to_owned(),
            account.account_name().unwrap_or_default().to_owned(),
        ));
    }
    accounts.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut all = Vec::new();
    for (id, name) in accounts {
        let mut roles = Vec::new();
        let mut pages = clients
            .portal
            .list_account_roles()
            .access_token(&access)
            .account_id(&id)
            .into_paginator()
            .items()
            .send();
        while let Some(role) = pages.next().await {
            let role = role.map_err(|e| failed("ListAccountRoles", describe(&e)))?;
            roles.push(role.role_name().unwrap_or_default().to_owned());
        }
        roles.sort();
        all.extend(roles.into_iter().map(|role_name| Assignment {
            account_id: id.clone(),
            account_name: name.clone(),
            role_name,
        }));
    }
    Ok(all)
}

fn print(ctx: &Ctx, args: &SsoProfilesArgs, generated: &[Generated]) -> anyhow::Result<()> {
    if args.json {
        return ctx.printer.json(&generated);
    }
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(["Account", "Name", "Role", "Profile"]);
    for g in generated {
        table.add_row([
            g.assignment.account_id.clone(),
            g.assignment.account_name.clone(),
            g.assignment.role_name.clone(),
            g.profile.clone(),
        ]);
    }
    ctx.printer.data(&format!("{table}\n"))?;
    Ok(())
}
