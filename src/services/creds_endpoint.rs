//! The ECS container-credentials endpoint: what `AWS_CONTAINER_CREDENTIALS_FULL_URI`
//! points at, so any AWS SDK in a container or app gets rotating credentials.
//!
//! | Method | Path | Auth | Answer |
//! |---|---|---|---|
//! | GET | `/v1/credentials` | `Authorization: <client token>` | 200 ECS JSON, 401/403/503 `{code, message}` |
//! | GET | `/` | same | same (for URIs configured without a path) |
//! | GET | `/health` | none | 200 `{"status": "ok"}` (logged only with `log_health_checks`) |
//!
//! `/metrics` is mounted next to it by the caller ([`crate::metrics::router`]).
//!
//! Mounting it (what `creds serve` does, and what `serve` should do):
//!
//! ```ignore
//! let (router, reload) = CredsService::build(&section, &metrics).await;
//! let dir_watch = reload.watch_clients_dir(DIR_POLL_INTERVAL); // abort on shutdown
//! // on SIGHUP, with the re-read section:
//! reload.apply_rebuilding_sources(&section).await;
//! ```
//!
//! Every answer comes within [`ANSWER_WITHIN`] (SDKs give up after 2 s): a source that
//! fails or hangs gives a fast 503 with a `code`. Error bodies never say anything
//! about other clients. The client set is an immutable snapshot behind an `ArcSwap`;
//! [`ReloadHandle`] swaps in a new one (SIGHUP, `clients_dir` changes) without
//! touching requests in flight.

mod clients;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use serde_json::json;

use self::clients::Clients;
use crate::config::CredsSection;
use crate::creds::{CacheOptions, CredsError, SourceMetrics, rfc3339};
use crate::error::Error;
use crate::metrics::{CounterFamily, Metrics};

/// The longest the endpoint takes to answer, below the SDKs' 2 s timeout.
pub const ANSWER_WITHIN: Duration = Duration::from_millis(1500);
/// How often `clients_dir` is checked for changes.
pub const DIR_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// `Expiration` given for keys that never expire (SDKs then refetch in 45 minutes).
const STATIC_KEYS_VALID_FOR: Duration = Duration::from_secs(3600);

#[derive(Clone)]
struct AppState {
    clients: Arc<ArcSwap<Clients>>,
    requests: CounterFamily,
    log_health_checks: bool,
}

/// The endpoint: build it with [`CredsService::build`], mount the router, keep the handle.
#[derive(Debug)]
pub struct CredsService;

impl CredsService {
    /// Builds the client set from `section` (and its `clients_dir`) and returns the
    /// router with a handle to reload it. Problems with single clients are logged and
    /// those clients skipped, as on reload. Call it once per [`Metrics`] handle (it
    /// registers the `awsproxy_creds_*` metrics; a fresh handle from
    /// [`Metrics::component`] drops the previous run's).
    pub async fn build(section: &CredsSection, metrics: &Metrics) -> (Router, ReloadHandle) {
        let opts = CacheOptions {
            refresh_ahead: section.refresh_ahead.0,
            metrics: Some(SourceMetrics::register(metrics)),
            ..CacheOptions::default()
        };
        let clients = Arc::new(ArcSwap::from_pointee(Clients::default()));
        let handle = ReloadHandle {
            inner: Arc::new(ReloadInner {
                clients: clients.clone(),
                opts,
                last: tokio::sync::Mutex::new(section.clone()),
            }),
        };
        handle.apply(section).await;

        let requests = metrics.counter_family(
            "awsproxy_creds_requests",
            "Requests to the ECS credentials endpoint, by client and outcome",
        );
        let expiry = metrics.gauge_family(
            "awsproxy_creds_seconds_until_expiry",
            "Seconds until the cached credentials of each source expire",
        );
        let watched = clients.clone();
        metrics.on_scrape(move || {
            expiry.clear();
            for c in &watched.load().list {
                if let Some(left) = c.cache.expires_in() {
                    expiry
                        .get_or_create(&vec![("source", c.cache.spec().name.clone())])
                        .set(left.as_secs_f64());
                }
            }
        });
        let state = AppState {
            clients,
            requests,
            log_health_checks: section.log_health_checks,
        };
        (router(state), handle)
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/credentials", get(credentials))
        .route("/", get(credentials))
        .route("/health", get(health))
        .with_state(state)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "code": code, "message": message })),
    )
        .into_response()
}

