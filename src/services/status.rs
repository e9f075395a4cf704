//! The metrics listener (`[metrics] listen`, default 127.0.0.1:9464): aggregate
//! health, Prometheus metrics and a one-page status view for humans.
//!
//! | route      | what                                                              |
//! |------------|-------------------------------------------------------------------|
//! | `/`        | status page: services, SSO sessions, tokens, cache (HTML, no external assets) |
//! | `/healthz` | 200 when every component is healthy, else 503; JSON body either way |
//! | `/livez`   | 200 while the process serves (liveness: restart it when this fails) |
//! | `/readyz`  | `/healthz`'s answer, and 503 from the first SIGTERM on while `serve` drains (readiness: send it traffic) |
//! | `/metrics` | Prometheus text exposition                                        |
//!
//! Services report into a [`StatusBoard`]: their health, tables ("sections")
//! the page shows, and metric families in the board's one registry
//! ([`StatusBoard::metrics`]). The board knows nothing about the services themselves.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::html::escape;

/// The health of one component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Health {
    Healthy,
    Unhealthy { reason: String },
}

/// A table on the status page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Section {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Shown under the table (e.g. "run `awsproxy sso login corp`").
    pub note: Option<String>,
    /// Shown instead of a table without rows: what is missing and how to add it.
    pub empty: &'static str,
}

/// A running listener as the page's service table shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceInfo {
    /// `http://ADDR/`.
    pub url: String,
    /// What it is for, in a few words.
    pub purpose: String,
    /// The one line to use it (backquoted spans are shown as code).
    pub usage: String,
}

type SectionFn = Arc<dyn Fn() -> Section + Send + Sync>;
type ProbeFn = Arc<dyn Fn() -> Vec<(String, Health)> + Send + Sync>;

/// Shared by every service of one `serve` process.
#[derive(Clone, Default)]
pub struct StatusBoard {
    health: Arc<RwLock<BTreeMap<String, Health>>>,
    services: Arc<RwLock<BTreeMap<String, ServiceInfo>>>,
    /// The interception CA's certificate, when the forward proxy intercepts.
    ca_pem: Arc<RwLock<Option<String>>>,
    sections: Arc<RwLock<Vec<(String, SectionFn)>>>,
    metrics: crate::metrics::Metrics,
    probes: Arc<RwLock<Vec<(String, ProbeFn)>>>,
    /// Set by the first SIGTERM: why `/readyz` now refuses traffic.
    draining: Arc<RwLock<Option<String>>>,
}

impl std::fmt::Debug for StatusBoard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusBoard")
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}

impl StatusBoard {
    /// Records a component's health (`proxy`, `repos`, `sso:corp`, `pypi:corp`, ...).
    pub fn set_health(&self, component: &str, health: Health) {
        write(&self.health).insert(component.to_owned(), health);
    }

    pub fn remove(&self, component: &str) {
        write(&self.health).remove(component);
        write(&self.services).remove(component);
        write(&self.sections).retain(|(owner, _)| owner != component);
        self.metrics.remove(component);
        write(&self.probes).retain(|(owner, _)| owner != component);
    }

    /// A running listener, for the page's service table.
    pub fn set_service(&self, name: &str, info: ServiceInfo) {
        write(&self.services).insert(name.to_owned(), info);
    }

    /// The interception CA (served at `/ca.pem`, linked from the page); `None`
    /// when the proxy stops intercepting.
    pub fn set_ca(&self, pem: Option<String>) {
        *write(&self.ca_pem) = pem;
    }

    /// A table computed on every page view, owned by `component` (replacing its
    /// previous one, so a restarted service doesn't show twice).
    pub fn add_section(
        &self,
        component: &str,
        section: impl Fn() -> Section + Send + Sync + 'static,
    ) {
        upsert(&self.sections, component, Arc::new(section));
    }

    /// The registry behind `/metrics`, for `component` to register its families
    /// in (dropping the ones it registered before, so a restarted service doesn't
    /// show twice).
    pub fn metrics(&self, component: &str) -> crate::metrics::Metrics {
        self.metrics.component(component)
    }

    /// Health computed on each `/healthz` and page view (e.g. one entry per SSO session).
    pub fn add_probe(
        &self,
        component: &str,
        probe: impl Fn() -> Vec<(String, Health)> + Send + Sync + 'static,
    ) {
        upsert(&self.probes, component, Arc::new(probe));
    }

    /// `serve` is stopping: `/readyz` answers 503 with `reason` (as component
    /// [`DRAINING`]) from now on, while the listeners still serve.
    pub fn set_draining(&self, reason: String) {
        *write(&self.draining) = Some(reason);
    }

