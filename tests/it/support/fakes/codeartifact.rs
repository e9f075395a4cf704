//! Fake of the AWS CodeArtifact control plane (restJson1, SigV4), as
//! `aws-sdk-codeartifact` calls it.
//!
//! | Method | Path | Operation | Notes |
//! |---|---|---|---|
//! | POST | `/v1/authorization-token?domain=..&domain-owner=..&duration=..` | GetAuthorizationToken | unique token per call; lifetime = duration, or 12 h when 0/absent, capped at the signer's own credential expiry |
//! | GET | `/v1/repository/endpoint?domain=..&domain-owner=..&repository=..&format=..` | GetRepositoryEndpoint | URL from [`CodeArtifactState::repository_endpoint`] |
//!
//! Errors: `404 ResourceNotFoundException` (unknown domain/repository),
//! `403 AccessDeniedException` ([`CodeArtifactState::access_denied`]),
//! `400 ValidationException` (bad duration or missing parameter),
//! `403 ExpiredTokenException` / `UnrecognizedClientException` for expired issued / unknown
//! signing keys (see [`super::FakeState::reject_unknown_signers`]). Body
//! `{"message": ..}` plus `resourceId`/`resourceType` for not-found, header
//! `x-amzn-errortype`.

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::{
    FAKE_ACCOUNT_ID, FakeState, SharedState, Signer, epoch_secs, lock, parse_form, rest_json_error,
    rest_json_ok,
};

/// A domain the fake knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeArtifactDomain {
    /// Domain name.
    pub name: String,
    /// Owner account id.
    pub owner: String,
    /// Repositories; empty means any repository name exists.
    pub repositories: Vec<String>,
}

impl CodeArtifactDomain {
    /// A domain where every repository name exists.
    pub fn new(name: &str, owner: &str) -> Self {
        Self {
            name: name.to_owned(),
            owner: owner.to_owned(),
            repositories: Vec::new(),
        }
    }
}

/// A `GetAuthorizationToken` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// `domain`
    pub domain: String,
    /// `domain-owner`
    pub domain_owner: Option<String>,
    /// `duration`
    pub duration_seconds: Option<i64>,
    /// Access key id that signed the request.
    pub signer_access_key_id: Option<String>,
    /// `"ok"` or the exception answered.
    pub outcome: String,
}

/// A token issued here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The token.
    pub token: String,
    /// Its domain.
    pub domain: String,
    /// Expiry.
    pub expires_at: SystemTime,
}

/// A `GetRepositoryEndpoint` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRequest {
    /// `domain`
    pub domain: String,
    /// `domain-owner`
    pub domain_owner: Option<String>,
    /// `repository`
    pub repository: String,
    /// `format`
    pub format: String,
    /// Access key id that signed the request.
    pub signer_access_key_id: Option<String>,
    /// `"ok"` or the exception answered.
    pub outcome: String,
}

/// Script and records of the CodeArtifact fake.
#[derive(Debug)]
pub struct CodeArtifactState {
    // ---- script ----
    /// Known domains. Default: `fake-domain` owned by `123456789012`, any repository.
    pub domains: Vec<CodeArtifactDomain>,
    /// Answer `AccessDeniedException` (403) to every call while set.
    pub access_denied: bool,
    /// Template of `repositoryEndpoint`; `{domain}`, `{owner}`, `{format}` and
    /// `{repository}` are substituted. Default: the real
    /// `https://{domain}-{owner}.d.codeartifact.us-east-1.amazonaws.com/{format}/{repository}/`.
    /// Tests point it at an upstream fake, e.g. `format!("{upstream}/{{format}}/{{repository}}/")`.
    pub repository_endpoint: String,
    /// When set, tokens live this long whatever `duration` says.
    pub token_lifetime: Option<Duration>,
    /// When set, every token issued is this string (for upstreams such as
    /// pypiserver that need their password up front).
    pub fixed_token: Option<String>,
    // ---- records ----
    /// Every `GetAuthorizationToken` call.
    pub token_requests: Vec<TokenRequest>,
    /// Every token issued.
    pub tokens: Vec<IssuedToken>,
    /// Every `GetRepositoryEndpoint` call.
    pub endpoint_requests: Vec<EndpointRequest>,
}

