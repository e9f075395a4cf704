//! The cache on the status page and in `/metrics`: outcomes per service (from
//! [`crate::cache::stats::CacheStats`]) and the store's size, which a background
//! task re-reads every minute (listing a store is not free, so page views don't).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Shared;
use crate::cache::stats::{Counts, Recent};
use crate::config::values::ByteSize;
use crate::services::status::Section;

/// Entries and bytes of the open store, as last counted.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    kind: &'static str,
    entries: usize,
    bytes: u64,
}

/// How far back the status page's "last minutes" figures reach.
const RECENT: Duration = Duration::from_secs(5 * 60);
/// How often the totals are sampled for them.
const SAMPLE_EVERY: Duration = Duration::from_secs(15);

/// The hit ratio and bytes from the store over the last minutes, in words.
fn recent_line(recent: &Recent, totals: &Counts) -> Option<String> {
    let (span, d) = recent.over(std::time::Instant::now(), totals)?;
    let minutes = span.as_secs().div_ceil(60).max(1);
    let ratio = d.hit_ratio().map_or_else(
        || "no cacheable requests".to_owned(),
        |r| format!("{:.0}% hits", r * 100.0),
    );
    Some(format!(
        "last {minutes} min: {ratio}, {} served from the cache",
        ByteSize(d.bytes_from_store)
    ))
}

/// Registers the section and metrics, and starts the size refresher and the
/// sampler of the recent figures.
pub fn start(shared: &Shared) {
    let usage: Arc<Mutex<Option<Usage>>> = Arc::default();
    shared.cache_stats.register(&shared.board.metrics("cache"));
    let recent = Arc::new(Mutex::new(Recent::new(RECENT)));
    {
        let (stats, recent) = (shared.cache_stats.clone(), recent.clone());
        tokio::spawn(async move {
            loop {
                let totals = Counts::total(stats.snapshot().values());
                recent
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .sample(std::time::Instant::now(), totals);
                tokio::time::sleep(SAMPLE_EVERY).await;
            }
        });
    }

    let stats = shared.cache_stats.clone();
    let seen = usage.clone();
    shared.board.add_section("cache", move || {
        let snapshot = stats.snapshot();
        let recent_text = recent_line(
            &recent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            &Counts::total(snapshot.values()),
        );
        let rows: Vec<Vec<String>> = snapshot
            .into_iter()
            .map(|(service, c)| {
                vec![
                    service,
                    c.hits.to_string(),
                    c.revalidated.to_string(),
                    c.misses.to_string(),
                    c.stale.to_string(),
                    c.errors.to_string(),
                    c.hit_ratio()
                        .map_or_else(|| "-".to_owned(), |r| format!("{:.0}%", r * 100.0)),
                ]
            })
            .collect();
        let note = match *seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            Some(u) => format!(
                "{} store: {} entries, {}",
                u.kind,
                u.entries,
                ByteSize(u.bytes)
            ),
            None => "store size: not counted yet".to_owned(),
        };
        let note = match recent_text {
            Some(r) => format!("{r} · {note}"),
            None => note,
        };
        Section {
            title: "Cache".into(),
            columns: [
                "service",
                "hits",
                "revalidated",
                "misses",
                "stale",
                "upstream errors",
                "hit ratio",
            ]
            .map(String::from)
            .to_vec(),
            rows,
            note: Some(note),
            empty: "Nothing has gone through the cache yet. Point a tool at the forward proxy (`HTTPS_PROXY`) or at a repository mount, and its hits and misses show here.",
        }
    });

    let shared = shared.clone();
    tokio::spawn(async move {
        loop {
            if let Some(store) = shared.current_store().await
                && let Ok(entries) = store.list().await
            {
                let bytes = entries.iter().map(|e| e.size).sum();
                *usage
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Usage {
                    kind: store.kind(),
                    entries: entries.len(),
                    bytes,
                });
            }
            // Until the first count, look again soon (the store opens with its service).
            let counted = usage
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_some();
            tokio::time::sleep(Duration::from_secs(if counted { 60 } else { 2 })).await;
        }
    });
}
