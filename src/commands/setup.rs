//! `awsproxy setup TOOL… [--mount NAME] [--project [DIR]] [--dry-run] [--undo]`
//! and `awsproxy setup --status`: find each tool's config file and mount
//! (`crate::setup::target`), let `crate::setup` say what its text should
//! become, and write it atomically
//! (keeping its mode, with a one-time backup). Every tool is planned before any
//! file is written, so a refusal leaves every file as it was.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Ctx;
use crate::cli::SetupArgs;
use crate::error::{Error, ExitStatus, Hinted};
use crate::fsutil::{self, Mode};
use crate::setup::target::{self, Locations};
use crate::setup::{self, Env, Plan, Tool, diff, docker};

fn read(path: &Path) -> anyhow::Result<Option<String>> {
    match fs_err::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|_| {
            Hinted::new(
                format!("{} is not UTF-8 text", path.display()),
                "awsproxy edits only text files it can read; fix or move the file",
            )
            .into()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// One tool's file and what to do with it.
struct Step {
    tool: Tool,
    path: PathBuf,
    current: Option<String>,
    plan: Plan,
    url: Option<String>,
    /// docker: the record of what awsproxy added, written after the file.
    record: Option<(PathBuf, Option<docker::Record>)>,
}

/// Where `setup docker` keeps what it added to `config`.
fn record_path(ctx: &Ctx, config: &Path) -> PathBuf {
    ctx.paths
        .state_dir
        .join("setup")
        .join(docker::record_name(config))
}

/// `setup docker` (or its undo): the `[[docker.registry]]` hosts in `credHelpers`.
fn docker_step(ctx: &Ctx, args: &SetupArgs, path: PathBuf) -> anyhow::Result<Step> {
    let current = read(&path)?;
    let record_file = record_path(ctx, &path);
    let previous: Option<docker::Record> =
        read(&record_file)?.and_then(|text| serde_json::from_str(&text).ok());
    let refused = |r: setup::Refusal| Error::Usage {
        message: format!("docker: refusing to edit {}: {}", path.display(), r.message),
        hint: Some(r.hint),
    };
    let (plan, url, record) = if args.undo {
        let plan = docker::undo(current.as_deref(), previous.as_ref()).map_err(refused)?;
        (plan, None, None)
    } else {
        let config = ctx.config()?;
        let hosts: Vec<String> = config
            .file
            .docker
            .iter()
            .flat_map(|d| d.registry.iter().map(|r| r.host.clone()))
            .collect();
        if hosts.is_empty() {
            return Err(Error::Usage {
                message: format!("{} has no `[[docker.registry]]`", config.source),
                hint: Some(
                    "add one per ECR registry, e.g. `[[docker.registry]]` with `host = \"123456789012.dkr.ecr.us-east-1.amazonaws.com\"` (see the README's ECR section), then run the command again".to_owned(),
                ),
            }
            .into());
        }
        let (plan, record) =
            docker::setup(current.as_deref(), &hosts, previous.as_ref()).map_err(refused)?;
        (
            plan,
            Some(format!("credHelpers {}", hosts.join(", "))),
            Some(record),
        )
    };
    Ok(Step {
        tool: Tool::Docker,
        path,
        current,
        plan,
        url,
        record: Some((record_file, record)),
    })
}

fn plan(
    ctx: &Ctx,
    args: &SetupArgs,
    locations: &Locations<'_>,
    env: &Env,
) -> anyhow::Result<Vec<Step>> {
    let mut tools = args.tools.clone();
    tools.sort();
    tools.dedup();
    let config = if args.undo { None } else { Some(ctx.config()?) };
    let mut steps = Vec::new();
    for tool in tools {
        let path = locations.file(tool, args.project.as_deref())?;
        if tool == Tool::Docker {
            steps.push(docker_step(ctx, args, path)?);
            continue;
        }
        let current = read(&path)?;
        let (plan, url) = match &config {
            None => (setup::undo(tool, current.as_deref()), None),
            Some(config) => {
                let repos = config.file.repos.clone().unwrap_or_default();
                let ep = target::endpoint(
                    &repos,
                    env,
                    tool,
                    args.mount.as_deref(),
                    args.replace_crates_io,
                    &config.source.to_string(),
                )?;
                (
                    setup::setup(tool, current.as_deref(), &ep, env),
                    Some(ep.url(tool)),
                )
            }
        };
        let plan = plan.map_err(|r| Error::Usage {
            message: format!(
                "{}: refusing to edit {}: {}",
                tool.as_str(),
                path.display(),
                r.message
            ),
            hint: Some(r.hint),
        })?;
        steps.push(Step {
            tool,
            path,
            current,
            plan,
            url,
            record: None,
        });
    }
    Ok(steps)
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode_of(_: &Path) -> Option<u32> {
    None
}

/// Writes `text` atomically: created 0600, then given the mode `like` had (or
/// `fallback` for a new file), so it is never more open than before.
fn write_keeping_mode(
    path: &Path,
    text: &str,
    mode: Option<u32>,
    fallback: Mode,
) -> anyhow::Result<()> {
    fsutil::atomic_write(path, text.as_bytes(), Mode::Secret)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = mode.unwrap_or(if fallback == Mode::Secret {
            0o600
        } else {
            0o644
        });
        fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (mode, fallback);
    Ok(())
}

fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".awsproxy-backup");
    path.with_file_name(name)
}

fn apply(step: &Step) -> anyhow::Result<()> {
    // A symlinked dotfile stays a symlink: the file it points to is edited.
    let real = if step.path.is_symlink() {
        fs_err::canonicalize(&step.path)?
    } else {
        step.path.clone()
    };
    let path = real.as_path();
    let mode = mode_of(path);
    // `.npmrc` and Docker's config.json hold registry tokens: a new one is private.
    let fallback = if matches!(step.tool, Tool::Npm | Tool::Docker) {
        Mode::Secret
    } else {
        Mode::Public
    };
    match &step.plan {
        Plan::Unchanged => {}
        Plan::Write(text) => {
            if let Some(old) = &step.current {
                let backup = backup_path(path);
                if !backup.exists() {
                    write_keeping_mode(&backup, old, mode, fallback)?;
                }
            }
            write_keeping_mode(path, text, mode, fallback)?;
        }
        Plan::Delete => fs_err::remove_file(&step.path)?,
    }
    match &step.record {
        Some((file, Some(record))) if !record.added.is_empty() => {
            fsutil::atomic_write(file, &serde_json::to_vec_pretty(record)?, Mode::Public)?;
        }
        Some((file, _)) if file.exists() => fs_err::remove_file(file)?,
        _ => {}
    }
    Ok(())
}

fn describe(step: &Step, undo: bool) -> String {
    let (tool, path) = (step.tool.as_str(), step.path.display());
    match (&step.plan, undo) {
        (Plan::Unchanged, false) => format!("{tool}: already set up in {path}"),
        (Plan::Unchanged, true) => format!("{tool}: nothing to undo in {path}"),
        (Plan::Write(_), false) => format!(
            "{tool}: set up {path} ({})",
            step.url.as_deref().unwrap_or_default()
        ),
        (Plan::Write(_), true) if step.tool == Tool::Docker => {
            format!("{tool}: removed awsproxy's credHelpers entries from {path}")
        }
        (Plan::Write(_), true) => format!("{tool}: removed awsproxy's block from {path}"),
        (Plan::Delete, _) => format!("{tool}: removed {path} (awsproxy had created it)"),
    }
}

pub fn run(ctx: &Ctx, args: &SetupArgs) -> anyhow::Result<ExitStatus> {
    let env: Env = std::env::vars().collect();
    let locations = Locations {
        home: &ctx.paths.home,
        config_home: ctx
            .paths
            .config_dir
            .parent()
            .map_or_else(|| ctx.paths.home.join(".config"), Path::to_path_buf),
        env: &env,
    };
    if args.status {
        return status(ctx, args, &locations);
    }
    let steps = plan(ctx, args, &locations, &env)?;
    for step in &steps {
        if args.dry_run {
            let new = match &step.plan {
                Plan::Unchanged => step.current.clone(),
                Plan::Write(text) => Some(text.clone()),
                Plan::Delete => None,
            };
            let text = diff::unified(
                &step.path.display().to_string(),
                step.current.as_deref(),
                new.as_deref(),
            );
            if text.is_empty() {
                ctx.printer.message(&describe(step, args.undo));
            } else {
                ctx.printer.data(&text)?;
            }
            continue;
        }
        apply(step)?;
        ctx.printer.message(&describe(step, args.undo));
        if step.tool == Tool::Docker && !args.undo && !helper_on_path(&env) {
            ctx.printer.warn(&format!(
                "{name} is not on PATH, and Docker runs it by that name: run install.sh, or `ln -s \"$(command -v awsproxy)\" ~/.local/bin/{name}`",
                name = crate::cli::DOCKER_HELPER_NAME
            ));
        }
    }
    Ok(ExitStatus::Success)
}

/// Whether Docker finds `docker-credential-awsproxy` on the PATH.
fn helper_on_path(env: &Env) -> bool {
    env.get("PATH").is_some_and(|path| {
        std::env::split_paths(path).any(|dir| dir.join(crate::cli::DOCKER_HELPER_NAME).is_file())
    })
}

/// One row of `setup --status`.
#[derive(Debug, Serialize)]
struct Row {
    tool: &'static str,
    file: String,
    /// `set up`, `not set up`, `no file` or `damaged block`.
    state: &'static str,
    mount: Option<String>,
    url: Option<String>,
}

fn status(ctx: &Ctx, args: &SetupArgs, locations: &Locations<'_>) -> anyhow::Result<ExitStatus> {
    let mut rows = Vec::new();
    for tool in Tool::ALL {
        let mut files: Vec<PathBuf> = locations.user_file(tool).into_iter().collect();
        if let Some(dir) = args.project.as_deref().filter(|_| tool.has_project_file()) {
            files.push(locations.file(tool, Some(dir))?);
        }
        for path in files {
            let current = read(&path).ok().flatten();
            if tool == Tool::Docker {
                let (state, hosts) = match docker::configured(current.as_deref()) {
                    _ if current.is_none() => ("no file", None),
                    Err(_) => ("does not parse", None),
                    Ok(h) if h.is_empty() => ("not set up", None),
                    Ok(h) => ("set up", Some(h.join(", "))),
                };
                rows.push(Row {
                    tool: tool.as_str(),
                    file: path.display().to_string(),
                    state,
                    mount: hosts.clone(),
                    url: hosts,
                });
                continue;
            }
            let (state, url) = match (&current, setup::configured_url(tool, current.as_deref())) {
                (None, _) => ("no file", None),
                (Some(_), Err(_)) => ("damaged block", None),
                (Some(_), Ok(None)) => ("not set up", None),
                (Some(_), Ok(Some(url))) => ("set up", Some(url)),
            };
            rows.push(Row {
                tool: tool.as_str(),
                file: path.display().to_string(),
                state,
                mount: url.as_deref().and_then(setup::mount_of).map(str::to_owned),
                url,
            });
        }
    }
    if args.json {
        ctx.printer.json(&rows)?;
        return Ok(ExitStatus::Success);
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["TOOL", "FILE", "MOUNT", "STATE"]);
    for r in &rows {
        table.add_row([r.tool, &r.file, r.mount.as_deref().unwrap_or("-"), r.state]);
    }
    ctx.printer.data(&table.to_string())?;
    Ok(ExitStatus::Success)
}
