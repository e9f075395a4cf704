//! Fake of the IAM Identity Center portal (`sso`: restJson1, unsigned; the access token
//! travels in header `x-amz-sso_bearer_token`), as `aws-sdk-sso` calls it.
//!
//! | Method | Path | Operation | Notes |
//! |---|---|---|---|
//! | GET | `/federation/credentials?role_name=..&account_id=..` | GetRoleCredentials | `expiration` in epoch **milliseconds** |
//! | GET | `/assignment/accounts?next_token=..&max_result=..` | ListAccounts | paginated |
//! | GET | `/assignment/roles?account_id=..&next_token=..&max_result=..` | ListAccountRoles | paginated |
//! | POST | `/logout` | Logout | revokes the access token |
//!
//! Only access tokens issued by the OIDC fake (or seeded with
//! [`super::FakeAws::seed_access_token`]) that are unexpired and not revoked work; others
//! get `401 UnauthorizedException`. An account/role pair that is not assigned gets
//! `403 ForbiddenException` ("No access"), like the real portal.

use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::{
    CredentialSource, FAKE_ACCOUNT_ID, FakeState, SharedState, epoch_millis, lock, parse_form,
    rest_json_error, rest_json_ok,
};

/// An account assigned to the user, with its permission sets (roles).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalAccount {
    /// 12 digits.
    pub account_id: String,
    /// Display name.
    pub account_name: String,
    /// E-mail.
    pub email_address: String,
    /// Role (permission set) names.
    pub roles: Vec<String>,
}

impl PortalAccount {
    /// An account with these roles.
    pub fn new(account_id: &str, account_name: &str, roles: &[&str]) -> Self {
        Self {
            account_id: account_id.to_owned(),
            account_name: account_name.to_owned(),
            email_address: format!("{account_name}@example.invalid"),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        }
    }
}

/// A `GetRoleCredentials` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCredentialsRequest {
    /// `account_id`
    pub account_id: String,
    /// `role_name`
    pub role_name: String,
    /// Bearer token sent.
    pub access_token: Option<String>,
    /// Access key id issued, if the call succeeded.
    pub issued_access_key_id: Option<String>,
}

/// Script and records of the portal fake.
#[derive(Debug)]
pub struct PortalState {
    /// Assigned accounts. Default: `123456789012` ("fake-dev") with
    /// `DeveloperRole` and `ReadOnly`.
    pub accounts: Vec<PortalAccount>,
    /// Lifetime of role credentials. Default 1 h.
    pub credential_lifetime: Duration,
    /// Every `GetRoleCredentials` call, in order.
    pub role_credential_requests: Vec<RoleCredentialsRequest>,
    /// Tokens revoked by `Logout`, in order.
    pub logged_out: Vec<String>,
    /// Items per page when the caller sets no `max_result` (the real portal's
    /// pages are small; tests lower this to make clients paginate).
    pub page_size: usize,
}

impl Default for PortalState {
    fn default() -> Self {
        Self {
            accounts: vec![PortalAccount::new(
                FAKE_ACCOUNT_ID,
                "fake-dev",
                &["DeveloperRole", "ReadOnly"],
            )],
            credential_lifetime: Duration::from_secs(3600),
            role_credential_requests: Vec::new(),
            logged_out: Vec::new(),
            page_size: 1000,
        }
    }
}

/// The portal routes.
pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/federation/credentials", get(get_role_credentials))
        .route("/assignment/accounts", get(list_accounts))
        .route("/assignment/roles", get(list_account_roles))
        .route("/logout", post(logout))
}

fn portal_error(status: StatusCode, exception: &str, message: &str) -> Response {
    rest_json_error(status, exception, json!({ "message": message }))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-amz-sso_bearer_token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A portal error before the operation's own logic ran.
struct Rejection {
    status: StatusCode,
    exception: String,
    message: String,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        portal_error(self.status, &self.exception, &self.message)
    }
}

/// Common prologue: count, injected error, token check. Returns the access token.
fn prologue(st: &mut FakeState, operation: &str, headers: &HeaderMap) -> Result<String, Rejection> {
    st.record_call(operation);
    if let Some(e) = st.take_injected(operation) {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(Rejection {
            status,
            exception: e.code,
            message: e.message,
        });
    }
    let token = bearer(headers).unwrap_or_default();
    if st
        .access_tokens
        .get(&token)
        .is_some_and(super::AccessTokenRecord::is_valid)
    {
        Ok(token)
    } else {
        Err(Rejection {
            status: StatusCode::UNAUTHORIZED,
            exception: "UnauthorizedException".to_owned(),
            message: "Session token not found or invalid".to_owned(),
        })
    }
}

