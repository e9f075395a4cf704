//! The AWS fakes in `support::fakes`, driven through the real AWS SDK for Rust clients
//! (endpoint overrides to 127.0.0.1), checking both what the SDK sees and what the fakes
//! recorded. If one of these fails, every test built on the fakes is suspect.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::support::fakes::sso_oidc::DEVICE_CODE_GRANT;
use crate::support::fakes::{
    AuthorizeMode, CodeArtifactDomain, CredentialSource, DeviceOutcome, DeviceStep,
    FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeAws, FakeS3, InjectedError, PortalAccount,
    RefreshMode, StsFailure, http_get, sdk_config_with_credentials,
};

fn oidc(aws: &FakeAws) -> aws_sdk_ssooidc::Client {
    aws_sdk_ssooidc::Client::new(&aws.sdk_config())
}

fn now_secs() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// True for strings shaped like a real long-term AWS access key id.
fn looks_like_real_key(s: &str) -> bool {
    s.len() == 20
        && s.starts_with("AKIA")
        && s[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// RegisterClient (device-code style) and StartDeviceAuthorization; returns
/// (client id, client secret, device code).
async fn start_device_flow(aws: &FakeAws, scopes: &[&str]) -> (String, String, String) {
    let client = oidc(aws);
    let mut reg = client
        .register_client()
        .client_name("awsproxy-test")
        .client_type("public");
    for s in scopes {
        reg = reg.scopes(*s);
    }
    let reg = reg.send().await.unwrap();
    let (id, secret) = (
        reg.client_id().unwrap().to_owned(),
        reg.client_secret().unwrap().to_owned(),
    );
    assert!(reg.client_secret_expires_at() > now_secs() + 80 * 24 * 3600);
    let dev = client
        .start_device_authorization()
        .client_id(&id)
        .client_secret(&secret)
        .start_url("https://fake.awsapps.com/start")
        .send()
        .await
        .unwrap();
    (id, secret, dev.device_code().unwrap().to_owned())
}

async fn poll_device(
    aws: &FakeAws,
    id: &str,
    secret: &str,
    device_code: &str,
) -> Result<
    aws_sdk_ssooidc::operation::create_token::CreateTokenOutput,
    aws_sdk_ssooidc::operation::create_token::CreateTokenError,
> {
    oidc(aws)
        .create_token()
        .client_id(id)
        .client_secret(secret)
        .grant_type(DEVICE_CODE_GRANT)
        .device_code(device_code)
        .send()
        .await
        .map_err(aws_sdk_ssooidc::error::SdkError::into_service_error)
}

#[tokio::test]
async fn sso_oidc_device_flow_pending_slow_down_then_success() {
    let aws = FakeAws::start().await;
    aws.state().oidc.script_device_polls(2, 1);

    let client = oidc(&aws);
    let reg = client
        .register_client()
        .client_name("awsproxy-test")
        .client_type("public")
        .scopes("sso:account:access")
        .send()
        .await
        .unwrap();
    let (id, secret) = (reg.client_id().unwrap(), reg.client_secret().unwrap());
    let dev = client
        .start_device_authorization()
        .client_id(id)
        .client_secret(secret)
        .start_url("https://fake.awsapps.com/start")
        .send()
        .await
        .unwrap();
    assert_eq!(dev.interval(), 1);
    assert_eq!(dev.expires_in(), 600);
    assert!(dev.user_code().unwrap().starts_with("FAKE-"));
    let complete = dev.verification_uri_complete().unwrap();
    assert!(
        complete.starts_with(&format!("{}/device?user_code=", aws.endpoint())),
        "{complete}"
    );
    let device_code = dev.device_code().unwrap();

    // Poll with no wait: the fake's answers are what is checked, not timing.
    let mut answers = Vec::new();
    let token = loop {
        match poll_device(&aws, id, secret, device_code).await {
            Ok(t) => break t,
            Err(e) if e.is_authorization_pending_exception() => answers.push("pending"),
            Err(e) if e.is_slow_down_exception() => answers.push("slow_down"),
            Err(e) => panic!("unexpected error {e:?}"),
        }
        assert!(answers.len() < 10, "device flow never completed");
    };
    assert_eq!(answers, ["pending", "pending", "slow_down"]);
    let access_token = token.access_token().unwrap();
    assert!(access_token.starts_with("fake-access-token-"));
    assert_eq!(token.expires_in(), 3600);
    assert_eq!(token.token_type(), Some("Bearer"));
    assert!(
        token.refresh_token().is_some(),
        "scoped registration gets a refresh token"
    );
    assert!(aws.access_token_valid(access_token));

    // A device code is good for one exchange.
    let again = poll_device(&aws, id, secret, device_code)
        .await
        .unwrap_err();
    assert!(again.is_invalid_grant_exception(), "{again:?}");

    assert_eq!(aws.calls("RegisterClient"), 1);
    assert_eq!(aws.calls("StartDeviceAuthorization"), 1);
    assert_eq!(aws.calls("CreateToken"), 5);
    let st = aws.state();
    assert_eq!(st.oidc.device_polls, 5);
    assert_eq!(st.oidc.clients[0].client_name, "awsproxy-test");
    assert_eq!(st.oidc.clients[0].client_type, "public");
    assert_eq!(st.oidc.clients[0].scopes, ["sso:account:access"]);
    assert_eq!(
        st.oidc.device_authorizations[0].start_url,
        "https://fake.awsapps.com/start"
    );
    let outcomes: Vec<_> = st
        .oidc
        .token_requests
        .iter()
        .map(|r| r.outcome.as_str())
        .collect();
    assert_eq!(
        outcomes,
        [
            "AuthorizationPendingException",
            "AuthorizationPendingException",
            "SlowDownException",
            "ok",
            "InvalidGrantException"
        ]
    );
    assert!(
        st.oidc
            .token_requests
            .iter()
            .all(|r| r.grant_type.as_deref() == Some(DEVICE_CODE_GRANT))
    );
}

#[tokio::test]
async fn sso_oidc_device_flow_denied_expired_unscoped_and_approval() {
    let aws = FakeAws::start().await;

    // Without scopes: no refresh token.
    let (id, secret, code) = start_device_flow(&aws, &[]).await;
    let token = poll_device(&aws, &id, &secret, &code).await.unwrap();
    assert!(token.refresh_token().is_none());

    aws.state().oidc.device_outcome = DeviceOutcome::Deny;
    let (id, secret, code) = start_device_flow(&aws, &[]).await;
    let e = poll_device(&aws, &id, &secret, &code).await.unwrap_err();
    assert!(e.is_access_denied_exception(), "{e:?}");

    aws.state().oidc.device_outcome = DeviceOutcome::Expire;
    let e = poll_device(&aws, &id, &secret, &code).await.unwrap_err();
    assert!(e.is_expired_token_exception(), "{e:?}");

    // Wrong client secret.
    let e = poll_device(&aws, &id, "not-the-secret", &code)
        .await
        .unwrap_err();
    assert!(e.is_invalid_client_exception(), "{e:?}");

    // Approval through the verification page.
    {
        let mut st = aws.state();
        st.oidc.device_outcome = DeviceOutcome::Approve;
        st.oidc.device_requires_approval = true;
    }
    let client = oidc(&aws);
    let dev = client
        .start_device_authorization()
        .client_id(&id)
        .client_secret(&secret)
        .start_url("https://fake.awsapps.com/start")
        .send()
        .await
        .unwrap();
    let code = dev.device_code().unwrap();
    let e = poll_device(&aws, &id, &secret, code).await.unwrap_err();
    assert!(e.is_authorization_pending_exception(), "{e:?}");
    let page = http_get(dev.verification_uri_complete().unwrap()).await;
    assert_eq!(page.status(), 200);
    poll_device(&aws, &id, &secret, code).await.unwrap();
    assert_eq!(aws.calls("DeviceVerification"), 1);

    // Expired client registration.
    aws.expire_client_registrations();
    let e = poll_device(&aws, &id, &secret, code).await.unwrap_err();
    assert!(e.is_invalid_client_exception(), "{e:?}");
}

/// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn authorize_url(aws: &FakeAws, client_id: &str, redirect_uri: &str, state: &str) -> String {
    let mut url = url::Url::parse(&format!("{}/authorize", aws.endpoint())).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("code_challenge_method", "S256")
        .append_pair("scopes", "sso:account:access")
        .append_pair("code_challenge", CHALLENGE);
    url.to_string()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn sso_oidc_pkce_authorization_code() {
    let aws = FakeAws::start().await;
    let client = oidc(&aws);
    let reg = client
        .register_client()
        .client_name("awsproxy-test")
        .client_type("public")
        .scopes("sso:account:access")
        .grant_types("authorization_code")
        .grant_types("refresh_token")
        .redirect_uris("http://127.0.0.1/oauth/callback")
        .issuer_url("https://fake.awsapps.com/start")
        .send()
        .await
        .unwrap();
    let (id, secret) = (reg.client_id().unwrap(), reg.client_secret().unwrap());
    let redirect_uri = "http://127.0.0.1:54321/oauth/callback";

    // The browser: GET /authorize with a raw HTTP client; the user approves at once.
    let resp = http_get(&authorize_url(&aws, id, redirect_uri, "state-123")).await;
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{redirect_uri}?")),
        "{location}"
    );
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some("state-123")
    );
    let code = query_param(&location, "code").unwrap();

    let exchange = |code: String, verifier: &'static str, redirect: &'static str| {
        client
            .create_token()
            .client_id(id)
            .client_secret(secret)
            .grant_type("authorization_code")
            .code(code)
            .code_verifier(verifier)
            .redirect_uri(redirect)
            .send()
    };
    let token = exchange(
        code.clone(),
        VERIFIER,
        "http://127.0.0.1:54321/oauth/callback",
    )
    .await
    .unwrap();
    assert!(token.access_token().is_some());
    assert!(token.refresh_token().is_some());
    // A code is single-use.
    let e = exchange(code, VERIFIER, "http://127.0.0.1:54321/oauth/callback")
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_invalid_grant_exception(), "{e:?}");

    // A wrong verifier and a wrong redirect URI are rejected.
    let location = aws
        .browser_authorize(&authorize_url(&aws, id, redirect_uri, "s2"))
        .await;
    let code = query_param(&location, "code").unwrap();
    let e = exchange(
        code.clone(),
        "the-wrong-verifier-0123456789-0123456789-0123",
        "http://127.0.0.1:54321/oauth/callback",
    )
    .await
    .unwrap_err()
    .into_service_error();
    assert!(e.is_invalid_grant_exception(), "{e:?}");
    let e = exchange(code, VERIFIER, "http://127.0.0.1:1/oauth/callback")
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_invalid_grant_exception(), "{e:?}");

    // Scripted browser behaviour: forged state, denial.
    aws.state().oidc.authorize_mode = AuthorizeMode::WrongState;
    let location = aws
        .browser_authorize(&authorize_url(&aws, id, redirect_uri, "s3"))
        .await;
    assert_ne!(query_param(&location, "state").as_deref(), Some("s3"));
    aws.state().oidc.authorize_mode = AuthorizeMode::Deny;
    let location = aws
        .browser_authorize(&authorize_url(&aws, id, redirect_uri, "s4"))
        .await;
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("s4"));
    assert!(query_param(&location, "code").is_none());

    // An unregistered redirect URI gets no redirect at all.
    let resp = http_get(&authorize_url(&aws, id, "http://evil.example/cb", "s5")).await;
    assert_eq!(resp.status(), 400);

    assert_eq!(aws.calls("Authorize"), 5);
    let st = aws.state();
    let c = &st.oidc.clients[0];
    assert_eq!(c.grant_types, ["authorization_code", "refresh_token"]);
    assert_eq!(c.redirect_uris, ["http://127.0.0.1/oauth/callback"]);
    assert_eq!(
        c.issuer_url.as_deref(),
        Some("https://fake.awsapps.com/start")
    );
    let first = &st.oidc.authorize_requests[0];
    assert_eq!(first.code_challenge.as_deref(), Some(CHALLENGE));
    assert_eq!(first.code_challenge_method.as_deref(), Some("S256"));
    assert_eq!(first.scopes.as_deref(), Some("sso:account:access"));
    assert!(first.used);
    assert_eq!(st.oidc.authorization_code_grants, 4);
}

