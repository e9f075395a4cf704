//! `awsproxy cache warm -r requirements.txt | --lock uv.lock|package-lock.json
//! [--mount NAME]`: fetch the pages and files a requirements file or lockfile
//! names through the running `serve`'s PyPI (or, for a `package-lock.json`,
//! npm) mount, so they are in the cache (a CI image, or a laptop about to go
//! offline). Everything goes through the repository listener, so files are
//! verified and stored exactly as for pip and npm; what to fetch is
//! [`crate::pypi::warm`] and [`crate::npm::lock`].

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use url::Url;

use super::Ctx;
use super::cache_ls::runtime;
use crate::cli::CacheWarmArgs;
use crate::error::{Error, ExitStatus, Hinted};
use crate::pypi::warm::{self, Platforms, Wanted};
use crate::setup::Tool;
use crate::setup::target;

/// Projects fetched at once.
const PARALLEL: usize = 4;
/// Nested `-r` files followed at most this deep.
const MAX_DEPTH: usize = 8;
const JSON: &str = "application/vnd.pypi.simple.v1+json";

/// `--json` output.
#[derive(Debug, Default, Serialize)]
struct Summary {
    index: String,
    projects: usize,
    files: Vec<FileRow>,
    failed: Vec<Failure>,
    /// Lines naming no index project (URLs, paths), not warmed.
    skipped: Vec<String>,
    /// Bytes received from the listener.
    bytes: u64,
}

#[derive(Debug, Serialize)]
struct FileRow {
    project: String,
    file: String,
    bytes: u64,
    /// Was already in the cache.
    cached: bool,
}

#[derive(Debug, Serialize)]
struct Failure {
    project: String,
    /// The file, or empty for the project page.
    file: String,
    error: String,
}

/// Is `path` an npm lockfile (by name)?
fn is_npm_lock(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with("package-lock.json") || n.ends_with("npm-shrinkwrap.json"))
}

pub fn run(ctx: &Ctx, args: &CacheWarmArgs) -> anyhow::Result<ExitStatus> {
    let npm = args.lock.iter().filter(|l| is_npm_lock(l)).count();
    if npm > 0 && (npm < args.lock.len() || !args.requirements.is_empty()) {
        return Err(Error::Usage {
            message: "a package-lock.json warms an npm mount, the other files a PyPI mount".into(),
            hint: Some("run `awsproxy cache warm` once per format".into()),
        }
        .into());
    }
    let config = ctx.config()?;
    let repos = config.file.repos.clone().unwrap_or_default();
    let env: crate::setup::Env = std::env::vars().collect();
    let ep = target::endpoint(
        &repos,
        &env,
        if npm > 0 { Tool::Npm } else { Tool::Pip },
        args.mount.as_deref(),
        false,
        &config.source.to_string(),
    )?;
    if npm > 0 {
        return run_npm(ctx, args, &format!("{}/npm/{}/", ep.base, ep.mount));
    }
    let mut summary = Summary {
        index: format!("{}/pypi/{}/simple/", ep.base, ep.mount),
        ..Summary::default()
    };
    let mut wanted = Vec::new();
    for file in &args.requirements {
        read_requirements(
            file,
            0,
            &mut HashSet::new(),
            &mut wanted,
            &mut summary.skipped,
        )?;
    }
    for file in &args.lock {
        wanted.extend(read_lock(file)?);
    }
    let wanted = merge(wanted);
    summary.projects = wanted.len();
    let platforms = if args.all_platforms {
        Platforms::All
    } else {
        Platforms::This
    };
    let index = Url::parse(&summary.index)?;
    let rt = runtime()?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    rt.block_on(reachable(&client, &index))?;

    let bar = progress(ctx, args, wanted.len(), "projects");
    let results: Vec<(Vec<FileRow>, Vec<Failure>)> = rt.block_on(
        futures_util::stream::iter(wanted.iter())
            .map(|w| {
                let (client, index, bar) = (&client, &index, &bar);
                async move {
                    let out = project(client, index, w, platforms).await;
                    bar.inc(1);
                    bar.set_message(w.name.clone());
                    out
                }
            })
            .buffer_unordered(PARALLEL)
            .collect(),
    );
    bar.finish_and_clear();
    finish(ctx, args, summary, results)
}

