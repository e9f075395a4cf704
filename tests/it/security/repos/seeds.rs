//! The no-config seed URL form (`/ACCOUNT/REGION/DOMAIN/REPO/simple/...`) makes a
//! signed `GetRepositoryEndpoint` call for whatever account a URL names, so a web
//! page's `<img>` tags can name hundreds of junk repositories. Each one costs at
//! most one AWS call while its failure is remembered, and none of them can push
//! out a seed that works.

use super::{OWNER, Stack};

/// `GetRepositoryEndpoint` calls the fake answered for `owner`.
fn endpoint_calls(st: &Stack, owner: &str) -> usize {
    st.aws
        .state()
        .codeartifact
        .endpoint_requests
        .iter()
        .filter(|r| r.domain_owner.as_deref() == Some(owner))
        .count()
}

#[tokio::test]
async fn junk_seed_urls_cost_one_aws_call_each_and_never_evict_a_working_seed() {
    let st = Stack::start().await;
    st.pypi.add("foo", "1.0", "foo-1.0.tar.gz", b"seeded bytes");
    let real = format!("/{OWNER}/us-east-1/fake-domain/repo");
    let page = st.get(&format!("{real}/simple/foo/")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(endpoint_calls(&st, OWNER), 1);

    // 200 repositories in accounts the fake doesn't know, twice over.
    let junk: Vec<String> = (0..200u64)
        .map(|i| format!("{:012}", 900_000_000_000 + i))
        .collect();
    for round in 1..=2 {
        for account in &junk {
            let got = st
                .get(&format!("/{account}/us-east-1/junk/repo/simple/x/"))
                .await;
            assert_eq!(got.status, 503, "round {round}, {account}: {}", got.text());
            assert!(got.header("retry-after").is_some(), "{}", got.head);
        }
        for account in &junk {
            assert!(
                endpoint_calls(&st, account) <= 1,
                "round {round}: the failed seed {account} was asked for again"
            );
        }
    }
    let asked = junk.iter().filter(|a| endpoint_calls(&st, a) == 1).count();
    assert!(asked > 0, "no junk seed was ever tried");

    // The working seed is still there: served, with no new GetRepositoryEndpoint.
    let page = st.get(&format!("{real}/simple/foo/")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let file = st
        .get(&format!("{real}/+f/foo/simple/foo/1.0/foo-1.0.tar.gz"))
        .await;
    assert_eq!(
        (file.status, file.text().as_str()),
        (200, "seeded bytes"),
        "{}",
        file.head
    );
    assert_eq!(
        endpoint_calls(&st, OWNER),
        1,
        "the working seed was pushed out by junk"
    );
}
