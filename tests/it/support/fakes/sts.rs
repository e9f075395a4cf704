//! Fake of AWS STS (awsQuery: form-encoded `POST /` with `Action=..&Version=2011-06-15`,
//! XML answers in the `https://sts.amazonaws.com/doc/2011-06-15/` namespace), as
//! `aws-sdk-sts` calls it.
//!
//! | Method | Path | Action | Notes |
//! |---|---|---|---|
//! | POST | `/` | AssumeRole | RoleArn, RoleSessionName, DurationSeconds (default 3600, 900..=max), ExternalId |
//! | POST | `/` | GetCallerIdentity | identity of the signing key (issued, static, or other) |
//!
//! Every call records the access key id that signed it (`Credential=AKID/...` of the
//! `Authorization` header). Requests signed with credentials this fake (or the portal
//! fake) issued and that have expired answer `ExpiredToken` (400). Errors use the real
//! `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::{
    CredentialSource, FAKE_ACCOUNT_ID, FakeState, SharedState, Signer, iso8601, lock, parse_form,
};

const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// A scripted STS failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StsFailure {
    /// 403 `AccessDenied`.
    AccessDenied,
    /// 500 `InternalFailure` (a Receiver error).
    InternalError,
    /// 400 `Throttling`.
    Throttling,
}

/// One STS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsCall {
    /// `Action` parameter.
    pub action: String,
    /// Access key id from the SigV4 `Authorization` header.
    pub signer_access_key_id: Option<String>,
    /// `x-amz-security-token` header.
    pub security_token: Option<String>,
    /// All form parameters.
    pub params: BTreeMap<String, String>,
    /// `"ok"` or the error code answered.
    pub outcome: String,
}

impl StsCall {
    /// A form parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// Script and records of the STS fake.
#[derive(Debug)]
pub struct StsState {
    // ---- script ----
    /// Failures answered instead of the next calls (FIFO, one per call).
    pub failures: VecDeque<StsFailure>,
    /// A failure answered to every call while set (after `failures` is drained).
    pub always_fail: Option<StsFailure>,
    /// When set, issued credentials live this long whatever `DurationSeconds` says
    /// (lets tests use lifetimes real STS refuses, like 60 s).
    pub credential_lifetime: Option<Duration>,
    /// Largest accepted `DurationSeconds` (the role's max session duration). Default 43200.
    pub max_session_duration: u32,
    /// Answer every call this much later.
    pub delay: Duration,
    /// Account of the static/unknown signers' identity. Default `123456789012`.
    pub account_id: String,
    // ---- records ----
    /// Every call, in order.
    pub calls: Vec<StsCall>,
}

impl Default for StsState {
    fn default() -> Self {
        Self {
            failures: VecDeque::new(),
            always_fail: None,
            credential_lifetime: None,
            max_session_duration: 43_200,
            delay: Duration::ZERO,
            account_id: FAKE_ACCOUNT_ID.to_owned(),
            calls: Vec::new(),
        }
    }
}

impl StsState {
    /// Calls of one action, in order.
    pub fn calls_of(&self, action: &str) -> Vec<&StsCall> {
        self.calls.iter().filter(|c| c.action == action).collect()
    }
}

/// The STS route.
pub(crate) fn routes() -> Router<SharedState> {
    Router::new().route("/", post(sts))
}

/// `&`, `<`, `>`, `"`, `'` escaped for XML text.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

struct StsError {
    status: StatusCode,
    code: String,
    message: String,
}

fn sts_err(status: StatusCode, code: &str, message: impl Into<String>) -> StsError {
    StsError {
        status,
        code: code.to_owned(),
        message: message.into(),
    }
}

impl IntoResponse for StsError {
    fn into_response(self) -> Response {
        let kind = if self.status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        };
        let body = format!(
            "<ErrorResponse xmlns=\"{NS}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>00000000-0000-4000-8000-fa4e0000e000</RequestId>\n</ErrorResponse>\n",
            xml_escape(&self.code),
            xml_escape(&self.message)
        );
        (self.status, [("content-type", "text/xml")], body).into_response()
    }
}

fn failure_error(f: &StsFailure) -> StsError {
    match f {
        StsFailure::AccessDenied => sts_err(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "User is not authorized to perform: sts:AssumeRole (scripted by the test fake)",
        ),
        StsFailure::InternalError => sts_err(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "scripted internal failure",
        ),
        StsFailure::Throttling => sts_err(StatusCode::BAD_REQUEST, "Throttling", "Rate exceeded"),
    }
}

fn ok_xml(action: &str, result: &str) -> Response {
    let body = format!(
        "<{action}Response xmlns=\"{NS}\">\n  <{action}Result>\n{result}  </{action}Result>\n  <ResponseMetadata>\n    <RequestId>00000000-0000-4000-8000-fa4e0000e001</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n"
    );
    (StatusCode::OK, [("content-type", "text/xml")], body).into_response()
}