/// `next_token`/`max_result` pagination over `len` items: (start, end, next token).
fn page(
    params: &std::collections::BTreeMap<String, String>,
    len: usize,
    page_size: usize,
) -> (usize, usize, Option<String>) {
    let start = params
        .get("next_token")
        .and_then(|t| t.strip_prefix("fake-page-"))
        .and_then(|n| n.parse().ok());
    let start = start.unwrap_or(0).min(len);
    let max = params
        .get("max_result")
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(page_size);
    let end = start.saturating_add(max).min(len);
    let next = (end < len).then(|| format!("fake-page-{end}"));
    (start, end, next)
}

async fn get_role_credentials(
    State(state): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let mut st = lock(&state);
    let params = parse_form(query.unwrap_or_default().as_bytes());
    let account_id = params.get("account_id").cloned().unwrap_or_default();
    let role_name = params.get("role_name").cloned().unwrap_or_default();
    let mut record = RoleCredentialsRequest {
        account_id: account_id.clone(),
        role_name: role_name.clone(),
        access_token: bearer(&headers),
        issued_access_key_id: None,
    };
    if let Err(rejection) = prologue(&mut st, "GetRoleCredentials", &headers) {
        st.portal.role_credential_requests.push(record);
        return rejection.into_response();
    }
    if account_id.is_empty() || role_name.is_empty() {
        st.portal.role_credential_requests.push(record);
        return portal_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestException",
            "account_id and role_name are required",
        );
    }
    let assigned = st
        .portal
        .accounts
        .iter()
        .any(|a| a.account_id == account_id && a.roles.contains(&role_name));
    if !assigned {
        st.portal.role_credential_requests.push(record);
        return portal_error(StatusCode::FORBIDDEN, "ForbiddenException", "No access");
    }
    let lifetime = st.portal.credential_lifetime;
    let arn = format!(
        "arn:aws:sts::{account_id}:assumed-role/AWSReservedSSO_{role_name}_0123456789abcdef/fake-user"
    );
    let creds = st.issue_credentials(
        lifetime,
        CredentialSource::Portal {
            account_id: account_id.clone(),
            role_name,
        },
        account_id,
        arn,
        "AROAFAKESSOROLE:fake-user".to_owned(),
    );
    record.issued_access_key_id = Some(creds.access_key_id.clone());
    st.portal.role_credential_requests.push(record);
    rest_json_ok(json!({
        "roleCredentials": {
            "accessKeyId": creds.access_key_id,
            "secretAccessKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
            "expiration": epoch_millis(creds.expires_at),
        }
    }))
}

async fn list_accounts(
    State(state): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let mut st = lock(&state);
    if let Err(rejection) = prologue(&mut st, "ListAccounts", &headers) {
        return rejection.into_response();
    }
    let params = parse_form(query.unwrap_or_default().as_bytes());
    let (start, end, next) = page(&params, st.portal.accounts.len(), st.portal.page_size);
    let list: Vec<_> = st.portal.accounts[start..end]
        .iter()
        .map(|a| json!({ "accountId": a.account_id, "accountName": a.account_name, "emailAddress": a.email_address }))
        .collect();
    let mut out = json!({ "accountList": list });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    rest_json_ok(out)
}

async fn list_account_roles(
    State(state): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let mut st = lock(&state);
    if let Err(rejection) = prologue(&mut st, "ListAccountRoles", &headers) {
        return rejection.into_response();
    }
    let params = parse_form(query.unwrap_or_default().as_bytes());
    let Some(account_id) = params.get("account_id").cloned() else {
        return portal_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestException",
            "account_id is required",
        );
    };
    let roles: Vec<String> = st
        .portal
        .accounts
        .iter()
        .find(|a| a.account_id == account_id)
        .map(|a| a.roles.clone())
        .unwrap_or_default();
    let (start, end, next) = page(&params, roles.len(), st.portal.page_size);
    let list: Vec<_> = roles[start..end]
        .iter()
        .map(|r| json!({ "roleName": r, "accountId": account_id }))
        .collect();
    let mut out = json!({ "roleList": list });
    if let Some(next) = next {
        out["nextToken"] = json!(next);
    }
    rest_json_ok(out)
}

async fn logout(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    let mut st = lock(&state);
    let token = match prologue(&mut st, "Logout", &headers) {
        Ok(t) => t,
        Err(rejection) => return rejection.into_response(),
    };
    if let Some(t) = st.access_tokens.get_mut(&token) {
        t.revoked = true;
        t.expires_at = t.expires_at.min(SystemTime::now());
    }
    st.portal.logged_out.push(token);
    StatusCode::OK.into_response()
}
