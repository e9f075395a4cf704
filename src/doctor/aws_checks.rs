//! Checks that look at AWS state: SSO sessions (from the token cache, offline),
//! the interception CA, and, with a timeout each, the identity of every profile
//! the configuration uses, CodeArtifact tokens, S3 buckets and clock skew.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, SystemTime};

use super::{CHECK_TIMEOUT, Context, Finding};
use crate::aws::{self, SdkOptions};
use crate::config::Config;

/// The SSO sessions of `~/.aws/config`: well-formed, and refreshable by design.
pub fn session_config(ctx: &Context) -> Vec<Finding> {
    let path = ctx.paths.aws_config_file();
    let aws = match crate::sso::aws_config::AwsConfig::load(&path) {
        Ok(aws) => aws,
        Err(e) => {
            return vec![Finding::fail(
                "aws-config:sessions",
                format!("{e:#}"),
                format!(
                    "fix the SSO settings in {} (`aws configure sso` writes a complete [sso-session])",
                    path.display()
                ),
            )];
        }
    };
    aws.sessions
        .iter()
        .filter(|s| s.is_legacy())
        .map(|s| {
            Finding::warn(
                format!("aws-config:{}", s.name),
                "a legacy profile with sso_start_url: its tokens can never be refreshed, so it needs a login every few hours",
                "move the start URL into an [sso-session NAME] with sso_registration_scopes = sso:account:access and set sso_session = NAME in the profile",
            )
        })
        .collect()
}

/// Each session in `~/.aws/config` that matters: fails when a login is needed.
pub fn sso_sessions(ctx: &Context, config: &Config) -> Vec<Finding> {
    let Ok(sessions) = crate::sso::status::sessions(&ctx.paths, config, &[]) else {
        return Vec::new();
    };
    sessions
        .into_iter()
        .filter(|s| s.state != crate::sso::status::TokenState::Missing || s.needs_login)
        .map(|s| {
            let check = format!("sso:{}", s.name);
            if s.needs_login {
                Finding::fail(check, format!("token {} ({})", s.state.as_str(), s.start_url), format!("run `{}`", s.login_command))
            } else if !s.refreshable {
                let why = s.not_refreshable_reason.unwrap_or_default();
                let left = s.expires_in_seconds.map_or_else(String::new, |secs| format!(", {} left", crate::sso::status::human_duration(secs)));
                Finding::warn(
                    check,
                    format!("valid but cannot refresh itself ({why}{left})"),
                    "add `sso_registration_scopes = sso:account:access` to the [sso-session] and log in again, so awsproxy can refresh it",
                )
            } else {
                Finding::pass(check, "valid and refreshable")
            }
        })
        .collect()
}

/// The interception CA: present, and trusted by the system store.
pub fn ca(ctx: &Context, config: &Config) -> Finding {
    let path = ctx.paths.data_dir.join(crate::tls::ca::CERT_FILE);
    let Ok(pem) = std::fs::read_to_string(&path) else {
        let intercept = config.file.proxy.as_ref().is_some_and(|p| p.intercept);
        return if intercept {
            Finding::warn(
                "ca",
                "the interception CA does not exist yet",
                "it is created on first use; `awsproxy ca export` creates it now so you can trust it",
            )
        } else {
            Finding::pass("ca", "not needed (no TLS interception configured)")
        };
    };
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let bundle = ctx
        .var("SSL_CERT_FILE")
        .unwrap_or("/etc/ssl/certs/ca-certificates.crt");
    let trusted = std::fs::read_to_string(bundle)
        .map(|b| {
            b.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>()
                .contains(&body)
        })
        .unwrap_or(false);
    if trusted {
        Finding::pass("ca", format!("{} is trusted by {bundle}", path.display()))
    } else {
        Finding::warn(
            "ca",
            format!(
                "{} is not in the system trust store ({bundle})",
                path.display()
            ),
            "run `awsproxy ca trust` and `eval \"$(awsproxy env)\"` so HTTPS through the proxy works; see \"Trusting the awsproxy CA\" in the README",
        )
    }
}

