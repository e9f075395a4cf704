//! Credentials that change under a running mount: a `credential_process`
//! profile whose keys rotate between two requests, used with no restart.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::SharedCredentialsProvider;
use awsproxy::config::MavenMount;
use awsproxy::creds::{CacheOptions, CredentialCache, SourceSpec};
use awsproxy::services::maven::Tuning;

use super::{BUCKET, JAR, key, mount, serve_with};
use crate::support::fakes::FakeS3;

/// A `credential_process` profile (in its own config file) whose script prints
/// whatever `creds.json` holds, so the test can rotate the keys under it.
fn rotating_profile(dir: &std::path::Path) -> CredentialCache {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("creds.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ncat '{}'\n", dir.join("creds.json").display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile rotating]\ncredential_process = {}\n",
            script.display()
        ),
    )
    .unwrap();
    #[allow(deprecated)]
    let files = aws_config::profile::profile_file::ProfileFiles::builder()
        .with_file(
            aws_config::profile::profile_file::ProfileFileKind::Config,
            &config,
        )
        .build();
    let provider = aws_config::profile::ProfileFileCredentialsProvider::builder()
        .profile_files(files)
        .profile_name("rotating")
        .build();
    CredentialCache::with_provider(
        SourceSpec::profile(Some("rotating")),
        SharedCredentialsProvider::new(provider),
        CacheOptions::default(),
    )
}

/// Keys that expire inside the credentials cache's refresh-ahead window, so each
/// request asks the profile again (as after a rotation or a new login).
fn write_keys(dir: &std::path::Path, akid: &str, secret: &str) {
    let expires = awsproxy::creds::rfc3339(SystemTime::now() + Duration::from_secs(15 * 60));
    std::fs::write(
        dir.join("creds.json"),
        format!(
            r#"{{"Version": 1, "AccessKeyId": "{akid}", "SecretAccessKey": "{secret}", "Expiration": "{expires}"}}"#
        ),
    )
    .unwrap();
}

#[tokio::test]
async fn rotated_credentials_are_used_by_the_next_request_without_a_restart() {
    let s3 = FakeS3::start_with_auth(&[
        ("AKIDROTATEDAAAA", "secret-one"),
        ("AKIDROTATEDBBBB", "secret-two"),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    write_keys(dir.path(), "AKIDROTATEDAAAA", "secret-one");
    let m = MavenMount {
        profile: Some("rotating".into()),
        ..mount(&s3)
    };
    let srv = serve_with(vec![(m, rotating_profile(dir.path()))], Tuning::default())
        .await
        .with_bucket(&s3);
    s3.put(BUCKET, &key(JAR), b"one");
    s3.put(BUCKET, &key("com/example/lib/2.0/lib-2.0.jar"), b"two");

    let r = srv.get(&format!("/maven/corp/{JAR}")).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // The old keys stop working; the profile now gives new ones.
    s3.deny_key("AKIDROTATEDAAAA");
    write_keys(dir.path(), "AKIDROTATEDBBBB", "secret-two");
    s3.clear_requests();
    let r = srv.get("/maven/corp/com/example/lib/2.0/lib-2.0.jar").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "two");
    let signers: Vec<_> = s3
        .requests()
        .into_iter()
        .map(|r| r.access_key_id.unwrap_or_default())
        .collect();
    assert!(!signers.is_empty());
    assert!(
        signers.iter().all(|k| k == "AKIDROTATEDBBBB"),
        "{signers:?}"
    );
}
