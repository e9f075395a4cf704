//! File downloads follow the repository's redirects (CodeArtifact sends some to
//! presigned blob URLs). A malicious or broken origin can redirect to its own
//! host and port over plain `http://`, where anyone on the path reads the
//! `Authorization` header. The token goes only to the same scheme, host and
//! port; a redirect from `https` to `http` is refused outright; an `https`
//! redirect elsewhere is followed without the token.
//!
//! The origin here answers TLS and plain HTTP on one port (it peeks at the first
//! byte), so a downgraded request lands where the test can see its headers.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sha2::Digest as _;
use tokio::net::TcpListener;

use super::{OWNER, Stack};
use crate::support::tls_origin::TestCa;

/// One request the origin saw.
#[derive(Debug, Clone)]
struct Hit {
    tls: bool,
    host: String,
    path: String,
    authorization: bool,
}

/// A PyPI-like repository at `https://localhost:PORT/pypi/repo/` whose files
/// redirect: `down` to `http://localhost:PORT/` (same host and port, plain
/// http), `same` to `https://localhost:PORT/`, `cross` to
/// `https://127.0.0.1:PORT/` (another host, as a presigned blob URL would be).
struct RedirectingOrigin {
    port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
}

const FILES: [&str; 3] = ["down-1.0.tar.gz", "same-1.0.tar.gz", "cross-1.0.tar.gz"];

fn body_of(name: &str) -> String {
    format!("bytes of {name}")
}

impl RedirectingOrigin {
    async fn start(ca: &TestCa) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let tls = tokio_rustls::TlsAcceptor::from(Arc::new(ca.server_config()));
        let seen = hits.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (tls, seen) = (tls.clone(), seen.clone());
                tokio::spawn(async move {
                    let mut first = [0u8; 1];
                    let Ok(1) = stream.peek(&mut first).await else {
                        return;
                    };
                    let is_tls = first[0] == 0x16;
                    let service = service_fn(move |req: Request<Incoming>| {
                        let seen = seen.clone();
                        async move {
                            Ok::<_, std::convert::Infallible>(answer(port, is_tls, &req, &seen))
                        }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    if is_tls {
                        if let Ok(s) = tls.accept(stream).await {
                            let _ = http.serve_connection(TokioIo::new(s), service).await;
                        }
                    } else {
                        let _ = http.serve_connection(TokioIo::new(stream), service).await;
                    }
                });
            }
        });
        Self { port, hits }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

fn answer(
    port: u16,
    tls: bool,
    req: &Request<Incoming>,
    seen: &Mutex<Vec<Hit>>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    seen.lock().unwrap().push(Hit {
        tls,
        host: req
            .headers()
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        path: path.clone(),
        authorization: req.headers().contains_key("authorization"),
    });
    let reply = |status: u16, location: Option<String>, body: String| {
        let mut b = Response::builder().status(status);
        if let Some(l) = location {
            b = b.header("location", l);
        }
        b.body(Full::new(Bytes::from(body))).unwrap()
    };
    if path == "/pypi/repo/simple/files/" {
        let links: String = FILES
            .iter()
            .map(|f| {
                let sha = hex::encode(sha2::Sha256::digest(body_of(f).as_bytes()));
                format!(
                    "<a href=\"https://localhost:{port}/pypi/repo/simple/files/1.0/{f}#sha256={sha}\">{f}</a>\n"
                )
            })
            .collect();
        return reply(200, None, format!("<html><body>\n{links}</body></html>"));
    }
    if let Some(name) = path.strip_prefix("/pypi/repo/simple/files/1.0/") {
        let to = match name {
            "down-1.0.tar.gz" => format!("http://localhost:{port}/blob/{name}"),
            "same-1.0.tar.gz" => format!("https://localhost:{port}/blob/{name}"),
            "cross-1.0.tar.gz" => format!("https://127.0.0.1:{port}/blob/{name}"),
            _ => return reply(404, None, String::new()),
        };
        return reply(302, Some(to), String::new());
    }
    if let Some(name) = path.strip_prefix("/blob/") {
        return reply(200, None, body_of(name));
    }
    reply(404, None, String::new())
}

#[tokio::test]
async fn a_download_redirected_to_plain_http_never_carries_the_token() {
    let ca = TestCa::new();
    let origin = RedirectingOrigin::start(&ca).await;
    let extra = format!(
        "[proxy]\nlisten = \"127.0.0.1:0\"\nupstream_ca = [\"{}\"]\n\
         [[repos.pypi]]\nname = \"tls\"\ndomain = \"fake-domain\"\ndomain_owner = \"{OWNER}\"\n\
         region = \"us-east-1\"\nrepository = \"repo\"\nendpoint = \"https://localhost:{}/pypi/repo/\"\n",
        ca.pem_path.display(),
        origin.port
    );
    let st = Stack::start_with(&extra).await;
    let page = st.get("/pypi/tls/simple/files/").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let file = |name: &str| format!("/pypi/tls/+f/files/simple/files/1.0/{name}");
    assert!(
        page.text().contains(&file("down-1.0.tar.gz")),
        "{}",
        page.text()
    );

    // The downgrade: refused, and nothing at all is sent over plain http.
    let down = st.get(&file("down-1.0.tar.gz")).await;
    assert_eq!(down.status, 502, "{}", down.text());
    assert!(down.text().contains("plain http"), "{}", down.text());
    let plain: Vec<Hit> = origin.hits().into_iter().filter(|h| !h.tls).collect();
    assert!(
        plain.is_empty(),
        "awsproxy followed a redirect to plain http: {plain:?}"
    );

    // Same scheme, host and port: followed with the token.
    let same = st.get(&file("same-1.0.tar.gz")).await;
    assert_eq!(
        (same.status, same.text()),
        (200, body_of("same-1.0.tar.gz"))
    );
    // Another host over https (a presigned blob URL): followed without it.
    let cross = st.get(&file("cross-1.0.tar.gz")).await;
    assert_eq!(
        (cross.status, cross.text()),
        (200, body_of("cross-1.0.tar.gz"))
    );
    let blob = |name: &str| {
        origin
            .hits()
            .into_iter()
            .find(|h| h.path == format!("/blob/{name}"))
            .unwrap_or_else(|| panic!("no request for {name}: {:?}", origin.hits()))
    };
    let same = blob("same-1.0.tar.gz");
    assert!(same.tls && same.authorization, "{same:?}");
    let cross = blob("cross-1.0.tar.gz");
    assert!(
        cross.tls && !cross.authorization && cross.host.starts_with("127.0.0.1"),
        "{cross:?}"
    );
    // The repository itself always got the token, over TLS.
    for h in origin.hits() {
        if h.path.starts_with("/pypi/repo/") {
            assert!(h.tls && h.authorization, "{h:?}");
        }
    }
}
