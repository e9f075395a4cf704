//! Passthrough tunnels: bytes copied both ways until either side closes, or
//! until neither side has sent anything for the idle timeout (a tunnel nobody
//! uses would otherwise hold two descriptors and a connection slot forever).

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// Why a tunnel ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// One side closed (the other was then closed too).
    Closed,
    /// No byte either way for the idle timeout.
    Idle,
}

/// Copies between `a` and `b` until one closes or both are quiet for `idle`.
pub(super) async fn relay<A, B>(a: &mut A, b: &mut B, idle: Duration) -> std::io::Result<End>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let activity = Activity::new();
    let mut a = Watched {
        inner: a,
        activity: &activity,
    };
    let mut b = Watched {
        inner: b,
        activity: &activity,
    };
    tokio::select! {
        copied = tokio::io::copy_bidirectional(&mut a, &mut b) => copied.map(|_| End::Closed),
        () = activity.quiet_for(idle) => Ok(End::Idle),
    }
}

/// When bytes last moved, in milliseconds since `start`.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once nothing has moved for `idle`.
    async fn quiet_for(&self, idle: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + idle;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A stream that records in `activity` every read that brought bytes (every
/// byte written was read from the other side first).
struct Watched<'a, T: ?Sized> {
    inner: &'a mut T,
    activity: &'a Activity,
}

impl<T: AsyncRead + Unpin + ?Sized> AsyncRead for Watched<'_, T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut *self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin + ?Sized> AsyncWrite for Watched<'_, T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_tunnel_lives_while_bytes_move_and_ends_when_quiet() {
        let (mut client, mut a) = tokio::io::duplex(64);
        let (mut b, mut server) = tokio::io::duplex(64);
        let idle = Duration::from_secs(2);
        let relay = tokio::spawn(async move { relay(&mut a, &mut b, idle).await });
        // A byte every 100 ms keeps it open past the idle timeout (the bound is
        // generous: a 100 ms sleep would have to take 2 s to fail this)...
        for _ in 0..30 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            client.write_all(b"x").await.unwrap();
            let mut byte = [0u8; 1];
            server.read_exact(&mut byte).await.unwrap();
        }
        assert!(!relay.is_finished());
        // ...and silence ends it, with both ends still open.
        let end = tokio::time::timeout(Duration::from_secs(30), relay).await;
        assert_eq!(end.unwrap().unwrap().unwrap(), End::Idle);
        drop((client, server));
    }
}
