//! Fake S3: [s3s-fs](https://crates.io/crates/s3s-fs) 0.14.1 (a file-system backed S3)
//! on a temporary directory, served by s3s's `S3Service` over hyper 1 on its own
//! `127.0.0.1:0` server. Path-style addressing only (clients need
//! `force_path_style(true)` unless the endpoint host is an IP).
//!
//! | Method | Path | Operation (by s3s) |
//! |---|---|---|
//! | GET | `/` | ListBuckets |
//! | PUT / HEAD / DELETE | `/{bucket}` | CreateBucket / HeadBucket / DeleteBucket |
//! | GET | `/{bucket}?list-type=2&prefix=..` | ListObjectsV2 (also ListObjects v1) |
//! | PUT / GET / HEAD / DELETE | `/{bucket}/{key}` | PutObject / GetObject (Range) / HeadObject / DeleteObject |
//!
//! The wrapper around the s3s service adds what s3s-fs lacks or tests need:
//! * `If-None-Match` / `If-Modified-Since` on GET and HEAD answer `304 Not Modified`
//!   (s3s-fs ignores them); ETag is the MD5 of the content, Last-Modified the file mtime.
//! * conditional writes (`If-None-Match: *`, `If-Match: ETAG` on PutObject and
//!   CompleteMultipartUpload: `412 PreconditionFailed` when the object exists, or is
//!   not that one) are checked by s3s-fs; the wrapper runs such requests one at a
//!   time, so two racing for one key are atomic as on S3. [`FakeS3::object_writes`]
//!   lists the requests that (tried to) create an object.
//! * a request log ([`FakeS3::requests`]), injected errors (`500 InternalError`s with
//!   [`FakeS3::fail_next`], any status and code such as `503 SlowDown` with
//!   [`FakeS3::fail_next_with`], and every matching request with [`FakeS3::fail_while`]
//!   until [`FakeS3::heal`]), `403 AccessDenied` switches, and a delay.
//!
//! Authentication (SigV4, checked by s3s):
//! * [`FakeS3::start`] (open): anonymous requests are served; requests signed by a
//!   known key ([`super::FAKE_ACCESS_KEY_ID`], [`FakeS3::add_key`], credentials of a
//!   trusted [`super::FakeAws`]) are verified; requests signed by unknown keys are served
//!   as anonymous (their `Authorization` header is dropped — so a streaming,
//!   chunk-signed upload by an unknown key would store the chunk framing).
//! * [`FakeS3::start_with_auth`]: only known keys; anonymous -> `403 AccessDenied`,
//!   unknown key -> `403 InvalidAccessKeyId`, wrong secret -> `403 SignatureDoesNotMatch`.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use base64::Engine as _;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use s3s::auth::{S3Auth, SecretKey};
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3Result, s3_error};

use super::{
    FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, ServerThread, SharedState, signer_access_key_id,
};

/// One request the S3 fake saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3RequestRecord {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// Path, e.g. `/bucket/key`.
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// Access key id of the SigV4 signature (header or presigned query).
    pub access_key_id: Option<String>,
    /// `Range` header.
    pub range: Option<String>,
    /// `If-None-Match` header.
    pub if_none_match: Option<String>,
    /// `If-Modified-Since` header.
    pub if_modified_since: Option<String>,
    /// `If-Match` header.
    pub if_match: Option<String>,
    /// `x-amz-copy-source` header (a `CopyObject`).
    pub copy_source: Option<String>,
    /// Status answered.
    pub status: u16,
}

#[derive(Debug, Default)]
struct Control {
    requests: Vec<S3RequestRecord>,
    fail_next: u32,
    /// Status and code of the `fail_next` errors.
    fail_with: Option<(u16, String)>,
    /// `fail_while`: (only this method, status, code).
    fail_rule: Option<(Option<String>, u16, String)>,
    access_denied: bool,
    denied_keys: HashSet<String>,
    delay: Duration,
}

