//! The Cargo registry's `config.json` rewritten for the client
//! (`src/cargo/config.rs`), and the index helpers (`src/cargo/index.rs`):
//! - nothing panics, whatever the bytes;
//! - `rewrite` accepts exactly what `parse` reads (an object with a `dl` string);
//! - the rewritten `dl` and `api` are the local base's, `auth-required` is
//!   gone, and every other key is kept as it was: so the upstream host appears
//!   in the output only where the input had it under another key;
//! - the rewritten config read back gives a download URL under the local base;
//! - `name_of_index_path` only returns a valid name whose index path is the input;
//! - `find_version` only returns the asked version with a lower-case sha256;
//! - `dl_url` keeps the template up to its first marker, and appends
//!   `/{crate}/{version}/download` to a template without markers.
#![no_main]

use awsproxy_fuzz::cargo::config::{parse, rewrite};
use awsproxy_fuzz::cargo::index::{
    dl_url, find_version, index_path, name_of_index_path, valid_name, valid_version,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use url::Url;

const LOCAL: &str = "http://127.0.0.1:9000/cargo/main/";

fuzz_target!(|data: &[u8]| {
    let upstream = parse(data);
    let out = rewrite(data, LOCAL);
    assert_eq!(upstream.is_some(), out.is_some());
    if let (Some(upstream), Some(out)) = (upstream, out) {
        check_config(data, &upstream.dl, &out);
    }

    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    if let Some(name) = name_of_index_path(first) {
        assert!(valid_name(name), "{first}");
        assert_eq!(index_path(name).as_deref(), Some(first));
        assert!(!first.split('/').any(|s| s == ".." || s == "."), "{first}");
    }

    // The first line as a template, the next two as name and version.
    let name = lines
        .next()
        .filter(|n| valid_name(n))
        .unwrap_or("serde_json");
    let version = lines.next().filter(|v| valid_version(v)).unwrap_or("1.0.0");
    if let Some(line) = find_version(data, name, version) {
        assert!(line.name.eq_ignore_ascii_case(name));
        assert_eq!(line.vers, version);
        assert!(
            line.cksum.len() == 64
                && line
                    .cksum
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{}",
            line.cksum
        );
    }
    let cksum = "ab".repeat(32);
    let url = dl_url(first, name, version, &cksum);
    match first.find('{') {
        Some(i) if MARKERS.iter().any(|m| first.contains(m)) => {
            assert!(url.starts_with(&first[..i]), "{first} -> {url}");
        }
        _ => assert_eq!(
            url,
            format!("{}/{name}/{version}/download", first.trim_end_matches('/'))
        ),
    }
});

const MARKERS: [&str; 5] = [
    "{crate}",
    "{version}",
    "{prefix}",
    "{lowerprefix}",
    "{sha256-checksum}",
];

fn check_config(input: &[u8], upstream_dl: &str, out: &[u8]) {
    let mut rest: Map<String, Value> = serde_json::from_slice(input).unwrap();
    let mut got: Map<String, Value> = serde_json::from_slice(out).expect("the output is JSON");
    assert_eq!(got["dl"], format!("{LOCAL}api/v1/crates"));
    assert_eq!(got["api"], LOCAL.trim_end_matches('/'));
    assert!(!got.contains_key("auth-required"));

    // Every other key as it was.
    for key in ["dl", "api", "auth-required"] {
        rest.remove(key);
        got.remove(key);
    }
    let rest = serde_json::to_string(&rest).unwrap();
    assert_eq!(serde_json::to_string(&got).unwrap(), rest);

    // The upstream host survives only where another key carried it. A host of
    // letters, digits, `-` and a `.` is matched within one JSON token, never in
    // the local `dl`/`api` (unless the local base names it).
    if let Some(host) = Url::parse(upstream_dl)
        .ok()
        .as_ref()
        .and_then(Url::host_str)
        && host.contains('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !LOCAL.contains(host)
    {
        let out = String::from_utf8_lossy(out);
        assert_eq!(out.contains(host), rest.contains(host), "{out}");
    }

    // Read back, the config sends downloads to the mount.
    let again = parse(out).expect("the rewritten config parses");
    let url = dl_url(&again.dl, "serde", "1.0.0", &"ab".repeat(32));
    assert_eq!(url, format!("{LOCAL}api/v1/crates/serde/1.0.0/download"));
    assert_eq!(again.api.as_deref(), Some(LOCAL.trim_end_matches('/')));
}
