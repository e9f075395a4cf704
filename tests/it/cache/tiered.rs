//! The tiered store (`[cache] local_size`: a local disk tier in front of the
//! S3 store) and conditional writes, at the store level against `FakeS3`:
//! two stores on one bucket stand in for two replicas.

use std::time::Duration;

use awsproxy::cache::store::disk::DiskStore;
use awsproxy::cache::store::s3::S3Store;
use awsproxy::cache::store::tiered::TieredStore;
use awsproxy::cache::store::{EntryMeta, META_VERSION, Store};
use bytes::Bytes;
use http_body_util::BodyExt;

use crate::support::fakes::FakeS3;

const BUCKET: &str = "team-cache";

/// A replica's store: its own local directory, the shared bucket.
fn replica(s3: &FakeS3, dir: &std::path::Path, recheck: Duration) -> TieredStore {
    let local = DiskStore::open(dir, 1 << 30).unwrap();
    let remote = S3Store::new(s3.client(), BUCKET, "awsproxy/");
    TieredStore::new(local, 1 << 30, remote, recheck)
}

fn entry(key: &str, body: &[u8]) -> EntryMeta {
    EntryMeta {
        version: META_VERSION,
        key: key.to_owned(),
        method: "GET".into(),
        url: format!("http://h/{key}"),
        status: 200,
        request_headers: Vec::new(),
        response_headers: vec![("cache-control".into(), "max-age=60".into())],
        stored_at_ms: awsproxy::cache::store::now_ms(),
        body_len: body.len() as u64,
        sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body)),
        immutable: false,
        namespace: String::new(),
        signed: None,
        hmac: None,
        s3_etag: None,
    }
}

async fn put(store: &dyn Store, key: &str, body: &[u8]) {
    let mut p = store.begin(key).await.unwrap();
    p.write(body).await.unwrap();
    p.commit(entry(key, body)).await.unwrap();
}

async fn read(store: &dyn Store, key: &str) -> Option<Bytes> {
    let found = store.get(key).await.unwrap()?;
    Some(found.body.collect().await.unwrap().to_bytes())
}

fn local_entries(dir: &std::path::Path) -> usize {
    super::faults_serve::entries_in(dir).len()
}

/// Waits (up to 5 s) for a background copy to the local tier.
async fn until(cond: impl Fn() -> bool) {
    for _ in 0..250 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out");
}

#[tokio::test]
async fn tiered_store_passes_the_store_suite() {
    let s3 = FakeS3::start().await;
    s3.create_bucket(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    super::store::store_suite(&replica(&s3, dir.path(), Duration::from_secs(30))).await;
}

#[tokio::test]
async fn hits_come_from_local_disk_and_a_replacement_elsewhere_is_seen_after_recheck() {
    let s3 = FakeS3::start().await;
    s3.create_bucket(BUCKET);
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let recheck = Duration::from_millis(400);
    let (a, b) = (
        replica(&s3, da.path(), recheck),
        replica(&s3, db.path(), recheck),
    );
    let k = "a1".repeat(32);

    // A fills: one object in S3, and a local copy on A.
    assert!(read(&a, &k).await.is_none());
    put(&a, &k, b"first body").await;
    assert_eq!(local_entries(da.path()), 1);
    // B's first read comes from S3 and is copied to B's disk.
    assert_eq!(read(&b, &k).await.unwrap(), "first body");
    until(|| local_entries(db.path()) == 1).await;

    // Within `recheck`, hits on either replica never touch S3.
    s3.clear_requests();
    for _ in 0..3 {
        assert_eq!(read(&a, &k).await.unwrap(), "first body");
        assert_eq!(read(&b, &k).await.unwrap(), "first body");
    }
    assert_eq!(s3.request_count(), 0, "{:?}", s3.requests());

    // A replaces the entry (a refetch after it went stale).
    put(&a, &k, b"second body").await;
    let writes = s3.object_writes();
    let last = writes.last().unwrap();
    assert!(
        last.if_match.is_some() && last.status == 200,
        "a replacement is `If-Match` the object it replaces: {last:?}"
    );
    // B may serve its copy until its `recheck` is up, then asks S3 once
    // (HEAD), sees another ETag, and reads the new object.
    tokio::time::sleep(recheck + Duration::from_millis(100)).await;
    s3.clear_requests();
    assert_eq!(read(&b, &k).await.unwrap(), "second body");
    assert_eq!((s3.count("HEAD"), s3.count("GET")), (1, 1));
    until(|| local_entries(db.path()) == 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    s3.clear_requests();
    assert_eq!(read(&b, &k).await.unwrap(), "second body");
    assert_eq!(s3.request_count(), 0, "the new copy is local");

    // `cache purge` on A: B stops serving its copy after `recheck`.
    assert!(a.remove(&k).await.unwrap());
    tokio::time::sleep(recheck + Duration::from_millis(100)).await;
    assert!(read(&b, &k).await.is_none());
    assert_eq!(local_entries(db.path()), 0, "B dropped its copy");
}

#[tokio::test]
async fn concurrent_fills_of_one_key_make_one_object_and_the_loser_keeps_nothing() {
    let s3 = FakeS3::start().await;
    s3.create_bucket(BUCKET);
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let recheck = Duration::from_secs(30);
    let (a, b) = (
        replica(&s3, da.path(), recheck),
        replica(&s3, db.path(), recheck),
    );
    let k = "b2".repeat(32);
    // Both miss, both fetch, both commit: one upload wins.
    assert!(read(&a, &k).await.is_none());
    assert!(read(&b, &k).await.is_none());
    let mut pa = a.begin(&k).await.unwrap();
    let mut pb = b.begin(&k).await.unwrap();
    pa.write(b"from A").await.unwrap();
    pb.write(b"from B").await.unwrap();
    let (ra, rb) = tokio::join!(
        pa.commit(entry(&k, b"from A")),
        pb.commit(entry(&k, b"from B"))
    );
    ra.unwrap();
    rb.unwrap();
    let writes = s3.object_writes();
    let mut statuses: Vec<u16> = writes.iter().map(|w| w.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412], "{writes:?}");
    assert!(
        writes
            .iter()
            .all(|w| w.if_none_match.as_deref() == Some("*"))
    );
    let winner = s3.read(BUCKET, &format!("awsproxy/{k}")).unwrap();
    // The winner keeps its local copy; the loser has none and reads the
    // winner's object (and copies it).
    assert_eq!(local_entries(da.path()) + local_entries(db.path()), 1);
    assert_eq!(read(&a, &k).await.unwrap(), winner);
    assert_eq!(read(&b, &k).await.unwrap(), winner);

    // Two replicas replacing the same object: `If-Match` it, one wins.
    let (mut pa, mut pb) = (a.begin(&k).await.unwrap(), b.begin(&k).await.unwrap());
    pa.write(b"A again").await.unwrap();
    pb.write(b"B again").await.unwrap();
    s3.clear_requests();
    let (ra, rb) = tokio::join!(
        pa.commit(entry(&k, b"A again")),
        pb.commit(entry(&k, b"B again"))
    );
    ra.unwrap();
    rb.unwrap();
    let mut statuses: Vec<u16> = s3.object_writes().iter().map(|w| w.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412], "{:?}", s3.object_writes());
}