    /// Static health merged with every probe's current answer.
    pub fn health_now(&self) -> BTreeMap<String, Health> {
        let mut health = read(&self.health).clone();
        let probes: Vec<ProbeFn> = read(&self.probes).iter().map(|(_, p)| p.clone()).collect();
        for probe in probes {
            health.extend(probe());
        }
        health
    }
}

fn unhealthy(health: &BTreeMap<String, Health>) -> BTreeMap<String, String> {
    health
        .iter()
        .filter_map(|(k, h)| match h {
            Health::Unhealthy { reason } => Some((k.clone(), reason.clone())),
            Health::Healthy => None,
        })
        .collect()
}

fn upsert<T>(list: &RwLock<Vec<(String, T)>>, owner: &str, item: T) {
    let mut list = write(list);
    list.retain(|(o, _)| o != owner);
    list.push((owner.to_owned(), item));
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The component `/readyz` adds while `serve` drains.
pub const DRAINING: &str = "serve";

pub fn router(board: StatusBoard) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/healthz", get(healthz))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/ca.pem", get(ca_pem))
        .route("/metrics", get(metrics))
        .with_state(board)
}

#[derive(Serialize)]
struct HealthBody {
    status: &'static str,
    components: BTreeMap<String, Health>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    unhealthy: BTreeMap<String, String>,
}

async fn healthz(axum::extract::State(board): axum::extract::State<StatusBoard>) -> Response {
    health_response(board.health_now())
}

/// Readiness: the components `/healthz` reports (stores that failed to open,
/// mounts without a token or endpoint, SSO sessions needing a login), plus
/// [`DRAINING`] once shutdown has begun, so a load balancer stops sending
/// traffic before the listeners close.
async fn readyz(axum::extract::State(board): axum::extract::State<StatusBoard>) -> Response {
    let mut components = board.health_now();
    if let Some(reason) = read(&board.draining).clone() {
        components.insert(DRAINING.to_owned(), Health::Unhealthy { reason });
    }
    health_response(components)
}

/// Liveness: answering at all is the answer. Nothing here depends on AWS or
/// a store, so an outage upstream never gets the process restarted.
async fn livez() -> Response {
    axum::Json(serde_json::json!({ "status": "ok" })).into_response()
}

/// 200 with the components when all are healthy, else 503 naming the others.
fn health_response(components: BTreeMap<String, Health>) -> Response {
    let unhealthy = unhealthy(&components);
    let code = if unhealthy.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = HealthBody {
        status: if unhealthy.is_empty() {
            "ok"
        } else {
            "unhealthy"
        },
        components,
        unhealthy,
    };
    (code, axum::Json(body)).into_response()
}

/// The CA certificate (public; the key never leaves the data dir).
async fn ca_pem(axum::extract::State(board): axum::extract::State<StatusBoard>) -> Response {
    match read(&board.ca_pem).clone() {
        Some(pem) => (
            [
                (header::CONTENT_TYPE, "application/x-pem-file"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"awsproxy-ca.pem\"",
                ),
            ],
            pem,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "the forward proxy is not intercepting TLS here (no `[proxy]`, or `intercept = false`)\n",
        )
            .into_response(),
    }
}

async fn metrics(axum::extract::State(board): axum::extract::State<StatusBoard>) -> Response {
    crate::metrics::response(&board.metrics)
}

/// The status page's `Content-Security-Policy`: its inline style sheet and
/// nothing else (no scripts, images, fonts, frames, forms or base URL), and no
/// page may frame it.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

