//! Package documents (`GET /PKG`, full or abbreviated
//! `application/vnd.npm.install-v1+json`): every `versions.*.dist.tarball`
//! is rewritten to the mount (`BASE-/PKG/-/FILE.tgz`) and reported with the
//! integrity the document gave it, the only check a download gets.

use base64::Engine as _;
use serde_json::Value;
use url::Url;

use super::names::PackageName;

/// What a download must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// `dist.integrity`'s `sha512-<base64>`, as lowercase hex.
    Sha512(String),
    /// `dist.shasum`, lowercase hex.
    Sha1(String),
    /// The document gave neither.
    None,
}

/// One tarball the rewritten document links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tarball {
    /// Client-facing path (what the mount is asked for), e.g.
    /// `/npm/NAME/-/@s/p/-/p-1.0.0.tgz`.
    pub local_path: String,
    /// Where the document said it is.
    pub upstream: Url,
    pub integrity: Integrity,
}

/// A document ready for the client.
#[derive(Debug)]
pub struct Rewritten {
    pub body: Vec<u8>,
    pub tarballs: Vec<Tarball>,
}

/// Why a document was not passed on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the document is not a JSON object")]
    NotJson,
    #[error("a tarball link is not under the repository")]
    LinksOutside,
    #[error("a tarball file name is not a plain `.tgz` name")]
    BadFileName,
    #[error("the document still names the repository's host")]
    NamesUpstream,
}

/// Rewrites `doc` (the document of `pkg` from the repository at
/// `upstream_base`) for a client that reaches the mount at `origin`
/// (`http://host:port`) and `local_base` (`/npm/NAME/`).
///
/// Tarballs must lie under `upstream_base` (the token goes with their
/// download); after rewriting, the upstream host (and port) must appear nowhere.
pub fn rewrite(
    doc: &[u8],
    pkg: &PackageName,
    upstream_base: &Url,
    origin: &str,
    local_base: &str,
) -> Result<Rewritten, Refused> {
    let mut value: Value = serde_json::from_slice(doc).map_err(|_| Refused::NotJson)?;
    let mut tarballs = Vec::new();
    let versions = value
        .as_object_mut()
        .ok_or(Refused::NotJson)?
        .get_mut("versions")
        .and_then(Value::as_object_mut);
    for version in versions.into_iter().flat_map(|v| v.values_mut()) {
        let Some(dist) = version.get_mut("dist").and_then(Value::as_object_mut) else {
            continue;
        };
        let Some(link) = dist.get("tarball").and_then(Value::as_str) else {
            continue;
        };
        let upstream = upstream_base
            .join(link)
            .map_err(|_| Refused::LinksOutside)?;
        if !under(&upstream, upstream_base) {
            return Err(Refused::LinksOutside);
        }
        let file = upstream
            .path_segments()
            .and_then(|mut s| s.next_back())
            .filter(|f| file_ok(f))
            .ok_or(Refused::BadFileName)?
            .to_owned();
        let local_path = format!("{local_base}-/{pkg}/-/{file}");
        let integrity = integrity(dist);
        dist.insert(
            "tarball".to_owned(),
            Value::String(format!("{origin}{local_path}")),
        );
        tarballs.push(Tarball {
            local_path,
            upstream,
            integrity,
        });
    }
    let body = serde_json::to_vec(&value).map_err(|_| Refused::NotJson)?;
    // Host and port, so a client on the same host (another port) is no match.
    let authority = &upstream_base[url::Position::BeforeHost..url::Position::AfterPort];
    if contains_ignore_case(&body, authority.as_bytes()) {
        return Err(Refused::NamesUpstream);
    }
    Ok(Rewritten { body, tarballs })
}

/// The strongest check `dist` offers: a `sha512-` entry of `integrity` (a
/// space-separated list), else `shasum`.
fn integrity(dist: &serde_json::Map<String, Value>) -> Integrity {
    let sri = dist.get("integrity").and_then(Value::as_str).unwrap_or("");
    for entry in sri.split_ascii_whitespace() {
        if let Some(b64) = entry.strip_prefix("sha512-") {
            let b64 = b64.split('?').next().unwrap_or_default();
            if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64)
                && raw.len() == 64
            {
                return Integrity::Sha512(hex::encode(raw));
            }
            // An unreadable sha512 entry must not fall back to a weaker check.
            return Integrity::Sha512(format!("unreadable-{b64}"));
        }
    }
    match dist.get("shasum").and_then(Value::as_str) {
        Some(h) if h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Integrity::Sha1(h.to_ascii_lowercase())
        }
        Some(h) => Integrity::Sha1(format!("unreadable-{h}")),
        None => Integrity::None,
    }
}