#[tokio::test]
async fn sso_oidc_refresh_rotation_no_new_token_and_failure() {
    let aws = FakeAws::start().await;
    aws.state().oidc.access_token_lifetime = Duration::from_secs(900);
    let (id, secret, code) = start_device_flow(&aws, &["sso:account:access"]).await;
    let first = poll_device(&aws, &id, &secret, &code).await.unwrap();
    assert_eq!(first.expires_in(), 900);
    let rt1 = first.refresh_token().unwrap().to_owned();

    let refresh = |token: String| {
        oidc(&aws)
            .create_token()
            .client_id(&id)
            .client_secret(&secret)
            .grant_type("refresh_token")
            .refresh_token(token)
            .send()
    };

    // Rotate: a new refresh token; the old one is dead.
    let second = refresh(rt1.clone()).await.unwrap();
    let rt2 = second.refresh_token().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert_ne!(second.access_token(), first.access_token());
    let e = refresh(rt1).await.unwrap_err().into_service_error();
    assert!(e.is_invalid_grant_exception(), "{e:?}");

    // No refresh token in the response: the old one keeps working.
    aws.state().oidc.refresh_mode = RefreshMode::NoNewRefreshToken;
    let third = refresh(rt2.clone()).await.unwrap();
    assert!(third.refresh_token().is_none());
    assert!(third.access_token().is_some());
    refresh(rt2.clone()).await.unwrap();

    // Scripted failure.
    aws.state().oidc.refresh_mode = RefreshMode::Fail;
    let e = refresh(rt2).await.unwrap_err().into_service_error();
    assert!(e.is_invalid_grant_exception(), "{e:?}");

    let st = aws.state();
    assert_eq!(st.oidc.refresh_attempts, 5);
    assert_eq!(st.oidc.refreshes, 3);
}

