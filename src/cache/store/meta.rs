//! [`EntryMeta`] and its encodings, kept free of I/O so they can be unit tested
//! and fuzzed (`fuzz/fuzz_targets/cache_meta.rs`): everything a store parses
//! back from storage goes through here.
//!
//! - both stores keep the metadata as JSON ([`EntryMeta::to_json`] /
//!   [`EntryMeta::from_json`], which also checks version and key);
//! - the disk store frames it in the entry file ([`disk_header`],
//!   [`disk_trailer`], [`disk_frame`], [`disk_meta`]);
//! - the S3 store puts it in a user-metadata header value, base64, or names a
//!   sidecar object when it is too large ([`s3_encode`], [`s3_decode`]).
//!
//! Every decoding failure is a [`Corrupt`]: the stores treat the entry as a
//! miss and remove it. [`EntryMeta::signing_input`] is what `[cache] hmac_key`
//! signs ([`super::signed`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::cache::key::Credential;

/// Version of [`EntryMeta`]'s encoding; entries of another version are misses.
pub const META_VERSION: u32 = 1;

/// The latest `stored_at_ms` that decodes: 9999-12-31T23:59:59.999Z, the end of
/// what the `time` crate (under `http-cache-semantics`) can represent.
pub const MAX_STORED_AT_MS: u64 = 253_402_300_799_999;

/// What is stored next to a body: enough to rebuild the RFC 9111 view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    pub version: u32,
    /// [`crate::cache::CacheKey::hash`].
    pub key: String,
    pub method: String,
    /// Normalised URL (never holds userinfo).
    pub url: String,
    pub status: u16,
    /// Request headers the response varies on (sensitive values digested).
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    /// When the response was received (or last revalidated), ms since the epoch.
    pub stored_at_ms: u64,
    pub body_len: u64,
    /// SHA-256 of the body, hex.
    pub sha256: String,
    /// Never revalidated (content-addressed artifacts).
    #[serde(default)]
    pub immutable: bool,
    /// The key's [`Namespace`](crate::cache::key::Namespace), for `cache ls`
    /// (empty in entries written before keys had one).
    #[serde(default)]
    pub namespace: String,
    /// Stored for a request that carried this credential: served only to a
    /// request with a credential of its own, after the origin accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<Credential>,
    /// HMAC-SHA256 of [`EntryMeta::signing_input`] under `[cache] hmac_key`,
    /// hex ([`super::signed`]); absent in entries written without a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac: Option<String>,
    /// In the tiered store's local copy only: the ETag of the S3 object it
    /// copies ([`super::tiered`]). Not signed: it says which S3 object the
    /// copy came from, not what the entry is; never written to S3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_etag: Option<String>,
}

/// Why stored metadata cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt(pub String);

impl std::fmt::Display for Corrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn corrupt(what: impl Into<String>) -> Corrupt {
    Corrupt(what.into())
}

