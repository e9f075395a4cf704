//! Cache outcome counters per service, read off the [`CacheStatus`] each
//! response of the cache carries in its extensions (so they count exactly what
//! clients were told in `Cache-Status`), for `/metrics` and the status page.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::policy::{CacheStatus, Outcome};

/// Outcomes of one service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub hits: u64,
    /// Served from the store after the upstream answered `304`.
    pub revalidated: u64,
    pub misses: u64,
    /// Served stale (upstream failing, or while revalidating).
    pub stale: u64,
    /// Not cacheable, or passed through.
    pub bypass: u64,
    /// The upstream failed and nothing stored could stand in (a 502 to the client).
    pub errors: u64,
    /// Body bytes of the responses counted above (from `Content-Length`).
    pub bytes: u64,
    /// Of `bytes`, those whose body came from the store.
    pub bytes_from_store: u64,
}

impl Counts {
    /// Responses whose body came from the store (hits and revalidated hits)
    /// over those and misses, when there were any.
    pub fn hit_ratio(&self) -> Option<f64> {
        let served = self.hits + self.revalidated;
        let total = served + self.misses;
        (total > 0).then(|| served as f64 / total as f64)
    }

    /// The count of one outcome.
    pub fn get(&self, outcome: Outcome) -> u64 {
        match outcome {
            Outcome::Hit => self.hits,
            Outcome::Revalidated => self.revalidated,
            Outcome::Stale => self.stale,
            Outcome::Miss => self.misses,
            Outcome::Bypass => self.bypass,
            Outcome::UpstreamError => self.errors,
        }
    }

    /// Every service's counts added up.
    pub fn total<'a>(all: impl IntoIterator<Item = &'a Counts>) -> Counts {
        all.into_iter().fold(Counts::default(), |mut t, c| {
            for outcome in Outcome::ALL {
                *t.slot(outcome) += c.get(outcome);
            }
            t.bytes += c.bytes;
            t.bytes_from_store += c.bytes_from_store;
            t
        })
    }

    /// What happened between `earlier` and `self` (both totals of one process).
    pub fn since(&self, earlier: &Counts) -> Counts {
        let mut d = Counts {
            bytes: self.bytes.saturating_sub(earlier.bytes),
            bytes_from_store: self
                .bytes_from_store
                .saturating_sub(earlier.bytes_from_store),
            ..Counts::default()
        };
        for outcome in Outcome::ALL {
            *d.slot(outcome) = self.get(outcome).saturating_sub(earlier.get(outcome));
        }
        d
    }

    fn slot(&mut self, outcome: Outcome) -> &mut u64 {
        match outcome {
            Outcome::Hit => &mut self.hits,
            Outcome::Revalidated => &mut self.revalidated,
            Outcome::Stale => &mut self.stale,
            Outcome::Miss => &mut self.misses,
            Outcome::Bypass => &mut self.bypass,
            Outcome::UpstreamError => &mut self.errors,
        }
    }
}

/// Totals sampled over time, so the status page can say what the last few
/// minutes looked like (the counters themselves only grow).
#[derive(Debug)]
pub struct Recent {
    window: std::time::Duration,
    samples: std::collections::VecDeque<(std::time::Instant, Counts)>,
}

impl Recent {
    pub fn new(window: std::time::Duration) -> Self {
        Self {
            window,
            samples: std::collections::VecDeque::new(),
        }
    }

    /// Records the totals at `now`, forgetting samples older than the window
    /// (one older sample is kept as the window's start).
    pub fn sample(&mut self, now: std::time::Instant, totals: Counts) {
        self.samples.push_back((now, totals));
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|(t, _)| now.duration_since(*t) >= self.window)
        {
            self.samples.pop_front();
        }
    }

    /// What happened from the oldest kept sample to `now`'s totals, and over
    /// how long (`None` before the first sample).
    pub fn over(
        &self,
        now: std::time::Instant,
        totals: &Counts,
    ) -> Option<(std::time::Duration, Counts)> {
        let (t, first) = self.samples.front()?;
        Some((now.duration_since(*t), totals.since(first)))
    }
}

/// Counters for every service of one process.
#[derive(Debug, Default)]
pub struct CacheStats {
    by_service: Mutex<BTreeMap<String, Counts>>,
}

impl CacheStats {
    /// Counts one response of `service` with `bytes` of body.
    pub fn record(&self, service: &str, status: &CacheStatus, bytes: u64) {
        let mut map = self
            .by_service
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let counts = match map.get_mut(service) {
            Some(c) => c,
            None => map.entry(service.to_owned()).or_default(),
        };
        counts.bytes += bytes;
        if status.outcome().from_store() {
            counts.bytes_from_store += bytes;
        }
        *counts.slot(status.outcome()) += 1;
    }

