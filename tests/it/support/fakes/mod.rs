//! In-process fakes of the AWS APIs awsproxy calls, for the integration tests.
//!
//! [`FakeAws`] is ONE HTTP server on `127.0.0.1:<random port>` that serves four services
//! whose routes do not collide, so every endpoint override (`AWS_ENDPOINT_URL_SSO`,
//! `AWS_ENDPOINT_URL_SSO_OIDC`, `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_CODEARTIFACT`)
//! can point at the same [`FakeAws::endpoint`]. [`FakeS3`] is a separate server (s3s-fs
//! on a temporary directory) because S3 owns every path.
//!
//! | Module | Service | Routes |
//! |---|---|---|
//! | [`sso_oidc`] | IAM Identity Center OIDC (restJson, unsigned) | `POST /client/register`, `POST /device_authorization`, `POST /token`, `GET /authorize`, `GET /device` |
//! | [`sso_portal`] | SSO portal (restJson, bearer token) | `GET /federation/credentials`, `GET /assignment/accounts`, `GET /assignment/roles`, `POST /logout` |
//! | [`sts`] | STS (awsQuery, SigV4) | `POST /` |
//! | [`codeartifact`] | CodeArtifact control plane (restJson, SigV4) | `POST /v1/authorization-token`, `GET /v1/repository/endpoint` |
//! | [`ecr`] | ECR and ECR Public `GetAuthorizationToken` (awsJson1.1, SigV4) | `POST /` with their `X-Amz-Target` (before STS) |
//! | [`s3`] | S3 ([`FakeS3`], separate server) | everything (path-style) |
//!
//! Anything else answers `404` and is recorded in [`FakeState::unmatched`].
//!
//! # Scripting and inspecting
//!
//! All state lives in one [`FakeState`] behind a `std::sync::Mutex`. Tests script the
//! fakes and read what happened through [`FakeAws::state`]:
//!
//! ```ignore
//! let aws = FakeAws::start().await;
//! aws.state().oidc.device_steps.extend([DeviceStep::Pending, DeviceStep::SlowDown]);
//! // ... drive the code under test ...
//! assert_eq!(aws.calls("CreateToken"), 3);
//! ```
//!
//! Never hold the guard across an `.await`. The servers run on their own thread and
//! Tokio runtime, so a test may block (e.g. `std::process::Command::output`) while
//! the code under test talks to the fakes. Dropping a fake stops its server.
//!
//! Every operation counts its calls in [`FakeState::calls`] under the AWS operation name
//! (`RegisterClient`, `StartDeviceAuthorization`, `CreateToken`, `Authorize`,
//! `DeviceVerification`, `GetRoleCredentials`, `ListAccounts`, `ListAccountRoles`,
//! `Logout`, `AssumeRole`, `GetCallerIdentity`, `GetAuthorizationToken`,
//! `GetRepositoryEndpoint`; ECR's as `ecr:GetAuthorizationToken` and
//! `ecr-public:GetAuthorizationToken`), and any of them can be made to fail with
//! [`FakeAws::inject_error`].
//!
//! Secrets and key ids issued here are obviously fake (`ASIAFAKE…` key ids of 16
//! characters, `fake-…` secrets and tokens) and never match the shape of real AWS keys.

pub mod codeartifact;
pub mod ecr;
pub mod s3;
pub mod sso_oidc;
pub mod sso_portal;
pub mod sts;

// Re-exported for the tests; not every test file uses every name.
#[allow(unused_imports)]
pub use codeartifact::{CodeArtifactDomain, CodeArtifactState};
#[allow(unused_imports)]
pub use ecr::{EcrState, EcrToken};
#[allow(unused_imports)]
pub use s3::{FakeS3, S3RequestRecord};
#[allow(unused_imports)]
pub use sso_oidc::{
    AuthorizeMode, DeviceOutcome, DeviceStep, OidcState, RefreshMode, RefreshTokenIssue,
};
#[allow(unused_imports)]
pub use sso_portal::{PortalAccount, PortalState};
#[allow(unused_imports)]
pub use sts::{StsCall, StsFailure, StsState};

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::BodyExt;

