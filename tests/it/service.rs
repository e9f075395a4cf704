//! `awsproxy serve` run as a service behind an orchestrator: liveness and
//! readiness, the drain on SIGTERM (readiness false at once, requests still
//! served, in-flight ones finished; a second signal stops at once), and a
//! request id in every JSON log line of a request and in its response.

use std::time::{Duration, Instant};

use crate::serve::{get_with, open_get, split_url, via_proxy};
use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::origin::{Origin, Reply};

fn spawn(ctx: &TestContext, args: &[&str]) -> Daemon {
    let mut cmd = ctx.command();
    cmd.args(args).arg("serve");
    Daemon::spawn(cmd)
}

/// (status, JSON body) of `GET url`.
async fn json_of(url: &str) -> (u16, serde_json::Value) {
    let (status, _, body) = get_with(url, &[]).await;
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{url}: {e}: {}", String::from_utf8_lossy(&body)));
    (status, json)
}

#[tokio::test]
async fn sigterm_makes_readyz_503_while_requests_are_still_served_then_stops() {
    let origin = Origin::start();
    origin.set(
        "/slow",
        Reply::ok("slow body").delay(Duration::from_secs(5)),
    );
    origin.set("/fast", Reply::ok("fast body"));
    let ctx = TestContext::new().config(
        "[metrics]\nlisten = \"127.0.0.1:0\"\n[proxy]\nlisten = \"127.0.0.1:0\"\nallow_destinations = [\"127.0.0.1\"]\n[server]\ndrain = \"3s\"\n",
    );
    let mut daemon = spawn(&ctx, &[]);
    let metrics = daemon.url_of("status page");
    let proxy = daemon.url_of("forward proxy");
    assert_eq!(json_of(&format!("{metrics}/readyz")).await.0, 200);
    let (status, live) = json_of(&format!("{metrics}/livez")).await;
    assert_eq!((status, &live["status"]), (200, &serde_json::json!("ok")));

    // A slow request is in flight when SIGTERM arrives; it outlives the drain.
    let slow_url = origin.url("/slow");
    let slow = {
        let proxy = proxy.clone();
        tokio::spawn(async move { via_proxy(&proxy, &slow_url).await })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while origin.count("/slow") == 0 {
        assert!(Instant::now() < deadline, "the slow request never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ctx.run(&["doctor", "--probe", &format!("{metrics}/readyz")])
        .assert_code(0);
    let signalled = Instant::now();
    daemon.signal("TERM");
    daemon.wait_for("shutting down");

    // Draining: unready with the reason, alive, /healthz as before.
    let (status, ready) = json_of(&format!("{metrics}/readyz")).await;
    assert_eq!(status, 503, "{ready}");
    assert!(
        ready["unhealthy"]["serve"]
            .as_str()
            .is_some_and(|r| r.starts_with("draining")),
        "{ready}"
    );
    assert_eq!(ready["components"]["proxy"]["state"], "healthy", "{ready}");
    assert_eq!(json_of(&format!("{metrics}/livez")).await.0, 200);
    assert_eq!(json_of(&format!("{metrics}/healthz")).await.0, 200);
    // The image's health check says the same.
    let probe = ctx.run(&["doctor", "--probe", &format!("{metrics}/livez")]);
    probe.assert_code(0);
    assert_eq!(probe.stdout.trim(), format!("200 {metrics}/livez"));
    ctx.run(&["doctor", "--probe", &format!("{metrics}/readyz")])
        .assert_code(1);
    // New connections are still served during the drain.
    let (status, _, body) = via_proxy(&proxy, &origin.url("/fast")).await;
    assert_eq!((status, body.as_slice()), (200, b"fast body".as_slice()));
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "checked within the drain"
    );

    let (status, _, body) = slow.await.unwrap();
    assert_eq!((status, body.as_slice()), (200, b"slow body".as_slice()));
    assert_eq!(daemon.wait_exit(), 0);
    assert!(
        signalled.elapsed() >= Duration::from_secs(3),
        "serve kept running for the drain"
    );
    let (proxy_addr, _) = split_url(&proxy);
    assert!(tokio::net::TcpStream::connect(proxy_addr).await.is_err());
    let log = daemon.log();
    assert!(log.contains("drain over"), "{log}");
    let probe = ctx.run(&["doctor", "--probe", &format!("{metrics}/livez")]);
    probe.assert_code(1);
    assert!(
        probe.stderr.contains("hint: is `awsproxy serve` running"),
        "{}",
        probe.stderr
    );
}

#[tokio::test]
async fn a_second_signal_stops_at_once() {
    let origin = Origin::start();
    origin.set("/hang", Reply::ok("late").delay(Duration::from_secs(60)));
    let ctx = TestContext::new().config(
        "[metrics]\nlisten = \"127.0.0.1:0\"\n[proxy]\nlisten = \"127.0.0.1:0\"\nallow_destinations = [\"127.0.0.1\"]\n[server]\ndrain = \"1m\"\n",
    );
    let mut daemon = spawn(&ctx, &[]);
    let metrics = daemon.url_of("status page");
    let proxy = daemon.url_of("forward proxy");
    // An in-flight request that would hold the grace period.
    let url = origin.url("/hang");
    let (proxy_addr, _) = split_url(&proxy);
    let (host, _) = split_url(&url);
    let _hanging = open_get(proxy_addr, &url, host, &[]).await;

    daemon.signal("TERM");
    daemon.wait_for("shutting down");
    assert_eq!(json_of(&format!("{metrics}/readyz")).await.0, 503);
    let signalled = Instant::now();
    daemon.signal("INT");
    assert_eq!(daemon.wait_exit(), 0);
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "stopped at once, not after the drain: {:?}",
        signalled.elapsed()
    );
    assert!(daemon.log().contains("second shutdown signal"));
}

/// The JSON log lines (stderr) that belong to request `id`.
fn lines_of<'a>(log: &'a str, id: &str) -> Vec<&'a str> {
    log.lines()
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .is_ok_and(|v| v["span"]["request_id"] == id)
        })
        .collect()
}

