//! The S3 store: entries as objects in `[cache.s3]` bucket under `prefix`, so
//! many awsproxy instances (laptops, CI runners) share one cache.
//!
//! An entry is the object `PREFIX<key>` whose user metadata `x-amz-meta-awsproxy-meta`
//! holds the [`EntryMeta`] JSON, base64-encoded (S3 metadata is ASCII and at most
//! 2 KB). Larger metadata goes to a sidecar object `PREFIX<key>.meta`, and the
//! body's metadata says `awsproxy-meta: sidecar`. A fill spills to a local temp
//! file and uploads only once the body is complete and verified (one
//! `PutObject`, or a multipart upload above the part size, aborted on failure),
//! so a failed fetch never creates an object. Uploads are conditional writes
//! (`If-None-Match: *` where the lookup found no object, `If-Match: <ETag>`
//! where it found the one the fill replaces, on `PutObject` and
//! `CompleteMultipartUpload`): when several hosts miss one key at once, one
//! upload wins and the others get `412 Precondition Failed` (or `409
//! ConditionalRequestConflict`), keep nothing and leave the winner's object in
//! place. Refreshing
//! metadata after a `304` is a `CopyObject` onto itself (objects up to 5 GiB;
//! larger ones just stay stale and are revalidated again).
//!
//! When S3 itself fails (a 5xx such as `SlowDown`, a timeout, no connection)
//! after the SDK's own retries, the store skips S3 for [`DEFAULT_COOLDOWN`]:
//! lookups are misses and fills are not uploaded, so an outage slows one
//! request instead of every request by the retries' backoff. Missing keys and
//! denied requests (4xx) do not count.

use http_body_util::{BodyExt, StreamBody};

use super::meta::S3Meta;
use super::{EntryMeta, Found, ListedEntry, PendingEntry, Store, StoreError, meta};
use crate::cache::{Body, BoxError, BoxFuture};

mod upload;

pub use upload::Uploaded;

const META_KEY: &str = "awsproxy-meta";

/// A bucket and prefix.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    /// Bodies larger than this are uploaded in parts of this size.
    part_size: u64,
    /// Until when S3 is skipped after it failed.
    skip_until: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    cooldown: std::time::Duration,
    /// The ETag each recent lookup found (what a fill of that key replaces).
    seen: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
}

/// Keys whose ETag [`S3Store`] remembers; past this the memory is cleared (a
/// fill whose lookup was forgotten then writes with `If-None-Match: *`, loses
/// to the old object, and the next lookup remembers it again).
const SEEN_MAX: usize = 16 * 1024;

/// How long the store skips S3 after S3 failed.
pub const DEFAULT_COOLDOWN: std::time::Duration = std::time::Duration::from_secs(30);

/// Default multipart part size (S3 allows 5 MiB to 5 GiB; one `PutObject` at most 5 GiB).
pub const DEFAULT_PART_SIZE: u64 = 64 << 20;

fn backend(
    context: impl Into<String>,
    e: impl std::error::Error + Send + Sync + 'static,
) -> StoreError {
    StoreError::Backend {
        context: context.into(),
        source: Box::new(e),
    }
}

/// An SDK error with its full context in the message (its `Display` is terse).
fn sdk(context: String, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    let detail = aws_sdk_s3::error::DisplayErrorContext(&e).to_string();
    backend(format!("{context}: {detail}"), e)
}

