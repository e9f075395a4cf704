//! One login (or refresh) per session at a time, across processes: an advisory
//! lock on `$XDG_STATE_HOME/awsproxy/sso/locks/<sha1(KEY)>.lock`. A second
//! `sso login`, or the watcher, waits for the holder and then uses its token
//! instead of opening another browser tab. The OS releases the lock when the
//! holder exits, even after `kill -9`.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use sha1::Digest as _;

use crate::fsutil;

/// How often a waiter retries.
const POLL: Duration = Duration::from_millis(100);

/// The lock file of a session.
pub fn lock_path(state_dir: &Path, cache_key: &str) -> PathBuf {
    state_dir.join("sso").join("locks").join(format!(
        "{}.lock",
        hex::encode(sha1::Sha1::digest(cache_key.as_bytes()))
    ))
}

/// A held lock; released on drop.
#[derive(Debug)]
pub struct SessionLock {
    _file: File,
}

fn open(path: &Path) -> anyhow::Result<File> {
    if let Some(dir) = path.parent() {
        fsutil::create_private_dir(dir)?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open lock file {}", path.display()))
}

/// Takes the lock if it is free.
pub fn try_acquire(path: &Path) -> anyhow::Result<Option<SessionLock>> {
    let file = open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(SessionLock { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Takes the lock, waiting up to `limit` for another holder. `on_wait` runs once
/// if the lock was busy. Returns the lock and whether it had to wait.
pub async fn acquire(
    path: &Path,
    limit: Duration,
    on_wait: impl FnOnce(),
) -> anyhow::Result<(SessionLock, bool)> {
    if let Some(lock) = try_acquire(path)? {
        return Ok((lock, false));
    }
    on_wait();
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(POLL).await;
        if let Some(lock) = try_acquire(path)? {
            return Ok((lock, true));
        }
    }
    anyhow::bail!(
        "another awsproxy process held the login lock {} for longer than {}s",
        path.display(),
        limit.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn second_holder_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = lock_path(dir.path(), "s");
        let first = try_acquire(&path).unwrap().unwrap();
        assert!(try_acquire(&path).unwrap().is_none());
        let waiter = tokio::spawn({
            let path = path.clone();
            async move {
                acquire(&path, Duration::from_secs(10), || {})
                    .await
                    .map(|(_, w)| w)
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(first);
        assert!(
            waiter.await.unwrap().unwrap(),
            "should report that it waited"
        );
    }
}
