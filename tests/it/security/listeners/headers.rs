//! Headers that make browsers refuse what a page might try: every listener's
//! answers carry `X-Content-Type-Options: nosniff` (a private file is never run
//! as a script or style sheet by a page that includes it), the status page
//! forbids scripts, outside resources and framing, and no listener grants a
//! cross-origin read or a CORS preflight.

use super::{BUCKET, Stack, TOKEN, send};

fn nosniff(what: &str, got: &crate::security::repos::Got) {
    assert_eq!(
        got.header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}: {}",
        got.head
    );
}

#[tokio::test]
async fn every_listener_says_nosniff_and_the_status_page_is_locked_down() {
    let st = Stack::start("").await;
    st.pypi
        .add("pkg", "1.0", "pkg-1.0-py3-none-any.whl", b"wheel bytes");
    st.s3
        .put(BUCKET, "maven2/com/corp/lib/1.0/lib-1.0.jar", b"jar");
    let auth = [("authorization", TOKEN)];
    for (addr, path, headers, status) in [
        (&st.repos, "/pypi/corp/simple/pkg/", &[][..], 200),
        (&st.repos, "/pypi/corp/simple/nothing-here/", &[], 404),
        (
            &st.repos,
            "/maven/corp/com/corp/lib/1.0/lib-1.0.jar",
            &[],
            200,
        ),
        (&st.repos, "/nowhere", &[], 404),
        (&st.metrics, "/", &[], 200),
        (&st.metrics, "/metrics", &[], 200),
        (&st.metrics, "/healthz", &[], 200),
        (&st.creds, "/v1/credentials", &auth[..], 200),
        (&st.creds, "/v1/credentials", &[], 401),
        (&st.creds, "/health", &[], 200),
    ] {
        let got = send(addr, "GET", path, Some(addr), headers).await;
        assert_eq!(got.status, status, "{addr}{path}: {}", got.text());
        nosniff(&format!("{addr}{path}"), &got);
        if addr == &st.metrics && path == "/" {
            let csp = got.header("content-security-policy").unwrap_or_default();
            for directive in [
                "default-src 'none'",
                "style-src 'unsafe-inline'",
                "frame-ancestors 'none'",
                "form-action 'none'",
                "base-uri 'none'",
            ] {
                assert!(csp.contains(directive), "{directive} missing: {csp}");
            }
            assert!(!csp.contains("script-src"), "{csp}");
            assert_eq!(got.header("x-frame-options").as_deref(), Some("deny"));
            // The page works under that policy: inline styles, no scripts, no
            // outside resources.
            let page = got.text();
            assert!(page.contains("<style>"), "{page}");
            assert!(
                !page.contains("<script") && !page.contains("src="),
                "{page}"
            );
        }
    }
    // Refusals say it too.
    let got = send(
        &st.repos,
        "GET",
        "/pypi/corp/simple/",
        Some("evil.example"),
        &[],
    )
    .await;
    assert_eq!(got.status, 421);
    nosniff("a 421", &got);
    // The forward proxy's own answers (the CA page, its errors) say it; what it
    // relays from origins is the origins' business.
    let got = send(
        &st.proxy,
        "GET",
        "http://awsproxy.ca/",
        Some("awsproxy.ca"),
        &[],
    )
    .await;
    assert_eq!(got.status, 200);
    nosniff("the CA page", &got);
    let got = send(&st.proxy, "GET", "/", Some(&st.proxy), &[]).await;
    assert_eq!(got.status, 400);
    nosniff("a proxy error", &got);
}

#[tokio::test]
async fn no_listener_grants_a_cors_preflight_or_a_cross_origin_read() {
    let st = Stack::start("").await;
    st.pypi
        .add("pkg", "1.0", "pkg-1.0-py3-none-any.whl", b"wheel bytes");
    let preflight = [
        ("origin", "https://evil.example"),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "authorization"),
    ];
    for (addr, path) in [
        (&st.repos, "/pypi/corp/"),
        (&st.repos, "/pypi/corp/simple/"),
        (&st.repos, "/maven/corp/com/corp/lib/1.0/lib-1.0.jar"),
        (&st.metrics, "/metrics"),
        (&st.metrics, "/"),
        (&st.creds, "/v1/credentials"),
    ] {
        let got = send(addr, "OPTIONS", path, Some(addr), &preflight).await;
        assert_ne!(
            got.status / 100,
            2,
            "{addr}{path} allowed a preflight: {}",
            got.head
        );
        assert!(
            !got.head.contains("access-control-allow-"),
            "{addr}{path}: {}",
            got.head
        );
        let got = send(
            addr,
            "GET",
            path,
            Some(addr),
            &[("origin", "https://evil.example")],
        )
        .await;
        assert!(
            !got.head.contains("access-control-allow-"),
            "{addr}{path}: {}",
            got.head
        );
    }
}
