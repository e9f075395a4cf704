//! Encoded separators in Maven paths. `com%2fexample` is one segment to every
//! HTTP client and cache, so decoding it into a `/` would make one path name
//! another key; `%5c` would become a backslash. Both are refused before any
//! S3 call, as the README says.

use super::{BUCKET, Stack};

#[tokio::test]
async fn encoded_slashes_and_backslashes_are_refused_not_decoded() {
    let st = Stack::start().await;
    st.s3.put(
        BUCKET,
        "maven2/com/example/lib/1.0/lib-1.0.jar",
        b"jar bytes",
    );
    let ok = st
        .get("/maven/closed/com/example/lib/1.0/lib-1.0.jar")
        .await;
    assert_eq!((ok.status, ok.text().as_str()), (200, "jar bytes"));
    let before = st.s3.request_count();
    for path in [
        "/maven/closed/com%2fexample/lib/1.0/lib-1.0.jar",
        "/maven/closed/com%2Fexample%2Flib/1.0/lib-1.0.jar",
        "/maven/closed/com/example/lib/1.0%2flib-1.0.jar",
        "/maven/closed/com%5cexample/lib/1.0/lib-1.0.jar",
        "/maven/closed/com%2fexample/",
    ] {
        let got = st.get(path).await;
        assert_eq!(got.status, 400, "{path}: {}", got.text());
    }
    assert_eq!(st.s3.request_count(), before, "a refused path reached S3");
}
