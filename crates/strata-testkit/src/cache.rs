//! Build-once artifacts under [`crate::cache_dir`], safe when several test threads and
//! several test processes ask for the same artifact at once.
//!
//! Each artifact is a directory `<cache>/<name>`. It is built in a temporary sibling
//! directory and renamed into place only when complete (with a `.complete` marker), while an
//! exclusive `flock` on `<cache>/locks/<name>.lock` is held. A reader that finds the marker
//! never takes the lock; a half-built directory left by a killed process is discarded.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

const MARKER: &str = ".complete";

/// An exclusive lock on `<cache>/locks/<name>.lock`, released on drop.
pub struct Lock {
    file: File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Closing the file releases the lock as well; unlocking early is a courtesy.
        let _ = self.file.unlock();
    }
}

/// Takes the exclusive lock `name` in `cache` (blocking).
pub fn lock(cache: &Path, name: &str) -> Result<Lock> {
    let dir = cache.join("locks");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let path = dir.join(format!("{name}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    file.lock().map_err(|e| Error::io(&path, e))?;
    Ok(Lock { file })
}

/// Returns `<cache>/<name>`, building it with `build` first if it is not complete.
/// `build` gets an empty directory to fill; it is moved into place when `build` succeeds.
pub fn artifact<F>(cache: &Path, name: &str, build: F) -> Result<PathBuf>
where
    F: FnOnce(&Path) -> Result<()>,
{
    let dest = cache.join(name);
    if dest.join(MARKER).is_file() {
        return Ok(dest);
    }
    let _guard = lock(cache, name)?;
    if dest.join(MARKER).is_file() {
        return Ok(dest);
    }
    let tmp = cache.join(format!(".tmp-{name}-{}", unique()));
    remove_dir_if_exists(&tmp)?;
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let built = build(&tmp);
    if let Err(e) = built {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let marker = tmp.join(MARKER);
    std::fs::write(&marker, b"").map_err(|e| Error::io(&marker, e))?;
    remove_dir_if_exists(&dest)?;
    std::fs::rename(&tmp, &dest).map_err(|e| Error::io(&dest, e))?;
    Ok(dest)
}

/// A name part that differs between processes and between calls.
pub fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn remove_dir_if_exists(p: &Path) -> Result<()> {
    match std::fs::remove_dir_all(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(p, e)),
    }
}

/// A temporary directory below the cache, removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<cache>/tmp/<prefix>-<unique>`.
    pub fn new(prefix: &str) -> Result<Self> {
        let base = crate::cache_dir()?.join("tmp");
        let path = base.join(format!("{prefix}-{}", unique()));
        std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    fn scratch() -> PathBuf {
        let p = std::env::temp_dir().join(format!("strata-testkit-cache-{}", unique()));
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("{e}"));
        p
    }

    #[test]
    fn builds_once_across_threads() {
        let cache = Arc::new(scratch());
        let builds = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let cache = Arc::clone(&cache);
                let builds = Arc::clone(&builds);
                std::thread::spawn(move || {
                    artifact(&cache, "thing", |dir| {
                        builds.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        std::fs::write(dir.join("x"), b"1").map_err(|e| Error::io(dir, e))
                    })
                })
            })
            .collect();
        for h in handles {
            let dir = h
                .join()
                .unwrap_or_else(|_| panic!("thread panicked"))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(std::fs::read(dir.join("x")).ok(), Some(b"1".to_vec()));
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        let _ = std::fs::remove_dir_all(&*cache);
    }

    #[test]
    fn failed_build_leaves_nothing_and_is_retried() {
        let cache = scratch();
        let r = artifact(&cache, "bad", |_| Err(Error::invalid("x", "y")));
        assert!(matches!(r, Err(Error::Invalid { .. })));
        assert!(!cache.join("bad").exists());
        let ok = artifact(&cache, "bad", |_| Ok(()));
        assert_eq!(ok.ok(), Some(cache.join("bad")));
        let leftovers: Vec<_> = std::fs::read_dir(&cache)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
            .collect();
        assert_eq!(leftovers.len(), 0);
        let _ = std::fs::remove_dir_all(&cache);
    }
}