impl S3Store {
    pub fn new(
        client: aws_sdk_s3::Client,
        bucket: impl Into<String>,
        prefix: impl Into<String>,
    ) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            prefix: prefix.into(),
            part_size: DEFAULT_PART_SIZE,
            skip_until: std::sync::Arc::default(),
            cooldown: DEFAULT_COOLDOWN,
            seen: std::sync::Arc::default(),
        }
    }

    /// Remembers (or, with `None`, forgets) the ETag a lookup found.
    fn saw(&self, key: &str, etag: Option<&str>) {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match etag {
            Some(etag) => {
                if seen.len() >= SEEN_MAX {
                    seen.clear();
                }
                seen.insert(key.to_owned(), etag.to_owned());
            }
            None => {
                seen.remove(key);
            }
        }
    }

    /// The ETag the last lookup of `key` found.
    pub(crate) fn seen(&self, key: &str) -> Option<String> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    /// Skips S3 this long after it failed (zero: never skip).
    pub fn with_cooldown(mut self, cooldown: std::time::Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// `Err` while S3 is skipped: nothing is stored then.
    pub(crate) fn available(&self) -> Result<(), StoreError> {
        if self.skipping() {
            return Err(backend(
                format!("not storing: S3 failed less than {:?} ago", self.cooldown),
                std::io::Error::other("S3 is skipped while it recovers"),
            ));
        }
        Ok(())
    }

    /// S3 failed less than the cooldown ago.
    pub(crate) fn skipping(&self) -> bool {
        let until = self.skip_until.lock().map(|u| *u).unwrap_or(None);
        until.is_some_and(|t| std::time::Instant::now() < t)
    }

    /// Notes a failed call: S3 itself failing (not a 4xx) starts the cooldown.
    fn note<E>(&self, e: &aws_sdk_s3::error::SdkError<E>) {
        use aws_sdk_s3::error::SdkError;
        let outage = match e {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => true,
            _ => e.raw_response().is_some_and(|r| r.status().as_u16() >= 500),
        };
        if !outage || self.cooldown.is_zero() {
            return;
        }
        if let Ok(mut until) = self.skip_until.lock() {
            *until = Some(std::time::Instant::now() + self.cooldown);
        }
        tracing::warn!(
            bucket = %self.bucket,
            skip_for = ?self.cooldown,
            "S3 is failing; the cache skips it for a while (lookups miss, nothing is stored)"
        );
    }

    /// Uploads bodies larger than `bytes` in parts of `bytes` (at least 5 MiB).
    pub fn with_part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes.max(5 << 20);
        self
    }

    /// The ETag of the object `key` names, `None` when there is none (one
    /// `HeadObject`; a failure of S3 itself starts the cooldown).
    pub(crate) async fn head_etag(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.object(key))
            .send()
            .await
        {
            Ok(head) => {
                let etag = head.e_tag().unwrap_or_default().to_owned();
                self.saw(key, Some(&etag));
                Ok(Some(etag))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {
                self.saw(key, None);
                Ok(None)
            }
            Err(e) => {
                self.note(&e);
                Err(sdk(format!("cannot read {}", self.location(key)), e))
            }
        }
    }

    /// Replaces an object's metadata, keeping its body (`CopyObject` onto
    /// itself); returns the object's new ETag when S3 said.
    pub(crate) async fn replace_meta(
        &self,
        meta: &EntryMeta,
    ) -> Result<Option<String>, StoreError> {
        let value = self.encode_meta(meta).await?;
        let object = self.object(&meta.key);
        let out = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(&object)
            .copy_source(format!("{}/{object}", self.bucket))
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
            .metadata(META_KEY, value)
            .send()
            .await
            .map_err(|e| {
                self.note(&e);
                sdk(format!("cannot update {}", self.location(&meta.key)), e)
            })?;
        let etag = out
            .copy_object_result()
            .and_then(|r| r.e_tag())
            .map(str::to_owned);
        if etag.is_some() {
            self.saw(&meta.key, etag.as_deref());
        }
        Ok(etag)
    }

    /// A client from the default credential chain (or `profile`), `region`,
    /// `endpoint` and `force_path_style` of `[cache.s3]`.
    pub async fn from_config(cfg: &crate::config::CacheS3) -> anyhow::Result<Self> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(profile) = &cfg.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &cfg.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(endpoint) = &cfg.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let sdk = loader.load().await;
        let conf = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(cfg.force_path_style)
            .build();
        Ok(Self::new(
            aws_sdk_s3::Client::from_conf(conf),
            cfg.bucket.clone(),
            cfg.prefix.clone(),
        ))
    }

    fn object(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn location(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.object(key))
    }

    /// Reads the metadata of an object from its user metadata or sidecar
    /// (decoded by [`super::meta`]).
    async fn decode_meta(
        &self,
        key: &str,
        user: Option<&std::collections::HashMap<String, String>>,
    ) -> Result<EntryMeta, StoreError> {
        let raw = user
            .and_then(|m| m.get(META_KEY))
            .ok_or_else(|| StoreError::Corrupt("no awsproxy metadata".into()))?;
        let json = if let Some(json) = meta::s3_decode(raw)? {
            json
        } else {
            let out = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(format!("{}.meta", self.object(key)))
                .send()
                .await
                .map_err(|e| {
                    StoreError::Corrupt(format!(
                        "sidecar: {}",
                        aws_sdk_s3::error::DisplayErrorContext(e)
                    ))
                })?;
            let json = out
                .body
                .collect()
                .await
                .map_err(|e| backend("cannot read a sidecar", e))?
                .into_bytes()
                .to_vec();
            // Two replicas filling one key write the sidecar before their
            // conditional body upload: the loser's may replace the winner's.
            if !meta::s3_sidecar_matches(raw, &json) {
                return Err(StoreError::Corrupt(
                    "the sidecar is not the one this body was written with".into(),
                ));
            }
            json
        };
        Ok(EntryMeta::from_json(&json, key)?)
    }

    /// The user-metadata value for `meta`, writing a sidecar when it is too large.
    async fn encode_meta(&self, meta: &EntryMeta) -> Result<String, StoreError> {
        // A local copy's bookkeeping is not the object's.
        let meta = &EntryMeta {
            s3_etag: None,
            ..meta.clone()
        };
        let json = match meta::s3_encode(meta)? {
            S3Meta::Inline(value) => return Ok(value),
            S3Meta::Sidecar(json) => json,
        };
        let marker = meta::s3_sidecar_marker(&json);
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(format!("{}.meta", self.object(&meta.key)))
            .body(json.into())
            .send()
            .await
            .map_err(|e| sdk(format!("cannot write {}.meta", self.location(&meta.key)), e))?;
        Ok(marker)
    }

    /// An entry's metadata with an empty body (a range past its end): one
    /// `HeadObject`.
    async fn get_empty(&self, key: &str) -> Result<Option<Found>, StoreError> {
        let head = match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.object(key))
            .send()
            .await
        {
            Ok(head) => head,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => return Ok(None),
            Err(e) => {
                self.note(&e);
                return Err(sdk(format!("cannot read {}", self.location(key)), e));
            }
        };
        match self.decode_meta(key, head.metadata()).await {
            Ok(meta)
                if head.content_length().and_then(|l| u64::try_from(l).ok())
                    == Some(meta.body_len) =>
            {
                Ok(Some(Found {
                    meta,
                    body: crate::net::full(bytes::Bytes::new()),
                }))
            }
            Ok(_) | Err(StoreError::Corrupt(_)) => {
                tracing::warn!(object = %self.location(key), "removing a corrupt cache entry");
                let _ = self.delete(key).await;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        for object in [self.object(key), format!("{}.meta", self.object(key))] {
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(&object)
                .send()
                .await
                .map_err(|e| sdk(format!("cannot delete s3://{}/{object}", self.bucket), e))?;
        }
        Ok(())
    }
}