async fn credentials(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let count = |client: &str, outcome: &str| {
        state
            .requests
            .get_or_create(&vec![
                ("client", client.to_owned()),
                ("outcome", outcome.to_owned()),
            ])
            .inc();
    };
    let Some(token) = headers.get(header::AUTHORIZATION) else {
        count("", "missing_token");
        tracing::info!(outcome = "missing_token", "credentials request");
        return error(
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "send the client's token in the Authorization header (AWS_CONTAINER_AUTHORIZATION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)",
        );
    };
    let snapshot = state.clients.load_full();
    let Some(client) = snapshot.find(token.as_bytes()) else {
        count("", "invalid_token");
        tracing::info!(outcome = "invalid_token", "credentials request");
        return error(
            StatusCode::FORBIDDEN,
            "invalid_token",
            "the token is not valid for this endpoint",
        );
    };
    let (outcome, response) = match answer(client).await {
        Ok(response) => {
            // The common outcome's counter is looked up once per client.
            client
                .ok_requests
                .get_or_init(|| {
                    let labels = vec![
                        ("client", client.name.clone()),
                        ("outcome", "ok".to_owned()),
                    ];
                    state.requests.get_or_create(&labels).clone()
                })
                .inc();
            ("ok", response)
        }
        Err(Unavailable { code, response }) => {
            count(&client.name, code);
            (code, response)
        }
    };
    tracing::info!(client = %client.name, outcome, "credentials request");
    response
}

/// Why a client with a valid token got no credentials: `code` is the
/// answer's `code`, and the request's `outcome` label.
struct Unavailable {
    code: &'static str,
    response: Response,
}

/// `client`'s credentials document, or the 503 that says why there is none.
async fn answer(client: &clients::Client) -> Result<Response, Unavailable> {
    // The common case: credentials fresh in the cache, answered without a
    // timer or a serialisation.
    if let Some(creds) = client.cache.fresh() {
        return Ok(client.answer.answer(&creds));
    }
    const LATE: &str = "the credentials source did not answer in time; try again";
    let (code, message) = match tokio::time::timeout(ANSWER_WITHIN, client.cache.get()).await {
        Ok(Ok(creds)) => return Ok(client.answer.answer(&creds)),
        Ok(Err(e)) => (
            e.code(),
            match e {
                CredsError::LoginRequired { .. } => {
                    "the credentials source needs an SSO login on the awsproxy host (`awsproxy sso login`)"
                }
                CredsError::Timeout { .. } => LATE,
                CredsError::Unavailable { .. } => {
                    "the credentials source is failing; the awsproxy log has the details"
                }
            },
        ),
        Err(_) => ("source_timeout", LATE),
    };
    Err(Unavailable {
        code,
        response: error(StatusCode::SERVICE_UNAVAILABLE, code, message),
    })
}

/// The ECS answer botocore and every SDK parse: all four fields always present.
fn ecs_json(creds: &aws_credential_types::Credentials) -> Bytes {
    let expiry = creds
        .expiry()
        .unwrap_or_else(|| SystemTime::now() + STATIC_KEYS_VALID_FOR);
    let mut body = json!({
        "AccessKeyId": creds.access_key_id(),
        "SecretAccessKey": creds.secret_access_key(),
        "Token": creds.session_token().unwrap_or_default(),
        "Expiration": rfc3339(expiry),
    });
    if let Some(account) = creds.account_id() {
        body["AccountId"] = json!(account.as_str());
    }
    Bytes::from(serde_json::to_vec(&body).expect("a JSON value serialises"))
}

/// How long the answer for keys that never expire is reused: its
/// `Expiration` (an hour ahead) is then at most this much older.
const STATIC_ANSWER_REUSED_FOR: Duration = Duration::from_secs(60);

