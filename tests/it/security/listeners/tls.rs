//! Tokens must not cross a network in clear: a listener with `tls_cert` and
//! `tls_key` (or `tls_ca_names`) speaks only TLS, with the certificate it was
//! given, and a SIGHUP after a renewal serves the new one. curl is the client.

use std::process::Command;

use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::tls_origin::TestCa;

const TOKEN_CONFIG: &str = "[[access.token]]\nname = \"ci\"\ntoken = \"tls-secret-0123\"\n";

/// curl's `(exit code, HTTP status, body)` for `url` (extra `args` first).
fn curl(args: &[&str], url: &str) -> (i32, String) {
    let out = Command::new("curl")
        .args(["-sS", "--noproxy", "*", "-m", "10", "-w", "\n%{http_code}"])
        .args(args)
        .arg(url)
        .output()
        .expect("run curl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_tls_listener_speaks_only_tls_and_a_sighup_serves_a_renewed_certificate() {
    let first = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = first.leaf_files(dir.path(), &["localhost", "127.0.0.1"]);
    let config = format!(
        "[metrics]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n{TOKEN_CONFIG}",
        cert.display(),
        key.display()
    );
    let ctx = TestContext::new().config(&config);
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let url = daemon.url_of("status page");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let healthz = format!("{}/healthz", url.trim_end_matches('/'));
    let trust_first = ["--cacert", first.pem_path.to_str().unwrap()];
    let with_token = [trust_first.as_slice(), &["-u", "ci:tls-secret-0123"]].concat();

    let (code, out) = curl(&with_token, &healthz);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("\n200"), "{out}");
    // Over TLS the token is still wanted.
    let (_, out) = curl(&trust_first, &healthz);
    assert!(out.ends_with("\n401"), "{out}");
    // Plain HTTP gets no answer at all, so no token is ever sent in clear to it.
    let plain = healthz.replacen("https://", "http://", 1);
    let (code, out) = curl(&["-u", "ci:tls-secret-0123"], &plain);
    assert_ne!(code, 0, "{out}");
    assert!(!out.contains("200"), "{out}");

    // A renewed certificate from another CA: served after SIGHUP.
    let second = TestCa::new();
    second.leaf_files(dir.path(), &["localhost", "127.0.0.1"]);
    daemon.signal("HUP");
    daemon.wait_for("configuration reloaded");
    let trust_second = ["--cacert", second.pem_path.to_str().unwrap()];
    let with_second = [trust_second.as_slice(), &["-u", "ci:tls-secret-0123"]].concat();
    let mut served = (0, String::new());
    for _ in 0..50 {
        served = curl(&with_second, &healthz);
        if served.1.ends_with("\n200") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(served.1.ends_with("\n200"), "{served:?}");
    let (code, _) = curl(&with_token, &healthz);
    // curl says 60 (not verified) or 35 (handshake failed) as OpenSSL reports it.
    assert!(
        [35, 60].contains(&code),
        "the old CA still verifies the listener: {code}"
    );
}

#[test]
fn tls_ca_names_serve_a_certificate_from_awsproxys_ca() {
    // A fixed port, so doctor checks it (it skips port 0).
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = free.local_addr().unwrap();
    drop(free);
    let config = format!(
        "[repos]\nlisten = \"{listen}\"\nallowed_hosts = [\"awsproxy.test\"]\n\
         tls_ca_names = [\"awsproxy.test\"]\n{TOKEN_CONFIG}"
    );
    let ctx = TestContext::new().config(&config);
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let url = daemon.url_of("repository listener");
    let port = url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let ca = ctx.home().join("ca.pem");
    ctx.run(&["ca", "export", "--out", ca.to_str().unwrap()])
        .assert_code(0);
    let resolve = format!("awsproxy.test:{port}:127.0.0.1");
    let (code, out) = curl(
        &[
            "--cacert",
            ca.to_str().unwrap(),
            "--resolve",
            &resolve,
            "-H",
            "authorization: Bearer tls-secret-0123",
        ],
        &format!("https://awsproxy.test:{port}/"),
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.ends_with("\n404"),
        "past the token check, no mount there: {out}"
    );
    let (_, out) = curl(
        &["--cacert", ca.to_str().unwrap(), "--resolve", &resolve],
        &format!("https://awsproxy.test:{port}/"),
    );
    assert!(out.ends_with("\n401"), "{out}");
    // doctor knows its own listener behind TLS (it asks over TLS).
    let out = ctx.command().args(["doctor", "--json"]).output().unwrap();
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = findings
        .as_array()
        .into_iter()
        .flatten()
        .chain(findings["findings"].as_array().into_iter().flatten())
        .find(|f| f["check"] == "port:repos")
        .cloned()
        .unwrap_or_default();
    assert_eq!(finding["outcome"], "pass", "{findings}");
    assert!(
        finding["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("running awsproxy"),
        "{finding}"
    );
    // Without awsproxy's CA the certificate is not trusted.
    let (code, _) = curl(
        &["--resolve", &resolve],
        &format!("https://awsproxy.test:{port}/"),
    );
    // curl says 60 (not verified) or 35 (handshake failed) as OpenSSL reports it.
    assert!([35, 60].contains(&code), "{code}");
}