/// Each store `awsproxy ca trust` writes (`ca:bundle`, `ca:nss`, `ca:java`,
/// `ca:system`): whether it trusts the CA, once there is one to trust.
pub fn ca_stores(ctx: &Context, config: &Config) -> Vec<Finding> {
    use crate::trust::{self, State};
    if !config.file.proxy.as_ref().is_some_and(|p| p.intercept) {
        return Vec::new();
    }
    let ca_path = ctx.paths.data_dir.join(crate::tls::ca::CERT_FILE);
    let Ok(ca_pem) = std::fs::read_to_string(&ca_path) else {
        return Vec::new();
    };
    let settings = trust::Settings::resolve(&ctx.paths, ca_path, ca_pem, |name| {
        ctx.var(name).map(str::to_owned)
    });
    trust::states(&settings)
        .into_iter()
        .map(|(store, location, state)| {
            let check = format!("ca:{}", store.as_str());
            match state {
                State::Current => Finding::pass(check, format!("{location} trusts the CA")),
                State::Outdated => Finding::warn(
                    check,
                    format!(
                        "{location} is out of date (another awsproxy CA, or older system roots)"
                    ),
                    "run `awsproxy ca trust` to refresh it",
                ),
                State::Missing => Finding::warn(
                    check,
                    format!("{location} does not trust the CA"),
                    if store == trust::StoreKind::System {
                        "run `awsproxy ca trust` as root, or the sudo command it prints"
                    } else {
                        "run `awsproxy ca trust`"
                    },
                ),
                State::Unavailable(why) => Finding::pass(check, format!("skipped: {why}")),
            }
        })
        .collect()
}

/// A check's future, boxed: the SDK's futures are large.
type BoxedCheck = std::pin::Pin<Box<dyn Future<Output = Finding> + Send>>;

/// Runs `check` with the doctor's timeout; a timeout is a warning (offline is normal).
async fn timed(name: String, what: &str, check: BoxedCheck) -> Finding {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(finding) => finding,
        Err(_) => Finding::warn(
            name,
            format!("{what}: no answer within {}s", CHECK_TIMEOUT.as_secs()),
            "check the network (and HTTPS_PROXY); offline, this is expected",
        ),
    }
}

/// Profiles the configuration uses (None = the default chain).
fn profiles(config: &Config) -> BTreeSet<Option<String>> {
    let f = &config.file;
    let mut set = BTreeSet::new();
    for c in f.creds.iter().flat_map(|c| &c.client) {
        if c.access_key_id.is_none() {
            set.insert(c.profile.clone());
        }
    }
    for m in f.repos.iter().flat_map(|r| r.codeartifact_mounts()) {
        set.insert(m.profile);
    }
    for m in f.repos.iter().flat_map(|r| &r.maven) {
        set.insert(m.profile.clone());
    }
    if let Some(s3) = f.cache.as_ref().and_then(|c| c.s3.as_ref()) {
        set.insert(s3.profile.clone());
    }
    set
}

async fn identity(profile: Option<String>) -> Finding {
    let name = format!("identity:{}", profile.as_deref().unwrap_or("default"));
    let check = name.clone();
    timed(
        name,
        "sts get-caller-identity",
        Box::pin(async move {
            let sdk = aws::sdk_config(&SdkOptions {
                profile: profile.clone(),
                ..SdkOptions::default()
            })
            .await;
            match aws_sdk_sts::Client::new(&sdk)
                .get_caller_identity()
                .send()
                .await
            {
                Ok(out) => Finding::pass(check, out.arn().unwrap_or("(no ARN)").to_owned()),
                Err(e) => {
                    let text = crate::error::chain_text(&e);
                    let hint = if text.to_ascii_lowercase().contains("sso") {
                        match &profile {
                            Some(p) => format!("run `awsproxy sso login --profile {p}`"),
                            None => "run `awsproxy sso login`".to_owned(),
                        }
                    } else {
                        "check the profile's credentials (`aws configure list`)".to_owned()
                    };
                    Finding::fail(check, text, hint)
                }
            }
        }),
    )
    .await
}

async fn codeartifact(
    ctx_cache: std::path::PathBuf,
    mount: crate::config::CodeArtifactMount,
) -> Finding {
    let name = format!("codeartifact:{}:{}", mount.format, mount.name);
    let check = name.clone();
    timed(
        name,
        "GetAuthorizationToken",
        Box::pin(async move {
            let sdk = aws::sdk_config(&SdkOptions {
                region: mount.region.clone(),
                profile: mount.profile.clone(),
                ..SdkOptions::default()
            })
            .await;
            let key = crate::codeartifact::TokenKey {
                domain: mount.domain.clone(),
                owner: mount.domain_owner.clone(),
                region: sdk
                    .region()
                    .map_or_else(|| aws::FALLBACK_REGION.to_owned(), ToString::to_string),
                identity: format!("profile:{}", mount.profile.as_deref().unwrap_or("default")),
            };
            match crate::codeartifact::get(
                &crate::codeartifact::TokenCache::new(&ctx_cache),
                &sdk,
                &key,
                None,
            )
            .await
            {
                Ok((token, _)) => {
                    Finding::pass(check, format!("token valid until {}", token.expiration))
                }
                Err(e) => {
                    let mut buf = Vec::new();
                    crate::error::report(&e, &mut buf);
                    let text = String::from_utf8_lossy(&buf).replace('\n', " ");
                    Finding::fail(
                        check,
                        text,
                        format!(
                            "check `[[repos.{}]] {}`: domain, domain_owner, region and profile",
                            mount.format, mount.name
                        ),
                    )
                }
            }
        }),
    )
    .await
}