impl EntryMeta {
    pub fn stored_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.stored_at_ms)
    }

    pub fn request_headers(&self) -> HeaderMap {
        to_header_map(&self.request_headers)
    }

    pub fn response_headers(&self) -> HeaderMap {
        to_header_map(&self.response_headers)
    }

    /// Checks what a reader relies on; `Err` means the entry is corrupt.
    pub fn check(&self, key: &str) -> Result<(), Corrupt> {
        if self.version != META_VERSION {
            return Err(corrupt(format!(
                "metadata version {} (expected {META_VERSION})",
                self.version
            )));
        }
        if self.key != key {
            return Err(corrupt("metadata names another key"));
        }
        // Only final responses are stored; anything else would be served as a
        // `200` (or, for a `1xx`, as an interim response with a body).
        if !(200..=599).contains(&self.status) {
            return Err(corrupt(format!("status {}", self.status)));
        }
        if self.stored_at_ms > MAX_STORED_AT_MS {
            return Err(corrupt("stored after the year 9999"));
        }
        Ok(())
    }

    /// What `[cache] hmac_key` signs: every field but [`hmac`](Self::hmac)
    /// itself and [`s3_etag`](Self::s3_etag), in a fixed order, strings and lists length-prefixed, so no two
    /// entries that differ in any field encode alike.
    pub fn signing_input(&self) -> Vec<u8> {
        fn bytes(out: &mut Vec<u8>, b: &[u8]) {
            out.extend_from_slice(&(b.len() as u64).to_le_bytes());
            out.extend_from_slice(b);
        }
        fn pairs(out: &mut Vec<u8>, pairs: &[(String, String)]) {
            out.extend_from_slice(&(pairs.len() as u64).to_le_bytes());
            for (name, value) in pairs {
                bytes(out, name.as_bytes());
                bytes(out, value.as_bytes());
            }
        }
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(b"awsproxy cache entry\0");
        out.extend_from_slice(&self.version.to_le_bytes());
        bytes(&mut out, self.key.as_bytes());
        bytes(&mut out, self.method.as_bytes());
        bytes(&mut out, self.url.as_bytes());
        out.extend_from_slice(&self.status.to_le_bytes());
        pairs(&mut out, &self.request_headers);
        pairs(&mut out, &self.response_headers);
        out.extend_from_slice(&self.stored_at_ms.to_le_bytes());
        out.extend_from_slice(&self.body_len.to_le_bytes());
        bytes(&mut out, self.sha256.as_bytes());
        out.push(u8::from(self.immutable));
        bytes(&mut out, self.namespace.as_bytes());
        out.push(match self.signed {
            None => 0,
            Some(Credential::QuerySignature) => 1,
            Some(Credential::Authorization) => 2,
        });
        out
    }

    pub fn to_json(&self) -> Result<Vec<u8>, Corrupt> {
        serde_json::to_vec(self).map_err(|e| corrupt(format!("cannot encode metadata: {e}")))
    }

    /// Parses stored JSON and [`check`](Self::check)s it against `key`.
    pub fn from_json(json: &[u8], key: &str) -> Result<Self, Corrupt> {
        let meta: EntryMeta =
            serde_json::from_slice(json).map_err(|e| corrupt(format!("metadata: {e}")))?;
        meta.check(key)?;
        Ok(meta)
    }
}

/// `HeaderMap` -> pairs (values that are not UTF-8 are dropped).
pub fn from_header_map(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect()
}

/// Pairs -> `HeaderMap`; pairs that are not a valid header are dropped.
fn to_header_map(pairs: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            map.append(k, v);
        }
    }
    map
}

/// First and last 8 bytes of a disk entry file.
pub const DISK_MAGIC: &[u8; 8] = b"AWSPXC01";
/// `MAGIC | hits (u64 LE)`.
pub const DISK_HEADER_LEN: u64 = 16;
/// `meta length (u32 LE) | MAGIC`.
pub const DISK_TRAILER_LEN: u64 = 12;

/// The header a disk entry file starts with.
pub fn disk_header(hits: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(DISK_MAGIC);
    out[8..].copy_from_slice(&hits.to_le_bytes());
    out
}

/// What follows the body in a disk entry file: `JSON | len (u32 LE) | MAGIC`.
pub fn disk_trailer(meta: &EntryMeta) -> Result<Vec<u8>, Corrupt> {
    let json = meta.to_json()?;
    let len = u32::try_from(json.len()).map_err(|_| corrupt("metadata too large"))?;
    let mut out = json;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(DISK_MAGIC);
    Ok(out)
}

/// Where the parts of a disk entry file are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskFrame {
    pub hits: u64,
    /// Offset of the metadata JSON (the body is `DISK_HEADER_LEN..meta_start`).
    pub meta_start: u64,
    pub meta_len: usize,
}

