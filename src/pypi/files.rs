//! The files a rewritten index page links to: what a mount serves under `+f/`
//! (and `+fb/`), and the `#sha256=` each download is checked against.
//!
//! A mount fetches upstream only the file paths it found on a page it rewrote
//! itself, so `+f/PKG/<any path>` cannot make it fetch (and hand over) other
//! upstream URLs, such as raw pages that name the repository host. The list is
//! kept in memory; a link that isn't on it (a lockfile's URL, after a restart)
//! sends the mount back to the project page, which pip reads anyway.
//!
//! Paths are kept as the router hands request paths over: percent-decoded,
//! without query or fragment, so a link and a request that encode a character
//! differently (`+` or `%2B`) name one file.

use url::Url;

use super::page::Link;

/// One file a page links to under the mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLink {
    /// The client-facing path (see the module docs for its form).
    pub path: String,
    /// Lowercase hex, when the page gives one.
    pub sha256: Option<String>,
}

/// Every link of a rewritten page (see [`super::page`]) under `prefix` (e.g.
/// `/pypi/NAME/+f/`), and the PEP 658 metadata file (`FILE.metadata`) of each
/// link that has one.
pub fn file_links(links: &[Link], prefix: &str) -> Vec<FileLink> {
    let mut out = Vec::new();
    for link in links {
        let path = link_path(&link.href);
        if !path.starts_with(prefix) {
            continue;
        }
        if let Some(sha) = &link.metadata {
            out.push(FileLink {
                path: format!("{path}.metadata"),
                sha256: sha.clone(),
            });
        }
        out.push(FileLink {
            path,
            sha256: link.sha256.clone(),
        });
    }
    out
}

/// A link's path as the mount keys it: no fragment, no query, percent-decoded.
pub fn link_path(href: &str) -> String {
    let path = href.split(['#', '?']).next().unwrap_or_default();
    percent_decode(path)
}

/// `base` + `rest` (a path under a mount's `+f/PKG/`), only if the result stays
/// under `base`: the upstream URL of a listed file.
pub fn upstream_url(base: &Url, rest: &str) -> Option<Url> {
    let url = Url::parse(&format!("{}{rest}", base.as_str())).ok()?;
    url.as_str().starts_with(base.as_str()).then_some(url)
}

/// `%XX` to bytes (invalid escapes stay as written), then UTF-8 (lossy).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(&h), Some(&l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(h), Some(l)) = (hex(h), hex(l))
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pypi::page::Page;

    fn links_of(page: &[u8], json: bool) -> Vec<FileLink> {
        file_links(&Page::parse(page, json).unwrap().links, PREFIX)
    }

    const PREFIX: &str = "/pypi/c/+f/";

    fn link(path: &str, sha: Option<&str>) -> FileLink {
        FileLink {
            path: path.to_owned(),
            sha256: sha.map(str::to_owned),
        }
    }

    #[test]
    fn html_links_hashes_and_metadata_files() {
        let h = "a".repeat(64);
        let m = "B".repeat(64);
        let html = format!(
            "<a href=\"/pypi/c/+f/p/x.whl#sha256={h}\" data-dist-info-metadata=\"sha256={m}\">x</a>\
             <a data-core-metadata=true href='/pypi/c/+f/p/y.tar.gz'>no hash</a>\
             <a href=/pypi/c/+f/p/z%2B1.whl?x=1&amp;y=2 data-core-metadata=\"false\">z</a>\
             <a href=\"/pypi/c/simple/p/\">a page</a> <a href=\"https://elsewhere.example/w.whl\">w</a>"
        );
        assert_eq!(
            links_of(html.as_bytes(), false),
            vec![
                link("/pypi/c/+f/p/x.whl.metadata", Some(&m.to_ascii_lowercase())),
                link("/pypi/c/+f/p/x.whl", Some(&h)),
                link("/pypi/c/+f/p/y.tar.gz.metadata", None),
                link("/pypi/c/+f/p/y.tar.gz", None),
                link("/pypi/c/+f/p/z+1.whl", None),
            ]
        );
    }

    #[test]
    fn json_links_hashes_and_metadata_files() {
        let h = "c".repeat(64);
        let json = format!(
            r#"{{"files":[
                {{"url":"/pypi/c/+f/p/a.whl","hashes":{{"sha256":"{h}"}},"core-metadata":{{"sha256":"{h}"}}}},
                {{"url":"/pypi/c/+f/p/b.whl","hashes":{{}},"dist-info-metadata":true}},
                {{"url":"/pypi/c/+f/p/c.whl","hashes":{{"sha256":"short"}},"core-metadata":false}},
                {{"url":"/elsewhere/d.whl"}},
                {{"url":7}}]}}"#
        );
        assert_eq!(
            links_of(json.as_bytes(), true),
            vec![
                link("/pypi/c/+f/p/a.whl.metadata", Some(&h)),
                link("/pypi/c/+f/p/a.whl", Some(&h)),
                link("/pypi/c/+f/p/b.whl.metadata", None),
                link("/pypi/c/+f/p/b.whl", None),
                link("/pypi/c/+f/p/c.whl", None),
            ]
        );
    }

    #[test]
    fn paths_are_decoded_without_query_or_fragment() {
        assert_eq!(link_path("/a/b%2Bc%20d.whl?q=1#sha256=x"), "/a/b+c d.whl");
        assert_eq!(link_path("/a/%zz%4"), "/a/%zz%4");
        assert_eq!(link_path("/a/%C3%A9"), "/a/\u{e9}");
    }

    #[test]
    fn upstream_urls_stay_under_the_base() {
        let base = Url::parse("https://d-1.example/pypi/repo/").unwrap();
        assert_eq!(
            upstream_url(&base, "simple/a/1/a.whl").unwrap().as_str(),
            "https://d-1.example/pypi/repo/simple/a/1/a.whl"
        );
        assert!(upstream_url(&base, "../other/x").is_none());
        assert!(upstream_url(&base, "%2e%2e/other/x").is_none());
    }
}
