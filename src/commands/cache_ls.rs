//! `awsproxy cache ls [--json] [FILTER]`: list cached entries of the configured
//! store (disk or S3) as a table or JSON, with the namespace of each (the
//! service, mount and credential identity that stored it: `forward`,
//! `pypi/NAME/IDENTITY`, ...). Read-only; safe while `serve` runs.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::Ctx;
use crate::cache::store::{ListedEntry, Store};
use crate::cli::CacheLsArgs;
use crate::error::ExitStatus;

/// One row of `cache ls --json`.
#[derive(Debug, Serialize)]
pub struct Row {
    pub key: String,
    /// `forward`, `pypi/NAME/IDENTITY`, `maven/NAME/IDENTITY`; empty for
    /// entries stored before keys had namespaces (never served again).
    pub namespace: String,
    pub method: String,
    pub url: String,
    pub status: u16,
    /// Body bytes.
    pub body_size: u64,
    /// Bytes used in the store.
    pub size: u64,
    pub stored_at: String,
    /// When it stops being fresh (RFC 9111), before any revalidation.
    pub expires: String,
    pub hits: Option<u64>,
    pub last_used: Option<String>,
    pub store: &'static str,
}

/// The store `[cache]` configures (disk by default under the XDG cache dir;
/// `AWSPROXY_CACHE_DIR` overrides `[cache] dir` as it does for `serve`).
pub fn open_store(ctx: &Ctx, rt: &tokio::runtime::Runtime) -> anyhow::Result<Arc<dyn Store>> {
    let config = ctx.config()?;
    let mut section = config.file.cache.clone().unwrap_or_default();
    if let Some(dir) =
        std::env::var_os(crate::env_vars::AWSPROXY_CACHE_DIR).filter(|d| !d.is_empty())
    {
        section.dir = Some(dir.into());
    }
    let default_dir = crate::cache::default_dir(&ctx.paths);
    rt.block_on(crate::cache::store::open(&section, &default_dir))
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// Entries whose URL or namespace contains `filter`, by URL.
pub fn matching(entries: Vec<ListedEntry>, filter: Option<&str>) -> Vec<ListedEntry> {
    let mut out: Vec<_> = entries
        .into_iter()
        .filter(|e| filter.is_none_or(|f| e.meta.url.contains(f) || e.meta.namespace.contains(f)))
        .collect();
    out.sort_by(|a, b| a.meta.url.cmp(&b.meta.url));
    out
}

fn rfc3339(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn row(e: &ListedEntry, store: &'static str) -> Row {
    let sem = crate::cache::policy::semantics(&e.meta);
    let stored = e.meta.stored_at();
    let expires = stored + sem.time_to_live(stored);
    Row {
        key: e.meta.key.clone(),
        namespace: e.meta.namespace.clone(),
        method: e.meta.method.clone(),
        url: e.meta.url.clone(),
        status: e.meta.status,
        body_size: e.meta.body_len,
        size: e.size,
        stored_at: rfc3339(stored),
        expires: if e.meta.immutable {
            "never".to_owned()
        } else {
            rfc3339(expires)
        },
        hits: e.hits,
        last_used: e.accessed.map(rfc3339),
        store,
    }
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

fn short_time(t: SystemTime) -> String {
    let ago = SystemTime::now().duration_since(t).unwrap_or_default();
    let secs = Duration::from_secs(ago.as_secs());
    format!("{} ago", humantime::format_duration(secs))
}

pub fn run(ctx: &Ctx, args: &CacheLsArgs) -> anyhow::Result<ExitStatus> {
    let rt = runtime()?;
    let store = open_store(ctx, &rt)?;
    let entries = rt.block_on(store.list())?;
    let entries = matching(entries, args.filter.as_deref());
    let kind = store.kind();
    if args.json {
        let rows: Vec<Row> = entries.iter().map(|e| row(e, kind)).collect();
        ctx.printer.json(&rows)?;
        return Ok(ExitStatus::Success);
    }
    if entries.is_empty() {
        ctx.printer.message("no cached entries");
        return Ok(ExitStatus::Success);
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header([
        "URL",
        "NAMESPACE",
        "SIZE",
        "STORED",
        "EXPIRES",
        "HITS",
        "STORE",
    ]);
    for e in &entries {
        let r = row(e, kind);
        table.add_row([
            r.url,
            if r.namespace.is_empty() {
                "-".to_owned()
            } else {
                r.namespace
            },
            human_size(r.body_size),
            short_time(e.meta.stored_at()),
            r.expires,
            r.hits.map_or("-".to_owned(), |h| h.to_string()),
            kind.to_owned(),
        ]);
    }
    ctx.printer.data(&table.to_string())?;
    let total: u64 = entries.iter().map(|e| e.size).sum();
    ctx.printer
        .message(&format!("{} entries, {}", entries.len(), human_size(total)));
    Ok(ExitStatus::Success)
}
