//! `awsproxy sso logout [SESSION]`: revoke the token at the SSO portal (`Logout`)
//! and remove the session's cache file. A portal failure is reported but the
//! file is still removed: after a logout no tool should use the token.

use crate::cli::SsoLogoutArgs;
use crate::commands::Ctx;
use crate::error::ExitStatus;
use crate::sso::aws_config::AwsConfig;
use crate::sso::client::{SsoClients, describe};
use crate::sso::{lock, state, token_cache};

pub fn run(ctx: &Ctx, args: &SsoLogoutArgs) -> anyhow::Result<ExitStatus> {
    let config = ctx.config()?;
    let aws = AwsConfig::load(&ctx.paths.aws_config_file())?;
    let filter = config.file.sso.as_ref().and_then(|s| s.sessions.clone());
    let session = super::sso_login::resolve_session(
        &aws,
        &aws.selected(filter.as_deref()),
        args.session.as_deref(),
        None,
        "log out of",
    )?;
    let path = token_cache::cache_file(&ctx.paths.aws_sso_cache_dir(), &session.cache_key);
    let rt = crate::sso::runtime()?;
    let _lock = rt.block_on(lock::acquire(
        &lock::lock_path(&ctx.paths.state_dir, &session.cache_key),
        std::time::Duration::from_secs(30),
        || {
            ctx.printer
                .message("Waiting for a login or refresh of this session to finish...")
        },
    ))?;
    let token = match token_cache::read(&path) {
        Ok(Some(t)) => Some(t),
        Ok(None) => None,
        Err(e) => {
            ctx.printer.warn(&format!("{e:#}; removing it anyway"));
            None
        }
    };
    if let Some(token) = token.filter(|t| !t.is_expired(time::OffsetDateTime::now_utc())) {
        let region = token
            .region
            .clone()
            .unwrap_or_else(|| session.region.clone());
        let result = rt.block_on(async {
            let clients = SsoClients::new(&region).await;
            clients
                .portal
                .logout()
                .access_token(token.access_token.expose())
                .send()
                .await
                .map_err(|e| describe(&e))
        });
        if let Err(e) = result {
            ctx.printer.warn(&format!(
                "the SSO portal Logout failed ({e}); the cached token is removed anyway"
            ));
        }
    }
    // Forget last refresh / notifications too: the next login starts clean.
    let _ = fs_err::remove_file(state::state_file(&ctx.paths.state_dir, &session.cache_key));
    match fs_err::remove_file(&path) {
        Ok(()) => ctx.printer.message(&format!(
            "Logged out of `{}` and removed {}",
            session.name,
            path.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ctx
            .printer
            .message(&format!("`{}` was not logged in", session.name)),
        Err(e) => return Err(e.into()),
    }
    Ok(ExitStatus::Success)
}
