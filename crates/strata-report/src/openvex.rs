//! `--format openvex`: the accepted exceptions as OpenVEX 0.2.0 statements, for
//! consumers that read VEX (strata itself, Trivy, Grype). An exception with a
//! `vex_justification` becomes `not_affected`; one without is an accepted risk, written
//! as `affected` with the acceptance as the action statement.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};
use strata_types::{ScanReport, SuppressedBy};

use crate::ids::scan_uuid;
use crate::scan::sorted_findings;
use crate::{ReportError, write_pretty};

pub fn write_scan_openvex(report: &ScanReport, out: &mut dyn Write) -> Result<(), ReportError> {
    // One statement per exception and vulnerability, listing every package it covers.
    let mut groups: BTreeMap<(String, String), (Value, Vec<String>)> = BTreeMap::new();
    for f in sorted_findings(report) {
        let Some(s) = f
            .suppressed
            .as_ref()
            .filter(|s| s.by == SuppressedBy::Exception)
        else {
            continue;
        };
        let key = (f.id.clone(), s.source.clone().unwrap_or_default());
        let entry = groups.entry(key).or_insert_with(|| {
            let mut st = json!({
                "vulnerability": {"name": f.id, "aliases": f.aliases},
                "products": [],
            });
            let accepted = format!(
                "Accepted by {} ({}) until {}: {}",
                s.approved_by.as_deref().unwrap_or("unknown"),
                s.ticket.as_deref().unwrap_or("no ticket"),
                s.expires.as_deref().unwrap_or("no expiry"),
                s.justification
            );
            match &s.reason {
                Some(j) => {
                    st["status"] = json!("not_affected");
                    st["justification"] = json!(j);
                    st["impact_statement"] = json!(accepted);
                }
                None => {
                    st["status"] = json!("affected");
                    st["action_statement"] = json!(accepted);
                }
            }
            (st, Vec::new())
        });
        if !f.package.purl.is_empty() && !entry.1.contains(&f.package.purl) {
            entry.1.push(f.package.purl.clone());
        }
    }
    let statements: Vec<Value> = groups
        .into_values()
        .map(|(mut st, purls)| {
            st["products"] = purls.iter().map(|p| json!({"@id": p})).collect();
            st
        })
        .collect();
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("https://strata.invalid/vex/{}", scan_uuid(report, "openvex")),
        "author": "strata",
        "timestamp": report.sbom.created,
        "version": 1,
        "tooling": format!("strata {}", report.sbom.tool.version),
        "statements": statements,
    });
    write_pretty(&doc, "openvex", out)
}
