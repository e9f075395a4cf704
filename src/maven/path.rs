//! Request paths of a Maven mount, normalised and validated before they become S3
//! keys. A path is decoded once, then must be plain relative segments: no `..` or
//! `.`, no empty segments, no backslashes, NUL or control characters, no leading
//! `/`, and no `%` left after decoding (so double encoding cannot smuggle
//! anything past the check). An encoded separator (`%2f`, `%5c`) is refused
//! rather than decoded: clients and caches treat `a%2fb` as one segment, so it
//! must not become the key `a/b`. The result can never name a key outside the
//! mount's prefix.

use std::fmt;

/// A validated path inside a mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoPath {
    segments: Vec<String>,
    /// The request ended in `/`: a directory listing.
    pub directory: bool,
}

/// Why a path was refused (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPath(pub &'static str);

impl fmt::Display for BadPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad repository path: {}", self.0)
    }
}

impl std::error::Error for BadPath {}

impl RepoPath {
    /// Parses the part of the URL path after `/maven/NAME/` (still percent-encoded).
    pub fn parse(raw: &str) -> Result<Self, BadPath> {
        if raw.starts_with('/') {
            return Err(BadPath("absolute path"));
        }
        let lower = raw.to_ascii_lowercase();
        if lower.contains("%2f") || lower.contains("%5c") {
            return Err(BadPath("encoded `/` or `\\`"));
        }
        let decoded = percent_decode(raw)?;
        if decoded.contains('%') {
            return Err(BadPath("encoded `%` (double encoding)"));
        }
        if decoded.contains('\\') {
            return Err(BadPath("backslash"));
        }
        if decoded.chars().any(char::is_control) {
            return Err(BadPath("control character"));
        }
        if decoded.starts_with('/') {
            return Err(BadPath("absolute path"));
        }
        let directory = decoded.is_empty() || decoded.ends_with('/');
        let body = decoded.strip_suffix('/').unwrap_or(&decoded);
        let mut segments = Vec::new();
        if !body.is_empty() {
            for segment in body.split('/') {
                match segment {
                    "" => return Err(BadPath("empty path segment")),
                    "." | ".." => return Err(BadPath("`.` or `..` segment")),
                    s if s.len() > 255 => return Err(BadPath("segment too long")),
                    s => segments.push(s.to_owned()),
                }
            }
        }
        Ok(Self {
            segments,
            directory,
        })
    }

    /// The S3 key under `prefix` (which may be empty or end without `/`).
    pub fn key(&self, prefix: &str) -> String {
        let prefix = prefix.trim_matches('/');
        let mut key = String::new();
        if !prefix.is_empty() {
            key.push_str(prefix);
            key.push('/');
        }
        key.push_str(&self.segments.join("/"));
        if self.directory && !self.segments.is_empty() {
            key.push('/');
        }
        key
    }

    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The file name (last segment), if this is a file.
    pub fn file_name(&self) -> Option<&str> {
        if self.directory {
            None
        } else {
            self.segments.last().map(String::as_str)
        }
    }
}

fn percent_decode(raw: &str) -> Result<String, BadPath> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .ok_or(BadPath("truncated percent escape"))?;
            let hex = std::str::from_utf8(hex).map_err(|_| BadPath("bad percent escape"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| BadPath("bad percent escape"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| BadPath("not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_paths_map_under_the_prefix() {
        let p = RepoPath::parse("com/example/lib/1.0/lib-1.0.jar").unwrap();
        assert_eq!(p.key("maven2"), "maven2/com/example/lib/1.0/lib-1.0.jar");
        assert_eq!(p.key("/maven2/"), "maven2/com/example/lib/1.0/lib-1.0.jar");
        assert_eq!(p.key(""), "com/example/lib/1.0/lib-1.0.jar");
        assert_eq!(p.file_name(), Some("lib-1.0.jar"));
        let d = RepoPath::parse("com/example/").unwrap();
        assert!(d.directory);
        assert_eq!(d.key("p"), "p/com/example/");
        assert_eq!(RepoPath::parse("").unwrap().key("p"), "p/");
        assert_eq!(RepoPath::parse("a%20b/c.pom").unwrap().key(""), "a b/c.pom");
        assert_eq!(
            RepoPath::parse("com/ex/1.0-SNAPSHOT/maven-metadata.xml")
                .unwrap()
                .segments()
                .len(),
            4
        );
    }

    #[test]
    fn hostile_paths_are_refused() {
        let hostile = [
            "../secret",
            "com/../../etc/passwd",
            "com/./lib.jar",
            "..",
            ".",
            "%2e%2e/secret",
            "%2E%2E/secret",
            "com/%2e%2e/%2e%2e/x",
            "%252e%252e/secret",
            "..%2fsecret",
            "%2e%2e%2fsecret",
            "com\\..\\x",
            "com%5c..%5cx",
            "/etc/passwd",
            "%2fetc/passwd",
            "com//lib.jar",
            "com/lib.jar%00.pom",
            "com/\0/x",
            "com/%0a/x",
            "com/%",
            "com/%zz",
            "com/%c3%28",
            "com%2fexample/lib.jar",
            "com%2Fexample/lib.jar",
            "com/1.0%2flib.jar",
            "com%5cexample/lib.jar",
        ];
        for path in hostile {
            let result = RepoPath::parse(path);
            assert!(result.is_err(), "{path:?} was accepted as {result:?}");
        }
    }
}
