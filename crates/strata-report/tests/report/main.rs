//! Integration tests for strata-report: snapshots of every format, validation against the
//! official CycloneDX 1.6, SPDX 2.3, SARIF 2.1.0 and GitLab container-scanning 15.2.4
//! JSON schemas, and structural checks.
#![allow(clippy::unwrap_used)]

mod fixture;
mod sbom_in;
mod scan;
mod schema;
mod semantics;
mod snapshots;

use strata_report::{IdMode, ReportOptions, SbomFormat, ScanFormat, write_sbom, write_scan};
use strata_types::{Sbom, ScanReport};

/// Renders `sbom` in `format` (no colour, deterministic ids) as a string.
pub fn render(sbom: &Sbom, format: SbomFormat) -> String {
    let mut out = Vec::new();
    write_sbom(
        sbom,
        format,
        &ReportOptions {
            color: false,
            ids: IdMode::Deterministic,
        },
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

/// Renders and parses a JSON format.
pub fn render_json(sbom: &Sbom, format: SbomFormat) -> serde_json::Value {
    serde_json::from_str(&render(sbom, format)).unwrap()
}

/// Renders a scan `report` in `format` (no colour) as a string.
pub fn render_scan(report: &ScanReport, format: ScanFormat) -> String {
    let mut out = Vec::new();
    write_scan(report, format, false, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Renders and parses a JSON scan format.
pub fn render_scan_json(report: &ScanReport, format: ScanFormat) -> serde_json::Value {
    serde_json::from_str(&render_scan(report, format)).unwrap()
}
