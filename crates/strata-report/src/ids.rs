//! Document identifiers derived from content.

use strata_types::{Sbom, ScanReport};
use uuid::Uuid;

/// How document identifiers (the CycloneDX `serialNumber`, the UUID in the SPDX
/// `documentNamespace`) are made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IdMode {
    /// A UUID version 5 over the document's content without its creation time: scanning
    /// the same image with the same strata version gives the same identifier.
    #[default]
    Deterministic,
    /// A random UUID version 4 on every run.
    Random,
}

/// The namespace of strata's version 5 UUIDs: the v5 UUID of the URL
/// `https://strata.invalid/sbom` in the RFC 4122 URL namespace, fixed forever.
pub(crate) fn strata_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://strata.invalid/sbom")
}

/// A version 5 UUID over `purpose` and the SBOM's content (its strata JSON form with
/// packages sorted and `created` left out). Different purposes give unrelated UUIDs for
/// the same content.
pub fn content_uuid(sbom: &Sbom, purpose: &str) -> Uuid {
    let mut canonical = sbom.clone();
    canonical.created = String::new();
    canonical.sort_packages();
    let mut name = Vec::with_capacity(4096);
    name.extend_from_slice(purpose.as_bytes());
    name.push(0);
    // Serialising plain data structs to a Vec cannot fail; should it ever, the purpose
    // alone still gives a valid (if less specific) identifier.
    if let Ok(json) = serde_json::to_vec(&canonical) {
        name.extend_from_slice(&json);
    }
    Uuid::new_v5(&strata_namespace(), &name)
}

/// A version 5 UUID over `purpose`, the SBOM's content (as [`content_uuid`]) and the
/// findings: rescanning with a newer database gives a new identifier, the same scan the
/// same one.
pub(crate) fn scan_uuid(report: &ScanReport, purpose: &str) -> Uuid {
    let sbom_id = content_uuid(&report.sbom, purpose);
    let mut name = Vec::with_capacity(4096);
    name.extend_from_slice(sbom_id.as_bytes());
    // As in `content_uuid`: serialising plain data cannot fail in practice.
    if let Ok(json) = serde_json::to_vec(&crate::scan::sorted_findings(report)) {
        name.extend_from_slice(&json);
    }
    Uuid::new_v5(&strata_namespace(), &name)
}

pub(crate) fn document_uuid(sbom: &Sbom, purpose: &str, mode: IdMode) -> Uuid {
    match mode {
        IdMode::Deterministic => content_uuid(sbom, purpose),
        IdMode::Random => Uuid::new_v4(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_types::{Target, TargetKind, Tool};

    #[test]
    fn content_uuid_ignores_created_but_not_content() {
        let a = Sbom::new(
            Tool::new("strata", "0.1.0"),
            Target::new("alpine:3.19", TargetKind::Registry),
            "2024-01-01T00:00:00Z",
        );
        let mut b = a.clone();
        b.created = "2025-01-01T00:00:00Z".to_owned();
        assert_eq!(content_uuid(&a, "x"), content_uuid(&b, "x"));
        assert_ne!(content_uuid(&a, "x"), content_uuid(&a, "y"));
        b.target.reference = "alpine:3.20".to_owned();
        assert_ne!(content_uuid(&a, "x"), content_uuid(&b, "x"));
        assert_eq!(content_uuid(&a, "x").get_version_num(), 5);
        assert_ne!(
            document_uuid(&a, "x", IdMode::Random),
            document_uuid(&a, "x", IdMode::Random)
        );
        assert_eq!(document_uuid(&a, "x", IdMode::Random).get_version_num(), 4);
    }
}