#[tokio::test]
async fn sso_portal_role_credentials_accounts_roles_logout() {
    let aws = FakeAws::start().await;
    aws.state()
        .portal
        .accounts
        .push(PortalAccount::new("210987654321", "fake-prod", &["Admin"]));
    let token = aws.seed_access_token(Duration::from_secs(3600));
    let sso = aws_sdk_sso::Client::new(&aws.sdk_config());

    let out = sso
        .get_role_credentials()
        .access_token(&token)
        .account_id("123456789012")
        .role_name("DeveloperRole")
        .send()
        .await
        .unwrap();
    let rc = out.role_credentials().unwrap();
    let akid = rc.access_key_id().unwrap();
    assert!(
        akid.starts_with("ASIAFAKE") && !looks_like_real_key(akid),
        "{akid}"
    );
    assert!(rc.secret_access_key().unwrap().starts_with("fake-"));
    assert!(rc.session_token().unwrap().starts_with("fake-"));
    // Epoch milliseconds, one hour ahead.
    let expected_ms = (now_secs() + 3600) * 1000;
    assert!(
        (rc.expiration() - expected_ms).abs() < 10_000,
        "expiration {} vs {expected_ms}",
        rc.expiration()
    );

    // Unknown token, unassigned role.
    let e = sso
        .get_role_credentials()
        .access_token("not-a-token")
        .account_id("123456789012")
        .role_name("DeveloperRole")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_unauthorized_exception(), "{e:?}");
    let e = sso
        .get_role_credentials()
        .access_token(&token)
        .account_id("123456789012")
        .role_name("Admin")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ForbiddenException"));

    let accounts = sso
        .list_accounts()
        .access_token(&token)
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = accounts
        .account_list()
        .iter()
        .map(|a| a.account_id().unwrap())
        .collect();
    assert_eq!(ids, ["123456789012", "210987654321"]);
    let page = sso
        .list_accounts()
        .access_token(&token)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.account_list().len(), 1);
    assert!(page.next_token().is_some());
    let roles = sso
        .list_account_roles()
        .access_token(&token)
        .account_id("123456789012")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = roles
        .role_list()
        .iter()
        .map(|r| r.role_name().unwrap())
        .collect();
    assert_eq!(names, ["DeveloperRole", "ReadOnly"]);

    sso.logout().access_token(&token).send().await.unwrap();
    assert!(!aws.access_token_valid(&token));
    let e = sso
        .get_role_credentials()
        .access_token(&token)
        .account_id("123456789012")
        .role_name("DeveloperRole")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_unauthorized_exception(), "{e:?}");

    // Expired tokens are refused too.
    let short = aws.seed_access_token(Duration::from_secs(3600));
    aws.expire_access_tokens();
    let e = sso
        .list_accounts()
        .access_token(&short)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_unauthorized_exception(), "{e:?}");

    assert_eq!(aws.calls("GetRoleCredentials"), 4);
    assert_eq!(aws.calls("ListAccounts"), 3);
    assert_eq!(aws.calls("ListAccountRoles"), 1);
    assert_eq!(aws.calls("Logout"), 1);
    let st = aws.state();
    assert_eq!(
        st.portal.role_credential_requests[0]
            .access_token
            .as_deref(),
        Some(token.as_str())
    );
    assert_eq!(
        st.portal.role_credential_requests[0]
            .issued_access_key_id
            .as_deref(),
        Some(akid)
    );
    assert!(matches!(
        &st.credentials[akid].source,
        CredentialSource::Portal { account_id, role_name } if account_id == "123456789012" && role_name == "DeveloperRole"
    ));
    assert_eq!(st.portal.logged_out, [token]);
}

