//! Attacks on the repository listener's mounts, as requests against the real
//! `awsproxy serve` with PyPI and Maven mounts over the CodeArtifact, PyPI and
//! S3 fakes. Every request is written byte for byte ([`Stack::send`]), so no
//! client library adds or normalises anything the attacker wouldn't.
//!
//! | file | attacker | what must hold |
//! |---|---|---|
//! | `uploads.rs` | a web page in the user's browser | no cross-site publish (PyPI `POST`, Maven `PUT`); publishing needs the mount's opt-in and an `Authorization` header |
//! | `maven_paths.rs` | a client | `%2f` and `%5c` are refused, not decoded into separators |
//! | `seeds.rs` | a web page in the user's browser | junk no-config seed URLs cost one AWS call each and never push out a working seed |
//! | `files.rs` | a client | `+f/` serves only file links of a page awsproxy rewrote, never other upstream paths |
//! | `redirects.rs` | a malicious origin | a download redirected to plain http is refused; the token goes only to the same scheme, host and port |

mod files;
mod maven_paths;
mod redirects;
mod seeds;
mod uploads;

use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::fakes::{FakeAws, FakeS3};
use crate::support::pypi_upstream::PypiUpstream;

pub(super) const OWNER: &str = "123456789012";
pub(super) const BUCKET: &str = "artifacts";

/// `awsproxy serve` with the fakes behind it.
pub(super) struct Stack {
    /// The daemon asks it for tokens and endpoints; tests read its records.
    pub aws: FakeAws,
    pub pypi: PypiUpstream,
    pub s3: FakeS3,
    /// `127.0.0.1:PORT` of the repository listener.
    pub addr: String,
    _ctx: TestContext,
    _daemon: Daemon,
}

/// Mounts every stack has: PyPI `open` (uploads on) and `closed` (the default),
/// Maven `open` (deploys on) and `closed`, all over the same fakes.
fn mounts(s3: &FakeS3) -> String {
    let pypi = |name: &str, extra: &str| {
        format!(
            "[[repos.pypi]]\nname = \"{name}\"\ndomain = \"fake-domain\"\ndomain_owner = \"{OWNER}\"\n\
             region = \"us-east-1\"\nrepository = \"repo\"\n{extra}"
        )
    };
    let maven = |name: &str, extra: &str| {
        format!(
            "[[repos.maven]]\nname = \"{name}\"\nbucket = \"{BUCKET}\"\nprefix = \"maven2\"\n\
             region = \"us-east-1\"\nendpoint = \"{}\"\nforce_path_style = true\n{extra}",
            s3.endpoint()
        )
    };
    [
        pypi("open", "allow_upload = true\n"),
        pypi("closed", ""),
        maven("open", "allow_deploy = true\n"),
        maven("closed", ""),
    ]
    .concat()
}

impl Stack {
    pub async fn start() -> Self {
        Self::start_with("").await
    }

    /// With `extra` appended to the config (more sections or mounts).
    pub async fn start_with(extra: &str) -> Self {
        let aws = FakeAws::start().await;
        let pypi = PypiUpstream::start(aws.shared());
        aws.state().codeartifact.repository_endpoint =
            format!("{}/{{format}}/{{repository}}/", pypi.url());
        let s3 = FakeS3::start().await;
        s3.create_bucket(BUCKET);
        let config = format!("[repos]\nlisten = \"127.0.0.1:0\"\n{}{extra}", mounts(&s3));
        let ctx = TestContext::new()
            .config(&config)
            .env("AWS_ENDPOINT_URL_CODEARTIFACT", aws.endpoint())
            .fake_aws_keys()
            .env("AWS_REGION", "us-east-1");
        let mut cmd = ctx.command();
        cmd.arg("serve");
        let mut daemon = Daemon::spawn(cmd);
        let url = daemon.url_of("repository listener");
        Self {
            aws,
            pypi,
            s3,
            addr: url.trim_start_matches("http://").to_owned(),
            _ctx: ctx,
            _daemon: daemon,
        }
    }

    /// Sends one request exactly as written (plus `Host`, `Content-Length` and
    /// `Connection: close`) and reads the whole answer.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Got {
        send(&self.addr, method, path, headers, body).await
    }

    pub async fn get(&self, path: &str) -> Got {
        self.send("GET", path, &[], b"").await
    }
}

/// A response: status, lowercase header block, body.
#[derive(Debug)]
pub(super) struct Got {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Got {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first value of a header (name in lowercase), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_owned())
        })
    }
}

pub(super) async fn send(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Got {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let (status, head, body) = crate::support::raw::read_response(s).await;
    Got { status, head, body }
}