async fn sts(State(state): State<SharedState>, headers: HeaderMap, body: Bytes) -> Response {
    let delay = lock(&state).sts.delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut st = lock(&state);
    let params = parse_form(&body);
    let action = params.get("Action").cloned().unwrap_or_default();
    if !action.is_empty() {
        st.record_call(&action);
    }
    let mut call = StsCall {
        action: action.clone(),
        signer_access_key_id: super::signer_access_key_id(&headers),
        security_token: headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        params,
        outcome: "ok".to_owned(),
    };
    let resp = match handle_inner(&mut st, &action, &call, &headers) {
        Ok(resp) => resp,
        Err(e) => {
            call.outcome.clone_from(&e.code);
            e.into_response()
        }
    };
    st.sts.calls.push(call);
    resp
}

fn handle_inner(
    st: &mut FakeState,
    action: &str,
    call: &StsCall,
    headers: &HeaderMap,
) -> Result<Response, StsError> {
    if let Some(e) = st.take_injected(action) {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(sts_err(status, &e.code, e.message));
    }
    if call.param("Version") != Some("2011-06-15") {
        return Err(sts_err(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            "Version must be 2011-06-15",
        ));
    }
    let signer = match st.signer(headers) {
        Signer::Anonymous => {
            return Err(sts_err(
                StatusCode::FORBIDDEN,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            ));
        }
        Signer::Expired(_) => {
            return Err(sts_err(
                StatusCode::BAD_REQUEST,
                "ExpiredToken",
                "The security token included in the request is expired",
            ));
        }
        Signer::Rejected(_) => {
            return Err(sts_err(
                StatusCode::FORBIDDEN,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ));
        }
        Signer::Known(akid) => akid,
    };
    if let Some(f) = st.sts.failures.pop_front() {
        return Err(failure_error(&f));
    }
    if let Some(f) = &st.sts.always_fail {
        return Err(failure_error(f));
    }
    match action {
        "AssumeRole" => assume_role(st, call),
        "GetCallerIdentity" => Ok(get_caller_identity(st, &signer)),
        other => Err(sts_err(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!("unsupported action {other:?}"),
        )),
    }
}

/// `arn:aws:iam::ACCOUNT:role/path/NAME` -> (account, name).
fn parse_role_arn(arn: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" {
        return None;
    }
    let account = parts[4];
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let name = parts[5].strip_prefix("role/")?.rsplit('/').next()?;
    (!name.is_empty()).then(|| (account.to_owned(), name.to_owned()))
}

fn assume_role(st: &mut FakeState, call: &StsCall) -> Result<Response, StsError> {
    let validation = |m: &str| sts_err(StatusCode::BAD_REQUEST, "ValidationError", m);
    let role_arn = call
        .param("RoleArn")
        .ok_or_else(|| validation("RoleArn is required"))?
        .to_owned();
    let session_name = call
        .param("RoleSessionName")
        .ok_or_else(|| validation("RoleSessionName is required"))?
        .to_owned();
    if session_name.len() < 2
        || session_name.len() > 64
        || !session_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "=,.@_-".contains(c))
    {
        return Err(validation("RoleSessionName must match [\\w+=,.@-]{2,64}"));
    }
    let (account_id, role_name) =
        parse_role_arn(&role_arn).ok_or_else(|| validation("RoleArn is not a role ARN"))?;
    let duration: u32 = match call.param("DurationSeconds") {
        None => 3600,
        Some(d) => d
            .parse()
            .map_err(|_| validation("DurationSeconds must be an integer"))?,
    };
    if duration < 900 || duration > st.sts.max_session_duration {
        return Err(validation(&format!(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role ({duration})"
        )));
    }
    let lifetime = st
        .sts
        .credential_lifetime
        .unwrap_or(Duration::from_secs(u64::from(duration)));
    let arn = format!("arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}");
    let role_id = "AROAFAKEROLEID";
    let user_id = format!("{role_id}:{session_name}");
    let creds = st.issue_credentials(
        lifetime,
        CredentialSource::Sts {
            role_arn,
            session_name,
        },
        account_id,
        arn.clone(),
        user_id.clone(),
    );
    let result = format!(
        "    <AssumedRoleUser>\n      <AssumedRoleId>{}</AssumedRoleId>\n      <Arn>{}</Arn>\n    </AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>{}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      <SessionToken>{}</SessionToken>\n      <Expiration>{}</Expiration>\n    </Credentials>\n",
        xml_escape(&user_id),
        xml_escape(&arn),
        creds.access_key_id,
        creds.secret_access_key,
        creds.session_token,
        iso8601(creds.expires_at),
    );
    Ok(ok_xml("AssumeRole", &result))
}

fn get_caller_identity(st: &FakeState, signer: &str) -> Response {
    let (account, arn, user_id) = match st.credentials.get(signer) {
        Some(c) => (c.account_id.clone(), c.arn.clone(), c.user_id.clone()),
        None => (
            st.sts.account_id.clone(),
            format!("arn:aws:iam::{}:user/fake-user", st.sts.account_id),
            "AIDAFAKEUSER".to_owned(),
        ),
    };
    let result = format!(
        "    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n",
        xml_escape(&arn),
        xml_escape(&user_id),
        xml_escape(&account)
    );
    ok_xml("GetCallerIdentity", &result)
}