#[tokio::test]
async fn sso_tokens_from_oidc_work_at_the_portal() {
    let aws = FakeAws::start().await;
    let (id, secret, code) = start_device_flow(&aws, &["sso:account:access"]).await;
    let token = poll_device(&aws, &id, &secret, &code).await.unwrap();
    let sso = aws_sdk_sso::Client::new(&aws.sdk_config());
    sso.get_role_credentials()
        .access_token(token.access_token().unwrap())
        .account_id("123456789012")
        .role_name("ReadOnly")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn sts_assume_role_and_caller_identity_record_the_signer() {
    let aws = FakeAws::start().await;
    let sts = aws_sdk_sts::Client::new(&aws.sdk_config());

    let out = sts
        .assume_role()
        .role_arn("arn:aws:iam::210987654321:role/team/Deployer")
        .role_session_name("awsproxy-test")
        .duration_seconds(900)
        .external_id("ext-123")
        .send()
        .await
        .unwrap();
    let creds = out.credentials().unwrap();
    assert!(!looks_like_real_key(creds.access_key_id()));
    assert!(creds.access_key_id().starts_with("ASIAFAKE"));
    let exp = creds.expiration().secs();
    assert!((exp - (now_secs() + 900)).abs() < 10, "expiration {exp}");
    let user = out.assumed_role_user().unwrap();
    assert_eq!(
        user.arn(),
        "arn:aws:sts::210987654321:assumed-role/Deployer/awsproxy-test"
    );
    assert!(user.assumed_role_id().ends_with(":awsproxy-test"));

    // Static credentials: a plain IAM user.
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("123456789012"));
    assert_eq!(me.arn(), Some("arn:aws:iam::123456789012:user/fake-user"));

    // The assumed-role credentials identify as the role.
    let role_cfg = sdk_config_with_credentials(
        aws.endpoint(),
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    );
    let as_role = aws_sdk_sts::Client::new(&role_cfg)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(as_role.arn(), Some(user.arn()));
    assert_eq!(as_role.account(), Some("210987654321"));

    assert_eq!(aws.calls("AssumeRole"), 1);
    assert_eq!(aws.calls("GetCallerIdentity"), 2);
    let st = aws.state();
    let calls = &st.sts.calls;
    assert_eq!(calls[0].action, "AssumeRole");
    assert_eq!(
        calls[0].signer_access_key_id.as_deref(),
        Some(FAKE_ACCESS_KEY_ID)
    );
    assert_eq!(
        calls[0].param("RoleArn"),
        Some("arn:aws:iam::210987654321:role/team/Deployer")
    );
    assert_eq!(calls[0].param("RoleSessionName"), Some("awsproxy-test"));
    assert_eq!(calls[0].param("DurationSeconds"), Some("900"));
    assert_eq!(calls[0].param("ExternalId"), Some("ext-123"));
    assert_eq!(calls[0].param("Version"), Some("2011-06-15"));
    assert_eq!(
        calls[2].signer_access_key_id.as_deref(),
        Some(creds.access_key_id())
    );
    assert_eq!(
        calls[2].security_token.as_deref(),
        Some(creds.session_token())
    );
}

