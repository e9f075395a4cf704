//! Fake of ECR's and ECR Public's `GetAuthorizationToken` (awsJson1.1, SigV4),
//! as `aws-sdk-ecr` and `aws-sdk-ecrpublic` call them: `POST /` with
//! `X-Amz-Target`, which is how these requests are told apart from STS's
//! (awsQuery, also `POST /`) on the one server of [`super::FakeAws`].
//!
//! | `X-Amz-Target` | Operation (counted as) | Answer |
//! |---|---|---|
//! | `AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken` | `ecr:GetAuthorizationToken` | `{"authorizationData": [{"authorizationToken", "expiresAt", "proxyEndpoint"}]}` |
//! | `SpencerFrontendService.GetAuthorizationToken` | `ecr-public:GetAuthorizationToken` | `{"authorizationData": {"authorizationToken", "expiresAt"}}` |
//!
//! `authorizationToken` is base64 of `AWS:<password>`: [`EcrState::password`]
//! when set (a registry's htpasswd needs it up front), else a fresh
//! `fake-ecr-password-…`. Tokens live [`EcrState::token_lifetime`] (12 h, as
//! ECR's do). Errors: `MissingAuthenticationTokenException` (unsigned),
//! `ExpiredTokenException` / `UnrecognizedClientException` for expired / unknown
//! signing keys, `AccessDeniedException` while [`EcrState::access_denied`],
//! `UnknownOperationException` for another target of these services; as JSON
//! `{"__type", "message"}` with `x-amzn-errortype`.

use std::time::{Duration, SystemTime};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

use super::{FAKE_ACCOUNT_ID, FakeState, SharedState, Signer, epoch_secs, lock};

const ECR_TARGET: &str = "AmazonEC2ContainerRegistry_V20150921.";
const PUBLIC_TARGET: &str = "SpencerFrontendService.";

/// A token the fake issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrToken {
    /// The decoded password.
    pub password: String,
    /// `true` for ECR Public.
    pub public: bool,
    /// The region of the request's SigV4 credential scope.
    pub region: String,
    /// Access key id that signed the request.
    pub signer_access_key_id: String,
    /// Expiry.
    pub expires_at: SystemTime,
}

/// Script and records of the ECR fakes.
#[derive(Debug)]
pub struct EcrState {
    // ---- script ----
    /// Issue this password every time (else a fresh one per call).
    pub password: Option<String>,
    /// Lifetime of issued tokens (default 12 h).
    pub token_lifetime: Duration,
    /// Answer `AccessDeniedException` while set.
    pub access_denied: bool,
    // ---- records ----
    /// Every token issued, in order.
    pub tokens: Vec<EcrToken>,
}

impl Default for EcrState {
    fn default() -> Self {
        Self {
            password: None,
            token_lifetime: Duration::from_secs(12 * 3600),
            access_denied: false,
            tokens: Vec::new(),
        }
    }
}

impl EcrState {
    /// Whether `password` was issued here and has not expired (what a
    /// registry checks `AWS:<password>` against).
    pub fn password_is_valid(&self, password: &str) -> bool {
        let now = SystemTime::now();
        self.tokens
            .iter()
            .any(|t| t.password == password && t.expires_at > now)
    }
}

/// Middleware on the fake's router: answers ECR and ECR Public requests,
/// passes everything else on (to STS for `POST /`).
pub(crate) async fn intercept(
    State(state): State<SharedState>,
    request: Request,
    next: Next,
) -> Response {
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(target) = target.filter(|t| t.starts_with(ECR_TARGET) || t.starts_with(PUBLIC_TARGET))
    else {
        return next.run(request).await;
    };
    let headers = request.headers().clone();
    let mut st = lock(&state);
    match answer(&mut st, &target, &headers) {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err((status, code, message)) => {
            let mut resp = json_response(status, &json!({ "__type": code, "message": message }));
            if let Ok(v) = code.parse() {
                resp.headers_mut().insert("x-amzn-errortype", v);
            }
            resp
        }
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-requestid", "00000000-0000-4000-8000-fa4e000000ec"),
        ],
        body.to_string(),
    )
        .into_response()
}

type Failure = (StatusCode, &'static str, String);

fn answer(
    st: &mut FakeState,
    target: &str,
    headers: &HeaderMap,
) -> Result<serde_json::Value, Failure> {
    let (public, operation) = match target.strip_prefix(ECR_TARGET) {
        Some(op) => (false, op),
        None => (true, target.trim_start_matches(PUBLIC_TARGET)),
    };
    let counted = format!("{}:{operation}", if public { "ecr-public" } else { "ecr" });
    st.record_call(&counted);
    if let Some(e) = st.take_injected(&counted) {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err((status, "InjectedError", e.message));
    }
    if operation != "GetAuthorizationToken" {
        return Err((
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("the ECR test fake has no {operation}"),
        ));
    }
    let signer = match st.signer(headers) {
        Signer::Known(akid) => akid,
        Signer::Anonymous => {
            return Err((
                StatusCode::FORBIDDEN,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token".to_owned(),
            ));
        }
        Signer::Expired(_) => {
            return Err((
                StatusCode::FORBIDDEN,
                "ExpiredTokenException",
                "The security token included in the request is expired".to_owned(),
            ));
        }
        Signer::Rejected(_) => {
            return Err((
                StatusCode::FORBIDDEN,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.".to_owned(),
            ));
        }
    };
    if st.ecr.access_denied {
        return Err((
            StatusCode::BAD_REQUEST,
            "AccessDeniedException",
            "User is not authorized to perform: ecr:GetAuthorizationToken (scripted by the test fake)"
                .to_owned(),
        ));
    }
    let region = scope_region(headers).unwrap_or_default();
    let account = st
        .credentials
        .get(&signer)
        .map_or_else(|| FAKE_ACCOUNT_ID.to_owned(), |c| c.account_id.clone());
    let password = match st.ecr.password.clone() {
        Some(p) => p,
        None => st.fresh("fake-ecr-password"),
    };
    let expires_at = SystemTime::now() + st.ecr.token_lifetime;
    st.ecr.tokens.push(EcrToken {
        password: password.clone(),
        public,
        region: region.clone(),
        signer_access_key_id: signer,
        expires_at,
    });
    let token = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{password}"));
    let expires = epoch_secs(expires_at);
    Ok(if public {
        json!({ "authorizationData": { "authorizationToken": token, "expiresAt": expires } })
    } else {
        json!({ "authorizationData": [{
            "authorizationToken": token,
            "expiresAt": expires,
            "proxyEndpoint": format!("https://{account}.dkr.ecr.{region}.amazonaws.com"),
        }] })
    })
}

/// The region of a SigV4 `Credential=AKID/DATE/REGION/SERVICE/aws4_request`.
fn scope_region(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let rest = &value[value.find("Credential=")? + "Credential=".len()..];
    rest.split('/').nth(2).map(str::to_owned)
}
