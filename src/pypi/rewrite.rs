//! Rewriting PyPI index pages so every link points back through awsproxy.
//!
//! CodeArtifact's index pages (PEP 503 HTML and PEP 691 JSON) link to files on
//! the repository host. Those links are resolved against the page URL; the ones
//! under the upstream repository base become paths under the mount
//! (`/pypi/NAME/...`), so downloads come back through the proxy, the token is
//! added server-side, and no client ever sees the upstream host. Fragments
//! (`#sha256=...`) and other attributes are kept. Links elsewhere are left alone.

use std::ops::Range;

use url::Url;

use crate::html::{escape, unescape};

/// Maps upstream URLs to client-facing ones.
#[derive(Debug, Clone)]
pub struct LinkMap {
    /// The upstream repository base, ending in `/` (e.g. `https://d-1.d.codeartifact.../pypi/repo/`).
    pub upstream_base: Url,
    /// Where the same tree is served to clients, ending in `/` (e.g. `/pypi/corp/`).
    pub local_base: String,
}

impl LinkMap {
    /// The client-facing form of `href` found on the page at `page`.
    pub fn map(&self, page: &Url, href: &str) -> Option<String> {
        let mut absolute = page.join(href).ok()?;
        let fragment = absolute.fragment().map(str::to_owned);
        absolute.set_fragment(None);
        let rest = absolute
            .as_str()
            .strip_prefix(self.upstream_base.as_str())?;
        let mut out = format!("{}{rest}", self.local_base);
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(&f);
        }
        Some(out)
    }

    /// A `Location` header value from upstream, mapped the same way.
    pub fn map_location(&self, request_url: &Url, location: &str) -> Option<String> {
        self.map(request_url, location)
    }
}

/// Rewrites every `href` attribute of a PEP 503 page. Unmappable links stay as they are.
pub fn rewrite_html(page_url: &Url, html: &str, links: &LinkMap) -> String {
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for value in href_values(html) {
        out.push_str(&html[at..value.start]);
        let raw = &html[value.clone()];
        let mapped = links.map(page_url, &unescape(raw)).map(|m| escape(&m));
        out.push_str(mapped.as_deref().unwrap_or(raw));
        at = value.end;
    }
    out.push_str(&html[at..]);
    out
}

/// Where the value of every `href` attribute of a page lies (byte ranges, quotes
/// excluded, still HTML-escaped): the links [`rewrite_html`] maps, found the same
/// way by whoever reads the rewritten page.
pub fn href_values(html: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(value) = next_href_value(&html[at..]) {
        out.push(at + value.start..at + value.end);
        at += value.end;
    }
    out
}

/// The value of the first `href` attribute in `s` (quoted with `"` or `'`, or
/// unquoted up to whitespace or `>`).
fn next_href_value(s: &str) -> Option<Range<usize>> {
    let pos = find_href(s)?;
    let attr = &s[pos..];
    // attr starts at "href"; the value follows the '='.
    let eq = attr.find('=').map_or(attr.len(), |i| i + 1);
    let value_part = &attr[eq..];
    let trimmed = value_part.trim_start();
    let mut start = pos + eq + (value_part.len() - trimmed.len());
    let (quote, body) = match trimmed.chars().next() {
        Some(q @ ('"' | '\'')) => {
            start += 1;
            (Some(q), &trimmed[1..])
        }
        _ => (None, trimmed),
    };
    let len = match quote {
        Some(q) => body.find(q).unwrap_or(body.len()),
        None => body
            .find(|c: char| c.is_whitespace() || c == '>')
            .unwrap_or(body.len()),
    };
    Some(start..start + len)
}

