//! Two real `awsproxy serve` replicas sharing one S3 store (`FakeS3`), each
//! with a local disk tier (`[cache] local_size`): a fill on one is a hit on
//! the other; concurrent misses on both make one upload; `kill -9` of one
//! during a fill leaves no object and the other keeps serving; with S3
//! failing, both serve their local hits and pass misses through.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::faults_serve::{
    CONFIG, body_of, entries_in, eventually, files_in, proxy_get, send_get, sha,
};
use crate::support::TestContext;
use crate::support::daemon::Daemon;
use crate::support::fakes::FakeS3;
use crate::support::origin::{Mode, Origin, Reply};

const BUCKET: &str = "team-cache";

/// One replica: its own local tier directory, the shared bucket. The memory
/// tier is off so every hit shows which store tier served it.
struct Replica {
    daemon: Daemon,
    proxy: String,
    local: PathBuf,
    _ctx: TestContext,
}

fn replica(s3: &FakeS3, extra: &str) -> Replica {
    replica_on(s3, extra, None)
}

/// A replica whose local tier is `local` (a restart), or a new directory.
fn replica_on(s3: &FakeS3, extra: &str, local: Option<&Path>) -> Replica {
    let ctx = TestContext::new();
    let local = local.map_or_else(|| ctx.root().join("local-tier"), Path::to_owned);
    let config = format!(
        "{CONFIG}[cache]\nstore = \"s3\"\nmemory_size = \"0\"\nlocal_size = \"64MiB\"\n\
         local_dir = \"{}\"\n{extra}[cache.s3]\nbucket = \"{BUCKET}\"\nprefix = \"awsproxy/\"\n\
         region = \"us-east-1\"\nendpoint = \"{}\"\nforce_path_style = true\n",
        local.display(),
        s3.endpoint()
    );
    let ctx = ctx.config(&config).fake_aws_keys();
    let mut cmd = ctx.command();
    cmd.arg("serve");
    let mut daemon = Daemon::spawn(cmd);
    let proxy = daemon.url_of("forward proxy");
    Replica {
        daemon,
        proxy,
        local,
        _ctx: ctx,
    }
}

fn objects(s3: &FakeS3) -> Vec<PathBuf> {
    files_in(&s3.root().join(BUCKET).join("awsproxy"))
}

fn start() -> (tokio::runtime::Runtime, FakeS3, Origin) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s3 = rt.block_on(FakeS3::start());
    s3.create_bucket(BUCKET);
    (rt, s3, Origin::start())
}

#[test]
fn a_fill_on_one_replica_is_a_hit_on_the_other_then_from_its_local_disk() {
    let (_rt, s3, origin) = start();
    let body = body_of(1, 300 * 1024);
    origin.set(
        "/shared.tar",
        Reply::ok(body.clone()).header("cache-control", "max-age=600"),
    );
    let a = replica(&s3, "");
    let b = replica(&s3, "");
    let url = origin.url("/shared.tar");

    let r = proxy_get(&a.proxy, &url);
    assert!(r.complete() && sha(&r.body) == sha(&body), "{}", r.head);
    assert!(r.cache_status().contains("stored"), "{}", r.head);
    assert!(eventually(|| objects(&s3).len() == 1), "uploaded");
    assert!(
        eventually(|| entries_in(&a.local).len() == 1),
        "and kept on A's disk"
    );

    // B has never seen it: a hit from S3, copied to B's disk.
    let r = proxy_get(&b.proxy, &url);
    assert!(r.complete() && sha(&r.body) == sha(&body), "{}", r.head);
    assert!(r.cache_status().starts_with("awsproxy; hit"), "{}", r.head);
    assert!(eventually(|| entries_in(&b.local).len() == 1));
    // Then B's hits come from its disk: no S3 read (within `local_recheck`).
    s3.clear_requests();
    for _ in 0..3 {
        let r = proxy_get(&b.proxy, &url);
        assert!(r.cache_status().starts_with("awsproxy; hit"), "{}", r.head);
        assert!(r.complete() && sha(&r.body) == sha(&body));
        let r = proxy_get(&a.proxy, &url);
        assert!(r.cache_status().starts_with("awsproxy; hit"), "{}", r.head);
    }
    assert_eq!(s3.request_count(), 0, "{:?}", s3.requests());
    assert_eq!(origin.count("/shared.tar"), 1, "one upstream fetch in all");
}

