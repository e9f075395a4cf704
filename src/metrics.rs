//! One Prometheus registry for the whole process. Every service registers its
//! metrics here (all names start with `awsproxy_`) and may add a scrape hook that
//! updates gauges computed at scrape time (e.g. seconds until expiry). The text
//! exposition is served by [`router`] at `GET /metrics`, on whichever listener the
//! caller mounts it (`creds serve` on its own listener; `serve` on `[metrics]`).

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Metric, Registry};

/// Labels as `(name, value)` pairs, e.g. `[("client", "app"), ("outcome", "ok")]`.
pub type Labels = Vec<(&'static str, String)>;
/// A counter per label set.
pub type CounterFamily = Family<Labels, Counter>;
/// A floating-point gauge per label set.
pub type GaugeFamily = Family<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>;

type Hook = Box<dyn Fn() + Send + Sync>;

/// The shared registry. Cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    registry: Mutex<Registry>,
    hooks: Mutex<Vec<Hook>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a metric under `name` (without the `_total` suffix for counters).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.inner
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .register(name, help, metric);
    }

    /// A counter family registered under `name`.
    pub fn counter_family(&self, name: &str, help: &str) -> CounterFamily {
        let family = CounterFamily::default();
        self.register(name, help, family.clone());
        family
    }

    /// A gauge family registered under `name`.
    pub fn gauge_family(&self, name: &str, help: &str) -> GaugeFamily {
        let family = GaugeFamily::default();
        self.register(name, help, family.clone());
        family
    }

    /// Runs `hook` before every scrape (to update gauges derived from live state).
    pub fn on_scrape(&self, hook: impl Fn() + Send + Sync + 'static) {
        self.inner
            .hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::new(hook));
    }

    /// The Prometheus text exposition of every registered metric.
    pub fn render(&self) -> String {
        for hook in self
            .inner
            .hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            hook();
        }
        let mut out = String::new();
        let registry = self
            .inner
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &registry);
        out
    }
}

impl Metrics {
    /// The exposition without its closing `# EOF` line, for concatenating several
    /// registries into one scrape (as `serve`'s `/metrics` does).
    pub fn render_families(&self) -> String {
        let text = self.render();
        match text.strip_suffix("# EOF\n") {
            Some(body) => body.to_owned(),
            None => text,
        }
    }
}

/// The content type of the exposition (OpenMetrics text, which Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics` serving `metrics` in the Prometheus text format.
pub fn router(metrics: Metrics) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(metrics)
}

async fn scrape(State(metrics): State<Metrics>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_hooks_show_up_in_the_text() {
        let m = Metrics::new();
        let c = m.counter_family("awsproxy_test_requests", "Requests");
        let g = m.gauge_family("awsproxy_test_seconds", "Seconds");
        c.get_or_create(&vec![("client", "a".to_owned())]).inc();
        let g2 = g.clone();
        m.on_scrape(move || {
            g2.get_or_create(&vec![("source", "s".to_owned())])
                .set(42.0);
        });
        let text = m.render();
        assert!(
            text.contains("awsproxy_test_requests_total{client=\"a\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("awsproxy_test_seconds{source=\"s\"} 42"),
            "{text}"
        );
    }
}
