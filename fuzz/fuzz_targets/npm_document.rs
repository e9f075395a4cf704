//! npm package documents rewritten for the client (`src/npm/document.rs`):
//! - nothing panics, whatever the bytes;
//! - an accepted document is JSON that never names the upstream host (any
//!   case) nor its base URL, and differs from the input only in the
//!   `versions.*.dist.tarball` links, each of which is the origin plus the
//!   local path of one reported tarball, in order;
//! - every reported tarball has a local path under the mount's `-/PKG/-/`
//!   with a plain `.tgz` file name, and an upstream URL under the upstream base
//!   (the token goes with its download), and the integrity the document gave
//!   it: a `sha512-` entry is never traded for the weaker `shasum`, and a digest
//!   is lower-case hex of its length or marked unreadable (so nothing matches);
//! - a document built from the input whose tarballs all lie under the upstream
//!   base (absolute, relative, upper-case host) is accepted with one tarball
//!   per version, unless a file name itself spells the host;
//! - a package name that parses never has an empty, `.` or `..` path segment.
#![no_main]

use awsproxy_fuzz::npm::document::{Integrity, Refused, Rewritten, rewrite};
use awsproxy_fuzz::npm::names::PackageName;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use url::Url;

const HOST: &str = "d-1.d.codeartifact.us-east-1.amazonaws.com";
const BASE: &str = "https://d-1.d.codeartifact.us-east-1.amazonaws.com/npm/r/";
const ORIGIN: &str = "http://127.0.0.1:9000";
const LOCAL: &str = "/npm/main/";

fuzz_target!(|data: &[u8]| {
    let base = Url::parse(BASE).unwrap();
    let text = String::from_utf8_lossy(data);
    let first = text.lines().next().unwrap_or_default();
    if let Some(name) = PackageName::parse(first) {
        check_name(&name);
    }
    let pkg = PackageName::parse(first).unwrap_or_else(|| PackageName::parse("@s/p").unwrap());

    // The input as a document.
    if let Ok(out) = rewrite(data, &pkg, &base, ORIGIN, LOCAL) {
        check(data, &pkg, &base, &out);
    }

    // A document whose tarballs all lie under the upstream base.
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '/')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_.~+".contains(*c))
                .collect::<String>()
        })
        .filter(|w| !w.is_empty() && !w.starts_with('.'))
        .take(8)
        .collect();
    let upper = BASE.replace(HOST, &HOST.to_ascii_uppercase());
    let mut versions = serde_json::Map::new();
    for (i, word) in words.iter().enumerate() {
        let file = format!("{word}.tgz");
        let link = match i % 4 {
            0 => format!("{BASE}{pkg}/-/{file}"),
            1 => format!("{pkg}/-/{file}"),
            2 => format!("{upper}x/-/{file}"),
            _ => format!("./y/-/../-/{file}"),
        };
        versions.insert(
            format!("1.0.{i}"),
            json!({"name": pkg.to_string(), "dist": {"tarball": link, "shasum": word}}),
        );
    }
    let doc = serde_json::to_vec(&json!({"name": pkg.to_string(), "versions": versions})).unwrap();
    match rewrite(&doc, &pkg, &base, ORIGIN, LOCAL) {
        Ok(out) => {
            check(&doc, &pkg, &base, &out);
            assert_eq!(out.tarballs.len(), words.len());
            for t in &out.tarballs {
                let file = t.local_path.rsplit('/').next().unwrap();
                let word = file.strip_suffix(".tgz").unwrap();
                assert!(words.iter().any(|w| w == word), "{file}: {words:?}");
            }
        }
        Err(Refused::NamesUpstream) => {
            let spelled = words
                .iter()
                .chain(std::iter::once(&pkg.to_string()))
                .any(|w| w.to_ascii_lowercase().contains(HOST));
            assert!(
                spelled,
                "refused a document that does not spell the host: {words:?}"
            );
        }
        Err(e) => panic!("{e}: {}", String::from_utf8_lossy(&doc)),
    }
});

