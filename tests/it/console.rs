//! `awsproxy console` against an in-process fake of the AWS federation
//! endpoint (`AWSPROXY_FEDERATION_URL`) that checks the session JSON it gets,
//! with credentials from a profile that assumes a role (the STS fake) or that
//! has temporary keys, and a simulated browser.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};

use crate::support::TestContext;
use crate::support::fakes::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeAws, ServerThread};

const SIGNIN_TOKEN: &str = "fake-signin-token-7f3a";

type Seen = Arc<Mutex<Vec<HashMap<String, String>>>>;

/// Answers `getSigninToken` only for a session JSON with all three keys.
fn federation() -> (ServerThread, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/federation",
            axum::routing::get(
                |State(seen): State<Seen>, Query(q): Query<HashMap<String, String>>| async move {
                    seen.lock().unwrap().push(q.clone());
                    let session: serde_json::Value = q
                        .get("Session")
                        .and_then(|s| serde_json::from_str(s).ok())
                        .unwrap_or_default();
                    let complete = ["sessionId", "sessionKey", "sessionToken"]
                        .iter()
                        .all(|k| session[k].as_str().is_some_and(|v| !v.is_empty()));
                    if q.get("Action").map(String::as_str) != Some("getSigninToken") || !complete {
                        return (http::StatusCode::BAD_REQUEST, "bad session".to_owned());
                    }
                    (
                        http::StatusCode::OK,
                        format!("{{\"SigninToken\":\"{SIGNIN_TOKEN}\"}}"),
                    )
                },
            ),
        )
        .with_state(seen.clone());
    let server = ServerThread::spawn("federation", move |listener| async move {
        let _ = axum::serve(listener, app).await;
    })
    .expect("start federation fake");
    (server, seen)
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url.trim())
        .expect("a URL")
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_profile_signs_in_for_the_role_lifetime_in_its_region() {
    let aws = FakeAws::start().await;
    let (fed, seen) = federation();
    let ctx = TestContext::new()
        .aws_config(
            "[profile dev]\nrole_arn = arn:aws:iam::210987654321:role/Dev\nsource_profile = base\nregion = eu-west-1\n",
        )
        .env("AWS_ENDPOINT_URL_STS", aws.endpoint())
        // The profile's region wins over the environment's.
        .env("AWS_REGION", "us-east-1")
        .env(
            "AWSPROXY_FEDERATION_URL",
            format!("http://{}/federation", fed.addr()),
        );
    ctx.write(
        &ctx.home().join(".aws/credentials"),
        &format!("[base]\naws_access_key_id = {FAKE_ACCESS_KEY_ID}\naws_secret_access_key = {FAKE_SECRET_ACCESS_KEY}\n"),
    );
    let out = ctx.run(&["console", "--profile", "dev", "--print"]);
    out.assert_code(0);
    let q = query(&out.stdout);
    assert_eq!(q["Action"], "login");
    assert_eq!(q["SigninToken"], SIGNIN_TOKEN);
    assert_eq!(
        q["Destination"],
        "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
    );
    let asked = seen.lock().unwrap()[0].clone();
    let session: serde_json::Value = serde_json::from_str(&asked["Session"]).unwrap();
    assert!(
        session["sessionId"].as_str().unwrap().starts_with("ASIA"),
        "the role's keys, not the source profile's: {session}"
    );
    assert_ne!(session["sessionId"], FAKE_ACCESS_KEY_ID);
    let duration: u64 = asked["SessionDuration"].parse().unwrap();
    assert!(
        (900..=3600).contains(&duration),
        "follows the role's credentials: {duration}"
    );
    for secret in [session["sessionKey"].as_str().unwrap(), SIGNIN_TOKEN] {
        assert!(!out.stderr.contains(secret), "{}", out.stderr);
    }

    // The simulated browser gets the URL; a chosen destination is kept.
    let got = ctx.root().join("browser-got");
    let browser = ctx.write(
        &ctx.root().join("browser.sh"),
        &format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", got.display()),
    );
    let out = ctx.run(&[
        "console",
        "--profile",
        "dev",
        "--browser",
        &format!("sh {}", browser.display()),
        "--destination",
        "https://console.aws.amazon.com/s3/home?region=eu-west-1",
    ]);
    out.assert_code(0);
    assert!(
        out.stderr.contains("opened the aws console"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains(SIGNIN_TOKEN) && !out.stderr.contains(SIGNIN_TOKEN));
    let mut opened = String::new();
    for _ in 0..200 {
        opened = std::fs::read_to_string(&got).unwrap_or_default();
        if !opened.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let q = query(&opened);
    assert_eq!(
        q["Destination"],
        "https://console.aws.amazon.com/s3/home?region=eu-west-1"
    );
    assert_eq!(q["SigninToken"], SIGNIN_TOKEN);
}

#[test]
fn long_term_keys_are_refused_with_a_hint_and_nothing_is_sent() {
    let (fed, seen) = federation();
    let ctx = TestContext::new().env(
        "AWSPROXY_FEDERATION_URL",
        format!("http://{}/federation", fed.addr()),
    );
    ctx.write(
        &ctx.home().join(".aws/credentials"),
        &format!("[iam-user]\naws_access_key_id = {FAKE_ACCESS_KEY_ID}\naws_secret_access_key = {FAKE_SECRET_ACCESS_KEY}\n"),
    );
    let out = ctx.run(&["console", "--profile", "iam-user", "--print"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("temporary credentials"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("hint:") && out.stderr.contains("role_arn"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    assert!(
        seen.lock().unwrap().is_empty(),
        "long-term keys went to federation"
    );
}

#[test]
fn the_partition_follows_the_region() {
    // Temporary keys in a GovCloud profile: with no override the endpoint
    // would be GovCloud's; the override shows the destination follows too.
    let (fed, seen) = federation();
    let ctx = TestContext::new()
        .aws_config("[profile gov]\nregion = us-gov-west-1\n")
        .env(
            "AWSPROXY_FEDERATION_URL",
            format!("http://{}/federation", fed.addr()),
        );
    ctx.write(
        &ctx.home().join(".aws/credentials"),
        "[gov]\naws_access_key_id = ASIAGOVFAKE\naws_secret_access_key = s\naws_session_token = t\n",
    );
    let out = ctx.run(&["console", "--profile", "gov", "--print"]);
    out.assert_code(0);
    assert_eq!(
        query(&out.stdout)["Destination"],
        "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1"
    );
    let asked = seen.lock().unwrap()[0].clone();
    assert!(
        !asked.contains_key("SessionDuration"),
        "no expiry known: {asked:?}"
    );
}
