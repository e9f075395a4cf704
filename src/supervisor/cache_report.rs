//! The cache on the status page and in `/metrics`: outcomes per service (from
//! [`crate::cache::stats::CacheStats`]) and the store's size, which a background
//! task re-reads every minute (listing a store is not free, so page views don't).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Shared;
use crate::config::values::ByteSize;
use crate::services::status::Section;

/// Entries and bytes of the open store, as last counted.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    kind: &'static str,
    entries: usize,
    bytes: u64,
}

/// Registers the section and metrics, and starts the size refresher.
pub fn start(shared: &Shared) {
    let usage: Arc<Mutex<Option<Usage>>> = Arc::default();
    shared.cache_stats.register(&shared.board.metrics("cache"));

    let stats = shared.cache_stats.clone();
    let seen = usage.clone();
    shared.board.add_section("cache", move || {
        let rows: Vec<Vec<String>> = stats
            .snapshot()
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
