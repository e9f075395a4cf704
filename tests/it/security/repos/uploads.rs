//! A web page in the user's browser publishing to the private repositories.
//! A cross-site `<form method=post enctype=multipart/form-data>` is a CORS
//! "simple request": the browser sends it without asking, with `Origin` and
//! `Sec-Fetch-Site`, but it cannot add an `Authorization` header (that needs a
//! preflight, which no listener allows). twine always sends `Authorization`;
//! mvn sends it after a `401` with `WWW-Authenticate: Basic`.

use base64::Engine as _;

use super::{BUCKET, Got, OWNER, Stack};

const FORM: &str = "multipart/form-data; boundary=x";
const BODY: &[u8] =
    b"--x\r\ncontent-disposition: form-data; name=\":action\"\r\n\r\nfile_upload\r\n--x--\r\n";

fn twine_auth() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("aws:anything")
    )
}

/// What a browser adds to a cross-site form post.
const CROSS_SITE: [(&str, &str); 3] = [
    ("content-type", FORM),
    ("origin", "https://evil.test"),
    ("sec-fetch-site", "cross-site"),
];

fn no_cors_allow(got: &Got) {
    assert!(
        !got.head.contains("access-control-allow-"),
        "a preflight was allowed: {}",
        got.head
    );
}

#[tokio::test]
async fn a_cross_site_form_cannot_upload_to_pypi_and_twine_still_can() {
    let st = Stack::start().await;
    for path in [
        "/pypi/open/".to_owned(),
        "/pypi/closed/".to_owned(),
        format!("/{OWNER}/us-east-1/fake-domain/repo/"),
    ] {
        let got = st.send("POST", &path, &CROSS_SITE, BODY).await;
        assert_eq!(got.status, 403, "{path}: {}", got.text());
    }
    // Same-site pages (another port on this machine) and pages naming only one
    // of the two headers are refused too, even with credentials.
    let auth = twine_auth();
    for headers in [
        vec![
            ("sec-fetch-site", "same-site"),
            ("authorization", auth.as_str()),
        ],
        vec![
            ("origin", "http://127.0.0.1:8080"),
            ("authorization", auth.as_str()),
        ],
        vec![("origin", "null"), ("authorization", auth.as_str())],
    ] {
        let mut h = vec![("content-type", FORM)];
        h.extend(headers);
        let got = st.send("POST", "/pypi/open/", &h, BODY).await;
        assert_eq!(got.status, 403, "{h:?}: {}", got.text());
    }
    // No browser headers but no credentials either: asked for them.
    let got = st
        .send("POST", "/pypi/open/", &[("content-type", FORM)], BODY)
        .await;
    assert_eq!(got.status, 401, "{}", got.text());
    assert!(
        got.header("www-authenticate")
            .is_some_and(|v| v.starts_with("basic")),
        "{}",
        got.head
    );
    assert!(
        st.pypi.uploads().is_empty(),
        "an upload reached CodeArtifact"
    );
    assert_eq!(st.pypi.count("/pypi/repo/"), 0);

    // The preflight a page would need before sending `Authorization`: not allowed.
    let preflight = st
        .send(
            "OPTIONS",
            "/pypi/open/",
            &[
                ("origin", "https://evil.test"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "authorization"),
            ],
            b"",
        )
        .await;
    no_cors_allow(&preflight);

    // twine: Basic credentials (any), no Origin. Uploads where enabled...
    let twine = [("content-type", FORM), ("authorization", auth.as_str())];
    let got = st.send("POST", "/pypi/open/", &twine, BODY).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let uploads = st.pypi.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].1.as_ref(), BODY);
    // ...and nowhere else, with a hint saying how.
    let got = st.send("POST", "/pypi/closed/", &twine, BODY).await;
    assert_eq!(got.status, 403, "{}", got.text());
    assert!(got.text().contains("allow_upload = true"), "{}", got.text());
    let seed = format!("/{OWNER}/us-east-1/fake-domain/repo/");
    let got = st.send("POST", &seed, &twine, BODY).await;
    assert_eq!(got.status, 403, "{}", got.text());
    assert!(got.text().contains("[[repos.pypi]]"), "{}", got.text());
    assert_eq!(st.pypi.uploads().len(), 1);
    // Reading is unchanged.
    st.pypi.add("foo", "1.0", "foo-1.0.tar.gz", b"foo");
    assert_eq!(st.get("/pypi/closed/simple/foo/").await.status, 200);
}

#[tokio::test]
async fn a_cross_site_request_cannot_deploy_to_maven_and_mvn_still_can() {
    let st = Stack::start().await;
    let jar = "com/example/app/1.0/app-1.0.jar";
    let auth = twine_auth();
    let with_auth = |extra: &[(&'static str, &'static str)]| {
        let mut h: Vec<(&str, &str)> = vec![("authorization", auth.as_str())];
        h.extend_from_slice(extra);
        h
    };
    for headers in [
        with_auth(&[
            ("origin", "https://evil.test"),
            ("sec-fetch-site", "cross-site"),
        ]),
        with_auth(&[("sec-fetch-site", "same-site")]),
        with_auth(&[("origin", "http://localhost:8080")]),
    ] {
        let got = st
            .send("PUT", &format!("/maven/open/{jar}"), &headers, b"evil jar")
            .await;
        assert_eq!(got.status, 403, "{headers:?}: {}", got.text());
    }
    // mvn's first attempt carries no credentials: challenge it.
    let got = st
        .send("PUT", &format!("/maven/open/{jar}"), &[], b"jar bytes")
        .await;
    assert_eq!(got.status, 401, "{}", got.text());
    assert!(
        got.header("www-authenticate")
            .is_some_and(|v| v.starts_with("basic")),
        "{}",
        got.head
    );
    assert_eq!(st.s3.count("PUT"), 0, "a deploy reached S3");
    let preflight = st
        .send(
            "OPTIONS",
            &format!("/maven/open/{jar}"),
            &[
                ("origin", "https://evil.test"),
                ("access-control-request-method", "PUT"),
            ],
            b"",
        )
        .await;
    no_cors_allow(&preflight);

    // mvn's retry with credentials.
    let got = st
        .send(
            "PUT",
            &format!("/maven/open/{jar}"),
            &with_auth(&[]),
            b"jar bytes",
        )
        .await;
    assert_eq!(got.status, 201, "{}", got.text());
    assert_eq!(
        st.s3.read(BUCKET, &format!("maven2/{jar}")).as_deref(),
        Some(&b"jar bytes"[..])
    );
    let got = st
        .send(
            "PUT",
            &format!("/maven/closed/{jar}"),
            &with_auth(&[]),
            b"jar",
        )
        .await;
    assert_eq!(got.status, 405, "{}", got.text());
    assert_eq!(
        st.get(&format!("/maven/closed/{jar}")).await.text(),
        "jar bytes"
    );
}