impl CodeArtifactState {
    /// Whether `token` was issued by this fake and has not expired: what a
    /// repository fake checks an `Authorization` header against.
    pub fn token_is_valid(&self, token: &str) -> bool {
        let now = SystemTime::now();
        self.tokens
            .iter()
            .any(|t| t.token == token && t.expires_at > now)
    }
}

impl Default for CodeArtifactState {
    fn default() -> Self {
        Self {
            domains: vec![CodeArtifactDomain::new("fake-domain", FAKE_ACCOUNT_ID)],
            access_denied: false,
            repository_endpoint: "https://{domain}-{owner}.d.codeartifact.us-east-1.amazonaws.com/{format}/{repository}/"
                .to_owned(),
            token_lifetime: None,
            fixed_token: None,
            token_requests: Vec::new(),
            tokens: Vec::new(),
            endpoint_requests: Vec::new(),
        }
    }
}

/// The CodeArtifact routes.
pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/v1/authorization-token", post(get_authorization_token))
        .route("/v1/repository/endpoint", get(get_repository_endpoint))
}

struct CaError {
    status: StatusCode,
    exception: String,
    body: serde_json::Value,
}

impl CaError {
    fn new(status: StatusCode, exception: &str, message: &str) -> Self {
        Self {
            status,
            exception: exception.to_owned(),
            body: json!({ "message": message }),
        }
    }

    fn not_found(resource_type: &str, resource_id: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            exception: "ResourceNotFoundException".to_owned(),
            body: json!({
                "message": format!("{resource_type} {resource_id} not found (AWS test fake)"),
                "resourceId": resource_id,
                "resourceType": resource_type,
            }),
        }
    }

    fn into_response(self) -> Response {
        rest_json_error(self.status, &self.exception, self.body)
    }
}

/// Count, injected error, signer check, access switch. Returns the signer's key id.
fn prologue(
    st: &mut FakeState,
    operation: &str,
    headers: &HeaderMap,
) -> Result<Option<String>, CaError> {
    st.record_call(operation);
    if let Some(e) = st.take_injected(operation) {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(CaError::new(status, &e.code, &e.message));
    }
    let signer = match st.signer(headers) {
        Signer::Anonymous => {
            return Err(CaError::new(
                StatusCode::FORBIDDEN,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ));
        }
        Signer::Expired(_) => {
            return Err(CaError::new(
                StatusCode::FORBIDDEN,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ));
        }
        Signer::Rejected(_) => {
            return Err(CaError::new(
                StatusCode::FORBIDDEN,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ));
        }
        Signer::Known(akid) => akid,
    };
    if st.codeartifact.access_denied {
        return Err(CaError::new(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            "User is not authorized to perform this CodeArtifact action (scripted by the test fake)",
        ));
    }
    Ok(Some(signer))
}

/// The known domain matching name and (if given) owner.
fn find_domain<'a>(
    st: &'a FakeState,
    name: &str,
    owner: Option<&str>,
) -> Result<&'a CodeArtifactDomain, CaError> {
    st.codeartifact
        .domains
        .iter()
        .find(|d| d.name == name && owner.is_none_or(|o| o == d.owner))
        .ok_or_else(|| CaError::not_found("domain", name))
}

