//! A listener on a non-loopback address without access control serves anyone
//! who can reach it, as the user. `serve` and `creds serve` refuse to start
//! that way, naming the key, the file and the settings that allow it; where a
//! section sets `allow_non_loopback`, `doctor` warns. (With `allow_clients` or
//! tokens, see `access.rs`.)

use super::send;
use crate::support::TestContext;
use crate::support::daemon::Daemon;

const CLIENT: &str = "[[creds.client]]\nname = \"app\"\ntoken = \"t0k\"\n\
                      access_key_id = \"AKIDFAKE\"\nsecret_access_key = \"fake\"\n";

fn config(section: &str, extra: &str) -> String {
    let mut text = format!("[{section}]\nlisten = \"0.0.0.0:0\"\n{extra}");
    if section == "creds" {
        text.push_str(CLIENT);
    }
    text
}

#[test]
fn serve_refuses_a_non_loopback_listener_unless_its_section_allows_it() {
    let sections = ["proxy", "repos", "metrics", "creds"];
    // All at once: before the fix each one would run until killed.
    let mut running: Vec<(&str, TestContext, Daemon)> = sections
        .iter()
        .map(|section| {
            let ctx = TestContext::new().config(&config(section, ""));
            let mut cmd = ctx.command();
            cmd.arg("serve");
            let daemon = Daemon::spawn(cmd);
            (*section, ctx, daemon)
        })
        .collect();
    for (section, ctx, daemon) in &mut running {
        let code = daemon.wait_exit();
        // The exit can come before the last stderr line is read.
        daemon.wait_for("hint:");
        let log = daemon.log();
        assert_eq!(code, 2, "[{section}]: {log}");
        for needle in [
            format!("`[{section}] listen`"),
            "0.0.0.0:0".to_owned(),
            ctx.config_path().display().to_string(),
            format!("allow_non_loopback = true` in `[{section}]`"),
        ] {
            assert!(log.contains(&needle), "[{section}] needs {needle:?}: {log}");
        }
        assert!(!log.contains("listening"), "[{section}] started: {log}");
    }
}

#[tokio::test]
async fn an_allowed_non_loopback_listener_starts_and_still_checks_names() {
    let ctx = TestContext::new().config(&config("metrics", "allow_non_loopback = true\n"));
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let url = daemon.url_of("status page");
    assert!(url.starts_with("http://0.0.0.0:"), "{url}");
    let port = url.rsplit(':').next().unwrap().to_owned();
    let addr = format!("127.0.0.1:{port}");
    // Listening on every address, any address of this machine is its own.
    for host in [format!("10.9.8.7:{port}"), format!("localhost:{port}")] {
        let got = send(&addr, "GET", "/healthz", Some(&host), &[]).await;
        assert_eq!(got.status, 200, "{host}: {}", got.text());
    }
    let got = send(&addr, "GET", "/metrics", Some("evil.example"), &[]).await;
    assert_eq!(got.status, 421, "{}", got.text());
}

#[test]
fn flags_cannot_move_a_listener_off_loopback_either() {
    let ctx = TestContext::new().config("[metrics]\nlisten = \"127.0.0.1:0\"\n");
    let mut cmd = ctx.command();
    cmd.args(["serve", "--metrics-listen", "0.0.0.0:0"]);
    let mut daemon = Daemon::spawn(cmd);
    assert_eq!(daemon.wait_exit(), 2, "{}", daemon.log());
    daemon.wait_for("hint:");
    assert!(
        daemon.log().contains("`[metrics] listen`"),
        "{}",
        daemon.log()
    );

    let ctx = TestContext::new().config(&format!("[creds]\n{CLIENT}"));
    let mut cmd = ctx.command();
    cmd.args(["creds", "serve", "--listen", "0.0.0.0:0"]);
    let mut daemon = Daemon::spawn(cmd);
    assert_eq!(daemon.wait_exit(), 2, "{}", daemon.log());
    daemon.wait_for("hint:");
    let log = daemon.log();
    assert!(log.contains("`[creds] listen`"), "{log}");
    assert!(log.contains("allow_non_loopback"), "{log}");
}

#[tokio::test]
async fn a_reload_cannot_move_a_listener_off_loopback() {
    let ctx = TestContext::new().config("[metrics]\nlisten = \"127.0.0.1:0\"\n");
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let url = daemon.url_of("status page");
    let addr = url.trim_start_matches("http://").to_owned();
    ctx.write(&ctx.config_path(), "[metrics]\nlisten = \"0.0.0.0:0\"\n");
    daemon.signal("HUP");
    let line = daemon.wait_for("rejected");
    assert!(line.contains("[metrics] listen"), "{line}");
    let got = send(&addr, "GET", "/healthz", Some(&addr), &[]).await;
    assert_eq!(got.status, 200, "the old listener keeps serving");
}

#[test]
fn doctor_warns_where_a_section_allows_non_loopback() {
    let ctx = TestContext::new()
        .config("[metrics]\nlisten = \"0.0.0.0:0\"\nallow_non_loopback = true\n[repos]\nlisten = \"0.0.0.0:0\"\n")
        .aws_config("[default]\nregion = us-east-1\n");
    let out = ctx.run(&["doctor", "--json"]);
    let all: Vec<serde_json::Value> = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    let find = |check: &str| {
        all.iter()
            .find(|f| f["check"] == check)
            .unwrap_or_else(|| panic!("no `{check}` in {all:#?}"))
            .clone()
    };
    let metrics = find("listen:metrics");
    assert_eq!(metrics["outcome"], "warn", "{metrics}");
    assert!(
        metrics["summary"].as_str().unwrap().contains("0.0.0.0"),
        "{metrics}"
    );
    let repos = find("listen:repos");
    assert_eq!(repos["outcome"], "fail", "serve would refuse: {repos}");
    assert!(
        repos["hint"]
            .as_str()
            .unwrap()
            .contains("allow_non_loopback"),
        "{repos}"
    );
}
