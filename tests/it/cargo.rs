//! The Cargo sparse-registry proxy (`services::cargo`) on 127.0.0.1:0 against
//! the CodeArtifact fake, its Cargo endpoint a local registry that demands
//! `Bearer <token>`. Every response is checked for the token and the
//! upstream's address.

use awsproxy::config::{CargoMount, Fallback, ReposSection};
use bytes::Bytes;

use crate::support::cargo_upstream::CargoUpstream;
use crate::support::fakes::FakeAws;
use crate::support::repo_env::WithUpstream;

pub(crate) fn mount(allow_publish: bool) -> CargoMount {
    CargoMount {
        name: "crates".to_owned(),
        domain: "fake-domain".to_owned(),
        domain_owner: "123456789012".to_owned(),
        region: Some("us-east-1".to_owned()),
        repository: "repo".to_owned(),
        profile: None,
        endpoint: None,
        fallback: Fallback::Off,
        fallback_allow: Vec::new(),
        fallback_deny: Vec::new(),
        fallback_index: None,
        allow_publish,
    }
}

type Env = WithUpstream<CargoUpstream>;

async fn setup(allow_publish: bool) -> Env {
    setup_with(mount(allow_publish)).await
}

async fn setup_with(mount: CargoMount) -> Env {
    let section = ReposSection {
        cargo: vec![mount],
        ..ReposSection::default()
    };
    Box::pin(WithUpstream::start(CargoUpstream::start, section)).await
}

const DOWNLOAD: &str = "/cargo/crates/api/v1/crates/foo-bar/1.0.0/download";

#[tokio::test]
async fn config_json_points_cargo_at_the_mount_and_crates_are_verified_then_cached() {
    let env = setup(false).await;
    env.up.add("foo-bar", "1.0.0", b"crate bytes");
    env.up.add("foo-bar", "1.1.0", b"newer crate");

    let config = env.get("/cargo/crates/config.json").await;
    assert_eq!(config.status, 200, "{}", config.text());
    let json = config.json();
    assert_eq!(
        json["dl"],
        format!("{}/cargo/crates/api/v1/crates", env.base)
    );
    assert_eq!(json["api"], format!("{}/cargo/crates", env.base));
    assert!(json.get("auth-required").is_none(), "{json}");

    let index = env.get("/cargo/crates/fo/o-/foo-bar").await;
    assert_eq!(index.status, 200, "{}", index.text());
    assert_eq!(index.text().lines().count(), 2);
    assert!(index.text().contains("\"vers\":\"1.1.0\""));

    let first = env.get(DOWNLOAD).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.body.as_deref().unwrap(), b"crate bytes");
    assert_eq!(env.up.count("/foo-bar/1.0.0/download"), 1);
    let second = env.get(DOWNLOAD).await;
    assert_eq!(second.body.as_deref().unwrap(), b"crate bytes");
    assert_eq!(
        env.up.count("/foo-bar/1.0.0/download"),
        1,
        "the second download was not a hit"
    );
    let head = env.req("HEAD", DOWNLOAD, &[], Bytes::new()).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.headers["content-length"], "11");

    // A version the index doesn't list is never downloaded.
    let before = env.up.count("/download");
    assert_eq!(
        env.get("/cargo/crates/api/v1/crates/foo-bar/9.9.9/download")
            .await
            .status,
        404
    );
    assert_eq!(env.up.count("/download"), before);
    assert_eq!(env.get("/cargo/crates/no/ne/nonexistent").await.status, 404);

    let (_, metrics) = env.status("/metrics").await;
    for family in [
        "awsproxy_cargo_requests_total{mount=\"cargo:crates\"}",
        "awsproxy_cargo_cache_total{mount=\"cargo:crates\",result=\"hit\"}",
        "awsproxy_cargo_token_expiry_seconds{mount=\"cargo:crates\"}",
    ] {
        assert!(metrics.contains(family), "{family}: {metrics}");
    }
    let (_, page) = env.status("/").await;
    assert!(
        page.contains("Cargo registries") && page.contains("/cargo/crates/"),
        "{page}"
    );
    let (status, health) = env.status("/healthz").await;
    assert_eq!(status, 200, "{health}");
    assert!(health.contains("cargo:crates"), "{health}");
    env.assert_no_leaks();
}

#[tokio::test]
async fn a_tampered_crate_is_refused_and_not_stored() {
    let env = setup(false).await;
    env.up
        .add_with_cksum("evil", "1.0.0", b"tampered bytes", &"0".repeat(64));
    let path = "/cargo/crates/api/v1/crates/evil/1.0.0/download";
    for round in 1..=2 {
        let got = env.get(path).await;
        assert!(
            got.status != 200 || got.body.is_err(),
            "round {round}: a crate that fails its cksum was served whole"
        );
        assert_eq!(
            env.up.count("/evil/1.0.0/download"),
            round,
            "the bad crate was stored"
        );
    }
    env.assert_no_leaks();
}

