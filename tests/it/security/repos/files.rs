//! `+f/PKG/PATH` downloads a file of a private repository. If any `PATH` were
//! fetched upstream with the token, a client could read raw upstream bodies
//! (unrewritten pages naming the repository host the README says is hidden).
//! Only file links that a page awsproxy rewrote lists are served; others are
//! refused before any request for them leaves awsproxy.

use super::Stack;

#[tokio::test]
async fn only_file_links_of_a_rewritten_page_are_fetched_upstream() {
    let st = Stack::start().await;
    st.pypi
        .add("foo", "1.0", "foo-1.0.tar.gz", b"the real file");
    let link = "/pypi/closed/+f/foo/simple/foo/1.0/foo-1.0.tar.gz";

    // A link from a page downloads even when this process hasn't served the page
    // yet (a lockfile's URL after a restart): awsproxy reads the page first.
    let got = st.get(link).await;
    assert_eq!((got.status, got.text().as_str()), (200, "the real file"));
    let page = st.get("/pypi/closed/simple/foo/").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains(link), "{}", page.text());

    let before = st.pypi.state.lock().unwrap().seen.len();
    for path in [
        // Raw upstream pages: the project list and the project page.
        "/pypi/closed/+f/foo/simple/",
        "/pypi/closed/+f/foo/simple/foo/",
        "/pypi/closed/+f/nothing/simple/foo/",
        // Files no page listed.
        "/pypi/closed/+f/foo/simple/foo/1.0/not-on-the-page.tar.gz",
        "/pypi/closed/+f/foo/simple/foo/1.0/foo-1.0.tar.gz/more",
        "/pypi/closed/+f/foo/pypi/repo/simple/",
        // Ways out of the mount's tree.
        "/pypi/closed/+f/anything/../../simple/x",
        "/pypi/closed/+f/foo/..%2f..%2fsimple/",
        "/pypi/closed/+f/foo/simple%2ffoo%2f",
    ] {
        let got = st.get(path).await;
        assert!(
            matches!(got.status, 400 | 404),
            "{path}: {} {}",
            got.status,
            got.text()
        );
        assert!(
            !got.text().contains(&st.pypi.authority()),
            "{path}: {}",
            got.text()
        );
    }
    // All the repository saw since: project pages, to learn their links.
    let seen: Vec<String> = st.pypi.state.lock().unwrap().seen[before..]
        .iter()
        .map(|(_, p, _)| p.clone())
        .collect();
    for path in &seen {
        assert!(
            ["/pypi/repo/simple/foo/", "/pypi/repo/simple/nothing/"].contains(&path.as_str()),
            "an unlisted path was fetched upstream: {path} (all: {seen:?})"
        );
    }

    // The listed file still downloads (a hit now).
    let again = st.get(link).await;
    assert_eq!(
        (again.status, again.text().as_str()),
        (200, "the real file")
    );
}
