//! Faults under a real `awsproxy serve` (forward proxy): a full disk (the
//! cache directory on a 2 MiB tmpfs in a private mount namespace), `kill -9`
//! during 20 concurrent fills then a restart on the same directory, bodies cut
//! short upstream, and a throttled S3 store (`[cache] store = "s3"` against
//! `FakeS3`). Each checks that no partial entry is ever served or presented as
//! complete, that the failure is named in the log, and that the process (or
//! its successor) keeps serving.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::origin::{Mode, Origin, Reply};

/// The origins are on 127.0.0.1, which proxy clients may reach only when allowed.
pub(super) const CONFIG: &str = "[metrics]\nlisten = \"127.0.0.1:0\"\n[proxy]\nlisten = \"127.0.0.1:0\"\nallow_destinations = [\"127.0.0.1\"]\n";

/// One response read off a raw connection.
#[derive(Debug)]
pub(super) struct Raw {
    pub status: u16,
    /// Lowercased header block.
    pub head: String,
    pub body: Vec<u8>,
    /// The connection failed (reset) before the response ended.
    pub failed: bool,
}

impl Raw {
    /// The body is as long as the `Content-Length` said (or, chunked, has its
    /// last chunk).
    pub fn complete(&self) -> bool {
        if self.head.contains("transfer-encoding: chunked") {
            return !self.failed && self.body.ends_with(b"\r\n0\r\n\r\n");
        }
        !self.failed
            && self
                .head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .is_some_and(|n| n == self.body.len())
    }

    pub fn cache_status(&self) -> &str {
        self.head
            .lines()
            .find_map(|l| l.strip_prefix("cache-status:"))
            .map_or("", str::trim)
    }
}

/// Sends `GET url` to the forward proxy at `proxy` (`http://host:port`).
pub(super) fn send_get(proxy: &str, url: &str) -> std::net::TcpStream {
    send_get_with(proxy, url, &[])
}

/// [`send_get`] with more request headers.
fn send_get_with(proxy: &str, url: &str, headers: &[(&str, &str)]) -> std::net::TcpStream {
    let addr = proxy.trim_start_matches("http://");
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        s,
        "GET {url} HTTP/1.1\r\nhost: {host}\r\n{extra}connection: close\r\n\r\n"
    )
    .unwrap();
    s
}

/// Reads what is left of a response (until close or a reset).
fn read_raw(mut s: std::net::TcpStream) -> Raw {
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let failed = loop {
        match s.read(&mut buf) {
            Ok(0) => break false,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(_) => break true,
        }
    };
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Raw {
            status: 0,
            head: String::new(),
            body: Vec::new(),
            failed: true,
        };
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Raw {
        status,
        head,
        body: raw[split + 4..].to_vec(),
        failed,
    }
}

pub(super) fn proxy_get(proxy: &str, url: &str) -> Raw {
    read_raw(send_get(proxy, url))
}

pub(super) fn proxy_get_with(proxy: &str, url: &str, headers: &[(&str, &str)]) -> Raw {
    read_raw(send_get_with(proxy, url, headers))
}

pub(super) fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A body unique to `seed` (so a mix-up between entries shows).
pub(super) fn body_of(seed: u32, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seed * 7919) as u8)
        .collect()
}

pub(super) fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Committed entry files under `DIR/v1`.
pub(super) fn entries_in(root: &Path) -> Vec<PathBuf> {
    files_in(&root.join("v1"))
        .iter()
        .flat_map(|shard| files_in(shard))
        .collect()
}

