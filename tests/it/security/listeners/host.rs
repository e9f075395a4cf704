//! DNS rebinding: a page on `http://evil.example:PORT/` whose name then
//! resolves to 127.0.0.1 is same-origin with awsproxy's listeners to the
//! browser, so it can read whatever they answer. Its requests carry
//! `Host: evil.example:PORT`; that is the one thing it cannot change. Every
//! listener but the forward proxy answers only loopback addresses, `localhost`
//! names, its own address and the names of its section's `allowed_hosts`
//! (421 otherwise), and the credentials endpoint also the ECS addresses SDKs
//! use.

use super::{BUCKET, Stack, TOKEN, port, send};
use crate::support::fakes::FAKE_ACCESS_KEY_ID;

/// `(listener, path, headers, a private string the real answer contains)`.
type Target<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, &'a str);

fn seed(st: &Stack) {
    st.pypi.add(
        "secret-pkg",
        "1.0",
        "secret_pkg-1.0-py3-none-any.whl",
        b"private wheel bytes",
    );
    st.s3.put(
        BUCKET,
        "maven2/com/corp/secret-lib/1.0/secret-lib-1.0.jar",
        b"private jar bytes",
    );
}

/// A link on a page the mount rewrote (`+f/...`), without its fragment.
fn file_link(page: &str, needle: &str) -> String {
    let href = page
        .split("href=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .find(|h| h.contains(needle))
        .unwrap_or_else(|| panic!("no link with {needle:?} in {page}"));
    href.split('#').next().unwrap().to_owned()
}

async fn targets(st: &Stack) -> Vec<Target<'_>> {
    let page = send(
        &st.repos,
        "GET",
        "/pypi/corp/simple/secret-pkg/",
        Some(&st.repos),
        &[],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text());
    let file = file_link(&page.text(), "secret_pkg-1.0");
    let auth = vec![("authorization", TOKEN)];
    vec![
        (
            st.repos.as_str(),
            "/pypi/corp/simple/".to_owned(),
            vec![],
            "secret-pkg",
        ),
        (
            st.repos.as_str(),
            "/pypi/corp/simple/secret-pkg/".to_owned(),
            vec![],
            "secret_pkg-1.0",
        ),
        (st.repos.as_str(), file, vec![], "private wheel bytes"),
        (
            st.repos.as_str(),
            "/maven/corp/com/corp/".to_owned(),
            vec![],
            "secret-lib",
        ),
        (
            st.repos.as_str(),
            "/maven/corp/com/corp/secret-lib/1.0/secret-lib-1.0.jar".to_owned(),
            vec![],
            "private jar bytes",
        ),
        (st.metrics.as_str(), "/".to_owned(), vec![], "<table"),
        (
            st.metrics.as_str(),
            "/metrics".to_owned(),
            vec![],
            "awsproxy_build_info",
        ),
        (
            st.metrics.as_str(),
            "/healthz".to_owned(),
            vec![],
            "components",
        ),
        (
            st.creds.as_str(),
            "/v1/credentials".to_owned(),
            auth,
            FAKE_ACCESS_KEY_ID,
        ),
    ]
}

#[tokio::test]
async fn a_rebound_name_reads_nothing_from_any_listener_and_local_names_still_work() {
    let st = Stack::start("").await;
    seed(&st);
    for (addr, path, headers, private) in targets(&st).await {
        let p = port(addr);
        for evil in [
            format!("evil.example:{p}"),
            "evil.example".to_owned(),
            format!("localhost.evil.example:{p}"),
            format!("127.0.0.1.nip.io:{p}"),
            format!("EVIL.example.:{p}"),
            format!("xn--localhost-9ta:{p}"),
        ] {
            let got = send(addr, "GET", &path, Some(&evil), &headers).await;
            assert_eq!(
                got.status,
                421,
                "{addr}{path} with Host {evil}: {}",
                got.text()
            );
            assert!(
                !got.text().contains(private),
                "{addr}{path} with Host {evil} leaked: {}",
                got.text()
            );
            assert!(
                got.text().contains("allowed_hosts"),
                "a hint: {}",
                got.text()
            );
        }
        // Malformed names are refused too (userinfo, a bad port, two Hosts).
        for bad in [
            format!("user@localhost:{p}"),
            format!("localhost:{p}@evil.example"),
            "localhost:99999".to_owned(),
            "local host".to_owned(),
        ] {
            let got = send(addr, "GET", &path, Some(&bad), &headers).await;
            assert!(
                got.status == 400 || got.status == 421,
                "{addr}{path} with Host {bad}: {} {}",
                got.status,
                got.text()
            );
            assert!(
                !got.text().contains(private),
                "{bad} leaked: {}",
                got.text()
            );
        }
        let mut twice = headers.clone();
        twice.push(("host", "evil.example"));
        let got = send(addr, "GET", &path, Some(addr), &twice).await;
        assert_eq!(got.status, 400, "two Hosts: {}", got.text());
        assert!(!got.text().contains(private));
        // An absolute-form target names the host too; it must pass as well.
        let got = send(
            addr,
            "GET",
            &format!("http://evil.example:{p}{path}"),
            Some(addr),
            &headers,
        )
        .await;
        assert_ne!(got.status, 200, "absolute-form evil target: {}", got.text());
        assert!(!got.text().contains(private));

        for good in [
            format!("localhost:{p}"),
            format!("LocalHost.:{p}"),
            format!("app.localhost:{p}"),
            format!("127.0.0.1:{p}"),
            "127.0.0.1".to_owned(),
            format!("127.1.2.3:{p}"),
            format!("[::1]:{p}"),
            "[::1]".to_owned(),
        ] {
            let got = send(addr, "GET", &path, Some(&good), &headers).await;
            assert_eq!(
                got.status,
                200,
                "{addr}{path} with Host {good}: {}",
                got.text()
            );
            assert!(got.text().contains(private), "{good}: {}", got.text());
        }
    }
}

