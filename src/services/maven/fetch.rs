//! The cache's [`Fetch`] for one object of a mount: `GetObject`/`HeadObject`
//! (with the conditional headers the cache adds when revalidating), falling back
//! to the mount's upstream for missing files, and the clients' answers for S3
//! failures, handed to the cache as [`Fetched::Final`] (never stored, never
//! counted against the bucket, never replaced by a stale entry).

use std::sync::Arc;

use aws_smithy_types::date_time::Format;
use axum::response::IntoResponse as _;
use http::{HeaderValue, Response, StatusCode, header};

use super::s3::{S3Failure, S3Mount, classify, insert};
use crate::cache::store::s3::byte_stream_body;
use crate::cache::{Body, BoxFuture, Fetch, FetchError, Fetched, Verifier};
use crate::net::{self, empty};
use crate::services::repo_error::RepoError;

/// The cache's way to S3 for one object (`GET` or `HEAD`, with the conditional
/// headers the cache adds when revalidating).
#[derive(Debug)]
pub struct ObjectFetch {
    pub mount: Arc<S3Mount>,
    pub key: String,
    /// The repository path (for the upstream URL).
    pub path: String,
    pub content_type: &'static str,
    /// Copy an upstream fetch into the bucket (release files only).
    pub write_back: bool,
    pub verify: Option<Verifier>,
}

impl Fetch for ObjectFetch {
    fn fetch(&self, req: http::Request<()>) -> BoxFuture<'static, Result<Fetched, FetchError>> {
        let m = self.mount.clone();
        let key = self.key.clone();
        let path = self.path.clone();
        let content_type = self.content_type;
        let write_back = self.write_back;
        let verify = self.verify.clone();
        Box::pin(async move {
            let head = req.method() == http::Method::HEAD;
            let inm = req
                .headers()
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let ims = req
                .headers()
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| aws_smithy_types::DateTime::from_str(v, Format::HttpDate).ok());
            // HeadObject and GetObject take the same conditions, in builders
            // of their own types.
            macro_rules! read {
                ($op:ident) => {
                    m.client
                        .$op()
                        .bucket(&m.bucket)
                        .key(&key)
                        .set_if_none_match(inm.clone())
                        .set_if_modified_since(ims)
                        .send()
                        .await
                        .map_err(|e| classify(&e))
                };
            }
            let result = if head {
                read!(head_object).map(|o| (empty(), o.content_length, o.e_tag, o.last_modified))
            } else {
                read!(get_object).map(|o| {
                    let body = byte_stream_body(o.body);
                    (body, o.content_length, o.e_tag, o.last_modified)
                })
            };
            m.record(result.as_ref().err());
            let failure = match result {
                Ok((body, len, etag, modified)) => {
                    let mut resp = Response::new(body);
                    let h = resp.headers_mut();
                    insert(h, header::CONTENT_TYPE, Some(content_type));
                    insert(h, header::ETAG, etag.as_deref());
                    insert(
                        h,
                        header::LAST_MODIFIED,
                        modified
                            .and_then(|d| d.fmt(Format::HttpDate).ok())
                            .as_deref(),
                    );
                    if let Some(len) = len {
                        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
                    }
                    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
                    return Ok(resp.into());
                }
                Err(f) => f,
            };
            match failure {
                S3Failure::NotFound => match &m.upstream {
                    Some(up) => {
                        up.fetch(
                            &m,
                            &path,
                            &key,
                            head,
                            inm.as_deref(),
                            content_type,
                            write_back.then_some(verify),
                        )
                        .await
                    }
                    None => Ok(Fetched::Final(failure_response(&m, &key, &failure))),
                },
                S3Failure::NotModified { etag } => {
                    let mut resp = Response::new(empty());
                    *resp.status_mut() = StatusCode::NOT_MODIFIED;
                    insert(resp.headers_mut(), header::ETAG, etag.as_deref());
                    Ok(resp.into())
                }
                S3Failure::Other { ref detail } => Err(FetchError::msg(format!(
                    "reading {} failed: {detail}",
                    m.location(&key)
                ))
                .with_answer(s3_error(&failure).answer())),
                f => Ok(Fetched::Final(failure_response(&m, &key, &f))),
            }
        })
    }
}

