//! PEP 691 JSON pages built from the links of a PEP 503 HTML page, for
//! repositories (CodeArtifact among them) that serve only HTML: a client that
//! asks for `application/vnd.pypi.simple.v1+json` gets JSON either way.
//!
//! Built from the links of the page as the client will get it (already
//! rewritten, see [`super::rewrite`]), so the URLs, hashes and metadata are
//! the ones the mount serves and checks. API version 1.0: PEP 700's `size`
//! and `upload-time` are not on an HTML page.

use serde_json::{Map, Value, json};

use super::files::link_path;
use super::page::Link;

/// The content type of PEP 691 JSON pages.
pub const CONTENT_TYPE: &str = "application/vnd.pypi.simple.v1+json";

/// A project page: `name` (normalised) and one file per link.
pub fn project(name: &str, links: &[Link]) -> Vec<u8> {
    let files: Vec<Value> = links.iter().map(file).collect();
    let page = json!({
        "meta": { "api-version": "1.0" },
        "name": name,
        "files": files,
    });
    serde_json::to_vec(&page).unwrap_or_default()
}

/// The project list: each link's text (the project name HTML pages show),
/// or the last segment of its URL when the link has no text.
pub fn index(links: &[Link]) -> Vec<u8> {
    let projects: Vec<Value> = links
        .iter()
        .map(|l| json!({ "name": file_name(l) }))
        .collect();
    let page = json!({
        "meta": { "api-version": "1.0" },
        "projects": projects,
    });
    serde_json::to_vec(&page).unwrap_or_default()
}

fn file(link: &Link) -> Value {
    let mut f = Map::new();
    f.insert("filename".into(), file_name(link).into());
    // The hash lives in `hashes`; the URL goes without its fragment.
    let url = link.href.split('#').next().unwrap_or_default();
    f.insert("url".into(), url.into());
    let mut hashes = Map::new();
    if let Some(h) = &link.sha256 {
        hashes.insert("sha256".into(), h.clone().into());
    }
    f.insert("hashes".into(), hashes.into());
    if let Some(rp) = &link.about.requires_python {
        f.insert("requires-python".into(), rp.clone().into());
    }
    if let Some(why) = &link.about.yanked {
        let v: Value = if why.is_empty() {
            true.into()
        } else {
            why.clone().into()
        };
        f.insert("yanked".into(), v);
    }
    if let Some(meta) = &link.metadata {
        let v: Value = match meta {
            Some(h) => json!({ "sha256": h }),
            None => true.into(),
        };
        f.insert("core-metadata".into(), v.clone());
        f.insert("dist-info-metadata".into(), v);
    }
    f.into()
}

/// The link's text, or the last path segment of its URL.
fn file_name(link: &Link) -> String {
    if !link.about.text.is_empty() {
        return link.about.text.clone();
    }
    let path = link_path(&link.href);
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pypi::page::Page;

    #[test]
    fn a_project_page_from_html() {
        let h = "ab".repeat(32);
        let m = "cd".repeat(32);
        let html = format!(
            "<a href=\"/pypi/c/+f/demo/demo-1.0-py3-none-any.whl#sha256={h}\" \
             data-requires-python=\"&gt;=3.8\" data-core-metadata=\"sha256={m}\">demo-1.0-py3-none-any.whl</a>\n\
             <a href='/pypi/c/+f/demo/demo-0.9.tar.gz' data-yanked=\"broken &amp; bad\">demo-0.9.tar.gz</a>\n\
             <a href=/pypi/c/+f/demo/demo-0.8.tar.gz data-yanked>  </a>"
        );
        let page = Page::parse(html.as_bytes(), false).unwrap();
        let doc: Value = serde_json::from_slice(&project("demo", &page.links)).unwrap();
        assert_eq!(doc["meta"]["api-version"], "1.0");
        assert_eq!(doc["name"], "demo");
        let files = doc["files"].as_array().unwrap();
        assert_eq!(files.len(), 3);
        assert_eq!(files[0]["filename"], "demo-1.0-py3-none-any.whl");
        assert_eq!(files[0]["url"], "/pypi/c/+f/demo/demo-1.0-py3-none-any.whl");
        assert_eq!(files[0]["hashes"]["sha256"], h);
        assert_eq!(files[0]["requires-python"], ">=3.8");
        assert_eq!(files[0]["core-metadata"]["sha256"], m);
        assert_eq!(files[0]["dist-info-metadata"]["sha256"], m);
        assert!(files[0].get("yanked").is_none());
        assert_eq!(files[1]["yanked"], "broken & bad");
        assert_eq!(files[1]["hashes"], json!({}));
        assert!(files[1].get("core-metadata").is_none());
        // No text: the name comes from the URL.
        assert_eq!(files[2]["filename"], "demo-0.8.tar.gz");
        assert_eq!(files[2]["yanked"], true);
    }

    #[test]
    fn the_project_list_from_html() {
        let html = "<a href=\"/simple/Frob-Nicate/\">Frob-Nicate</a><a href=\"/simple/six/\"></a>";
        let page = Page::parse(html.as_bytes(), false).unwrap();
        let doc: Value = serde_json::from_slice(&index(&page.links)).unwrap();
        assert_eq!(
            doc["projects"],
            json!([{ "name": "Frob-Nicate" }, { "name": "six" }])
        );
    }
}