/// An S3 object's body (the SDK's `ByteStream`) as a streaming [`Body`].
pub fn byte_stream_body(stream: aws_sdk_s3::primitives::ByteStream) -> Body {
    let frames = futures_util::stream::unfold(stream, |mut s| async move {
        let next = s.next().await?;
        Some((
            next.map(http_body::Frame::data)
                .map_err(|e| Box::new(e) as BoxError),
            s,
        ))
    });
    StreamBody::new(frames).boxed_unsync()
}

impl S3Store {
    /// [`Store::get`], with the object's ETag.
    pub(crate) async fn get_tagged(
        &self,
        key: &str,
    ) -> Result<Option<(Found, Option<String>)>, StoreError> {
        if self.skipping() {
            return Ok(None);
        }
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.object(key))
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                self.saw(key, None);
                return Ok(None);
            }
            Err(e) => {
                self.note(&e);
                return Err(sdk(format!("cannot read {}", self.location(key)), e));
            }
        };
        self.saw(key, out.e_tag());
        let meta = match self.decode_meta(key, out.metadata()).await {
            Ok(meta)
                if out.content_length().and_then(|l| u64::try_from(l).ok())
                    == Some(meta.body_len) =>
            {
                meta
            }
            Ok(_) | Err(StoreError::Corrupt(_)) => {
                tracing::warn!(object = %self.location(key), "removing a corrupt cache entry");
                let _ = self.delete(key).await;
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let etag = out.e_tag().map(str::to_owned);
        Ok(Some((
            Found {
                meta,
                body: byte_stream_body(out.body),
            },
            etag,
        )))
    }

    /// [`Store::get_range`].
    async fn read_range(
        &self,
        key: &str,
        range: std::ops::Range<u64>,
    ) -> Result<Option<Found>, StoreError> {
        if self.skipping() {
            return Ok(None);
        }
        if range.is_empty() {
            return self.get_empty(key).await;
        }
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.object(key))
            .range(format!("bytes={}-{}", range.start, range.end - 1))
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                return Ok(None);
            }
            // The range starts at or past the end (or the object is empty).
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 416) => {
                return self.get_empty(key).await;
            }
            Err(e) => {
                self.note(&e);
                return Err(sdk(format!("cannot read {}", self.location(key)), e));
            }
        };
        // `Content-Range: bytes A-B/TOTAL`: TOTAL is the whole object's length.
        let total = out
            .content_range()
            .and_then(|r| r.rsplit('/').next())
            .and_then(|t| t.parse::<u64>().ok());
        if total.is_none() {
            return Err(backend(
                format!("cannot read part of {}", self.location(key)),
                std::io::Error::other(
                    "the S3 backend answered a Range request without Content-Range",
                ),
            ));
        }
        let got = out.content_length().and_then(|l| u64::try_from(l).ok());
        let meta = match self.decode_meta(key, out.metadata()).await {
            Ok(meta) if total == Some(meta.body_len) => {
                let part = super::clamp(&range, meta.body_len);
                if got != Some(part.end - part.start) {
                    return Err(backend(
                        format!("cannot read part of {}", self.location(key)),
                        std::io::Error::other("S3 sent another length than the range asked"),
                    ));
                }
                meta
            }
            Ok(_) | Err(StoreError::Corrupt(_)) => {
                tracing::warn!(object = %self.location(key), "removing a corrupt cache entry");
                let _ = self.delete(key).await;
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        Ok(Some(Found {
            meta,
            body: byte_stream_body(out.body),
        }))
    }
}