async fn page(axum::extract::State(board): axum::extract::State<StatusBoard>) -> Response {
    let sections: Vec<SectionFn> = read(&board.sections)
        .iter()
        .map(|(_, f)| f.clone())
        .collect();
    let health = board.health_now();
    let services = read(&board.services).clone();
    let ca = read(&board.ca_pem).is_some();
    let html = Html(render_page(
        &health,
        &services,
        ca,
        &sections.iter().map(|f| f()).collect::<Vec<_>>(),
    ));
    (
        [
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        html,
    )
        .into_response()
}

/// The page itself: plain HTML and inline CSS, readable without JavaScript
/// and on a phone-sized screen (wide tables scroll in their own box). It is
/// the first thing `serve` points a newcomer at: each service says what it is
/// for and the one line to use it, the CA can be downloaded, and every empty
/// section says what to configure.
pub fn render_page(
    health: &BTreeMap<String, Health>,
    services: &BTreeMap<String, ServiceInfo>,
    ca: bool,
    sections: &[Section],
) -> String {
    let mut html = String::from(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
        "<meta http-equiv=\"refresh\" content=\"30\"><title>awsproxy status</title><style>",
        "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:75em}",
        ".wrap{overflow-x:auto;margin:.5em 0 1.5em}table{border-collapse:collapse}",
        "th,td{border:1px solid #ccc;padding:.3em .7em;text-align:left;vertical-align:top}",
        "th{background:#f3f3f3}.ok{color:#116611}.bad{color:#aa1111;font-weight:bold}",
        ".note{color:#555}.empty,.tip{background:#fffbe6;border-left:3px solid #e0b000;padding:.5em .8em}",
        ".tip{background:#eef5ff;border-color:#3b7dd8}",
        "code{background:#f3f3f3;padding:0 .2em;overflow-wrap:anywhere}",
        // On a narrow screen every table row becomes a card of labelled lines.
        "@media (max-width:40em){body{margin:.7em}table,tbody,tr,td{display:block}",
        "tr:first-child{display:none}tr{border:1px solid #ccc;margin:0 0 .6em;padding:.3em .5em}",
        "td{border:0;padding:.1em 0}td::before{content:attr(data-label) \": \";font-weight:bold}}",
        "</style></head><body><h1>awsproxy</h1>"
    ));
    let all_ok = health.values().all(|h| *h == Health::Healthy);
    html.push_str(&format!(
        "<p id=\"overall\" class=\"{}\">{}</p>",
        if all_ok { "ok" } else { "bad" },
        if all_ok {
            "All services healthy"
        } else {
            "Some services need attention"
        }
    ));
    html.push_str("<h2>Services</h2><div class=\"wrap\"><table id=\"services\"><tr><th>component</th><th>what it does</th><th>address</th><th>use it</th><th>health</th></tr>");
    let mut names: Vec<&String> = health.keys().chain(services.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let (class, text) = match health.get(name) {
            Some(Health::Healthy) | None => ("ok", "healthy".to_owned()),
            Some(Health::Unhealthy { reason }) => ("bad", reason.clone()),
        };
        let info = services.get(name).cloned().unwrap_or_default();
        html.push_str(&format!(
            "<tr data-component=\"{0}\"><td data-label=\"component\">{0}</td><td data-label=\"what it does\">{1}</td><td data-label=\"address\">{2}</td><td data-label=\"use it\">{3}</td><td data-label=\"health\" class=\"{class}\">{4}</td></tr>",
            escape(name),
            escape(&info.purpose),
            escape(&info.url),
            code_spans(&info.usage),
            escape(&text)
        ));
    }
    html.push_str("</table></div>");
    if ca {
        html.push_str(concat!(
            "<p class=\"tip\" id=\"ca\">HTTPS through the forward proxy is intercepted with awsproxy's own CA, ",
            "so tools must trust it: run <code>awsproxy ca trust</code> (the system store, NSS, Java ",
            "and a bundle file) and <code>eval \"$(awsproxy env)\"</code> (the proxy and CA variables), ",
            "or download <a href=\"/ca.pem\">ca.pem</a>.</p>"
        ));
    }
    for section in sections {
        html.push_str(&format!("<h2>{}</h2>", escape(&section.title)));
        if section.rows.is_empty() {
            html.push_str(&format!(
                "<p class=\"empty\">{}</p>",
                code_spans(section.empty)
            ));
        } else {
            table(&mut html, section);
        }
        if let Some(note) = &section.note {
            html.push_str(&format!("<p class=\"note\">{}</p>", code_spans(note)));
        }
    }
    html.push_str("<p class=\"note\">Metrics: <a href=\"/metrics\">/metrics</a> &middot; health: <a href=\"/healthz\">/healthz</a> &middot; this page refreshes every 30 s</p></body></html>\n");
    html
}