#[test]
fn concurrent_misses_on_two_replicas_make_one_upload() {
    let (_rt, s3, origin) = start();
    let body = body_of(2, 200 * 1024);
    origin.set(
        "/race.tar",
        Reply::ok(body.clone())
            .header("cache-control", "max-age=600")
            .delay(Duration::from_millis(400)),
    );
    let a = replica(&s3, "");
    let b = replica(&s3, "");
    let url = origin.url("/race.tar");
    let (pa, pb) = (a.proxy.clone(), b.proxy.clone());
    let (ua, ub) = (url.clone(), url.clone());
    let ta = std::thread::spawn(move || proxy_get(&pa, &ua));
    let tb = std::thread::spawn(move || proxy_get(&pb, &ub));
    for r in [ta.join().unwrap(), tb.join().unwrap()] {
        assert!(r.complete() && sha(&r.body) == sha(&body), "{}", r.head);
    }
    assert_eq!(origin.count("/race.tar"), 2, "both missed");
    // Both tried to create the object; one won, the other got 412.
    assert!(eventually(|| s3.object_writes().len() == 2));
    let mut statuses: Vec<u16> = s3.object_writes().iter().map(|w| w.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412], "{:?}", s3.object_writes());
    assert_eq!(objects(&s3).len(), 1);
    // Only the winner keeps a local copy; the other serves the winner's
    // object from S3 (and then copies it).
    let copies = entries_in(&a.local).len() + entries_in(&b.local).len();
    assert_eq!(copies, 1);
    for proxy in [&a.proxy, &b.proxy] {
        let r = proxy_get(proxy, &url);
        assert!(r.cache_status().starts_with("awsproxy; hit"), "{}", r.head);
        assert!(r.complete() && sha(&r.body) == sha(&body));
    }
    assert_eq!(origin.count("/race.tar"), 2);
    assert!(
        !a.daemon.log().contains("cannot commit") && !b.daemon.log().contains("cannot commit"),
        "losing the race is not an error:\n{}\n{}",
        a.daemon.log(),
        b.daemon.log()
    );
}

#[test]
fn kill_9_of_a_replica_mid_fill_leaves_no_object_and_the_other_keeps_serving() {
    let (_rt, s3, origin) = start();
    origin.set(
        "/slow.tar",
        Reply::ok(body_of(3, 400 * 1024))
            .header("cache-control", "max-age=600")
            .mode(Mode::Stall),
    );
    let fine = body_of(4, 100 * 1024);
    origin.set(
        "/fine.tar",
        Reply::ok(fine.clone()).header("cache-control", "max-age=600"),
    );
    let mut a = replica(&s3, "");
    let b = replica(&s3, "");
    // A is mid-fill: the client has the first half of the body.
    let mut conn = send_get(&a.proxy, &origin.url("/slow.tar"));
    let mut got = vec![0u8; 64 * 1024];
    conn.read_exact(&mut got).unwrap();
    assert!(
        !files_in(&a.local.join("tmp")).is_empty(),
        "a fill in progress"
    );
    a.daemon.signal("KILL");
    a.daemon.wait_exit();
    // Nothing reached S3: the upload starts only once a body is complete.
    assert!(s3.object_writes().is_empty(), "{:?}", s3.requests());
    assert_eq!(s3.count("POST"), 0, "no multipart upload was started");
    assert_eq!(objects(&s3), Vec::<PathBuf>::new());
    // B is undisturbed: it fills and serves as before.
    let r = proxy_get(&b.proxy, &origin.url("/fine.tar"));
    assert!(r.complete() && sha(&r.body) == sha(&fine), "{}", r.head);
    assert!(eventually(|| objects(&s3).len() == 1));
    let r = proxy_get(&b.proxy, &origin.url("/fine.tar"));
    assert!(r.cache_status().starts_with("awsproxy; hit"), "{}", r.head);
    // A restarted on the same directory removes its dead fill's temp file.
    let a2 = replica_on(&s3, "", Some(&a.local));
    assert!(eventually(|| files_in(&a2.local.join("tmp")).is_empty()));
    let r = proxy_get(&a2.proxy, &origin.url("/fine.tar"));
    assert!(r.cache_status().starts_with("awsproxy; hit"), "{}", r.head);
}