#[tokio::test]
async fn sts_scripted_failures_lifetime_delay_and_expiry() {
    let aws = FakeAws::start().await;
    let sts = aws_sdk_sts::Client::new(&aws.sdk_config());
    let assume = || {
        sts.assume_role()
            .role_arn("arn:aws:iam::123456789012:role/R")
            .role_session_name("s")
            .send()
    };

    // Session name too short: validation.
    let e = assume().await.unwrap_err();
    assert_eq!(e.code(), Some("ValidationError"));
    let assume = || {
        sts.assume_role()
            .role_arn("arn:aws:iam::123456789012:role/R")
            .role_session_name("sess")
            .send()
    };

    aws.state()
        .sts
        .failures
        .extend([StsFailure::AccessDenied, StsFailure::InternalError]);
    let e = assume().await.unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
    let e = assume().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 500);

    // Default 3600 s, or the scripted lifetime.
    let out = assume().await.unwrap();
    let exp = out.credentials().unwrap().expiration().secs();
    assert!((exp - (now_secs() + 3600)).abs() < 10);
    aws.state().sts.credential_lifetime = Some(Duration::from_secs(60));
    let out = assume().await.unwrap();
    let creds = out.credentials().unwrap().clone();
    assert!((creds.expiration().secs() - (now_secs() + 60)).abs() < 10);

    // Delay.
    aws.state().sts.delay = Duration::from_millis(50);
    let t0 = std::time::Instant::now();
    assume().await.unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(50));
    aws.state().sts.delay = Duration::ZERO;

    // Expired issued credentials are refused.
    aws.expire_credentials();
    let cfg = sdk_config_with_credentials(
        aws.endpoint(),
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    );
    let e = aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ExpiredToken"));

    // Unknown signers, when rejected.
    aws.state().reject_unknown_signers = true;
    let cfg =
        sdk_config_with_credentials(aws.endpoint(), "AKIDSOMEONEELSE", "fake-other-secret", None);
    let e = aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("InvalidClientTokenId"));
    sts.get_caller_identity().send().await.unwrap();

    let st = aws.state();
    let outcomes: Vec<_> = st.sts.calls.iter().map(|c| c.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "ValidationError",
            "AccessDenied",
            "InternalFailure",
            "ok",
            "ok",
            "ok",
            "ExpiredToken",
            "InvalidClientTokenId",
            "ok"
        ]
    );
    assert_eq!(st.calls("AssumeRole"), 6);
}

