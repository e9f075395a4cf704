//! A scriptable HTTP origin on `127.0.0.1:0` for cache tests: every path
//! answers its scripted [`Reply`] (status, headers, body), honours
//! `If-None-Match` / `If-Modified-Since` with `304`, counts requests, and can
//! misbehave: close the connection mid-body, stall before the body, or be down
//! (answer `503`).
//!
//! | Method | Path | Answer |
//! |---|---|---|
//! | GET, HEAD | any scripted path | its `Reply` (or `304` when a validator matches) |
//! | any | anything else | `404` |

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;

use super::fakes::ServerThread;

/// How a path misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// Send the headers and half the body, then close the connection.
    CloseMidBody,
    /// Send the headers and half the body, then stall until the test ends.
    Stall,
    /// Answer `503 Service Unavailable`.
    Down,
}

/// One scripted response.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub mode: Mode,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Reply {
    pub fn ok(body: impl Into<Bytes>) -> Self {
        Self {
            status: 200,
            body: body.into(),
            ..Self::default()
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the origin saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HashMap<String, String>,
    pub status: u16,
}

#[derive(Debug, Default)]
struct OriginState {
    replies: HashMap<String, Reply>,
    seen: Vec<Seen>,
}

type Shared = Arc<Mutex<OriginState>>;

/// The origin server. Dropping it stops it.
#[derive(Debug)]
pub struct Origin {
    state: Shared,
    server: ServerThread,
}

impl Origin {
    pub fn start() -> Self {
        let state: Shared = Arc::default();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let server = ServerThread::spawn("origin", move |listener| async move {
            let _ = axum::serve(listener, app).await;
        })
        .expect("start origin");
        Self { state, server }
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr())
    }

    /// Scripts `path` (replacing what was there).
    pub fn set(&self, path: &str, reply: Reply) {
        self.state
            .lock()
            .unwrap()
            .replies
            .insert(path.to_owned(), reply);
    }

    /// Requests for `path` so far (any method).
    pub fn count(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|s| s.path == path)
            .count()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }
}

async fn handle(State(state): State<Shared>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let headers: HashMap<String, String> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let reply = state.lock().unwrap().replies.get(&path).cloned();
    let status = match &reply {
        None => 404,
        Some(r) if r.mode == Mode::Down => 503,
        Some(r) => {
            let inm = headers.get("if-none-match");
            let ims = headers.get("if-modified-since");
            let etag_match = matches!((inm, r.get("etag")), (Some(a), Some(b)) if a.split(',').any(|t| t.trim() == b));
            let date_match = inm.is_none()
                && matches!((ims, r.get("last-modified")), (Some(a), Some(b)) if a == b);
            if etag_match || date_match {
                304
            } else {
                r.status
            }
        }
    };
    state.lock().unwrap().seen.push(Seen {
        method: req.method().to_string(),
        path,
        query: req.uri().query().map(str::to_owned),
        headers,
        status,
    });
    let Some(reply) = reply else {
        return Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .unwrap();
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut builder = Response::builder().status(status);
    for (k, v) in &reply.headers {
        builder = builder.header(k, v);
    }
    if status == 304 || status == 503 {
        return builder.body(Body::empty()).unwrap();
    }
    match reply.mode {
        Mode::Normal | Mode::Down => builder.body(Body::from(reply.body)).unwrap(),
        Mode::CloseMidBody | Mode::Stall => {
            let half = reply.body.slice(..reply.body.len() / 2);
            let stall = reply.mode == Mode::Stall;
            let stream = futures_util::stream::unfold(0u8, move |step| {
                let half = half.clone();
                async move {
                    match step {
                        0 => Some((Ok::<Bytes, std::io::Error>(half), 1)),
                        _ if stall => {
                            std::future::pending::<()>().await;
                            None
                        }
                        _ => {
                            // Let the server flush the headers and first half first.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Some((Err(std::io::Error::other("origin closes mid-body")), 2))
                        }
                    }
                }
            });
            builder
                .header("content-length", reply.body.len().to_string())
                .body(Body::from_stream(stream))
                .unwrap()
        }
    }
}
