//! The credentials endpoint on the ECS addresses, in network namespaces the
//! tests make: awsproxy adds an address the "host" namespace lacks to its `lo`
//! and removes it at shutdown (never one that was there before), a "container"
//! namespace behind a veth pair reaches it through its default route, and
//! without CAP_NET_ADMIN or CAP_NET_BIND_SERVICE the errors say what to run.
//!
//! Each namespace lives in a user namespace of its own (`unshare --user
//! --map-root-user --net`), so the tests need no root and touch nothing of the
//! machine's network; a namespace disappears with the `sleep` that holds it.

use std::process::{Child, Command, Output, Stdio};

use crate::support::TestContext;
use crate::support::daemon::Daemon;

const CLIENTS: &str = "[[creds.client]]\nname = \"app\"\ntoken = \"tok-app-1234\"\naccess_key_id = \"AKIDCONTAINERAPP\"\nsecret_access_key = \"app-secret\"\n\
[[creds.client]]\nname = \"other\"\ntoken = \"tok-other-5678\"\naccess_key_id = \"AKIDCONTAINEROTHER\"\nsecret_access_key = \"other-secret\"\n";

/// A network namespace held open by a `sleep`, with `lo` up.
struct Netns {
    holder: Child,
}

impl Netns {
    /// A namespace in a new user namespace.
    fn new() -> Self {
        let mut cmd = Command::new("unshare");
        cmd.args(["--user", "--map-root-user", "--net", "sleep", "600"]);
        Self::hold(cmd)
    }

    /// Another namespace in `self`'s user namespace (so one veth pair can join them).
    fn sibling(&self) -> Self {
        let mut cmd = self.enter_user();
        cmd.args(["unshare", "--net", "sleep", "600"]);
        Self::hold(cmd)
    }