#[tokio::test]
async fn codeartifact_token_endpoint_and_errors() {
    let aws = FakeAws::start().await;
    {
        let mut st = aws.state();
        st.codeartifact.repository_endpoint =
            "http://127.0.0.1:9/{domain}/{owner}/{format}/{repository}/".to_owned();
        let mut only_pypi = CodeArtifactDomain::new("strict", "123456789012");
        only_pypi.repositories.push("pypi-store".to_owned());
        st.codeartifact.domains.push(only_pypi);
    }
    let ca = aws_sdk_codeartifact::Client::new(&aws.sdk_config());

    let t1 = ca
        .get_authorization_token()
        .domain("fake-domain")
        .domain_owner("123456789012")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let exp = t1.expiration().unwrap().secs();
    assert!((exp - (now_secs() + 900)).abs() < 10, "{exp}");
    let t2 = ca
        .get_authorization_token()
        .domain("fake-domain")
        .send()
        .await
        .unwrap();
    assert_ne!(t1.authorization_token(), t2.authorization_token());
    assert!((t2.expiration().unwrap().secs() - (now_secs() + 12 * 3600)).abs() < 10);
    assert!(aws.codeartifact_token_valid(t2.authorization_token().unwrap()));

    let ep = ca
        .get_repository_endpoint()
        .domain("fake-domain")
        .domain_owner("123456789012")
        .repository("pypi-store")
        .format(aws_sdk_codeartifact::types::PackageFormat::Pypi)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ep.repository_endpoint(),
        Some("http://127.0.0.1:9/fake-domain/123456789012/pypi/pypi-store/")
    );

    // Errors.
    let e = ca
        .get_authorization_token()
        .domain("nope")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");
    let e = ca
        .get_authorization_token()
        .domain("fake-domain")
        .domain_owner("999999999999")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_resource_not_found_exception());
    let e = ca
        .get_repository_endpoint()
        .domain("strict")
        .repository("npm-store")
        .format(aws_sdk_codeartifact::types::PackageFormat::Npm)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");
    let e = ca
        .get_authorization_token()
        .domain("fake-domain")
        .duration_seconds(60)
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_validation_exception());
    aws.state().codeartifact.access_denied = true;
    let e = ca
        .get_authorization_token()
        .domain("fake-domain")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
    assert!(e.into_service_error().is_access_denied_exception());
    aws.state().codeartifact.access_denied = false;

    // Tokens never outlive the caller's own (issued) credentials.
    aws.state().sts.credential_lifetime = Some(Duration::from_secs(1000));
    let sts = aws_sdk_sts::Client::new(&aws.sdk_config());
    let assumed = sts
        .assume_role()
        .role_arn("arn:aws:iam::123456789012:role/R")
        .role_session_name("sess")
        .send()
        .await
        .unwrap();
    let c = assumed.credentials().unwrap();
    let role_cfg = sdk_config_with_credentials(
        aws.endpoint(),
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    );
    let t3 = aws_sdk_codeartifact::Client::new(&role_cfg)
        .get_authorization_token()
        .domain("fake-domain")
        .send()
        .await
        .unwrap();
    assert_eq!(t3.expiration().unwrap().secs(), c.expiration().secs());

    aws.expire_codeartifact_tokens();
    assert!(!aws.codeartifact_token_valid(t2.authorization_token().unwrap()));

    assert_eq!(aws.calls("GetAuthorizationToken"), 7);
    assert_eq!(aws.calls("GetRepositoryEndpoint"), 2);
    let st = aws.state();
    let reqs = &st.codeartifact.token_requests;
    assert_eq!(reqs[0].domain, "fake-domain");
    assert_eq!(reqs[0].domain_owner.as_deref(), Some("123456789012"));
    assert_eq!(reqs[0].duration_seconds, Some(900));
    assert_eq!(
        reqs[0].signer_access_key_id.as_deref(),
        Some(FAKE_ACCESS_KEY_ID)
    );
    assert_eq!(
        reqs[6].signer_access_key_id.as_deref(),
        Some(c.access_key_id())
    );
    let outcomes: Vec<_> = reqs.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "ok",
            "ok",
            "ResourceNotFoundException",
            "ResourceNotFoundException",
            "ValidationException",
            "AccessDeniedException",
            "ok"
        ]
    );
    assert_eq!(st.codeartifact.endpoint_requests[0].format, "pypi");
    assert_eq!(
        st.codeartifact.endpoint_requests[0].repository,
        "pypi-store"
    );
}