async fn bucket(
    check: String,
    bucket: String,
    region: Option<String>,
    profile: Option<String>,
    endpoint: Option<String>,
    path_style: bool,
) -> Finding {
    let name = check.clone();
    timed(
        name,
        "HeadBucket",
        Box::pin(async move {
            let sdk = aws::sdk_config(&SdkOptions {
                region,
                profile,
                endpoint,
                ..SdkOptions::default()
            })
            .await;
            let client = aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&sdk)
                    .force_path_style(path_style)
                    .build(),
            );
            match client.head_bucket().bucket(&bucket).send().await {
                Ok(_) => Finding::pass(check, format!("s3://{bucket} is reachable")),
                Err(e) => Finding::fail(
                    check,
                    format!("s3://{bucket}: {}", crate::error::chain_text(&e)),
                    "check the bucket name, region and the profile's s3:ListBucket permission",
                ),
            }
        }),
    )
    .await
}

/// The local clock against the `Date` of an AWS endpoint (STS, or its override).
async fn clock_skew() -> Finding {
    timed("clock".into(), "clock check", Box::pin(async {
        let endpoint = std::env::var(crate::env_vars::AWS_ENDPOINT_URL_STS).unwrap_or_else(|_| "https://sts.amazonaws.com/".to_owned());
        let Ok(client) = crate::net::UpstreamClient::new(&crate::net::ClientSettings::from_config(&crate::config::ProxySection::default())) else {
            return Finding::warn("clock", "cannot build an HTTP client", "see the logs");
        };
        let Ok(req) = http::Request::head(endpoint.as_str()).body(()) else {
            return Finding::warn("clock", format!("bad endpoint {endpoint}"), "check AWS_ENDPOINT_URL_STS");
        };
        let date = match client.fetch(req).await {
            Ok(resp) => resp.headers().get(http::header::DATE).and_then(|v| v.to_str().ok()).and_then(|v| httpdate::parse_http_date(v).ok()),
            Err(e) => return Finding::warn("clock", format!("cannot reach {endpoint}: {e}"), "offline, this is expected"),
        };
        let Some(date) = date else {
            return Finding::warn("clock", format!("{endpoint} sent no Date header"), "nothing to compare with");
        };
        let skew = match SystemTime::now().duration_since(date) {
            Ok(d) => d,
            Err(e) => e.duration(),
        };
        if skew > Duration::from_secs(300) {
            Finding::fail("clock", format!("the clock is {}s off AWS's", skew.as_secs()), "sync the clock (timedatectl set-ntp true): AWS rejects signatures more than 5 minutes off")
        } else {
            Finding::pass("clock", format!("within {}s of AWS", skew.as_secs().max(1)))
        }
    }))
    .await
}

/// Every network check, concurrently.
pub async fn network(ctx: &Context, config: &Config) -> Vec<Finding> {
    let mut checks: Vec<std::pin::Pin<Box<dyn Future<Output = Finding> + Send>>> = Vec::new();
    for profile in profiles(config) {
        checks.push(Box::pin(identity(profile)));
    }
    for mount in config
        .file
        .repos
        .iter()
        .flat_map(|r| r.codeartifact_mounts())
    {
        checks.push(Box::pin(codeartifact(ctx.paths.cache_dir.clone(), mount)));
    }
    for m in config.file.repos.iter().flat_map(|r| r.maven.clone()) {
        let Some(bucket_name) = m.bucket else {
            continue;
        };
        checks.push(Box::pin(bucket(
            format!("s3:maven:{}", m.name),
            bucket_name,
            m.region,
            m.profile,
            m.endpoint,
            m.force_path_style,
        )));
    }
    if let Some(s3) = config.file.cache.as_ref().and_then(|c| c.s3.clone()) {
        checks.push(Box::pin(bucket(
            "s3:cache".into(),
            s3.bucket,
            s3.region,
            s3.profile,
            s3.endpoint,
            s3.force_path_style,
        )));
    }
    checks.push(Box::pin(clock_skew()));
    futures_util::future::join_all(checks).await
}