    /// Counts a response by the [`CacheStatus`] in its extensions (none: a
    /// response the cache didn't make, not counted) and its `Content-Length`.
    pub fn record_response<B>(&self, service: &str, response: &http::Response<B>) {
        let Some(status) = CacheStatus::of(response) else {
            return;
        };
        let bytes = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        self.record(service, status, bytes);
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
                    for outcome in Outcome::ALL {
                        let labels = vec![
                            ("service", service.clone()),
                            ("outcome", outcome.as_str().into()),
                        ];
                        values.push((labels, c.get(outcome)));
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

    #[test]
    fn recent_figures_cover_the_window_only() {
        use std::time::{Duration, Instant};
        let start = Instant::now();
        let at = |s| start + Duration::from_secs(s);
        let counts = |hits, misses, bytes_from_store| Counts {
            hits,
            misses,
            bytes: bytes_from_store + misses * 10,
            bytes_from_store,
            ..Counts::default()
        };
        let mut recent = Recent::new(Duration::from_secs(300));
        assert!(recent.over(at(0), &counts(0, 0, 0)).is_none());
        recent.sample(at(0), counts(100, 100, 1000));
        recent.sample(at(200), counts(150, 110, 1500));
        let (span, d) = recent.over(at(250), &counts(160, 110, 1600)).unwrap();
        assert_eq!(span, Duration::from_secs(250));
        assert_eq!((d.hits, d.misses, d.bytes_from_store), (60, 10, 600));
        // Past the window, the old start is dropped.
        recent.sample(at(400), counts(200, 120, 2000));
        recent.sample(at(520), counts(300, 120, 3000));
        let (span, d) = recent.over(at(520), &counts(300, 120, 3000)).unwrap();
        assert_eq!(span, Duration::from_secs(320));
        assert_eq!((d.hits, d.misses), (150, 10));
        assert_eq!(d.hit_ratio(), Some(150.0 / 160.0));
        let total = Counts::total([&counts(1, 2, 3), &counts(10, 20, 30)]);
        assert_eq!(
            (total.hits, total.misses, total.bytes_from_store),
            (11, 22, 33)
        );
    }
    use crate::cache::Fwd;

    #[test]
    fn outcomes_come_from_cache_status() {
        let stats = CacheStats::default();
        let mut hit = CacheStatus::hit();
        hit.ttl = Some(30);
        stats.record("proxy", &hit, 10);
        let mut stored = CacheStatus::fwd(Fwd::UriMiss);
        stored.stored = true;
        stats.record("proxy", &stored, 5);
        stats.record("proxy", &CacheStatus::fwd(Fwd::Bypass), 0);
        stats.record(
            "proxy",
            &CacheStatus::fwd(Fwd::UriMiss).detail("upstream-error"),
            0,
        );
        stats.record("repos", &CacheStatus::hit(), 0);
        let s = stats.snapshot();
        assert_eq!(
            s["proxy"],
            Counts {
                hits: 1,
                revalidated: 0,
                misses: 1,
                stale: 0,
                bypass: 1,
                errors: 1,
                bytes: 15,
                bytes_from_store: 10,
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

    /// Seen failing before outcomes were typed: `fwd=stale; fwd-status=304`
    /// was counted as a miss.
    #[test]
    fn a_revalidated_hit_is_its_own_outcome() {
        let stats = CacheStats::default();
        let mut status = CacheStatus::fwd(Fwd::Stale);
        status.fwd_status = Some(304);
        assert_eq!(status.header_value(), "awsproxy; fwd=stale; fwd-status=304");
        stats.record("proxy", &status, 0);
        let stats = Arc::new(stats);
        let metrics = crate::metrics::Metrics::new();
        stats.register(&metrics);
        let text = metrics.render();
        assert!(text.contains("outcome=\"revalidated\"} 1"), "{text}");
        assert!(text.contains("outcome=\"miss\"} 0"), "{text}");
        assert_eq!(stats.snapshot()["proxy"].hit_ratio(), Some(1.0));
    }

    #[test]
    fn the_stack_written_header_is_the_string_one() {
        let mut long = CacheStatus::fwd(Fwd::VaryMiss);
        long.hit = true;
        long.fwd_status = Some(304);
        long.stored = true;
        long.collapsed = true;
        long.ttl = Some(i64::MIN);
        long.detail = Some("stale-while-revalidate");
        for status in [CacheStatus::hit(), CacheStatus::fwd(Fwd::Bypass), long] {
            assert_eq!(
                status.to_header().unwrap().to_str().unwrap(),
                status.header_value()
            );
        }
    }

    #[test]
    fn stale_hits_are_stale_and_refetches_after_304_are_misses() {
        let swr = CacheStatus::hit().detail("stale-while-revalidate");
        assert_eq!(swr.outcome(), Outcome::Stale);
        let mut sie = CacheStatus::fwd(Fwd::Stale);
        sie.hit = true;
        sie.detail = Some("stale-if-error");
        assert_eq!(sie.outcome(), Outcome::Stale);
        // A 304 whose validators were not ours, then a full fetch.
        let mut refetched = CacheStatus::fwd(Fwd::Stale);
        refetched.fwd_status = Some(304);
        refetched.stored = true;
        assert_eq!(refetched.outcome(), Outcome::Miss);
    }
}
