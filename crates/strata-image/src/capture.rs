//! Which files' contents the layer reader keeps.

use std::collections::BTreeSet;

/// Chooses the files whose contents are captured while layers stream.
///
/// `wants` is called for every regular file, hard link and symlink of every layer with
/// the absolute, normalised path (`/var/lib/dpkg/status`): it must be cheap. A wanted
/// symlink also makes its target wanted if the target comes later in the same layer.
/// `cache_key`
/// identifies the selection for the per-layer cache: two specs with the same key must
/// want the same paths.
pub trait CaptureSpec: Sync {
    fn wants(&self, path: &str) -> bool;
    fn cache_key(&self) -> String;
    /// Whether a directory walk (`dir:`) may leave out `dir` and everything below it.
    /// Only an optimisation: what is captured is decided by [`CaptureSpec::wants`].
    fn skips_dir(&self, _dir: &str) -> bool {
        false
    }
}

/// Captures nothing: only the file index is built.
#[derive(Clone, Copy, Debug, Default)]
pub struct CaptureNothing;

impl CaptureSpec for CaptureNothing {
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn cache_key(&self) -> String {
        "nothing".to_owned()
    }
}

/// Captures an exact set of paths.
#[derive(Clone, Debug, Default)]
pub struct CapturePaths {
    paths: BTreeSet<String>,
}

impl CapturePaths {
    pub fn new<I, S>(paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CapturePaths {
            paths: paths.into_iter().map(Into::into).collect(),
        }
    }
}

impl CaptureSpec for CapturePaths {
    fn wants(&self, path: &str) -> bool {
        self.paths.contains(path)
    }
    fn cache_key(&self) -> String {
        let mut key = String::from("paths:");
        for p in &self.paths {
            key.push_str(p);
            key.push('\0');
        }
        key
    }
}

/// Captures every file whose path satisfies a predicate; the key must describe it.
pub struct CaptureFn<F> {
    key: String,
    pred: F,
}

impl<F: Fn(&str) -> bool + Sync> CaptureFn<F> {
    pub fn new(key: impl Into<String>, pred: F) -> Self {
        CaptureFn {
            key: key.into(),
            pred,
        }
    }
}

impl<F: Fn(&str) -> bool + Sync> CaptureSpec for CaptureFn<F> {
    fn wants(&self, path: &str) -> bool {
        (self.pred)(path)
    }
    fn cache_key(&self) -> String {
        self.key.clone()
    }
}
