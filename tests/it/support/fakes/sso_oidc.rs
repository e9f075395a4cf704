//! Fake of IAM Identity Center OIDC (`sso-oidc`: restJson1, unsigned), as
//! `aws-sdk-ssooidc` calls it, plus the browser-facing `/authorize` endpoint of the
//! PKCE flow and a `/device` verification page.
//!
//! | Method | Path | Operation | Notes |
//! |---|---|---|---|
//! | POST | `/client/register` | RegisterClient | records clientName/Type, scopes, grantTypes, redirectUris, issuerUrl |
//! | POST | `/device_authorization` | StartDeviceAuthorization | deviceCode, userCode, verificationUri(Complete), expiresIn, interval |
//! | POST | `/token` | CreateToken | grants `urn:ietf:params:oauth:grant-type:device_code`, `authorization_code` (PKCE S256), `refresh_token` |
//! | GET | `/authorize` | Authorize | a user who approves at once: `302 Location: <redirect_uri>?code=..&state=..` |
//! | GET | `/device?user_code=..` | DeviceVerification | marks a device authorization approved (see [`OidcState::device_requires_approval`]) |
//!
//! Errors are `{"error": "<oauth code>", "error_description": "..."}` with header
//! `x-amzn-errortype: <ExceptionName>` (what the SDK maps to its typed errors):
//! 400 for most, 401 `InvalidClientException`, 500 `InternalServerException`.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use sha2::Digest as _;

use super::{
    AccessTokenRecord, FakeState, InjectedError, SharedState, epoch_secs, lock, parse_form,
};

/// `grantType` of the device-code flow.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// One scripted answer to a device-code `CreateToken` poll, consumed in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStep {
    /// `AuthorizationPendingException`
    Pending,
    /// `SlowDownException`
    SlowDown,
}

/// What a device-code poll answers once [`OidcState::device_steps`] is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceOutcome {
    /// Issue the tokens (after approval, if [`OidcState::device_requires_approval`]).
    #[default]
    Approve,
    /// `ExpiredTokenException`, every time.
    Expire,
    /// `AccessDeniedException`, every time.
    Deny,
}

/// How a `refresh_token` grant behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefreshMode {
    /// New access token and a new refresh token; the old refresh token stops working.
    #[default]
    Rotate,
    /// New access token, no `refreshToken` in the response; the old one keeps working.
    NoNewRefreshToken,
    /// `InvalidGrantException`.
    Fail,
}