/// Reads the frame of a disk entry file of `len` bytes from its first
/// [`DISK_HEADER_LEN`] and last [`DISK_TRAILER_LEN`] bytes.
pub fn disk_frame(len: u64, head: &[u8], tail: &[u8]) -> Result<DiskFrame, Corrupt> {
    if len < DISK_HEADER_LEN + DISK_TRAILER_LEN {
        return Err(corrupt("too short"));
    }
    let (Some(head), Some(tail)) = (head.get(..16), tail.get(..12)) else {
        return Err(corrupt("too short"));
    };
    if &head[..8] != DISK_MAGIC || &tail[4..] != DISK_MAGIC {
        return Err(corrupt("bad magic"));
    }
    let hits = u64::from_le_bytes(head[8..16].try_into().map_err(|_| corrupt("header"))?);
    let meta_len = u32::from_le_bytes(tail[..4].try_into().map_err(|_| corrupt("trailer"))?);
    let meta_start = len
        .checked_sub(DISK_TRAILER_LEN + u64::from(meta_len))
        .filter(|s| *s >= DISK_HEADER_LEN)
        .ok_or_else(|| corrupt("metadata length"))?;
    Ok(DiskFrame {
        hits,
        meta_start,
        meta_len: usize::try_from(meta_len).map_err(|_| corrupt("metadata length"))?,
    })
}

/// Decodes the metadata JSON read at `frame.meta_start` and checks it against
/// the frame (the body length) and `key`.
pub fn disk_meta(frame: &DiskFrame, json: &[u8], key: &str) -> Result<EntryMeta, Corrupt> {
    let meta = EntryMeta::from_json(json, key)?;
    if meta.body_len != frame.meta_start - DISK_HEADER_LEN {
        return Err(corrupt("body length does not match"));
    }
    Ok(meta)
}

/// Decodes a whole disk entry file held in memory: `(meta, hits)`. The store
/// reads only the ends of a file ([`disk_frame`], [`disk_meta`]); this is the
/// same decoding, for tests and fuzzing.
pub fn disk_decode(file: &[u8], key: &str) -> Result<(EntryMeta, u64), Corrupt> {
    let len = file.len() as u64;
    let tail = file
        .get(file.len().saturating_sub(12)..)
        .unwrap_or_default();
    let frame = disk_frame(len, file, tail)?;
    let start = usize::try_from(frame.meta_start).map_err(|_| corrupt("metadata length"))?;
    let json = file
        .get(start..start + frame.meta_len)
        .ok_or_else(|| corrupt("metadata length"))?;
    Ok((disk_meta(&frame, json, key)?, frame.hits))
}

/// The S3 user-metadata value that says the metadata is in a sidecar object.
/// Written as `sidecar:SHA256` (of the sidecar's JSON), so a sidecar another
/// replica overwrote while losing the race for the body is told apart from
/// the one this body was written with; plain `sidecar` (older entries) names
/// no digest.
pub const S3_SIDECAR: &str = "sidecar";
/// Encoded metadata above this size goes to a sidecar object (S3 user metadata
/// is at most 2 KB in all).
pub const S3_INLINE_LIMIT: usize = 1800;

/// How the S3 store keeps an entry's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Meta {
    /// The user-metadata value (base64 of the JSON; ASCII).
    Inline(String),
    /// The JSON to write to the sidecar object; the value is
    /// [`s3_sidecar_marker`] of it.
    Sidecar(Vec<u8>),
}

/// The user-metadata value of a body whose metadata is the sidecar `json`.
pub fn s3_sidecar_marker(json: &[u8]) -> String {
    use sha2::Digest as _;
    format!("{S3_SIDECAR}:{}", hex::encode(sha2::Sha256::digest(json)))
}

/// The sidecar digest a user-metadata value names (`None`: inline, or an
/// older entry's plain marker).
pub fn s3_sidecar_digest(value: &str) -> Option<&str> {
    value
        .strip_prefix(S3_SIDECAR)?
        .strip_prefix(':')
        .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Is `json` the sidecar the user-metadata `value` was written with?
pub fn s3_sidecar_matches(value: &str, json: &[u8]) -> bool {
    match s3_sidecar_digest(value) {
        Some(digest) => {
            s3_sidecar_marker(json)[S3_SIDECAR.len() + 1..].eq_ignore_ascii_case(digest)
        }
        None => value == S3_SIDECAR,
    }
}

/// Encodes `meta` for the S3 store.
pub fn s3_encode(meta: &EntryMeta) -> Result<S3Meta, Corrupt> {
    let json = meta.to_json()?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&json);
    Ok(if encoded.len() <= S3_INLINE_LIMIT {
        S3Meta::Inline(encoded)
    } else {
        S3Meta::Sidecar(json)
    })
}