/// The properties of an accepted document `input`.
fn check(input: &[u8], pkg: &PackageName, base: &Url, out: &Rewritten) {
    let body = String::from_utf8(out.body.clone()).expect("the body is UTF-8");
    let lower = body.to_ascii_lowercase();
    assert!(!lower.contains(HOST), "{body}");
    assert!(!body.contains(BASE), "{body}");

    // Only the tarball links changed, each to one reported tarball.
    let mut expected: Value = serde_json::from_slice(input).unwrap();
    let mut reported = out.tarballs.iter();
    let versions = expected.get_mut("versions").and_then(Value::as_object_mut);
    for version in versions.into_iter().flat_map(|v| v.values_mut()) {
        let Some(dist) = version.get_mut("dist").and_then(Value::as_object_mut) else {
            continue;
        };
        if dist.get("tarball").and_then(Value::as_str).is_none() {
            continue;
        }
        let t = reported.next().expect("a tarball link was not reported");
        check_integrity(dist, &t.integrity);
        dist.insert(
            "tarball".into(),
            Value::String(format!("{ORIGIN}{}", t.local_path)),
        );
    }
    assert!(reported.next().is_none(), "more tarballs than links");
    assert_eq!(serde_json::to_string(&expected).unwrap(), body);
    assert!(
        serde_json::from_slice::<Value>(&out.body)
            .unwrap()
            .is_object()
    );

    let prefix = format!("{LOCAL}-/{pkg}/-/");
    for t in &out.tarballs {
        let file = t
            .local_path
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{} is not under {prefix}", t.local_path));
        assert!(
            file.ends_with(".tgz") && !file.contains('/') && !file.starts_with('.'),
            "{file}"
        );
        assert!(!file.contains('%') && !file.contains('\\'), "{file}");
        let u = &t.upstream;
        assert_eq!(u.scheme(), base.scheme(), "{u}");
        assert_eq!(u.host_str(), base.host_str(), "{u}");
        assert_eq!(
            u.port_or_known_default(),
            base.port_or_known_default(),
            "{u}"
        );
        assert!(u.path().starts_with(base.path()), "{u}");
        assert!(
            u.path_segments().unwrap().next_back() == Some(file),
            "{u} is not {file}"
        );
    }
}

/// A parsed name stays one package: `name` or `@scope/name`, no empty, `.` or
/// `..` segment, and the registry form is a single path segment.
fn check_name(name: &PackageName) {
    let s = name.to_string();
    let segments: Vec<&str> = s.split('/').collect();
    assert!(segments.len() <= 2, "{s}");
    assert_eq!(segments.len() == 2, s.starts_with('@'), "{s}");
    assert!(
        segments
            .iter()
            .all(|p| !p.is_empty() && *p != "." && *p != ".." && *p != "@"),
        "{s}"
    );
    assert!(!s.contains('%') && !s.contains('\\'), "{s}");
    assert!(!name.registry_path().contains('/'), "{s}");
    assert_eq!(PackageName::parse(&s).as_ref(), Some(name), "{s}");
    assert_eq!(
        PackageName::parse(&name.registry_path()).as_ref(),
        Some(name)
    );
}

/// The integrity reported for a tarball is the strongest `dist` offers.
fn check_integrity(dist: &serde_json::Map<String, Value>, got: &Integrity) {
    let hex_or_unreadable = |h: &str, len: usize| {
        h.starts_with("unreadable-")
            || (h.len() == len && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
    };
    let sha512 = dist
        .get("integrity")
        .and_then(Value::as_str)
        .is_some_and(|i| i.split_ascii_whitespace().any(|e| e.starts_with("sha512-")));
    let shasum = dist.get("shasum").and_then(Value::as_str).is_some();
    match got {
        Integrity::Sha512(h) => assert!(sha512 && hex_or_unreadable(h, 128), "{h}"),
        Integrity::Sha1(h) => assert!(!sha512 && shasum && hex_or_unreadable(h, 40), "{h}"),
        Integrity::None => assert!(!sha512 && !shasum, "{dist:?}"),
    }
}
