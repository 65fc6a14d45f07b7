//! Integration tests for strata-report: snapshots of every format, validation against the
//! official CycloneDX 1.6 and SPDX 2.3 JSON schemas, and structural checks.
#![allow(clippy::unwrap_used)]

mod fixture;
mod schema;
mod semantics;
mod snapshots;

use strata_report::{IdMode, ReportOptions, SbomFormat, write_sbom};
use strata_types::Sbom;

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
