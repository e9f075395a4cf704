//! One Prometheus registry for the whole process, and the one place its text
//! exposition is rendered. Every component registers the families it owns here
//! (all names start with `awsproxy_`) through a handle from [`Metrics::component`],
//! and may add a scrape hook that updates gauges computed at scrape time (e.g.
//! seconds until expiry). Counters kept elsewhere as plain numbers are exposed with
//! [`Metrics::counters_read_at_scrape`].
//!
//! A restarted component asks for its handle again, which drops what it had
//! registered, so its families never show twice. The exposition is served at
//! `GET /metrics` by [`router`] (`creds serve`) or by the status listener (`serve`).

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Metric, Registry};

/// Labels as `(name, value)` pairs, e.g. `[("client", "app"), ("outcome", "ok")]`.
pub type Labels = Vec<(&'static str, String)>;
/// A counter per label set.
pub type CounterFamily = Family<Labels, Counter>;
/// A floating-point gauge per label set.
pub type GaugeFamily = Family<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>;
/// An integer gauge per label set.
pub type IntGaugeFamily = Family<Labels, Gauge>;

type Hook = Box<dyn Fn() + Send + Sync>;

/// A handle on the process's registry, registering under one component. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
    component: Arc<str>,
}

struct Inner {
    /// Holds one collector: [`Families`].
    registry: Registry,
    families: Arc<Families>,
    hooks: Mutex<Vec<(Arc<str>, Hook)>>,
}

/// Every registered family with the component that owns it, in registration order.
#[derive(Debug, Default)]
struct Families {
    list: Mutex<Vec<Registered>>,
}

#[derive(Debug)]
struct Registered {
    component: Arc<str>,
    name: String,
    help: String,
    metric: Box<dyn Metric>,
}

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let list = self.list.lock().unwrap_or_else(PoisonError::into_inner);
        for family in list.iter() {
            let metric = encoder.encode_descriptor(
                &family.name,
                &family.help,
                None,
                family.metric.metric_type(),
            )?;
            family.metric.encode(metric)?;
        }
        Ok(())
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let families = Arc::new(Families::default());
        let mut registry = Registry::default();
        registry.register_collector(Box::new(families.clone()));
        Self {
            inner: Arc::new(Inner {
                registry,
                families,
                hooks: Mutex::default(),
            }),
            component: Arc::from(""),
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("component", &self.component)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// A handle that registers under `component` in the same registry, after
    /// dropping whatever `component` registered before (a restarted service
    /// registers afresh).
    pub fn component(&self, component: &str) -> Metrics {
        self.remove(component);
        Self {
            inner: self.inner.clone(),
            component: Arc::from(component),
        }
    }

    /// Drops the families and hooks `component` registered.
    pub fn remove(&self, component: &str) {
        self.inner
            .families
            .list
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|f| &*f.component != component);
        self.inner
            .hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(owner, _)| &**owner != component);
    }

    /// Registers a metric under `name` (without the `_total` suffix for counters).
    /// `help` is one sentence; its closing full stop is added here.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        let mut list = self
            .inner
            .families
            .list
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        list.retain(|f| f.name != name);
        list.push(Registered {
            component: self.component.clone(),
            name: name.to_owned(),
            help: format!("{}.", help.trim_end_matches('.')),
            metric: Box::new(metric),
        });
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

    /// An integer gauge family registered under `name`.
    pub fn int_gauge_family(&self, name: &str, help: &str) -> IntGaugeFamily {
        let family = IntGaugeFamily::default();
        self.register(name, help, family.clone());
        family
    }

    /// An integer gauge without labels registered under `name`.
    pub fn int_gauge(&self, name: &str, help: &str) -> Gauge {
        let gauge = Gauge::default();
        self.register(name, help, gauge.clone());
        gauge
    }

    /// A counter family whose values are read from `read` on every scrape, for
    /// counts kept as plain numbers by their owner (e.g. in a snapshot).
    pub fn counters_read_at_scrape(
        &self,
        name: &str,
        help: &str,
        read: impl Fn() -> Vec<(Labels, u64)> + Send + Sync + 'static,
    ) {
        self.register(name, help, ReadAtScrape(Box::new(read)));
    }

    /// Runs `hook` before every scrape (to update gauges derived from live state).
    pub fn on_scrape(&self, hook: impl Fn() + Send + Sync + 'static) {
        self.inner
            .hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((self.component.clone(), Box::new(hook)));
    }

    /// The text exposition of every registered metric, closed by `# EOF`.
    pub fn render(&self) -> String {
        for (_, hook) in self
            .inner
            .hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            hook();
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.inner.registry);
        out
    }
}

/// Counters read from their owner's numbers at scrape time.
struct ReadAtScrape(Box<dyn Fn() -> Vec<(Labels, u64)> + Send + Sync>);

impl std::fmt::Debug for ReadAtScrape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadAtScrape")
    }
}

impl EncodeMetric for ReadAtScrape {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (labels, value) in (self.0)() {
            ConstCounter::new(value).encode(encoder.encode_family(&labels)?)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
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
    response(&metrics)
}

/// The `/metrics` response for `metrics`.
pub fn response(metrics: &Metrics) -> Response {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.render()).into_response()
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
            text.contains(
                "# HELP awsproxy_test_requests Requests.\n# TYPE awsproxy_test_requests counter\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("awsproxy_test_seconds{source=\"s\"} 42"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn counters_read_at_scrape_are_counters() {
        let m = Metrics::new();
        m.counters_read_at_scrape("awsproxy_test_hits", "Hits.", || {
            vec![(vec![("service", "proxy".to_owned())], 3)]
        });
        let text = m.render();
        assert!(
            text.contains("# HELP awsproxy_test_hits Hits.\n# TYPE awsproxy_test_hits counter\nawsproxy_test_hits_total{service=\"proxy\"} 3\n"),
            "{text}"
        );
    }

    #[test]
    fn a_component_registering_again_replaces_what_it_had() {
        let root = Metrics::new();
        let other = root.component("other");
        other.int_gauge_family("awsproxy_test_other", "Other");
        for n in [1, 2] {
            let m = root.component("svc");
            m.int_gauge("awsproxy_test_up", "Up").set(n);
            m.on_scrape(move || assert_eq!(n, 2, "the first run's hook is gone"));
        }
        let text = root.render();
        assert_eq!(
            text.matches("# TYPE awsproxy_test_up gauge").count(),
            1,
            "{text}"
        );
        assert!(text.contains("awsproxy_test_up 2\n"), "{text}");
        assert!(text.contains("awsproxy_test_other"), "{text}");
        root.remove("svc");
        let text = root.render();
        assert!(!text.contains("awsproxy_test_up"), "{text}");
        assert!(text.contains("awsproxy_test_other"), "{text}");
    }
}