/// Access key id of the static credentials in [`sdk_config`]. Deliberately not AWS-shaped.
pub const FAKE_ACCESS_KEY_ID: &str = "AKIDFAKESTATIC";
/// Secret of the static credentials in [`sdk_config`].
pub const FAKE_SECRET_ACCESS_KEY: &str = "fake-static-secret-access-key";
/// Account the fakes use unless scripted otherwise.
pub const FAKE_ACCOUNT_ID: &str = "123456789012";
/// Region of [`sdk_config`].
pub const FAKE_REGION: &str = "us-east-1";

/// The shared, scriptable state of a [`FakeAws`].
pub type SharedState = Arc<Mutex<FakeState>>;

/// An `SdkConfig` for clients that talk to a fake: static fake credentials
/// ([`FAKE_ACCESS_KEY_ID`]), region `us-east-1`, the endpoint override, and retries
/// disabled so call counts are exact and error tests are fast.
pub fn sdk_config(endpoint: impl AsRef<str>) -> SdkConfig {
    sdk_config_with_credentials(endpoint, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, None)
}

/// Like [`sdk_config`], signing with the given credentials (e.g. ones a fake issued).
pub fn sdk_config_with_credentials(
    endpoint: impl AsRef<str>,
    access_key_id: &str,
    secret_access_key: &str,
    session_token: Option<&str>,
) -> SdkConfig {
    let credentials = Credentials::new(
        access_key_id,
        secret_access_key,
        session_token.map(str::to_owned),
        None,
        "awsproxy-test-fakes",
    );
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(FAKE_REGION))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .endpoint_url(endpoint.as_ref())
        .retry_config(RetryConfig::disabled())
        .build()
}

/// An error to answer instead of the normal response (see [`FakeAws::inject_error`]).
/// The fake renders it in its service's protocol (JSON with `x-amzn-errortype`, or
/// the STS XML `ErrorResponse`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedError {
    /// HTTP status.
    pub status: u16,
    /// Error code / exception name, e.g. `InternalServerException`, `Throttling`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

impl InjectedError {
    /// An error with a generic message.
    pub fn new(status: u16, code: &str) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: format!("injected {code} from the test fake"),
        }
    }
}

/// An access token the OIDC fake issued (or a test seeded); the portal accepts it
/// while it is neither expired nor revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenRecord {
    /// Client that obtained it (`None` for seeded tokens).
    pub client_id: Option<String>,
    /// Scopes of the client registration.
    pub scopes: Vec<String>,
    /// When it stops working.
    pub expires_at: SystemTime,
    /// Set by `Logout`.
    pub revoked: bool,
}

impl AccessTokenRecord {
    /// Not expired and not revoked.
    pub fn is_valid(&self) -> bool {
        !self.revoked && self.expires_at > SystemTime::now()
    }
}

/// Who issued a set of AWS credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// SSO portal `GetRoleCredentials`.
    Portal {
        /// Account id asked for.
        account_id: String,
        /// Role name asked for.
        role_name: String,
    },
    /// STS `AssumeRole`.
    Sts {
        /// Role assumed.
        role_arn: String,
        /// Session name given.
        session_name: String,
    },
}

/// AWS credentials issued by the portal or STS fake. STS and CodeArtifact recognise them
/// when they sign a request (identity, expiry); [`FakeS3`] can accept them too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCredentials {
    /// `ASIAFAKE…`
    pub access_key_id: String,
    /// `fake-secret-…`
    pub secret_access_key: String,
    /// `fake-session-token-…`
    pub session_token: String,
    /// Expiry.
    pub expires_at: SystemTime,
    /// Issuer.
    pub source: CredentialSource,
    /// Account the identity belongs to.
    pub account_id: String,
    /// Identity ARN (as `GetCallerIdentity` reports it).
    pub arn: String,
    /// Identity user id (as `GetCallerIdentity` reports it).
    pub user_id: String,
}

/// Outcome of looking at the SigV4 signer of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Signer {
    /// No `Authorization` header.
    Anonymous,
    /// Signed by this access key id, which is acceptable.
    Known(String),
    /// Signed by an issued key that has expired.
    Expired(String),
    /// Signed by an unknown key while [`FakeState::reject_unknown_signers`] is set.
    Rejected(String),
}