/// Adds each project's rows to `summary`, reports it, and the exit status.
fn finish(
    ctx: &Ctx,
    args: &CacheWarmArgs,
    mut summary: Summary,
    results: Vec<(Vec<FileRow>, Vec<Failure>)>,
) -> anyhow::Result<ExitStatus> {
    for (files, failed) in results {
        summary.bytes += files.iter().map(|f| f.bytes).sum::<u64>();
        summary.files.extend(files);
        summary.failed.extend(failed);
    }
    summary.files.sort_by(|a, b| a.file.cmp(&b.file));
    report(ctx, args, &summary)?;
    Ok(if summary.failed.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// A bar over `len` `things` (hidden with `--quiet` or `--json`).
fn progress(ctx: &Ctx, args: &CacheWarmArgs, len: usize, things: &str) -> ProgressBar {
    let bar = if ctx.printer.quiet || args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len as u64)
    };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} [{{bar:30}}] {{pos}}/{{len}} {things} {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The accept header npm sends for package documents (the abbreviated form).
const NPM_ACCEPT: &str = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8";

/// `cache warm --lock package-lock.json`: each package's document, then the
/// tarball of each pinned version, through the npm mount at `registry`.
fn run_npm(ctx: &Ctx, args: &CacheWarmArgs, registry: &str) -> anyhow::Result<ExitStatus> {
    let mut by_name: BTreeMap<crate::npm::names::PackageName, Vec<String>> = BTreeMap::new();
    let mut summary = Summary {
        index: registry.to_owned(),
        ..Summary::default()
    };
    for path in &args.lock {
        let lock = crate::npm::lock::package_lock(&read_text(path)?).map_err(|e| Error::Usage {
            message: format!("{}: {e}", path.display()),
            hint: Some("regenerate it with `npm install --package-lock-only`".into()),
        })?;
        for p in lock.pinned {
            by_name.entry(p.name).or_default().push(p.version);
        }
        summary.skipped.extend(lock.skipped);
    }
    summary.projects = by_name.len();
    let registry = Url::parse(registry)?;
    let rt = runtime()?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    rt.block_on(reachable(&client, &registry))?;
    let bar = progress(ctx, args, by_name.len(), "packages");
    let results = rt.block_on(
        futures_util::stream::iter(by_name.iter())
            .map(|(name, versions)| {
                let (client, registry, bar) = (&client, &registry, &bar);
                async move {
                    let out = npm_package(client, registry, name, versions).await;
                    bar.inc(1);
                    bar.set_message(name.to_string());
                    out
                }
            })
            .buffer_unordered(PARALLEL)
            .collect(),
    );
    bar.finish_and_clear();
    finish(ctx, args, summary, results)
}

/// One package: its document, then the tarball of each of `versions`.
async fn npm_package(
    client: &HttpClient,
    registry: &Url,
    name: &crate::npm::names::PackageName,
    versions: &[String],
) -> (Vec<FileRow>, Vec<Failure>) {
    let fail = |file: &str, error: String| Failure {
        project: name.to_string(),
        file: file.to_owned(),
        error,
    };
    let Ok(url) = registry.join(&name.registry_path()) else {
        return (Vec::new(), vec![fail("", "not a package name".into())]);
    };
    let doc = match get(client, &url, Some(NPM_ACCEPT)).await {
        Ok((status, _, body)) if status.is_success() => match drain(body, true).await {
            Ok((_, bytes)) => serde_json::from_slice::<serde_json::Value>(&bytes).ok(),
            Err(e) => return (Vec::new(), vec![fail("", e)]),
        },
        Ok((status, _, _)) => {
            return (
                Vec::new(),
                vec![fail("", format!("the listener answered {status}"))],
            );
        }
        Err(e) => return (Vec::new(), vec![fail("", e)]),
    };
    let files: Vec<(String, String)> = versions
        .iter()
        .map(|v| {
            let tarball = doc
                .as_ref()
                .and_then(|d| d["versions"][v]["dist"]["tarball"].as_str());
            (v.clone(), tarball.unwrap_or_default().to_owned())
        })
        .collect();
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for (version, tarball) in files {
        let label = format!("{name}@{version}");
        if tarball.is_empty() {
            failed.push(fail(&label, "the document has no such version".into()));
            continue;
        }
        // The mount rewrote it to point back at itself: never fetch another host.
        let Some(url) = Url::parse(&tarball)
            .ok()
            .filter(|u| u.origin() == registry.origin())
        else {
            failed.push(fail(
                &label,
                "the tarball URL does not point at the mount".into(),
            ));
            continue;
        };
        fetch_file(
            client,
            &url,
            name.to_string(),
            label,
            &mut rows,
            &mut failed,
        )
        .await;
    }
    (rows, failed)
}

/// GETs `url` to its end as `file` of `project`: a row, or a failure.
async fn fetch_file(
    client: &HttpClient,
    url: &Url,
    project: String,
    file: String,
    rows: &mut Vec<FileRow>,
    failed: &mut Vec<Failure>,
) {
    let fail = |error: String| Failure {
        project: project.clone(),
        file: file.clone(),
        error,
    };
    match get(client, url, None).await {
        Ok((status, cache, body)) if status == http::StatusCode::OK => {
            match drain(body, false).await {
                Ok((bytes, _)) => rows.push(FileRow {
                    project: project.clone(),
                    file: file.clone(),
                    bytes,
                    cached: cache.contains("; hit"),
                }),
                Err(e) => failed.push(fail(format!("download cut short: {e}"))),
            }
        }
        Ok((status, _, body)) => {
            let text = drain(body, true)
                .await
                .map(|(_, b)| String::from_utf8_lossy(&b).trim().to_owned())
                .unwrap_or_default();
            failed.push(fail(format!("{status}: {text}")));
        }
        Err(e) => failed.push(fail(e)),
    }
}

fn report(ctx: &Ctx, args: &CacheWarmArgs, s: &Summary) -> anyhow::Result<()> {
    if args.json {
        return ctx.printer.json(s);
    }
    for line in &s.skipped {
        ctx.printer
            .warn(&format!("skipped `{line}`: not a project on the index"));
    }
    for f in &s.failed {
        let what = if f.file.is_empty() {
            format!("{} (page)", f.project)
        } else {
            f.file.clone()
        };
        ctx.printer.warn(&format!("{what}: {}", f.error));
    }
    let cached = s.files.iter().filter(|f| f.cached).count();
    ctx.printer.message(&format!(
        "warmed {} projects and {} files ({} already cached, {}) through {}{}",
        s.projects,
        s.files.len(),
        cached,
        human_bytes(s.bytes),
        s.index,
        if s.failed.is_empty() {
            String::new()
        } else {
            format!("; {} failed", s.failed.len())
        }
    ));
    Ok(())
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    fs_err::read_to_string(path).map_err(|e| {
        Hinted::new(
            e.to_string(),
            "name a pip requirements file with -r, or a uv.lock, poetry.lock or package-lock.json with --lock",
        )
        .into()
    })
}

fn read_requirements(
    path: &Path,
    depth: usize,
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<Wanted>,
    skipped: &mut Vec<String>,
) -> anyhow::Result<()> {
    let canonical = fs_err::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    if depth > MAX_DEPTH || !seen.insert(canonical) {
        return Ok(());
    }
    let parsed = warm::requirements(&read_text(path)?);
    out.extend(parsed.wanted);
    skipped.extend(parsed.skipped);
    let dir = path.parent().unwrap_or(Path::new("."));
    for include in parsed.includes {
        read_requirements(&dir.join(include), depth + 1, seen, out, skipped)?;
    }
    Ok(())
}

fn read_lock(path: &Path) -> anyhow::Result<Vec<Wanted>> {
    let text = read_text(path)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let parsed = if name.ends_with("uv.lock") {
        warm::uv_lock(&text)
    } else if name.ends_with("poetry.lock") {
        warm::poetry_lock(&text)
    } else {
        return Err(Error::Usage {
            message: format!("{}: not a lockfile awsproxy reads", path.display()),
            hint: Some(
                "--lock takes a uv.lock, a poetry.lock or a package-lock.json (by file name)"
                    .into(),
            ),
        }
        .into());
    };
    parsed.map_err(|e| {
        Error::Usage {
            message: format!("{}: {}", path.display(), e.message().trim()),
            hint: Some("regenerate the lockfile (`uv lock`, `poetry lock`)".into()),
        }
        .into()
    })
}

/// One entry per project and version, their exact files together.
fn merge(wanted: Vec<Wanted>) -> Vec<Wanted> {
    let mut by: BTreeMap<(String, Option<String>), Wanted> = BTreeMap::new();
    for w in wanted {
        let e = by
            .entry((w.name.clone(), w.version.clone()))
            .or_insert_with(|| Wanted {
                files: Vec::new(),
                ..w.clone()
            });
        e.files.extend(w.files);
        e.files.sort();
        e.files.dedup();
    }
    // A page-only entry is redundant next to a pinned one of the same name.
    let pinned: HashSet<String> = by
        .keys()
        .filter(|(_, v)| v.is_some())
        .map(|(n, _)| n.clone())
        .collect();
    by.into_values()
        .filter(|w| w.version.is_some() || !pinned.contains(&w.name))
        .collect()
}

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

async fn reachable(client: &HttpClient, index: &Url) -> anyhow::Result<()> {
    match get(client, index, Some(JSON)).await {
        Ok(_) => Ok(()),
        Err(e) => Err(Hinted::new(
            format!("could not reach the repository listener at {index}: {e}"),
            "start it with `awsproxy serve` (or `awsproxy install-agent`), then run the command again",
        )
        .into()),
    }
}

/// A GET through the listener: its status, its `Cache-Status` and the body
/// (for [`drain`]).
async fn get(
    client: &HttpClient,
    url: &Url,
    accept: Option<&str>,
) -> Result<(http::StatusCode, String, hyper::body::Incoming), String> {
    let mut req = http::Request::get(url.as_str());
    if let Some(a) = accept {
        req = req.header(http::header::ACCEPT, a);
    }
    let req = req.body(Empty::new()).map_err(|e| e.to_string())?;
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let cache = resp
        .headers()
        .get("cache-status")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((status, cache, resp.into_body()))
}

/// Reads a body to its end, counting its bytes; keeps them when `keep`.
async fn drain(mut body: hyper::body::Incoming, keep: bool) -> Result<(u64, Vec<u8>), String> {
    let mut n = 0u64;
    let mut kept = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Ok(data) = frame.into_data() {
            n += data.len() as u64;
            if keep {
                kept.extend_from_slice(&data);
            }
        }
    }
    Ok((n, kept))
}

