//! `awsproxy sso login [SESSION | --profile P]`: resolve the session, run the
//! login (see `sso::login`), report where the token went.

use std::io::IsTerminal;

use crate::cli::SsoLoginArgs;
use crate::commands::Ctx;
use crate::error::{Error, ExitStatus};
use crate::sso::aws_config::AwsConfig;
use crate::sso::login::{self, LoginOptions, LoginOutcome, Ui};
use crate::sso::status::{human_duration, names};
use crate::sso::{SsoSession, token_cache};

pub fn run(ctx: &Ctx, args: &SsoLoginArgs) -> anyhow::Result<ExitStatus> {
    let config = ctx.config()?;
    let aws = AwsConfig::load(&ctx.paths.aws_config_file())?;
    let filter = config.file.sso.as_ref().and_then(|s| s.sessions.clone());
    let session = resolve_session(
        &aws,
        &aws.selected(filter.as_deref()),
        args.session.as_deref(),
        args.profile.as_deref(),
        "log in to",
    )?;
    let opts = LoginOptions {
        use_device_code: args.use_device_code,
        no_browser: args.no_browser,
        ..LoginOptions::default()
    };
    let ui = Ui::terminal(ctx.printer);
    let outcome =
        crate::sso::runtime()?.block_on(login::login(&ctx.paths, &session, &opts, &ui))?;
    let token = outcome.token();
    let now = time::OffsetDateTime::now_utc();
    let refresh = match token.refresh_blocker(now) {
        None => "awsproxy sso watch (or serve) can refresh it".to_owned(),
        Some(why) => format!("it cannot be refreshed ({why})"),
    };
    let how = match &outcome {
        LoginOutcome::LoggedIn(_) => "Logged in to",
        LoginOutcome::UsedConcurrentLogin(_) => {
            "Another login or refresh just finished; using its token for"
        }
    };
    ctx.printer.message(&format!(
        "{how} `{}`: the token expires in {} ({}); {refresh}.\nToken cache: {}",
        session.name,
        human_duration(token.expires_in(now).whole_seconds()),
        token_cache::format_timestamp(token.expires_at),
        token_cache::cache_file(&ctx.paths.aws_sso_cache_dir(), &session.cache_key).display()
    ));
    Ok(ExitStatus::Success)
}

/// The session named on the command line, the one a profile uses, the only one
/// configured, or (on a terminal) the one the user picks.
pub(super) fn resolve_session(
    aws: &AwsConfig,
    selected: &[SsoSession],
    name: Option<&str>,
    profile: Option<&str>,
    verb: &str,
) -> anyhow::Result<SsoSession> {
    if let Some(profile) = profile {
        return aws.session_for_profile(profile).cloned().map_err(|e| {
            Error::Usage {
                message: format!("{e:#}"),
                hint: Some(
                    "the profile needs `sso_session = NAME` or `sso_start_url` and `sso_region`"
                        .into(),
                ),
            }
            .into()
        });
    }
    if let Some(name) = name {
        return aws.session(name).cloned().ok_or_else(|| {
            Error::Usage {
                message: format!("no SSO session `{name}` in {}", aws.path.display()),
                hint: Some(format!("configured sessions: {}", names(&aws.sessions))),
            }
            .into()
        });
    }
    match selected {
        [] => Err(Error::Usage {
            message: format!("no SSO sessions in {}", aws.path.display()),
            hint: Some(
                "add an `[sso-session NAME]` with `sso_start_url` and `sso_region` (see the README's SSO section)"
                    .into(),
            ),
        }
        .into()),
        [only] => Ok(only.clone()),
        several if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() => {
            let items: Vec<&str> = several.iter().map(|s| s.name.as_str()).collect();
            let picked = dialoguer::Select::new()
                .with_prompt(format!("Which SSO session do you want to {verb}?"))
                .items(&items)
                .default(0)
                .interact_opt()?;
            picked
                .map(|i| several[i].clone())
                .ok_or_else(|| Error::Interrupted.into())
        }
        several => Err(Error::Usage {
            message: format!("several SSO sessions are configured: {}", names(several)),
            hint: Some(format!("name one, as in `awsproxy sso {} {}`", if verb == "log in to" { "login" } else { "logout" }, several[0].name)),
        }
        .into()),
    }
}