/// Everything the fakes know: scripts (set by tests), records (read by tests).
#[derive(Debug)]
pub struct FakeState {
    /// SSO-OIDC script and records.
    pub oidc: OidcState,
    /// SSO portal script and records.
    pub portal: PortalState,
    /// STS script and records.
    pub sts: StsState,
    /// CodeArtifact script and records.
    pub codeartifact: CodeArtifactState,
    /// ECR and ECR Public script and records.
    pub ecr: EcrState,
    /// Access tokens issued by the OIDC fake or seeded, accepted by the portal.
    pub access_tokens: HashMap<String, AccessTokenRecord>,
    /// AWS credentials issued by the portal and STS fakes, by access key id.
    pub credentials: HashMap<String, IssuedCredentials>,
    /// Access key ids (besides issued ones) that count as known signers.
    /// Starts with [`FAKE_ACCESS_KEY_ID`].
    pub known_access_keys: HashSet<String>,
    /// When set, STS and CodeArtifact answer `InvalidClientTokenId` /
    /// `UnrecognizedClientException` (403) to requests signed by other keys.
    pub reject_unknown_signers: bool,
    /// Calls per operation name.
    pub calls: BTreeMap<String, u32>,
    /// Errors to answer instead of the next calls of an operation (FIFO per operation).
    pub injected: HashMap<String, VecDeque<InjectedError>>,
    /// Requests that matched no route: `"METHOD /path?query"`.
    pub unmatched: Vec<String>,
    /// `http://127.0.0.1:PORT` of this fake.
    pub endpoint: String,
    tag: String,
    serial: u64,
}

static INSTANCES: AtomicU32 = AtomicU32::new(0);

impl FakeState {
    fn new(endpoint: String) -> Self {
        let n = INSTANCES.fetch_add(1, Ordering::Relaxed);
        let tag = format!("{:04X}", (u32::from(rand::random::<u16>()) ^ n) & 0xFFFF);
        Self {
            oidc: OidcState::default(),
            portal: PortalState::default(),
            sts: StsState::default(),
            codeartifact: CodeArtifactState::default(),
            ecr: EcrState::default(),
            access_tokens: HashMap::new(),
            credentials: HashMap::new(),
            known_access_keys: HashSet::from([FAKE_ACCESS_KEY_ID.to_owned()]),
            reject_unknown_signers: false,
            calls: BTreeMap::new(),
            injected: HashMap::new(),
            unmatched: Vec::new(),
            endpoint,
            tag,
            serial: 0,
        }
    }

    /// Calls of `operation` so far.
    pub fn calls(&self, operation: &str) -> u32 {
        self.calls.get(operation).copied().unwrap_or(0)
    }

    pub(crate) fn record_call(&mut self, operation: &str) {
        *self.calls.entry(operation.to_owned()).or_default() += 1;
    }

    pub(crate) fn take_injected(&mut self, operation: &str) -> Option<InjectedError> {
        self.injected
            .get_mut(operation)
            .and_then(VecDeque::pop_front)
    }

    /// A fresh identifier `"{prefix}-{tag}-{n}"`, unique within this fake and (with high
    /// probability) across fakes.
    pub(crate) fn fresh(&mut self, prefix: &str) -> String {
        self.serial += 1;
        format!("{prefix}-{}-{:04}", self.tag.to_lowercase(), self.serial)
    }

    /// A fresh fake access key id: `ASIAFAKE` + 4 hex + 4 digits (16 characters).
    pub(crate) fn fresh_access_key_id(&mut self) -> String {
        self.serial += 1;
        format!("ASIAFAKE{}{:04}", self.tag, self.serial % 10_000)
    }

    /// Issue and register a set of AWS credentials.
    pub(crate) fn issue_credentials(
        &mut self,
        lifetime: Duration,
        source: CredentialSource,
        account_id: String,
        arn: String,
        user_id: String,
    ) -> IssuedCredentials {
        let creds = IssuedCredentials {
            access_key_id: self.fresh_access_key_id(),
            secret_access_key: self.fresh("fake-secret"),
            session_token: self.fresh("fake-session-token"),
            expires_at: SystemTime::now() + lifetime,
            source,
            account_id,
            arn,
            user_id,
        };
        self.credentials
            .insert(creds.access_key_id.clone(), creds.clone());
        creds
    }