#[tokio::test]
async fn a_config_json_pointing_downloads_elsewhere_gets_no_token() {
    let env = setup(false).await;
    let aws = FakeAws::start().await;
    let elsewhere = CargoUpstream::start(aws.shared());
    env.up.add("foo-bar", "1.0.0", b"crate bytes");
    env.up.state.lock().unwrap().dl = Some(format!(
        "http://{}/cargo/repo/api/v1/crates",
        elsewhere.authority()
    ));
    let got = env.get(DOWNLOAD).await;
    assert_eq!(got.status, 502, "{}", got.text());
    assert!(got.text().contains("own host"), "{}", got.text());
    assert_eq!(elsewhere.requests(), 0, "the download went to another host");
    env.assert_no_leaks();
}

#[tokio::test]
async fn a_config_json_pointing_publishes_elsewhere_gets_no_token() {
    let env = setup(true).await;
    let aws = FakeAws::start().await;
    let elsewhere = CargoUpstream::start(aws.shared());
    env.up.state.lock().unwrap().api =
        Some(format!("http://{}/cargo/repo/", elsewhere.authority()));
    let got = env
        .req(
            "PUT",
            "/cargo/crates/api/v1/crates/new",
            &[("authorization", "unused")],
            Bytes::from_static(b"\x02\x00\x00\x00{}\x00\x00\x00\x00"),
        )
        .await;
    assert_eq!(got.status, 502, "{}", got.text());
    assert!(got.text().contains("own host"), "{}", got.text());
    assert_eq!(elsewhere.requests(), 0, "the publish went to another host");
    assert!(env.up.writes().is_empty());
    env.assert_no_leaks();
}

#[tokio::test]
async fn publish_and_yank_need_the_opt_in_and_no_browser() {
    let auth = [("authorization", "unused-client-token")];
    let body = Bytes::from_static(b"\x02\x00\x00\x00{}\x00\x00\x00\x00");
    let env = setup(false).await;
    let off = env
        .req(
            "PUT",
            "/cargo/crates/api/v1/crates/new",
            &auth,
            body.clone(),
        )
        .await;
    assert_eq!(off.status, 403);
    assert!(off.text().contains("allow_publish"), "{}", off.text());
    assert!(env.up.writes().is_empty());

    let env = setup(true).await;
    env.up.add("foo-bar", "1.0.0", b"x");
    let browser = [
        ("authorization", "unused-client-token"),
        ("origin", "https://evil.example"),
    ];
    let refused = env
        .req(
            "PUT",
            "/cargo/crates/api/v1/crates/new",
            &browser,
            body.clone(),
        )
        .await;
    assert_eq!(refused.status, 403);
    let anonymous = env
        .req("PUT", "/cargo/crates/api/v1/crates/new", &[], body.clone())
        .await;
    assert_eq!(anonymous.status, 401);
    assert!(env.up.writes().is_empty());

    let index = "/cargo/crates/fo/o-/foo-bar";
    let _ = env.get(index).await;
    let _ = env.get(index).await;
    assert_eq!(env.up.count("/fo/o-/foo-bar"), 1, "not cached");
    let ok = env
        .req(
            "PUT",
            "/cargo/crates/api/v1/crates/new",
            &auth,
            body.clone(),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert!(ok.json()["warnings"].is_object());
    // cargo waits for the new version in the index: it is asked upstream now.
    let _ = env.get(index).await;
    assert_eq!(
        env.up.count("/fo/o-/foo-bar"),
        2,
        "the index was not revalidated after a publish"
    );
    let yank = env
        .req(
            "DELETE",
            "/cargo/crates/api/v1/crates/foo-bar/1.0.0/yank",
            &auth,
            Bytes::new(),
        )
        .await;
    assert_eq!(yank.status, 200, "{}", yank.text());
    assert_eq!(
        env.up.writes(),
        vec![
            ("PUT".to_owned(), "new".to_owned(), body),
            (
                "DELETE".to_owned(),
                "foo-bar/1.0.0/yank".to_owned(),
                Bytes::new()
            ),
        ]
    );
    env.assert_no_leaks();
}

#[tokio::test]
async fn traversal_is_refused_and_search_is_not_proxied() {
    let env = setup(true).await;
    env.up.add("foo-bar", "1.0.0", b"x");
    let _ = env.get("/cargo/crates/config.json").await;
    let search = env.get("/cargo/crates/api/v1/crates?q=foo").await;
    assert_eq!(search.status, 501);
    assert!(search.text().contains("not proxied"));
    let owners = env.get("/cargo/crates/api/v1/crates/foo-bar/owners").await;
    assert_eq!(owners.status, 501);
    let before = env.up.requests();
    for path in [
        "/cargo/crates/fo/o-/..%2ffoo-bar",
        "/cargo/crates/fo/o-/../../config.json",
        "/cargo/crates/xx/yy/foo-bar",
        "/cargo/crates/fo/o-/Foo-bar",
        "/cargo/crates/api/v1/crates/..%2f..%2fx/1.0.0/download",
        "/cargo/crates/api/v1/crates/foo-bar/..%2f1/download",
        "/cargo/crates/.hidden",
    ] {
        let got = env.get(path).await;
        assert!(matches!(got.status, 400 | 404), "{path}: {}", got.status);
    }
    let auth = [("authorization", "x")];
    let bad_yank = env
        .req(
            "DELETE",
            "/cargo/crates/api/v1/crates/..%2fx/1.0.0/yank",
            &auth,
            Bytes::new(),
        )
        .await;
    assert_eq!(bad_yank.status, 400);
    assert_eq!(env.up.requests(), before, "a refused path reached upstream");
    env.assert_no_leaks();
}

#[tokio::test]
async fn the_seed_url_form_works_without_config_and_never_publishes() {
    let env = setup(false).await;
    env.up.add("abc", "0.1.0", b"seeded crate");
    let root = "/123456789012/us-east-1/fake-domain/repo/cargo";
    let config = env.get(&format!("{root}/config.json")).await;
    assert_eq!(config.status, 200, "{}", config.text());
    assert_eq!(
        config.json()["dl"],
        format!("{}{root}/api/v1/crates", env.base)
    );
    assert_eq!(env.get(&format!("{root}/3/a/abc")).await.status, 200);
    let got = env
        .get(&format!("{root}/api/v1/crates/abc/0.1.0/download"))
        .await;
    assert_eq!(got.body.as_deref().unwrap(), b"seeded crate");
    let publish = env
        .req(
            "PUT",
            &format!("{root}/api/v1/crates/new"),
            &[("authorization", "x")],
            Bytes::from_static(b"{}"),
        )
        .await;
    assert_eq!(publish.status, 403);
    assert!(env.up.writes().is_empty());
    env.assert_no_leaks();
}

#[tokio::test]
async fn the_index_is_served_stale_when_the_registry_fails() {
    let env = setup(false).await;
    env.up.add("foo-bar", "1.0.0", b"crate bytes");
    let first = env.get("/cargo/crates/fo/o-/foo-bar").await;
    assert_eq!(first.status, 200);
    let config = env.get("/cargo/crates/config.json").await;
    env.up.state.lock().unwrap().fail_index = true;
    let before = env.up.count("/foo-bar");
    let again = env
        .req(
            "GET",
            "/cargo/crates/fo/o-/foo-bar",
            &[("cache-control", "no-cache")],
            Bytes::new(),
        )
        .await;
    assert_eq!(
        env.up.count("/foo-bar"),
        before + 1,
        "no-cache did not revalidate"
    );
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.text(), first.text());
    let config_again = env
        .req(
            "GET",
            "/cargo/crates/config.json",
            &[("cache-control", "no-cache")],
            Bytes::new(),
        )
        .await;
    assert_eq!(config_again.json(), config.json());
    // The download still works from the stale index and config.
    assert_eq!(
        env.get(DOWNLOAD).await.body.as_deref().unwrap(),
        b"crate bytes"
    );
    // A crate never fetched has nothing stale to serve.
    assert_eq!(env.get("/cargo/crates/ot/he/other").await.status, 502);
    env.assert_no_leaks();
}

