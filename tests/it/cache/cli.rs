//! `cache ls` / `cache purge` and rule validation through the binary.

use std::sync::Arc;

use awsproxy::cache::store::s3::S3Store;
use awsproxy::cache::{CachePolicy, CacheSettings, HttpCache};

use super::{disk_cache, get, opts, warm};
use crate::support::TestContext;
use crate::support::fakes::FakeS3;
use crate::support::origin::{Origin, Reply};

#[test]
fn cache_ls_and_purge_through_the_binary() {
    let origin = Origin::start();
    origin.set(
        "/one.tgz",
        Reply::ok("1").header("cache-control", "max-age=600"),
    );
    origin.set(
        "/two.whl",
        Reply::ok("22").header("cache-control", "max-age=600"),
    );
    let ctx = TestContext::new();
    let dir = ctx.cache_home().join("awsproxy/http");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let cache = disk_cache(&dir);
        for p in ["/one.tgz", "/two.whl"] {
            warm(&cache, get(&origin.url(p)), opts(CachePolicy::Standard)).await;
        }
        warm(
            &cache,
            get(&origin.url("/one.tgz")),
            opts(CachePolicy::Standard),
        )
        .await;
        // Hits are counted in the background; wait for it (bounded).
        for _ in 0..200 {
            let entries = cache.store().list().await.unwrap();
            if entries.iter().any(|e| e.hits == Some(1)) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    });

    let out = ctx.run(&["cache", "ls", "--json"]);
    out.assert_code(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let entries = v.as_array().unwrap();
    assert_eq!(entries.len(), 2, "{v}");
    let one = entries
        .iter()
        .find(|e| e["url"].as_str().unwrap().ends_with("/one.tgz"))
        .unwrap();
    assert_eq!(one["hits"], 1);
    assert_eq!(one["body_size"], 1);
    assert_eq!(one["store"], "disk");
    assert_eq!(one["namespace"], "forward");

    let out = ctx.run(&["cache", "ls", "two"]);
    out.assert_code(0);
    assert!(out.stdout.contains("/two.whl"), "{}", out.stdout);
    assert!(out.stdout.contains("forward"), "{}", out.stdout);
    assert!(!out.stdout.contains("/one.tgz"), "{}", out.stdout);

    let out = ctx.run(&["cache", "purge", "one", "--dry-run"]);
    out.assert_code(0);
    assert!(out.stdout.contains("/one.tgz"));
    assert_eq!(
        ctx.run(&["cache", "ls", "--json"])
            .stdout
            .matches("\"url\"")
            .count(),
        2
    );

    ctx.run(&["cache", "purge", "one"]).assert_code(0);
    let out = ctx.run(&["cache", "ls", "--json"]);
    assert!(
        !out.stdout.contains("one.tgz") && out.stdout.contains("two.whl"),
        "{}",
        out.stdout
    );

    ctx.run(&["cache", "purge", "--all"]).assert_code(0);
    assert_eq!(ctx.run(&["cache", "ls", "--json"]).stdout.trim(), "[]");
    ctx.run(&["cache", "purge"]).assert_code(2);
}

#[test]
fn invalid_rule_patterns_are_config_errors() {
    let ctx = TestContext::new()
        .config("[proxy]\n[[proxy.rule]]\npath_regex = \"(oops\"\npolicy = \"no-cache\"\n");
    let out = ctx.run(&["config", "check"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("proxy.rule[0].path_regex"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("not a valid regular expression"),
        "{}",
        out.stderr
    );
    let ctx =
        TestContext::new().config("[cache]\nstore = \"s3\"\n[cache.s3]\nbucket = \"Bad_Bucket\"\n");
    let out = ctx.run(&["cache", "ls"]);
    out.assert_code(2);
    assert!(out.stderr.contains("cache.s3.bucket"), "{}", out.stderr);
}

#[test]
fn cache_ls_and_purge_work_on_the_s3_store() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s3 = rt.block_on(FakeS3::start());
    s3.create_bucket("team-cache");
    let origin = Origin::start();
    origin.set(
        "/shared.tgz",
        Reply::ok("s").header("cache-control", "max-age=600"),
    );
    rt.block_on(async {
        let cache = HttpCache::new(
            Arc::new(S3Store::new(s3.client(), "team-cache", "c/")),
            CacheSettings::default(),
        );
        warm(
            &cache,
            get(&origin.url("/shared.tgz")),
            opts(CachePolicy::Standard),
        )
        .await;
    });
    let config = format!(
        "[cache]\nstore = \"s3\"\n[cache.s3]\nbucket = \"team-cache\"\nprefix = \"c/\"\nregion = \"us-east-1\"\nendpoint = \"{}\"\nforce_path_style = true\n",
        s3.endpoint()
    );
    let ctx = TestContext::new()
        .config(&config)
        .env(
            "AWS_ACCESS_KEY_ID",
            crate::support::fakes::FAKE_ACCESS_KEY_ID,
        )
        .env(
            "AWS_SECRET_ACCESS_KEY",
            crate::support::fakes::FAKE_SECRET_ACCESS_KEY,
        );
    let out = ctx.run(&["cache", "ls", "--json"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("/shared.tgz") && out.stdout.contains("\"s3\""),
        "{}",
        out.stdout
    );
    ctx.run(&["cache", "purge", "--all"]).assert_code(0);
    assert_eq!(ctx.run(&["cache", "ls", "--json"]).stdout.trim(), "[]");
    let left = rt
        .block_on(s3.client().list_objects_v2().bucket("team-cache").send())
        .unwrap();
    assert_eq!(left.key_count(), Some(0), "{left:?}");
}
