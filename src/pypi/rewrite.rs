//! Rewriting PyPI index pages so every link points back through awsproxy.
//!
//! CodeArtifact's index pages (PEP 503 HTML and PEP 691 JSON) link to files on
//! the repository host. Those links are resolved against the page URL; the ones
//! under the upstream repository base become paths under the mount
//! (`/pypi/NAME/...`), so downloads come back through the proxy, the token is
//! added server-side, and no client ever sees the upstream host. Fragments
//! (`#sha256=...`) and other attributes are kept. Links elsewhere are left alone.

use std::collections::BTreeSet;

use url::Url;

use super::files::{FileLink, file_links};
use super::page::Page;

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
#[allow(
    dead_code,
    reason = "a whole-page rewrite for the unit tests and the index_rewrite fuzz target"
)]
pub fn rewrite_html(page_url: &Url, html: &str, links: &LinkMap) -> String {
    let (out, _) = Page::html(html.to_owned()).rewrite(|l| links.map(page_url, &l.href));
    String::from_utf8_lossy(&out).into_owned()
}

/// Rewrites the `url` of every file in a PEP 691 JSON page.
#[allow(
    dead_code,
    reason = "a whole-page rewrite for the unit tests and the index_rewrite fuzz target"
)]
pub fn rewrite_json(
    page_url: &Url,
    json: &[u8],
    links: &LinkMap,
) -> Result<Vec<u8>, serde_json::Error> {
    let page = Page::parse(json, true)?;
    // Project lists (the root page) carry no URLs in PEP 691; nothing else to map.
    Ok(page.rewrite(|l| links.map(page_url, &l.href)).0)
}

/// A page rewritten for a client.
#[derive(Debug)]
pub struct Rewritten {
    pub body: Vec<u8>,
    /// Every link as the rewritten page has it.
    pub links: Vec<super::page::Link>,
    /// The links under the mount's files prefix, as the client will ask for them.
    pub files: Vec<FileLink>,
}

/// Why a page is not passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A rewritten page still names the upstream host.
    LinksOutside,
}

/// Maps each link of `page` (found at `page_url`) with the first of `maps`
/// that covers it, adds the metadata hash `metadata` gives for a mapped link
/// the page gives none for, and lists the links under `files` (the mount's
/// `+f/` or `+fb/`). With `upstream_host`, a result that still names that
/// host is refused (it would show clients where the repository lives).
pub fn rewrite_page(
    page_url: &Url,
    page: &Page,
    maps: &[LinkMap],
    metadata: impl FnMut(&super::page::Link) -> Option<String>,
    upstream_host: Option<&str>,
    files: &str,
) -> Result<Rewritten, Refused> {
    let (body, links) = page.rewrite_with(
        |l| maps.iter().find_map(|m| m.map(page_url, &l.href)),
        metadata,
    );
    if let Some(host) = upstream_host
        && String::from_utf8_lossy(&body).contains(host)
    {
        return Err(Refused::LinksOutside);
    }
    Ok(Rewritten {
        body,
        files: file_links(&links, files),
        links,
    })
}

/// The maps of a public-index page at `page_url`: every origin its links
/// name, served under `files_root` (the mount's `+fb/PKG/`) as
/// `SCHEME/AUTHORITY/...`.
pub fn fallback_maps(page_url: &Url, page: &Page, files_root: &str) -> Vec<LinkMap> {
    let mut origins: BTreeSet<(String, String)> = BTreeSet::new();
    for link in &page.links {
        if let Ok(u) = page_url.join(&link.href)
            && matches!(u.scheme(), "http" | "https")
            && let Some(host) = u.host_str()
        {
            let authority = u
                .port()
                .map_or_else(|| host.to_owned(), |p| format!("{host}:{p}"));
            origins.insert((u.scheme().to_owned(), authority));
        }
    }
    origins
        .into_iter()
        .filter_map(|(scheme, authority)| {
            Some(LinkMap {
                upstream_base: Url::parse(&format!("{scheme}://{authority}/")).ok()?,
                local_base: format!("{files_root}{scheme}/{authority}/"),
            })
        })
        .collect()
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
    fn locations_are_mapped() {
        assert_eq!(
            links()
                .map_location(&page(), &format!("{HOST}/pypi/store/simple/requests/"))
                .as_deref(),
            Some("/pypi/corp/simple/requests/")
        );
    }

    /// An unquoted `href=` to another origin is mapped and hash-checked like
    /// a quoted one (the fallback once found origins with a regex for quoted
    /// values only, so such a link stayed pointing at the public host).
    #[test]
    fn fallback_pages_map_every_origin_their_links_name() {
        let sha = "d".repeat(64);
        let page_url = Url::parse("https://pypi.example/simple/p/").unwrap();
        let html = format!(
            "<a href=https://files.example/p/a.whl#sha256={sha}>a</a>\
             <a href=\"../../p/b.tar.gz\">b</a> <a href='http://files.example:8080/c.whl'>c</a>"
        );
        let page = Page::parse(html.as_bytes(), false).unwrap();
        let maps = fallback_maps(&page_url, &page, "/pypi/c/+fb/p/");
        let out = rewrite_page(&page_url, &page, &maps, |_| None, None, "/pypi/c/+fb/").unwrap();
        let body = String::from_utf8(out.body).unwrap();
        assert_eq!(
            body,
            format!(
                "<a href=/pypi/c/+fb/p/https/files.example/p/a.whl#sha256={sha}>a</a>\
                 <a href=\"/pypi/c/+fb/p/https/pypi.example/p/b.tar.gz\">b</a> \
                 <a href='/pypi/c/+fb/p/http/files.example:8080/c.whl'>c</a>"
            )
        );
        assert_eq!(
            out.files,
            vec![
                FileLink {
                    path: "/pypi/c/+fb/p/https/files.example/p/a.whl".into(),
                    sha256: Some(sha),
                },
                FileLink {
                    path: "/pypi/c/+fb/p/https/pypi.example/p/b.tar.gz".into(),
                    sha256: None,
                },
                FileLink {
                    path: "/pypi/c/+fb/p/http/files.example:8080/c.whl".into(),
                    sha256: None,
                },
            ]
        );
    }

    #[test]
    fn a_page_still_naming_the_upstream_host_is_refused() {
        let html = format!("<a href=\"{HOST}/elsewhere/x.whl\">x</a>");
        let parsed = Page::parse(html.as_bytes(), false).unwrap();
        let host = Url::parse(HOST).unwrap();
        assert_eq!(
            rewrite_page(
                &page(),
                &parsed,
                &[links()],
                |_| None,
                host.host_str(),
                "/pypi/corp/+f/"
            )
            .unwrap_err(),
            Refused::LinksOutside
        );
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
        for html in crate::pypi::page::ODD_MARKUP {
            let _ = rewrite_html(&page(), html, &links());
        }
    }
}
