//! Harness for the `creds` tests: a spawned `awsproxy creds serve` and a minimal
//! HTTP/1.1 client that sends what the SDKs' ECS providers send.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::support::TestContext;

/// A running `awsproxy creds serve` (the shared [`support::daemon::Daemon`]) and
/// the address it announced.
pub struct Daemon {
    pub inner: crate::support::daemon::Daemon,
    pub addr: SocketAddr,
}

impl Daemon {
    pub fn start(ctx: &TestContext) -> Self {
        Self::start_with(ctx.command())
    }

    pub fn start_with(mut cmd: Command) -> Self {
        cmd.args(["creds", "serve", "--listen", "127.0.0.1:0"]);
        let mut inner = crate::support::daemon::Daemon::spawn(cmd);
        // `http://` or, with TLS, `https://`.
        let line = inner.wait_for("endpoint at http");
        let rest = line.split("://").nth(1).expect("address");
        let addr = rest
            .trim_end_matches("/v1/credentials")
            .parse()
            .expect("socket address");
        Self { inner, addr }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Response {
        http_get(self.addr, path, token)
    }

    pub fn creds(&self, token: &str) -> serde_json::Value {
        let r = self.get("/v1/credentials", Some(token));
        assert_eq!(r.status, 200, "{r:?}\n--- daemon stderr\n{}", self.log());
        r.json()
    }

    pub fn log(&self) -> String {
        self.inner.log()
    }

    pub fn signal(&self, sig: &str) {
        self.inner.signal(sig);
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// One HTTP/1.1 GET on a fresh connection, as the SDKs' ECS providers send it.
pub fn http_get(addr: SocketAddr, path: &str, token: Option<&str>) -> Response {
    http_get_host(addr, &addr.to_string(), path, token)
}

/// [`http_get`] with another `Host` header.
pub fn http_get_host(addr: SocketAddr, host: &str, path: &str, token: Option<&str>) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: {t}\r\n"));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete response");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Response { status, body }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

/// Seconds from now until an RFC 3339 `Expiration`.
pub fn seconds_left(expiration: &serde_json::Value) -> i64 {
    let s = expiration.as_str().expect("Expiration is a string");
    assert!(s.ends_with('Z'), "Expiration {s} is not UTC");
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("Expiration {s}: {e}"));
    let now = time::OffsetDateTime::from(SystemTime::now());
    (t - now).whole_seconds()
}

impl Daemon {
    pub fn creds_at(&self, path: &str, token: &str) -> serde_json::Value {
        let r = self.get(path, Some(token));
        assert_eq!(r.status, 200, "{r:?}\n--- daemon stderr\n{}", self.log());
        r.json()
    }
}

/// Polls `check` (at most ~10 s) until it holds.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting until {what}");
}