/// A client's last answer, serialised once per set of credentials, so the
/// requests of SDKs polling it (and of every container sharing the client)
/// cost a copy of a few hundred bytes. Never printed: it holds the secret key.
#[derive(Default)]
pub(super) struct Answers(std::sync::Mutex<Option<Answer>>);

struct Answer {
    creds: aws_credential_types::Credentials,
    made: std::time::Instant,
    body: Bytes,
}

impl std::fmt::Debug for Answers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Answers(..)")
    }
}

impl Answers {
    /// The 200 answer with `creds`, from the last one when it is for the same
    /// credentials (and, for keys that never expire, recent).
    fn answer(&self, creds: &aws_credential_types::Credentials) -> Response {
        let body = {
            let mut last = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match &*last {
                Some(a)
                    if a.creds == *creds
                        && (creds.expiry().is_some()
                            || a.made.elapsed() < STATIC_ANSWER_REUSED_FOR) =>
                {
                    a.body.clone()
                }
                _ => {
                    let body = ecs_json(creds);
                    *last = Some(Answer {
                        creds: creds.clone(),
                        made: std::time::Instant::now(),
                        body: body.clone(),
                    });
                    body
                }
            }
        };
        (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response()
    }
}

async fn health(State(state): State<AppState>) -> Response {
    if state.log_health_checks {
        tracing::info!("health check");
    }
    axum::Json(json!({ "status": "ok" })).into_response()
}

/// Reloads the client set. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ReloadHandle {
    inner: Arc<ReloadInner>,
}

#[derive(Debug)]
struct ReloadInner {
    clients: Arc<ArcSwap<Clients>>,
    opts: CacheOptions,
    /// The section last applied; also serialises reloads.
    last: tokio::sync::Mutex<CredsSection>,
}

/// What a reload changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Entries skipped (bad file, duplicate name, unreadable token file).
    pub problems: Vec<String>,
}

impl ReloadHandle {
    /// Applies a (re-read) `[creds]` section: clients from it and its `clients_dir`.
    /// `listen` and `refresh_ahead` changes need a restart; everything else takes
    /// effect for the next request.
    ///
    /// A client whose source did not change keeps its cached credentials.
    pub async fn apply(&self, section: &CredsSection) -> ReloadReport {
        self.swap(section, true).await
    }

    /// Like [`Self::apply`], but rebuilds every source, so edits to `~/.aws/config`
    /// (which aws-config reads once per provider) take effect too. For SIGHUP.
    pub async fn apply_rebuilding_sources(&self, section: &CredsSection) -> ReloadReport {
        self.swap(section, false).await
    }

    async fn swap(&self, section: &CredsSection, reuse: bool) -> ReloadReport {
        let mut last = self.inner.last.lock().await;
        let (resolved, problems) = clients::collect(section);
        let old = self.inner.clients.load_full();
        let keep = if reuse {
            old.as_ref()
        } else {
            &Clients::default()
        };
        let new = clients::build(resolved, keep, &self.inner.opts).await;
        let before = old.names();
        let after = new.names();
        let report = ReloadReport {
            added: after
                .iter()
                .filter(|n| !before.contains(n))
                .cloned()
                .collect(),
            removed: before
                .iter()
                .filter(|n| !after.contains(n))
                .cloned()
                .collect(),
            problems,
        };
        self.inner.clients.store(Arc::new(new));
        *last = section.clone();
        for p in &report.problems {
            tracing::warn!("creds clients: {p}");
        }
        tracing::info!(clients = ?after, added = ?report.added, removed = ?report.removed, "creds clients loaded");
        report
    }

    /// Re-reads `clients_dir` and token files with the last applied section.
    pub async fn reload_files(&self) -> ReloadReport {
        let section = self.inner.last.lock().await.clone();
        self.apply(&section).await
    }

    /// Names of the clients currently served.
    pub fn client_names(&self) -> Vec<String> {
        self.inner.clients.load().names()
    }

