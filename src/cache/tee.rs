//! Tee: one task reads a body, writes it to a [`Sink`] and forwards it to the
//! client at the same time, hashing it (SHA-256 always, SHA-1 when a
//! [`Verifier`] asks for it) and counting its length. The sink is committed only
//! when the body is complete (its `Content-Length` matches) and verified; it is
//! dropped (aborted) otherwise, and the client's body ends with the error. The
//! task keeps reading when the client goes away, so the sink still gets the body.
//!
//! Used by the cache's fills (the sink is a store entry) and by Maven's
//! write-back (the sink is a temp file uploaded to S3). [`Spill`] is the temp
//! file both Maven's write-back and its uploads buffer into.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::{Body, BoxError, BoxFuture, Verifier};

/// Why a body was not committed (also the client's body error).
#[derive(Debug, thiserror::Error)]
pub enum TeeError {
    #[error("the upstream body ended after {got} of {expected} bytes")]
    Short { got: u64, expected: u64 },
    #[error("the upstream body's {algo} {got} does not match the expected {expected}")]
    Digest {
        algo: &'static str,
        got: String,
        expected: String,
    },
    #[error("the upstream body sent nothing for {0:?}")]
    Idle(Duration),
}

/// A complete body that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub len: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// The sink could not take a chunk (it has logged why); the tee goes on without it.
#[derive(Debug)]
pub struct SinkFailed;

/// Where a tee writes the body. Dropping a sink without [`Sink::commit`] aborts it.
pub trait Sink: Send {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, Result<(), SinkFailed>>;

    /// The body is complete and verified. The client's body ends after this
    /// future, so a sink that must be visible to the next request commits here.
    fn commit(self: Box<Self>, body: Checked) -> BoxFuture<'static, ()>;
}

/// Running SHA-256 (and SHA-1 when wanted) and length of a body.
pub struct Digests {
    sha256: Sha256,
    sha1: Option<sha1::Sha1>,
    sha512: Option<sha2::Sha512>,
    len: u64,
}

impl Digests {
    /// Hashes SHA-1 too when `verify` asks for it.
    pub fn for_verifier(verify: Option<&Verifier>) -> Self {
        Self {
            sha256: Sha256::new(),
            sha1: matches!(verify, Some(Verifier::Sha1(_))).then(sha1::Sha1::new),
            sha512: matches!(verify, Some(Verifier::Sha512(_))).then(sha2::Sha512::new),
            len: 0,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.sha256.update(data);
        if let Some(h) = self.sha1.as_mut() {
            h.update(data);
        }
        if let Some(h) = self.sha512.as_mut() {
            h.update(data);
        }
        self.len += data.len() as u64;
    }

    /// Checks the whole body against its expected length and digest.
    pub fn check(
        self,
        expected_len: Option<u64>,
        verify: Option<&Verifier>,
    ) -> Result<Checked, TeeError> {
        let len = self.len;
        let sha256 = hex::encode(self.sha256.finalize());
        if let Some(expected) = expected_len
            && expected != len
        {
            return Err(TeeError::Short { got: len, expected });
        }
        let mismatch = |algo, got: String, expected: &String| {
            (!expected.eq_ignore_ascii_case(&got)).then(|| TeeError::Digest {
                algo,
                got,
                expected: expected.clone(),
            })
        };
        let problem = match verify {
            Some(Verifier::Sha256(expected)) => mismatch("sha256", sha256.clone(), expected),
            Some(Verifier::Sha1(expected)) => {
                let got = self
                    .sha1
                    .map(|h| hex::encode(h.finalize()))
                    .unwrap_or_default();
                mismatch("sha1", got, expected)
            }
            Some(Verifier::Sha512(expected)) => {
                let got = self
                    .sha512
                    .map(|h| hex::encode(h.finalize()))
                    .unwrap_or_default();
                mismatch("sha512", got, expected)
            }
            None => None,
        };
        match problem {
            Some(p) => Err(p),
            None => Ok(Checked { len, sha256 }),
        }
    }
}

/// What a tee needs besides the bodies.
pub struct Tee {
    pub upstream: Body,
    /// `None`: only verify (the client still gets an error on a bad body).
    pub sink: Option<Box<dyn Sink>>,
    pub expected_len: Option<u64>,
    pub verify: Option<Verifier>,
    /// Ends the body with [`TeeError::Idle`] when the upstream sends nothing this long.
    pub idle_timeout: Option<Duration>,
    /// Held until the tee ends (e.g. releases coalesced waiters).
    pub guard: Option<Box<dyn Send>>,
    /// Names the body in log lines (its URL or location).
    pub label: String,
    /// Says in log lines what a failure means, e.g. "nothing cached".
    pub on_failure: &'static str,
}

/// Starts the tee task and returns the client's body.
pub fn spawn(tee: Tee) -> Body {
    let (tx, rx) = mpsc::channel::<Result<Bytes, BoxError>>(8);
    // In the request's span: a failed fill logs with the request's id.
    tokio::spawn(tracing::Instrument::in_current_span(run(tee, tx)));
    channel_body(rx)
}

/// A body fed by a channel.
pub fn channel_body(rx: mpsc::Receiver<Result<Bytes, BoxError>>) -> Body {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let item = rx.recv().await?;
        Some((item.map(http_body::Frame::data), rx))
    });
    StreamBody::new(stream).boxed_unsync()
}