/// `text`, escaped, with `backquoted` spans set as code.
fn code_spans(text: &str) -> String {
    escape(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

/// A section's rows as a table under its column headers.
fn table(html: &mut String, section: &Section) {
    html.push_str("<div class=\"wrap\"><table><tr>");
    for c in &section.columns {
        html.push_str(&format!("<th>{}</th>", escape(c)));
    }
    html.push_str("</tr>");
    for row in &section.rows {
        html.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let label = section.columns.get(i).map_or("", String::as_str);
            html.push_str(&format!(
                "<td data-label=\"{}\">{}</td>",
                escape(label),
                escape(cell)
            ));
        }
        html.push_str("</tr>");
    }
    html.push_str("</table></div>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get(router: &Router, path: &str) -> (StatusCode, String) {
        let response = router
            .clone()
            .oneshot(Request::get(path).body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn healthz_is_503_naming_what_is_unhealthy() {
        let board = StatusBoard::default();
        board.set_health("proxy", Health::Healthy);
        let router = router(board.clone());
        let (code, body) = get(&router, "/healthz").await;
        assert_eq!(code, StatusCode::OK, "{body}");
        board.set_health(
            "pypi:corp",
            Health::Unhealthy {
                reason: "no CodeArtifact token: SSO login needed".into(),
            },
        );
        let (code, body) = get(&router, "/healthz").await;
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"], "unhealthy");
        assert_eq!(
            v["unhealthy"]["pypi:corp"],
            "no CodeArtifact token: SSO login needed"
        );
        assert_eq!(v["components"]["proxy"]["state"], "healthy");
    }

    #[tokio::test]
    async fn readyz_follows_health_and_draining_livez_stays_up() {
        let board = StatusBoard::default();
        board.set_health("repos", Health::Healthy);
        let router = router(board.clone());
        assert_eq!(get(&router, "/readyz").await.0, StatusCode::OK);
        assert_eq!(get(&router, "/livez").await.0, StatusCode::OK);

        // An unhealthy component makes the process unready, not dead.
        let reason = "no CodeArtifact token: SSO login needed";
        board.set_health(
            "pypi:corp",
            Health::Unhealthy {
                reason: reason.into(),
            },
        );
        let (code, body) = get(&router, "/readyz").await;
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["unhealthy"]["pypi:corp"], reason, "{body}");
        let (code, body) = get(&router, "/livez").await;
        assert_eq!(
            (code, body.as_str()),
            (StatusCode::OK, r#"{"status":"ok"}"#)
        );

        // Draining: unready with the reason; /healthz keeps its old meaning.
        board.set_health("pypi:corp", Health::Healthy);
        assert_eq!(get(&router, "/readyz").await.0, StatusCode::OK);
        board.set_draining("draining: stopping in 5s".into());
        let (code, body) = get(&router, "/readyz").await;
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v["unhealthy"][DRAINING], "draining: stopping in 5s",
            "{body}"
        );
        assert_eq!(get(&router, "/healthz").await.0, StatusCode::OK);
        assert_eq!(get(&router, "/livez").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn page_shows_services_and_sections_escaped() {
        let board = StatusBoard::default();
        board.set_service(
            "proxy",
            ServiceInfo {
                url: "http://127.0.0.1:3128/".into(),
                purpose: "forward proxy".into(),
                usage: "`export HTTPS_PROXY=http://127.0.0.1:3128`".into(),
            },
        );
        board.set_health("proxy", Health::Healthy);
        board.set_service(
            "repos",
            ServiceInfo {
                url: "http://127.0.0.1:9000/".into(),
                purpose: "repository listener".into(),
                usage: "or `awsproxy setup pip --mount <a&b>`".into(),
            },
        );
        board.add_section("sso", || Section {
            title: "SSO sessions".into(),
            columns: vec!["session".into(), "expires in".into()],
            rows: vec![vec!["<corp>".into(), "3h 10m".into()]],
            note: Some("run `awsproxy sso login`".into()),
            empty: "no sessions",
        });
        board.metrics("test").int_gauge("awsproxy_up", "Up").set(1);
        let board_ca = board.clone();
        let router = router(board);
        let response = router
            .clone()
            .oneshot(Request::get("/").body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(
            response.headers()[header::CONTENT_SECURITY_POLICY],
            PAGE_CSP
        );
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
        let (_, html) = get(&router, "/").await;
        assert!(html.contains("data-component=\"proxy\""), "{html}");
        assert!(!html.contains("<script"), "the policy allows no scripts");
        assert!(html.contains("http://127.0.0.1:3128"));
        assert!(
            html.contains("<code>export HTTPS_PROXY=http://127.0.0.1:3128</code>"),
            "{html}"
        );
        assert!(
            html.contains("or <code>awsproxy setup pip --mount &lt;a&amp;b&gt;</code>"),
            "usage lines are escaped: {html}"
        );
        assert!(
            html.contains("<code>awsproxy sso login</code>"),
            "notes show code: {html}"
        );
        assert!(!html.contains("ca.pem"), "no CA link without interception");
        let (code, _) = get(&router, "/ca.pem").await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        board_ca.set_ca(Some(
            "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n".into(),
        ));
        let (_, html) = get(&router, "/").await;
        assert!(html.contains("href=\"/ca.pem\""), "{html}");
        let (code, pem) = get(&router, "/ca.pem").await;
        assert_eq!(code, StatusCode::OK);
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(html.contains("&lt;corp&gt;") && !html.contains("<corp>"));
        assert!(!html.contains("src=\"http"), "no external assets");
        let (_, text) = get(&router, "/metrics").await;
        assert_eq!(
            text,
            "# HELP awsproxy_up Up.\n# TYPE awsproxy_up gauge\nawsproxy_up 1\n# EOF\n"
        );
    }
}
