//! A PyPI-like repository on `127.0.0.1:0`, standing in for CodeArtifact's
//! repository host: every request needs `Authorization: Basic aws:<token>` with a
//! token the CodeArtifact fake issued and has not expired (unless started as a
//! public index). Index pages link to files with ABSOLUTE URLs to itself and
//! `#sha256=` fragments.
//!
//! | Method | Path | Answer |
//! |---|---|---|
//! | GET | `/pypi/REPO/simple/` | project list (PEP 503 HTML, or PEP 691 JSON by `Accept`) |
//! | GET | `/pypi/REPO/simple/PKG/` | project page, `404` for unknown projects |
//! | GET | `/pypi/REPO/simple/PKG/VER/FILE` | the file's bytes |
//! | GET | `/blob/PKG/VER/FILE` | the file's bytes (where `redirect_files` sends downloads) |
//! | POST | `/pypi/REPO/` | an upload (recorded) |
//!
//! Project pages can be held ([`PypiUpstream::hold_pages`]) to show what a
//! client gets while the repository is slow. With `html_only`, pages are HTML
//! whatever the `Accept` (CodeArtifact's behaviour).
//!
//! `401` for a missing/unknown/expired token, or for every request while
//! [`PypiUpstream::set_reject_all`] is on.

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

/// One file of a project.
#[derive(Debug, Clone)]
pub struct PyFile {
    pub version: String,
    pub name: String,
    pub bytes: Bytes,
    /// Advertised hash (the real one unless a test lies).
    pub sha256: String,
}

#[derive(Debug, Default)]
pub struct UpstreamState {
    pub projects: BTreeMap<String, Vec<PyFile>>,
    pub reject_all: bool,
    /// File downloads answer `302` to `/blob/PKG/VER/FILE` (which serves the bytes).
    pub redirect_files: bool,
    /// Pages are PEP 503 HTML whatever the `Accept` (as CodeArtifact's are).
    pub html_only: bool,
    /// `(method, path, authorized)` of every request.
    pub seen: Vec<(String, String, bool)>,
    /// Bodies of uploads and their content types.
    pub uploads: Vec<(String, Bytes)>,
    /// While set, project pages are counted and then held until it is
    /// closed ([`PypiUpstream::hold_pages`]).
    pub page_gate: Option<Arc<tokio::sync::Semaphore>>,
}

pub struct PypiUpstream {
    pub state: Arc<Mutex<UpstreamState>>,
    server: ServerThread,
}

#[derive(Clone)]
struct Ctx {
    state: Arc<Mutex<UpstreamState>>,
    /// `None`: a public index (no auth).
    aws: Option<SharedState>,
    base: Arc<Mutex<String>>,
}

impl PypiUpstream {
    /// A private repository checking tokens against `aws`.
    pub fn start(aws: SharedState) -> Self {
        Self::spawn(Some(aws))
    }

    /// A public index: no credentials needed.
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
        let server = ServerThread::spawn("pypi-upstream", move |listener| async move {
            let _ = axum::serve(listener, app).await;
        })
        .expect("start pypi upstream");
        *base.lock().unwrap() = format!("http://{}", server.addr());
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

    /// Adds a file (advertised with its real sha256).
    pub fn add(&self, project: &str, version: &str, name: &str, bytes: &[u8]) {
        let sha = hex::encode(sha2::Sha256::digest(bytes));
        self.add_with_hash(project, version, name, bytes, &sha);
    }

    pub fn add_with_hash(&self, project: &str, version: &str, name: &str, bytes: &[u8], sha: &str) {
        self.state
            .lock()
            .unwrap()
            .projects
            .entry(project.to_owned())
            .or_default()
            .push(PyFile {
                version: version.to_owned(),
                name: name.to_owned(),
                bytes: Bytes::copy_from_slice(bytes),
                sha256: sha.to_owned(),
            });
    }

    /// Holds every project page request (after counting it) until
    /// [`Self::release_pages`].
    pub fn hold_pages(&self) {
        self.state.lock().unwrap().page_gate = Some(Arc::new(tokio::sync::Semaphore::new(0)));
    }

    /// Lets held page requests (and later ones) answer.
    pub fn release_pages(&self) {
        if let Some(gate) = self.state.lock().unwrap().page_gate.take() {
            gate.close();
        }
    }

    pub fn set_reject_all(&self, on: bool) {
        self.state.lock().unwrap().reject_all = on;
    }

