//! Attacks by a proxy client on the forward proxy, against `awsproxy serve`:
//!
//! | file | attack |
//! |---|---|
//! | `host.rs` | a `Host` that differs from the request target, to poison the cache for another client |
//! | `destinations.rs` | loopback, link-local and awsproxy's own listeners as destinations |
//!
//! Every exchange is raw HTTP/1.1 over a blocking socket, so the test controls
//! exactly which request line, `Host` and `CONNECT` target the proxy sees.

mod destinations;
mod host;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::fakes::ServerThread;

/// How long any read from the proxy may take before the test fails.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `awsproxy serve`; dropping it stops the process.
struct Served {
    _ctx: TestContext,
    daemon: Daemon,
    /// `host:port` of the forward proxy.
    proxy: String,
}

/// `serve` with a forward proxy on 127.0.0.1:0; `proxy_keys` are extra lines of
/// its `[proxy]` section, `rest` any further sections.
fn serve(proxy_keys: &str, rest: &str) -> Served {
    let ctx = TestContext::new().config(&format!(
        "[proxy]\nlisten = \"127.0.0.1:0\"\n{proxy_keys}\n{rest}"
    ));
    let mut cmd = ctx.command();
    cmd.arg("serve");
    started(ctx, cmd)
}

/// [`serve`], with `/etc/hosts` replaced by `hosts` for the daemon alone (a
/// private user and mount namespace; the network is the test's own), so a
/// name of the test's choosing resolves to the address it says.
fn serve_with_hosts(hosts: &str, proxy_keys: &str, rest: &str) -> Served {
    let ctx = TestContext::new().config(&format!(
        "[proxy]\nlisten = \"127.0.0.1:0\"\n{proxy_keys}\n{rest}"
    ));
    let hosts_file = ctx.write(&ctx.root().join("hosts"), hosts);
    let cmd = crate::support::daemon::in_private_mounts(
        &ctx.command(),
        "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
        &hosts_file,
        &["serve"],
    );
    started(ctx, cmd)
}

fn started(ctx: TestContext, cmd: std::process::Command) -> Served {
    let mut daemon = Daemon::spawn(cmd);
    let proxy = daemon
        .url_of("forward proxy")
        .trim_start_matches("http://")
        .to_owned();
    Served {
        _ctx: ctx,
        daemon,
        proxy,
    }
}

/// One response read off a raw connection.
#[derive(Debug)]
struct Raw {
    status: u16,
    /// The header block, names lowercased.
    head: String,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

fn connect(proxy: &str) -> TcpStream {
    let stream = TcpStream::connect(proxy).expect("connect to the proxy");
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream
}

/// Reads the response head (up to the blank line) byte by byte, so nothing of
/// what follows it (a tunnel's bytes) is consumed.
fn read_head(stream: &mut TcpStream) -> (u16, String) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert!(head.len() < 64 * 1024, "response head too long");
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!("connection ended inside a response head: {other:?}"),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head)
}

/// Reads one response whose connection closes after it (`connection: close`).
fn read_response(stream: &mut TcpStream) -> Raw {
    let (status, head) = read_head(stream);
    let mut body = Vec::new();
    let _ = stream.read_to_end(&mut body);
    Raw {
        status,
        head,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// Sends `request_line` and `headers` (each `name: value`) through the proxy
/// and reads the response.
fn send(proxy: &str, request_line: &str, headers: &[&str]) -> Raw {
    let mut stream = connect(proxy);
    write_request(&mut stream, request_line, headers);
    read_response(&mut stream)
}

fn write_request(stream: &mut TcpStream, request_line: &str, headers: &[&str]) {
    let mut text = format!("{request_line} HTTP/1.1\r\n");
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("connection: close\r\n\r\n");
    stream.write_all(text.as_bytes()).unwrap();
}

/// Opens `CONNECT target` through the proxy; `Ok` is the open tunnel, `Err`
/// the proxy's refusal.
fn tunnel(proxy: &str, target: &str) -> Result<TcpStream, Raw> {
    let mut stream = connect(proxy);
    write!(
        stream,
        "CONNECT {target} HTTP/1.1\r\nhost: {target}\r\n\r\n"
    )
    .unwrap();
    let (status, head) = read_head(&mut stream);
    if status == 200 {
        return Ok(stream);
    }
    let mut rest = Raw {
        status,
        head,
        body: String::new(),
    };
    if let Some(len) = rest.header("content-length").and_then(|l| l.parse().ok()) {
        let mut body = vec![0u8; len];
        stream.read_exact(&mut body).unwrap();
        rest.body = String::from_utf8_lossy(&body).into_owned();
    }
    Err(rest)
}

/// A plain-HTTP origin on 127.0.0.1 serving two virtual hosts: every answer is
/// `site NAME` for the `Host` it was asked for (`127.0.0.1` or `localhost`),
/// cacheable for ten minutes. It records every `Host` it sees.
struct VhostOrigin {
    server: ServerThread,
    hosts: Arc<Mutex<Vec<String>>>,
}

impl VhostOrigin {
    fn start() -> Self {
        let hosts: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = hosts.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let seen = seen.clone();
            async move {
                let host = req
                    .headers()
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                seen.lock().unwrap().push(host.clone());
                let name = host.rsplit_once(':').map_or(host.as_str(), |(n, _)| n);
                axum::response::Response::builder()
                    .header("cache-control", "max-age=600")
                    .body(axum::body::Body::from(format!("site {name}")))
                    .unwrap()
            }
        });
        let server = ServerThread::spawn("vhost-origin", move |listener| async move {
            let _ = axum::serve(listener, app).await;
        })
        .expect("start the origin");
        Self { server, hosts }
    }

    fn port(&self) -> u16 {
        self.server.addr().port()
    }

    fn hosts(&self) -> Vec<String> {
        self.hosts.lock().unwrap().clone()
    }
}
