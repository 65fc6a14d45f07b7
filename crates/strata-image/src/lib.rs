//! Container image sources and the virtual file index of an image's final filesystem.
//!
//! Layers are streamed once, in order; their sha256 is checked while they stream.
//! Nothing is unpacked to disk: the index records every path of the final filesystem
//! and keeps the contents of only the files a caller asked for (see [`CaptureSpec`]).
//!
//! ```no_run
//! use strata_image::{CapturePaths, OpenOptions, open_target};
//! let capture = CapturePaths::new(["/var/lib/dpkg/status"]);
//! let image = open_target("oci:/tmp/layout", &OpenOptions::default(), &capture)?;
//! if let Some(status) = image.read("/var/lib/dpkg/status")? {
//!     println!("{} bytes from layer {:?}", status.data.len(), status.layer);
//! }
//! # Ok::<(), strata_image::ImageError>(())
//! ```

pub mod cache;
pub mod capture;
pub mod daemon;
pub mod dir;
pub mod docker_archive;
pub mod error;
pub mod fs;
mod fuzz;
mod hash;
pub mod layer;
pub mod oci;
pub mod open;
pub mod options;
pub mod reference;
pub mod registry;
pub mod skip;
pub mod source;
mod store;
mod tar;

pub use capture::{CaptureFn, CaptureNothing, CapturePaths, CaptureSpec};
pub use dir::open_dir;
pub use docker_archive::DockerArchiveSource;
pub use error::{ImageError, LayerError, LayerErrorKind};
pub use fs::{Entry, EntryKind, FileHistory, FileVersion, ImageFs, ImageMeta, LayerMeta};
pub use fuzz::{fuzz_docker_manifest, fuzz_layer, fuzz_layer_raw, fuzz_oci_documents};
pub use layer::Compression;
pub use oci::OciLayoutSource;
pub use open::{
    Target, open_docker_archive, open_image, open_oci_layout, open_target, parse_target,
};
pub use options::{CacheOptions, Limits, OpenOptions, Progress, ProgressFn};
pub use skip::PathFilter;
pub use source::{Descriptor, ImageSource, Platform, ResolvedImage, SourceError};
