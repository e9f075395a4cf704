//! Cache metadata decoding (`src/cache/store/meta.rs`): whatever the disk and
//! S3 stores read back from storage either decodes or is rejected as corrupt,
//! never panics; a decoded entry re-encodes to itself in every encoding, only
//! yields valid headers and is safe to hand to the cache policy, and signs
//! (`[cache] hmac_key`) the same after decoding; and metadata built from
//! request/response headers survives every encoding unchanged.
//!
//! The first byte picks how the rest is read: as metadata JSON, as a disk
//! entry file, as an S3 user-metadata value, or as the fields of an entry.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awsproxy_fuzz::cache::key::Credential;
use awsproxy_fuzz::cache::policy;
use awsproxy_fuzz::cache::store::meta::{
    self, DISK_HEADER_LEN, EntryMeta, MAX_STORED_AT_MS, META_VERSION, S3_INLINE_LIMIT, S3_SIDECAR,
    S3Meta, from_header_map,
};
use awsproxy_fuzz::config::CachePolicy;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => json(rest),
        1 => disk(rest),
        2 => s3(rest),
        _ => {
            let _ = built(&mut Unstructured::new(rest));
        }
    }
});

/// The key a document names, so that a decodable one passes the key check.
fn named_key(json: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v.get("key")?.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn json(data: &[u8]) {
    let _ = EntryMeta::from_json(data, "k");
    if let Ok(m) = EntryMeta::from_json(data, &named_key(data)) {
        decoded(&m);
    }
}

fn disk(file: &[u8]) {
    let _ = meta::disk_decode(file, "k");
    // The key the embedded metadata names, when the frame holds together.
    let len = file.len() as u64;
    let tail = &file[file.len().saturating_sub(12)..];
    let Ok(frame) = meta::disk_frame(len, file, tail) else {
        return;
    };
    let start = frame.meta_start as usize;
    let key = named_key(&file[start..start + frame.meta_len]);
    if let Ok((m, hits)) = meta::disk_decode(file, &key) {
        assert_eq!(hits, frame.hits);
        assert_eq!(m.body_len, frame.meta_start - DISK_HEADER_LEN);
        decoded(&m);
    }
}

fn s3(data: &[u8]) {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    match meta::s3_decode(value) {
        Ok(None) => assert!(value == S3_SIDECAR || meta::s3_sidecar_digest(value).is_some()),
        Ok(Some(json)) => {
            if let Ok(m) = EntryMeta::from_json(&json, &named_key(&json)) {
                decoded(&m);
            }
        }
        Err(_) => {}
    }
}

/// Checks an entry a store would hand to the cache.
fn decoded(m: &EntryMeta) {
    // A final status the engine can answer with as is, and a storage time
    // the date types below can represent.
    assert!((200..=599).contains(&m.status), "status {}", m.status);
    assert!(m.stored_at_ms <= MAX_STORED_AT_MS);
    round_trips(m);
    // Only valid headers come out, each from a stored pair.
    for (headers, pairs) in [
        (m.response_headers(), &m.response_headers),
        (m.request_headers(), &m.request_headers),
    ] {
        for (name, value) in &headers {
            assert!(HeaderValue::from_bytes(value.as_bytes()).is_ok());
            assert!(HeaderName::from_bytes(name.as_str().as_bytes()).is_ok());
        }
        assert!(headers.len() <= pairs.len());
    }
    // What the engine does with a stored entry never panics (it asks at the
    // real clock; a clock a century off is as far as that is tried).
    let method = Method::from_bytes(m.method.as_bytes()).unwrap_or(Method::GET);
    let req = policy::policy_request(&method, &m.url, &m.request_headers());
    let sem = policy::semantics(m);
    let clock = SystemTime::now();
    for now in [
        clock,
        UNIX_EPOCH,
        clock + Duration::from_secs(3600),
        clock + Duration::from_secs(100 * 366 * 86_400),
    ] {
        let _ = sem.age(now);
        let _ = policy::ttl(m, now);
        let _ = policy::staleness(m, &sem, now);
        for p in [
            CachePolicy::Standard,
            CachePolicy::NoRefresh,
            CachePolicy::StaleIfError,
            CachePolicy::AlwaysUpstream,
        ] {
            let _ = policy::decide(p, m, &req, now);
            let _ = policy::stale_if_error(p, m, now);
        }
    }
    let _ = HeaderValue::from(m.body_len);
    let _ = policy::vary_names(&m.response_headers());
}

/// `m` decodes back to itself from JSON, a disk file and S3 metadata, and
/// what `[cache] hmac_key` signs of it is the same after decoding and does
/// not depend on the tag.
fn round_trips(m: &EntryMeta) {
    let json = m.to_json().expect("metadata encodes");
    let back = EntryMeta::from_json(&json, &m.key).expect("decodes");
    assert_eq!(&back, m);
    assert_eq!(back.signing_input(), m.signing_input());
    let untagged = EntryMeta {
        hmac: None,
        s3_etag: None,
        ..m.clone()
    };
    assert_eq!(untagged.signing_input(), m.signing_input());

    if m.body_len <= 4096 {
        let mut file = meta::disk_header(7).to_vec();
        file.resize(file.len() + m.body_len as usize, 0xAB);
        file.extend_from_slice(&meta::disk_trailer(m).expect("trailer"));
        assert_eq!(
            meta::disk_decode(&file, &m.key).expect("disk file decodes"),
            (m.clone(), 7)
        );
    }

    match meta::s3_encode(m).expect("S3 metadata encodes") {
        S3Meta::Inline(value) => {
            assert!(value.len() <= S3_INLINE_LIMIT);
            assert!(value.is_ascii());
            assert!(HeaderValue::from_str(&value).is_ok(), "{value}");
            let json = meta::s3_decode(&value)
                .expect("inline value decodes")
                .expect("inline value is not the sidecar marker");
            assert_eq!(&EntryMeta::from_json(&json, &m.key).expect("decodes"), m);
        }
        S3Meta::Sidecar(json) => {
            let marker = meta::s3_sidecar_marker(&json);
            assert_eq!(meta::s3_decode(&marker).expect("the marker decodes"), None);
            assert!(meta::s3_sidecar_matches(&marker, &json));
            assert_eq!(&EntryMeta::from_json(&json, &m.key).expect("decodes"), m);
        }
    }
}

fn header_map(u: &mut Unstructured<'_>) -> Result<HeaderMap> {
    let mut map = HeaderMap::new();
    for _ in 0..u.int_in_range(0..=8)? {
        let name: &[u8] = u.arbitrary()?;
        let value: &[u8] = u.arbitrary()?;
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            map.append(n, v);
        }
    }
    Ok(map)
}