/// Decodes a user-metadata value: the JSON it holds, or `None` for a sidecar
/// (check the sidecar with [`s3_sidecar_matches`]). Pass the JSON (inline or
/// the sidecar's) to [`EntryMeta::from_json`].
pub fn s3_decode(value: &str) -> Result<Option<Vec<u8>>, Corrupt> {
    if value == S3_SIDECAR || s3_sidecar_digest(value).is_some() {
        return Ok(None);
    }
    base64::engine::general_purpose::STANDARD
        .decode(value)
        .map(Some)
        .map_err(|e| corrupt(format!("metadata encoding: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(key: &str, body_len: u64) -> EntryMeta {
        EntryMeta {
            version: META_VERSION,
            key: key.to_owned(),
            method: "GET".into(),
            url: "https://example.com/a?b=c".into(),
            status: 200,
            request_headers: vec![("accept-encoding".into(), "gzip".into())],
            response_headers: vec![
                ("cache-control".into(), "max-age=60".into()),
                ("etag".into(), "\"x\"".into()),
            ],
            stored_at_ms: 1_700_000_000_000,
            body_len,
            sha256: "ab".repeat(32),
            immutable: true,
            namespace: "pypi/internal/profile dev".into(),
            signed: Some(Credential::QuerySignature),
            hmac: Some("cd".repeat(32)),
            s3_etag: None,
        }
    }

    fn disk_file(meta: &EntryMeta, hits: u64, body: &[u8]) -> Vec<u8> {
        let mut file = disk_header(hits).to_vec();
        file.extend_from_slice(body);
        file.extend_from_slice(&disk_trailer(meta).unwrap());
        file
    }

    #[test]
    fn disk_entries_round_trip() {
        let key = "ab".repeat(32);
        let m = meta(&key, 5);
        let file = disk_file(&m, 7, b"hello");
        assert_eq!(disk_decode(&file, &key).unwrap(), (m.clone(), 7));
        // Another key, a wrong body length, a cut file: corrupt, never a panic.
        assert!(disk_decode(&file, "cd").is_err());
        assert!(disk_decode(&disk_file(&m, 0, b"hell"), &key).is_err());
        for cut in 0..file.len() {
            assert!(disk_decode(&file[..cut], &key).is_err(), "cut at {cut}");
            assert!(disk_decode(&file[cut + 1..], &key).is_err(), "from {cut}");
        }
    }

    #[test]
    fn disk_frame_rejects_lengths_pointing_outside_the_file() {
        let mut file = disk_header(0).to_vec();
        file.extend_from_slice(&u32::MAX.to_le_bytes());
        file.extend_from_slice(DISK_MAGIC);
        assert_eq!(disk_decode(&file, "k"), Err(corrupt("metadata length")));
        let tail = &file[file.len() - 12..];
        // The same trailer fits a file that is long enough.
        let frame = disk_frame(16 + 12 + u64::from(u32::MAX), &file, tail).unwrap();
        assert_eq!((frame.meta_start, frame.meta_len), (16, u32::MAX as usize));
        assert!(disk_frame(100, &file[..3], tail).is_err());
    }

    #[test]
    fn s3_values_round_trip_inline_or_as_a_sidecar() {
        let key = "ab".repeat(32);
        let m = meta(&key, 5);
        let S3Meta::Inline(value) = s3_encode(&m).unwrap() else {
            panic!("small metadata is inline");
        };
        assert!(HeaderValue::from_str(&value).is_ok());
        let json = s3_decode(&value).unwrap().unwrap();
        assert_eq!(EntryMeta::from_json(&json, &key).unwrap(), m);

        let mut big = m.clone();
        big.response_headers
            .push(("link".into(), "x".repeat(S3_INLINE_LIMIT)));
        let S3Meta::Sidecar(json) = s3_encode(&big).unwrap() else {
            panic!("large metadata goes to a sidecar");
        };
        assert_eq!(s3_decode(S3_SIDECAR).unwrap(), None);
        let marker = s3_sidecar_marker(&json);
        assert!(HeaderValue::from_str(&marker).is_ok() && marker.len() < S3_INLINE_LIMIT);
        assert_eq!(s3_decode(&marker).unwrap(), None);
        assert_eq!(EntryMeta::from_json(&json, &key).unwrap(), big);
        assert!(s3_decode("not base64!").is_err());
        // The sidecar this body was written with, not one another write left.
        assert!(s3_sidecar_matches(&marker, &json));
        let mut other = json.clone();
        other.push(b' ');
        assert!(!s3_sidecar_matches(&marker, &other));
        assert!(
            s3_sidecar_matches(S3_SIDECAR, &other),
            "older entries name no digest"
        );
        assert!(
            s3_decode("sidecar:xyz").is_err(),
            "not a digest: not a marker"
        );
    }

    /// fuzz/artifacts/cache_meta/crash-9568d95c8e57263f1acabb4563e093b3d565dffb:
    /// the policy asked about an entry stored 54 million years from now, at a
    /// clock that far ahead, panicked converting it to a date (`time` stops at
    /// 9999). The engine asks at the real clock, where it never panicked; such
    /// an entry now fails to decode either way.
    #[test]
    fn an_entry_stored_after_9999_is_corrupt_and_the_policy_survives_it() {
        let key = "ab".repeat(32);
        let json = format!(
            r#"{{"version":1,"key":"{key}","method":"GET","url":"https://files.example.com/p/x-1.0.whl?a=b","status":200,"request_headers":[["accept-encodi","ggnziM"]],"response_headers":[["cache-cvary","accept-encodino"],["last-modified","Wed, 21 Oct 2015 07:28:00 GMT"]],"stored_at_ms":1700004444440000001,"body_len":0,"sha256":"1000000000000000","immut$able":false}}"#
        );
        assert_eq!(
            EntryMeta::from_json(json.as_bytes(), &key),
            Err(corrupt("stored after the year 9999"))
        );
        let m: EntryMeta = serde_json::from_str(&json).unwrap();
        let now = SystemTime::now();
        let req =
            crate::cache::policy::policy_request(&http::Method::GET, &m.url, &m.request_headers());
        for p in [
            crate::config::CachePolicy::Standard,
            crate::config::CachePolicy::AlwaysUpstream,
        ] {
            let _ = crate::cache::policy::decide(p, &m, &req, now);
            let _ = crate::cache::policy::stale_if_error(p, &m, now);
        }
        let _ = crate::cache::policy::ttl(&m, now);
        let last = EntryMeta {
            stored_at_ms: MAX_STORED_AT_MS,
            ..meta(&key, 1)
        };
        assert!(EntryMeta::from_json(&last.to_json().unwrap(), &key).is_ok());
    }

    #[test]
    fn the_fuzzer_seeds_decode() {
        // fuzz/seeds/cache_meta: a mode byte, then an encoding of one entry.
        let key = "ab".repeat(32);
        let seed = |name: &str| {
            let path = format!(
                "{}/fuzz/seeds/cache_meta/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            std::fs::read(&path).unwrap()[1..].to_vec()
        };
        let m = EntryMeta::from_json(&seed("json"), &key).unwrap();
        assert_eq!(disk_decode(&seed("disk"), &key).unwrap(), (m.clone(), 3));
        let inline = String::from_utf8(seed("s3-inline")).unwrap();
        let json = s3_decode(&inline).unwrap().unwrap();
        assert_eq!(EntryMeta::from_json(&json, &key).unwrap(), m);
        assert_eq!(
            s3_decode(&String::from_utf8(seed("s3-sidecar")).unwrap()),
            Ok(None)
        );
        // Entries written before namespaces and signed entries decode as
        // unsigned, in no namespace (their keys are never asked for again).
        assert_eq!((m.namespace.as_str(), m.signed), ("", None));
        let signed = EntryMeta::from_json(&seed("json-signed"), &key).unwrap();
        assert_eq!(signed.namespace, "forward");
        assert_eq!(signed.signed, Some(Credential::QuerySignature));
        assert_eq!(
            EntryMeta::from_json(&signed.to_json().unwrap(), &key),
            Ok(signed.clone())
        );
        // Entries written without `[cache] hmac_key` carry no tag; a tagged
        // one decodes with it, and everything else as before.
        assert_eq!(signed.hmac, None);
        let tagged = EntryMeta::from_json(&seed("json-hmac"), &key).unwrap();
        assert_eq!(tagged.hmac, Some("5a".repeat(32)));
        assert_eq!(
            EntryMeta {
                hmac: None,
                s3_etag: None,
                ..tagged
            },
            signed
        );
    }

    #[test]
    fn the_signing_input_covers_every_field_but_the_tag() {
        let key = "ab".repeat(32);
        let m = meta(&key, 5);
        let input = m.signing_input();
        assert_eq!(
            EntryMeta {
                hmac: None,
                s3_etag: None,
                ..m.clone()
            }
            .signing_input(),
            input,
            "the tag is not signed"
        );
        let changed: Vec<EntryMeta> = vec![
            EntryMeta {
                version: 2,
                ..m.clone()
            },
            EntryMeta {
                key: "cd".repeat(32),
                ..m.clone()
            },
            EntryMeta {
                method: "HEAD".into(),
                ..m.clone()
            },
            EntryMeta {
                url: "https://example.com/a?b=d".into(),
                ..m.clone()
            },
            EntryMeta {
                status: 203,
                ..m.clone()
            },
            EntryMeta {
                request_headers: vec![],
                ..m.clone()
            },
            EntryMeta {
                response_headers: vec![("cache-control".into(), "max-age=61".into())],
                ..m.clone()
            },
            EntryMeta {
                stored_at_ms: m.stored_at_ms + 1,
                ..m.clone()
            },
            EntryMeta {
                body_len: 6,
                ..m.clone()
            },
            EntryMeta {
                sha256: "ac".repeat(32),
                ..m.clone()
            },
            EntryMeta {
                immutable: false,
                ..m.clone()
            },
            EntryMeta {
                namespace: "forward".into(),
                ..m.clone()
            },
            EntryMeta {
                signed: None,
                ..m.clone()
            },
            EntryMeta {
                signed: Some(Credential::Authorization),
                ..m.clone()
            },
            // Bytes moved from one field to the next.
            EntryMeta {
                request_headers: vec![("accept-encodin".into(), "ggzip".into())],
                ..m.clone()
            },
            EntryMeta {
                response_headers: vec![
                    ("cache-control".into(), "max-age=60".into()),
                    ("etag\u{0}".into(), "\"x\"".into()),
                ],
                ..m.clone()
            },
        ];
        let mut seen = std::collections::HashSet::from([input]);
        for c in &changed {
            assert!(seen.insert(c.signing_input()), "{c:?}");
        }
    }

    #[test]
    fn json_of_another_version_or_key_is_corrupt() {
        let key = "ab".repeat(32);
        let mut m = meta(&key, 1);
        m.version = 0;
        assert!(EntryMeta::from_json(&m.to_json().unwrap(), &key).is_err());
        assert!(EntryMeta::from_json(b"{", &key).is_err());
        for status in [0, 100, 199, 600, u16::MAX] {
            let m = EntryMeta {
                status,
                ..meta(&key, 1)
            };
            let err = EntryMeta::from_json(&m.to_json().unwrap(), &key).unwrap_err();
            assert_eq!(err, corrupt(format!("status {status}")));
        }
        assert!(EntryMeta::from_json(&meta(&key, 1).to_json().unwrap(), "other").is_err());
    }
}
