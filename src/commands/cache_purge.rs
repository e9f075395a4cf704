//! `awsproxy cache purge [FILTER | --all] [--dry-run]`: remove cached entries.
//!
//! Safe while `serve` runs: only committed entries are removed (each with one
//! unlink or `DeleteObject`), never a fill in progress; a reader that already
//! opened an entry keeps streaming it.

use super::Ctx;
use super::cache_ls::{matching, open_store, runtime};
use crate::cli::CachePurgeArgs;
use crate::error::ExitStatus;

pub fn run(ctx: &Ctx, args: &CachePurgeArgs) -> anyhow::Result<ExitStatus> {
    let rt = runtime()?;
    let store = open_store(ctx, &rt)?;
    let filter = if args.all {
        None
    } else {
        args.filter.as_deref()
    };
    let entries = matching(rt.block_on(store.list())?, filter);
    let mut removed = 0usize;
    let mut bytes = 0u64;
    for e in &entries {
        if args.dry_run {
            ctx.printer.data(&e.meta.url)?;
            continue;
        }
        if rt.block_on(store.remove(&e.meta.key))? {
            ctx.printer.data(&e.meta.url)?;
            removed += 1;
            bytes += e.size;
        }
    }
    let what = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    let count = if args.dry_run { entries.len() } else { removed };
    let bytes = if args.dry_run {
        entries.iter().map(|e| e.size).sum()
    } else {
        bytes
    };
    ctx.printer.message(&format!(
        "{what} {count} entries ({bytes} bytes) from the {} store",
        store.kind()
    ));
    Ok(ExitStatus::Success)
}
