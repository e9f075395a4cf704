//! The one model of a PyPI Simple page (PEP 503 HTML or PEP 691 JSON): its
//! links, each with the file's sha256 and its PEP 658 metadata hash, parsed
//! once. The rewriter ([`super::rewrite`]), the files a mount serves and checks
//! ([`super::files`]) and the fallback's origins all read this model, so they
//! agree on what a link is (an unquoted `href=` included).
//!
//! HTML is read by a small hand tokenizer of `href` attributes (what the Simple
//! API puts on a page is `<a>` tags only); it never fails, and the
//! `index_rewrite` fuzz target checks that a page parsed again after rewriting
//! gives the same links.

use std::ops::Range;
use std::sync::LazyLock;

use crate::html::{escape, unescape};

/// One link of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// As the page wrote it, HTML references decoded.
    pub href: String,
    /// Lowercase hex: the `#sha256=` fragment (HTML) or `hashes.sha256` (JSON).
    pub sha256: Option<String>,
    /// `Some` when the page says the file has a PEP 658 metadata file
    /// (`FILE.metadata`), with its sha256 when given.
    pub metadata: Option<Option<String>>,
}

/// A parsed page.
#[derive(Debug, Clone)]
pub struct Page {
    body: Body,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone)]
enum Body {
    /// The text and where each link's `href` value lies (quotes excluded,
    /// still escaped), one per link.
    Html {
        text: String,
        spans: Vec<Range<usize>>,
    },
    /// The document and, per link, its index in `files`.
    Json {
        doc: serde_json::Value,
        files: Vec<usize>,
    },
}

impl Page {
    /// Parses `bytes` as JSON (`json`) or HTML (lossy UTF-8; never fails).
    pub fn parse(bytes: &[u8], json: bool) -> Result<Self, serde_json::Error> {
        if json {
            Ok(Self::json(serde_json::from_slice(bytes)?))
        } else {
            Ok(Self::html(String::from_utf8_lossy(bytes).into_owned()))
        }
    }

    /// An HTML page (this never fails).
    pub fn html(text: String) -> Self {
        let spans = href_values(&text);
        let links = spans
            .iter()
            .enumerate()
            .map(|(i, span)| {
                let href = unescape(&text[span.clone()]);
                // The tag's other attributes lie between the neighbouring values.
                let after_previous = i.checked_sub(1).map_or(0, |p| spans[p].end);
                let before_next = spans.get(i + 1).map_or(text.len(), |n| n.start);
                Link {
                    sha256: sha256_fragment(&href),
                    metadata: html_metadata(&text, span, after_previous..before_next),
                    href,
                }
            })
            .collect();
        Self {
            body: Body::Html { text, spans },
            links,
        }
    }

    fn json(doc: serde_json::Value) -> Self {
        let mut files = Vec::new();
        let mut links = Vec::new();
        for (i, f) in doc["files"].as_array().into_iter().flatten().enumerate() {
            let Some(url) = f["url"].as_str() else {
                continue;
            };
            let metadata = ["core-metadata", "dist-info-metadata"]
                .iter()
                .find_map(|k| match &f[*k] {
                    serde_json::Value::Bool(true) => Some(None),
                    serde_json::Value::Object(h) => Some(
                        h.get("sha256")
                            .and_then(|v| v.as_str())
                            .and_then(hex_sha256),
                    ),
                    _ => None,
                });
            files.push(i);
            links.push(Link {
                href: url.to_owned(),
                sha256: f["hashes"]["sha256"].as_str().and_then(hex_sha256),
                metadata,
            });
        }
        Self {
            body: Body::Json { doc, files },
            links,
        }
    }

