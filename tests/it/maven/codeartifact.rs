//! `[[repos.maven]]` mounts served from CodeArtifact (`domain`, `domain_owner`,
//! `repository`) against the CodeArtifact fake and a Maven repository fake
//! that demands `Basic aws:<token>`: artifacts verified and cached, metadata
//! revalidated, deploys streamed through only when enabled, and no byte a
//! client sees names the token or the repository's host.

use awsproxy::config::MavenMount;
use awsproxy::services::maven::Tuning;

use super::{Got, JAR, Served, serve_with_options, static_creds};
use crate::support::fakes::FakeAws;
use crate::support::maven_upstream::MavenUpstream;

const METADATA: &str = "com/example/lib/maven-metadata.xml";
/// The configured mount's repository through the no-config URL form.
const SEED: &str = "/123456789012/us-east-1/fake-domain/maven-store/maven";

fn ca_mount(allow_deploy: bool) -> MavenMount {
    MavenMount {
        name: "ca".into(),
        bucket: None,
        domain: Some("fake-domain".into()),
        domain_owner: Some("123456789012".into()),
        repository: Some("maven-store".into()),
        prefix: String::new(),
        region: Some("us-east-1".into()),
        profile: None,
        endpoint: None,
        force_path_style: false,
        upstream: None,
        write_back: false,
        allow_deploy,
    }
}

struct Setup {
    aws: FakeAws,
    up: MavenUpstream,
    srv: Served,
}

async fn setup(allow_deploy: bool) -> Setup {
    setup_with(vec![ca_mount(allow_deploy)]).await
}

/// The fakes and a listener with `mounts` (none: only the no-config form).
async fn setup_with(mounts: Vec<MavenMount>) -> Setup {
    let aws = FakeAws::start().await;
    let up = MavenUpstream::start(aws.shared());
    aws.state().codeartifact.repository_endpoint =
        format!("{}/{{format}}/{{repository}}/", up.url());
    let srv = serve_with_options(
        mounts
            .into_iter()
            .map(|m| (m, static_creds("unused", "unused")))
            .collect(),
        Tuning::default(),
        Default::default(),
        crate::pypi::options(&aws),
    )
    .await;
    Setup { aws, up, srv }
}

impl Setup {
    /// Fails if any byte of `got` carries an issued token or the repository's address.
    fn assert_clean(&self, got: &Got) {
        let mut bytes = format!("{:?}", got.headers).into_bytes();
        bytes.extend_from_slice(got.body.as_deref().unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(&self.up.authority()),
            "upstream address leaked: {text}"
        );
        for t in &self.aws.state().codeartifact.tokens {
            assert!(!text.contains(&t.token), "token leaked");
        }
    }