    /// Polls the last applied section's `clients_dir` every `interval` and reloads
    /// when a file appears, disappears or changes. Runs until the task is aborted.
    pub fn watch_clients_dir(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let handle = self.clone();
        tokio::spawn(async move {
            let mut seen: Option<(PathBuf, Vec<_>)> = None;
            loop {
                let dir = handle.inner.last.lock().await.clients_dir.clone();
                if let Some(dir) = dir {
                    let now = clients::fingerprint(&dir);
                    let changed = seen
                        .as_ref()
                        .is_some_and(|(d, print)| d == &dir && print != &now);
                    seen = Some((dir, now));
                    if changed {
                        tracing::info!("clients_dir changed; reloading creds clients");
                        handle.reload_files().await;
                    }
                }
                tokio::time::sleep(interval).await;
            }
        })
    }
}

/// The client called `name` in `section` or its `clients_dir` (for `--print-env`).
pub fn find_client(section: &CredsSection, name: &str) -> Option<crate::config::CredsClient> {
    let (resolved, _) = clients::collect(section);
    resolved
        .into_iter()
        .find(|r| r.client.name == name)
        .map(|r| r.client)
}

/// The endpoint's URL variable.
pub const FULL_URI_VAR: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
/// The token variable, for a client whose token is inline in the configuration.
pub const TOKEN_VAR: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
/// The token-file variable, for a client with `token_file`.
pub const TOKEN_FILE_VAR: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

/// The client called `name`, or a usage error naming the configured ones.
pub fn client_or_usage(
    section: &CredsSection,
    name: &str,
) -> Result<crate::config::CredsClient, Error> {
    find_client(section, name).ok_or_else(|| {
        let known = client_names(section);
        Error::Usage {
            message: format!("no creds client named `{name}`"),
            hint: Some(if known.is_empty() {
                "add a [[creds.client]] to the configuration".to_owned()
            } else {
                format!("configured clients: {}", known.join(", "))
            }),
        }
    })
}

