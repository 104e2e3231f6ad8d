//! Exclusive `flock`s on files, released on drop or when the process dies:
//! how xtask processes sharing one course checkout (a grader, a second
//! grader, a verify, a check) keep out of each other's way.

use anyhow::{Context, Result};
use rustix::fs::{FlockOperation, flock};
use std::path::Path;

/// An exclusive lock held on an open file.
pub struct FileLock(std::fs::File);

/// Waits for the lock on `path` (created if missing).
pub fn lock(path: &Path) -> Result<FileLock> {
    let file = open(path)?;
    loop {
        match flock(&file, FlockOperation::LockExclusive) {
            Ok(()) => return Ok(FileLock(file)),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(std::io::Error::from(e)).with_context(|| format!("cannot lock {}", path.display())),
        }
    }
}

/// The lock on `path` if nobody holds it, else `None`. Two opens of the
/// same file conflict even within one process, so threads can use it too.
pub fn try_lock(path: &Path) -> Result<Option<FileLock>> {
    let file = open(path)?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(FileLock(file))),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
        Err(e) => Err(std::io::Error::from(e)).with_context(|| format!("cannot lock {}", path.display())),
    }
}

fn open(path: &Path) -> Result<std::fs::File> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the file would also unlock it.
        let _ = flock(&self.0, FlockOperation::Unlock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_refused_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.lock");
        let held = try_lock(&path).unwrap().expect("free at first");
        assert!(try_lock(&path).unwrap().is_none(), "a second holder got in");
        drop(held);
        assert!(try_lock(&path).unwrap().is_some(), "still held after drop");
        let _blocking = lock(&path).unwrap();
    }
}