/// Polls `cond` for up to 10 s (the service opens its store after printing
/// its startup line).
pub(super) fn eventually(cond: impl Fn() -> bool) -> bool {
    for _ in 0..500 {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// `awsproxy serve` with its cache directory on a 2 MiB tmpfs mounted in a
/// private user and mount namespace (works as root and unprivileged). The
/// daemon's pid is awsproxy's (`unshare` and `sh` exec into it), so the test
/// sees the tmpfs through `/proc/PID/root`.
fn serve_on_small_tmpfs(ctx: &TestContext) -> (Daemon, PathBuf) {
    let dir = ctx.root().join("tmpfs-cache");
    std::fs::create_dir_all(&dir).unwrap();
    let cmd = crate::support::daemon::in_private_mounts(
        &ctx.command(),
        "mount -t tmpfs -o size=2m awsproxy-test \"$0\" && exec \"$@\" serve --cache-dir \"$0\"",
        &dir,
        &[],
    );
    let daemon = Daemon::spawn(cmd);
    // The cache as the daemon sees it (its tmpfs, in its mount namespace).
    let seen =
        PathBuf::from(format!("/proc/{}/root", daemon.pid())).join(dir.strip_prefix("/").unwrap());
    assert!(
        eventually(|| seen.join("tmp").is_dir()),
        "the store is on the tmpfs"
    );
    (daemon, seen)
}

#[test]
fn a_full_disk_serves_the_whole_body_stores_nothing_and_says_why() {
    let origin = Origin::start();
    let big = body_of(1, 3 << 20);
    origin.set(
        "/big.tar",
        Reply::ok(big.clone()).header("cache-control", "max-age=600"),
    );
    let small = body_of(2, 100 * 1024);
    origin.set(
        "/small.tar",
        Reply::ok(small.clone()).header("cache-control", "max-age=600"),
    );
    let ctx = TestContext::new().config(CONFIG);
    let (mut daemon, seen) = serve_on_small_tmpfs(&ctx);
    let proxy = daemon.url_of("forward proxy");

    // 3 MiB does not fit in 2 MiB: the client still gets every byte, complete.
    let r = proxy_get(&proxy, &origin.url("/big.tar"));
    assert_eq!(r.status, 200, "{}", r.head);
    assert!(r.complete(), "{} bytes; {}", r.body.len(), r.head);
    assert_eq!(sha(&r.body), sha(&big));
    let line = daemon.wait_for("cannot write to the cache");
    assert!(
        line.contains("No space left on device")
            && line.contains("hint: the disk the cache writes to is full"),
        "the log names the full disk and what to do: {line}"
    );
    // Nothing partial is left or stored: the next request is a miss again.
    assert!(
        eventually(|| files_in(&seen.join("tmp")).is_empty()),
        "temp files left: {:?}",
        files_in(&seen.join("tmp"))
    );
    assert_eq!(entries_in(&seen), Vec::<PathBuf>::new());
    let r = proxy_get(&proxy, &origin.url("/big.tar"));
    assert!(r.complete() && sha(&r.body) == sha(&big), "{}", r.head);
    assert!(r.cache_status().contains("uri-miss"), "{}", r.head);
    assert_eq!(origin.count("/big.tar"), 2);

    // What fits is still cached and served.
    let r = proxy_get(&proxy, &origin.url("/small.tar"));
    assert!(r.complete() && r.body == small, "{}", r.head);
    let r = proxy_get(&proxy, &origin.url("/small.tar"));
    assert!(r.cache_status().starts_with("awsproxy; hit"), "{}", r.head);
    assert_eq!(r.body, small);
    assert_eq!(origin.count("/small.tar"), 1);
    assert_eq!(entries_in(&seen).len(), 1);
    assert_eq!(daemon.try_exit(), None, "serve is still running");
}

#[test]
fn kill_9_during_20_fills_then_a_restart_serves_only_whole_entries() {
    const DONE: u32 = 5;
    const FILLING: u32 = 20;
    const LEN: usize = 256 * 1024;
    let origin = Origin::start();
    let path = |i: u32| format!("/obj/{i}.bin");
    let ctx = TestContext::new().config(CONFIG);
    let dir = ctx.root().join("cache");
    let serve = || {
        let mut cmd = ctx.command();
        cmd.arg("serve").arg("--cache-dir").arg(&dir);
        Daemon::spawn(cmd)
    };
    let mut daemon = serve();
    let proxy = daemon.url_of("forward proxy");

    // A few entries complete before the crash...
    for i in 0..DONE {
        origin.set(
            &path(i),
            Reply::ok(body_of(i, LEN)).header("cache-control", "max-age=600"),
        );
        let r = proxy_get(&proxy, &origin.url(&path(i)));
        assert!(r.complete(), "{}", r.head);
    }
    // ...and 20 in the middle of their fills: half the body sent, then the origin stalls.
    for i in DONE..DONE + FILLING {
        origin.set(
            &path(i),
            Reply::ok(body_of(i, LEN))
                .header("cache-control", "max-age=600")
                .mode(Mode::Stall),
        );
    }
    let clients: Vec<_> = (DONE..DONE + FILLING)
        .map(|i| {
            let s = send_get(&proxy, &origin.url(&path(i)));
            std::thread::spawn(move || read_raw(s))
        })
        .collect();
    let tmp = dir.join("tmp");
    let written = || {
        files_in(&tmp)
            .iter()
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 16))
            .count()
    };
    assert!(
        eventually(|| written() == FILLING as usize),
        "all 20 fills are under way: {}",
        written()
    );
    // With 20 fills stalled, the process still serves hits and other misses.
    let r = proxy_get(&proxy, &origin.url(&path(0)));
    assert!(
        r.cache_status().starts_with("awsproxy; hit") && r.complete(),
        "{}",
        r.head
    );
    origin.set("/other", Reply::ok("other"));
    let r = proxy_get(&proxy, &origin.url("/other"));
    assert!(r.complete() && r.body == b"other", "{}", r.head);
    // (Its client has every byte a moment before the entry is renamed into place.)
    assert!(eventually(|| entries_in(&dir).len() == DONE as usize + 1));
    daemon.signal("KILL");
    daemon.wait_exit();
    for c in clients {
        let r = c.join().unwrap();
        assert!(!r.complete(), "a stalled fill looked complete: {}", r.head);
    }
    assert_eq!(
        files_in(&tmp).len(),
        FILLING as usize,
        "the crash left its temp files"
    );

    // The origin recovers; a new serve on the same directory.
    for i in DONE..DONE + FILLING {
        origin.set(
            &path(i),
            Reply::ok(body_of(i, LEN)).header("cache-control", "max-age=600"),
        );
    }
    let mut daemon = serve();
    let proxy = daemon.url_of("forward proxy");
    assert!(
        eventually(|| files_in(&tmp).is_empty()),
        "startup removes the dead fills: {:?}",
        files_in(&tmp)
    );
    assert_eq!(entries_in(&dir).len(), DONE as usize + 1, "and `/other`");
    for round in 0..2 {
        for i in 0..DONE + FILLING {
            let r = proxy_get(&proxy, &origin.url(&path(i)));
            assert!(r.complete(), "{i}: {}", r.head);
            assert_eq!(sha(&r.body), sha(&body_of(i, LEN)), "{i}");
            let cs = r.cache_status();
            if i < DONE || round == 1 {
                assert!(cs.starts_with("awsproxy; hit"), "{i}: {cs}");
            } else {
                assert!(
                    cs.contains("uri-miss"),
                    "a crashed fill is a miss: {i}: {cs}"
                );
            }
        }
    }
    for i in 0..DONE + FILLING {
        assert_eq!(origin.count(&path(i)), if i < DONE { 1 } else { 2 }, "{i}");
    }
    assert_eq!(files_in(&tmp), Vec::<PathBuf>::new());
    assert_eq!(entries_in(&dir).len(), (DONE + FILLING) as usize + 1);
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), 0);
}

