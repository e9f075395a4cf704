//! Cache outcome counters per service, read off each response's `Cache-Status`
//! (so they count exactly what clients were told), for `/metrics` and the
//! status page.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use http::HeaderMap;

/// Outcomes of one service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub hits: u64,
    pub misses: u64,
    /// Served stale (upstream failing, or while revalidating).
    pub stale: u64,
    /// Not cacheable, or passed through.
    pub bypass: u64,
    /// The upstream failed and nothing stored could stand in (a 502 to the client).
    pub errors: u64,
    /// Body bytes of the responses counted above (from `Content-Length`).
    pub bytes: u64,
}

impl Counts {
    /// Hits over hits and misses, when there were any.
    pub fn hit_ratio(&self) -> Option<f64> {
        let total = self.hits + self.misses;
        (total > 0).then(|| self.hits as f64 / total as f64)
    }
}

/// Counters for every service of one process.
#[derive(Debug, Default)]
pub struct CacheStats {
    by_service: Mutex<BTreeMap<String, Counts>>,
}

impl CacheStats {
    /// Counts one response of `service` by its `Cache-Status` header (none: not counted).
    pub fn record(&self, service: &str, headers: &HeaderMap) {
        let Some(status) = headers.get("cache-status").and_then(|v| v.to_str().ok()) else {
            return;
        };
        let mut map = self
            .by_service
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let counts = map.entry(service.to_owned()).or_default();
        counts.bytes += headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let status = status.to_ascii_lowercase();
        // A stored response served because the upstream failed carries a detail.
        if status.contains("; hit") && status.contains("detail=") {
            counts.stale += 1;
        } else if status.contains("; hit") {
            counts.hits += 1;
        } else if status.contains("detail=upstream-error") {
            counts.errors += 1;
        } else if status.contains("fwd=bypass") {
            counts.bypass += 1;
        } else {
            counts.misses += 1;
        }
    }

    pub fn snapshot(&self) -> BTreeMap<String, Counts> {
        self.by_service
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Registers the `awsproxy_cache_*` families, read from the counts at each scrape.
    pub fn register(self: &Arc<Self>, metrics: &crate::metrics::Metrics) {
        let stats = self.clone();
        metrics.counters_read_at_scrape(
            "awsproxy_cache_responses",
            "Responses by service and cache outcome",
            move || {
                let mut values = Vec::new();
                for (service, c) in stats.snapshot() {
                    for (outcome, n) in [
                        ("hit", c.hits),
                        ("miss", c.misses),
                        ("stale", c.stale),
                        ("bypass", c.bypass),
                        ("upstream_error", c.errors),
                    ] {
                        let labels =
                            vec![("service", service.clone()), ("outcome", outcome.into())];
                        values.push((labels, n));
                    }
                }
                values
            },
        );
        let stats = self.clone();
        metrics.counters_read_at_scrape(
            "awsproxy_cache_response_bytes",
            "Body bytes sent, by service",
            move || {
                stats
                    .snapshot()
                    .into_iter()
                    .map(|(service, c)| (vec![("service", service)], c.bytes))
                    .collect()
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(status: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("cache-status", status.parse().unwrap());
        h
    }

    #[test]
    fn outcomes_come_from_cache_status() {
        let stats = CacheStats::default();
        stats.record("proxy", &headers("awsproxy; hit; ttl=30"));
        stats.record("proxy", &headers("awsproxy; fwd=uri-miss; stored"));
        stats.record("proxy", &headers("awsproxy; fwd=bypass"));
        stats.record(
            "proxy",
            &headers("awsproxy; fwd=uri-miss; detail=upstream-error"),
        );
        stats.record("repos", &headers("awsproxy; hit"));
        stats.record("repos", &HeaderMap::new());
        let s = stats.snapshot();
        assert_eq!(
            s["proxy"],
            Counts {
                hits: 1,
                misses: 1,
                stale: 0,
                bypass: 1,
                errors: 1,
                bytes: 0
            }
        );
        assert_eq!(s["repos"].hits, 1);
        assert_eq!(s["proxy"].hit_ratio(), Some(0.5));
        let metrics = crate::metrics::Metrics::new();
        Arc::new(stats).register(&metrics);
        assert!(
            metrics
                .render()
                .contains("awsproxy_cache_responses_total{service=\"proxy\",outcome=\"hit\"} 1")
        );
    }
}