/// Secrets the S3 fake verifies signatures with.
#[derive(Debug, Clone, Default)]
struct KeyRing {
    keys: Arc<Mutex<HashMap<String, String>>>,
    trusted: Arc<Mutex<Option<SharedState>>>,
}

impl KeyRing {
    fn secret(&self, access_key: &str) -> Option<String> {
        if let Some(s) = lock(&self.keys).get(access_key) {
            return Some(s.clone());
        }
        let trusted = lock(&self.trusted).clone()?;
        let st = lock(&trusted);
        st.credentials
            .get(access_key)
            .filter(|c| c.expires_at > SystemTime::now())
            .map(|c| c.secret_access_key.clone())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

// `S3Auth` is an `#[async_trait]` trait; this is the signature the macro expects,
// written out so the tests need no `async-trait` dependency.
impl S3Auth for KeyRing {
    fn get_secret_key<'life0, 'life1, 'async_trait>(
        &'life0 self,
        access_key: &'life1 str,
    ) -> Pin<Box<dyn Future<Output = S3Result<SecretKey>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        let result = match self.secret(access_key) {
            Some(secret) => Ok(SecretKey::from(secret)),
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
        };
        Box::pin(std::future::ready(result))
    }
}

/// Lets anonymous requests through (open mode).
#[derive(Debug, Clone, Copy)]
struct AllowAll;

impl s3s::access::S3Access for AllowAll {
    fn check<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        _cx: &'life1 mut s3s::access::S3AccessContext<'life2>,
    ) -> Pin<Box<dyn Future<Output = S3Result<()>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(std::future::ready(Ok(())))
    }
}

#[derive(Clone)]
struct Ctx {
    service: S3Service,
    /// Held by conditional writes while they run.
    conditional: Arc<tokio::sync::Mutex<()>>,
    control: Arc<Mutex<Control>>,
    keys: KeyRing,
    open: bool,
}

/// A file-system backed S3 on `127.0.0.1:0`. Dropping it stops the server and deletes
/// the directory.
#[derive(Debug)]
pub struct FakeS3 {
    endpoint: String,
    control: Arc<Mutex<Control>>,
    keys: KeyRing,
    server: ServerThread,
    // Dropped after the server.
    dir: tempfile::TempDir,
}

impl FakeS3 {
    /// Open mode: anonymous and any signer accepted (known signers are verified).
    pub async fn start() -> Self {
        Self::start_inner(true, &[])
    }

    /// Auth mode: only requests signed by these `(access key id, secret)` pairs (and keys
    /// added later) are served. Include `(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)` to
    /// accept [`super::sdk_config`] clients.
    pub async fn start_with_auth(keys: &[(&str, &str)]) -> Self {
        Self::start_inner(false, keys)
    }

