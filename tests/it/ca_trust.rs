//! `awsproxy ca trust` and `awsproxy env` with the real binary: every store in a
//! throwaway copy (a temp NSS database, the user Java trust store, a system
//! store under `AWSPROXY_TRUST_ROOT` with a stand-in refresh tool), then curl,
//! Python, Node and Java completing HTTPS requests through `awsproxy serve`'s
//! intercepting proxy with nothing but the variables `awsproxy env` prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::context::{Output, TestContext};
use crate::support::daemon::Daemon;
use crate::support::tls_origin::{Origin, TestCa};

/// A program the test drives; these tests need it installed (`.ci/run` does).
fn tool(name: &str, package: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed: apt-get install {package}"))
}

fn nss_db(ctx: &TestContext) -> PathBuf {
    ctx.home().join(".pki/nssdb")
}

/// `certutil -L` of the test's NSS database.
fn nss_list(ctx: &TestContext) -> String {
    let mut db = std::ffi::OsString::from("sql:");
    db.push(nss_db(ctx));
    let out = Command::new(tool("certutil", "libnss3-tools"))
        .args(["-L".as_ref(), "-d".as_ref(), db.as_os_str()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A context with an empty NSS database, a Debian-style system store holding
/// one root, and a refresh tool that only leaves a mark.
fn trust_context(config: &str) -> (TestContext, PathBuf) {
    let ctx = TestContext::new().config(config);
    let root = ctx.root().join("trust-root");
    std::fs::create_dir_all(root.join("usr/local/share/ca-certificates")).unwrap();
    let system_root = TestCa::new();
    ctx.write(
        &root.join("etc/ssl/certs/ca-certificates.crt"),
        &std::fs::read_to_string(&system_root.pem_path).unwrap(),
    );
    std::fs::create_dir_all(nss_db(&ctx)).unwrap();
    let mut db = std::ffi::OsString::from("sql:");
    db.push(nss_db(&ctx));
    let status = Command::new(tool("certutil", "libnss3-tools"))
        .args([
            "-N".as_ref(),
            "--empty-password".as_ref(),
            "-d".as_ref(),
            db.as_os_str(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let mark = ctx.root().join("refreshed");
    let ctx = ctx.env("AWSPROXY_TRUST_UPDATE", format!("touch {}", mark.display()));
    (ctx, mark)
}

/// `store -> outcome` from `ca trust --json`.
fn outcomes(out: &Output) -> BTreeMap<String, String> {
    let reports: Vec<serde_json::Value> = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    reports
        .iter()
        .map(|r| {
            (
                r["store"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn all(outcome: &str) -> BTreeMap<String, String> {
    ["bundle", "java", "nss", "system"]
        .into_iter()
        .map(|s| (s.to_owned(), outcome.to_owned()))
        .collect()
}

/// `doctor`'s `ca:*` findings by check name.
fn doctor_stores(ctx: &TestContext) -> BTreeMap<String, serde_json::Value> {
    let findings: Vec<serde_json::Value> =
        serde_json::from_str(&ctx.run(&["doctor", "--json"]).stdout).unwrap();
    findings
        .into_iter()
        .filter(|f| f["check"].as_str().unwrap().starts_with("ca:"))
        .map(|f| (f["check"].as_str().unwrap().to_owned(), f))
        .collect()
}

const PROXY_CONFIG: &str = "[proxy]\nlisten = \"127.0.0.1:0\"\n";

#[test]
fn trust_is_idempotent_dry_run_changes_nothing_and_undo_removes_it_all() {
    let (ctx, mark) = trust_context(PROXY_CONFIG);
    let data = ctx.data_home().join("awsproxy");
    let anchor = ctx
        .root()
        .join("trust-root/usr/local/share/ca-certificates/awsproxy.crt");

    let dry = ctx.run(&["ca", "trust", "--dry-run", "--json"]);
    assert_eq!(outcomes(dry.assert_code(0)), all("would-trust"));
    assert!(!data.join("ca-bundle.pem").exists() && !anchor.exists() && !mark.exists());
    assert!(!nss_list(&ctx).contains("awsproxy"));
    assert!(!data.exists(), "a dry run does not even create the CA");

    ctx.run(&["ca", "export"]).assert_code(0);
    let before = doctor_stores(&ctx);
    assert_eq!(before["ca:nss"]["outcome"], "warn", "{before:#?}");
    assert!(
        before["ca:bundle"]["hint"]
            .as_str()
            .unwrap()
            .contains("awsproxy ca trust")
    );

    let trusted = ctx.run(&["ca", "trust", "--json"]);
    assert_eq!(
        outcomes(trusted.assert_code(0)),
        all("trusted"),
        "{}",
        trusted.stderr
    );
    let ca = std::fs::read_to_string(data.join("ca.pem")).unwrap();
    let bundle = std::fs::read_to_string(data.join("ca-bundle.pem")).unwrap();
    let system_roots = std::fs::read_to_string(
        ctx.root()
            .join("trust-root/etc/ssl/certs/ca-certificates.crt"),
    )
    .unwrap();
    assert!(
        bundle.starts_with(&system_roots) && bundle.ends_with(&ca),
        "{bundle}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("ca-bundle.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }
    assert_eq!(std::fs::read_to_string(&anchor).unwrap(), ca);
    assert!(mark.exists(), "the refresh tool ran");
    assert!(nss_list(&ctx).contains("awsproxy"), "{}", nss_list(&ctx));
    let keytool = Command::new(tool("keytool", "default-jdk-headless"))
        .args([
            "-list",
            "-alias",
            "awsproxy",
            "-storepass",
            "changeit",
            "-keystore",
        ])
        .arg(data.join("java-truststore.p12"))
        .output()
        .unwrap();
    assert!(keytool.status.success(), "{keytool:?}");

    let again = ctx.run(&["ca", "trust", "--json"]);
    assert_eq!(outcomes(again.assert_code(0)), all("already"));
    let human = ctx.run(&["ca", "trust"]);
    assert_eq!(
        human.stdout.matches("already trusted").count(),
        4,
        "{}",
        human.stdout
    );

    let after = doctor_stores(&ctx);
    assert_eq!(after.len(), 4, "{after:#?}");
    for finding in after.values() {
        assert_eq!(finding["outcome"], "pass", "{finding}");
        assert!(
            finding["summary"]
                .as_str()
                .unwrap()
                .contains("trusts the CA"),
            "{finding}"
        );
    }

    std::fs::remove_file(&mark).unwrap();
    let dry_undo = ctx.run(&["ca", "trust", "--undo", "--dry-run", "--json"]);
    assert_eq!(outcomes(dry_undo.assert_code(0)), all("would-remove"));
    assert!(anchor.exists() && nss_list(&ctx).contains("awsproxy"));

    let undone = ctx.run(&["ca", "trust", "--undo", "--json"]);
    assert_eq!(outcomes(undone.assert_code(0)), all("removed"));
    assert!(!nss_list(&ctx).contains("awsproxy"), "{}", nss_list(&ctx));
    for gone in [
        data.join("ca-bundle.pem"),
        data.join("java-truststore.p12"),
        anchor,
    ] {
        assert!(!gone.exists(), "{} is removed", gone.display());
    }
    assert!(mark.exists(), "the refresh tool ran after the removal");
    let names: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(names.len(), 2, "only the CA itself is left: {names:?}");
    let twice = ctx.run(&["ca", "trust", "--undo", "--json"]);
    assert_eq!(outcomes(twice.assert_code(0)), all("not-present"));
}

#[test]
fn stores_that_cannot_be_used_are_skipped_with_the_reason() {
    // No NSS database, no system store layout, no JDK on PATH.
    let ctx = TestContext::new()
        .config(PROXY_CONFIG)
        .env("PATH", "/nonexistent");
    let out = ctx.run(&["ca", "trust"]);
    out.assert_code(0);
    assert!(out.stdout.contains("bundle  trusted"), "{}", out.stdout);
    for why in [
        "certutil is not installed",
        "no JDK found",
        "no known system trust store",
    ] {
        assert!(out.stdout.contains(why), "{why}: {}", out.stdout);
    }
}

/// The variables `awsproxy env --json` prints for this context.
fn env_json(ctx: &TestContext, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut cmd = ctx.command();
    cmd.args(["env", "--json"]);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A client run with only PATH and the given variables (none of the machine's
/// CA variables), which must print the origin's answer.
fn client(program: &Path, args: &[&str], vars: &BTreeMap<String, String>, dir: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .envs(vars)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} failed\n--- stdout\n{}\n--- stderr\n{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const FETCH_JAVA: &str = r#"
import java.net.*;
import java.io.*;

public class Fetch {
    public static void main(String[] args) throws Exception {
        Proxy proxy = new Proxy(Proxy.Type.HTTP, new InetSocketAddress(args[0], Integer.parseInt(args[1])));
        HttpURLConnection c = (HttpURLConnection) new URL(args[2]).openConnection(proxy);
        try (InputStream in = c.getInputStream()) {
            System.out.print(new String(in.readAllBytes(), "UTF-8"));
        }
    }
}
"#;

/// Speaks CONNECT itself: Node's `https` does not read HTTPS_PROXY.
const FETCH_NODE: &str = r#"
const http = require('http'), tls = require('tls');
const proxy = new URL(process.env.HTTPS_PROXY), target = new URL(process.argv[2]);
http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: target.host })
  .on('connect', (res, socket) => {
    if (res.statusCode !== 200) { console.error('CONNECT', res.statusCode); process.exit(1); }
    const s = tls.connect({ socket, host: target.hostname }, () => {
      s.write(`GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`);
    });
    let body = '';
    s.on('data', d => body += d).on('end', () => process.stdout.write(body.split('\r\n\r\n')[1]));
    s.on('error', e => { console.error(e.message); process.exit(1); });
  }).end();
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_python_node_and_java_trust_the_proxy_with_what_awsproxy_env_prints() {
    let origin_ca = TestCa::new();
    let origin = Origin::https(&origin_ca).await;
    let config = format!(
        "[proxy]\nlisten = \"127.0.0.1:0\"\nupstream_ca = [{:?}]\nallow_destinations = [\"127.0.0.1:{}\"]\n",
        origin_ca.pem_path.display().to_string(),
        origin.port()
    );
    let (ctx, _) = trust_context(&config);
    ctx.run(&["ca", "trust"]).assert_code(0);
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let proxy = daemon.url_of("forward proxy");
    let listen = proxy.trim_start_matches("http://").trim_end_matches('/');

    let mut vars = env_json(&ctx, &[("AWSPROXY_PROXY_LISTEN", listen)]);
    assert_eq!(vars["HTTPS_PROXY"], format!("http://{listen}"));
    // The origin is on loopback, which NO_PROXY rightly exempts; a real origin is not.
    vars.remove("NO_PROXY");
    vars.remove("no_proxy");
    let work = ctx.root().join("clients");
    std::fs::create_dir_all(&work).unwrap();
    let url = |client: &str| format!("https://127.0.0.1:{}/{client}", origin.port());
    let expect = |client: &str| format!("hello from origin: /{client}");

    let curl = client(
        &tool("curl", "curl"),
        &["-sS", "--fail", &url("curl")],
        &vars,
        &work,
    );
    assert_eq!(curl, expect("curl"));

    // pyenv's shim needs the real HOME: run the interpreter itself.
    let python = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    let python = PathBuf::from(String::from_utf8(python.stdout).unwrap().trim());
    let script = "import ssl, sys, urllib.request\n\
                  ctx = ssl.create_default_context()\n\
                  print(urllib.request.urlopen(sys.argv[1], context=ctx).read().decode(), end='')";
    let py = client(&python, &["-c", script, &url("python")], &vars, &work);
    assert_eq!(py, expect("python"));

    std::fs::write(work.join("fetch.js"), FETCH_NODE).unwrap();
    let node = client(
        &tool("node", "nodejs"),
        &["fetch.js", &url("node")],
        &vars,
        &work,
    );
    assert_eq!(node, expect("node"));

    std::fs::write(work.join("Fetch.java"), FETCH_JAVA).unwrap();
    let (host, port) = listen.rsplit_once(':').unwrap();
    let java = client(
        &tool("java", "default-jdk-headless"),
        &["Fetch.java", host, port, &url("java")],
        &vars,
        &work,
    );
    assert_eq!(java, expect("java"));

    // Every one went through the proxy, which adds X-Forwarded-For.
    let seen = origin.seen();
    for name in ["curl", "python", "node", "java"] {
        let request = seen
            .iter()
            .find(|s| s.uri.path() == format!("/{name}"))
            .unwrap_or_else(|| panic!("{name} reached the origin: {seen:#?}"));
        assert!(
            request.headers.contains_key("x-forwarded-for"),
            "{name}: {request:?}"
        );
    }
    drop(daemon);
}
