//! Ranges of stored entries: [`HttpCache::stored_range`] (what metadata
//! extraction reads), `Range` requests through the cache (`206`, `416`,
//! `If-Range`) from the store and the memory tier, and misses that store the
//! whole body while the client gets its part.

use std::sync::Arc;

use awsproxy::cache::store::disk::DiskStore;
use awsproxy::cache::store::signed::{HmacKey, SignedStore};
use awsproxy::cache::{CachePolicy, CacheSettings, HttpCache, LookupOptions, Verifier};
use bytes::Bytes;
use http_body_util::BodyExt;

use super::{disk_cache, get, opts, warm};
use crate::support::origin::{Origin, Reply};

/// A body whose every byte says where it is.
fn numbered(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn sha256(body: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body))
}

async fn stored(
    cache: &HttpCache,
    url: &str,
    o: &LookupOptions,
    range: std::ops::Range<u64>,
) -> Option<(u64, Bytes)> {
    let found = cache.stored_range(&get(url), o, range).await?;
    let body = found.body.collect().await.unwrap().to_bytes();
    Some((found.meta.body_len, body))
}

#[tokio::test]
async fn stored_range_reads_part_of_the_entry_handle_stored() {
    let origin = Origin::start();
    let body = numbered(3 << 20);
    origin.set(
        "/pkg-1.0-py3-none-any.whl",
        Reply::ok(body.clone()).header("cache-control", "max-age=600"),
    );
    let url = origin.url("/pkg-1.0-py3-none-any.whl");
    let len = body.len() as u64;
    let dir = tempfile::tempdir().unwrap();
    let cache = disk_cache(dir.path());
    let o = LookupOptions {
        verify: Some(Verifier::Sha256(sha256(&body))),
        ..opts(CachePolicy::Standard)
    };
    assert!(
        stored(&cache, &url, &o, 0..10).await.is_none(),
        "nothing stored yet"
    );
    warm(&cache, get(&url), o.clone()).await;

    let tail = Bytes::copy_from_slice(&body[body.len() - 100..]);
    assert_eq!(
        stored(&cache, &url, &o, len - 100..len).await,
        Some((len, tail))
    );
    let middle = Bytes::copy_from_slice(&body[1_048_000..1_049_000]);
    assert_eq!(
        stored(&cache, &url, &o, 1_048_000..1_049_000).await,
        Some((len, middle))
    );
    // Another body expected than the one stored: nothing usable.
    let other = LookupOptions {
        verify: Some(Verifier::Sha256(sha256(b"other"))),
        ..o.clone()
    };
    assert!(stored(&cache, &url, &other, 0..10).await.is_none());
    assert_eq!(
        origin.count("/pkg-1.0-py3-none-any.whl"),
        1,
        "reads never go upstream"
    );
}

#[tokio::test]
async fn stored_range_through_a_signed_store_reads_the_verified_body() {
    let origin = Origin::start();
    let body = numbered(2 << 20);
    origin.set(
        "/f.whl",
        Reply::ok(body.clone()).header("cache-control", "max-age=600"),
    );
    let url = origin.url("/f.whl");
    let dir = tempfile::tempdir().unwrap();
    let disk = Arc::new(DiskStore::open(dir.path(), 1 << 30).unwrap());
    let key = HmacKey::new(&awsproxy::secret::Secret::new("team key"));
    let cache = HttpCache::new(
        Arc::new(SignedStore::new(disk, key)),
        CacheSettings::default(),
    );
    let o = opts(CachePolicy::Standard);
    warm(&cache, get(&url), o.clone()).await;
    let want = Bytes::copy_from_slice(&body[10..20]);
    assert_eq!(
        stored(&cache, &url, &o, 10..20).await,
        Some((body.len() as u64, want))
    );
}