#[tokio::test]
async fn http11_without_a_host_is_refused() {
    let st = Stack::start("").await;
    seed(&st);
    for (addr, path, headers, private) in targets(&st).await {
        let got = send(addr, "GET", &path, None, &headers).await;
        assert_eq!(got.status, 400, "{addr}{path}: {}", got.text());
        assert!(!got.text().contains(private));
    }
}

#[tokio::test]
async fn the_credentials_endpoint_answers_the_ecs_addresses_and_nothing_else_does() {
    let st = Stack::start("").await;
    let auth = [("authorization", TOKEN)];
    for ecs in [
        "169.254.170.2",
        "169.254.170.2:80",
        "169.254.170.23",
        "[fd00:ec2::23]",
    ] {
        let got = send(&st.creds, "GET", "/v1/credentials", Some(ecs), &auth).await;
        assert_eq!(got.status, 200, "{ecs}: {}", got.text());
        assert!(got.text().contains(FAKE_ACCESS_KEY_ID));
        // Only there: the repository and metrics listeners are not ECS endpoints.
        let got = send(&st.metrics, "GET", "/metrics", Some(ecs), &[]).await;
        assert_eq!(got.status, 421, "{ecs} on metrics: {}", got.text());
    }
    // A rebound name is refused even with the client's token.
    let got = send(
        &st.creds,
        "GET",
        "/v1/credentials",
        Some("evil.example"),
        &auth,
    )
    .await;
    assert_eq!(got.status, 421, "{}", got.text());
    assert!(!got.text().contains(FAKE_ACCESS_KEY_ID));
}

#[tokio::test]
async fn names_in_allowed_hosts_are_answered() {
    let st = Stack::start(
        "allowed_hosts = [\"awsproxy.team.example\", \"*.cache.example\", \"10.1.2.3\", \"fd00::7\"]",
    )
    .await;
    seed(&st);
    for (addr, path, headers, private) in targets(&st).await {
        let p = port(addr);
        for good in [
            format!("awsproxy.team.example:{p}"),
            "AWSPROXY.team.example.".to_owned(),
            format!("eu.cache.example:{p}"),
            format!("10.1.2.3:{p}"),
            format!("[fd00::7]:{p}"),
            format!("localhost:{p}"),
        ] {
            let got = send(addr, "GET", &path, Some(&good), &headers).await;
            assert_eq!(
                got.status,
                200,
                "{addr}{path} with Host {good}: {}",
                got.text()
            );
            assert!(got.text().contains(private));
        }
        for evil in [
            format!("evil.example:{p}"),
            format!("cache.example:{p}"),
            format!("awsproxy.team.example.evil.example:{p}"),
            format!("10.1.2.4:{p}"),
        ] {
            let got = send(addr, "GET", &path, Some(&evil), &headers).await;
            assert_eq!(
                got.status,
                421,
                "{addr}{path} with Host {evil}: {}",
                got.text()
            );
            assert!(!got.text().contains(private));
        }
    }
}

#[tokio::test]
async fn the_forward_proxy_still_takes_any_host() {
    // The proxy's clients name any origin; its own answers (the CA page) need no
    // name check: the CA certificate is public.
    let st = Stack::start("").await;
    let got = send(
        &st.proxy,
        "GET",
        "http://awsproxy.ca/",
        Some("awsproxy.ca"),
        &[],
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert!(got.text().contains("BEGIN CERTIFICATE"));
}
