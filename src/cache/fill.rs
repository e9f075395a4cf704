//! Tee on miss: one task reads the upstream body, writes it to a pending store
//! entry and forwards it to the client at the same time. The entry is committed
//! only when the body is complete (its `Content-Length` matches) and verified;
//! the client's body fails with an error otherwise. The task keeps filling when
//! the client goes away, so coalesced waiters still get the entry.

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::store::{EntryMeta, PendingEntry, Store};
use super::{Body, BoxError, Verifier};

/// Why a body was not committed (also the client's body error).
#[derive(Debug, thiserror::Error)]
pub enum FillError {
    #[error("the upstream body ended after {got} of {expected} bytes")]
    Short { got: u64, expected: u64 },
    #[error("the upstream body's {algo} {got} does not match the expected {expected}")]
    Digest {
        algo: &'static str,
        got: String,
        expected: String,
    },
    #[error("the upstream body sent nothing for {0:?}")]
    Idle(std::time::Duration),
}

/// What a fill needs besides the bodies.
pub struct Fill {
    pub upstream: Body,
    pub pending: Option<Box<dyn PendingEntry>>,
    pub expected_len: Option<u64>,
    pub verify: Option<Verifier>,
    /// Metadata to commit (`body_len` and `sha256` are filled in).
    pub meta: EntryMeta,
    pub store: std::sync::Arc<dyn Store>,
    /// Held until the fill ends (releases coalesced waiters).
    pub guard: Option<Box<dyn Send>>,
    pub idle_timeout: std::time::Duration,
}

/// Starts the fill task and returns the client's body.
pub fn spawn(fill: Fill) -> Body {
    let (tx, rx) = mpsc::channel::<Result<Bytes, BoxError>>(8);
    tokio::spawn(run(fill, tx));
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

async fn run(fill: Fill, tx: mpsc::Sender<Result<Bytes, BoxError>>) {
    let Fill {
        mut upstream,
        mut pending,
        expected_len,
        verify,
        mut meta,
        store,
        guard,
        idle_timeout,
    } = fill;
    let mut client = Some(tx);
    let mut hasher = Sha256::new();
    let mut sha1 = matches!(verify, Some(Verifier::Sha1(_))).then(sha1::Sha1::new);
    let mut len: u64 = 0;
    // The last chunk is held back until the body is checked, so a client never
    // sees a complete body that was then found bad.
    let mut held: Option<Bytes> = None;
    loop {
        let Ok(next) = tokio::time::timeout(idle_timeout, upstream.frame()).await else {
            let problem = FillError::Idle(idle_timeout);
            tracing::warn!(url = %meta.url, error = %problem, "upstream body stalled; nothing cached");
            send(&mut client, Err(Box::new(problem))).await;
            return;
        };
        match next {
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                hasher.update(&data);
                if let Some(h) = sha1.as_mut() {
                    h.update(&data);
                }
                len += data.len() as u64;
                if let Some(p) = pending.as_mut()
                    && let Err(e) = p.write(&data).await
                {
                    tracing::warn!(url = %meta.url, error = %e.log_text(), "cannot write to the cache; serving without storing");
                    pending = None;
                }
                if let Some(prev) = held.replace(data) {
                    send(&mut client, Ok(prev)).await;
                }
            }
            Some(Err(e)) => {
                tracing::warn!(url = %meta.url, error = %e, "upstream body failed; nothing cached");
                send(&mut client, Err(e)).await;
                return;
            }
            None => break,
        }
    }
    let digest = hex::encode(hasher.finalize());
    let problem = match (&verify, expected_len) {
        (_, Some(expected)) if expected != len => Some(FillError::Short { got: len, expected }),
        (Some(Verifier::Sha256(expected)), _) if !expected.eq_ignore_ascii_case(&digest) => {
            Some(FillError::Digest {
                algo: "sha256",
                got: digest.clone(),
                expected: expected.clone(),
            })
        }
        (Some(Verifier::Sha1(expected)), _) => {
            let got = sha1.map(|h| hex::encode(h.finalize())).unwrap_or_default();
            (!expected.eq_ignore_ascii_case(&got)).then(|| FillError::Digest {
                algo: "sha1",
                got,
                expected: expected.clone(),
            })
        }
        _ => None,
    };
    if let Some(problem) = problem {
        tracing::warn!(url = %meta.url, error = %problem, "upstream body rejected; nothing cached");
        send(&mut client, Err(Box::new(problem))).await;
        return;
    }
    if let Some(last) = held {
        send(&mut client, Ok(last)).await;
    }
    // The client's body ends only after the commit, so a request made after
    // it finished finds the entry (clients with a Content-Length are done
    // already when the last byte arrives).
    if let Some(p) = pending {
        meta.body_len = len;
        meta.sha256 = digest;
        if let Err(e) = p.commit(meta.clone()).await {
            tracing::warn!(url = %meta.url, store = store.kind(), error = %e.log_text(), "cannot commit a cache entry");
        } else {
            tracing::debug!(url = %meta.url, bytes = len, "stored in the cache");
        }
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
        // The client went away; keep filling the store.
        *client = None;
    }
}