#[tokio::test]
async fn injected_errors_and_unmatched_routes() {
    let aws = FakeAws::start().await;
    aws.inject_error(
        "GetCallerIdentity",
        InjectedError::new(503, "ServiceUnavailable"),
    );
    aws.inject_error(
        "RegisterClient",
        InjectedError::new(500, "InternalServerException"),
    );
    aws.inject_error(
        "GetAuthorizationToken",
        InjectedError::new(429, "ThrottlingException"),
    );

    let e = aws_sdk_sts::Client::new(&aws.sdk_config())
        .get_caller_identity()
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ServiceUnavailable"));
    let e = oidc(&aws)
        .register_client()
        .client_name("x")
        .client_type("public")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_internal_server_exception());
    let ca = aws_sdk_codeartifact::Client::new(&aws.sdk_config());
    let e = ca
        .get_authorization_token()
        .domain("fake-domain")
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_throttling_exception());
    // Injected errors are used up one per call.
    ca.get_authorization_token()
        .domain("fake-domain")
        .send()
        .await
        .unwrap();

    let resp = http_get(&format!("{}/no/such/route?x=1", aws.endpoint())).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(aws.state().unmatched, ["GET /no/such/route?x=1"]);
}

#[tokio::test]
async fn fake_servers_stop_when_dropped() {
    let aws = FakeAws::start().await;
    let s3 = FakeS3::start().await;
    let addrs = [
        aws.addr(),
        s3.endpoint().trim_start_matches("http://").parse().unwrap(),
    ];
    for addr in addrs {
        tokio::net::TcpStream::connect(addr).await.unwrap();
    }
    let root = s3.root().to_owned();
    drop(aws);
    drop(s3);
    for addr in addrs {
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "{addr} still accepts connections"
        );
    }
    assert!(!root.exists());
}

#[tokio::test]
async fn s3_put_get_head_list_range_conditional() {
    let s3 = FakeS3::start().await;
    let client = s3.client();
    client
        .create_bucket()
        .bucket("bucket-a")
        .send()
        .await
        .unwrap();
    client
        .put_object()
        .bucket("bucket-a")
        .key("dir/hello.txt")
        .content_type("text/plain")
        .body(ByteStream::from_static(b"hello world"))
        .send()
        .await
        .unwrap();

    let got = client
        .get_object()
        .bucket("bucket-a")
        .key("dir/hello.txt")
        .send()
        .await
        .unwrap();
    let etag = got.e_tag().unwrap().to_owned();
    assert_eq!(etag, "\"5eb63bbbe01eeed093cb22bb8f5acdc3\""); // MD5("hello world")
    assert_eq!(got.content_type(), Some("text/plain"));
    assert!(got.last_modified().is_some());
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"hello world"
    );

    let head = client
        .head_object()
        .bucket("bucket-a")
        .key("dir/hello.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(11));
    assert_eq!(head.e_tag(), Some(etag.as_str()));

    let part = client
        .get_object()
        .bucket("bucket-a")
        .key("dir/hello.txt")
        .range("bytes=0-4")
        .send()
        .await
        .unwrap();
    assert_eq!(part.content_range(), Some("bytes 0-4/11"));
    assert_eq!(
        part.body.collect().await.unwrap().into_bytes().as_ref(),
        b"hello"
    );

    // Conditional GET: 304 (the SDK reports it as an error with the raw response).
    let e = client
        .get_object()
        .bucket("bucket-a")
        .key("dir/hello.txt")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 304);
    let lm = head.last_modified().unwrap();
    let e = client
        .head_object()
        .bucket("bucket-a")
        .key("dir/hello.txt")
        .if_modified_since(*lm)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 304);
    client
        .get_object()
        .bucket("bucket-a")
        .key("dir/hello.txt")
        .if_none_match("\"other\"")
        .send()
        .await
        .unwrap();

    // Helpers write on disk; the ETag follows the content.
    s3.create_bucket("bucket-b");
    s3.put("bucket-a", "dir/hello.txt", b"changed");
    s3.put("bucket-b", "deep/path/blob.bin", vec![7u8; 1000]);
    let got = client
        .get_object()
        .bucket("bucket-a")
        .key("dir/hello.txt")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap();
    assert_ne!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"changed"
    );
    s3.set_last_modified(
        "bucket-b",
        "deep/path/blob.bin",
        UNIX_EPOCH + Duration::from_secs(1_600_000_000),
    );
    let head = client
        .head_object()
        .bucket("bucket-b")
        .key("deep/path/blob.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.last_modified().unwrap().secs(), 1_600_000_000);

    let list = client
        .list_objects_v2()
        .bucket("bucket-b")
        .prefix("deep/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = list.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(keys, ["deep/path/blob.bin"]);
    assert_eq!(list.contents()[0].size(), Some(1000));

    let e = client
        .get_object()
        .bucket("bucket-a")
        .key("missing")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(e.is_no_such_key(), "{e:?}");

    // A streaming (file) body goes out aws-chunked with signed chunks over plain HTTP.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), vec![b'x'; 100_000]).unwrap();
    client
        .put_object()
        .bucket("bucket-b")
        .key("streamed.bin")
        .body(ByteStream::from_path(file.path()).await.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        s3.read("bucket-b", "streamed.bin").unwrap(),
        vec![b'x'; 100_000]
    );

    // Injected failures.
    s3.fail_next(1);
    let e = client
        .head_object()
        .bucket("bucket-a")
        .key("dir/hello.txt")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 500);

    let reqs = s3.requests();
    assert_eq!(s3.request_count(), reqs.len());
    assert_eq!(s3.count("PUT"), 3);
    assert!(
        reqs.iter()
            .all(|r| r.access_key_id.as_deref() == Some(FAKE_ACCESS_KEY_ID))
    );
    let ranged: Vec<_> = reqs.iter().filter(|r| r.range.is_some()).collect();
    assert_eq!(ranged.len(), 1);
    assert_eq!(ranged[0].status, 206);
    assert_eq!(ranged[0].path, "/bucket-a/dir/hello.txt");
    assert_eq!(reqs.iter().filter(|r| r.status == 304).count(), 2);
    assert_eq!(reqs.last().unwrap().status, 500);
}