    async fn get(&self, path: &str) -> Got {
        let got = self.srv.get(path).await;
        self.assert_clean(&got);
        got
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artifacts_come_through_with_the_token_verified_and_cached() {
    let s = setup(false).await;
    s.up.add(JAR, b"jar bytes");
    let r = s.get(&format!("/maven/ca/{JAR}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "jar bytes");
    assert_eq!(r.header("content-type"), "application/java-archive");
    assert!(
        r.header("x-served-by").is_empty(),
        "repository headers stay behind"
    );
    s.srv.wait_stored(1).await;
    let again = s.get(&format!("/maven/ca/{JAR}")).await;
    assert_eq!(again.text(), "jar bytes");
    assert!(
        again.header("cache-status").contains("hit"),
        "{:?}",
        again.headers
    );
    assert_eq!(s.up.count(JAR), 1, "one upstream fetch for two requests");
    // GetRepositoryEndpoint was asked for the maven format.
    let asked = s.aws.state().codeartifact.endpoint_requests.clone();
    assert!(asked.iter().any(|r| r.format == "maven"), "{asked:?}");

    assert_eq!(
        s.get("/maven/ca/com/example/nope/1.0/nope-1.0.jar")
            .await
            .status,
        404
    );
    assert_eq!(
        s.get("/maven/ca/com/example/").await.status,
        404,
        "no listings"
    );
    assert_eq!(
        s.srv.raw_status("/maven/ca/com/../../etc/passwd").await,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_artifact_is_refused_and_not_stored() {
    let s = setup(false).await;
    let path = "com/example/evil/1.0/evil-1.0.jar";
    s.up.add(path, b"the real bytes");
    s.up.tamper(path, b"something else");
    let r = s.srv.get(&format!("/maven/ca/{path}")).await;
    assert!(
        r.status >= 500 || r.body.is_err(),
        "a body that fails its checksum must not reach the client whole: {}",
        r.status
    );
    assert!(
        s.srv.cache.store().list().await.unwrap().is_empty(),
        "nothing stored"
    );
    // Once the repository serves the right bytes, they come through.
    s.up.add(path, b"the real bytes");
    let ok = s.get(&format!("/maven/ca/{path}")).await;
    assert_eq!(ok.text(), "the real bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_revalidated_on_each_request() {
    let s = setup(false).await;
    s.up.add(METADATA, b"<metadata>1.0</metadata>");
    assert_eq!(
        s.get(&format!("/maven/ca/{METADATA}")).await.text(),
        "<metadata>1.0</metadata>"
    );
    s.srv.wait_stored(1).await;
    s.up.add(METADATA, b"<metadata>2.0</metadata>");
    let newer = s.get(&format!("/maven/ca/{METADATA}")).await;
    assert_eq!(
        newer.text(),
        "<metadata>2.0</metadata>",
        "revalidated, not served from the store"
    );
    assert_eq!(s.up.count(METADATA), 2);

    // The repository down: the stored metadata, not an error.
    s.up.state.lock().unwrap().fail = true;
    let stale = s.get(&format!("/maven/ca/{METADATA}")).await;
    assert_eq!(s.up.count(METADATA), 3, "not revalidated");
    assert_eq!(stale.status, 200, "{}", stale.text());
    assert_eq!(stale.text(), "<metadata>2.0</metadata>");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_go_through_only_when_enabled_and_never_from_a_browser() {
    let off = setup(false).await;
    let put = off
        .srv
        .send(
            "PUT",
            &format!("/maven/ca/{JAR}"),
            &[("authorization", "Basic eDp5")],
            b"new",
        )
        .await;
    assert_eq!(put.status, 405, "{}", put.text());
    assert!(off.up.file(JAR).is_none());

    let on = setup(true).await;
    let from_page = on
        .srv
        .send(
            "PUT",
            &format!("/maven/ca/{JAR}"),
            &[
                ("authorization", "Basic eDp5"),
                ("origin", "https://evil.test"),
            ],
            b"evil",
        )
        .await;
    assert_eq!(from_page.status, 403);
    assert!(on.up.file(JAR).is_none(), "a web page deployed nothing");
    let no_creds = on
        .srv
        .send("PUT", &format!("/maven/ca/{JAR}"), &[], b"x")
        .await;
    assert_eq!(no_creds.status, 401);

    let ok = on
        .srv
        .send(
            "PUT",
            &format!("/maven/ca/{JAR}"),
            &[("authorization", "Basic eDp5")],
            b"deployed",
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text());
    on.assert_clean(&ok);
    assert_eq!(on.up.file(JAR).unwrap().as_ref(), b"deployed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_url_form_serves_verified_cached_revalidated_files_without_config() {
    let s = setup_with(Vec::new()).await;
    s.up.add(JAR, b"jar bytes");
    let r = s.get(&format!("{SEED}/{JAR}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "jar bytes");
    assert_eq!(r.header("content-type"), "application/java-archive");
    assert!(r.header("x-served-by").is_empty());
    s.srv.wait_stored(1).await;
    let again = s.get(&format!("{SEED}/{JAR}")).await;
    assert_eq!(again.text(), "jar bytes");
    assert!(
        again.header("cache-status").contains("hit"),
        "{:?}",
        again.headers
    );
    assert_eq!(s.up.count(JAR), 1, "one upstream fetch for two requests");
    let asked = s.aws.state().codeartifact.endpoint_requests.clone();
    assert!(
        asked.iter().any(|r| r.format == "maven"
            && r.repository == "maven-store"
            && r.domain_owner.as_deref() == Some("123456789012")),
        "{asked:?}"
    );

    // Checked against the repository's checksum before it is stored.
    let evil = "com/example/evil/1.0/evil-1.0.jar";
    s.up.add(evil, b"the real bytes");
    s.up.tamper(evil, b"something else");
    let r = s.srv.get(&format!("{SEED}/{evil}")).await;
    assert!(
        r.status >= 500 || r.body.is_err(),
        "a body that fails its checksum must not reach the client whole: {}",
        r.status
    );
    assert_eq!(
        s.srv.cache.store().list().await.unwrap().len(),
        1,
        "only the good jar is stored"
    );

    // Metadata revalidated on each request.
    s.up.add(METADATA, b"<metadata>1.0</metadata>");
    assert_eq!(
        s.get(&format!("{SEED}/{METADATA}")).await.text(),
        "<metadata>1.0</metadata>"
    );
    s.srv.wait_stored(2).await;
    s.up.add(METADATA, b"<metadata>2.0</metadata>");
    assert_eq!(
        s.get(&format!("{SEED}/{METADATA}")).await.text(),
        "<metadata>2.0</metadata>"
    );
    assert_eq!(s.up.count(METADATA), 2);

    // The path rules of every Maven mount.
    assert_eq!(s.get(&format!("{SEED}/com/example/")).await.status, 404);
    assert_eq!(
        s.srv
            .raw_status(&format!("{SEED}/com/../../etc/passwd"))
            .await,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_through_the_seed_url_form_is_refused_before_the_repository() {
    // Even with a configured mount of the same repository that deploys.
    let s = setup(true).await;
    let put = s
        .srv
        .send(
            "PUT",
            &format!("{SEED}/{JAR}"),
            &[("authorization", "Basic eDp5")],
            b"deployed",
        )
        .await;
    s.assert_clean(&put);
    assert_eq!(put.status, 403, "{}", put.text());
    assert!(put.text().contains("no-config"), "{}", put.text());
    assert!(s.up.file(JAR).is_none());
    let seen = s.up.state.lock().unwrap().seen.clone();
    assert!(
        seen.iter().all(|(m, _, _)| m != "PUT"),
        "a PUT reached the repository: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_seed_gets_the_answer_of_every_format_and_is_remembered() {
    use awsproxy::services::repo_error::RepoError;
    use awsproxy::services::seeds::FAILED_FOR;
    use axum::response::IntoResponse as _;
    use http_body_util::BodyExt as _;

    let s = setup_with(Vec::new()).await;
    let junk = format!("/999999999999/us-east-1/junk/repo/maven/{JAR}");
    let expected = RepoError::SeedFailed {
        retry_after: FAILED_FOR,
    }
    .into_response();
    let expected_retry = expected.headers()["retry-after"]
        .to_str()
        .unwrap()
        .to_owned();
    let expected_body = expected.into_body().collect().await.unwrap().to_bytes();

    let first = s.get(&junk).await;
    assert_eq!(first.status, 503, "{}", first.text());
    assert_eq!(first.header("retry-after"), expected_retry);
    assert_eq!(first.body.as_deref().unwrap(), &expected_body[..]);
    let again = s.get(&junk).await;
    assert_eq!(again.status, 503);
    assert!(!again.header("retry-after").is_empty());
    let calls = s
        .aws
        .state()
        .codeartifact
        .endpoint_requests
        .iter()
        .filter(|r| r.domain_owner.as_deref() == Some("999999999999"))
        .count();
    assert_eq!(calls, 1, "the failure was not remembered");

    // A malformed seed is a 404 without any AWS call.
    assert_eq!(
        s.get(&format!("/not-an-account/us-east-1/junk/repo/maven/{JAR}"))
            .await
            .status,
        404
    );
    assert!(s.up.state.lock().unwrap().seen.is_empty());
}

/// A CodeArtifact Maven mount's token is in `/metrics` as the other formats'
/// are (`awsproxy_maven_token_refreshes`, `_token_expiry_seconds`), next to
/// the Maven request counter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_metrics_are_exported() {
    use tower::ServiceExt as _;
    let s = setup(false).await;
    s.up.add(JAR, b"jar bytes");
    assert_eq!(s.get(&format!("/maven/ca/{JAR}")).await.status, 200);
    let req = http::Request::get("/metrics")
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = awsproxy::services::status::router(s.srv.board.clone())
        .oneshot(req)
        .await
        .unwrap();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("awsproxy_maven_token_refreshes_total{mount=\"maven:ca\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("awsproxy_maven_token_expiry_seconds{mount=\"maven:ca\"}"),
        "{text}"
    );
    assert!(text.contains("awsproxy_maven_requests"), "{text}");
}
