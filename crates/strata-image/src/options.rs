//! Options for opening an image: platform, limits, cache.

use std::path::PathBuf;

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

/// How to open an image.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// The platform to choose from a multi-platform index (default: the host's).
    pub platform: Option<Platform>,
    pub limits: Limits,
    /// The per-layer cache; `None` disables it.
    pub cache: Option<CacheOptions>,
}

impl Default for OpenOptions {
    /// The host platform, default limits and the cache at its default location.
    fn default() -> Self {
        OpenOptions {
            platform: None,
            limits: Limits::default(),
            cache: CacheOptions::default_location(),
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