async fn get_authorization_token(
    State(state): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let mut st = lock(&state);
    let q = parse_form(query.unwrap_or_default().as_bytes());
    let mut record = TokenRequest {
        domain: q.get("domain").cloned().unwrap_or_default(),
        domain_owner: q.get("domain-owner").cloned(),
        duration_seconds: q.get("duration").and_then(|d| d.parse().ok()),
        signer_access_key_id: super::signer_access_key_id(&headers),
        outcome: "ok".to_owned(),
    };
    let result = token_locked(
        &mut st,
        &headers,
        &record,
        q.get("duration").map(String::as_str),
    );
    let resp = match result {
        Ok(v) => rest_json_ok(v),
        Err(e) => {
            record.outcome.clone_from(&e.exception);
            e.into_response()
        }
    };
    st.codeartifact.token_requests.push(record);
    resp
}

fn token_locked(
    st: &mut FakeState,
    headers: &HeaderMap,
    req: &TokenRequest,
    raw_duration: Option<&str>,
) -> Result<serde_json::Value, CaError> {
    let signer = prologue(st, "GetAuthorizationToken", headers)?;
    if req.domain.is_empty() {
        return Err(CaError::new(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "domain is required",
        ));
    }
    let duration = match raw_duration {
        None => 0,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|d| *d == 0 || (900..=43_200).contains(d))
            .ok_or_else(|| {
                CaError::new(
                    StatusCode::BAD_REQUEST,
                    "ValidationException",
                    "duration must be 0 or 900..=43200 seconds",
                )
            })?,
    };
    find_domain(st, &req.domain, req.domain_owner.as_deref())?;
    let lifetime = st.codeartifact.token_lifetime.unwrap_or_else(|| {
        Duration::from_secs(if duration == 0 {
            12 * 3600
        } else {
            u64::try_from(duration).unwrap_or(0)
        })
    });
    let mut expires_at = SystemTime::now() + lifetime;
    if let Some(creds) = signer.as_deref().and_then(|s| st.credentials.get(s)) {
        expires_at = expires_at.min(creds.expires_at);
    }
    let token = st
        .codeartifact
        .fixed_token
        .clone()
        .unwrap_or_else(|| st.fresh("fake-codeartifact-token"));
    st.codeartifact.tokens.push(IssuedToken {
        token: token.clone(),
        domain: req.domain.clone(),
        expires_at,
    });
    Ok(json!({ "authorizationToken": token, "expiration": epoch_secs(expires_at) }))
}

async fn get_repository_endpoint(
    State(state): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let mut st = lock(&state);
    let q = parse_form(query.unwrap_or_default().as_bytes());
    let mut record = EndpointRequest {
        domain: q.get("domain").cloned().unwrap_or_default(),
        domain_owner: q.get("domain-owner").cloned(),
        repository: q.get("repository").cloned().unwrap_or_default(),
        format: q.get("format").cloned().unwrap_or_default(),
        signer_access_key_id: super::signer_access_key_id(&headers),
        outcome: "ok".to_owned(),
    };
    let resp = match endpoint_locked(&mut st, &headers, &record) {
        Ok(v) => rest_json_ok(v),
        Err(e) => {
            record.outcome.clone_from(&e.exception);
            e.into_response()
        }
    };
    st.codeartifact.endpoint_requests.push(record);
    resp
}

fn endpoint_locked(
    st: &mut FakeState,
    headers: &HeaderMap,
    req: &EndpointRequest,
) -> Result<serde_json::Value, CaError> {
    prologue(st, "GetRepositoryEndpoint", headers)?;
    if req.domain.is_empty() || req.repository.is_empty() || req.format.is_empty() {
        return Err(CaError::new(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "domain, repository and format are required",
        ));
    }
    let domain = find_domain(st, &req.domain, req.domain_owner.as_deref())?;
    if !domain.repositories.is_empty() && !domain.repositories.contains(&req.repository) {
        return Err(CaError::not_found("repository", &req.repository));
    }
    let url = st
        .codeartifact
        .repository_endpoint
        .replace("{domain}", &domain.name)
        .replace("{owner}", &domain.owner)
        .replace("{format}", &req.format)
        .replace("{repository}", &req.repository);
    Ok(json!({ "repositoryEndpoint": url }))
}