async fn next_frame(
    body: &mut Body,
    idle: Option<Duration>,
) -> Result<Option<Result<http_body::Frame<Bytes>, BoxError>>, TeeError> {
    match idle {
        Some(t) => tokio::time::timeout(t, body.frame())
            .await
            .map_err(|_| TeeError::Idle(t)),
        None => Ok(body.frame().await),
    }
}

async fn run(tee: Tee, tx: mpsc::Sender<Result<Bytes, BoxError>>) {
    let Tee {
        mut upstream,
        mut sink,
        expected_len,
        verify,
        idle_timeout,
        guard,
        label,
        on_failure,
    } = tee;
    let mut client = Some(tx);
    let mut digests = Digests::for_verifier(verify.as_ref());
    // The last chunk is held back until the body is checked, so a client never
    // sees a complete body that was then found bad.
    let mut held: Option<Bytes> = None;
    loop {
        let next = match next_frame(&mut upstream, idle_timeout).await {
            Ok(next) => next,
            Err(problem) => {
                tracing::warn!(url = %label, error = %problem, "upstream body stalled; {on_failure}");
                send(&mut client, Err(Box::new(problem))).await;
                return;
            }
        };
        match next {
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                digests.update(&data);
                if let Some(s) = sink.as_mut()
                    && s.write(&data).await.is_err()
                {
                    sink = None;
                }
                if let Some(prev) = held.replace(data) {
                    send(&mut client, Ok(prev)).await;
                }
            }
            Some(Err(e)) => {
                tracing::warn!(url = %label, error = %e, "upstream body failed; {on_failure}");
                send(&mut client, Err(e)).await;
                return;
            }
            None => break,
        }
    }
    let checked = match digests.check(expected_len, verify.as_ref()) {
        Ok(c) => c,
        Err(problem) => {
            tracing::warn!(url = %label, error = %problem, "upstream body rejected; {on_failure}");
            send(&mut client, Err(Box::new(problem))).await;
            return;
        }
    };
    if let Some(last) = held {
        send(&mut client, Ok(last)).await;
    }
    // The client's body ends only after the commit, so a request made after
    // it finished finds the entry (clients with a Content-Length are done
    // already when the last byte arrives).
    if let Some(s) = sink {
        s.commit(checked).await;
    }
    drop(client);
    drop(guard);
}

async fn send(
    client: &mut Option<mpsc::Sender<Result<Bytes, BoxError>>>,
    item: Result<Bytes, BoxError>,
) {
    if let Some(tx) = client
        && tx.send(item).await.is_err()
    {
        // The client went away; keep filling the sink.
        *client = None;
    }
}

/// A body buffered in a temp file (deleted when the returned path is dropped).
pub struct Spill {
    file: tokio::fs::File,
    path: tempfile::TempPath,
}

/// Why [`Spill::read_all`] stopped.
#[derive(Debug)]
pub enum SpillError {
    /// The body itself failed.
    Body(BoxError),
    /// The temp file could not be created or written.
    File(std::io::Error),
}

impl Spill {
    pub fn new() -> std::io::Result<Self> {
        let (file, path) = tempfile::NamedTempFile::new()?.into_parts();
        Ok(Self {
            file: tokio::fs::File::from_std(file),
            path,
        })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.file.write_all(chunk).await
    }

    /// Flushes and closes the file; its path stays until dropped.
    pub async fn finish(mut self) -> std::io::Result<tempfile::TempPath> {
        self.file.flush().await?;
        Ok(self.path)
    }