/// An entry as the engine builds one (headers through `from_header_map`).
fn built(u: &mut Unstructured<'_>) -> Result<()> {
    let request_headers = from_header_map(&header_map(u)?);
    let response_headers = from_header_map(&header_map(u)?);
    let m = EntryMeta {
        version: META_VERSION,
        key: u.arbitrary()?,
        method: u.arbitrary()?,
        url: u.arbitrary()?,
        status: if u.arbitrary()? {
            u.int_in_range(200..=599)?
        } else {
            u.arbitrary()?
        },
        request_headers,
        response_headers,
        stored_at_ms: if u.arbitrary()? {
            u.int_in_range(0..=MAX_STORED_AT_MS)?
        } else {
            u.arbitrary()?
        },
        body_len: if u.arbitrary()? {
            u.int_in_range(0..=4096)?
        } else {
            u.arbitrary()?
        },
        sha256: u.arbitrary()?,
        immutable: u.arbitrary()?,
        namespace: u.arbitrary()?,
        signed: match u.int_in_range(0..=2u8)? {
            0 => None,
            1 => Some(Credential::QuerySignature),
            _ => Some(Credential::Authorization),
        },
        hmac: if u.arbitrary()? {
            Some(u.arbitrary()?)
        } else {
            None
        },
        s3_etag: None,
    };
    // Only final statuses and storage times up to the year 9999 decode.
    if !(200..=599).contains(&m.status) || m.stored_at_ms > MAX_STORED_AT_MS {
        assert!(EntryMeta::from_json(&m.to_json().expect("encodes"), &m.key).is_err());
        return Ok(());
    }
    // Stored header pairs come back as the same pairs (nothing dropped).
    assert_eq!(from_header_map(&m.response_headers()), m.response_headers);
    assert_eq!(from_header_map(&m.request_headers()), m.request_headers);
    decoded(&m);
    Ok(())
}