    /// The page with each link's `href` replaced by what `map` gives for it
    /// (links it gives `None` for stay as they are), and the links as the
    /// rewritten page has them.
    pub fn rewrite(&self, mut map: impl FnMut(&Link) -> Option<String>) -> (Vec<u8>, Vec<Link>) {
        let mut links = self.links.clone();
        match &self.body {
            Body::Html { text, spans } => {
                let mut out = String::with_capacity(text.len());
                let mut at = 0;
                for (span, link) in spans.iter().zip(links.iter_mut()) {
                    out.push_str(&text[at..span.start]);
                    match map(link) {
                        Some(mapped) => {
                            out.push_str(&escape(&mapped));
                            // The hash the client will see (and check) is the
                            // rewritten link's.
                            link.sha256 = sha256_fragment(&mapped).or(link.sha256.take());
                            link.href = mapped;
                        }
                        None => out.push_str(&text[span.clone()]),
                    }
                    at = span.end;
                }
                out.push_str(&text[at..]);
                (out.into_bytes(), links)
            }
            Body::Json { doc, files } => {
                let mut doc = doc.clone();
                for (i, link) in files.iter().zip(links.iter_mut()) {
                    if let Some(mapped) = map(link) {
                        doc["files"][*i]["url"] = serde_json::Value::String(mapped.clone());
                        link.href = mapped;
                    }
                }
                // Serialising a `Value` does not fail.
                (serde_json::to_vec(&doc).unwrap_or_default(), links)
            }
        }
    }
}

/// The expected sha256 (lowercase hex) in a link's `#sha256=` fragment.
pub fn sha256_fragment(href: &str) -> Option<String> {
    let (_, fragment) = href.split_once('#')?;
    fragment
        .split('&')
        .find_map(|kv| kv.strip_prefix("sha256="))
        .and_then(hex_sha256)
}

fn hex_sha256(h: &str) -> Option<String> {
    (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).then(|| h.to_ascii_lowercase())
}

/// `data-core-metadata` / `data-dist-info-metadata` of the tag around `span`,
/// looked for inside `within` (which holds no other link's `href` value).
fn html_metadata(text: &str, span: &Range<usize>, within: Range<usize>) -> Option<Option<String>> {
    static META: LazyLock<Option<regex_lite::Regex>> = LazyLock::new(|| {
        regex_lite::Regex::new(
            r#"(?i)\sdata-(?:core|dist-info)-metadata\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))"#,
        )
        .ok()
    });
    let start = text[within.start..span.start]
        .rfind('<')
        .map_or(within.start, |i| within.start + i);
    // A tag ends at its `>`, or where the next one starts if it never closes.
    let end = text[span.end..within.end]
        .find(['>', '<'])
        .map_or(within.end, |i| span.end + i);
    // The tag around the `href` value, never the value itself: an attribute
    // spelled inside a quoted value is not an attribute.
    let meta = META.as_ref()?;
    let c = meta
        .captures(&text[start..span.start])
        .or_else(|| meta.captures(&text[span.end..end]))?;
    let v = unescape(c.get(1).or(c.get(2)).or(c.get(3))?.as_str());
    match v.to_ascii_lowercase().as_str() {
        "" | "false" => None,
        v => Some(v.strip_prefix("sha256=").and_then(hex_sha256)),
    }
}