    fn start_inner(open: bool, keys: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("awsproxy-fake-s3-")
            .tempdir()
            .expect("tempdir");
        let keyring = KeyRing::default();
        {
            let mut k = lock(&keyring.keys);
            if open {
                k.insert(
                    FAKE_ACCESS_KEY_ID.to_owned(),
                    FAKE_SECRET_ACCESS_KEY.to_owned(),
                );
            }
            for (id, secret) in keys {
                k.insert((*id).to_owned(), (*secret).to_owned());
            }
        }
        let fs = s3s_fs::FileSystem::new(dir.path()).expect("s3s-fs root");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(keyring.clone());
        if open {
            builder.set_access(AllowAll);
        }
        let control = Arc::new(Mutex::new(Control::default()));
        let ctx = Ctx {
            service: builder.build(),
            conditional: Arc::default(),
            control: control.clone(),
            keys: keyring.clone(),
            open,
        };
        let server =
            ServerThread::spawn("s3", move |listener| serve(listener, ctx)).expect("start FakeS3");
        Self {
            endpoint: format!("http://{}", server.addr()),
            control,
            keys: keyring,
            server,
            dir,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// The directory holding the buckets (one sub-directory per bucket).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// An `aws-sdk-s3` client for this fake ([`super::sdk_config`] credentials,
    /// path-style).
    pub fn client(&self) -> aws_sdk_s3::Client {
        Self::client_for(&super::sdk_config(&self.endpoint))
    }

    /// An `aws-sdk-s3` client from any `SdkConfig`, forcing path-style addressing.
    pub fn client_for(config: &SdkConfig) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// Create a bucket (directly on disk).
    pub fn create_bucket(&self, bucket: &str) {
        std::fs::create_dir_all(self.dir.path().join(bucket)).expect("create bucket dir");
    }

    fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        assert!(
            !key.split('/').any(|p| p == ".." || p == "."),
            "unsupported key {key:?}"
        );
        self.dir.path().join(bucket).join(key)
    }

    /// Store an object (directly on disk; the bucket must exist). Its ETag becomes the
    /// MD5 of `bytes` and Last-Modified the current time.
    pub fn put(&self, bucket: &str, key: &str, bytes: impl AsRef<[u8]>) {
        assert!(
            self.dir.path().join(bucket).is_dir(),
            "bucket {bucket} does not exist"
        );
        let path = self.object_path(bucket, key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create key dirs");
        }
        std::fs::write(&path, bytes).expect("write object");
        // s3s-fs caches the ETag/checksums and attributes of objects uploaded through the
        // API in side files; drop them so the new content's MD5 is served.
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        for side in [
            format!(".bucket-{}.object-{}.internal.json", enc(bucket), enc(key)),
            format!(".bucket-{}.object-{}.metadata.json", enc(bucket), enc(key)),
        ] {
            let _ = std::fs::remove_file(self.dir.path().join(side));
        }
    }

    /// Read an object (directly from disk).
    pub fn read(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.object_path(bucket, key)).ok()
    }

    /// Set an object's Last-Modified (its file mtime).
    pub fn set_last_modified(&self, bucket: &str, key: &str, when: SystemTime) {
        let f = std::fs::File::options()
            .write(true)
            .open(self.object_path(bucket, key))
            .expect("open object");
        f.set_modified(when).expect("set mtime");
    }

    /// Accept requests signed with this key from now on.
    pub fn add_key(&self, access_key_id: &str, secret_access_key: &str) {
        lock(&self.keys.keys).insert(access_key_id.to_owned(), secret_access_key.to_owned());
    }

    /// Also accept (unexpired) credentials issued by this `FakeAws`'s portal/STS fakes.
    pub fn trust_credentials_from(&self, aws: &super::FakeAws) {
        *lock(&self.keys.trusted) = Some(aws.shared());
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<S3RequestRecord> {
        lock(&self.control).requests.clone()
    }

    /// Number of requests so far.
    pub fn request_count(&self) -> usize {
        lock(&self.control).requests.len()
    }

    /// Number of requests with this method (`"GET"`, `"HEAD"`, ...) so far.
    pub fn count(&self, method: &str) -> usize {
        lock(&self.control)
            .requests
            .iter()
            .filter(|r| r.method == method)
            .count()
    }

    /// The requests that create an object (a `PutObject`, a
    /// `CompleteMultipartUpload`; not parts, not `CopyObject`), whatever they
    /// were answered: a won conditional write is a `200`, a lost one a `412`.
    pub fn object_writes(&self) -> Vec<S3RequestRecord> {
        let part =
            |r: &S3RequestRecord| r.query.as_deref().is_some_and(|q| q.contains("partNumber"));
        let upload =
            |r: &S3RequestRecord| r.query.as_deref().is_some_and(|q| q.contains("uploadId"));
        lock(&self.control)
            .requests
            .iter()
            .filter(|r| {
                (r.method == "PUT"
                    && !part(r)
                    && r.copy_source.is_none()
                    && !r.path.ends_with(".meta"))
                    || (r.method == "POST" && upload(r))
            })
            .cloned()
            .collect()
    }

    /// Forget the request log.
    pub fn clear_requests(&self) {
        lock(&self.control).requests.clear();
    }

    /// Answer `500 InternalError` to the next `n` requests.
    pub fn fail_next(&self, n: u32) {
        self.fail_next_with(n, 500, "InternalError");
    }

    /// Answer `status` with the S3 error `code` (e.g. `503`, `SlowDown`) to the next
    /// `n` requests.
    pub fn fail_next_with(&self, n: u32, status: u16, code: &str) {
        let mut c = lock(&self.control);
        c.fail_next = n;
        c.fail_with = Some((status, code.to_owned()));
    }

    /// Answer every request (with `method`, if given) `status` with the S3 error
    /// `code` until [`FakeS3::heal`].
    pub fn fail_while(&self, method: Option<&str>, status: u16, code: &str) {
        lock(&self.control).fail_rule = Some((method.map(str::to_owned), status, code.to_owned()));
    }

    /// Stop failing requests ([`FakeS3::fail_while`], [`FakeS3::fail_next`]).
    pub fn heal(&self) {
        let mut c = lock(&self.control);
        c.fail_rule = None;
        c.fail_next = 0;
    }

    /// Answer `403 AccessDenied` to every request while set.
    pub fn set_access_denied(&self, denied: bool) {
        lock(&self.control).access_denied = denied;
    }

    /// Answer `403 AccessDenied` to requests signed by this key.
    pub fn deny_key(&self, access_key_id: &str) {
        lock(&self.control)
            .denied_keys
            .insert(access_key_id.to_owned());
    }

    /// Answer every request this much later.
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.control).delay = delay;
    }
}

