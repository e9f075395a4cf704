//! Pull-through: files missing from the bucket are fetched from the mount's
//! `upstream` (e.g. Maven Central) through awsproxy's outbound client, and with
//! `write_back = true` release files are copied into the bucket once their body
//! is complete and verified (spilled to a temp file, then one `PutObject`).

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::BodyExt;

use super::fetch::refusal;
use super::s3::S3Mount;
use crate::cache::tee::{self, Checked, Sink, SinkFailed, Spill, Tee};
use crate::cache::{Body, BoxFuture, FetchError, Fetched, Verifier};
use crate::net::UpstreamClient;
use crate::services::repo_error::RepoError;

/// Largest sidecar read from the upstream.
const SIDECAR_LIMIT: usize = 4096;

/// A mount's upstream repository.
#[derive(Debug, Clone)]
pub struct PullThrough {
    /// Base URL ending in `/`.
    pub base: String,
    pub client: UpstreamClient,
}

impl PullThrough {
    pub fn new(base: &str, client: UpstreamClient) -> Self {
        let mut base = base.to_owned();
        if !base.ends_with('/') {
            base.push('/');
        }
        Self { base, client }
    }

    fn request(&self, method: http::Method, path: &str) -> Option<Request<()>> {
        Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(
                header::USER_AGENT,
                concat!("awsproxy/", env!("CARGO_PKG_VERSION")),
            )
            .body(())
            .ok()
    }

    /// A small file (a checksum sidecar); `None` when missing or unreachable.
    pub async fn small(&self, path: &str) -> Option<Bytes> {
        let req = self.request(http::Method::GET, path)?;
        let resp = self.client.fetch(req).await.ok()?;
        if resp.status() != StatusCode::OK {
            return None;
        }
        let mut body = resp.into_body();
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            if let Some(data) = frame.ok()?.data_ref() {
                out.extend_from_slice(data);
                if out.len() > SIDECAR_LIMIT {
                    return None;
                }
            }
        }
        Some(Bytes::from(out))
    }

    /// Fetches `path` upstream for the cache. `write_back` carries the digest to
    /// check before copying into the bucket (`None`: don't copy).
    #[allow(clippy::too_many_arguments)]
    pub async fn fetch(
        &self,
        m: &Arc<S3Mount>,
        path: &str,
        key: &str,
        head: bool,
        if_none_match: Option<&str>,
        content_type: &'static str,
        write_back: Option<Option<Verifier>>,
    ) -> Result<Fetched, FetchError> {
        let method = if head {
            http::Method::HEAD
        } else {
            http::Method::GET
        };
        let mut req = self.request(method, path).ok_or_else(|| {
            FetchError::msg("bad upstream URL").with_kind(crate::cache::FetchErrorKind::Service)
        })?;
        if let Some(v) = if_none_match.and_then(|v| HeaderValue::from_str(v).ok()) {
            req.headers_mut().insert(header::IF_NONE_MATCH, v);
        }
        let resp = self.client.fetch(req).await.map_err(|e| {
            FetchError::msg(format!("{e} (hint: {})", e.hint()))
                .with_answer(RepoError::Unreachable.answer())
        })?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
            tracing::debug!(location = %m.location(key), upstream = %self.base, "not in the bucket nor at the upstream");
            return Ok(Fetched::Final(refusal(RepoError::NotFound)));
        }
        if status != StatusCode::OK && status != StatusCode::NOT_MODIFIED {
            return Err(FetchError::msg(format!(
                "the upstream {} answered {status} for {path}",
                self.base
            ))
            .with_answer(RepoError::UpstreamFailed.answer()));
        }
        let (parts, body) = resp.into_parts();
        let len = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let body: Body = body.boxed_unsync();
        let body = match write_back {
            Some(verify) if status == StatusCode::OK && !head => {
                tee_to_bucket(body, m.clone(), key.to_owned(), verify, len, content_type)
            }
            _ => body,
        };
        let mut out = Response::new(body);
        *out.status_mut() = status;
        let h = out.headers_mut();
        for name in [header::ETAG, header::LAST_MODIFIED, header::CONTENT_LENGTH] {
            if let Some(v) = parts.headers.get(&name) {
                h.insert(name, v.clone());
            }
        }
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Ok(out.into())
    }
}

/// A spill file uploaded as `key` once the body is complete and verified.
struct BucketSink {
    spill: Spill,
    mount: Arc<S3Mount>,
    key: String,
    content_type: &'static str,
}

impl Sink for BucketSink {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, Result<(), SinkFailed>> {
        Box::pin(async move {
            self.spill.write(chunk).await.map_err(|e| {
                tracing::warn!(key = %self.key, error = %e, "cannot write a spill file; not writing back");
                SinkFailed
            })
        })
    }

    fn commit(self: Box<Self>, body: Checked) -> BoxFuture<'static, ()> {
        let Self {
            spill,
            mount: m,
            key,
            content_type,
        } = *self;
        Box::pin(async move {
            let Ok(spill) = spill.finish().await else {
                return;
            };
            tokio::spawn(async move {
                match m.put_file(&key, &spill, body.len, content_type).await {
                    Ok(()) => {
                        tracing::info!(location = %m.location(&key), "wrote an upstream artifact back to the bucket")
                    }
                    Err(e) => {
                        tracing::warn!(location = %m.location(&key), error = ?e, "cannot write an upstream artifact back")
                    }
                }
                drop(spill);
            });
        })
    }
}

/// Passes `body` on while spilling it to a temp file; a complete body whose
/// length and digest check out is then uploaded as `key`.
fn tee_to_bucket(
    body: Body,
    m: Arc<S3Mount>,
    key: String,
    verify: Option<Verifier>,
    expected_len: Option<u64>,
    content_type: &'static str,
) -> Body {
    let label = m.location(&key);
    let sink = match Spill::new() {
        Ok(spill) => Some(Box::new(BucketSink {
            spill,
            mount: m,
            key,
            content_type,
        }) as Box<dyn Sink>),
        Err(e) => {
            tracing::warn!(error = %e, "cannot create a spill file; not writing back");
            None
        }
    };
    tee::spawn(Tee {
        upstream: body,
        sink,
        expected_len,
        verify,
        // The cache's fill around this body has the idle timeout.
        idle_timeout: None,
        guard: None,
        label,
        on_failure: "not writing it back",
    })
}
