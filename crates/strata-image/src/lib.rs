//! Container image sources and the virtual file index of an image's final filesystem.
//!
//! Layers are streamed once, in order; their sha256 is checked while they stream.
//! Nothing is unpacked to disk: the index records every path of the final filesystem
//! and keeps the contents of only the files a caller asked for (see [`CaptureSpec`]).

pub mod daemon;
pub mod registry;
pub mod source;

pub use source::{Descriptor, ImageSource, Platform, ResolvedImage};
