//! `awsproxy exec [--profile P] [--env] -- CMD…`: run a command with AWS
//! credentials that stay fresh for as long as it runs.
//!
//! By default the child gets a private ECS credentials endpoint of its own
//! (127.0.0.1, a port and a random token made for this run, gone when the
//! child exits) through `AWS_CONTAINER_CREDENTIALS_FULL_URI` and
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`, never long-lived keys. The SDKs'
//! chains try environment keys, `AWS_PROFILE` and a `[default]` with
//! credentials before the container provider, so those are taken out of the
//! child's view (saying so on stderr). `--env` exports the current
//! credentials instead, with `AWS_CREDENTIAL_EXPIRATION`.

use std::net::SocketAddr;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use super::Ctx;
use crate::cli::ExecArgs;
use crate::config::values::{ListenAddr, SecretValue};
use crate::config::{CredsClient, CredsSection};
use crate::daemon::host::HostPolicy;
use crate::daemon::{self, BoundListener};
use crate::env_vars;
use crate::error::{Error, ExitStatus, Hinted};
use crate::metrics::Metrics;
use crate::secret::Secret;
use crate::services::creds_endpoint::CredsService;
use crate::sso::aws_config::{ProfileFile, profile_names};

/// Set in the child: a nested `exec` is refused.
const NESTED: &str = "AWSPROXY_EXEC";

/// Variables that would win over the child's endpoint in an SDK's chain.
const COMPETING: [&str; 10] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// Keys of a config-file profile that give it credentials of its own.
const CREDENTIAL_KEYS: [&str; 9] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "credential_process",
    "credential_source",
    "role_arn",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
];

pub fn run(ctx: &Ctx, args: &ExecArgs) -> anyhow::Result<ExitStatus> {
    if let Some(outer) = std::env::var_os(NESTED) {
        return Err(Error::Usage {
            message: format!(
                "already inside `awsproxy exec` (profile {})",
                outer.to_string_lossy()
            ),
            hint: Some(
                "run the command directly: this shell's credentials already come from awsproxy"
                    .into(),
            ),
        }
        .into());
    }
    let profile = args
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let code = rt.block_on(exec(ctx, args, profile))?;
    drop(rt);
    // The child's own exit code (its temporary files are gone by now).
    if code == 0 {
        Ok(ExitStatus::Success)
    } else {
        std::process::exit(code.into())
    }
}

/// Runs the child; its exit code.
async fn exec(ctx: &Ctx, args: &ExecArgs, profile: Option<String>) -> anyhow::Result<u8> {
    let token = hex::encode(rand::random::<[u8; 32]>());
    let section = CredsSection {
        listen: ListenAddr(SocketAddr::from(([127, 0, 0, 1], 0))),
        client: vec![CredsClient {
            name: "exec".to_owned(),
            token: Some(SecretValue(Secret::new(token.clone()))),
            token_file: None,
            profile: profile.clone(),
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            region: None,
            role_arn: None,
            role_session_name: None,
            external_id: None,
            duration: None,
        }],
        ..CredsSection::default()
    };
    let (router, _handle) = CredsService::build(&section, &Metrics::new()).await;
    let listener = BoundListener::bind(section.listen.0, "exec")?;
    let addr = listener.addr;
    let stop = CancellationToken::new();
    let server = tokio::spawn(daemon::serve_router(
        listener.tokio_listener()?,
        router,
        daemon::ServerLimits::resolve(None, None),
        HostPolicy::new("exec", addr, &[]),
        stop.clone(),
    ));
    let url = format!("http://{addr}/v1/credentials");
    // Fail before the child starts when there are no credentials to give.
    let first = fetch(&url, &token, profile.as_deref()).await?;
    let what = profile.as_deref().unwrap_or("the default chain");

    let mut cmd = tokio::process::Command::new(&args.command[0]);
    cmd.args(&args.command[1..]);
    for name in COMPETING {
        cmd.env_remove(name);
    }
    cmd.env(NESTED, profile.as_deref().unwrap_or("default"));
    let _hidden = hide_default_profiles(ctx, &mut cmd)?;
    if args.env {
        stop.cancel();
        let get = |k: &str| first[k].as_str().unwrap_or_default().to_owned();
        cmd.env("AWS_ACCESS_KEY_ID", get("AccessKeyId"))
            .env("AWS_SECRET_ACCESS_KEY", get("SecretAccessKey"));
        if !get("Token").is_empty() {
            cmd.env("AWS_SESSION_TOKEN", get("Token"));
        }
        if !get("Expiration").is_empty() {
            cmd.env("AWS_CREDENTIAL_EXPIRATION", get("Expiration"));
        }
        tracing::debug!(source = what, "exec: credentials exported to the child");
    } else {
        cmd.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &url)
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", &token);
        tracing::debug!(source = what, %addr, "exec: the child's credentials endpoint");
    }
    let mut child = cmd.spawn().map_err(|e| {
        Hinted::new(
            format!("cannot run `{}`: {e}", args.command[0].to_string_lossy()),
            "check the command name and that it is on PATH",
        )
    })?;
    let status = wait_forwarding_signals(&mut child).await?;
    stop.cancel();
    let _ = server.await;
    Ok(exit_code(status))
}

/// The endpoint's answer for `token`, or what went wrong (an SSO login needed: exit 3).
async fn fetch(url: &str, token: &str, profile: Option<&str>) -> anyhow::Result<serde_json::Value> {
    use http_body_util::BodyExt as _;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let req = http::Request::get(url)
        .header(http::header::AUTHORIZATION, token)
        .body(http_body_util::Empty::new())?;
    let resp = client
        .request(req)
        .await
        .context("cannot reach the child's credentials endpoint")?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if status.is_success() {
        return Ok(doc);
    }
    let message = doc["message"]
        .as_str()
        .unwrap_or("no credentials")
        .to_owned();
    if doc["code"].as_str() == Some("login_required") {
        let session = match profile {
            Some(p) => format!("profile {p}"),
            None => "profile default".to_owned(),
        };
        return Err(anyhow::Error::new(Error::LoginRequired { session }).context(message));
    }
    Err(Hinted::new(
        format!("no credentials to give the command: {message}"),
        "check the profile with `awsproxy doctor` or `awsproxy creds export --profile NAME`",
    )
    .into())
}

/// Points the child's SDK away from a `[default]` profile with credentials of
/// its own (the shared credentials file's, or the config file's), which its
/// chain would take before the endpoint. The returned files must live as long
/// as the child.
fn hide_default_profiles(
    ctx: &Ctx,
    cmd: &mut tokio::process::Command,
) -> anyhow::Result<Vec<tempfile::NamedTempFile>> {
    let mut kept = Vec::new();
    let credentials = ctx.paths.aws_credentials_file();
    if let Ok(text) = std::fs::read_to_string(&credentials)
        && profile_names(&text, ProfileFile::Credentials)
            .iter()
            .any(|p| p == "default")
    {
        let empty = tempfile::NamedTempFile::new()?;
        cmd.env(env_vars::AWS_SHARED_CREDENTIALS_FILE, empty.path());
        ctx.printer.message(&format!(
            "awsproxy exec: the command won't see {}: its [default] would win over awsproxy's credentials",
            credentials.display()
        ));
        kept.push(empty);
    }
    let config = ctx.paths.aws_config_file();
    if let Ok(text) = std::fs::read_to_string(&config)
        && let Some(stripped) = without_default_credentials(&text)
    {
        let copy = write_temp(&stripped)?;
        cmd.env(env_vars::AWS_CONFIG_FILE, copy.path());
        ctx.printer.message(&format!(
            "awsproxy exec: the command sees {} without [default]'s credential settings (they would win over awsproxy's)",
            config.display()
        ));
        kept.push(copy);
    }
    Ok(kept)
}

fn write_temp(text: &str) -> anyhow::Result<tempfile::NamedTempFile> {
    use std::io::Write as _;
    let mut f = tempfile::NamedTempFile::new()?;
    f.write_all(text.as_bytes())?;
    f.flush()?;
    Ok(f)
}

/// The section name of an INI header line (`[default]`, `[profile x]`).
fn header(line: &str) -> Option<&str> {
    let t = line.trim();
    t.strip_prefix('[')?.strip_suffix(']').map(str::trim)
}

/// `text` without the credential keys of its `[default]` (or `[profile
/// default]`) section, or `None` when it has none.
fn without_default_credentials(text: &str) -> Option<String> {
    let mut in_default = false;
    let mut dropped = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if let Some(name) = header(line) {
            in_default = matches!(name, "default" | "profile default");
        } else if in_default {
            let key = line.split('=').next().unwrap_or_default().trim();
            if CREDENTIAL_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k)) {
                dropped = true;
                continue;
            }
        }
        out.push_str(line);
    }
    dropped.then_some(out)
}

