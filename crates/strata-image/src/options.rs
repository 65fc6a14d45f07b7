//! Options for opening an image: platform, limits, cache.

use std::path::PathBuf;
use std::sync::Arc;

use crate::source::Platform;

const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

/// Bounds on what one image may make strata read or keep. Exceeding one is an error
/// naming the layer and entry, never an out-of-memory or an endless loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed bytes of one layer (default 32 GiB).
    pub max_layer_bytes: u64,
    /// Uncompressed bytes of all layers together (default 128 GiB).
    pub max_image_bytes: u64,
    /// Size of one captured file (default 512 MiB).
    pub max_captured_file: u64,
    /// Captured bytes of the whole image, all versions together (default 4 GiB).
    pub max_captured_total: u64,
    /// A manifest, index or config document (default 8 MiB), checked before parsing.
    pub max_json_bytes: u64,
    /// Tar entries of the whole image (default 10 million).
    pub max_entries: u64,
    /// One GNU long name or PAX header (default 1 MiB).
    pub max_tar_meta: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 32 * GIB,
            max_image_bytes: 128 * GIB,
            max_captured_file: 512 * MIB,
            max_captured_total: 4 * GIB,
            max_json_bytes: 8 * MIB,
            max_entries: 10_000_000,
            max_tar_meta: MIB,
        }
    }
}

/// Where the per-layer cache lives and how large it may grow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheOptions {
    pub dir: PathBuf,
    /// When the cache grows past this, least recently used entries are evicted.
    pub max_bytes: u64,
}

impl CacheOptions {
    /// `$STRATA_CACHE_DIR`, else `$XDG_CACHE_HOME/strata`, else `~/.cache/strata`.
    pub fn default_dir() -> Option<PathBuf> {
        let non_empty = |v: std::ffi::OsString| (!v.is_empty()).then(|| PathBuf::from(v));
        if let Some(d) = std::env::var_os("STRATA_CACHE_DIR").and_then(non_empty) {
            return Some(d);
        }
        if let Some(d) = std::env::var_os("XDG_CACHE_HOME").and_then(non_empty) {
            return Some(d.join("strata"));
        }
        std::env::var_os("HOME")
            .and_then(non_empty)
            .map(|h| h.join(".cache").join("strata"))
    }

    /// The default location with a 2 GiB cap, when a home directory is known.
    pub fn default_location() -> Option<CacheOptions> {
        Self::default_dir().map(|dir| CacheOptions {
            dir,
            max_bytes: 2 * GIB,
        })
    }
}

/// What [`crate::open_image`] reports while it works, for progress bars.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The manifest and config were read: `layers` layers of `total_bytes` (as stored).
    Resolved { layers: usize, total_bytes: u64 },
    /// One layer is done (read, or taken from the cache). With several threads,
    /// layers may finish out of order.
    LayerDone {
        index: usize,
        size: u64,
        from_cache: bool,
    },
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How to open an image.
#[derive(Clone)]
pub struct OpenOptions {
    /// The platform to choose from a multi-platform index (default: the host's).
    pub platform: Option<Platform>,
    pub limits: Limits,
    /// The per-layer cache; `None` disables it.
    pub cache: Option<CacheOptions>,
    /// Threads to use: layers are read at once when the source allows it, and a
    /// compressed layer is decompressed on its own thread. 0 means one per core, at most
    /// 4; 1 reads everything on the calling thread.
    pub parallelism: usize,
    /// Called as the image is read (default: none).
    pub progress: Option<ProgressFn>,
    /// How to reach registries (`registry:` targets and bare names).
    pub registry: crate::registry::RegistryOptions,
    /// The Docker Engine endpoint (`unix:///var/run/docker.sock`, `tcp://...`); `None`
    /// means `DOCKER_HOST`, then the Docker CLI context, then the default socket.
    pub docker_host: Option<String>,
    /// Where `docker:` exports are spooled while they are read (default: a `spool`
    /// directory inside the cache directory, else the system temp directory). The
    /// spooled tarball is removed when the image has been read.
    pub spool_dir: Option<PathBuf>,
}

impl std::fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenOptions")
            .field("platform", &self.platform)
            .field("limits", &self.limits)
            .field("cache", &self.cache)
            .field("parallelism", &self.parallelism)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .field("registry", &self.registry)
            .field("docker_host", &self.docker_host)
            .field("spool_dir", &self.spool_dir)
            .finish()
    }
}

impl OpenOptions {
    pub(crate) fn report(&self, p: Progress) {
        if let Some(f) = &self.progress {
            f(&p);
        }
    }
}

impl Default for OpenOptions {
    /// The host platform, default limits and the cache at its default location.
    fn default() -> Self {
        OpenOptions {
            platform: None,
            limits: Limits::default(),
            cache: CacheOptions::default_location(),
            parallelism: 0,
            progress: None,
            registry: crate::registry::RegistryOptions::default(),
            docker_host: None,
            spool_dir: None,
        }
    }
}

impl OpenOptions {
    /// Default options without a cache.
    pub fn uncached() -> Self {
        OpenOptions {
            cache: None,
            ..OpenOptions::default()
        }
    }
}