impl Store for S3Store {
    fn kind(&self) -> &'static str {
        "s3"
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Found>, StoreError>> {
        Box::pin(async move { Ok(self.get_tagged(key).await?.map(|(found, _)| found)) })
    }

    fn get_range<'a>(
        &'a self,
        key: &'a str,
        range: std::ops::Range<u64>,
    ) -> BoxFuture<'a, Result<Option<Found>, StoreError>> {
        Box::pin(async move { self.read_range(key, range).await })
    }

    fn begin<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Box<dyn PendingEntry>, StoreError>> {
        Box::pin(async move {
            self.available()?;
            let tmp = tempfile::Builder::new()
                .prefix("awsproxy-s3-fill-")
                .tempfile()
                .map_err(|e| {
                    StoreError::io("cannot create a temp file to spill an S3 upload", e)
                })?;
            let (file, path) = tmp.into_parts();
            Ok(Box::new(S3Pending {
                store: self.clone(),
                expected: self.seen(key),
                file: tokio::fs::File::from_std(file),
                path,
                written: 0,
            }) as Box<dyn PendingEntry>)
        })
    }

    fn update_meta<'a>(&'a self, meta: &'a EntryMeta) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.replace_meta(meta).await.map(|_| ()) })
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<ListedEntry>, StoreError>> {
        Box::pin(async move {
            let mut out = Vec::new();
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&self.prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| {
                    sdk(
                        format!("cannot list s3://{}/{}", self.bucket, self.prefix),
                        e,
                    )
                })?;
                for obj in page.contents() {
                    let Some(name) = obj.key().and_then(|k| k.strip_prefix(&self.prefix)) else {
                        continue;
                    };
                    if name.contains('/') || name.ends_with(".meta") {
                        continue;
                    }
                    let Ok(head) = self
                        .client
                        .head_object()
                        .bucket(&self.bucket)
                        .key(self.object(name))
                        .send()
                        .await
                    else {
                        continue;
                    };
                    if let Ok(meta) = self.decode_meta(name, head.metadata()).await {
                        out.push(ListedEntry {
                            size: obj
                                .size()
                                .and_then(|s| u64::try_from(s).ok())
                                .unwrap_or(meta.body_len),
                            meta,
                            hits: None,
                            accessed: None,
                        });
                    }
                }
            }
            Ok(out)
        })
    }

    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let exists = self
                .client
                .head_object()
                .bucket(&self.bucket)
                .key(self.object(key))
                .send()
                .await
                .is_ok();
            if exists {
                self.delete(key).await?;
            }
            Ok(exists)
        })
    }
}

/// A fill spilled to a local file; `commit` uploads it with one `PutObject`
/// (or a multipart upload), conditional on what the lookup found.
#[derive(Debug)]
struct S3Pending {
    store: S3Store,
    /// The ETag of the object this fill replaces.
    expected: Option<String>,
    file: tokio::fs::File,
    path: tempfile::TempPath,
    written: u64,
}

impl PendingEntry for S3Pending {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            tokio::io::AsyncWriteExt::write_all(&mut self.file, chunk)
                .await
                .map_err(|e| StoreError::io("cannot write the S3 spill file", e))?;
            self.written += chunk.len() as u64;
            Ok(())
        })
    }

    fn commit(self: Box<Self>, meta: EntryMeta) -> BoxFuture<'static, Result<(), StoreError>> {
        Box::pin(async move {
            let S3Pending {
                store,
                expected,
                mut file,
                path,
                written,
            } = *self;
            if meta.body_len != written {
                return Err(StoreError::Corrupt(format!(
                    "wrote {written} bytes but the metadata says {}",
                    meta.body_len
                )));
            }
            tokio::io::AsyncWriteExt::flush(&mut file)
                .await
                .map_err(|e| StoreError::io("cannot flush the S3 spill file", e))?;
            drop(file);
            if matches!(
                store.store_file(&meta, (&path, 0), expected).await?,
                Uploaded::Lost | Uploaded::Gone
            ) {
                tracing::debug!(
                    object = %store.location(&meta.key),
                    "another awsproxy stored this entry first; keeping its object"
                );
            }
            drop(path);
            Ok(())
        })
    }
}