#[test]
fn a_disk_filled_by_entries_evicts_the_least_recently_used_to_store_again() {
    const LEN: usize = 500 * 1024;
    let origin = Origin::start();
    let path = |c: char| format!("/{c}.bin");
    for (i, c) in ['a', 'b', 'c', 'd'].into_iter().enumerate() {
        let len = if c == 'd' { 700 * 1024 } else { LEN };
        origin.set(
            &path(c),
            Reply::ok(body_of(i as u32, len)).header("cache-control", "max-age=600"),
        );
    }
    let want = |c: char| {
        let i = ['a', 'b', 'c', 'd'].iter().position(|x| *x == c).unwrap();
        sha(&body_of(i as u32, if c == 'd' { 700 * 1024 } else { LEN }))
    };
    let ctx = TestContext::new().config(CONFIG);
    // `max_size` (10 GiB by default) is far above the 2 MiB the disk has.
    let (mut daemon, seen) = serve_on_small_tmpfs(&ctx);
    let proxy = daemon.url_of("forward proxy");
    let get = |c: char| {
        let r = proxy_get(&proxy, &origin.url(&path(c)));
        assert!(r.complete(), "{c}: {}", r.head);
        assert_eq!(sha(&r.body), want(c), "{c}");
        r.cache_status().to_owned()
    };
    for c in ['a', 'b', 'c'] {
        assert!(get(c).contains("stored"));
    }
    // `a` is the least recently used. `d` does not fit in what is left.
    assert!(get('b').starts_with("awsproxy; hit"));
    assert!(get('c').starts_with("awsproxy; hit"));
    get('d');
    daemon.wait_for("No space left on device");
    assert_eq!(entries_in(&seen).len(), 2, "`a` made room");
    // The next fill of `d` fits and is kept; `b` and `c` are still hits.
    get('d');
    assert!(get('d').starts_with("awsproxy; hit"));
    assert!(get('b').starts_with("awsproxy; hit"));
    assert!(get('c').starts_with("awsproxy; hit"));
    assert!(get('a').contains("uri-miss"), "`a` was evicted");
    assert_eq!(origin.count("/d.bin"), 2);
    assert_eq!(files_in(&seen.join("tmp")), Vec::<PathBuf>::new());
}

