//! The S3 store's uploads: a complete spill file as one `PutObject` or a
//! multipart upload (aborted unless it completes), each a conditional write
//! (`If-None-Match: *`, or `If-Match` the object the fill replaces), so that
//! of several instances filling one key at once exactly one upload wins.

use super::{META_KEY, S3Store, backend, sdk};
use crate::cache::store::{EntryMeta, StoreError};

/// What a conditional upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uploaded {
    /// The object is ours; its ETag when S3 said.
    Stored(Option<String>),
    /// Another writer's object was there first (`412`/`409`): nothing was
    /// written.
    Lost,
    /// The object an `If-Match` named is gone (`404`: purged while the fill
    /// ran); nothing was written.
    Gone,
}

/// The condition an upload is made under.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// `If-None-Match: *`: only when there is no object.
    Absent,
    /// `If-Match: ETAG`: only over this object.
    Replaces(String),
}

/// The S3 error was a lost conditional write.
fn lost<E>(e: &aws_sdk_s3::error::SdkError<E>) -> bool {
    e.raw_response()
        .is_some_and(|r| matches!(r.status().as_u16(), 409 | 412))
}

/// The S3 error says the key has no object.
fn missing<E>(e: &aws_sdk_s3::error::SdkError<E>) -> bool {
    e.raw_response().is_some_and(|r| r.status().as_u16() == 404)
}

impl S3Store {
    /// Uploads `len` bytes of a complete spill file from `offset` as
    /// `object`, in parts when it is large, under `cond`.
    async fn upload(
        &self,
        object: &str,
        file: (&std::path::Path, u64),
        len: u64,
        meta_value: String,
        cond: &Condition,
    ) -> Result<Uploaded, StoreError> {
        let location = format!("s3://{}/{object}", self.bucket);
        let (path, offset) = file;
        if len <= self.part_size {
            let body = aws_sdk_s3::primitives::ByteStream::read_from()
                .path(path)
                .offset(offset)
                .length(aws_sdk_s3::primitives::Length::Exact(len))
                .build()
                .await
                .map_err(|e| backend("cannot read the S3 spill file", e))?;
            let put = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(object)
                .content_length(i64::try_from(len).unwrap_or(i64::MAX))
                .metadata(META_KEY, meta_value)
                .body(body);
            let put = match cond {
                Condition::Absent => put.if_none_match("*"),
                Condition::Replaces(etag) => put.if_match(etag),
            };
            return match put.send().await {
                Ok(out) => Ok(Uploaded::Stored(out.e_tag().map(str::to_owned))),
                Err(e) if lost(&e) => Ok(Uploaded::Lost),
                Err(e) if missing(&e) && matches!(cond, Condition::Replaces(_)) => {
                    Ok(Uploaded::Gone)
                }
                Err(e) => {
                    self.note(&e);
                    Err(sdk(format!("cannot upload {location}"), e))
                }
            };
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(object)
            .metadata(META_KEY, meta_value)
            .send()
            .await
            .map_err(|e| {
                self.note(&e);
                sdk(format!("cannot start uploading {location}"), e)
            })?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| {
                StoreError::Corrupt("CreateMultipartUpload returned no upload id".into())
            })?
            .to_owned();
        let result = self.upload_parts(object, file, len, &upload_id, cond).await;
        if !matches!(result, Ok(Uploaded::Stored(_))) {
            // Never leave a half-uploaded object (or its parts) behind.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(object)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result.map_err(|e| match e {
            StoreError::Backend { context, source } => StoreError::Backend {
                context: format!("cannot upload {location}: {context}"),
                source,
            },
            other => other,
        })
    }

    async fn upload_parts(
        &self,
        object: &str,
        (path, start): (&std::path::Path, u64),
        len: u64,
        upload_id: &str,
        cond: &Condition,
    ) -> Result<Uploaded, StoreError> {
        use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
        let mut parts = Vec::new();
        let mut offset = 0u64;
        let mut number = 1i32;
        while offset < len {
            let size = self.part_size.min(len - offset);
            let body = aws_sdk_s3::primitives::ByteStream::read_from()
                .path(path)
                .offset(start + offset)
                .length(aws_sdk_s3::primitives::Length::Exact(size))
                .build()
                .await
                .map_err(|e| backend("cannot read the S3 spill file", e))?;
            let out = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(object)
                .upload_id(upload_id)
                .part_number(number)
                .content_length(i64::try_from(size).unwrap_or(i64::MAX))
                .body(body)
                .send()
                .await
                .map_err(|e| {
                    self.note(&e);
                    sdk(format!("part {number}"), e)
                })?;
            parts.push(
                CompletedPart::builder()
                    .set_e_tag(out.e_tag().map(str::to_owned))
                    .part_number(number)
                    .build(),
            );
            offset += size;
            number += 1;
        }
        let complete = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(object)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            );
        let complete = match cond {
            Condition::Absent => complete.if_none_match("*"),
            Condition::Replaces(etag) => complete.if_match(etag),
        };
        match complete.send().await {
            Ok(out) => Ok(Uploaded::Stored(out.e_tag().map(str::to_owned))),
            Err(e) if lost(&e) => Ok(Uploaded::Lost),
            Err(e) if missing(&e) && matches!(cond, Condition::Replaces(_)) => Ok(Uploaded::Gone),
            Err(e) => {
                self.note(&e);
                Err(sdk("completing the upload".to_owned(), e))
            }
        }
    }

    /// Uploads an entry whose body is `len` bytes of `file` (a path and the
    /// body's offset in it): `If-Match` the object the last lookup of the key
    /// found, else `If-None-Match: *`. [`Uploaded::Lost`] when another
    /// writer's object is there (it stays). An `If-Match` whose object has
    /// since been removed (`cache purge`: a `412` or `404` with no object
    /// left) is retried as `If-None-Match: *`.
    pub(crate) async fn store_file(
        &self,
        meta: &EntryMeta,
        file: (&std::path::Path, u64),
        expected: Option<String>,
    ) -> Result<Uploaded, StoreError> {
        let value = self.encode_meta(meta).await?;
        let object = self.object(&meta.key);
        let cond = expected.map_or(Condition::Absent, Condition::Replaces);
        let first = self
            .upload(&object, file, meta.body_len, value.clone(), &cond)
            .await;
        let retry = match (&cond, &first) {
            (Condition::Replaces(_), Ok(Uploaded::Gone)) => true,
            (Condition::Replaces(_), Ok(Uploaded::Lost)) => {
                matches!(self.head_etag(&meta.key).await, Ok(None))
            }
            _ => false,
        };
        let result = if retry {
            self.upload(&object, file, meta.body_len, value, &Condition::Absent)
                .await
        } else {
            first
        };
        if let Ok(Uploaded::Stored(etag)) = &result {
            self.saw(&meta.key, etag.as_deref());
        }
        result
    }
}
