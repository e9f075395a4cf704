//! Tee on miss: one task reads the upstream body, writes it to a pending store
//! entry and forwards it to the client at the same time (see [`super::tee`]).
//! The entry is committed only when the body is complete (its `Content-Length`
//! matches) and verified; the client's body fails with an error otherwise. The
//! task keeps filling when the client goes away, so coalesced waiters still get
//! the entry.

use super::store::{EntryMeta, PendingEntry, Store};
use super::tee::{self, Checked, Sink, SinkFailed, Tee};
use super::{Body, BoxFuture, Verifier};

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
    let Fill {
        upstream,
        pending,
        expected_len,
        verify,
        meta,
        store,
        guard,
        idle_timeout,
    } = fill;
    let label = meta.url.clone();
    let sink = pending.map(|pending| {
        Box::new(EntrySink {
            pending,
            meta,
            store,
        }) as Box<dyn Sink>
    });
    tee::spawn(Tee {
        upstream,
        sink,
        expected_len,
        verify,
        idle_timeout: Some(idle_timeout),
        guard,
        label,
        on_failure: "nothing cached",
    })
}

/// A pending store entry as a tee's sink.
struct EntrySink {
    pending: Box<dyn PendingEntry>,
    meta: EntryMeta,
    store: std::sync::Arc<dyn Store>,
}

impl Sink for EntrySink {
    fn write<'a>(&'a mut self, chunk: &'a [u8]) -> BoxFuture<'a, Result<(), SinkFailed>> {
        Box::pin(async move {
            self.pending.write(chunk).await.map_err(|e| {
                tracing::warn!(url = %self.meta.url, error = %e.log_text(), "cannot write to the cache; serving without storing");
                SinkFailed
            })
        })
    }

    fn commit(self: Box<Self>, body: Checked) -> BoxFuture<'static, ()> {
        let Self {
            pending,
            mut meta,
            store,
        } = *self;
        Box::pin(async move {
            meta.body_len = body.len;
            meta.sha256 = body.sha256;
            if let Err(e) = pending.commit(meta.clone()).await {
                tracing::warn!(url = %meta.url, store = store.kind(), error = %e.log_text(), "cannot commit a cache entry");
            } else {
                tracing::debug!(url = %meta.url, bytes = body.len, "stored in the cache");
            }
        })
    }
}