/// A failure's answer for the client (`no-store`: clients don't keep it).
pub fn refusal(e: RepoError) -> Response<Body> {
    let mut resp = e.into_response().map(net::boxed);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// What the client is told of an S3 failure: fixed words, so no bucket, key
/// or S3 error code reaches a body (the log and `/healthz` have those).
pub fn s3_error(f: &S3Failure) -> RepoError {
    match f {
        S3Failure::NotFound => RepoError::NotFound,
        S3Failure::InvalidRange => RepoError::Other(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "the requested range is not satisfiable\n",
        ),
        S3Failure::Denied { .. } => RepoError::Upstream(
            "S3 denied access to the mount's bucket (check that the mount's profile may read it; /healthz shows S3's error code)\n",
        ),
        S3Failure::LoginRequired { .. } => RepoError::Other(
            StatusCode::SERVICE_UNAVAILABLE,
            "the SSO session of the mount's profile has expired (run `awsproxy sso login --profile PROFILE`; /healthz names the profile; no restart needed)\n",
        ),
        S3Failure::NotModified { .. } | S3Failure::Other { .. } => {
            RepoError::Upstream("reading from S3 failed (the awsproxy log has the details)\n")
        }
    }
}

/// The client's answer for a failure (the detail goes to the log).
pub fn failure_response(m: &S3Mount, key: &str, f: &S3Failure) -> Response<Body> {
    let location = m.location(key);
    match f {
        S3Failure::NotFound => tracing::debug!(%location, "not in the bucket"),
        S3Failure::InvalidRange => tracing::debug!(%location, "range not satisfiable"),
        S3Failure::Denied { code } => {
            let profile = m.profile.as_deref().unwrap_or("default");
            tracing::warn!(%location, %code, %profile, "S3 denied access");
        }
        S3Failure::LoginRequired { detail } => {
            tracing::warn!(mount = %m.name, %detail, "S3 credentials need a new SSO login");
        }
        S3Failure::NotModified { .. } => tracing::warn!(%location, "unexpected 304 from S3"),
        S3Failure::Other { detail } => {
            tracing::warn!(%location, error = %detail, "S3 request failed");
        }
    }
    refusal(s3_error(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_failures_answer_with_fixed_words_and_their_status() {
        let detail = "s3://secret-bucket/k AccessDenied".to_owned();
        for (f, status) in [
            (S3Failure::NotFound, StatusCode::NOT_FOUND),
            (S3Failure::InvalidRange, StatusCode::RANGE_NOT_SATISFIABLE),
            (
                S3Failure::Denied {
                    code: detail.clone(),
                },
                StatusCode::BAD_GATEWAY,
            ),
            (
                S3Failure::LoginRequired {
                    detail: detail.clone(),
                },
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                S3Failure::NotModified { etag: None },
                StatusCode::BAD_GATEWAY,
            ),
            (
                S3Failure::Other {
                    detail: detail.clone(),
                },
                StatusCode::BAD_GATEWAY,
            ),
        ] {
            let e = s3_error(&f);
            assert_eq!(e.status(), status, "{f:?}");
            assert!(!e.message().contains("secret-bucket"), "{f:?}");
        }
        assert!(
            s3_error(&S3Failure::LoginRequired { detail })
                .message()
                .contains("awsproxy sso login")
        );
        // A failed fetch's answer is the fixed words; the message keeps the detail for the log.
        let e = FetchError::msg("reading s3://secret-bucket/k failed")
            .with_answer(RepoError::Upstream("reading from S3 failed\n").answer());
        assert_eq!(e.answer().text, "reading from S3 failed\n");
        assert!(e.to_string().contains("secret-bucket"));
    }
}
