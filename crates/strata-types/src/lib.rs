//! Plain data shared by every strata crate. No I/O lives here.

mod digest;
mod distro;
mod package;
pub mod purl;
mod vuln;

pub use digest::{Digest, DigestError};
pub use distro::Distro;
pub use package::{Location, Package, PackageType, RpmDetails};
pub use vuln::{
    Cvss, DatabaseInfo, Epss, ExceptionNote, Finding, FixState, PolicyOutcome, SCAN_SCHEMA_VERSION,
    ScanReport, Severity, SeverityParseError, SuppressedBy, Suppression, VexNote,
};

mod sbom;
pub use sbom::*;