#[tokio::test]
async fn s3_auth_mode_only_known_keys() {
    let s3 = FakeS3::start_with_auth(&[("AKIDFAKEALLOWED", "fake-allowed-secret")]).await;
    s3.create_bucket("locked");
    s3.put("locked", "k", b"v");
    let allowed = FakeS3::client_for(&sdk_config_with_credentials(
        s3.endpoint(),
        "AKIDFAKEALLOWED",
        "fake-allowed-secret",
        None,
    ));
    let got = allowed
        .get_object()
        .bucket("locked")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"v"
    );

    // The static test key is unknown here.
    let e = s3
        .client()
        .get_object()
        .bucket("locked")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
    assert_eq!(e.code(), Some("InvalidAccessKeyId"));
    let wrong = FakeS3::client_for(&sdk_config_with_credentials(
        s3.endpoint(),
        "AKIDFAKEALLOWED",
        "wrong-secret",
        None,
    ));
    let e = wrong
        .head_object()
        .bucket("locked")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
    // Anonymous.
    let resp = http_get(&format!("{}/locked/k", s3.endpoint())).await;
    assert_eq!(resp.status(), 403);
    assert!(String::from_utf8_lossy(resp.body()).contains("AccessDenied"));

    s3.add_key(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY);
    s3.client()
        .head_object()
        .bucket("locked")
        .key("k")
        .send()
        .await
        .unwrap();
    s3.deny_key(FAKE_ACCESS_KEY_ID);
    let e = s3
        .client()
        .head_object()
        .bucket("locked")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);
    s3.set_access_denied(true);
    let e = allowed
        .get_object()
        .bucket("locked")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDenied"));
    s3.set_access_denied(false);

    // Credentials issued by a trusted FakeAws work while they are valid.
    let aws = FakeAws::start().await;
    s3.trust_credentials_from(&aws);
    let out = aws_sdk_sts::Client::new(&aws.sdk_config())
        .assume_role()
        .role_arn("arn:aws:iam::123456789012:role/Reader")
        .role_session_name("reader")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let role = FakeS3::client_for(&sdk_config_with_credentials(
        s3.endpoint(),
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    ));
    role.head_object()
        .bucket("locked")
        .key("k")
        .send()
        .await
        .unwrap();
    aws.expire_credentials();
    let e = role
        .head_object()
        .bucket("locked")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 403);

    // Open mode serves anonymous requests and unknown signers.
    let open = FakeS3::start().await;
    open.create_bucket("pub");
    open.put("pub", "k", b"open");
    assert_eq!(
        http_get(&format!("{}/pub/k", open.endpoint()))
            .await
            .body()
            .as_ref(),
        b"open"
    );
    let stranger = FakeS3::client_for(&sdk_config_with_credentials(
        open.endpoint(),
        "AKIDSTRANGER",
        "fake-x",
        None,
    ));
    stranger
        .head_object()
        .bucket("pub")
        .key("k")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn sso_oidc_device_steps_are_fifo() {
    // Scripted device steps are answered in the order given.
    let aws = FakeAws::start().await;
    aws.state()
        .oidc
        .device_steps
        .extend([DeviceStep::SlowDown, DeviceStep::Pending]);
    let (id, secret, code) = start_device_flow(&aws, &[]).await;
    assert!(
        poll_device(&aws, &id, &secret, &code)
            .await
            .unwrap_err()
            .is_slow_down_exception()
    );
    assert!(
        poll_device(&aws, &id, &secret, &code)
            .await
            .unwrap_err()
            .is_authorization_pending_exception()
    );
    poll_device(&aws, &id, &secret, &code).await.unwrap();
}
