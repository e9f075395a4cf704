//! Console sign-in through the AWS federation endpoint, pure: which endpoint
//! and console serve a region's partition, the session JSON
//! `getSigninToken` takes, how long the console session may last, and the
//! `login` URL. The command (`crate::commands::console`) does the I/O.
//!
//! The flow: temporary credentials (a role's: federation refuses long-term
//! IAM user keys) go to `FEDERATION?Action=getSigninToken&Session=JSON`, which
//! answers `{"SigninToken": "..."}`; the browser then opens
//! `FEDERATION?Action=login&Issuer=...&Destination=...&SigninToken=...`.
//! The signin token is as good as the credentials for 15 minutes: it is
//! printed only with `--print`, and never logged.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use url::Url;

/// The longest console session federation grants.
pub const MAX_SESSION: Duration = Duration::from_secs(12 * 3600);
/// The shortest it accepts.
pub const MIN_SESSION: Duration = Duration::from_secs(15 * 60);

/// An AWS partition's sign-in and console hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub name: &'static str,
    pub federation: &'static str,
    pub console: &'static str,
}

const AWS: Partition = Partition {
    name: "aws",
    federation: "https://signin.aws.amazon.com/federation",
    console: "console.aws.amazon.com",
};
const AWS_CN: Partition = Partition {
    name: "aws-cn",
    federation: "https://signin.amazonaws.cn/federation",
    console: "console.amazonaws.cn",
};
const AWS_US_GOV: Partition = Partition {
    name: "aws-us-gov",
    federation: "https://signin.amazonaws-us-gov.com/federation",
    console: "console.amazonaws-us-gov.com",
};

/// The partition a region belongs to (`cn-*` China, `us-gov-*` GovCloud, else commercial).
pub fn partition(region: &str) -> Partition {
    if region.starts_with("cn-") {
        AWS_CN
    } else if region.starts_with("us-gov-") {
        AWS_US_GOV
    } else {
        AWS
    }
}

/// The console home of `region` (what `--destination` defaults to).
pub fn default_destination(region: &str) -> String {
    let p = partition(region);
    match p.name {
        // GovCloud and China have no per-region console hosts.
        "aws" => format!(
            "https://{region}.{}/console/home?region={region}",
            p.console
        ),
        _ => format!("https://{}/console/home?region={region}", p.console),
    }
}

/// The `Session` parameter of `getSigninToken`.
#[derive(Debug, Serialize)]
pub struct Session<'a> {
    #[serde(rename = "sessionId")]
    pub access_key_id: &'a str,
    #[serde(rename = "sessionKey")]
    pub secret_access_key: &'a str,
    #[serde(rename = "sessionToken")]
    pub session_token: &'a str,
}

/// How long the console session may last: what the credentials have left,
/// within federation's 15 minutes to 12 hours (`None`: let federation decide).
pub fn session_duration(expiry: Option<SystemTime>, now: SystemTime) -> Option<Duration> {
    let left = expiry?.duration_since(now).ok()?;
    Some(left.clamp(MIN_SESSION, MAX_SESSION))
}

/// The `getSigninToken` request URL.
pub fn signin_token_url(
    federation: &Url,
    session: &Session<'_>,
    duration: Option<Duration>,
) -> anyhow::Result<Url> {
    let mut url = federation.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("Action", "getSigninToken");
        if let Some(d) = duration {
            q.append_pair("SessionDuration", &d.as_secs().to_string());
        }
        q.append_pair("Session", &serde_json::to_string(session)?);
    }
    Ok(url)
}

/// The URL that signs the browser in and goes to `destination`.
pub fn login_url(federation: &Url, destination: &str, signin_token: &str) -> Url {
    let mut url = federation.clone();
    url.query_pairs_mut()
        .append_pair("Action", "login")
        .append_pair("Issuer", "awsproxy")
        .append_pair("Destination", destination)
        .append_pair("SigninToken", signin_token);
    url
}

/// `getSigninToken`'s answer.
#[derive(Debug, serde::Deserialize)]
pub struct SigninToken {
    #[serde(rename = "SigninToken")]
    pub token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_and_destinations_follow_the_region() {
        assert_eq!(partition("eu-west-1").name, "aws");
        assert_eq!(partition("cn-north-1").name, "aws-cn");
        assert_eq!(partition("us-gov-west-1").name, "aws-us-gov");
        assert_eq!(
            partition("cn-northwest-1").federation,
            "https://signin.amazonaws.cn/federation"
        );
        assert_eq!(
            default_destination("eu-west-1"),
            "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
        );
        assert_eq!(
            default_destination("us-gov-east-1"),
            "https://console.amazonaws-us-gov.com/console/home?region=us-gov-east-1"
        );
    }

    #[test]
    fn the_session_lasts_what_the_credentials_have_left_within_limits() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |s| Some(now + Duration::from_secs(s));
        assert_eq!(
            session_duration(at(3600), now),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(session_duration(at(60), now), Some(MIN_SESSION));
        assert_eq!(session_duration(at(48 * 3600), now), Some(MAX_SESSION));
        assert_eq!(session_duration(None, now), None);
        assert_eq!(
            session_duration(Some(now - Duration::from_secs(1)), now),
            None
        );
    }

    #[test]
    fn urls_carry_the_session_json_and_the_token_encoded() {
        let fed = Url::parse("https://signin.aws.amazon.com/federation").unwrap();
        let s = Session {
            access_key_id: "ASIA1",
            secret_access_key: "se/cr+et",
            session_token: "tok&en=",
        };
        let url = signin_token_url(&fed, &s, Some(Duration::from_secs(3600))).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["Action"], "getSigninToken");
        assert_eq!(q["SessionDuration"], "3600");
        let json: serde_json::Value = serde_json::from_str(&q["Session"]).unwrap();
        assert_eq!(json["sessionId"], "ASIA1");
        assert_eq!(json["sessionKey"], "se/cr+et");
        assert_eq!(json["sessionToken"], "tok&en=");
        let login = login_url(&fed, "https://console.aws.amazon.com/s3/?a=1&b=2", "T&1");
        let q: std::collections::HashMap<_, _> = login.query_pairs().into_owned().collect();
        assert_eq!(q["Action"], "login");
        assert_eq!(
            q["Destination"],
            "https://console.aws.amazon.com/s3/?a=1&b=2"
        );
        assert_eq!(q["SigninToken"], "T&1");
    }
}
