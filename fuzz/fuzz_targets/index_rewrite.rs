//! Index-page rewriting and the file links read back from the rewritten page:
//! - nothing panics, whatever the page;
//! - the page model ([`page::Page`]) of a rewritten page, parsed again, has the
//!   links the rewrite reported (the hand tokenizer agrees with itself),
//!   with PEP 658 metadata attributes added or not;
//! - every link the rewriter mapped is among the page's file links, with the
//!   path the router looks up, so the mount serves it (the mount serves nothing
//!   else under `+f/`);
//! - a page whose links all sit under the upstream base never names the
//!   upstream origin after rewriting, and lists each of its files with the
//!   `#sha256=` the page gave.
#![no_main]

use awsproxy_fuzz::pypi::files::{self, FileLink, link_path};
use awsproxy_fuzz::pypi::page::{self, Page, sha256_fragment};
use awsproxy_fuzz::pypi::rewrite::{LinkMap, rewrite_html, rewrite_json};
use libfuzzer_sys::fuzz_target;
use url::Url;

const HOST: &str = "https://corp-123456789012.d.codeartifact.us-east-1.amazonaws.com";
/// Where a project page's files are served, as `pages::index` maps them.
const FILES: &str = "/pypi/corp/+f/pkg/";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let links = LinkMap {
        upstream_base: Url::parse(&format!("{HOST}/pypi/store/")).unwrap(),
        local_base: FILES.into(),
    };
    let page = Url::parse(&format!("{HOST}/pypi/store/simple/pkg/")).unwrap();
    let _ = sha256_fragment(text);

    // Any page as HTML: every mapped link is listed.
    let out = rewrite_html(&page, text, &links);
    let listed = paths(&file_links(out.as_bytes(), false, FILES));
    let model = Page::html(text.to_owned());
    let (again, reported) = model.rewrite(|l| links.map(&page, &l.href));
    assert_eq!(again, out.as_bytes());
    assert_eq!(Page::html(out.clone()).links, reported, "{out}");
    // As the mount rewrites: metadata added to every other mapped link.
    let mut nth = 0;
    let (with_metadata, reported) = model.rewrite_with(
        |l| links.map(&page, &l.href),
        |_| {
            nth += 1;
            (nth % 2 == 1).then(|| format!("{nth:064x}"))
        },
    );
    let with_metadata = String::from_utf8(with_metadata).unwrap();
    assert_eq!(
        Page::html(with_metadata.clone()).links,
        reported,
        "{with_metadata}"
    );
    for raw in model.links.iter().map(|l| l.href.clone()) {
        if let Some(mapped) = links.map(&page, &raw) {
            let path = link_path(&mapped);
            assert!(
                listed.contains(&path),
                "{raw:?} -> {mapped:?} is not listed: {listed:?}\n{out}"
            );
        }
    }

    // Any page as JSON: the same for `files[].url`.
    if let Ok(out) = rewrite_json(&page, data, &links) {
        let listed = paths(&file_links(&out, true, FILES));
        let doc: serde_json::Value = serde_json::from_slice(data).unwrap();
        for url in doc["files"].as_array().into_iter().flatten() {
            if let Some(mapped) = url["url"].as_str().and_then(|u| links.map(&page, u)) {
                assert!(
                    listed.contains(&link_path(&mapped)),
                    "{mapped:?}: {listed:?}"
                );
            }
        }
    }

    // Pages built from the input whose links all point at the upstream.
    let names: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '/')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_ascii_alphanumeric() || "-_.~+%!$()*,;=@".contains(*c))
                .collect::<String>()
        })
        .filter(|w| !w.is_empty() && w != "." && w != "..")
        .take(8)
        .collect();
    let sha = |i: usize| format!("{:064x}", i + 1);
    let mut html = String::new();
    let mut json_files = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let absolute = format!("{HOST}/pypi/store/simple/pkg/1.0/{name}");
        let href = match i % 3 {
            0 => format!("<a href=\"{absolute}#sha256={}\">{name}</a>\n", sha(i)),
            1 => format!(
                "<A HREF='../../simple/pkg/1.0/{name}#sha256={}'>x</A>\n",
                sha(i)
            ),
            _ => format!("<a href={absolute}#sha256={} data-x=y>x</a>\n", sha(i)),
        };
        html.push_str(&href);
        json_files.push(serde_json::json!({"url": absolute, "hashes": {"sha256": sha(i)}}));
    }
    let out = rewrite_html(&page, &html, &links);
    // The upstream origin never survives (a name may spell the host as a path
    // segment, which is harmless: it is not a URL to the host).
    assert!(!out.contains(HOST), "{out}");
    let listed = file_links(out.as_bytes(), false, FILES);
    assert_eq!(listed.len(), names.len(), "{out}\n{listed:?}");
    for (i, link) in listed.iter().enumerate() {
        assert_eq!(link.sha256.as_deref(), Some(sha(i).as_str()), "{out}");
    }
    let doc = serde_json::json!({"files": json_files}).to_string();
    let out = rewrite_json(&page, doc.as_bytes(), &links).unwrap();
    let out_text = String::from_utf8_lossy(&out);
    assert!(!out_text.contains(HOST), "{out_text}");
    let listed = file_links(&out, true, FILES);
    assert_eq!(listed.len(), names.len(), "{out_text}");
});

/// The file links of a page read back from its bytes.
fn file_links(bytes: &[u8], json: bool, prefix: &str) -> Vec<FileLink> {
    Page::parse(bytes, json)
        .map(|p: page::Page| files::file_links(&p.links, prefix))
        .unwrap_or_default()
}

fn paths(links: &[FileLink]) -> Vec<String> {
    links.iter().map(|l| l.path.clone()).collect()
}