async fn project(
    client: &HttpClient,
    index: &Url,
    want: &Wanted,
    platforms: Platforms,
) -> (Vec<FileRow>, Vec<Failure>) {
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    let fail = |file: &str, error: String| Failure {
        project: want.name.clone(),
        file: file.to_owned(),
        error,
    };
    let Ok(page) = index.join(&format!("{}/", want.name)) else {
        return (rows, vec![fail("", "not a project name".into())]);
    };
    let doc = match get(client, &page, Some(JSON)).await {
        Ok((status, _, body)) if status.is_success() => match drain(body, true).await {
            Ok((_, bytes)) => serde_json::from_slice::<serde_json::Value>(&bytes).ok(),
            Err(e) => return (rows, vec![fail("", e)]),
        },
        Ok((status, _, _)) => {
            let why = if status == http::StatusCode::NOT_FOUND {
                "not in the repository (404)".to_owned()
            } else {
                format!("the listener answered {status}")
            };
            return (rows, vec![fail("", why)]);
        }
        Err(e) => return (rows, vec![fail("", e)]),
    };
    let files: Vec<(String, String)> = doc
        .as_ref()
        .and_then(|d| d["files"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some((
                f["filename"].as_str()?.to_owned(),
                f["url"].as_str()?.to_owned(),
            ))
        })
        .collect();
    let chosen = warm::choose(want, &files, platforms);
    if want.version.is_some() && chosen.is_empty() {
        failed.push(fail(
            "",
            format!(
                "no file of version {} on the page{}",
                want.version.as_deref().unwrap_or_default(),
                if platforms == Platforms::This {
                    " for this platform (--all-platforms fetches every wheel)"
                } else {
                    ""
                }
            ),
        ));
    }
    for (filename, href) in chosen {
        let Ok(url) = page.join(href) else {
            failed.push(fail(filename, "the page's link is not a URL".into()));
            continue;
        };
        fetch_file(
            client,
            &url,
            want.name.clone(),
            filename.clone(),
            &mut rows,
            &mut failed,
        )
        .await;
    }
    (rows, failed)
}