#[tokio::test]
async fn the_plain_s3_store_writes_conditionally_too() {
    let s3 = FakeS3::start().await;
    s3.create_bucket(BUCKET);
    let a = S3Store::new(s3.client(), BUCKET, "p/");
    let b = S3Store::new(s3.client(), BUCKET, "p/");
    let k = "c3".repeat(32);
    assert!(read(&a, &k).await.is_none());
    assert!(read(&b, &k).await.is_none());
    let mut pa = a.begin(&k).await.unwrap();
    let mut pb = b.begin(&k).await.unwrap();
    pa.write(b"from A").await.unwrap();
    pb.write(b"from B").await.unwrap();
    pa.commit(entry(&k, b"from A")).await.unwrap();
    // The loser's commit is not an error: the entry is stored (by A).
    pb.commit(entry(&k, b"from B")).await.unwrap();
    assert_eq!(read(&b, &k).await.unwrap(), "from A");
    let statuses: Vec<u16> = s3.object_writes().iter().map(|w| w.status).collect();
    assert_eq!(statuses, [200, 412]);
    // A refill after a lookup replaces the object it found (`If-Match`).
    put(&b, &k, b"refetched").await;
    assert_eq!(read(&a, &k).await.unwrap(), "refetched");
    // One whose object was purged meanwhile (`cache purge` elsewhere) is
    // stored anyway: the `If-Match` fails, and no object is left to keep.
    assert!(b.remove(&k).await.unwrap());
    put(&a, &k, b"after a purge").await;
    assert_eq!(read(&b, &k).await.unwrap(), "after a purge");
    // Large bodies: `CompleteMultipartUpload` is conditional too, and a
    // lost one is aborted (no parts left behind).
    let big: Vec<u8> = (0..(6 << 20) + 5).map(|i: u32| (i % 253) as u8).collect();
    let a = a.with_part_size(5 << 20);
    let b = b.with_part_size(5 << 20);
    let k = "d4".repeat(32);
    assert!(read(&a, &k).await.is_none());
    assert!(read(&b, &k).await.is_none());
    let mut pa = a.begin(&k).await.unwrap();
    let mut pb = b.begin(&k).await.unwrap();
    pa.write(&big).await.unwrap();
    pb.write(&big).await.unwrap();
    s3.clear_requests();
    pa.commit(entry(&k, &big)).await.unwrap();
    pb.commit(entry(&k, &big)).await.unwrap();
    let completes: Vec<(u16, Option<String>)> = s3
        .object_writes()
        .iter()
        .map(|w| (w.status, w.if_none_match.clone()))
        .collect();
    assert_eq!(
        completes,
        [(200, Some("*".into())), (412, Some("*".into()))],
        "{:?}",
        s3.requests()
    );
    assert_eq!(s3.count("DELETE"), 1, "the lost upload is aborted");
    assert_eq!(read(&a, &k).await.unwrap().as_ref(), &big[..]);
}