/// Byte offset of the next `href` attribute name (case-insensitive, preceded by whitespace).
fn find_href(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        if bytes[i..i + 4].eq_ignore_ascii_case(b"href")
            && i > 0
            && bytes[i - 1].is_ascii_whitespace()
        {
            let after = s[i + 4..].trim_start();
            if after.starts_with('=') {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// Rewrites the `url` of every file in a PEP 691 JSON page (and any `meta` links).
pub fn rewrite_json(
    page_url: &Url,
    json: &[u8],
    links: &LinkMap,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut doc: serde_json::Value = serde_json::from_slice(json)?;
    if let Some(files) = doc.get_mut("files").and_then(|f| f.as_array_mut()) {
        for file in files {
            if let Some(url) = file.get_mut("url")
                && let Some(mapped) = url.as_str().and_then(|u| links.map(page_url, u))
            {
                *url = serde_json::Value::String(mapped);
            }
        }
    }
    // Project lists (the root page) carry no URLs in PEP 691; nothing else to map.
    serde_json::to_vec(&doc)
}

/// The expected sha256 (lowercase hex) in a link's `#sha256=` fragment.
pub fn sha256_fragment(href: &str) -> Option<String> {
    let (_, fragment) = href.split_once('#')?;
    fragment
        .split('&')
        .find_map(|kv| kv.strip_prefix("sha256="))
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "https://corp-123456789012.d.codeartifact.us-east-1.amazonaws.com";

    fn links() -> LinkMap {
        LinkMap {
            upstream_base: Url::parse(&format!("{HOST}/pypi/store/")).unwrap(),
            local_base: "/pypi/corp/".into(),
        }
    }

    fn page() -> Url {
        Url::parse(&format!("{HOST}/pypi/store/simple/requests/")).unwrap()
    }

    #[test]
    fn absolute_and_relative_links_come_back_through_the_mount() {
        let sha = "a".repeat(64);
        let html = format!(
            "<html><body>\n<a href=\"{HOST}/pypi/store/simple/requests/2.31.0/requests-2.31.0.tar.gz#sha256={sha}\" data-requires-python=\"&gt;=3.7\">requests-2.31.0.tar.gz</a>\n<A HREF='../../simple/requests/2.30.0/requests-2.30.0-py3-none-any.whl#sha256={sha}'>w</A>\n<a href=https://elsewhere.example/x.whl>x</a>\n</body></html>"
        );
        let out = rewrite_html(&page(), &html, &links());
        assert!(!out.contains("codeartifact"), "{out}");
        assert!(
            out.contains(&format!(
                "href=\"/pypi/corp/simple/requests/2.31.0/requests-2.31.0.tar.gz#sha256={sha}\""
            )),
            "{out}"
        );
        assert!(out.contains(&format!("HREF='/pypi/corp/simple/requests/2.30.0/requests-2.30.0-py3-none-any.whl#sha256={sha}'")), "{out}");
        assert!(
            out.contains("href=https://elsewhere.example/x.whl>"),
            "{out}"
        );
        assert!(out.contains("data-requires-python=\"&gt;=3.7\""));
    }

    #[test]
    fn escaped_ampersands_survive() {
        let html = format!("<a href=\"{HOST}/pypi/store/simple/p/f.whl?a=1&amp;b=2\">f</a>");
        let out = rewrite_html(&page(), &html, &links());
        assert_eq!(
            out,
            "<a href=\"/pypi/corp/simple/p/f.whl?a=1&amp;b=2\">f</a>"
        );
    }

    #[test]
    fn json_file_urls_are_rewritten() {
        let json = format!(
            r#"{{"meta":{{"api-version":"1.1"}},"name":"requests","files":[{{"filename":"r.whl","url":"{HOST}/pypi/store/simple/requests/2.31.0/r.whl","hashes":{{"sha256":"ab"}}}}]}}"#
        );
        let out =
            String::from_utf8(rewrite_json(&page(), json.as_bytes(), &links()).unwrap()).unwrap();
        assert!(!out.contains("codeartifact"), "{out}");
        assert!(
            out.contains("\"url\":\"/pypi/corp/simple/requests/2.31.0/r.whl\""),
            "{out}"
        );
        assert!(out.contains("\"api-version\":\"1.1\""));
    }

    #[test]
    fn locations_and_hashes() {
        assert_eq!(
            links()
                .map_location(&page(), &format!("{HOST}/pypi/store/simple/requests/"))
                .as_deref(),
            Some("/pypi/corp/simple/requests/")
        );
        let sha = "AB".repeat(32);
        assert_eq!(
            sha256_fragment(&format!("x.whl#sha256={sha}")),
            Some(sha.to_ascii_lowercase())
        );
        assert_eq!(sha256_fragment("x.whl#md5=abc"), None);
        assert_eq!(sha256_fragment("x.whl#sha256=short"), None);
    }

    /// Fuzzing regression: a file whose name spells the upstream host stays a
    /// path under the mount; only links to the upstream origin must go.
    #[test]
    fn a_file_named_like_the_host_is_only_a_path() {
        let name = "httpscorp-123456789012.d.codeartifact.us-east-1.amazonaws.com";
        let html = format!(
            "<a href=\"{HOST}/pypi/store/simple/pkg/{name}\">x</a> <a href='../{name}'>y</a>"
        );
        let out = rewrite_html(&page(), &html, &links());
        assert_eq!(
            out,
            format!(
                "<a href=\"/pypi/corp/simple/pkg/{name}\">x</a> <a href='/pypi/corp/simple/{name}'>y</a>"
            )
        );
        assert!(!out.contains(HOST));
    }

    #[test]
    fn odd_markup_does_not_panic() {
        for html in [
            "<a href",
            "<a href=",
            "<a href=\"unterminated",
            "href=x",
            "<a  href = 'x'>",
            "\u{e9}<a href=\"\u{e9}\">",
        ] {
            let _ = rewrite_html(&page(), html, &links());
        }
    }
}
