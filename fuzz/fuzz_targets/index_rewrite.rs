//! Index-page rewriting never panics, and a page whose links all sit under the
//! upstream base never links to the upstream origin after rewriting.
#![no_main]

use awsproxy_fuzz::pypi::rewrite::{LinkMap, rewrite_html, rewrite_json, sha256_fragment};
use libfuzzer_sys::fuzz_target;
use url::Url;

const HOST: &str = "https://corp-123456789012.d.codeartifact.us-east-1.amazonaws.com";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let links = LinkMap {
        upstream_base: Url::parse(&format!("{HOST}/pypi/store/")).unwrap(),
        local_base: "/pypi/corp/".into(),
    };
    let page = Url::parse(&format!("{HOST}/pypi/store/simple/pkg/")).unwrap();
    let _ = rewrite_html(&page, text, &links);
    let _ = rewrite_json(&page, data, &links);
    let _ = sha256_fragment(text);
    // Anchors built from fuzz input, all pointing at the upstream: none may survive.
    let safe: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.~".contains(*c))
        .collect();
    let html =
        format!("<a href=\"{HOST}/pypi/store/simple/pkg/{safe}\">x</a> <a href='../{safe}'>y</a>");
    let out = rewrite_html(&page, &html, &links);
    // The upstream origin never survives (the input may itself spell the host's
    // name as a path segment, which is harmless: it is not a URL to the host).
    assert!(!out.contains(HOST), "{out}");
});