    /// Requests so far whose path ends with `suffix`.
    pub fn count(&self, suffix: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|(_, p, _)| p.ends_with(suffix))
            .count()
    }

    pub fn unauthorized(&self) -> usize {
        self.state
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|s| !s.2)
            .count()
    }

    pub fn uploads(&self) -> Vec<(String, Bytes)> {
        self.state.lock().unwrap().uploads.clone()
    }
}

fn authorized(ctx: &Ctx, req: &Request) -> bool {
    let Some(aws) = &ctx.aws else { return true };
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
    aws.lock().unwrap().codeartifact.token_is_valid(&token)
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
    let ok = authorized(&ctx, &req) && !ctx.state.lock().unwrap().reject_all;
    ctx.state
        .lock()
        .unwrap()
        .seen
        .push((method.clone(), path.clone(), ok));
    if !ok {
        return Response::builder()
            .status(401)
            .header("www-authenticate", "Basic realm=\"upstream\"")
            .body(Body::from("unauthorized"))
            .unwrap();
    }
    let json = !ctx.state.lock().unwrap().html_only
        && req
            .headers()
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.starts_with("application/vnd.pypi.simple.v1+json"));
    let base = ctx.base.lock().unwrap().clone();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("POST", ["pypi", _repo, ""]) => {
            let ct = req
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let body = req.into_body().collect().await.unwrap().to_bytes();
            ctx.state.lock().unwrap().uploads.push((ct, body));
            reply(200, "text/plain", "ok")
        }
        ("GET", ["pypi", repo, "simple", ""]) => {
            let names: Vec<String> = ctx.state.lock().unwrap().projects.keys().cloned().collect();
            if json {
                let projects: Vec<_> = names
                    .iter()
                    .map(|n| serde_json::json!({"name": n}))
                    .collect();
                let doc = serde_json::json!({"meta": {"api-version": "1.0"}, "projects": projects});
                reply(200, "application/vnd.pypi.simple.v1+json", doc.to_string())
            } else {
                let links: String = names
                    .iter()
                    .map(|n| format!("<a href=\"{base}/pypi/{repo}/simple/{n}/\">{n}</a>\n"))
                    .collect();
                reply(
                    200,
                    "text/html",
                    format!("<!DOCTYPE html><html><body>\n{links}</body></html>"),
                )
            }
        }
        ("GET", ["pypi", repo, "simple", project, ""]) => {
            let gate = ctx.state.lock().unwrap().page_gate.clone();
            if let Some(gate) = gate {
                let _ = gate.acquire().await;
            }
            let files = ctx.state.lock().unwrap().projects.get(*project).cloned();
            let Some(files) = files else {
                return reply(404, "text/plain", "no such project");
            };
            let url = |f: &PyFile| {
                format!(
                    "{base}/pypi/{repo}/simple/{project}/{}/{}",
                    f.version, f.name
                )
            };
            if json {
                let list: Vec<_> = files
                    .iter()
                    .map(|f| serde_json::json!({"filename": f.name, "url": url(f), "hashes": {"sha256": f.sha256}}))
                    .collect();
                let doc = serde_json::json!({"meta": {"api-version": "1.0"}, "name": project, "files": list});
                reply(200, "application/vnd.pypi.simple.v1+json", doc.to_string())
            } else {
                let links: String = files
                    .iter()
                    .map(|f| {
                        format!(
                            "<a href=\"{}#sha256={}\">{}</a><br/>\n",
                            url(f),
                            f.sha256,
                            f.name
                        )
                    })
                    .collect();
                reply(
                    200,
                    "text/html",
                    format!("<!DOCTYPE html><html><body>\n{links}</body></html>"),
                )
            }
        }
        ("GET", ["pypi", _repo, "simple", project, version, name])
            if ctx.state.lock().unwrap().redirect_files =>
        {
            Response::builder()
                .status(302)
                .header("location", format!("/blob/{project}/{version}/{name}"))
                .body(Body::empty())
                .unwrap()
        }
        (
            "GET",
            ["pypi", _, "simple", project, version, name] | ["blob", project, version, name],
        ) => {
            let file = ctx
                .state
                .lock()
                .unwrap()
                .projects
                .get(*project)
                .and_then(|fs| {
                    fs.iter()
                        .find(|f| f.version == *version && f.name == *name)
                        .cloned()
                });
            match file {
                Some(f) => reply(200, "application/octet-stream", f.bytes),
                None => reply(404, "text/plain", "no such file"),
            }
        }
        _ => reply(404, "text/plain", "not found"),
    }
}
