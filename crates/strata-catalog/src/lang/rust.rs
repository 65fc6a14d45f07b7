//! Rust: `Cargo.lock`, format versions 1 to 4.

use serde::Deserialize;
use strata_types::PackageType;

use super::{Entries, LangEntry, file_name, lang_detector, parse_toml, read_text};
use crate::DetectInput;

/// `Cargo.lock`.
#[derive(Debug, Default)]
pub struct CargoLockDetector;

lang_detector!(
    CargoLockDetector,
    "rust-cargo-lock",
    |p| file_name(p) == "Cargo.lock",
    cargo_lock_entries
);

#[derive(Deserialize)]
struct CargoLock {
    #[serde(default)]
    package: Vec<CargoPackage>,
}

#[derive(Deserialize)]
struct CargoPackage {
    name: String,
    version: String,
}

/// Every `[[package]]`: registry packages, and also path packages (no `source`: the
/// workspace's own crates and path dependencies) and git packages, which are normal
/// parts of a project and so not worth a warning.
/// Cargo.lock has no dev-dependency marking.
pub(crate) fn cargo_lock_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    if text.trim().is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let lock: CargoLock = parse_toml(input, text)?;
    let mut entries = Vec::with_capacity(lock.package.len());
    let mut warnings = Vec::new();
    for p in &lock.package {
        if p.name.is_empty() || p.version.is_empty() {
            warnings.push(format!(
                "{}: a [[package]] with an empty name or version; skipped",
                input.path
            ));
            continue;
        }
        entries.push(LangEntry::new(PackageType::Cargo, &p.name, &p.version));
    }
    Ok((entries, warnings))
}
