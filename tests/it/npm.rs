//! The npm repository proxy (`services::npm`) on 127.0.0.1:0 against the
//! CodeArtifact fake, its npm endpoint a local registry that demands
//! `Bearer <token>`. Every response is checked for the token and the
//! upstream's address.

use awsproxy::config::{Fallback, NpmMount, ReposSection};
use bytes::Bytes;

use crate::support::npm_upstream::NpmUpstream;
use crate::support::repo_env::WithUpstream;

fn mount(allow_publish: bool) -> NpmMount {
    NpmMount {
        name: "main".to_owned(),
        domain: "fake-domain".to_owned(),
        domain_owner: "123456789012".to_owned(),
        region: Some("us-east-1".to_owned()),
        repository: "repo".to_owned(),
        profile: None,
        endpoint: None,
        fallback: Fallback::Off,
        fallback_allow: Vec::new(),
        fallback_deny: Vec::new(),
        fallback_registry: None,
        allow_publish,
    }
}

type Env = WithUpstream<NpmUpstream>;

async fn setup(allow_publish: bool) -> Env {
    setup_with(mount(allow_publish)).await
}

async fn setup_with(mount: NpmMount) -> Env {
    let section = ReposSection {
        npm: vec![mount],
        ..ReposSection::default()
    };
    Box::pin(WithUpstream::start(NpmUpstream::start, section)).await
}

fn tarball_path(doc: &serde_json::Value, version: &str, base: &str) -> String {
    let url = doc["versions"][version]["dist"]["tarball"]
        .as_str()
        .unwrap();
    url.strip_prefix(base)
        .expect("tarball under the mount")
        .to_owned()
}

#[tokio::test]
async fn documents_are_rewritten_and_tarballs_cached_after_verification() {
    let env = setup(false).await;
    env.up.add("left-pad", "1.0.0", b"unscoped tarball");
    env.up.add("@s/p", "2.0.0", b"scoped tarball");

    let doc = env.get("/npm/main/left-pad").await;
    assert_eq!(doc.status, 200, "{}", doc.text());
    let json = doc.json();
    assert_eq!(json["readme"], "the full document");
    let path = tarball_path(&json, "1.0.0", &env.base);
    assert_eq!(path, "/npm/main/-/left-pad/-/left-pad-1.0.0.tgz");
    assert!(
        json["versions"]["1.0.0"]["dist"]["integrity"]
            .as_str()
            .unwrap()
            .starts_with("sha512-")
    );

    for spelling in ["/npm/main/@s%2fp", "/npm/main/@s%2Fp", "/npm/main/@s/p"] {
        let doc = env.get(spelling).await;
        assert_eq!(doc.status, 200, "{spelling}: {}", doc.text());
        assert_eq!(
            tarball_path(&doc.json(), "2.0.0", &env.base),
            "/npm/main/-/@s/p/-/p-2.0.0.tgz"
        );
    }

    let abbreviated = env
        .req(
            "GET",
            "/npm/main/left-pad",
            &[(
                "accept",
                "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*",
            )],
            Bytes::new(),
        )
        .await;
    assert_eq!(abbreviated.status, 200);
    assert_eq!(
        abbreviated.headers["content-type"],
        "application/vnd.npm.install-v1+json"
    );
    let a = abbreviated.json();
    assert!(
        a.get("readme").is_none() && a.get("modified").is_some(),
        "{a}"
    );

    let first = env.get(&path).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body.as_deref().unwrap(), b"unscoped tarball");
    let fetched = env.up.count("/left-pad-1.0.0.tgz");
    assert_eq!(fetched, 1);
    let second = env.get(&path).await;
    assert_eq!(second.body.as_deref().unwrap(), b"unscoped tarball");
    assert_eq!(
        env.up.count("/left-pad-1.0.0.tgz"),
        fetched,
        "second download was not a hit"
    );

    let scoped = env.get("/npm/main/-/@s/p/-/p-2.0.0.tgz").await;
    assert_eq!(scoped.body.as_deref().unwrap(), b"scoped tarball");

    assert_eq!(env.get("/npm/main/nope").await.status, 404);
    // Not listed by any document: never fetched.
    assert_eq!(
        env.get("/npm/main/-/left-pad/-/left-pad-9.9.9.tgz")
            .await
            .status,
        404
    );
    env.assert_no_leaks();
}

