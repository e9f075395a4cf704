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
    /// What the page says besides the URL: the file name (an HTML link's
    /// text), `requires-python` and `yanked`.
    pub about: About,
}

/// A link's file name and PEP 592/503 attributes, as the page gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct About {
    /// The link's text (HTML) or `filename` (JSON), trimmed; empty if none.
    pub text: String,
    pub requires_python: Option<String>,
    /// `Some` when yanked, with the reason (empty when none was given).
    pub yanked: Option<String>,
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
                let tag = Tag::around(&text, span, after_previous..before_next);
                Link {
                    sha256: sha256_fragment(&href),
                    metadata: tag.metadata(),
                    about: tag.about(),
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
            let yanked = match &f["yanked"] {
                serde_json::Value::Bool(true) => Some(String::new()),
                serde_json::Value::String(why) => Some(why.clone()),
                _ => None,
            };
            links.push(Link {
                href: url.to_owned(),
                sha256: f["hashes"]["sha256"].as_str().and_then(hex_sha256),
                metadata,
                about: About {
                    text: f["filename"].as_str().unwrap_or_default().to_owned(),
                    requires_python: f["requires-python"].as_str().map(str::to_owned),
                    yanked,
                },
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
    pub fn rewrite(&self, map: impl FnMut(&Link) -> Option<String>) -> (Vec<u8>, Vec<Link>) {
        self.rewrite_with(map, |_| None)
    }

    /// [`Self::rewrite`], and each mapped link the page gives no metadata
    /// for gets the PEP 658 metadata hash `metadata` gives for it (called with
    /// the mapped link): `data-core-metadata` and `data-dist-info-metadata`
    /// in HTML, `core-metadata` and `dist-info-metadata` in JSON.
    pub fn rewrite_with(
        &self,
        mut map: impl FnMut(&Link) -> Option<String>,
        mut metadata: impl FnMut(&Link) -> Option<String>,
    ) -> (Vec<u8>, Vec<Link>) {
        let mut links = self.links.clone();
        // Maps one link; `Some(sha256)` when metadata is to be added (only
        // where the page has room for it: `can_add`).
        let mut edit = |link: &mut Link, can_add: bool| -> Option<Option<String>> {
            let mapped = map(link)?;
            // The hash the client will see (and check) is the rewritten link's.
            link.sha256 = sha256_fragment(&mapped).or(link.sha256.take());
            link.href = mapped;
            let added = if link.metadata.is_none() && can_add {
                metadata(link).and_then(|h| hex_sha256(&h))
            } else {
                None
            };
            if let Some(h) = &added {
                link.metadata = Some(Some(h.clone()));
            }
            Some(added)
        };
        match &self.body {
            Body::Html { text, spans } => {
                let mut out = String::with_capacity(text.len());
                let mut at = 0;
                for (i, (span, link)) in spans.iter().zip(links.iter_mut()).enumerate() {
                    out.push_str(&text[at..span.start]);
                    at = span.end;
                    let next_start = spans.get(i + 1).map_or(text.len(), |n| n.start);
                    let room = attribute_room(text, span, next_start);
                    let Some(added) = edit(link, room.is_some()) else {
                        out.push_str(&text[span.clone()]);
                        continue;
                    };
                    out.push_str(&escape(&link.href));
                    if let Some(h) = added {
                        // After the value's closing quote, if it has one.
                        if let Some(q) = room.flatten() {
                            out.push(q);
                            at += 1;
                        }
                        out.push_str(&format!(
                            " data-core-metadata=\"sha256={h}\" data-dist-info-metadata=\"sha256={h}\""
                        ));
                    }
                }
                out.push_str(&text[at..]);
                (out.into_bytes(), links)
            }
            Body::Json { doc, files } => {
                let mut doc = doc.clone();
                for (i, link) in files.iter().zip(links.iter_mut()) {
                    let Some(added) = edit(link, true) else {
                        continue;
                    };
                    let file = &mut doc["files"][*i];
                    file["url"] = serde_json::Value::String(link.href.clone());
                    if let Some(h) = added {
                        let hashes = serde_json::json!({ "sha256": h });
                        file["core-metadata"] = hashes.clone();
                        file["dist-info-metadata"] = hashes;
                    }
                }
                // Serialising a `Value` does not fail.
                (serde_json::to_vec(&doc).unwrap_or_default(), links)
            }
        }
    }

    /// Whether the page came as PEP 691 JSON.
    pub fn is_json(&self) -> bool {
        matches!(self.body, Body::Json { .. })
    }
}

/// Whether attributes can be added right after the `href` value at `span`
/// without changing how the page parses: `Some(Some(quote))` after a closed
/// quoted value, `Some(None)` after an unquoted value that a space or `>`
/// ends, `None` for a value that runs to the end of the page or whose tag
/// also holds the next link (`next_start`), whose attributes they would become.
fn attribute_room(text: &str, span: &Range<usize>, next_start: usize) -> Option<Option<char>> {
    let opening = text[..span.start]
        .chars()
        .next_back()
        .filter(|c| matches!(c, '"' | '\''));
    let after = &text[span.end..];
    let room = match opening {
        Some(q) => after.starts_with(q).then_some(Some(q)),
        None => after
            .starts_with(|c: char| c.is_whitespace() || c == '>')
            .then_some(None),
    }?;
    // The next link's value must lie past this tag's end.
    let tag_end = after.find(['>', '<']).map(|i| span.end + i);
    tag_end.filter(|&e| e < next_start).map(|_| room)
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

/// The tag around one link's `href` value: its other attributes (before and
/// after the value, never the value itself: an attribute spelled inside a
/// quoted value is not an attribute) and the text up to the next tag.
struct Tag<'a> {
    before: &'a str,
    after: &'a str,
    text: &'a str,
}

impl<'a> Tag<'a> {
    /// The tag around `span`, looked for inside `within` (which holds no
    /// other link's `href` value, so rewriting another link's value never
    /// changes what this one reads).
    fn around(text: &'a str, span: &Range<usize>, within: Range<usize>) -> Self {
        // It starts at its `<`, or after the last tag's `>` when the value
        // stands in text (so another tag's attributes never count).
        let before = &text[within.start..span.start];
        let start = before.rfind(['<', '>']).map_or(within.start, |i| {
            within.start + i + usize::from(before.as_bytes()[i] == b'>')
        });
        // A tag ends at its `>`, or where the next one starts if it never closes.
        let end = text[span.end..within.end]
            .find(['>', '<'])
            .map_or(within.end, |i| span.end + i);
        // The text ends at the next tag, and never runs into the next link's
        // value (which a rewrite changes) when that tag is malformed.
        let content = match text[end..within.end].strip_prefix('>') {
            Some(rest) => &rest[..rest.find('<').unwrap_or(rest.len())],
            None => "",
        };
        Self {
            before: &text[start..span.start],
            after: &text[span.end..end],
            text: content,
        }
    }

    /// The value of the `data-NAME` attribute (`NAME` one of those the
    /// pattern names), decoded;
    /// `Some("")` for one without a value.
    fn attr(&self, name: &str) -> Option<String> {
        static ATTR: LazyLock<Option<regex_lite::Regex>> = LazyLock::new(|| {
            regex_lite::Regex::new(
                r#"(?i)\sdata-(core-metadata|dist-info-metadata|requires-python|yanked)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?"#,
            )
            .ok()
        });
        let re = ATTR.as_ref()?;
        [self.before, self.after].iter().find_map(|part| {
            re.captures_iter(part)
                .find(|c| c[1].eq_ignore_ascii_case(name))
                .map(|c| {
                    c.get(2)
                        .or(c.get(3))
                        .or(c.get(4))
                        .map_or_else(String::new, |v| unescape(v.as_str()))
                })
        })
    }

    /// `data-core-metadata` (or the older `data-dist-info-metadata`).
    fn metadata(&self) -> Option<Option<String>> {
        let v = self
            .attr("core-metadata")
            .or_else(|| self.attr("dist-info-metadata"))?;
        match v.to_ascii_lowercase().as_str() {
            "" | "false" => None,
            v => Some(v.strip_prefix("sha256=").and_then(hex_sha256)),
        }
    }

    fn about(&self) -> About {
        About {
            text: unescape(self.text.trim()),
            requires_python: self.attr("requires-python"),
            yanked: self.attr("yanked"),
        }
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
            about: About::default(),
        }
    }

    /// The links without what [`About`] holds.
    fn bare(links: &[Link]) -> Vec<Link> {
        links
            .iter()
            .map(|l| Link {
                about: About::default(),
                ..l.clone()
            })
            .collect()
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
            bare(&page.links),
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
            bare(&page.links),
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
    fn metadata_is_added_to_mapped_links_without_any() {
        let h = "ab".repeat(32);
        let up = "cd".repeat(32);
        let html = format!(
            "<a href=\"a.whl\">a</a> <a href=b.whl>b</a> <a href='c.whl' data-core-metadata=\"sha256={up}\">c</a> <a href=d.whl>d</a>"
        );
        let page = Page::parse(html.as_bytes(), false).unwrap();
        let (out, links) = page.rewrite_with(
            |l| (l.href != "d.whl").then(|| format!("/m/{}", l.href)),
            |l| {
                Some(if l.href.starts_with("/m/") {
                    h.clone()
                } else {
                    "x".into()
                })
            },
        );
        let out = String::from_utf8(out).unwrap();
        let attrs =
            format!(" data-core-metadata=\"sha256={h}\" data-dist-info-metadata=\"sha256={h}\"");
        assert_eq!(
            out,
            format!(
                "<a href=\"/m/a.whl\"{attrs}>a</a> <a href=/m/b.whl{attrs}>b</a> \
                 <a href='/m/c.whl' data-core-metadata=\"sha256={up}\">c</a> <a href=d.whl>d</a>"
            )
        );
        let meta: Vec<_> = links.iter().map(|l| l.metadata.clone()).collect();
        assert_eq!(
            meta,
            [
                Some(Some(h.clone())),
                Some(Some(h.clone())),
                Some(Some(up)),
                None
            ]
        );
        // What the client parses is what the mount reports.
        assert_eq!(Page::parse(out.as_bytes(), false).unwrap().links, links);

        let json = r#"{"files":[{"url":"a.whl","filename":"a.whl"},{"url":"b.whl","core-metadata":true}]}"#;
        let page = Page::parse(json.as_bytes(), true).unwrap();
        let (out, links) =
            page.rewrite_with(|l| Some(format!("/m/{}", l.href)), |_| Some(h.clone()));
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["files"][0]["core-metadata"]["sha256"], h.as_str());
        assert_eq!(doc["files"][1]["core-metadata"], true);
        assert_eq!(links[0].metadata, Some(Some(h)));
        assert_eq!(links[0].about.text, "a.whl");
    }

    #[test]
    fn link_text_and_attributes() {
        let page = Page::html(
            "<a href=\"x.whl\" data-requires-python=\"&lt;4,&gt;=3.9\" data-yanked=''> x.whl </a>\
             <a data-yanked=\"bad\" href=y.whl>y.whl</a><a href=z>"
                .to_owned(),
        );
        let about: Vec<_> = page.links.iter().map(|l| l.about.clone()).collect();
        assert_eq!(
            about,
            [
                About {
                    text: "x.whl".into(),
                    requires_python: Some("<4,>=3.9".into()),
                    yanked: Some(String::new()),
                },
                About {
                    text: "y.whl".into(),
                    requires_python: None,
                    yanked: Some("bad".into()),
                },
                About::default(),
            ]
        );
    }

    #[test]
    fn odd_markup_does_not_panic() {
        for html in ODD_MARKUP {
            let page = Page::parse(html.as_bytes(), false).unwrap();
            let _ = page.rewrite(|l| Some(l.href.clone()));
        }
    }

    /// Found by the `index_rewrite` fuzzer (its input is a seed): a quoted
    /// value that runs over the next tag leaves a link whose text, up to the
    /// next `<`, spans the next link's value; rewriting that value must not
    /// change the first link's text.
    #[test]
    fn a_links_text_stops_at_the_next_links_value() {
        let html = "<a x href=\"a>\n<b href=\"b>\ntext\" y href=\"c\n";
        let page = Page::html(html.to_owned());
        let (out, reported) = page.rewrite(|l| Some(format!("/local/{}", l.href)));
        let again = Page::html(String::from_utf8(out).unwrap());
        assert_eq!(again.links, reported);
        assert_eq!(reported.len(), 2);
        assert_eq!(reported[1].href, "/local/c\n");
        assert_eq!(reported[0].about.text, "text\" y href=\"");
    }

    /// Metadata attributes are added only where they become the link's own:
    /// not after an unclosed value, nor inside a tag that also holds the next
    /// link; and a value standing in text never takes another tag's.
    #[test]
    fn metadata_is_added_only_where_the_page_parses_it_back() {
        let h = "c".repeat(64);
        for html in [
            "<a href=\"x.whl\">x</a>",
            "<a href=x.whl>x</a>",
            "<a href=\"x.whl",
            "<a href=\"x.whl\" href=\"y.whl\">",
            "<a href=\"x.whl\">x\n\" href=\"y.whl",
        ] {
            let page = Page::html(html.to_owned());
            let (out, reported) = page.rewrite_with(|l| Some(l.href.clone()), |_| Some(h.clone()));
            let out = String::from_utf8(out).unwrap();
            assert_eq!(Page::html(out.clone()).links, reported, "{html} -> {out}");
        }
        let added = |html: &str| {
            let page = Page::html(html.to_owned());
            let (_, links) = page.rewrite_with(|l| Some(l.href.clone()), |_| Some(h.clone()));
            links
                .iter()
                .map(|l| l.metadata.is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            added("<a href=\"x.whl\">x</a><a href=y.whl>y</a>"),
            [true, true]
        );
        assert_eq!(added("<a href=\"x.whl"), [false]);
        assert_eq!(added("<a href=\"x.whl\" href=\"y.whl\">"), [false, true]);
    }
}