/// Whether the device-code and authorization-code grants return a refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefreshTokenIssue {
    /// Only for clients registered with scopes (like the real service).
    #[default]
    WhenScoped,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How the simulated user answers at `/authorize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthorizeMode {
    /// Redirect with `code` and the request's `state`.
    #[default]
    Approve,
    /// Redirect with `code` but a different `state` (a forged callback).
    WrongState,
    /// Redirect with `error=access_denied` and the request's `state`.
    Deny,
}

/// A `RegisterClient` call's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    /// Issued id.
    pub client_id: String,
    /// Issued secret.
    pub client_secret: String,
    /// `clientName` sent.
    pub client_name: String,
    /// `clientType` sent.
    pub client_type: String,
    /// `scopes` sent.
    pub scopes: Vec<String>,
    /// `grantTypes` sent.
    pub grant_types: Vec<String>,
    /// `redirectUris` sent.
    pub redirect_uris: Vec<String>,
    /// `issuerUrl` sent.
    pub issuer_url: Option<String>,
    /// `clientSecretExpiresAt`; past it CreateToken answers `InvalidClientException`.
    pub secret_expires_at: SystemTime,
}

/// A `StartDeviceAuthorization` call's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// Client that asked.
    pub client_id: String,
    /// `startUrl` sent.
    pub start_url: String,
    /// Issued device code.
    pub device_code: String,
    /// Issued user code.
    pub user_code: String,
    /// Expiry of the device code.
    pub expires_at: SystemTime,
    /// Set by `GET /device?user_code=..` (only matters with `device_requires_approval`).
    pub approved: bool,
    /// Tokens were issued for it (a second exchange is `InvalidGrantException`).
    pub used: bool,
}

/// A `GET /authorize` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// `response_type`
    pub response_type: Option<String>,
    /// `client_id`
    pub client_id: Option<String>,
    /// `redirect_uri`
    pub redirect_uri: Option<String>,
    /// `state`
    pub state: Option<String>,
    /// `scopes`
    pub scopes: Option<String>,
    /// `code_challenge`
    pub code_challenge: Option<String>,
    /// `code_challenge_method`
    pub code_challenge_method: Option<String>,
    /// The authorization code handed out, if any.
    pub code: Option<String>,
    /// The code was exchanged.
    pub used: bool,
}

/// A `CreateToken` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// `grantType`
    pub grant_type: Option<String>,
    /// `clientId`
    pub client_id: Option<String>,
    /// `deviceCode`
    pub device_code: Option<String>,
    /// `code`
    pub code: Option<String>,
    /// `codeVerifier`
    pub code_verifier: Option<String>,
    /// `redirectUri`
    pub redirect_uri: Option<String>,
    /// `refreshToken`
    pub refresh_token: Option<String>,
    /// `"ok"` or the exception name answered.
    pub outcome: String,
}

/// A refresh token issued here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    /// Client it belongs to.
    pub client_id: String,
    /// False once rotated away.
    pub valid: bool,
}

/// Script and records of the OIDC fake.
#[derive(Debug)]
pub struct OidcState {
    // ---- script ----
    /// Answers to device-code polls, consumed one per poll before [`Self::device_outcome`].
    pub device_steps: VecDeque<DeviceStep>,
    /// What device-code polls answer once `device_steps` is empty.
    pub device_outcome: DeviceOutcome,
    /// With `Approve`: keep answering `AuthorizationPendingException` until the user
    /// code was visited at `GET /device?user_code=..`. Default false.
    pub device_requires_approval: bool,
    /// `interval` of StartDeviceAuthorization (seconds). Default 1.
    pub device_interval: i32,
    /// `expiresIn` of StartDeviceAuthorization (seconds). Default 600.
    pub device_expires_in: i32,
    /// Lifetime of issued access tokens (`expiresIn`). Default 1 h.
    pub access_token_lifetime: Duration,
    /// Lifetime of client registrations (`clientSecretExpiresAt`). Default 90 days.
    pub registration_lifetime: Duration,
    /// Whether initial grants return a refresh token.
    pub issue_refresh_tokens: RefreshTokenIssue,
    /// How `refresh_token` grants behave.
    pub refresh_mode: RefreshMode,
    /// How the simulated user answers at `/authorize`.
    pub authorize_mode: AuthorizeMode,
    // ---- records ----
    /// Every registration, in order.
    pub clients: Vec<RegisteredClient>,
    /// Every device authorization, in order.
    pub device_authorizations: Vec<DeviceAuthorization>,
    /// Every `/authorize` request, in order.
    pub authorize_requests: Vec<AuthorizeRequest>,
    /// Every `CreateToken` call, in order.
    pub token_requests: Vec<TokenRequest>,
    /// Refresh tokens issued here.
    pub refresh_tokens: HashMap<String, RefreshTokenRecord>,
    /// Device-code `CreateToken` calls (all outcomes).
    pub device_polls: u32,
    /// Authorization-code `CreateToken` calls (all outcomes).
    pub authorization_code_grants: u32,
    /// Refresh-token `CreateToken` calls (all outcomes).
    pub refresh_attempts: u32,
    /// Successful refreshes.
    pub refreshes: u32,
}

impl Default for OidcState {
    fn default() -> Self {
        Self {
            device_steps: VecDeque::new(),
            device_outcome: DeviceOutcome::Approve,
            device_requires_approval: false,
            device_interval: 1,
            device_expires_in: 600,
            access_token_lifetime: Duration::from_secs(3600),
            registration_lifetime: Duration::from_secs(90 * 24 * 3600),
            issue_refresh_tokens: RefreshTokenIssue::WhenScoped,
            refresh_mode: RefreshMode::Rotate,
            authorize_mode: AuthorizeMode::Approve,
            clients: Vec::new(),
            device_authorizations: Vec::new(),
            authorize_requests: Vec::new(),
            token_requests: Vec::new(),
            refresh_tokens: HashMap::new(),
            device_polls: 0,
            authorization_code_grants: 0,
            refresh_attempts: 0,
            refreshes: 0,
        }
    }
}

impl OidcState {
    /// Script `pending` `AuthorizationPendingException`s then `slow_down`
    /// `SlowDownException`s before the device grant succeeds.
    pub fn script_device_polls(&mut self, pending: usize, slow_down: usize) {
        self.device_steps
            .extend(std::iter::repeat_n(DeviceStep::Pending, pending));
        self.device_steps
            .extend(std::iter::repeat_n(DeviceStep::SlowDown, slow_down));
    }

    /// The registration with this id.
    pub fn client(&self, client_id: &str) -> Option<&RegisteredClient> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }
}

/// The OIDC routes.
pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/client/register", post(register_client))
        .route("/device_authorization", post(start_device_authorization))
        .route("/token", post(create_token))
        .route("/authorize", get(authorize))
        .route("/device", get(device_verification))
}

/// An OIDC error: exception name and description.
#[derive(Debug)]
struct OidcError {
    exception: &'static str,
    description: String,
}

fn err(exception: &'static str, description: impl Into<String>) -> OidcError {
    OidcError {
        exception,
        description: description.into(),
    }
}

impl IntoResponse for OidcError {
    fn into_response(self) -> Response {
        let (status, code) = match self.exception {
            "AuthorizationPendingException" => (StatusCode::BAD_REQUEST, "authorization_pending"),
            "SlowDownException" => (StatusCode::BAD_REQUEST, "slow_down"),
            "ExpiredTokenException" => (StatusCode::BAD_REQUEST, "expired_token"),
            "AccessDeniedException" => (StatusCode::BAD_REQUEST, "access_denied"),
            "InvalidGrantException" => (StatusCode::BAD_REQUEST, "invalid_grant"),
            "InvalidClientException" => (StatusCode::UNAUTHORIZED, "invalid_client"),
            "UnauthorizedClientException" => (StatusCode::BAD_REQUEST, "unauthorized_client"),
            "UnsupportedGrantTypeException" => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            "InvalidScopeException" => (StatusCode::BAD_REQUEST, "invalid_scope"),
            "InvalidRedirectUriException" => (StatusCode::BAD_REQUEST, "invalid_redirect_uri"),
            "InternalServerException" => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
            _ => (StatusCode::BAD_REQUEST, "invalid_request"),
        };
        oidc_error_response(status, self.exception, code, &self.description)
    }
}

fn oidc_error_response(
    status: StatusCode,
    exception: &str,
    code: &str,
    description: &str,
) -> Response {
    super::rest_json_error(
        status,
        exception,
        json!({ "error": code, "error_description": description }),
    )
}

fn injected_response(e: &InjectedError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    oidc_error_response(status, &e.code, &e.code, &e.message)
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, OidcError> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        err(
            "InvalidRequestException",
            format!("malformed JSON body: {e}"),
        )
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterClientBody {
    client_name: Option<String>,
    client_type: Option<String>,
    scopes: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    redirect_uris: Option<Vec<String>>,
    issuer_url: Option<String>,
}

async fn register_client(State(state): State<SharedState>, body: Bytes) -> Response {
    let mut st = lock(&state);
    st.record_call("RegisterClient");
    if let Some(e) = st.take_injected("RegisterClient") {
        return injected_response(&e);
    }
    match register_client_locked(&mut st, &body) {
        Ok(v) => super::rest_json_ok(v),
        Err(e) => e.into_response(),
    }
}

fn register_client_locked(st: &mut FakeState, body: &[u8]) -> Result<serde_json::Value, OidcError> {
    let req: RegisterClientBody = parse_body(body)?;
    let client_name = req
        .client_name
        .ok_or_else(|| err("InvalidRequestException", "clientName is required"))?;
    let client_type = req
        .client_type
        .ok_or_else(|| err("InvalidRequestException", "clientType is required"))?;
    if client_type != "public" {
        return Err(err(
            "InvalidClientMetadataException",
            format!("unsupported clientType {client_type}"),
        ));
    }
    let grant_types = req.grant_types.unwrap_or_default();
    let redirect_uris = req.redirect_uris.unwrap_or_default();
    if grant_types.iter().any(|g| g == "authorization_code") {
        if redirect_uris.is_empty() {
            return Err(err(
                "InvalidRedirectUriException",
                "authorization_code needs redirectUris",
            ));
        }
        if req.issuer_url.is_none() {
            return Err(err(
                "InvalidRequestException",
                "authorization_code needs issuerUrl",
            ));
        }
    }
    let now = SystemTime::now();
    let client = RegisteredClient {
        client_id: st.fresh("fake-client-id"),
        client_secret: st.fresh("fake-client-secret"),
        client_name,
        client_type,
        scopes: req.scopes.unwrap_or_default(),
        grant_types,
        redirect_uris,
        issuer_url: req.issuer_url,
        secret_expires_at: now + st.oidc.registration_lifetime,
    };
    let out = json!({
        "clientId": client.client_id,
        "clientSecret": client.client_secret,
        "clientIdIssuedAt": epoch_secs(now),
        "clientSecretExpiresAt": epoch_secs(client.secret_expires_at),
    });
    st.oidc.clients.push(client);
    Ok(out)
}

/// The registered client for these credentials, or `InvalidClientException`.
fn authenticate_client(
    st: &FakeState,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> Result<RegisteredClient, OidcError> {
    let client_id =
        client_id.ok_or_else(|| err("InvalidRequestException", "clientId is required"))?;
    let client = st
        .oidc
        .client(client_id)
        .ok_or_else(|| err("InvalidClientException", "unknown clientId"))?;
    if Some(client.client_secret.as_str()) != client_secret {
        return Err(err("InvalidClientException", "invalid client secret"));
    }
    if client.secret_expires_at <= SystemTime::now() {
        return Err(err(
            "InvalidClientException",
            "client registration has expired",
        ));
    }
    Ok(client.clone())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartDeviceAuthorizationBody {
    client_id: Option<String>,
    client_secret: Option<String>,
    start_url: Option<String>,
}

async fn start_device_authorization(State(state): State<SharedState>, body: Bytes) -> Response {
    let mut st = lock(&state);
    st.record_call("StartDeviceAuthorization");
    if let Some(e) = st.take_injected("StartDeviceAuthorization") {
        return injected_response(&e);
    }
    match start_device_authorization_locked(&mut st, &body) {
        Ok(v) => super::rest_json_ok(v),
        Err(e) => e.into_response(),
    }
}

fn start_device_authorization_locked(
    st: &mut FakeState,
    body: &[u8],
) -> Result<serde_json::Value, OidcError> {
    let req: StartDeviceAuthorizationBody = parse_body(body)?;
    let client = authenticate_client(st, req.client_id.as_deref(), req.client_secret.as_deref())?;
    let start_url = req
        .start_url
        .ok_or_else(|| err("InvalidRequestException", "startUrl is required"))?;
    let device_code = st.fresh("fake-device-code");
    let n = st.oidc.device_authorizations.len() + 1;
    let user_code = format!("FAKE-{n:04}");
    let expires_in = st.oidc.device_expires_in;
    let verification_uri = format!("{}/device", st.endpoint);
    let out = json!({
        "deviceCode": device_code,
        "userCode": user_code,
        "verificationUri": verification_uri,
        "verificationUriComplete": format!("{verification_uri}?user_code={user_code}"),
        "expiresIn": expires_in,
        "interval": st.oidc.device_interval,
    });
    st.oidc.device_authorizations.push(DeviceAuthorization {
        client_id: client.client_id,
        start_url,
        device_code,
        user_code,
        expires_at: SystemTime::now() + Duration::from_secs(u64::try_from(expires_in).unwrap_or(0)),
        approved: false,
        used: false,
    });
    Ok(out)
}

async fn device_verification(
    State(state): State<SharedState>,
    RawQuery(query): RawQuery,
) -> Response {
    let mut st = lock(&state);
    st.record_call("DeviceVerification");
    let params = parse_form(query.unwrap_or_default().as_bytes());
    let user_code = params.get("user_code").cloned().unwrap_or_default();
    match st
        .oidc
        .device_authorizations
        .iter_mut()
        .find(|d| d.user_code == user_code)
    {
        Some(d) => {
            d.approved = true;
            (
                StatusCode::OK,
                [("content-type", "text/html")],
                "<p>Request approved (AWS test fake)</p>",
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "unknown user code").into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateTokenBody {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    device_code: Option<String>,
    code: Option<String>,
    code_verifier: Option<String>,
    redirect_uri: Option<String>,
    refresh_token: Option<String>,
}

async fn create_token(State(state): State<SharedState>, body: Bytes) -> Response {
    let mut st = lock(&state);
    st.record_call("CreateToken");
    let req: CreateTokenBody = match parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match req.grant_type.as_deref() {
        Some(DEVICE_CODE_GRANT) => st.oidc.device_polls += 1,
        Some("authorization_code") => st.oidc.authorization_code_grants += 1,
        Some("refresh_token") => st.oidc.refresh_attempts += 1,
        _ => {}
    }
    let mut record = TokenRequest {
        grant_type: req.grant_type.clone(),
        client_id: req.client_id.clone(),
        device_code: req.device_code.clone(),
        code: req.code.clone(),
        code_verifier: req.code_verifier.clone(),
        redirect_uri: req.redirect_uri.clone(),
        refresh_token: req.refresh_token.clone(),
        outcome: "ok".to_owned(),
    };
    if let Some(e) = st.take_injected("CreateToken") {
        record.outcome.clone_from(&e.code);
        st.oidc.token_requests.push(record);
        return injected_response(&e);
    }
    let result = create_token_locked(&mut st, &req);
    if let Err(e) = &result {
        record.outcome = e.exception.to_owned();
    }
    st.oidc.token_requests.push(record);
    match result {
        Ok(v) => super::rest_json_ok(v),
        Err(e) => e.into_response(),
    }
}

fn create_token_locked(
    st: &mut FakeState,
    req: &CreateTokenBody,
) -> Result<serde_json::Value, OidcError> {
    let client = authenticate_client(st, req.client_id.as_deref(), req.client_secret.as_deref())?;
    let grant_type = req
        .grant_type
        .as_deref()
        .ok_or_else(|| err("InvalidRequestException", "grantType is required"))?;
    match grant_type {
        DEVICE_CODE_GRANT => device_code_grant(st, &client, req),
        "authorization_code" => authorization_code_grant(st, &client, req),
        "refresh_token" => refresh_token_grant(st, &client, req),
        other => Err(err(
            "UnsupportedGrantTypeException",
            format!("unsupported grantType {other}"),
        )),
    }
}

fn device_code_grant(
    st: &mut FakeState,
    client: &RegisteredClient,
    req: &CreateTokenBody,
) -> Result<serde_json::Value, OidcError> {
    let device_code = req
        .device_code
        .as_deref()
        .ok_or_else(|| err("InvalidRequestException", "deviceCode is required"))?;
    let idx = st
        .oidc
        .device_authorizations
        .iter()
        .position(|d| d.device_code == device_code && d.client_id == client.client_id)
        .ok_or_else(|| err("InvalidGrantException", "unknown device code"))?;
    let auth = st.oidc.device_authorizations[idx].clone();
    if auth.used {
        return Err(err(
            "InvalidGrantException",
            "device code already exchanged",
        ));
    }
    if auth.expires_at <= SystemTime::now() {
        return Err(err("ExpiredTokenException", "device code expired"));
    }
    if let Some(step) = st.oidc.device_steps.pop_front() {
        return Err(match step {
            DeviceStep::Pending => err("AuthorizationPendingException", "authorization pending"),
            DeviceStep::SlowDown => err("SlowDownException", "slow down"),
        });
    }
    match st.oidc.device_outcome {
        DeviceOutcome::Expire => return Err(err("ExpiredTokenException", "device code expired")),
        DeviceOutcome::Deny => {
            return Err(err("AccessDeniedException", "the user denied the request"));
        }
        DeviceOutcome::Approve => {}
    }
    if st.oidc.device_requires_approval && !auth.approved {
        return Err(err(
            "AuthorizationPendingException",
            "waiting for the user to approve",
        ));
    }
    st.oidc.device_authorizations[idx].used = true;
    Ok(issue_tokens(st, client))
}

fn authorization_code_grant(
    st: &mut FakeState,
    client: &RegisteredClient,
    req: &CreateTokenBody,
) -> Result<serde_json::Value, OidcError> {
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return Err(err(
            "UnauthorizedClientException",
            "client is not registered for authorization_code",
        ));
    }
    let code = req
        .code
        .as_deref()
        .ok_or_else(|| err("InvalidRequestException", "code is required"))?;
    let idx = st
        .oidc
        .authorize_requests
        .iter()
        .position(|a| a.code.as_deref() == Some(code))
        .ok_or_else(|| err("InvalidGrantException", "unknown authorization code"))?;
    let auth = st.oidc.authorize_requests[idx].clone();
    if auth.used {
        return Err(err(
            "InvalidGrantException",
            "authorization code already used",
        ));
    }
    if auth.client_id.as_deref() != Some(client.client_id.as_str()) {
        return Err(err(
            "InvalidGrantException",
            "authorization code was issued to another client",
        ));
    }
    if auth.redirect_uri != req.redirect_uri {
        return Err(err(
            "InvalidGrantException",
            "redirectUri does not match the authorization request",
        ));
    }
    let verifier = req
        .code_verifier
        .as_deref()
        .ok_or_else(|| err("InvalidGrantException", "codeVerifier is required"))?;
    if Some(pkce_challenge(verifier)) != auth.code_challenge {
        return Err(err(
            "InvalidGrantException",
            "codeVerifier does not match code_challenge",
        ));
    }
    st.oidc.authorize_requests[idx].used = true;
    Ok(issue_tokens(st, client))
}

fn refresh_token_grant(
    st: &mut FakeState,
    client: &RegisteredClient,
    req: &CreateTokenBody,
) -> Result<serde_json::Value, OidcError> {
    let token = req
        .refresh_token
        .as_deref()
        .ok_or_else(|| err("InvalidRequestException", "refreshToken is required"))?;
    let valid = st
        .oidc
        .refresh_tokens
        .get(token)
        .is_some_and(|r| r.valid && r.client_id == client.client_id);
    if !valid {
        return Err(err("InvalidGrantException", "invalid refresh token"));
    }
    match st.oidc.refresh_mode {
        RefreshMode::Fail => Err(err("InvalidGrantException", "refresh refused (scripted)")),
        RefreshMode::Rotate => {
            if let Some(r) = st.oidc.refresh_tokens.get_mut(token) {
                r.valid = false;
            }
            st.oidc.refreshes += 1;
            Ok(issue_tokens_with_refresh(st, client, true))
        }
        RefreshMode::NoNewRefreshToken => {
            st.oidc.refreshes += 1;
            Ok(issue_tokens_with_refresh(st, client, false))
        }
    }
}

/// Issue an access token, with a refresh token per [`OidcState::issue_refresh_tokens`].
fn issue_tokens(st: &mut FakeState, client: &RegisteredClient) -> serde_json::Value {
    let with_refresh = match st.oidc.issue_refresh_tokens {
        RefreshTokenIssue::WhenScoped => !client.scopes.is_empty(),
        RefreshTokenIssue::Always => true,
        RefreshTokenIssue::Never => false,
    };
    issue_tokens_with_refresh(st, client, with_refresh)
}

fn issue_tokens_with_refresh(
    st: &mut FakeState,
    client: &RegisteredClient,
    with_refresh: bool,
) -> serde_json::Value {
    let lifetime = st.oidc.access_token_lifetime;
    let access_token = st.fresh("fake-access-token");
    st.access_tokens.insert(
        access_token.clone(),
        AccessTokenRecord {
            client_id: Some(client.client_id.clone()),
            scopes: client.scopes.clone(),
            expires_at: SystemTime::now() + lifetime,
            revoked: false,
        },
    );
    let mut out = json!({
        "accessToken": access_token,
        "tokenType": "Bearer",
        "expiresIn": i32::try_from(lifetime.as_secs()).unwrap_or(i32::MAX),
    });
    if with_refresh {
        let refresh = st.fresh("fake-refresh-token");
        st.oidc.refresh_tokens.insert(
            refresh.clone(),
            RefreshTokenRecord {
                client_id: client.client_id.clone(),
                valid: true,
            },
        );
        out["refreshToken"] = json!(refresh);
    }
    out
}

/// `BASE64URL-NOPAD(SHA256(verifier))` (RFC 7636 S256).
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// Whether `requested` is allowed by a registered redirect URI: equal, or both loopback
/// `http` URIs with the same host and path (any port, RFC 8252 §7.3).
fn redirect_uri_allowed(registered: &[String], requested: &str) -> bool {
    let Ok(req) = url::Url::parse(requested) else {
        return false;
    };
    registered.iter().any(|r| {
        if r == requested {
            return true;
        }
        let Ok(reg) = url::Url::parse(r) else {
            return false;
        };
        let loopback = matches!(req.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        loopback
            && reg.scheme() == "http"
            && req.scheme() == "http"
            && reg.host_str() == req.host_str()
            && reg.path() == req.path()
    })
}

async fn authorize(State(state): State<SharedState>, RawQuery(query): RawQuery) -> Response {
    let mut st = lock(&state);
    st.record_call("Authorize");
    let q = parse_form(query.unwrap_or_default().as_bytes());
    let mut request = AuthorizeRequest {
        response_type: q.get("response_type").cloned(),
        client_id: q.get("client_id").cloned(),
        redirect_uri: q.get("redirect_uri").cloned(),
        state: q.get("state").cloned(),
        scopes: q.get("scopes").cloned(),
        code_challenge: q.get("code_challenge").cloned(),
        code_challenge_method: q.get("code_challenge_method").cloned(),
        code: None,
        used: false,
    };
    if let Some(e) = st.take_injected("Authorize") {
        st.oidc.authorize_requests.push(request);
        return injected_response(&e);
    }
    let problem = if request.response_type.as_deref() != Some("code") {
        Some(err("InvalidRequestException", "response_type must be code"))
    } else if request.code_challenge_method.as_deref() != Some("S256")
        || request.code_challenge.is_none()
    {
        Some(err(
            "InvalidRequestException",
            "code_challenge with code_challenge_method=S256 is required",
        ))
    } else {
        match request
            .client_id
            .as_deref()
            .and_then(|id| st.oidc.client(id))
        {
            None => Some(err("InvalidClientException", "unknown client_id")),
            Some(c)
                if !redirect_uri_allowed(
                    &c.redirect_uris,
                    request.redirect_uri.as_deref().unwrap_or(""),
                ) =>
            {
                Some(err(
                    "InvalidRedirectUriException",
                    "redirect_uri is not registered",
                ))
            }
            Some(_) => None,
        }
    };
    if let Some(problem) = problem {
        st.oidc.authorize_requests.push(request);
        return problem.into_response();
    }
    let redirect_uri = request.redirect_uri.clone().unwrap_or_default();
    let Ok(mut location) = url::Url::parse(&redirect_uri) else {
        st.oidc.authorize_requests.push(request);
        return err("InvalidRedirectUriException", "redirect_uri is not a URL").into_response();
    };
    let state_param = request.state.clone().unwrap_or_default();
    match st.oidc.authorize_mode {
        AuthorizeMode::Deny => {
            location
                .query_pairs_mut()
                .append_pair("error", "access_denied")
                .append_pair("error_description", "The user denied the request")
                .append_pair("state", &state_param);
        }
        mode => {
            let code = st.fresh("fake-auth-code");
            let returned_state = if mode == AuthorizeMode::WrongState {
                format!("{state_param}-forged")
            } else {
                state_param
            };
            location
                .query_pairs_mut()
                .append_pair("code", &code)
                .append_pair("state", &returned_state);
            request.code = Some(code);
        }
    }
    st.oidc.authorize_requests.push(request);
    (StatusCode::FOUND, [("location", location.to_string())]).into_response()
}