/// Waits for the child, passing SIGINT, SIGTERM and SIGHUP on to it.
async fn wait_forwarding_signals(
    child: &mut tokio::process::Child,
) -> anyhow::Result<std::process::ExitStatus> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let pid = child
        .id()
        .and_then(|p| rustix::process::Pid::from_raw(p as i32));
    let forward = |sig: rustix::process::Signal| {
        if let Some(pid) = pid {
            let _ = rustix::process::kill_process(pid, sig);
        }
    };
    loop {
        tokio::select! {
            status = child.wait() => return Ok(status?),
            _ = int.recv() => forward(rustix::process::Signal::INT),
            _ = term.recv() => forward(rustix::process::Signal::TERM),
            _ = hup.recv() => forward(rustix::process::Signal::HUP),
        }
    }
}

/// The child's exit code, or 128 + the signal that ended it (as shells report it).
fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(sig)) => 128u8.saturating_add(sig as u8),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_credentials_are_taken_out_of_a_config_copy() {
        let text = "# mine\n[default]\nregion = eu-west-1\ncredential_process = x\n\n[profile dev]\ncredential_process = y\n";
        assert_eq!(
            without_default_credentials(text).unwrap(),
            "# mine\n[default]\nregion = eu-west-1\n\n[profile dev]\ncredential_process = y\n"
        );
        assert_eq!(without_default_credentials("[default]\nregion = x\n"), None);
    }
}
