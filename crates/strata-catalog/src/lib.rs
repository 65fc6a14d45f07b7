//! Package detectors. Each detector answers two questions: "do I want this path?"
//! (cheap, from the path alone, asked for every file of every layer) and "what
//! packages are in these bytes?". One walk over the image hands each detector only
//! its files.

pub mod catalog;
pub mod detector;
mod fuzz;
pub mod lang;
pub mod os;

pub use catalog::{CapturedFiles, Catalog, Cataloger, FileVersion};
pub use detector::{DetectError, DetectInput, Detector};
pub use fuzz::{fuzz_apk_installed, fuzz_dpkg_status, fuzz_os_release};