#[test]
fn a_throttled_s3_store_under_serve_passes_through_then_is_skipped() {
    use crate::support::fakes::FakeS3;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s3 = rt.block_on(FakeS3::start());
    s3.create_bucket("team-cache");
    let origin = Origin::start();
    let body = body_of(9, 200 * 1024);
    origin.set(
        "/x.tar",
        Reply::ok(body.clone()).header("cache-control", "max-age=600"),
    );
    let config = format!(
        "{CONFIG}[cache]\nstore = \"s3\"\n[cache.s3]\nbucket = \"team-cache\"\nprefix = \"awsproxy/\"\n\
         region = \"us-east-1\"\nendpoint = \"{}\"\nforce_path_style = true\n",
        s3.endpoint()
    );
    let ctx = TestContext::new().config(&config).fake_aws_keys();
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let proxy = daemon.url_of("forward proxy");
    let objects = || files_in(&s3.root().join("team-cache/awsproxy"));

    // Uploads throttled: the client gets the origin's bytes, nothing is stored,
    // the log says why, and the SDK's default retries stop after 3 attempts.
    s3.fail_while(Some("PUT"), 503, "SlowDown");
    let r = proxy_get(&proxy, &origin.url("/x.tar"));
    assert!(r.complete() && sha(&r.body) == sha(&body), "{}", r.head);
    let line = daemon.wait_for("cannot commit a cache entry");
    assert!(
        line.contains("SlowDown") && line.contains("s3://team-cache/awsproxy/"),
        "{line}"
    );
    assert_eq!(s3.count("PUT"), 3);
    assert_eq!(objects(), Vec::<PathBuf>::new());

    assert!(
        daemon.log().contains("S3 is failing; the cache skips it"),
        "{}",
        daemon.log()
    );
    // For the cooldown (30 s) S3 is left alone; clients are served from the origin.
    s3.clear_requests();
    let r = proxy_get(&proxy, &origin.url("/x.tar"));
    assert!(r.complete() && sha(&r.body) == sha(&body), "{}", r.head);
    assert!(
        r.cache_status().contains("detail=store-error"),
        "{}",
        r.head
    );
    assert_eq!(s3.request_count(), 0, "{:?}", s3.requests());
    assert_eq!(origin.count("/x.tar"), 2);
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), 0);
}

#[test]
fn bodies_cut_short_upstream_never_look_complete_to_the_client() {
    let origin = Origin::start();
    origin.set(
        "/reset.bin",
        Reply::ok(body_of(1, 200_000))
            .header("cache-control", "max-age=600")
            .mode(Mode::CloseMidBody),
    );
    origin.set(
        "/ok.bin",
        Reply::ok("fine").header("cache-control", "max-age=600"),
    );
    let raw = super::faults::RawOrigin::start();
    let mut chunk = format!("{:x}\r\n", 40_000).into_bytes();
    chunk.extend_from_slice(&body_of(2, 40_000));
    chunk.extend_from_slice(b"\r\n");
    raw.set(
        "/chunked",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked",
        &chunk,
    );
    raw.set(
        "/short",
        "HTTP/1.1 200 OK\r\ncontent-length: 100000",
        &body_of(3, 40_000),
    );
    let ctx = TestContext::new().config(CONFIG);
    let dir = ctx.root().join("cache");
    let mut cmd = ctx.command();
    cmd.arg("serve").arg("--cache-dir").arg(&dir);
    let mut daemon = Daemon::spawn(cmd);
    let proxy = daemon.url_of("forward proxy");

    let urls = [
        origin.url("/reset.bin"),
        raw.url("/chunked"),
        raw.url("/short"),
    ];
    for round in 0..2 {
        for url in &urls {
            let r = proxy_get(&proxy, url);
            assert_eq!(r.status, 200, "{url}");
            assert!(
                !r.complete(),
                "{url} round {round} looked complete: {}",
                r.head
            );
        }
    }
    assert_eq!(origin.count("/reset.bin"), 2, "never served from the cache");
    assert_eq!((raw.count("/chunked"), raw.count("/short")), (2, 2));
    let r = proxy_get(&proxy, &origin.url("/ok.bin"));
    assert!(r.complete() && r.body == b"fine", "{}", r.head);
    assert!(
        eventually(|| entries_in(&dir).len() == 1),
        "only /ok.bin is stored"
    );
    assert_eq!(files_in(&dir.join("tmp")), Vec::<PathBuf>::new());
}
