//! A CodeArtifact-like Maven repository on `127.0.0.1:0`: every request needs
//! `Authorization: Basic aws:<token>` with a token the CodeArtifact fake issued
//! and has not expired (`401` otherwise, as CodeArtifact answers).
//!
//! | Method | Path | Answer |
//! |---|---|---|
//! | GET/HEAD | `/maven/REPO/PATH` | the file (with an `ETag`; `304` to a matching `If-None-Match`), `404` when absent |
//! | PUT | `/maven/REPO/PATH` | stores the body (`201`) |

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use sha2::Digest as _;

use super::fakes::{ServerThread, SharedState};

#[derive(Debug, Default)]
pub struct MavenState {
    /// Path under `/maven/REPO/` -> bytes.
    pub files: BTreeMap<String, Bytes>,
    /// `(method, path, authorized)` of every request.
    pub seen: Vec<(String, String, bool)>,
    /// Every GET answers `500`.
    pub fail: bool,
}

pub struct MavenUpstream {
    pub state: Arc<Mutex<MavenState>>,
    server: ServerThread,
}

#[derive(Clone)]
struct Ctx {
    state: Arc<Mutex<MavenState>>,
    aws: SharedState,
}

impl MavenUpstream {
    pub fn start(aws: SharedState) -> Self {
        let state: Arc<Mutex<MavenState>> = Arc::default();
        let app = axum::Router::new().fallback(handle).with_state(Ctx {
            state: state.clone(),
            aws,
        });
        let server = ServerThread::spawn("maven-upstream", move |listener| async move {
            let _ = axum::serve(listener, app).await;
        })
        .expect("start maven upstream");
        Self { state, server }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// `127.0.0.1:PORT`
    pub fn authority(&self) -> String {
        self.server.addr().to_string()
    }

    /// Adds `path` with its `.sha1` and `.sha256` checksums (as CodeArtifact serves them).
    pub fn add(&self, path: &str, bytes: &[u8]) {
        let mut st = self.state.lock().unwrap();
        st.files
            .insert(path.to_owned(), Bytes::copy_from_slice(bytes));
        st.files.insert(
            format!("{path}.sha256"),
            Bytes::from(hex::encode(sha2::Sha256::digest(bytes))),
        );
        st.files.insert(
            format!("{path}.sha1"),
            Bytes::from(hex::encode(sha1::Sha1::digest(bytes))),
        );
    }

    /// Replaces a file's bytes, leaving its checksums (a tampered artifact).
    pub fn tamper(&self, path: &str, bytes: &[u8]) {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(path.to_owned(), Bytes::copy_from_slice(bytes));
    }

    /// GETs of paths ending in `suffix` that carried a good token.
    pub fn count(&self, suffix: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|(m, p, ok)| m == "GET" && *ok && p.ends_with(suffix))
            .count()
    }

    pub fn file(&self, path: &str) -> Option<Bytes> {
        self.state.lock().unwrap().files.get(path).cloned()
    }
}

fn authorized(ctx: &Ctx, req: &Request) -> bool {
    let Some(token) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("aws:").map(str::to_owned))
    else {
        return false;
    };
    ctx.aws.lock().unwrap().codeartifact.token_is_valid(&token)
}

async fn handle(State(ctx): State<Ctx>, req: Request) -> Response {
    let ok = authorized(&ctx, &req);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    ctx.state
        .lock()
        .unwrap()
        .seen
        .push((method.to_string(), path.clone(), ok));
    if !ok {
        return status(401, "missing or bad token (fake CodeArtifact)");
    }
    // `/maven/REPO/PATH`
    let Some(file) = path
        .strip_prefix("/maven/")
        .and_then(|r| r.split_once('/'))
        .map(|(_, p)| p.to_owned())
    else {
        return status(404, "not a maven path");
    };
    if method == http::Method::PUT {
        let Ok(body) = req.into_body().collect().await else {
            return status(400, "bad body");
        };
        ctx.state
            .lock()
            .unwrap()
            .files
            .insert(file, body.to_bytes());
        return status(201, "");
    }
    if ctx.state.lock().unwrap().fail {
        return status(500, "repository down");
    }
    let Some(bytes) = ctx.state.lock().unwrap().files.get(&file).cloned() else {
        return status(404, "not found");
    };
    let etag = format!("\"{}\"", hex::encode(&sha2::Sha256::digest(&bytes)[..8]));
    if req
        .headers()
        .get("if-none-match")
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Response::builder()
            .status(304)
            .header("etag", etag)
            .body(Body::empty())
            .unwrap();
    }
    Response::builder()
        .status(200)
        .header("content-type", "application/octet-stream")
        .header("etag", etag)
        // A header naming the repository's own host, which awsproxy must not pass on.
        .header(
            "x-served-by",
            req.headers()
                .get("host")
                .cloned()
                .unwrap_or(http::HeaderValue::from_static("")),
        )
        .body(if method == http::Method::HEAD {
            Body::empty()
        } else {
            Body::from(bytes)
        })
        .unwrap()
}

fn status(code: u16, body: &'static str) -> Response {
    Response::builder()
        .status(code)
        .header("content-type", "text/plain")
        .body(Body::from(body))
        .unwrap()
}