    /// Classify the SigV4 signer of a request.
    pub(crate) fn signer(&self, headers: &HeaderMap) -> Signer {
        let Some(akid) = signer_access_key_id(headers) else {
            return Signer::Anonymous;
        };
        if let Some(creds) = self.credentials.get(&akid) {
            if creds.expires_at <= SystemTime::now() {
                return Signer::Expired(akid);
            }
            return Signer::Known(akid);
        }
        if self.reject_unknown_signers && !self.known_access_keys.contains(&akid) {
            return Signer::Rejected(akid);
        }
        Signer::Known(akid)
    }
}

/// The access key id in a SigV4 `Authorization` header
/// (`AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...`).
pub fn signer_access_key_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let rest = &value[value.find("Credential=")? + "Credential=".len()..];
    let akid = rest.split('/').next()?.trim();
    (!akid.is_empty()).then(|| akid.to_owned())
}

/// Seconds since the epoch.
pub fn epoch_secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Milliseconds since the epoch.
pub fn epoch_millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `YYYY-MM-DDTHH:MM:SSZ`, as STS writes it.
pub fn iso8601(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    t.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}

/// A restJson error: status, `x-amzn-errortype: <error_type>` and a JSON body.
pub(crate) fn rest_json_error(
    status: StatusCode,
    error_type: &str,
    body: serde_json::Value,
) -> Response {
    (
        status,
        [
            ("x-amzn-errortype", error_type.to_owned()),
            ("content-type", "application/json".to_owned()),
            (
                "x-amzn-requestid",
                "00000000-0000-4000-8000-fa4e00000000".to_owned(),
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

/// A restJson success response.
pub(crate) fn rest_json_ok(body: serde_json::Value) -> Response {
    (
        StatusCode::OK,
        [
            ("content-type", "application/json"),
            ("x-amzn-requestid", "00000000-0000-4000-8000-fa4e00000001"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `application/x-www-form-urlencoded` (query strings and awsQuery bodies) into a map;
/// later keys win.
pub(crate) fn parse_form(input: &[u8]) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(input).into_owned().collect()
}

/// Binds `127.0.0.1:0` and serves on a dedicated thread with its own Tokio runtime.
/// Dropping it stops the server (open connections are cut).
#[derive(Debug)]
pub(crate) struct ServerThread {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerThread {
    pub(crate) fn spawn<F, Fut>(name: &str, serve: F) -> std::io::Result<Self>
    where
        F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("fake-{name}"))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("fake server runtime");
                rt.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("fake server listener");
                    tokio::select! {
                        () = serve(listener) => {}
                        _ = rx => {}
                    }
                });
                rt.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(Self {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One server with the SSO-OIDC, SSO portal, STS and CodeArtifact fakes.
#[derive(Debug)]
pub struct FakeAws {
    endpoint: String,
    state: SharedState,
    server: ServerThread,
}

impl FakeAws {
    /// Start the fakes on `127.0.0.1:0`.
    pub async fn start() -> Self {
        let state: SharedState = Arc::new(Mutex::new(FakeState::new(String::new())));
        let app = router(state.clone());
        let server = ServerThread::spawn("aws", move |listener| async move {
            let _ = axum::serve(listener, app).await;
        })
        .expect("start FakeAws");
        let endpoint = format!("http://{}", server.addr());
        state.lock().expect("fake state").endpoint = endpoint.clone();
        Self {
            endpoint,
            state,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Lock the state to script or inspect. Do not hold across `.await`.
    pub fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A handle on the state (e.g. for [`FakeS3::trust_credentials_from`]).
    pub fn shared(&self) -> SharedState {
        self.state.clone()
    }

    /// Calls of `operation` so far (e.g. `"CreateToken"`).
    pub fn calls(&self, operation: &str) -> u32 {
        self.state().calls(operation)
    }

    /// [`sdk_config`] pointed at this fake.
    pub fn sdk_config(&self) -> SdkConfig {
        sdk_config(&self.endpoint)
    }

    /// Answer `error` instead of the next call of `operation` (queued, FIFO).
    pub fn inject_error(&self, operation: &str, error: InjectedError) {
        self.state()
            .injected
            .entry(operation.to_owned())
            .or_default()
            .push_back(error);
    }

    /// Create a portal-valid access token (for SSO cache files written by hand).
    pub fn seed_access_token(&self, lifetime: Duration) -> String {
        let mut st = self.state();
        let token = st.fresh("fake-seeded-access-token");
        st.access_tokens.insert(
            token.clone(),
            AccessTokenRecord {
                client_id: None,
                scopes: Vec::new(),
                expires_at: SystemTime::now() + lifetime,
                revoked: false,
            },
        );
        token
    }

    /// Make a given string a portal-valid access token.
    pub fn seed_named_access_token(&self, token: &str, lifetime: Duration) {
        self.state().access_tokens.insert(
            token.to_owned(),
            AccessTokenRecord {
                client_id: None,
                scopes: Vec::new(),
                expires_at: SystemTime::now() + lifetime,
                revoked: false,
            },
        );
    }

    /// Whether the portal would accept this access token now.
    pub fn access_token_valid(&self, token: &str) -> bool {
        self.state()
            .access_tokens
            .get(token)
            .is_some_and(AccessTokenRecord::is_valid)
    }

    /// Expire every access token issued so far (the portal then answers 401).
    pub fn expire_access_tokens(&self) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for t in self.state().access_tokens.values_mut() {
            t.expires_at = past;
        }
    }

    /// Expire every AWS credential issued so far (STS/CodeArtifact then answer
    /// `ExpiredToken*`).
    pub fn expire_credentials(&self) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for c in self.state().credentials.values_mut() {
            c.expires_at = past;
        }
    }

    /// Expire every OIDC client registration (CreateToken then answers `InvalidClientException`).
    pub fn expire_client_registrations(&self) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for c in &mut self.state().oidc.clients {
            c.secret_expires_at = past;
        }
    }

    /// Expire every CodeArtifact authorization token issued so far.
    pub fn expire_codeartifact_tokens(&self) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for t in &mut self.state().codeartifact.tokens {
            t.expires_at = past;
        }
    }

    /// Whether a CodeArtifact authorization token was issued here and is unexpired
    /// (for upstream fakes that check `Authorization: Basic aws:<token>`).
    pub fn codeartifact_token_valid(&self, token: &str) -> bool {
        let now = SystemTime::now();
        self.state()
            .codeartifact
            .tokens
            .iter()
            .any(|t| t.token == token && t.expires_at > now)
    }

    /// Act as a browser whose user approves at once: GET the `/authorize` URL and
    /// return the `Location` of the redirect (`<redirect_uri>?code=..&state=..`).
    pub async fn browser_authorize(&self, authorize_url: &str) -> String {
        let resp = http_get(authorize_url).await;
        assert_eq!(
            resp.status(),
            StatusCode::FOUND,
            "authorize answered {resp:?}"
        );
        resp.headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .expect("authorize redirect without Location")
            .to_owned()
    }
}

/// A plain HTTP/1.1 GET (no redirects followed) with hyper-util's client.
pub async fn http_get(url: &str) -> http::Response<Bytes> {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<Bytes>>();
    let uri: Uri = url.parse().expect("valid URL");
    let resp = client.get(uri).await.expect("HTTP GET");
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.expect("read body").to_bytes();
    http::Response::from_parts(parts, body)
}

fn router(state: SharedState) -> Router {
    Router::new()
        .merge(sso_oidc::routes())
        .merge(sso_portal::routes())
        .merge(sts::routes())
        .merge(codeartifact::routes())
        .fallback(unmatched)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ecr::intercept,
        ))
        .with_state(state)
}

async fn unmatched(
    axum::extract::State(state): axum::extract::State<SharedState>,
    method: Method,
    uri: Uri,
) -> Response {
    let line = format!("{method} {uri}");
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .unmatched
        .push(line.clone());
    rest_json_error(
        StatusCode::NOT_FOUND,
        "UnknownOperationException",
        serde_json::json!({ "message": format!("the AWS test fake has no route for {line}") }),
    )
}

/// Lock helper for handlers (a poisoned lock only means a test panicked).
pub(crate) fn lock(state: &SharedState) -> MutexGuard<'_, FakeState> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
