//! A file watcher for hot reload (`std` feature): polls a file on its own
//! thread and hands each new version to a callback, such as
//! [`SharedEngine::reload_features`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};

use crate::model::Model;
use crate::shared::SharedEngine;

/// Polls a file's (modification time, length, inode) on its own thread and hands
/// the new contents to a callback when either changes. Stops, and joins its
/// thread, when dropped.
///
/// Write files by renaming a complete file into place: a file read while it
/// is being written is offered half-written (and rejected by validation, so
/// nothing breaks, but the complete file is only seen at its next change).
pub struct Watcher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// (modification time, length, inode): a file replaced by rename is seen
/// even within the file system's timestamp granularity.
type Stamp = (Option<SystemTime>, u64, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some((meta.modified().ok(), meta.len(), inode))
}

impl Watcher {
    /// Starts watching `path` every `interval`. `on_change` runs on the
    /// watcher thread with the file's bytes on every change after this call
    /// (load the file as it is now yourself, before spawning). Read errors
    /// are logged (once per change) and skipped.
    ///
    /// Cost: one `stat` per interval; one read per change. Fails only if
    /// the thread cannot be spawned.
    pub fn spawn(
        path: impl Into<PathBuf>,
        interval: Duration,
        mut on_change: impl FnMut(&[u8]) + Send + 'static,
    ) -> std::io::Result<Self> {
        let path = path.into();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = thread::Builder::new().name("feature-table-watcher".into()).spawn(move || {
            let mut seen = stamp(&path);
            while !flag.load(Ordering::Acquire) {
                thread::park_timeout(interval);
                let now = stamp(&path);
                if now.is_some() && now != seen {
                    seen = now;
                    match std::fs::read(&path) {
                        Ok(bytes) => on_change(&bytes),
                        Err(error) => log::warn!("feature-table: cannot read {}: {error}", path.display()),
                    }
                }
            }
        })?;
        Ok(Self { stop, thread: Some(thread) })
    }

    /// Watches `path` and offers each new version to
    /// [`SharedEngine::reload_features`] (which logs the outcome).
    pub fn features<R, M, const N: usize>(
        engine: Arc<SharedEngine<R, M, N>>,
        path: impl Into<PathBuf>,
        interval: Duration,
    ) -> std::io::Result<Self>
    where
        R: ?Sized + 'static,
        M: Model + Default + Send + Sync + 'static,
        SharedEngine<R, M, N>: Send + Sync,
    {
        Self::spawn(path, interval, move |bytes| {
            let _ = engine.reload_features(bytes);
        })
    }

    /// Stops the thread and waits for it (at most one callback plus a wakeup).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher").field("running", &self.thread.is_some()).finish()
    }
}