/// The `x-request-id` of a lowercase response head.
fn id_in(head: &str) -> String {
    head.lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .unwrap_or_else(|| panic!("no x-request-id: {head}"))
        .trim()
        .to_owned()
}

#[tokio::test]
async fn json_logs_carry_the_request_id_the_response_returns() {
    let origin = Origin::start();
    origin.set("/page", Reply::ok("from the origin"));
    origin.set(
        "/own-id",
        Reply::ok("x").header("x-request-id", "origin-says"),
    );
    let token = "creds-token-never-logged";
    let ctx = TestContext::new().config(&format!(
        "[metrics]\nlisten = \"127.0.0.1:0\"\n[proxy]\nlisten = \"127.0.0.1:0\"\nallow_destinations = [\"127.0.0.1\"]\n\
         [creds]\nlisten = \"127.0.0.1:0\"\n[[creds.client]]\nname = \"app\"\ntoken = \"{token}\"\naccess_key_id = \"AKIDSTATICFAKE\"\nsecret_access_key = \"fake-secret\"\n"
    ));
    let mut daemon = spawn(&ctx, &["--log-format", "json", "--log-level", "debug"]);
    let metrics = daemon.url_of("status page");
    let creds = daemon.url_of("ECS credentials endpoint");
    let proxy = daemon.url_of("forward proxy");

    // A client's id is kept, in the response and in the request's log line.
    let (status, head, _) = get_with(
        &format!("{metrics}/metrics"),
        &[("x-request-id", "ci-job-42/step:1")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(id_in(&head), "ci-job-42/step:1");
    daemon.wait_for("\"path\":\"/metrics\"");
    let log = daemon.log();
    let lines = lines_of(&log, "ci-job-42/step:1");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"message\":\"request\"") && l.contains("\"status\":200")),
        "{log}"
    );

    // Without one, with one too long to keep, or with one that would forge a
    // field of a JSON line: a fresh id, logged the same way.
    let forged = r#"x","level":"ERROR","message":"forged"#;
    for sent in [None, Some("x".repeat(200)), Some(forged.to_owned())] {
        let headers: Vec<(&str, &str)> =
            sent.iter().map(|v| ("x-request-id", v.as_str())).collect();
        let (_, head, _) = get_with(&format!("{metrics}/"), &headers).await;
        let id = id_in(&head);
        assert_eq!(id.len(), 16, "{head}");
        daemon.wait_for(&format!("\"request_id\":\"{id}\""));
        assert!(!lines_of(&daemon.log(), &id).is_empty());
    }
    assert!(!daemon.log().contains("forged"), "{}", daemon.log());

    // The forward proxy: the id is in its lines about the request and on the
    // answer; an origin's own id is left alone.
    let (proxy_addr, _) = split_url(&proxy);
    let url = origin.url("/page");
    let (host, _) = split_url(&url);
    let s = open_get(
        proxy_addr,
        &url,
        host,
        &[("x-request-id", "through-the-proxy")],
    )
    .await;
    let (status, head, _) = crate::support::raw::read_response(s).await;
    assert_eq!((status, id_in(&head).as_str()), (200, "through-the-proxy"));
    let log = daemon.log();
    assert!(
        lines_of(&log, "through-the-proxy")
            .iter()
            .any(|l| l.contains("forwarding")),
        "{log}"
    );
    let (_, head, _) = via_proxy(&proxy, &origin.url("/own-id")).await;
    assert_eq!(id_in(&head), "origin-says");

    // The credentials endpoint: the id is logged, its token never is.
    let (status, head, _) = get_with(
        &format!("{creds}/v1/credentials"),
        &[("authorization", token), ("x-request-id", "creds-call")],
    )
    .await;
    assert_eq!((status, id_in(&head).as_str()), (200, "creds-call"));
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), 0);
    let log = daemon.log();
    assert!(!lines_of(&log, "creds-call").is_empty(), "{log}");
    assert!(!log.contains(token), "{log}");
    assert!(!log.contains("fake-secret"), "{log}");
    // Besides the startup lines (messages to the user, not logs).
    for line in log.lines().filter(|l| !l.starts_with("awsproxy: ")) {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "every line is JSON: {line}"
        );
    }
}