#[tokio::test]
async fn the_public_fallback_serves_only_missing_permitted_crates_and_never_gets_the_token() {
    let public = CargoUpstream::start_public();
    let env = setup_with(CargoMount {
        fallback: Fallback::Missing,
        fallback_deny: vec!["corp-*".to_owned()],
        fallback_index: Some(format!("http://{}/cargo/repo/", public.authority())),
        ..mount(false)
    })
    .await;
    env.up.add("foo-bar", "1.0.0", b"private crate");
    // What an attacker published under the same names.
    public.add("foo-bar", "9.9.9", b"attacker crate");
    public.add("corp_secret", "9.9.9", b"attacker crate");
    public.add("serde", "1.0.0", b"public crate");

    let private = env.get("/cargo/crates/fo/o-/foo-bar").await;
    assert!(
        !private.text().contains("9.9.9"),
        "the private name came from the public index"
    );
    assert_eq!(public.count("/foo-bar"), 0);

    let index = env.get("/cargo/crates/se/rd/serde").await;
    assert_eq!(index.status, 200, "{}", index.text());
    let got = env
        .get("/cargo/crates/api/v1/crates/serde/1.0.0/download")
        .await;
    assert_eq!(got.body.as_deref().unwrap(), b"public crate");

    // crates.io treats `-` and `_` alike: `corp-*` denies `corp_secret`.
    assert_eq!(env.get("/cargo/crates/co/rp/corp_secret").await.status, 404);
    assert_eq!(
        public.count("corp_secret"),
        0,
        "a denied name was asked of the public index"
    );
    assert_eq!(
        public.unauthorized(),
        0,
        "the public index was sent credentials"
    );
    env.assert_no_leaks();
}
