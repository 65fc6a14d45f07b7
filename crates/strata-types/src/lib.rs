//! Plain data shared by every strata crate. No I/O lives here.

mod digest;
mod distro;
mod package;
pub mod purl;

pub use digest::{Digest, DigestError};
pub use distro::Distro;
pub use package::{Location, Package, PackageType, RpmDetails};

mod sbom;
pub use sbom::*;
