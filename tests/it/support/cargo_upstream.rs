//! A Cargo sparse registry on `127.0.0.1:0`, standing in for CodeArtifact's
//! Cargo endpoint: every request needs `Authorization: Bearer <token>` with a
//! token the CodeArtifact fake issued and has not expired (`401` otherwise),
//! and `config.json` says `auth-required`, with absolute `dl` and `api` URLs
//! to itself.
//!
//! | Method | Path | Answer |
//! |---|---|---|
//! | GET | `/cargo/repo/config.json` | `dl`, `api`, `auth-required: true` |
//! | GET | `/cargo/repo/{index path}` | one JSON line per version, `404` unknown |
//! | GET | `/cargo/repo/api/v1/crates/NAME/VERSION/download` | the `.crate`'s bytes |
//! | PUT | `/cargo/repo/api/v1/crates/new` | a publish (recorded; the crate is then in the index) |
//! | DELETE | `/cargo/repo/api/v1/crates/NAME/VERSION/yank` | a yank (recorded) |

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use sha2::Digest as _;

use super::fakes::{ServerThread, SharedState};

#[derive(Debug, Clone)]
pub struct CrateVersion {
    pub version: String,
    pub bytes: Bytes,
    /// Advertised `cksum` (the real sha256 unless a test lies).
    pub cksum: String,
}

#[derive(Debug, Default)]
pub struct UpstreamState {
    pub crates: BTreeMap<String, Vec<CrateVersion>>,
    /// `(method, path, authorized)` of every request.
    pub seen: Vec<(String, String, bool)>,
    /// `(method, path, body)` of every publish or yank.
    pub writes: Vec<(String, String, Bytes)>,
    /// Index files and `config.json` answer `500`.
    pub fail_index: bool,
    /// `config.json`'s `dl` instead of the registry's own.
    pub dl: Option<String>,
    /// `config.json`'s `api` instead of the registry's own.
    pub api: Option<String>,
}

pub struct CargoUpstream {
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

impl CargoUpstream {
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
        let server = ServerThread::spawn("cargo-upstream", move |listener| async move {
            let _ = axum::serve(listener, app).await;
        })
        .expect("start cargo upstream");
        *base.lock().unwrap() = format!("http://{}", server.addr());
        Self { state, server }
    }

    pub fn authority(&self) -> String {
        self.server.addr().to_string()
    }

    /// Adds a version (advertised with its real sha256).
    pub fn add(&self, name: &str, version: &str, bytes: &[u8]) {
        self.add_with_cksum(
            name,
            version,
            bytes,
            &hex::encode(sha2::Sha256::digest(bytes)),
        );
    }

    pub fn add_with_cksum(&self, name: &str, version: &str, bytes: &[u8], cksum: &str) {
        self.state
            .lock()
            .unwrap()
            .crates
            .entry(name.to_owned())
            .or_default()
            .push(CrateVersion {
                version: version.to_owned(),
                bytes: Bytes::copy_from_slice(bytes),
                cksum: cksum.to_owned(),
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

    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().seen.len()
    }

    pub fn unauthorized(&self) -> usize {
        let s = self.state.lock().unwrap();
        s.seen.iter().filter(|x| !x.2).count()
    }

    pub fn writes(&self) -> Vec<(String, String, Bytes)> {
        self.state.lock().unwrap().writes.clone()
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

/// The sparse index path of `name` (lower-cased), as the registry lays it out.
fn index_path(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
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
    let Some(rest) = path.strip_prefix("/cargo/repo/") else {
        return reply(404, "text/plain", "no such repository");
    };
    let base = ctx.base.lock().unwrap().clone();
    if let Some(api) = rest.strip_prefix("api/v1/crates/") {
        if method != "GET" {
            let body = req.into_body().collect().await.unwrap().to_bytes();
            ctx.state
                .lock()
                .unwrap()
                .writes
                .push((method, api.to_owned(), body));
            return reply(200, "application/json", "{\"warnings\":{}}");
        }
        let parts: Vec<&str> = api.split('/').collect();
        let s = ctx.state.lock().unwrap();
        let found = s.crates.get(parts[0]).and_then(|vs| {
            vs.iter()
                .find(|v| Some(&v.version.as_str()) == parts.get(1))
        });
        return match found {
            Some(v) => reply(200, "application/x-tar", v.bytes.clone()),
            None => reply(404, "text/plain", "no such crate"),
        };
    }
    let s = ctx.state.lock().unwrap();
    if s.fail_index {
        return reply(500, "text/plain", "registry down");
    }
    if rest == "config.json" {
        let dl =
            s.dl.clone()
                .unwrap_or_else(|| format!("{base}/cargo/repo/api/v1/crates"));
        let config = serde_json::json!({
            "dl": dl,
            "api": s.api.clone().unwrap_or_else(|| format!("{base}/cargo/repo/")),
            "auth-required": true,
        });
        return reply(
            200,
            "application/json",
            serde_json::to_vec(&config).unwrap(),
        );
    }
    let Some((name, versions)) = s.crates.iter().find(|(n, _)| index_path(n) == rest) else {
        return reply(404, "text/plain", "no such crate");
    };
    let mut file = String::new();
    for v in versions {
        let line = serde_json::json!({
            "name": name, "vers": v.version, "deps": [], "cksum": v.cksum,
            "features": {}, "yanked": false,
        });
        file.push_str(&line.to_string());
        file.push('\n');
    }
    reply(200, "text/plain", file)
}
