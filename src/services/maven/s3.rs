//! One mount's S3 side: the client (signing with the credentials core's cache,
//! so a fresh `sso login` or rotated profile is used by the next request), error
//! classification (missing, denied, login required, unreachable), sidecar
//! lookups, ranged reads, listings and uploads. The cache's `Fetch` is in
//! [`super::fetch`].

use std::sync::Mutex;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_types::date_time::Format;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

use crate::cache::{Body, Verifier};
use crate::config::MavenMount;
use crate::creds::{CredentialCache, CredsError};
use crate::maven::listing::Entry;

/// Why an S3 call failed, as far as a client needs to know.
#[derive(Debug, Clone)]
pub enum S3Failure {
    NotFound,
    NotModified { etag: Option<String> },
    InvalidRange,
    Denied { code: String },
    LoginRequired { detail: String },
    Other { detail: String },
}

/// A built mount.
#[derive(Debug)]
pub struct S3Mount {
    pub name: String,
    /// This mount's cache entries: `maven/NAME/IDENTITY` (the credentials'
    /// source name), apart from the forward proxy's and other mounts'.
    pub namespace: crate::cache::key::Namespace,
    pub bucket: String,
    pub prefix: String,
    pub profile: Option<String>,
    pub client: aws_sdk_s3::Client,
    pub creds: CredentialCache,
    pub upstream: Option<super::upstream::PullThrough>,
    pub allow_deploy: bool,
    pub write_back: bool,
    /// Sidecar digests already looked up, by key (release files never change).
    pub verifiers: Mutex<lru::LruCache<String, Option<Verifier>>>,
    /// The last S3 failure that was not a plain "not found" (`None` after a success).
    pub last_error: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Does this endpoint need path-style addressing (an IP or `localhost` host)?
pub fn needs_path_style(endpoint: &str) -> bool {
    url::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
        .is_some_and(|h| match h {
            url::Host::Domain(d) => d == "localhost",
            url::Host::Ipv4(_) | url::Host::Ipv6(_) => true,
        })
}

/// An S3 client for `mount` signing with `creds`. The SDK's own identity cache is
/// off: the credentials cache answers from memory, and must be asked every time
/// so a new login takes effect at once.
pub async fn client(mount: &MavenMount, creds: &CredentialCache) -> aws_sdk_s3::Client {
    let sdk = crate::aws::sdk_config(&crate::aws::SdkOptions {
        region: mount.region.clone(),
        profile: mount.profile.clone(),
        endpoint: mount.endpoint.clone(),
        credentials: Some(creds.provider()),
    })
    .await;
    let path_style = mount.force_path_style
        || mount.endpoint.as_deref().is_some_and(needs_path_style)
        || std::env::var(crate::env_vars::AWS_ENDPOINT_URL_S3).is_ok_and(|e| needs_path_style(&e));
    let conf = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(path_style)
        .identity_cache(aws_sdk_s3::config::IdentityCache::no_cache())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Finds a credentials-core error in an SDK error's chain.
fn creds_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a CredsError> {
    let mut next = Some(err);
    for _ in 0..32 {
        let e = next?;
        if let Some(c) = e.downcast_ref::<CredsError>() {
            return Some(c);
        }
        next = e.source();
    }
    None
}

pub fn classify<E>(e: &SdkError<E, aws_smithy_runtime_api::http::Response>) -> S3Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some(c) = creds_error(e) {
        return match c {
            CredsError::LoginRequired { .. } => S3Failure::LoginRequired {
                detail: c.to_string(),
            },
            _ => S3Failure::Other {
                detail: c.to_string(),
            },
        };
    }
    let detail = DisplayErrorContext(e).to_string();
    let Some(raw) = e.raw_response() else {
        return S3Failure::Other { detail };
    };
    match raw.status().as_u16() {
        304 => S3Failure::NotModified {
            etag: raw.headers().get("etag").map(str::to_owned),
        },
        404 => S3Failure::NotFound,
        416 => S3Failure::InvalidRange,
        403 => S3Failure::Denied {
            code: e
                .as_service_error()
                .and_then(ProvideErrorMetadata::code)
                .unwrap_or("AccessDenied")
                .to_owned(),
        },
        _ => S3Failure::Other { detail },
    }
}

impl S3Mount {
    /// `s3://bucket/key`, for messages.
    pub fn location(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    /// Notes the outcome of an S3 call for the health probe.
    pub fn record(&self, failure: Option<&S3Failure>) {
        let text = match failure {
            None | Some(S3Failure::NotFound | S3Failure::NotModified { .. }) => None,
            Some(S3Failure::InvalidRange) => return,
            Some(S3Failure::Denied { code }) => Some(format!("S3 denied access ({code})")),
            Some(S3Failure::LoginRequired { .. }) => Some(format!(
                "SSO login required (run `awsproxy sso login{}`)",
                self.profile
                    .as_deref()
                    .map(|p| format!(" --profile {p}"))
                    .unwrap_or_default()
            )),
            Some(S3Failure::Other { detail }) => Some(detail.clone()),
        };
        *lock(&self.last_error) = text;
    }

    pub fn last_error(&self) -> Option<String> {
        lock(&self.last_error).clone()
    }

    /// A small object (a checksum sidecar) read whole; `None` when missing.
    pub async fn small_object(&self, key: &str) -> Result<Option<Bytes>, S3Failure> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                return match classify(&e) {
                    S3Failure::NotFound => Ok(None),
                    f => {
                        self.record(Some(&f));
                        Err(f)
                    }
                };
            }
        };
        if out.content_length().unwrap_or(0) > 4096 {
            return Ok(Some(Bytes::new()));
        }
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| S3Failure::Other {
                detail: format!("reading {}: {e}", self.location(key)),
            })?
            .into_bytes();
        Ok(Some(bytes))
    }

    /// The expected digest of a release file from its sidecar (`.sha256`, else
    /// `.sha1`), looked up once per key. A sidecar that does not parse yields a
    /// digest nothing matches, so the file is refused rather than served unchecked.
    pub async fn verifier(&self, key: &str, path: &str) -> Result<Option<Verifier>, S3Failure> {
        if let Some(v) = lock(&self.verifiers).get(key) {
            return Ok(v.clone());
        }
        let mut found = None;
        for (ext, len) in [("sha256", 64), ("sha1", 40)] {
            let side_key = format!("{key}.{ext}");
            let mut bytes = self.small_object(&side_key).await?;
            if bytes.is_none()
                && let Some(up) = &self.upstream
            {
                bytes = up.small(&format!("{path}.{ext}")).await;
            }
            if let Some(bytes) = bytes {
                let hex = crate::maven::content::parse_sidecar(&bytes, len)
                    .unwrap_or_else(|| format!("unparseable-{ext}-sidecar"));
                found = Some(if len == 64 {
                    Verifier::Sha256(hex)
                } else {
                    Verifier::Sha1(hex)
                });
                break;
            }
        }
        lock(&self.verifiers).put(key.to_owned(), found.clone());
        Ok(found)
    }

    pub fn forget_verifier(&self, key: &str) {
        let mut v = lock(&self.verifiers);
        v.pop(key);
        for ext in [".sha256", ".sha1"] {
            if let Some(base) = key.strip_suffix(ext) {
                v.pop(base);
            }
        }
    }

    /// A ranged GetObject straight from S3 (ranges bypass the cache).
    pub async fn ranged(
        &self,
        key: &str,
        range: &str,
        content_type: &'static str,
    ) -> Result<Response<Body>, S3Failure> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(range)
            .send()
            .await
            .map_err(|e| classify(&e));
        self.record(out.as_ref().err());
        let out = out?;
        let status = if out.content_range().is_some() {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        };
        let mut resp = Response::new(crate::cache::store::s3::byte_stream_body(out.body));
        *resp.status_mut() = status;
        let h = resp.headers_mut();
        insert(h, header::CONTENT_TYPE, Some(content_type));
        insert(h, header::CONTENT_RANGE, out.content_range.as_deref());
        insert(h, header::ETAG, out.e_tag.as_deref());
        insert(
            h,
            header::LAST_MODIFIED,
            out.last_modified
                .and_then(|d| d.fmt(Format::HttpDate).ok())
                .as_deref(),
        );
        if let Some(len) = out.content_length {
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        }
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        Ok(resp)
    }

    /// The children of the "directory" `prefix` (ending in `/`), over at most
    /// `max_pages` ListObjectsV2 pages; `true` when it stopped early.
    pub async fn list(
        &self,
        prefix: &str,
        page_size: i32,
        max_pages: usize,
    ) -> Result<(Vec<Entry>, bool), S3Failure> {
        let mut entries = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..max_pages {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .delimiter("/")
                .max_keys(page_size)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| classify(&e));
            self.record(out.as_ref().err());
            let out = out?;
            for p in out.common_prefixes() {
                if let Some(name) = p
                    .prefix()
                    .and_then(|p| p.strip_prefix(prefix))
                    .map(|n| n.trim_end_matches('/'))
                    .filter(|n| !n.is_empty())
                {
                    entries.push(Entry {
                        name: name.to_owned(),
                        directory: true,
                        size: None,
                        modified: None,
                    });
                }
            }
            for o in out.contents() {
                let Some(name) = o
                    .key()
                    .and_then(|k| k.strip_prefix(prefix))
                    .filter(|n| !n.is_empty())
                else {
                    continue;
                };
                entries.push(Entry {
                    name: name.to_owned(),
                    directory: false,
                    size: o.size().and_then(|s| u64::try_from(s).ok()),
                    modified: o.last_modified().map(short_date),
                });
            }
            match out.next_continuation_token() {
                Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => return Ok((entries, false)),
            }
        }
        Ok((entries, true))
    }

    /// Uploads a complete file (a deploy or a write-back) as `key`.
    pub async fn put_file(
        &self,
        key: &str,
        path: &std::path::Path,
        len: u64,
        content_type: &str,
    ) -> Result<(), S3Failure> {
        let body = aws_sdk_s3::primitives::ByteStream::from_path(path)
            .await
            .map_err(|e| S3Failure::Other {
                detail: format!("cannot read the upload spill file: {e}"),
            })?;
        let out = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(i64::try_from(len).unwrap_or(i64::MAX))
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map_err(|e| classify(&e));
        self.record(out.as_ref().err());
        out.map(|_| ())
    }
}

fn short_date(d: &aws_smithy_types::DateTime) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(d.secs()) else {
        return "-".to_owned();
    };
    t.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]"
    ))
    .unwrap_or_default()
}

pub fn insert(h: &mut http::HeaderMap, name: header::HeaderName, value: Option<&str>) {
    if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
        h.insert(name, v);
    }
}
