//! What the cache keeps: release files only after their sidecar checksum
//! matches, and metadata revalidated against S3 on every request.

use sha2::Digest as _;

use super::{BUCKET, gets_of, key, mount, serve};
use crate::support::fakes::FakeS3;

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test]
async fn release_files_are_checked_against_their_sidecars_before_caching() {
    let s3 = FakeS3::start().await;
    let srv = serve(&s3, mount(&s3)).await;
    let body = b"the real jar".to_vec();

    // A wrong .sha256: the client's body fails and nothing is cached (the next
    // request reads S3 again).
    let bad = "com/example/bad/1.0/bad-1.0.jar";
    s3.put(BUCKET, &key(bad), &body);
    s3.put(BUCKET, &key(&format!("{bad}.sha256")), "0".repeat(64));
    let r = srv.get(&format!("/maven/corp/{bad}")).await;
    assert!(
        r.body.is_err(),
        "a body failing its checksum was delivered whole"
    );
    let again = srv.get(&format!("/maven/corp/{bad}")).await;
    assert!(again.body.is_err());
    assert!(srv.cache.store().list().await.unwrap().is_empty());
    assert_eq!(
        gets_of(&s3, "bad-1.0.jar").len(),
        2,
        "the bad body was cached"
    );

    // A right .sha256: served and cached.
    let good = "com/example/good/1.0/good-1.0.jar";
    s3.put(BUCKET, &key(good), &body);
    s3.put(
        BUCKET,
        &key(&format!("{good}.sha256")),
        format!("{}  good-1.0.jar\n", sha256_hex(&body)),
    );
    for _ in 0..2 {
        let r = srv.get(&format!("/maven/corp/{good}")).await;
        assert_eq!(r.body.unwrap().as_ref(), &body[..]);
        srv.wait_stored(1).await;
    }
    assert_eq!(gets_of(&s3, "good-1.0.jar").len(), 1);
    assert_eq!(gets_of(&s3, "good-1.0.jar.sha256").len(), 1);

    // Only a .sha1 (older repositories): checked too.
    let old = "com/example/old/1.0/old-1.0.jar";
    s3.put(BUCKET, &key(old), &body);
    s3.put(
        BUCKET,
        &key(&format!("{old}.sha1")),
        hex::encode(sha1::Sha1::digest(&body)),
    );
    assert_eq!(
        srv.get(&format!("/maven/corp/{old}"))
            .await
            .body
            .unwrap()
            .as_ref(),
        &body[..]
    );
    let old_bad = "com/example/old/2.0/old-2.0.jar";
    s3.put(BUCKET, &key(old_bad), &body);
    s3.put(BUCKET, &key(&format!("{old_bad}.sha1")), "1".repeat(40));
    assert!(
        srv.get(&format!("/maven/corp/{old_bad}"))
            .await
            .body
            .is_err()
    );

    // The sidecar itself is served as text.
    let side = srv.get(&format!("/maven/corp/{good}.sha256")).await;
    assert_eq!(side.status, 200);
    assert_eq!(side.header("content-type"), "text/plain; charset=utf-8");
}

#[tokio::test]
async fn snapshot_metadata_is_revalidated_with_a_conditional_get() {
    let s3 = FakeS3::start().await;
    let srv = serve(&s3, mount(&s3)).await;
    let meta = "com/example/lib/1.1-SNAPSHOT/maven-metadata.xml";
    s3.put(BUCKET, &key(meta), "<metadata>v1</metadata>");
    let url = format!("/maven/corp/{meta}");

    let first = srv.get(&url).await;
    assert_eq!(first.text(), "<metadata>v1</metadata>");
    assert!(
        first.header("cache-status").contains("stored"),
        "{:?}",
        first.headers
    );
    srv.wait_stored(1).await;
    // Unchanged: S3 answers the conditional GET with 304 and the stored copy is served.
    let r = srv.get(&url).await;
    assert_eq!(r.text(), "<metadata>v1</metadata>");
    let gets = gets_of(&s3, "maven-metadata.xml");
    assert_eq!(gets.len(), 2);
    assert!(gets[1].if_none_match.is_some(), "{gets:?}");
    assert_eq!(gets[1].status, 304);

    // Changed in S3: the next GET sees the new content at once.
    s3.put(BUCKET, &key(meta), "<metadata>v2</metadata>");
    assert_eq!(srv.get(&url).await.text(), "<metadata>v2</metadata>");
    let gets = gets_of(&s3, "maven-metadata.xml");
    assert_eq!(gets.len(), 3);
    assert!(gets[2].if_none_match.is_some());
    assert_eq!(gets[2].status, 200);
    assert!(
        srv.get(&url)
            .await
            .header("cache-control")
            .contains("no-cache")
    );
}