#[test]
fn with_s3_failing_both_replicas_serve_local_hits_and_pass_misses_through() {
    let (_rt, s3, origin) = start();
    let body = body_of(5, 300 * 1024);
    origin.set(
        "/kept.tar",
        Reply::ok(body.clone()).header("cache-control", "max-age=600"),
    );
    let other = body_of(6, 50 * 1024);
    origin.set(
        "/new.tar",
        Reply::ok(other.clone()).header("cache-control", "max-age=600"),
    );
    // B checks its copy against S3 on every hit, so the check meets the outage.
    let a = replica(&s3, "");
    let b = replica(&s3, "local_recheck = \"0s\"\n");
    let url = origin.url("/kept.tar");
    proxy_get(&a.proxy, &url);
    assert!(eventually(|| objects(&s3).len() == 1));
    proxy_get(&b.proxy, &url);
    assert!(eventually(|| entries_in(&b.local).len() == 1));

    s3.fail_while(None, 503, "SlowDown");
    for round in 0..2 {
        for proxy in [&a.proxy, &b.proxy] {
            let r = proxy_get(proxy, &url);
            assert!(
                r.cache_status().starts_with("awsproxy; hit"),
                "round {round}: {}",
                r.head
            );
            assert!(r.complete() && sha(&r.body) == sha(&body));
            // A miss goes upstream and is not stored.
            let r = proxy_get(proxy, &origin.url("/new.tar"));
            assert!(r.complete() && sha(&r.body) == sha(&other), "{}", r.head);
        }
    }
    assert_eq!(origin.count("/kept.tar"), 1);
    assert_eq!(origin.count("/new.tar"), 4, "never stored");
    assert_eq!(objects(&s3).len(), 1);
    assert!(
        b.daemon.log().contains("S3 is failing; the cache skips it"),
        "{}",
        b.daemon.log()
    );
}

#[test]
fn with_an_hmac_key_a_forged_object_never_reaches_either_replica_local_copy_or_not() {
    use base64::Engine as _;
    let (rt, s3, origin) = start();
    let body = body_of(7, 200 * 1024);
    origin.set(
        "/signed.tar",
        Reply::ok(body.clone()).header("cache-control", "max-age=600"),
    );
    let keyed = "hmac_key = \"team key of at least thirty-two bytes!\"\nlocal_recheck = \"1s\"\n";
    let a = replica(&s3, keyed);
    let b = replica(&s3, keyed);
    let url = origin.url("/signed.tar");
    proxy_get(&a.proxy, &url);
    assert!(eventually(|| objects(&s3).len() == 1));
    let r = proxy_get(&b.proxy, &url);
    assert!(r.cache_status().starts_with("awsproxy; hit"), "{}", r.head);
    assert!(eventually(|| entries_in(&b.local).len() == 1));

    // A writer of the bucket without the key swaps the body and rewrites the
    // metadata's SHA-256 to match (the tag cannot be rewritten).
    let object = objects(&s3)[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let key = format!("awsproxy/{object}");
    let client = s3.client();
    let forged = body_of(8, 200 * 1024);
    rt.block_on(async {
        let head = client
            .head_object()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .unwrap();
        let value = head.metadata().unwrap()["awsproxy-meta"].clone();
        let json = base64::engine::general_purpose::STANDARD
            .decode(value)
            .unwrap();
        let mut meta: serde_json::Value = serde_json::from_slice(&json).unwrap();
        meta["sha256"] = sha(&forged).into();
        let value =
            base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&meta).unwrap());
        client
            .put_object()
            .bucket(BUCKET)
            .key(&key)
            .metadata("awsproxy-meta", value)
            .body(forged.clone().into())
            .send()
            .await
            .unwrap();
    });
    // Once their copies are rechecked, both replicas see another object,
    // refuse it, and fetch the genuine body again; nobody gets the forgery
    // (without the key, both would serve it: checked by hand).
    std::thread::sleep(Duration::from_millis(1200));
    for proxy in [&a.proxy, &b.proxy] {
        let r = proxy_get(proxy, &url);
        assert!(r.complete() && sha(&r.body) == sha(&body), "{}", r.head);
    }
    assert!(origin.count("/signed.tar") >= 2, "refetched");
    assert!(
        a.daemon.log().contains("does not match its signature")
            || b.daemon.log().contains("does not match its signature"),
        "{}\n{}",
        a.daemon.log(),
        b.daemon.log()
    );
    // Normal use goes on: the refetched entry is stored and served again.
    assert!(eventually(|| {
        proxy_get(&b.proxy, &url)
            .cache_status()
            .starts_with("awsproxy; hit")
    }));
}