#[tokio::test]
async fn a_tampered_tarball_is_refused_and_not_stored() {
    let env = setup(false).await;
    let wrong = format!(
        "sha512-{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [0u8; 64])
    );
    env.up
        .add_with_integrity("evil", "1.0.0", b"tampered bytes", &wrong);
    let doc = env.get("/npm/main/evil").await;
    let path = tarball_path(&doc.json(), "1.0.0", &env.base);
    for round in 1..=2 {
        let got = env.get(&path).await;
        assert!(
            got.status != 200 || got.body.is_err(),
            "round {round}: a tarball that fails its integrity was served whole"
        );
        assert_eq!(
            env.up.count("/evil-1.0.0.tgz"),
            round,
            "the bad tarball was stored"
        );
    }
    env.assert_no_leaks();
}

#[tokio::test]
async fn publish_needs_the_opt_in_and_no_browser() {
    let env = setup(false).await;
    env.up.add("left-pad", "1.0.0", b"x");
    let _ = env.get("/npm/main/left-pad").await;
    let auth = [
        ("authorization", "Bearer npm-client"),
        ("content-type", "application/json"),
    ];
    let off = env
        .req(
            "PUT",
            "/npm/main/left-pad",
            &auth,
            Bytes::from_static(b"{}"),
        )
        .await;
    assert_eq!(off.status, 403);
    assert!(off.text().contains("allow_publish"));
    assert!(env.up.publishes().is_empty());
    env.assert_no_leaks();

    let env = setup(true).await;
    env.up.add("left-pad", "1.0.0", b"x");
    let _ = env.get("/npm/main/left-pad").await;
    let browser = [
        ("authorization", "Bearer npm-client"),
        ("origin", "https://evil.example"),
    ];
    let refused = env
        .req(
            "PUT",
            "/npm/main/left-pad",
            &browser,
            Bytes::from_static(b"{}"),
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(env.up.publishes().is_empty());
    let body = Bytes::from_static(br#"{"name":"@s/p","versions":{}}"#);
    let ok = env
        .req("PUT", "/npm/main/@s%2fp", &auth, body.clone())
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(env.up.publishes(), vec![("@s/p".to_owned(), body)]);
    env.assert_no_leaks();
}

#[tokio::test]
async fn audit_search_and_traversal_are_refused() {
    let env = setup(false).await;
    env.up.add("left-pad", "1.0.0", b"x");
    let _ = env.get("/npm/main/left-pad").await;
    for path in [
        "/npm/main/-/npm/v1/security/advisories/bulk",
        "/npm/main/-/npm/v1/security/audits/quick",
        "/npm/main/-/v1/search?text=x",
    ] {
        let got = env.req("POST", path, &[], Bytes::new()).await;
        assert_eq!(got.status, 501, "{path}");
        assert!(got.text().contains("does not proxy"));
    }
    let before = env.up.state.lock().unwrap().seen.len();
    for path in [
        "/npm/main/..%2f..%2fetc",
        "/npm/main/@s%2f..",
        "/npm/main/a%2fb",
        "/npm/main/-/..%2fx/-/x.tgz",
        "/npm/main/-/left-pad/-/..%2fleft-pad-1.0.0.tgz",
        "/npm/main/.hidden",
    ] {
        let got = env.get(path).await;
        assert!(matches!(got.status, 400 | 404), "{path}: {}", got.status);
    }
    assert_eq!(
        env.up.state.lock().unwrap().seen.len(),
        before,
        "a refused name reached upstream"
    );
    env.assert_no_leaks();
}

/// `npm dist-tag ls` reads the tags from the package document (through the
/// cache); `npm dist-tag add/rm` get a clear 501, never reaching the repository.
#[tokio::test]
async fn dist_tags_are_listed_from_the_document_and_changes_refused() {
    let env = setup(false).await;
    env.up.add("left-pad", "1.0.0", b"x");
    env.up.add("@s/p", "2.0.0", b"y");
    for (path, version) in [
        ("/npm/main/-/package/left-pad/dist-tags", "1.0.0"),
        ("/npm/main/-/package/@s%2fp/dist-tags", "2.0.0"),
    ] {
        let got = env.get(path).await;
        assert_eq!(got.status, 200, "{path}: {}", got.text());
        assert_eq!(
            got.json(),
            serde_json::json!({ "latest": version }),
            "{path}"
        );
    }
    let before = env.up.state.lock().unwrap().seen.len();
    for method in ["PUT", "DELETE"] {
        let got = env
            .req(
                method,
                "/npm/main/-/package/left-pad/dist-tags/beta",
                &[],
                Bytes::from_static(b"\"1.0.0\""),
            )
            .await;
        assert_eq!(got.status, 501, "{method}");
        assert!(got.text().contains("dist-tag"), "{}", got.text());
    }
    assert_eq!(
        env.get("/npm/main/-/package/nope/dist-tags").await.status,
        404
    );
    assert_eq!(
        env.up.state.lock().unwrap().seen.len(),
        before + 1,
        "only the missing document was asked for"
    );
    env.assert_no_leaks();
}

#[tokio::test]
async fn the_seed_url_form_works_without_config_and_never_publishes() {
    let env = setup(false).await;
    env.up.add("@s/p", "1.0.0", b"seeded tarball");
    let root = "/123456789012/us-east-1/fake-domain/repo/npm";
    let doc = env.get(&format!("{root}/@s%2fp")).await;
    assert_eq!(doc.status, 200, "{}", doc.text());
    let path = tarball_path(&doc.json(), "1.0.0", &env.base);
    assert_eq!(path, format!("{root}/-/@s/p/-/p-1.0.0.tgz"));
    let tgz = env.get(&path).await;
    assert_eq!(tgz.body.as_deref().unwrap(), b"seeded tarball");
    let auth = [("authorization", "Bearer x")];
    let publish = env
        .req(
            "PUT",
            &format!("{root}/@s%2fp"),
            &auth,
            Bytes::from_static(b"{}"),
        )
        .await;
    assert_eq!(publish.status, 403);
    assert!(env.up.publishes().is_empty());
    env.assert_no_leaks();
}

#[tokio::test]
async fn a_document_is_served_stale_when_the_registry_fails() {
    let env = setup(false).await;
    env.up.add("left-pad", "1.0.0", b"x");
    let first = env.get("/npm/main/left-pad").await;
    assert_eq!(first.status, 200);
    env.up.state.lock().unwrap().fail_documents = true;
    let before = env.up.count("/left-pad");
    let again = env
        .req(
            "GET",
            "/npm/main/left-pad",
            &[("cache-control", "no-cache")],
            Bytes::new(),
        )
        .await;
    assert_eq!(
        env.up.count("/left-pad"),
        before + 1,
        "no-cache did not revalidate"
    );
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json(), first.json());
    // A package never fetched has nothing stale to serve.
    assert_eq!(env.get("/npm/main/other").await.status, 502);
    env.assert_no_leaks();
}

#[tokio::test]
async fn the_public_fallback_serves_only_missing_permitted_names_and_never_gets_the_token() {
    let public = NpmUpstream::start_public();
    let env = setup_with(NpmMount {
        fallback: Fallback::Missing,
        fallback_deny: vec!["@corp/*".to_owned()],
        fallback_registry: Some(format!("http://{}/npm/repo/", public.authority())),
        ..mount(false)
    })
    .await;
    env.up.add("corp-lib", "1.0.0", b"private tarball");
    // What an attacker published under the same names.
    public.add("corp-lib", "9.9.9", b"attacker tarball");
    public.add("@corp/secret", "9.9.9", b"attacker tarball");
    public.add("left-pad", "1.3.0", b"public tarball");

    let private = env.get("/npm/main/corp-lib").await;
    assert_eq!(private.status, 200);
    assert!(
        private.json()["versions"].get("9.9.9").is_none(),
        "the private name came from the public registry"
    );
    assert_eq!(public.count("/corp-lib"), 0);

    let doc = env.get("/npm/main/left-pad").await;
    assert_eq!(doc.status, 200, "{}", doc.text());
    let path = tarball_path(&doc.json(), "1.3.0", &env.base);
    assert_eq!(path, "/npm/main/-/left-pad/-/left-pad-1.3.0.tgz");
    let tgz = env.get(&path).await;
    assert_eq!(tgz.body.as_deref().unwrap(), b"public tarball");

    assert_eq!(env.get("/npm/main/@corp%2fsecret").await.status, 404);
    assert_eq!(
        public.count("secret"),
        0,
        "a denied name was asked of the public registry"
    );
    assert_eq!(
        public.unauthorized(),
        0,
        "the public registry was sent credentials"
    );
    assert!(public.count("/left-pad-1.3.0.tgz") == 1);
    env.assert_no_leaks();
    let seen = format!("{:?}{}", doc.headers, doc.text());
    assert!(
        !seen.contains(&public.authority()),
        "public registry address leaked: {seen}"
    );
}

/// An npm and a Cargo mount of one domain, owner, region and identity share
/// one CodeArtifact token: the second format's requests carry the token the
/// first one fetched (the repository accepts it), and no second is issued.
#[tokio::test]
async fn mounts_of_different_formats_share_one_token() {
    let section = ReposSection {
        npm: vec![mount(false)],
        cargo: vec![crate::cargo::mount(false)],
        ..ReposSection::default()
    };
    let env = Box::pin(WithUpstream::start(NpmUpstream::start, section)).await;
    env.up.add("left-pad", "1.0.0", b"x");
    assert_eq!(env.get("/npm/main/left-pad").await.status, 200);
    // The npm fake has no Cargo index: it answers 404, but only to a request
    // whose Bearer token it accepted.
    let _ = env.get("/cargo/crates/config.json").await;
    let seen = env.up.state.lock().unwrap().seen.clone();
    let cargo: Vec<_> = seen
        .iter()
        .filter(|(_, p, _)| p.starts_with("/cargo/"))
        .collect();
    assert!(!cargo.is_empty(), "the Cargo mount never asked: {seen:?}");
    assert!(cargo.iter().all(|(_, _, ok)| *ok), "{cargo:?}");
    assert_eq!(env.aws.state().codeartifact.tokens.len(), 1);
    env.assert_no_leaks();
}

/// `awsproxy cache warm --lock package-lock.json` (the real binary): each
/// locked package's document and tarball come through the mount into the
/// cache (the second run finds them cached, and `npm install` would then
/// need nothing from the registry); a version the registry lacks fails the
/// run with its name; git dependencies are skipped.
#[tokio::test]
async fn cache_warm_fetches_the_tarballs_a_package_lock_names() {
    let env = setup(false).await;
    env.up.add("left-pad", "1.0.0", b"left-pad one");
    env.up.add("left-pad", "1.1.0", b"left-pad one-one");
    env.up.add("@s/p", "2.0.0", b"scoped");
    let dir = tempfile::tempdir().unwrap();
    let addr = env.base.trim_start_matches("http://");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[repos]\nlisten = \"{addr}\"\n\n[[repos.npm]]\nname = \"main\"\ndomain = \"fake-domain\"\n\
             domain_owner = \"123456789012\"\nregion = \"us-east-1\"\nrepository = \"repo\"\n"
        ),
    )
    .unwrap();
    let lock = dir.path().join("package-lock.json");
    let write_lock = |extra: &str| {
        std::fs::write(
            &lock,
            format!(
                r#"{{"name": "app", "lockfileVersion": 3, "packages": {{
                "": {{"name": "app"}},
                "node_modules/left-pad": {{"version": "1.1.0"}},
                "node_modules/x/node_modules/left-pad": {{"version": "1.0.0"}},
                "node_modules/@s/p": {{"version": "2.0.0"}},
                "node_modules/g": {{"version": "git+https://example.com/g.git"}}{extra}
            }}}}"#
            ),
        )
        .unwrap();
    };
    write_lock("");
    let run = {
        let (config, lock, home) = (config.clone(), lock.clone(), dir.path().to_owned());
        move || {
            crate::support::context::cache_warm(
                &config,
                &home,
                &["--lock".as_ref(), lock.as_os_str()],
            )
        }
    };
    let (code, doc) = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    assert_eq!(code, Some(0), "{doc}");
    let files: Vec<(&str, bool)> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap(), f["cached"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        files,
        [
            ("@s/p@2.0.0", false),
            ("left-pad@1.0.0", false),
            ("left-pad@1.1.0", false)
        ]
    );
    assert_eq!(doc["projects"], 2);
    assert_eq!(doc["skipped"][0], "g@git+https://example.com/g.git");
    assert_eq!(env.up.count("/left-pad-1.1.0.tgz"), 1);

    // Stored: the second run is all hits, and the registry sees no tarball request.
    let (code, doc) = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    assert_eq!(code, Some(0), "{doc}");
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["cached"] == true),
        "{doc}"
    );
    assert_eq!(env.up.count("/left-pad-1.1.0.tgz"), 1);
    let got = env.get("/npm/main/-/@s/p/-/p-2.0.0.tgz").await;
    assert_eq!(got.body.as_deref().unwrap(), b"scoped");

    // A locked version the registry doesn't have fails the run, by name.
    write_lock(r#", "node_modules/nope": {"version": "9.9.9"}"#);
    let (code, doc) = tokio::task::spawn_blocking(run).await.unwrap();
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["failed"][0]["project"], "nope", "{doc}");
    env.assert_no_leaks();
}
