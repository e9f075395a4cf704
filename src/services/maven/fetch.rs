//! The cache's [`Fetch`] for one object of a mount: `GetObject`/`HeadObject`
//! (with the conditional headers the cache adds when revalidating), falling back
//! to the mount's upstream for missing files, and the clients' answers for S3
//! failures, handed to the cache as [`Fetched::Final`] (never stored, never
//! counted against the bucket, never replaced by a stale entry).

use std::sync::Arc;

use aws_smithy_types::date_time::Format;
use http::{HeaderValue, Response, StatusCode, header};

use super::s3::{Mount, S3Failure, classify, insert, text};
use crate::cache::store::s3::byte_stream_body;
use crate::cache::{Body, BoxFuture, Fetch, FetchError, Fetched, Verifier};
use crate::net::empty;

/// The cache's way to S3 for one object (`GET` or `HEAD`, with the conditional
/// headers the cache adds when revalidating).
#[derive(Debug)]
pub struct ObjectFetch {
    pub mount: Arc<Mount>,
    pub key: String,
    /// The repository path (for the upstream URL).
    pub path: String,
    pub content_type: &'static str,
    pub cache_control: &'static str,
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
        let cache_control = self.cache_control;
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
            let result = if head {
                m.client
                    .head_object()
                    .bucket(&m.bucket)
                    .key(&key)
                    .set_if_none_match(inm.clone())
                    .set_if_modified_since(ims)
                    .send()
                    .await
                    .map(|o| (empty(), o.content_length, o.e_tag, o.last_modified))
                    .map_err(|e| classify(&e))
            } else {
                m.client
                    .get_object()
                    .bucket(&m.bucket)
                    .key(&key)
                    .set_if_none_match(inm.clone())
                    .set_if_modified_since(ims)
                    .send()
                    .await
                    .map(|o| {
                        (
                            byte_stream_body(o.body),
                            o.content_length,
                            o.e_tag,
                            o.last_modified,
                        )
                    })
                    .map_err(|e| classify(&e))
            };
            m.record(result.as_ref().err());
            let failure = match result {
                Ok((body, len, etag, modified)) => {
                    let mut resp = Response::new(body);
                    let h = resp.headers_mut();
                    insert(h, header::CONTENT_TYPE, Some(content_type));
                    insert(h, header::CACHE_CONTROL, Some(cache_control));
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
                            cache_control,
                            write_back.then_some(verify),
                        )
                        .await
                    }
                    None => Ok(Fetched::Final(refusal(
                        StatusCode::NOT_FOUND,
                        format!("awsproxy: {} not found\n", m.location(&key)),
                    ))),
                },
                S3Failure::NotModified { etag } => {
                    let mut resp = Response::new(empty());
                    *resp.status_mut() = StatusCode::NOT_MODIFIED;
                    insert(resp.headers_mut(), header::ETAG, etag.as_deref());
                    insert(
                        resp.headers_mut(),
                        header::CACHE_CONTROL,
                        Some(cache_control),
                    );
                    Ok(resp.into())
                }
                S3Failure::Other { detail } => Err(FetchError::msg(format!(
                    "reading {} failed: {detail}",
                    m.location(&key)
                ))),
                f => Ok(Fetched::Final(failure_response(&m, &key, &f))),
            }
        })
    }
}

/// A failure's answer for the client (`no-store`: clients don't keep it).
pub fn refusal(status: StatusCode, body: String) -> Response<Body> {
    let mut resp = text(status, body);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The client's answer for a failure.
pub fn failure_response(m: &Mount, key: &str, f: &S3Failure) -> Response<Body> {
    match f {
        S3Failure::NotFound => refusal(
            StatusCode::NOT_FOUND,
            format!("awsproxy: {} not found\n", m.location(key)),
        ),
        S3Failure::InvalidRange => refusal(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "awsproxy: the requested range is not satisfiable\n".to_owned(),
        ),
        S3Failure::Denied { code } => refusal(
            StatusCode::BAD_GATEWAY,
            format!(
                "awsproxy: S3 denied access to {} ({code})\nhint: check that the mount's profile ({}) may read the bucket\n",
                m.location(key),
                m.profile.as_deref().unwrap_or("default")
            ),
        ),
        S3Failure::LoginRequired { detail } => {
            tracing::warn!(mount = %m.name, %detail, "S3 credentials need a new SSO login");
            refusal(StatusCode::SERVICE_UNAVAILABLE, login_message(m))
        }
        S3Failure::NotModified { .. } | S3Failure::Other { .. } => refusal(
            StatusCode::BAD_GATEWAY,
            format!("awsproxy: reading {} from S3 failed\n", m.location(key)),
        ),
    }
}

pub fn login_message(m: &Mount) -> String {
    let cmd = match &m.profile {
        Some(p) => format!("awsproxy sso login --profile {p}"),
        None => "awsproxy sso login".to_owned(),
    };
    format!(
        "awsproxy: the SSO session of Maven mount {} has expired\nhint: run `{cmd}`; the next request uses the new session (no restart needed)\n",
        m.name
    )
}