#[tokio::test]
async fn with_s3_failing_local_hits_keep_working_and_misses_are_not_stored() {
    let s3 = FakeS3::start().await;
    s3.create_bucket(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    // Recheck on every hit: the check itself meets the outage.
    let store = replica(&s3, dir.path(), Duration::ZERO);
    let k = "e5".repeat(32);
    put(&store, &k, b"kept locally").await;
    s3.fail_while(None, 503, "SlowDown");
    assert_eq!(read(&store, &k).await.unwrap(), "kept locally");
    assert!(s3.count("HEAD") >= 1, "the check went to S3");
    // S3 is now skipped (cooldown): hits are local, no request reaches S3,
    // a miss is a miss and a fill is refused (the engine passes it through).
    s3.clear_requests();
    assert_eq!(read(&store, &k).await.unwrap(), "kept locally");
    assert!(read(&store, &"f6".repeat(32)).await.is_none());
    assert!(store.begin(&"f6".repeat(32)).await.is_err());
    assert_eq!(s3.request_count(), 0, "{:?}", s3.requests());
}

#[tokio::test]
async fn a_copy_from_s3_whose_body_does_not_match_is_not_kept_locally() {
    let s3 = FakeS3::start().await;
    s3.create_bucket(BUCKET);
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = replica(&s3, da.path(), Duration::from_secs(30));
    let b = replica(&s3, db.path(), Duration::from_secs(30));
    let k = "a7".repeat(32);
    put(&a, &k, b"genuine").await;
    // Someone with write access to the bucket swaps the body (same length).
    let object = format!("awsproxy/{k}");
    let path = s3.root().join(BUCKET).join(&object);
    std::fs::write(&path, b"forged!").unwrap();
    // (and s3s-fs's stored checksum, which the SDK would check).
    let enc =
        |s: &str| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, s);
    let side = format!(
        ".bucket-{}.object-{}.internal.json",
        enc(BUCKET),
        enc(&object)
    );
    std::fs::remove_file(s3.root().join(side)).unwrap();
    // B reads what S3 has (no hmac_key: nothing checks it), but does not
    // keep a copy whose SHA-256 is not the metadata's.
    assert_eq!(read(&b, &k).await.unwrap(), "forged!");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(local_entries(db.path()), 0);
}

#[tokio::test]
async fn with_an_hmac_key_entries_from_either_tier_are_checked() {
    use awsproxy::cache::store::signed::{HmacKey, SignedStore};
    let s3 = FakeS3::start().await;
    s3.create_bucket(BUCKET);
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let recheck = Duration::from_millis(300);
    let key = || {
        HmacKey::new(&awsproxy::secret::Secret::new(
            "team key, 32 bytes or more.....",
        ))
    };
    let a = SignedStore::new(std::sync::Arc::new(replica(&s3, da.path(), recheck)), key());
    let b = SignedStore::new(std::sync::Arc::new(replica(&s3, db.path(), recheck)), key());
    let k = "a8".repeat(32);
    put(&a, &k, b"signed body").await;
    assert_eq!(read(&b, &k).await.unwrap(), "signed body");
    until(|| local_entries(db.path()) == 1).await;

    // A writer of B's local directory swaps the body of B's copy.
    let copy = super::faults_serve::entries_in(db.path()).pop().unwrap();
    let mut file = std::fs::read(&copy).unwrap();
    let at = file.windows(11).position(|w| w == b"signed body").unwrap();
    file[at..at + 11].copy_from_slice(b"forged body");
    std::fs::write(&copy, file).unwrap();
    // Never served: a miss, and the entry is removed from both tiers.
    assert!(read(&b, &k).await.is_none());
    assert_eq!(local_entries(db.path()), 0);
    assert!(s3.read(BUCKET, &format!("awsproxy/{k}")).is_none());

    // A writer of the bucket without the key: an unsigned entry is a miss
    // on the replica that reads it from S3, and a replica's local copy of
    // the genuine one is dropped once S3 shows another object.
    put(&a, &k, b"signed again").await;
    let dc = tempfile::tempdir().unwrap();
    let unsigned = replica(&s3, dc.path(), recheck);
    assert_eq!(read(&unsigned, &k).await.unwrap(), "signed again");
    put(&unsigned, &k, b"unsigned").await;
    tokio::time::sleep(recheck + Duration::from_millis(100)).await;
    assert!(read(&a, &k).await.is_none());
    assert!(read(&b, &k).await.is_none());
}