fn under(url: &Url, base: &Url) -> bool {
    url.scheme() == base.scheme()
        && url.host_str().map(str::to_ascii_lowercase)
            == base.host_str().map(str::to_ascii_lowercase)
        && url.port_or_known_default() == base.port_or_known_default()
        && url.path().starts_with(base.path())
        && !url.path().split('/').any(|s| s == ".." || s == ".")
}

/// A plain file name ending in `.tgz`.
fn file_ok(f: &str) -> bool {
    f.len() > 4
        && f.ends_with(".tgz")
        && !f.starts_with('.')
        && f.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+'))
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://d-1.d.codeartifact.us-east-1.amazonaws.com/npm/r/";

    fn doc(tarball: &str, dist_extra: &str) -> Vec<u8> {
        format!(
            r#"{{"name":"@s/p","versions":{{"1.0.0":{{"name":"@s/p","dist":{{"tarball":"{tarball}"{dist_extra}}}}}}}}}"#
        )
        .into_bytes()
    }

    fn run(doc: &[u8]) -> Result<Rewritten, Refused> {
        rewrite(
            doc,
            &PackageName::parse("@s/p").unwrap(),
            &Url::parse(BASE).unwrap(),
            "http://127.0.0.1:9000",
            "/npm/main/",
        )
    }

    #[test]
    fn tarballs_point_at_the_mount_with_their_integrity() {
        let sha512 = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        let d = doc(
            &format!("{BASE}@s/p/-/p-1.0.0.tgz"),
            &format!(
                r#","integrity":"sha1-xx sha512-{sha512}","shasum":"{}""#,
                "a".repeat(40)
            ),
        );
        let out = run(&d).unwrap();
        let body = String::from_utf8(out.body).unwrap();
        assert!(
            body.contains("\"http://127.0.0.1:9000/npm/main/-/@s/p/-/p-1.0.0.tgz\""),
            "{body}"
        );
        assert!(!body.contains("amazonaws"));
        assert_eq!(out.tarballs.len(), 1);
        let t = &out.tarballs[0];
        assert_eq!(t.local_path, "/npm/main/-/@s/p/-/p-1.0.0.tgz");
        assert_eq!(t.upstream.as_str(), format!("{BASE}@s/p/-/p-1.0.0.tgz"));
        assert_eq!(t.integrity, Integrity::Sha512(hex::encode([7u8; 64])));
    }

    #[test]
    fn shasum_when_there_is_no_sha512_and_none_without_either() {
        let tgz = format!("{BASE}p/-/p-1.0.0.tgz");
        let sha1 = "AB".repeat(20);
        let out = run(&doc(&tgz, &format!(r#","shasum":"{sha1}""#))).unwrap();
        assert_eq!(out.tarballs[0].integrity, Integrity::Sha1("ab".repeat(20)));
        let out = run(&doc(&tgz, "")).unwrap();
        assert_eq!(out.tarballs[0].integrity, Integrity::None);
        let out = run(&doc(&tgz, r#","integrity":"sha512-!!","shasum":"x""#)).unwrap();
        assert!(
            matches!(&out.tarballs[0].integrity, Integrity::Sha512(h) if h.starts_with("unreadable"))
        );
    }

    #[test]
    fn links_elsewhere_and_odd_names_are_refused() {
        for (link, why) in [
            (
                "https://evil.example/npm/r/p/-/p-1.0.0.tgz",
                Refused::LinksOutside,
            ),
            (
                "http://d-1.d.codeartifact.us-east-1.amazonaws.com/npm/r/p/-/p.tgz",
                Refused::LinksOutside,
            ),
            (
                "https://d-1.d.codeartifact.us-east-1.amazonaws.com/npm/other/p.tgz",
                Refused::LinksOutside,
            ),
            (
                "https://d-1.d.codeartifact.us-east-1.amazonaws.com/npm/r/p/-/p.tar",
                Refused::BadFileName,
            ),
            (
                "https://d-1.d.codeartifact.us-east-1.amazonaws.com/npm/r/p/-/",
                Refused::BadFileName,
            ),
        ] {
            assert_eq!(run(&doc(link, "")).unwrap_err(), why, "{link}");
        }
        assert_eq!(run(b"[1]").unwrap_err(), Refused::NotJson);
        assert_eq!(run(b"not json").unwrap_err(), Refused::NotJson);
        let leaky = br#"{"name":"p","readme":"see d-1.d.codeartifact.us-east-1.amazonaws.com"}"#;
        assert_eq!(run(leaky).unwrap_err(), Refused::NamesUpstream);
    }

    #[test]
    fn a_document_without_versions_passes_unchanged() {
        let out = run(br#"{"name":"p","dist-tags":{}}"#).unwrap();
        assert!(out.tarballs.is_empty());
    }
}
