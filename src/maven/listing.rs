//! The HTML directory listing of a Maven path ending in `/`: relative links to
//! children (sub-directories first), with sizes and modification dates, like the
//! browsers of public Maven repositories. Pure: the S3 listing happens elsewhere.

use std::fmt::Write as _;

/// One child of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The child's name without its parent (directories without the trailing `/`).
    pub name: String,
    pub directory: bool,
    pub size: Option<u64>,
    /// Already formatted, e.g. `2024-01-02 03:04`.
    pub modified: Option<String>,
}

pub use crate::html::escape;

/// Percent-encodes one path segment for a relative link.
fn href(segment: &str) -> String {
    let mut out = String::new();
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~+@".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The page for `title` (e.g. `/maven/corp/com/example/`). `truncated` adds a note
/// that the listing stopped early.
pub fn render(title: &str, entries: &[Entry], has_parent: bool, truncated: bool) -> String {
    let title = escape(title);
    let mut out = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<pre>\n"
    );
    if has_parent {
        out.push_str("<a href=\"../\">../</a>\n");
    }
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| b.directory.cmp(&a.directory).then(a.name.cmp(&b.name)));
    for e in sorted {
        let (link, shown) = if e.directory {
            (format!("{}/", href(&e.name)), format!("{}/", e.name))
        } else {
            (href(&e.name), e.name.clone())
        };
        let pad = 60usize.saturating_sub(shown.chars().count()).max(1);
        let _ = writeln!(
            out,
            "<a href=\"{}\" title=\"{}\">{}</a>{:pad$}{:>16}  {:>12}",
            escape(&link),
            escape(&shown),
            escape(&shown),
            "",
            e.modified.as_deref().unwrap_or("-"),
            e.size.map_or_else(|| "-".to_owned(), |s| s.to_string()),
        );
    }
    out.push_str("</pre>\n");
    if truncated {
        out.push_str("<p>This listing was cut short: the directory has too many entries.</p>\n");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_relative_links_directories_first() {
        let page = render(
            "/maven/r/<x>/",
            &[
                Entry {
                    name: "b.jar".into(),
                    directory: false,
                    size: Some(12),
                    modified: Some("2024-01-02 03:04".into()),
                },
                Entry {
                    name: "a dir".into(),
                    directory: true,
                    size: None,
                    modified: None,
                },
                Entry {
                    name: "\"><script>".into(),
                    directory: false,
                    size: Some(1),
                    modified: None,
                },
            ],
            true,
            false,
        );
        assert!(page.contains("<title>/maven/r/&lt;x&gt;/</title>"));
        assert!(page.contains("<a href=\"../\">../</a>"));
        let dir = page.find("href=\"a%20dir/\"").unwrap();
        let file = page.find("href=\"b.jar\"").unwrap();
        assert!(dir < file);
        assert!(page.contains("2024-01-02 03:04"));
        assert!(!page.contains("<script>"));
    }
}