/// Where the value of every `href` attribute of a page lies (byte ranges,
/// quotes excluded, still HTML-escaped).
fn href_values(html: &str) -> Vec<Range<usize>> {
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

/// Truncated and odd markup that every parser and rewriter of pages must take.
#[cfg(test)]
pub(crate) const ODD_MARKUP: [&str; 6] = [
    "<a href",
    "<a href=",
    "<a href=\"unterminated",
    "href=x",
    "<a  href = 'x'>",
    "\u{e9}<a href=\"\u{e9}\">",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn link(href: &str, sha: Option<&str>, metadata: Option<Option<&str>>) -> Link {
        Link {
            href: href.to_owned(),
            sha256: sha.map(str::to_owned),
            metadata: metadata.map(|m| m.map(str::to_owned)),
        }
    }

    #[test]
    fn html_links_quoted_or_not_with_hashes_and_metadata() {
        let h = "a".repeat(64);
        let m = "B".repeat(64);
        let html = format!(
            "<a href=\"x.whl#sha256={h}\" data-dist-info-metadata=\"sha256={m}\">x</a>\
             <a data-core-metadata=true href='y.tar.gz'>y</a>\
             <a href=https://files.example/z.whl#sha256={h} data-core-metadata=\"false\">z</a>\
             <a href=\"q?a=1&amp;b=2\">q</a>"
        );
        let page = Page::parse(html.as_bytes(), false).unwrap();
        assert_eq!(
            page.links,
            vec![
                link(
                    &format!("x.whl#sha256={h}"),
                    Some(&h),
                    Some(Some(&m.to_ascii_lowercase()))
                ),
                link("y.tar.gz", None, Some(None)),
                link(
                    &format!("https://files.example/z.whl#sha256={h}"),
                    Some(&h),
                    None
                ),
                link("q?a=1&b=2", None, None),
            ]
        );
    }

    #[test]
    fn rewriting_replaces_only_mapped_links_and_reports_them() {
        let html = "<a href=a>a</a> <a href='b'>b</a> <a href=\"c\" x=y>c</a>";
        let page = Page::parse(html.as_bytes(), false).unwrap();
        let (out, links) = page.rewrite(|l| (l.href != "b").then(|| format!("/m/{}&", l.href)));
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            "<a href=/m/a&amp;>a</a> <a href='b'>b</a> <a href=\"/m/c&amp;\" x=y>c</a>"
        );
        let hrefs: Vec<_> = links.iter().map(|l| l.href.as_str()).collect();
        assert_eq!(hrefs, ["/m/a&", "b", "/m/c&"]);
        let again = Page::parse(out.as_bytes(), false).unwrap();
        assert_eq!(again.links, links);
    }

    #[test]
    fn json_links_and_their_rewrite() {
        let h = "c".repeat(64);
        let json = format!(
            r#"{{"meta":{{"api-version":"1.1"}},"files":[
                {{"url":"a.whl","hashes":{{"sha256":"{h}"}},"core-metadata":{{"sha256":"{h}"}}}},
                {{"url":7}},
                {{"url":"b.whl","hashes":{{"sha256":"short"}},"dist-info-metadata":true}}]}}"#
        );
        let page = Page::parse(json.as_bytes(), true).unwrap();
        assert_eq!(
            page.links,
            vec![
                link("a.whl", Some(&h), Some(Some(&h))),
                link("b.whl", None, Some(None))
            ]
        );
        let (out, links) = page.rewrite(|l| Some(format!("/m/{}", l.href)));
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["files"][2]["url"], "/m/b.whl");
        assert_eq!(doc["files"][1]["url"], 7);
        assert_eq!(doc["meta"]["api-version"], "1.1");
        assert_eq!(links[0].href, "/m/a.whl");
        assert!(Page::parse(b"not json", true).is_err());
    }

    #[test]
    fn hashes_come_only_from_sha256_fragments() {
        let sha = "AB".repeat(32);
        assert_eq!(
            sha256_fragment(&format!("x.whl#sha256={sha}")),
            Some(sha.to_ascii_lowercase())
        );
        assert_eq!(sha256_fragment("x.whl#md5=abc"), None);
        assert_eq!(sha256_fragment("x.whl#sha256=short"), None);
    }

    /// Found by the index_rewrite fuzz target: the rewritten page (whose href
    /// is percent-encoded) parsed differently from the page it came from.
    #[test]
    fn metadata_spelled_inside_an_href_value_is_not_metadata() {
        let page = Page::html("<a href=\"x.whl' data-core-metadata=true>\">x</a>".to_owned());
        assert_eq!(page.links.len(), 1);
        assert_eq!(page.links[0].metadata, None);
        let page = Page::html("<a data-core-metadata=true href=\"x.whl\">x</a>".to_owned());
        assert_eq!(page.links[0].metadata, Some(None));
    }

    #[test]
    fn odd_markup_does_not_panic() {
        for html in ODD_MARKUP {
            let page = Page::parse(html.as_bytes(), false).unwrap();
            let _ = page.rewrite(|l| Some(l.href.clone()));
        }
    }
}
