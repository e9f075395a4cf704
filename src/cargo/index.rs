//! Crate names, their sparse index paths, index files and `dl` templates.

/// Longest crate name crates.io accepts.
const MAX_NAME: usize = 64;

/// A crate name as registries accept it: ASCII letters, digits, `-` and `_`,
/// starting with a letter, at most 64 characters.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_NAME
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The index file path of `name` (lower-cased): `1/a`, `2/ab`, `3/a/abc`,
/// `ab/cd/abcd…`; `None` for an invalid name.
pub fn index_path(name: &str) -> Option<String> {
    if !valid_name(name) {
        return None;
    }
    let n = name.to_ascii_lowercase();
    Some(match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    })
}

/// The crate name of an index file path, if `path` is exactly the index path
/// of a valid name (anything else, `..` included, is refused).
pub fn name_of_index_path(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    (index_path(name).as_deref() == Some(path)).then_some(name)
}

/// One line of an index file (the fields the proxy reads).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct IndexLine {
    pub name: String,
    pub vers: String,
    /// sha256 of the `.crate`, lower-case hex.
    pub cksum: String,
    #[serde(default)]
    pub yanked: bool,
}

/// The line of `version` of crate `name` in an index file (one JSON object
/// per line; unreadable lines are skipped), with a well-formed checksum.
pub fn find_version(file: &[u8], name: &str, version: &str) -> Option<IndexLine> {
    file.split(|b| *b == b'\n')
        .filter_map(|l| serde_json::from_slice::<IndexLine>(l).ok())
        .find(|l| l.name.eq_ignore_ascii_case(name) && l.vers == version)
        .filter(|l| is_sha256_hex(&l.cksum))
        .map(|mut l| {
            l.cksum.make_ascii_lowercase();
            l
        })
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A version string that is safe in a URL path segment (SemVer characters only).
pub fn valid_version(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && !v.starts_with('.')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
        && !v.contains("..")
}

const MARKERS: [&str; 5] = [
    "{crate}",
    "{version}",
    "{prefix}",
    "{lowerprefix}",
    "{sha256-checksum}",
];

/// The download URL of a `.crate` from a `dl` template: the markers replaced,
/// or `/{crate}/{version}/download` appended when the template has none.
pub fn dl_url(template: &str, name: &str, version: &str, cksum: &str) -> String {
    if !MARKERS.iter().any(|m| template.contains(m)) {
        return format!(
            "{}/{name}/{version}/download",
            template.trim_end_matches('/')
        );
    }
    let prefix = prefix(name);
    template
        .replace("{crate}", name)
        .replace("{version}", version)
        .replace("{lowerprefix}", &prefix.to_ascii_lowercase())
        .replace("{prefix}", &prefix)
        .replace("{sha256-checksum}", cksum)
}

/// The directory part of the index path, in the name's own case (`{prefix}`).
fn prefix(name: &str) -> String {
    match name.len() {
        0 => String::new(),
        1 => "1".to_owned(),
        2 => "2".to_owned(),
        3 => format!("3/{}", &name[..1]),
        _ => format!("{}/{}", &name[..2], &name[2..4]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert_eq!(index_path("a").as_deref(), Some("1/a"));
        assert_eq!(index_path("ab").as_deref(), Some("2/ab"));
        assert_eq!(index_path("abc").as_deref(), Some("3/a/abc"));
        assert_eq!(
            index_path("Serde_JSON").as_deref(),
            Some("se/rd/serde_json")
        );
        for bad in ["", "1a", "-a", "a/b", "..", "a.b", "a b", &"a".repeat(65)] {
            assert!(index_path(bad).is_none(), "{bad}");
        }
        assert_eq!(name_of_index_path("se/rd/serde"), Some("serde"));
        assert_eq!(name_of_index_path("3/a/abc"), Some("abc"));
        for bad in [
            "se/rd/../serde",
            "../rd/serde",
            "xx/yy/serde",
            "1/ab",
            "se/rd/Serde",
            "se/rd/serde/",
            "config.json",
            "",
        ] {
            assert!(name_of_index_path(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn versions_and_checksums() {
        let sum = "ab".repeat(32);
        let file = format!(
            "{{\"name\":\"foo\",\"vers\":\"0.1.0\",\"cksum\":\"{}\",\"deps\":[],\"features\":{{}}}}\nnot json\n{{\"name\":\"foo\",\"vers\":\"0.2.0\",\"cksum\":\"{}\",\"yanked\":true}}\n{{\"name\":\"foo\",\"vers\":\"0.3.0\",\"cksum\":\"short\"}}\n",
            "cd".repeat(32),
            sum.to_uppercase()
        );
        let l = find_version(file.as_bytes(), "foo", "0.2.0").unwrap();
        assert_eq!(l.cksum, sum);
        assert!(l.yanked);
        assert_eq!(
            find_version(file.as_bytes(), "foo", "0.1.0").unwrap().cksum,
            "cd".repeat(32)
        );
        assert!(find_version(file.as_bytes(), "foo", "0.3.0").is_none());
        assert!(find_version(file.as_bytes(), "foo", "9.9.9").is_none());
        assert!(valid_version("1.0.0-rc.1+build.5"));
        for bad in ["", "../x", "1/2", "1..2", ".1", "1%2e"] {
            assert!(!valid_version(bad), "{bad}");
        }
    }

    #[test]
    fn dl_templates() {
        assert_eq!(
            dl_url("https://h/api/v1/crates", "foo", "1.0.0", "x"),
            "https://h/api/v1/crates/foo/1.0.0/download"
        );
        assert_eq!(
            dl_url("https://h/api/v1/crates/", "foo", "1.0.0", "x"),
            "https://h/api/v1/crates/foo/1.0.0/download"
        );
        assert_eq!(
            dl_url(
                "https://h/{prefix}/{lowerprefix}/{crate}/{crate}-{version}.crate?{sha256-checksum}",
                "FooBar",
                "1.0.0",
                "abc"
            ),
            "https://h/Fo/oB/fo/ob/FooBar/FooBar-1.0.0.crate?abc"
        );
        assert_eq!(
            dl_url("https://h/{prefix}/{crate}", "abc", "1", "s"),
            "https://h/3/a/abc"
        );
    }
}