async fn serve(listener: tokio::net::TcpListener, ctx: Ctx) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(req, ctx.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Access key id of a presigned URL (`X-Amz-Credential=AKID/...`).
fn presigned_access_key_id(query: Option<&str>) -> Option<String> {
    let q = query?;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "X-Amz-Credential")
        .and_then(|(_, v)| v.split('/').next().map(str::to_owned))
}

fn xml_error(status: StatusCode, code: &str, message: &str) -> Response<s3s::Body> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>FAKE0000</RequestId></Error>"
    );
    let mut resp = Response::new(s3s::Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/xml"),
    );
    resp
}

async fn handle(mut req: Request<Incoming>, ctx: Ctx) -> Result<Response<s3s::Body>, Infallible> {
    let query = req.uri().query().map(str::to_owned);
    let access_key_id =
        signer_access_key_id(req.headers()).or_else(|| presigned_access_key_id(query.as_deref()));
    let mut record = S3RequestRecord {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        query: query.clone(),
        access_key_id: access_key_id.clone(),
        range: header(&req, "range"),
        if_none_match: header(&req, "if-none-match"),
        if_modified_since: header(&req, "if-modified-since"),
        if_match: header(&req, "if-match"),
        copy_source: header(&req, "x-amz-copy-source"),
        status: 0,
    };
    let (early, delay) = {
        let mut c = lock(&ctx.control);
        let rule = c
            .fail_rule
            .as_ref()
            .filter(|(m, _, _)| m.as_ref().is_none_or(|m| *m == record.method))
            .map(|(_, status, code)| (*status, code.clone()));
        let injected = if c.fail_next > 0 {
            c.fail_next -= 1;
            Some(
                c.fail_with
                    .clone()
                    .unwrap_or((500, "InternalError".to_owned())),
            )
        } else {
            rule
        };
        let early = if let Some((status, code)) = injected {
            Some(xml_error(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                &code,
                "Injected by the test. Please try again.",
            ))
        } else if c.access_denied
            || access_key_id
                .as_ref()
                .is_some_and(|k| c.denied_keys.contains(k))
        {
            Some(xml_error(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Access Denied",
            ))
        } else {
            None
        };
        (early, c.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let resp = match early {
        Some(resp) => {
            // Read the request body first, as S3 does: an early answer would
            // reset the client mid-upload instead of showing it the error.
            let _ = http_body_util::BodyExt::collect(req.into_body()).await;
            resp
        }
        None => {
            if ctx.open
                && access_key_id
                    .as_deref()
                    .is_some_and(|k| ctx.keys.secret(k).is_none())
            {
                strip_signature(&mut req);
            }
            let conditional = Conditional::of(&req);
            let write = matches!(*req.method(), hyper::Method::PUT | hyper::Method::POST)
                && (record.if_none_match.is_some() || record.if_match.is_some());
            let _one_at_a_time = if write {
                Some(ctx.conditional.lock().await)
            } else {
                None
            };
            let req = if write {
                // Read the whole body first, as S3 does before it answers
                // `412`: s3s-fs answers before reading it, and the
                // connection would then be closed under the client.
                let (parts, body) = req.into_parts();
                let bytes = http_body_util::BodyExt::collect(body)
                    .await
                    .map(http_body_util::Collected::to_bytes)
                    .unwrap_or_default();
                Request::from_parts(parts, s3s::Body::from(bytes))
            } else {
                req.map(s3s::Body::from)
            };
            match ctx.service.call(req).await {
                Ok(resp) => conditional.apply(resp),
                Err(e) => xml_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    &format!("{e:?}"),
                ),
            }
        }
    };
    record.status = resp.status().as_u16();
    lock(&ctx.control).requests.push(record);
    Ok(resp)
}

/// Serve a request signed by an unknown key as anonymous (open mode).
fn strip_signature(req: &mut Request<Incoming>) {
    req.headers_mut().remove(hyper::header::AUTHORIZATION);
    if let Some(q) = req.uri().query() {
        let kept: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
            .filter(|(k, _)| !k.starts_with("X-Amz-"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut pq = req.uri().path().to_owned();
        if !kept.is_empty() {
            pq.push('?');
            pq.push_str(
                &url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(kept)
                    .finish(),
            );
        }
        let mut parts = req.uri().clone().into_parts();
        parts.path_and_query = pq.parse().ok();
        if let Ok(uri) = hyper::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
}

/// `If-None-Match` / `If-Modified-Since` of a GET or HEAD.
struct Conditional {
    if_none_match: Option<String>,
    if_modified_since: Option<time::OffsetDateTime>,
}

const HTTP_DATE: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

fn parse_http_date(s: &str) -> Option<time::OffsetDateTime> {
    time::PrimitiveDateTime::parse(s.trim(), HTTP_DATE)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

fn strip_etag(tag: &str) -> &str {
    let tag = tag.trim();
    tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"')
}

impl Conditional {
    fn of(req: &Request<Incoming>) -> Self {
        let applies = matches!(*req.method(), hyper::Method::GET | hyper::Method::HEAD);
        Self {
            if_none_match: header(req, "if-none-match").filter(|_| applies),
            if_modified_since: header(req, "if-modified-since")
                .filter(|_| applies)
                .and_then(|d| parse_http_date(&d)),
        }
    }

    fn apply(&self, resp: Response<s3s::Body>) -> Response<s3s::Body> {
        if !matches!(resp.status(), StatusCode::OK | StatusCode::PARTIAL_CONTENT) {
            return resp;
        }
        let get = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok());
        let not_modified = match (&self.if_none_match, &self.if_modified_since) {
            (Some(inm), _) => {
                let etag = get("etag").map(strip_etag);
                inm.split(',')
                    .any(|t| t.trim() == "*" || Some(strip_etag(t)) == etag)
            }
            (None, Some(since)) => get("last-modified")
                .and_then(parse_http_date)
                .is_some_and(|lm| lm <= *since),
            (None, None) => false,
        };
        if !not_modified {
            return resp;
        }
        let mut out = Response::new(s3s::Body::empty());
        *out.status_mut() = StatusCode::NOT_MODIFIED;
        for name in [
            "etag",
            "last-modified",
            "cache-control",
            "expires",
            "x-amz-request-id",
        ] {
            if let Some(v) = resp.headers().get(name) {
                out.headers_mut().insert(name, v.clone());
            }
        }
        out
    }
}
