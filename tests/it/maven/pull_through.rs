//! Pull-through from an upstream repository (with write-back into the bucket)
//! and `PUT` deploys.

use std::time::Duration;

use awsproxy::config::MavenMount;
use sha2::Digest as _;

use super::{BUCKET, key, mount, serve};
use crate::support::fakes::FakeS3;
use crate::support::origin::{Origin, Reply};
use awsproxy::net::ClientSettings;

#[tokio::test]
async fn upstream_pull_through_writes_verified_artifacts_back_to_the_bucket() {
    let s3 = FakeS3::start().await;
    let origin = Origin::start();
    let jar = b"an artifact from the public repository".to_vec();
    let path = "org/public/thing/3.0/thing-3.0.jar";
    origin.set(&format!("/maven2/{path}"), Reply::ok(jar.clone()));
    origin.set(
        &format!("/maven2/{path}.sha1"),
        Reply::ok(hex::encode(sha1::Sha1::digest(&jar))),
    );
    let bad = "org/public/bad/3.0/bad-3.0.jar";
    origin.set(&format!("/maven2/{bad}"), Reply::ok(jar.clone()));
    origin.set(&format!("/maven2/{bad}.sha1"), Reply::ok("2".repeat(40)));
    let m = MavenMount {
        upstream: Some(origin.url("/maven2/")),
        write_back: true,
        ..mount(&s3)
    };
    let srv = serve(&s3, m).await;

    let r = srv.get(&format!("/maven/corp/{path}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body.as_ref().unwrap().as_ref(), &jar[..]);
    assert_eq!(r.header("content-type"), "application/java-archive");
    let mut copied = None;
    for _ in 0..500 {
        copied = s3.read(BUCKET, &key(path));
        if copied.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(copied.as_deref(), Some(&jar[..]), "not written back");

    // A body that fails its upstream checksum is neither served whole nor copied.
    let r = srv.get(&format!("/maven/corp/{bad}")).await;
    assert!(r.body.is_err());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(s3.read(BUCKET, &key(bad)).is_none());

    // Missing in both places: 404.
    let r = srv.get("/maven/corp/org/public/none/1/none-1.jar").await;
    assert_eq!(r.status, 404, "{}", r.text());
}

#[tokio::test]
async fn deploy_needs_allow_deploy() {
    let s3 = FakeS3::start().await;
    let srv = serve(&s3, mount(&s3)).await;
    let url = "/maven/corp/com/example/app/1.0/app-1.0.jar";
    let r = srv.send("PUT", url, &[], b"jar bytes").await;
    assert_eq!(r.status, 405, "{}", r.text());
    assert_eq!(r.header("allow"), "GET, HEAD");
    assert!(r.text().contains("allow_deploy"));
    assert_eq!(srv.send("DELETE", url, &[], b"").await.status, 405);
    assert_eq!(s3.request_count(), 0);

    let m = MavenMount {
        allow_deploy: true,
        ..mount(&s3)
    };
    let srv = serve(&s3, m).await;
    // mvn sends credentials (any) once challenged.
    let r = srv.send("PUT", url, &[], b"jar bytes").await;
    assert_eq!(r.status, 401, "{}", r.text());
    let auth = [("authorization", "Basic bXZuOng=")];
    let r = srv.send("PUT", url, &auth, b"jar bytes").await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        s3.read(BUCKET, &key("com/example/app/1.0/app-1.0.jar"))
            .as_deref(),
        Some(&b"jar bytes"[..])
    );
    let r = srv.get(url).await;
    assert_eq!(r.text(), "jar bytes");
    assert_eq!(
        srv.send("PUT", "/maven/corp/../x.jar", &auth, b"x")
            .await
            .status,
        400
    );
    assert_eq!(
        srv.send("PUT", "/maven/corp/com/", &auth, b"x")
            .await
            .status,
        405
    );
}

/// `[proxy] upstream_ca` reaches Maven upstreams too (a repository behind a
/// corporate CA), as it does the forward proxy and PyPI fallbacks.
#[tokio::test]
async fn an_upstream_behind_a_private_ca_is_trusted_through_upstream_ca() {
    use crate::support::tls_origin::{Origin as TlsOrigin, TestCa};
    let s3 = FakeS3::start().await;
    let ca = TestCa::new();
    let origin = TlsOrigin::https(&ca).await;
    let m = MavenMount {
        upstream: Some(format!("https://localhost:{}/maven2/", origin.port())),
        ..mount(&s3)
    };
    let path = "org/corp/lib/maven-metadata.xml";
    let untrusted = serve(&s3, m.clone()).await;
    assert_eq!(
        untrusted.get(&format!("/maven/corp/{path}")).await.status,
        502
    );

    let settings = ClientSettings {
        upstream_ca: vec![ca.pem_path.clone()],
        ..ClientSettings::default()
    };
    let srv = super::serve_with_upstream(
        vec![(
            m,
            super::static_creds(
                crate::support::fakes::FAKE_ACCESS_KEY_ID,
                crate::support::fakes::FAKE_SECRET_ACCESS_KEY,
            ),
        )],
        awsproxy::services::maven::Tuning::default(),
        settings,
    )
    .await
    .with_bucket(&s3);
    let r = srv.get(&format!("/maven/corp/{path}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), format!("hello from origin: /maven2/{path}"));
}