    /// Reads all of `body` into a new temp file: its path and length.
    pub async fn read_all(mut body: Body) -> Result<(tempfile::TempPath, u64), SpillError> {
        let mut spill = Self::new().map_err(SpillError::File)?;
        let mut len = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(SpillError::Body)?;
            if let Some(data) = frame.data_ref() {
                len += data.len() as u64;
                spill.write(data).await.map_err(SpillError::File)?;
            }
        }
        let path = spill.finish().await.map_err(SpillError::File)?;
        Ok((path, len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256_hex(data: &[u8]) -> String {
        hex::encode(Sha256::digest(data))
    }

    #[test]
    fn check_accepts_a_matching_body_and_rejects_short_or_wrong_ones() {
        let mut d = Digests::for_verifier(None);
        d.update(b"hello");
        let c = d.check(Some(5), None).expect("complete");
        assert_eq!(c.len, 5);
        assert_eq!(c.sha256, sha256_hex(b"hello"));

        let mut d = Digests::for_verifier(None);
        d.update(b"hel");
        assert!(matches!(
            d.check(Some(5), None),
            Err(TeeError::Short {
                got: 3,
                expected: 5
            })
        ));

        let want = Verifier::Sha256(sha256_hex(b"hello").to_uppercase());
        let mut d = Digests::for_verifier(Some(&want));
        d.update(b"hello");
        assert!(d.check(None, Some(&want)).is_ok());
        let mut d = Digests::for_verifier(Some(&want));
        d.update(b"jello");
        assert!(matches!(
            d.check(None, Some(&want)),
            Err(TeeError::Digest { algo: "sha256", .. })
        ));

        let sha1 = Verifier::Sha1(hex::encode(sha1::Sha1::digest(b"hello")));
        let mut d = Digests::for_verifier(Some(&sha1));
        d.update(b"hello");
        assert!(d.check(None, Some(&sha1)).is_ok());
        let mut d = Digests::for_verifier(Some(&sha1));
        d.update(b"jello");
        assert!(matches!(
            d.check(None, Some(&sha1)),
            Err(TeeError::Digest { algo: "sha1", .. })
        ));

        let sha512 = Verifier::Sha512(hex::encode(sha2::Sha512::digest(b"hello")));
        let mut d = Digests::for_verifier(Some(&sha512));
        d.update(b"hello");
        assert!(d.check(None, Some(&sha512)).is_ok());
        let mut d = Digests::for_verifier(Some(&sha512));
        d.update(b"jello");
        assert!(matches!(
            d.check(None, Some(&sha512)),
            Err(TeeError::Digest { algo: "sha512", .. })
        ));
    }

    #[derive(Default)]
    struct Recorder {
        written: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
        committed: std::sync::Arc<std::sync::Mutex<Option<Checked>>>,
    }

    impl Sink for Recorder {
        fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, Result<(), SinkFailed>> {
            Box::pin(async move {
                self.written
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(chunk);
                Ok(())
            })
        }

        fn commit(self: Box<Self>, body: Checked) -> BoxFuture<'static, ()> {
            Box::pin(async move {
                *self
                    .committed
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(body);
            })
        }
    }

    fn tee_of(data: &'static [u8], expected_len: Option<u64>, sink: Recorder) -> Body {
        spawn(Tee {
            upstream: crate::net::full(Bytes::from_static(data)),
            sink: Some(Box::new(sink)),
            expected_len,
            verify: None,
            idle_timeout: Some(Duration::from_secs(5)),
            guard: None,
            label: "test".to_owned(),
            on_failure: "nothing stored",
        })
    }

    #[tokio::test]
    async fn a_complete_body_reaches_client_and_sink_and_a_short_one_aborts_both() {
        let sink = Recorder::default();
        let committed = sink.committed.clone();
        let written = sink.written.clone();
        let body = tee_of(b"abc", Some(3), sink).collect().await.expect("body");
        assert_eq!(body.to_bytes(), Bytes::from_static(b"abc"));
        assert_eq!(
            written.lock().map(|w| w.clone()).unwrap_or_default(),
            b"abc"
        );
        let c = committed.lock().map(|c| c.clone()).unwrap_or_default();
        assert_eq!(c.map(|c| c.len), Some(3));

        let sink = Recorder::default();
        let committed = sink.committed.clone();
        let err = tee_of(b"abc", Some(4), sink).collect().await;
        assert!(
            err.is_err(),
            "a short body ends the client's body with an error"
        );
        assert!(committed.lock().map(|c| c.is_none()).unwrap_or(false));
    }

    #[tokio::test]
    async fn spill_reads_a_body_into_a_file() {
        let (path, len) = Spill::read_all(crate::net::full(Bytes::from_static(b"xyz")))
            .await
            .expect("spilled");
        assert_eq!(len, 3);
        assert_eq!(std::fs::read(&path).expect("read"), b"xyz");
    }
}