/// What a client of the endpoint sets (`creds serve --print-env`, `env --creds`).
#[derive(Debug)]
pub struct ClientEnv {
    /// The URL, then the token file's path or else the token itself.
    pub vars: Vec<(&'static str, String)>,
    /// Problems for stderr (never the token).
    pub warnings: Vec<String>,
}

/// The variables for client `name` of the endpoint at `section.listen`.
pub fn client_env(section: &CredsSection, name: &str) -> Result<ClientEnv, Error> {
    let client = client_or_usage(section, name)?;
    if section.listen.0.port() == 0 {
        return Err(Error::Usage {
            message: "`[creds] listen` has port 0, so the URL is not known in advance".to_owned(),
            hint: Some("set a fixed port with --listen or `[creds] listen`".to_owned()),
        });
    }
    let url = match section.tls_ca_names.first() {
        Some(name) => format!("https://{name}:{}/v1/credentials", section.listen.0.port()),
        None if section.tls_cert.is_some() => format!(
            "https://{}/v1/credentials",
            client_address(section.listen.0)
        ),
        None => endpoint_url(client_address(section.listen.0)),
    };
    let mut env = ClientEnv {
        vars: vec![(FULL_URI_VAR, url)],
        warnings: Vec::new(),
    };
    match (&client.token_file, &client.token) {
        (Some(path), _) => {
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            if std::fs::read(&path).is_ok_and(|b| b.ends_with(b"\n")) {
                env.warnings.push(format!(
                    "`{}` ends with a newline; SDKs send the file verbatim, so the token will not match (write it with `printf %s`)",
                    path.display()
                ));
            }
            env.vars.push((TOKEN_FILE_VAR, path.display().to_string()));
        }
        (None, Some(token)) => env.vars.push((TOKEN_VAR, token.0.expose().to_owned())),
        // Validation requires one of the two; a client without either is never loaded.
        (None, None) => {
            return Err(Error::Usage {
                message: format!("creds client `{name}` has no token"),
                hint: Some("give it `token` or `token_file`".to_owned()),
            });
        }
    }
    Ok(env)
}

/// The URL clients put in `AWS_CONTAINER_CREDENTIALS_FULL_URI` for `addr`
/// (without `:80`, as ECS writes it).
pub fn endpoint_url(addr: SocketAddr) -> String {
    if addr.port() == 80 {
        let host = match addr.ip() {
            IpAddr::V6(ip) => format!("[{ip}]"),
            ip @ IpAddr::V4(_) => ip.to_string(),
        };
        format!("http://{host}/v1/credentials")
    } else {
        format!("http://{addr}/v1/credentials")
    }
}

/// Why a container cannot use the endpoint listening on `listen`, with what to
/// do (`None`: it can, from a Docker bridge, once the host has the address).
/// SDKs take plain http only from loopback and the ECS addresses, and a
/// container's loopback is its own.
pub fn container_problem(listen: SocketAddr) -> Option<(String, String)> {
    let ip = client_address(listen).ip().to_canonical();
    if crate::daemon::host::ECS_ADDRESSES.contains(&ip) {
        return None;
    }
    let hint = "set `[creds] listen = \"169.254.170.2:80\"` (awsproxy puts the address on `lo`; see the README's Containers section)".to_owned();
    let why = if ip.is_loopback() {
        format!(
            "the endpoint listens on {listen}, a loopback address: in a container that is the container's own loopback, so this URL works only with `--network host`"
        )
    } else {
        format!(
            "the endpoint listens on {listen}: SDKs refuse plain-http credential URLs except on loopback and the ECS addresses (169.254.170.2, 169.254.170.23, fd00:ec2::23)"
        )
    };
    Some((why, hint))
}

/// The `Host` names the endpoint answers besides loopback, its own address and
/// the ECS addresses: `allowed_hosts`, and the names its certificate is for.
pub fn answered_hosts(section: &CredsSection) -> Vec<String> {
    let mut hosts = section.allowed_hosts.clone();
    hosts.extend(section.tls_ca_names.iter().cloned());
    hosts
}

/// The endpoint's TLS (`None`: plain http), as for the other listeners.
pub fn listener_tls(
    section: &CredsSection,
    data_dir: &std::path::Path,
) -> anyhow::Result<Option<crate::tls::listener::ListenerTls>> {
    crate::tls::listener::ListenerTls::resolve(
        crate::config::TlsKeys::new(
            "creds",
            &section.tls_cert,
            &section.tls_key,
            &section.tls_ca_names,
        ),
        data_dir,
    )
}

/// The address a client on this host uses: loopback when listening on all interfaces.
pub fn client_address(listen: SocketAddr) -> SocketAddr {
    match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, listen.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, listen.port()).into(),
        _ => listen,
    }
}

/// The names of every client in `section` and its `clients_dir`.
pub fn client_names(section: &CredsSection) -> Vec<String> {
    clients::collect(section)
        .0
        .into_iter()
        .map(|r| r.client.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;

    async fn body(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn an_answer_is_reused_only_for_the_same_credentials_and_never_printed() {
        let answers = Answers::default();
        let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000);
        let first = Credentials::new(
            "first-key-id",
            "secret-one",
            Some("tok".into()),
            Some(expiry),
            "t",
        );
        let second = Credentials::new("second-key-id", "secret-two", None, Some(expiry), "t");

        let a = answers.answer(&first);
        assert_eq!(a.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(a.headers()[header::CONTENT_TYPE], "application/json");
        let a = body(a).await;
        assert_eq!(a["AccessKeyId"], "first-key-id");
        assert_eq!(a["Token"], "tok");
        assert_eq!(a["Expiration"], "2030-03-17T17:46:40Z");
        assert_eq!(body(answers.answer(&first)).await, a);
        // Rotated credentials are never answered with the old document.
        let b = body(answers.answer(&second)).await;
        assert_eq!(b["AccessKeyId"], "second-key-id");
        assert_eq!(b["SecretAccessKey"], "secret-two");
        assert_eq!(b["Token"], "");

        let printed = format!("{answers:?}");
        assert!(!printed.contains("secret"), "{printed}");
    }
}
