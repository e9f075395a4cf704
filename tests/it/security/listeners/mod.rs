//! Attacks on the listeners themselves (not on what a mount serves), as raw
//! requests against the real `awsproxy serve` with every listener on: the
//! repository listener (a PyPI and a Maven mount over the fakes), the status and
//! metrics listener, the credentials endpoint and the forward proxy. Requests
//! are written byte for byte ([`Stack::send`]), so no client library fixes up a
//! `Host` the attacker chose.
//!
//! | file | attacker | what must hold |
//! |---|---|---|
//! | `host.rs` | a web page whose name rebinds to 127.0.0.1 | only loopback, `localhost`, the listener's own address and configured names are answered; others get 421 and no private byte |
//! | `headers.rs` | a web page in the user's browser | `nosniff` everywhere, a locked-down status page, no CORS allow headers |
//! | `access.rs` | another machine, or a client without the team's token | with `[[access.token]]`s every request needs one (401/407, 403 outside its mounts), tokens never reach an upstream, a log or `/metrics`; `allow_clients` closes other networks' connections (a network namespace is the other machine) |
//! | `exposure.rs` | anyone on the network | `serve` and `creds serve` refuse non-loopback listeners unless the section allows it; `doctor` warns when one does |

mod access;
mod exposure;
mod headers;
mod host;
mod tls;

use crate::security::repos::Got;
use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::fakes::{FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FakeAws, FakeS3};
use crate::support::pypi_upstream::PypiUpstream;

pub(super) const OWNER: &str = "123456789012";
pub(super) const BUCKET: &str = "artifacts";
/// The credentials endpoint client's token.
pub(super) const TOKEN: &str = "tok-listeners-1234";

/// `awsproxy serve` with every listener, over the fakes.
pub(super) struct Stack {
    /// Kept alive: the daemon asks it for tokens and endpoints.
    _aws: FakeAws,
    pub pypi: PypiUpstream,
    pub s3: FakeS3,
    /// `127.0.0.1:PORT` of each listener.
    pub repos: String,
    pub metrics: String,
    pub creds: String,
    pub proxy: String,
    _ctx: TestContext,
    daemon: Daemon,
}

impl Stack {
    /// `section_extra` is added to each of `[repos]`, `[metrics]` and `[creds]`.
    pub async fn start(section_extra: &str) -> Self {
        Self::start_with(section_extra, "").await
    }

    /// [`Self::start`] with `tail` (more tables) at the end of the configuration.
    pub async fn start_with(section_extra: &str, tail: &str) -> Self {
        let aws = FakeAws::start().await;
        let pypi = PypiUpstream::start(aws.shared());
        aws.state().codeartifact.repository_endpoint =
            format!("{}/{{format}}/{{repository}}/", pypi.url());
        let s3 = FakeS3::start().await;
        s3.create_bucket(BUCKET);
        let config = format!(
            "[proxy]\nlisten = \"127.0.0.1:0\"\n\
             [metrics]\nlisten = \"127.0.0.1:0\"\n{section_extra}\n\
             [creds]\nlisten = \"127.0.0.1:0\"\n{section_extra}\n\
             [[creds.client]]\nname = \"app\"\ntoken = \"{TOKEN}\"\n\
             access_key_id = \"{FAKE_ACCESS_KEY_ID}\"\nsecret_access_key = \"{FAKE_SECRET_ACCESS_KEY}\"\n\
             [repos]\nlisten = \"127.0.0.1:0\"\n{section_extra}\n\
             [[repos.pypi]]\nname = \"corp\"\ndomain = \"fake-domain\"\ndomain_owner = \"{OWNER}\"\n\
             region = \"us-east-1\"\nrepository = \"repo\"\n\
             [[repos.maven]]\nname = \"corp\"\nbucket = \"{BUCKET}\"\nprefix = \"maven2\"\n\
             region = \"us-east-1\"\nendpoint = \"{}\"\nforce_path_style = true\n{tail}",
            s3.endpoint()
        );
        let ctx = TestContext::new()
            .config(&config)
            .env("AWS_ENDPOINT_URL_CODEARTIFACT", aws.endpoint())
            .fake_aws_keys()
            .env("AWS_REGION", "us-east-1");
        let mut cmd = ctx.command();
        cmd.arg("serve");
        let mut daemon = Daemon::spawn(cmd);
        let mut addr = |label: &str| {
            daemon
                .url_of(label)
                .trim_start_matches("http://")
                .to_owned()
        };
        // In start order (services.rs), so each line is found once.
        let metrics = addr("status page");
        let creds = addr("ECS credentials endpoint");
        let proxy = addr("forward proxy");
        let repos = addr("repository listener");
        Self {
            _aws: aws,
            pypi,
            s3,
            repos,
            metrics,
            creds,
            proxy,
            _ctx: ctx,
            daemon,
        }
    }

    /// What the daemon logged so far.
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}

/// The port of `127.0.0.1:PORT`.
pub(super) fn port(addr: &str) -> &str {
    addr.rsplit(':').next().unwrap()
}

/// Sends `METHOD target HTTP/1.1` to `addr` with `host` as the `Host` header
/// (none when `None`), `Connection: close` and `headers`, and reads the answer.
pub(super) async fn send(
    addr: &str,
    method: &str,
    target: &str,
    host: Option<&str>,
    headers: &[(&str, &str)],
) -> Got {
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    if let Some(host) = host {
        head.push_str(&format!("host: {host}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    send_raw(addr, &format!("{head}connection: close\r\n\r\n")).await
}

/// Writes `raw` (a whole request) to `addr` and reads the answer.
pub(super) async fn send_raw(addr: &str, raw: &str) -> Got {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    let (status, head, body) = crate::support::raw::read_response(s).await;
    Got { status, head, body }
}
