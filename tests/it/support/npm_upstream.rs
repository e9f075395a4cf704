//! An npm-registry-like repository on `127.0.0.1:0`, standing in for
//! CodeArtifact's npm endpoint: every request needs `Authorization: Bearer
//! <token>` with a token the CodeArtifact fake issued and has not expired
//! (`401` otherwise). Documents link tarballs with ABSOLUTE URLs to itself.
//!
//! | Method | Path | Answer |
//! |---|---|---|
//! | GET | `/npm/REPO/PKG` (`@s%2fp` for scoped) | the document (abbreviated by `Accept`), `404` unknown |
//! | GET | `/npm/REPO/PKG/-/FILE.tgz` | the tarball's bytes |
//! | PUT | `/npm/REPO/PKG` | a publish (recorded) |

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

#[derive(Debug, Clone)]
pub struct NpmVersion {
    pub version: String,
    pub file: String,
    pub bytes: Bytes,
    /// Advertised `dist.integrity` (the real one unless a test lies).
    pub integrity: String,
}

#[derive(Debug, Default)]
pub struct UpstreamState {
    pub packages: BTreeMap<String, Vec<NpmVersion>>,
    /// `(method, path, authorized)` of every request.
    pub seen: Vec<(String, String, bool)>,
    pub publishes: Vec<(String, Bytes)>,
    /// Documents answer `500`.
    pub fail_documents: bool,
}

pub struct NpmUpstream {
    pub state: Arc<Mutex<UpstreamState>>,
    server: ServerThread,
}

#[derive(Clone)]
struct Ctx {
    state: Arc<Mutex<UpstreamState>>,
    /// `None`: a public registry, which must never be sent credentials.
    aws: Option<SharedState>,
    base: Arc<Mutex<String>>,
}

impl NpmUpstream {
    pub fn start(aws: SharedState) -> Self {
        Self::spawn(Some(aws))
    }

    /// A public registry: a request WITH `Authorization` counts as unauthorized
    /// (a token sent where it must not go).
    pub fn start_public() -> Self {
        Self::spawn(None)
    }

    fn spawn(aws: Option<SharedState>) -> Self {
        let state: Arc<Mutex<UpstreamState>> = Arc::default();
        let base = Arc::new(Mutex::new(String::new()));
        let ctx = Ctx {
            state: state.clone(),
            aws,
            base: base.clone(),
        };
        let app = axum::Router::new().fallback(handle).with_state(ctx);
        let server = ServerThread::spawn("npm-upstream", move |listener| async move {
            let _ = axum::serve(listener, app).await;
        })
        .expect("start npm upstream");
        *base.lock().unwrap() = format!("http://{}", server.addr());
        Self { state, server }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    pub fn authority(&self) -> String {
        self.server.addr().to_string()
    }

    /// Adds a version (advertised with its real sha512).
    pub fn add(&self, pkg: &str, version: &str, bytes: &[u8]) {
        let sri = format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(bytes))
        );
        self.add_with_integrity(pkg, version, bytes, &sri);
    }

    pub fn add_with_integrity(&self, pkg: &str, version: &str, bytes: &[u8], integrity: &str) {
        let bare = pkg.rsplit('/').next().unwrap();
        self.state
            .lock()
            .unwrap()
            .packages
            .entry(pkg.to_owned())
            .or_default()
            .push(NpmVersion {
                version: version.to_owned(),
                file: format!("{bare}-{version}.tgz"),
                bytes: Bytes::copy_from_slice(bytes),
                integrity: integrity.to_owned(),
            });
    }

    /// Requests so far whose path ends with `suffix`.
    pub fn count(&self, suffix: &str) -> usize {
        let s = self.state.lock().unwrap();
        s.seen
            .iter()
            .filter(|(_, p, _)| p.ends_with(suffix))
            .count()
    }

    pub fn unauthorized(&self) -> usize {
        let s = self.state.lock().unwrap();
        s.seen.iter().filter(|x| !x.2).count()
    }

    pub fn publishes(&self) -> Vec<(String, Bytes)> {
        self.state.lock().unwrap().publishes.clone()
    }
}

fn authorized(ctx: &Ctx, req: &Request) -> bool {
    let Some(aws) = &ctx.aws else {
        return !req.headers().contains_key("authorization");
    };
    let Some(token) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    aws.lock().unwrap().codeartifact.token_is_valid(token)
}

fn reply(status: u16, content_type: &str, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(body.into())
        .unwrap()
}

async fn handle(State(ctx): State<Ctx>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let method = req.method().to_string();
    let ok = authorized(&ctx, &req);
    ctx.state
        .lock()
        .unwrap()
        .seen
        .push((method.clone(), path.clone(), ok));
    if !ok {
        return reply(401, "text/plain", "unauthorized: Bearer token needed");
    }
    let Some(rest) = path.strip_prefix("/npm/repo/") else {
        return reply(404, "text/plain", "no such repository");
    };
    if let Some((pkg, file)) = rest.rsplit_once("/-/") {
        let s = ctx.state.lock().unwrap();
        let found = s
            .packages
            .get(pkg)
            .and_then(|vs| vs.iter().find(|v| v.file == file));
        return match found {
            Some(v) => reply(200, "application/octet-stream", v.bytes.clone()),
            None => reply(404, "text/plain", "no such tarball"),
        };
    }
    if ctx.state.lock().unwrap().fail_documents && method == "GET" {
        return reply(500, "text/plain", "registry down");
    }
    let pkg = rest.replace("%2f", "/").replace("%2F", "/");
    if method == "PUT" {
        let body = req.into_body().collect().await.unwrap().to_bytes();
        ctx.state.lock().unwrap().publishes.push((pkg, body));
        return reply(200, "application/json", "{\"ok\":true}");
    }
    let abbreviated = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/vnd.npm.install-v1+json"));
    let base = ctx.base.lock().unwrap().clone();
    let s = ctx.state.lock().unwrap();
    let Some(versions) = s.packages.get(&pkg) else {
        return reply(404, "application/json", "{\"error\":\"not found\"}");
    };
    let mut vs = serde_json::Map::new();
    for v in versions {
        vs.insert(
            v.version.clone(),
            serde_json::json!({
                "name": pkg,
                "version": v.version,
                "dist": {
                    "tarball": format!("{base}/npm/repo/{pkg}/-/{}", v.file),
                    "integrity": v.integrity,
                    "shasum": hex::encode(sha1::Sha1::digest(&v.bytes)),
                }
            }),
        );
    }
    // As registries do: `latest` is the last version published.
    let latest = versions.last().map(|v| v.version.clone());
    let mut doc =
        serde_json::json!({ "name": pkg, "dist-tags": { "latest": latest }, "versions": vs });
    let ct = if abbreviated {
        doc["modified"] = "2026-01-01T00:00:00.000Z".into();
        "application/vnd.npm.install-v1+json"
    } else {
        doc["readme"] = "the full document".into();
        "application/json"
    };
    reply(200, ct, serde_json::to_vec(&doc).unwrap())
}
