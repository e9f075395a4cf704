//! The whole repository listener (`services::repos::router`) on
//! `127.0.0.1:0` over a disk cache, its CodeArtifact calls going to the AWS
//! fake, for the format tests (npm, Cargo). Every response a test reads is
//! logged, so [`RepoEnv::assert_no_leaks`] can check that no byte a client
//! saw carries an issued token or the upstream's address.

use std::sync::{Arc, Mutex};

use awsproxy::cache::store::disk::DiskStore;
use awsproxy::cache::{CacheSettings, HttpCache};
use awsproxy::config::ReposSection;
use awsproxy::creds::{CacheOptions, CredsRegistry};
use awsproxy::paths::Paths;
use awsproxy::services::repos::{RepoContext, router};
use bytes::Bytes;
use http_body_util::BodyExt as _;

use super::fakes::FakeAws;

/// One response as a client read it.
pub struct Got {
    pub status: u16,
    pub headers: http::HeaderMap,
    /// `Err` when the body broke off (e.g. a failed verification).
    pub body: Result<Bytes, String>,
}

impl Got {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.body.as_ref().expect("body")).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(self.body.as_ref().expect("body")).expect("json")
    }
}

pub struct RepoEnv {
    pub aws: FakeAws,
    /// `http://127.0.0.1:PORT` of the listener.
    pub base: String,
    /// `HOST:PORT` of the upstream repository (must never reach a client).
    upstream: String,
    board: awsproxy::services::status::StatusBoard,
    seen: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl RepoEnv {
    /// Serves `section`; `upstream` is the fake repository's `host:port`, and
    /// `GetRepositoryEndpoint` answers `http://{upstream}/{format}/{repository}/`.
    pub async fn start(aws: FakeAws, upstream: String, section: ReposSection) -> Self {
        aws.state().codeartifact.repository_endpoint =
            format!("http://{upstream}/{{format}}/{{repository}}/");
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            config_dir: dir.path().join("config"),
            cache_dir: dir.path().join("cache"),
            data_dir: dir.path().join("data"),
            state_dir: dir.path().join("state"),
            home: dir.path().to_owned(),
        };
        let cache = HttpCache::new(
            Arc::new(DiskStore::open(&dir.path().join("http"), 1 << 30).unwrap()),
            CacheSettings::default(),
        );
        let ctx = RepoContext {
            paths,
            cache,
            creds: Arc::new(CredsRegistry::new(CacheOptions::default())),
            board: Default::default(),
            upstream: Default::default(),
            tokens: Default::default(),
            codeartifact: crate::pypi::options(&aws),
        };
        let board = ctx.board.clone();
        let app = router(&section, &ctx).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            aws,
            base,
            upstream,
            board,
            seen: Arc::default(),
            _dir: dir,
        }
    }

    pub async fn req(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Got {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Full<Bytes>>();
        let mut b = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            b = b.header(*name, *value);
        }
        let resp = client
            .request(b.body(http_body_util::Full::new(body)).unwrap())
            .await
            .unwrap();
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .map_err(|e| e.to_string());
        let mut log = self.seen.lock().unwrap();
        for (k, v) in &parts.headers {
            log.push(format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())));
        }
        if let Ok(b) = &body {
            log.push(String::from_utf8_lossy(b).into_owned());
        }
        Got {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    /// `(status, body)` of a path of the status router (`/`, `/metrics`,
    /// `/healthz`) over the listener's board; checked for leaks like the rest.
    pub async fn status(&self, path: &str) -> (u16, String) {
        use tower::ServiceExt as _;
        let req = http::Request::get(path)
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = awsproxy::services::status::router(self.board.clone())
            .oneshot(req)
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let b = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&b).into_owned();
        self.seen.lock().unwrap().push(text.clone());
        (status, text)
    }

    pub async fn get(&self, path: &str) -> Got {
        self.req("GET", path, &[], Bytes::new()).await
    }

    /// No response so far carried a token or the upstream's address, a token
    /// was used, and the upstream saw no request without a valid one
    /// (`unauthorized`: how many it refused).
    pub fn assert_no_leaks(&self, unauthorized: usize) {
        let tokens: Vec<String> = self
            .aws
            .state()
            .codeartifact
            .tokens
            .iter()
            .map(|t| t.token.clone())
            .collect();
        assert!(!tokens.is_empty(), "the test never used a token");
        let seen = self.seen.lock().unwrap();
        assert!(!seen.is_empty());
        for text in seen.iter() {
            assert!(
                !text.contains(&self.upstream),
                "upstream address leaked: {text}"
            );
            for t in &tokens {
                assert!(!text.contains(t.as_str()), "token leaked: {text}");
            }
        }
        assert_eq!(unauthorized, 0, "a request went up without a valid token");
    }
}

/// A fake repository behind the listener: its address (never to reach a
/// client) and how many requests it refused for want of a valid token.
pub trait FakeRepository {
    fn authority(&self) -> String;
    fn unauthorized(&self) -> usize;
}

impl FakeRepository for super::npm_upstream::NpmUpstream {
    fn authority(&self) -> String {
        Self::authority(self)
    }
    fn unauthorized(&self) -> usize {
        Self::unauthorized(self)
    }
}

impl FakeRepository for super::cargo_upstream::CargoUpstream {
    fn authority(&self) -> String {
        Self::authority(self)
    }
    fn unauthorized(&self) -> usize {
        Self::unauthorized(self)
    }
}

/// The listener with one fake repository `up` (made from the AWS fake's
/// state) serving `section`.
pub struct WithUpstream<U> {
    pub listener: RepoEnv,
    pub up: U,
}

impl<U: FakeRepository> WithUpstream<U> {
    pub async fn start(
        make: impl FnOnce(super::fakes::SharedState) -> U,
        section: ReposSection,
    ) -> Self {
        let aws = FakeAws::start().await;
        let up = make(aws.shared());
        let listener = Box::pin(RepoEnv::start(aws, up.authority(), section)).await;
        Self { listener, up }
    }

    /// [`RepoEnv::assert_no_leaks`], with the fake's refusals.
    pub fn assert_no_leaks(&self) {
        self.listener.assert_no_leaks(self.up.unauthorized());
    }
}

impl<U> std::ops::Deref for WithUpstream<U> {
    type Target = RepoEnv;
    fn deref(&self) -> &RepoEnv {
        &self.listener
    }
}
