//! What a Maven repository path is: its `Content-Type`, whether it can change
//! (metadata and `-SNAPSHOT` paths are revalidated; releases are immutable), and
//! whether it is itself a checksum or signature sidecar. Pure functions.

/// The `Content-Type` served for a file name (by extension, not by whatever the
/// uploader stored in S3, which is often `application/octet-stream`).
pub fn content_type(file_name: &str) -> &'static str {
    let lower = file_name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "jar" | "war" | "ear" | "aar" => "application/java-archive",
        "pom" | "xml" => "application/xml",
        "module" | "json" => "application/json",
        "sha1" | "sha256" | "sha512" | "md5" | "txt" => "text/plain; charset=utf-8",
        "asc" => "application/pgp-signature",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        _ => "application/octet-stream",
    }
}

/// Checksum and signature extensions: small files next to an artifact.
const SIDECARS: [&str; 5] = [".sha1", ".sha256", ".sha512", ".md5", ".asc"];

/// Is `file_name` a checksum or signature of another file?
pub fn is_sidecar(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    SIDECARS.iter().any(|s| lower.ends_with(s))
}

/// Can the file at `segments` change over time? `maven-metadata.xml` (and its
/// checksums) and anything under a `-SNAPSHOT` version can; releases can't.
pub fn is_mutable(segments: &[String]) -> bool {
    let Some((file, dirs)) = segments.split_last() else {
        return true;
    };
    file.starts_with("maven-metadata") || dirs.iter().any(|d| d.ends_with("-SNAPSHOT"))
}

/// The hex digest in a checksum sidecar (`<hex>` or `<hex>  file-name`), lowercased,
/// if it has the length `hex_len` and only hex digits.
pub fn parse_sidecar(text: &[u8], hex_len: usize) -> Option<String> {
    let text = std::str::from_utf8(text).ok()?;
    let token = text.split_whitespace().next()?;
    (token.len() == hex_len && token.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| token.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        p.split('/').map(str::to_owned).collect()
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("lib-1.0.jar"), "application/java-archive");
        assert_eq!(content_type("lib-1.0.pom"), "application/xml");
        assert_eq!(content_type("maven-metadata.xml"), "application/xml");
        assert_eq!(content_type("lib-1.0.module"), "application/json");
        assert_eq!(
            content_type("lib-1.0.jar.sha1"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(content_type("lib-1.0.jar.asc"), "application/pgp-signature");
        assert_eq!(content_type("README"), "application/octet-stream");
        assert_eq!(content_type("page.html"), "application/octet-stream");
    }

    #[test]
    fn mutability() {
        assert!(is_mutable(&segs("com/ex/lib/maven-metadata.xml")));
        assert!(is_mutable(&segs("com/ex/lib/maven-metadata.xml.sha1")));
        assert!(is_mutable(&segs(
            "com/ex/lib/1.0-SNAPSHOT/lib-1.0-20240101.jar"
        )));
        assert!(!is_mutable(&segs("com/ex/lib/1.0/lib-1.0.jar")));
        assert!(is_sidecar("lib.jar.SHA256"));
        assert!(!is_sidecar("lib.jar"));
    }

    #[test]
    fn sidecars_parse() {
        let h = "a".repeat(40);
        assert_eq!(parse_sidecar(h.as_bytes(), 40), Some(h.clone()));
        assert_eq!(
            parse_sidecar(format!("{}  lib.jar\n", h.to_uppercase()).as_bytes(), 40),
            Some(h)
        );
        assert_eq!(parse_sidecar(b"zz", 40), None);
        assert_eq!(parse_sidecar(b"", 64), None);
        assert_eq!(parse_sidecar(&[0xff, 0xfe], 64), None);
    }
}