    fn hold(mut cmd: Command) -> Self {
        let holder = cmd.stdin(Stdio::null()).spawn().expect("spawn unshare");
        let this = Self { holder };
        // `unshare` execs `sleep` once the namespaces exist.
        let comm = format!("/proc/{}/comm", this.pid());
        for _ in 0..200 {
            if std::fs::read_to_string(&comm).is_ok_and(|c| c.trim() == "sleep") {
                this.sh("ip link set lo up");
                return this;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("unshare did not start");
    }

    fn pid(&self) -> u32 {
        self.holder.id()
    }

    fn enter_user(&self) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.args([
            "--preserve-credentials",
            "-U",
            "-t",
            &self.pid().to_string(),
        ]);
        cmd
    }

    /// `program` run inside the namespace.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.args([
            "--preserve-credentials",
            "-U",
            "-n",
            "-t",
            &self.pid().to_string(),
            program,
        ]);
        cmd
    }

    /// `base` (a test's awsproxy command, with its environment) run inside the
    /// namespace after `prefix` (e.g. `setpriv ...`).
    fn wrap(&self, base: &Command, prefix: &[&str]) -> Command {
        let (first, rest) = match prefix.split_first() {
            Some((first, rest)) => (*first, rest),
            None => (base.get_program().to_str().expect("utf-8 path"), &[][..]),
        };
        let mut cmd = self.command(first);
        cmd.env_clear();
        for (k, v) in base.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        cmd.args(rest);
        if !prefix.is_empty() {
            cmd.arg(base.get_program());
        }
        cmd.args(base.get_args());
        cmd
    }

    #[track_caller]
    fn sh(&self, script: &str) -> String {
        let out = self
            .command("sh")
            .args(["-c", script])
            .output()
            .expect("nsenter");
        assert!(out.status.success(), "{script}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn lo(&self) -> String {
        self.sh("ip -br addr show dev lo")
    }

    /// `(status, body)` of a GET with `curl` from inside the namespace.
    fn get(&self, url: &str, token: &str) -> (u16, String) {
        let out = self
            .command("curl")
            .args(["-sS", "--max-time", "10", "-w", "\n%{http_code}", "-H"])
            .arg(format!("Authorization: {token}"))
            .arg(url)
            .output()
            .expect("curl");
        assert!(out.status.success(), "curl {url}: {}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = stdout.rsplit_once('\n').expect("status line");
        (status.parse().expect("status"), body.to_owned())
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn context(listen: &str) -> TestContext {
    TestContext::new().config(&format!("[creds]\nlisten = \"{listen}\"\n{CLIENTS}"))
}

#[test]
fn an_ecs_address_the_host_lacks_is_added_to_lo_reached_from_a_container_and_removed_at_shutdown() {
    let host = Netns::new();
    let container = host.sibling();
    // The container's only way out is a veth pair whose far end is the host,
    // and its default route, as on a Docker bridge.
    host.sh(&format!(
        "ip link add veth-h type veth peer name veth-c netns {pid} && ip addr add 10.77.0.1/30 dev veth-h && ip link set veth-h up",
        pid = container.pid()
    ));
    container.sh("ip addr add 10.77.0.2/30 dev veth-c && ip link set veth-c up && ip route add default via 10.77.0.1");
    assert!(!host.lo().contains("169.254.170.2"), "{}", host.lo());

    let ctx = context("169.254.170.2:80");
    let mut d = Daemon::spawn(host.wrap(ctx.command().args(["creds", "serve"]), &[]));
    d.wait_for("endpoint at http://169.254.170.2:80/v1/credentials");
    assert!(host.lo().contains("169.254.170.2/32"), "{}", host.lo());
    assert!(
        d.log().contains("added the address to lo"),
        "said so: {}",
        d.log()
    );

    let url = "http://169.254.170.2/v1/credentials";
    let (status, body) = container.get(url, "tok-app-1234");
    assert_eq!(status, 200, "{body}\n{}", d.log());
    assert!(body.contains("AKIDCONTAINERAPP"), "{body}");
    assert!(!body.contains("AKIDCONTAINEROTHER"), "{body}");
    let (status, body) = container.get(url, "tok-other-5678");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("AKIDCONTAINEROTHER") && !body.contains("AKIDCONTAINERAPP"),
        "another client's token gets only that client's keys: {body}"
    );
    let (status, body) = container.get(url, "tok-app-123");
    assert_eq!(status, 403, "{body}");
    assert!(!body.contains("AKID"), "{body}");

    d.signal("TERM");
    assert_eq!(d.wait_exit(), 0, "{}", d.log());
    assert!(!host.lo().contains("169.254.170.2"), "{}", host.lo());
}

#[test]
fn serve_adds_and_removes_the_ipv6_address_too() {
    let host = Netns::new();
    let ctx = context("[fd00:ec2::23]:80");
    let mut d = Daemon::spawn(host.wrap(ctx.command().arg("serve"), &[]));
    d.wait_for("http://[fd00:ec2::23]:80/");
    assert!(host.lo().contains("fd00:ec2::23/128"), "{}", host.lo());
    let (status, body) = host.get("http://[fd00:ec2::23]/v1/credentials", "tok-app-1234");
    assert_eq!(status, 200, "{body}");
    d.signal("TERM");
    assert_eq!(d.wait_exit(), 0, "{}", d.log());
    assert!(!host.lo().contains("fd00:ec2::23"), "{}", host.lo());
}

#[test]
fn a_reload_that_moves_the_endpoint_to_another_port_keeps_the_address() {
    let host = Netns::new();
    let ctx = context("169.254.170.2:80");
    let mut d = Daemon::spawn(host.wrap(ctx.command().arg("serve"), &[]));
    d.wait_for("http://169.254.170.2:80/");
    // The new listener binds the address the old one added; the old one
    // closing must not take the address from it.
    ctx.write(
        &ctx.config_path(),
        &format!("[creds]\nlisten = \"169.254.170.2:1338\"\n{CLIENTS}"),
    );
    d.signal("HUP");
    d.wait_for("configuration reloaded");
    assert!(host.lo().contains("169.254.170.2/32"), "{}", host.lo());
    let (status, body) = host.get("http://169.254.170.2:1338/v1/credentials", "tok-app-1234");
    assert_eq!(status, 200, "{body}\n{}", d.log());
    d.signal("TERM");
    assert_eq!(d.wait_exit(), 0, "{}", d.log());
    assert!(!host.lo().contains("169.254.170.2"), "{}", host.lo());
}

#[test]
fn an_address_that_was_already_there_is_left_in_place() {
    let host = Netns::new();
    host.sh("ip addr add 169.254.170.23/32 dev lo");
    let ctx = context("169.254.170.23:80");
    let mut d = Daemon::spawn(host.wrap(ctx.command().args(["creds", "serve"]), &[]));
    d.wait_for("endpoint at http://169.254.170.23:80/");
    let (status, _) = host.get("http://169.254.170.23/v1/credentials", "tok-app-1234");
    assert_eq!(status, 200);
    d.signal("TERM");
    assert_eq!(d.wait_exit(), 0, "{}", d.log());
    assert!(
        host.lo().contains("169.254.170.23/32"),
        "not ours to remove: {}",
        host.lo()
    );
    assert!(!d.log().contains("added the address"), "{}", d.log());
}

#[test]
fn without_cap_net_admin_the_error_prints_the_command_and_why() {
    let host = Netns::new();
    let ctx = context("169.254.170.2:1338");
    let out = host
        .wrap(
            ctx.command().args(["creds", "serve"]),
            &["setpriv", "--bounding-set", "-net_admin"],
        )
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    for needle in [
        "cannot listen on 169.254.170.2:1338 (`[creds] listen`): this host does not have the address 169.254.170.2",
        "CAP_NET_ADMIN",
        "hint: add it once yourself: `sudo ip addr add 169.254.170.2/32 dev lo`",
        "setcap cap_net_bind_service,cap_net_admin+ep",
    ] {
        assert!(stderr.contains(needle), "{needle:?} in:\n{stderr}");
    }
    assert!(
        !stderr.contains("Cannot assign requested address (os error 99)\nhint"),
        "not a bare EADDRNOTAVAIL: {stderr}"
    );
    assert!(!host.lo().contains("169.254.170.2"), "{}", host.lo());
}

#[test]
fn without_cap_net_bind_service_port_80_says_how_to_allow_it_and_the_address_goes_again() {
    let host = Netns::new();
    let ctx = context("169.254.170.2:80");
    let out = host
        .wrap(
            ctx.command().args(["creds", "serve"]),
            &["setpriv", "--bounding-set", "-net_bind_service"],
        )
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    for needle in [
        "cannot listen on 169.254.170.2:80",
        "Permission denied",
        "CAP_NET_BIND_SERVICE",
        "sudo setcap cap_net_bind_service",
        "sudo sysctl net.ipv4.ip_unprivileged_port_start=80",
        "a port above 1023",
    ] {
        assert!(stderr.contains(needle), "{needle:?} in:\n{stderr}");
    }
    // It was added for the listener, which never came up: removed again.
    assert!(!host.lo().contains("169.254.170.2"), "{}", host.lo());
}

#[test]
fn container_env_prints_the_ecs_url_and_warns_about_loopback() {
    let ctx = context("169.254.170.2:80");
    let out = ctx.run(&["creds", "container-env", "app"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        "-e AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.2/v1/credentials -e AWS_CONTAINER_AUTHORIZATION_TOKEN=tok-app-1234\n"
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    let token = ctx.write(&ctx.root().join("app.token"), "tok-file");
    let ctx = TestContext::new().config(&format!(
        "[creds]\nlisten = \"127.0.0.1:1338\"\n[[creds.client]]\nname = \"app\"\ntoken_file = \"{}\"\naccess_key_id = \"AKIDX\"\nsecret_access_key = \"s\"\n",
        token.display()
    ));
    let out = ctx.run(&["creds", "container-env", "app", "--json"]);
    out.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        json["environment"]["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"],
        "/run/awsproxy/token"
    );
    assert_eq!(
        json["volumes"][0],
        format!("{}:/run/awsproxy/token:ro", token.display())
    );
    assert!(
        out.stderr.contains("loopback")
            && out
                .stderr
                .contains("hint: set `[creds] listen = \"169.254.170.2:80\"`"),
        "{}",
        out.stderr
    );

    let out = ctx.run(&["creds", "container-env", "nope"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("configured clients: app"),
        "{}",
        out.stderr
    );
}

#[test]
fn doctor_says_whether_containers_can_reach_the_endpoint() {
    let host = Netns::new();
    let ctx = context("169.254.170.2:80");
    let finding = |prefix: &[&str]| {
        let out = host
            .wrap(ctx.command().args(["doctor", "--json"]), prefix)
            .output()
            .expect("doctor");
        let all: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
        all.as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == "creds:containers")
            .cloned()
            .unwrap_or_else(|| panic!("no creds:containers in {all}"))
    };
    let may_add = finding(&[]);
    assert_eq!(may_add["outcome"], "pass", "{may_add}");
    assert!(
        may_add["summary"]
            .as_str()
            .unwrap()
            .contains("adds it to lo"),
        "{may_add}"
    );

    let may_not = finding(&["setpriv", "--bounding-set", "-net_admin"]);
    assert_eq!(may_not["outcome"], "warn", "{may_not}");
    assert!(
        may_not["hint"]
            .as_str()
            .unwrap()
            .contains("sudo ip addr add 169.254.170.2/32 dev lo"),
        "{may_not}"
    );

    host.sh("ip addr add 169.254.170.2/32 dev lo");
    let present = finding(&["setpriv", "--bounding-set", "-net_admin"]);
    assert_eq!(present["outcome"], "pass", "{present}");
    assert!(
        present["summary"]
            .as_str()
            .unwrap()
            .contains("containers on a Docker bridge reach http://169.254.170.2/v1/credentials"),
        "{present}"
    );
}

/// `curl` over https to the endpoint at `addr` as `name`, trusting `ca`.
fn curl_https(ca: &std::path::Path, name: &str, addr: std::net::SocketAddr, token: &str) -> Output {
    Command::new("curl")
        .env_remove("CURL_CA_BUNDLE")
        .env_remove("SSL_CERT_FILE")
        .args([
            "-sS",
            "--max-time",
            "10",
            "-w",
            "\n%{http_code}",
            "--cacert",
        ])
        .arg(ca)
        .arg("--resolve")
        .arg(format!("{name}:{}:127.0.0.1", addr.port()))
        .arg("-H")
        .arg(format!("Authorization: {token}"))
        .arg(format!("https://{name}:{}/v1/credentials", addr.port()))
        .output()
        .expect("curl")
}

#[test]
fn tls_ca_names_serve_the_endpoint_over_https_with_a_certificate_from_the_ca() {
    let ctx = TestContext::new().config(&format!(
        "[creds]\ntls_ca_names = [\"host.docker.internal\"]\n{CLIENTS}"
    ));
    let d = super::harness::Daemon::start(&ctx);
    let ca = ctx.write(
        &ctx.root().join("ca.pem"),
        &ctx.run(&["ca", "export"]).stdout,
    );

    let ok = curl_https(&ca, "host.docker.internal", d.addr, "tok-app-1234");
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{}\n{}", text(&ok), d.log());
    assert!(
        stdout.ends_with("\n200") && stdout.contains("AKIDCONTAINERAPP"),
        "{stdout}"
    );
    let wrong = curl_https(&ca, "host.docker.internal", d.addr, "tok-app-123");
    let stdout = String::from_utf8_lossy(&wrong.stdout);
    assert!(
        stdout.ends_with("\n403") && !stdout.contains("AKID"),
        "{stdout}"
    );
    // The listener speaks TLS only: a plain-http request gets nothing.
    let plain = std::panic::catch_unwind(|| d.get("/v1/credentials", Some("tok-app-1234")));
    assert!(
        plain.map_or(true, |r| !r.body.contains("AKID")),
        "plain http answered on a TLS listener"
    );
    // `env --creds` and `container-env` give the https URL.
    let env = ctx.run(&[
        "creds",
        "container-env",
        "app",
        "--listen",
        &d.addr.to_string(),
        "--format",
        "env",
    ]);
    env.assert_code(0);
    assert!(
        env.stdout.contains(&format!(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI=https://host.docker.internal:{}/v1/credentials",
            d.addr.port()
        )),
        "{}",
        env.stdout
    );
    assert!(
        env.stdout
            .contains("NODE_EXTRA_CA_CERTS=/run/awsproxy/ca.pem"),
        "{}",
        env.stdout
    );
    // No certificate for another name: a client that checks it refuses.
    let other = curl_https(&ca, "evil.example", d.addr, "tok-app-1234");
    assert!(!other.status.success(), "{}", text(&other));
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("evil.example"),
        "{}",
        text(&other)
    );
    assert!(!String::from_utf8_lossy(&other.stdout).contains("AKID"));

    // Without `tls_ca_names` the endpoint speaks no TLS at all.
    let plain = TestContext::new().config(&format!("[creds]\n{CLIENTS}"));
    let d = super::harness::Daemon::start(&plain);
    let refused = curl_https(&ca, "host.docker.internal", d.addr, "tok-app-1234");
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(!String::from_utf8_lossy(&refused.stdout).contains("AKID"));
}
