//! CycloneDX 1.6 JSON for scan reports: the SBOM document of [`crate::write_cyclonedx`]
//! plus a `vulnerabilities` array (<https://cyclonedx.org/docs/1.6/json/#vulnerabilities>).

use std::io::Write;

use serde::Serialize;
use strata_types::{Cvss, Finding, FixState, Package, ScanReport, Severity};

use crate::cyclonedx::{Property, RefSet, build_bom, prop};
use crate::ids::scan_uuid;
use crate::scan::{id_source, id_url, is_plain_url, sorted_findings};
use crate::{ReportError, write_pretty};

#[derive(Serialize)]
pub(crate) struct Vulnerability {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    id: String,
    source: Source,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ratings: Vec<Rating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendation: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    advisories: Vec<Advisory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: Option<Analysis>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    affects: Vec<Affect>,
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Source {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct Reference {
    id: String,
    source: Source,
}

#[derive(Serialize)]
struct Rating {
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<&'static str>,
    method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<String>,
}

#[derive(Serialize)]
struct Advisory {
    url: String,
}

#[derive(Serialize)]
struct Analysis {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    response: Vec<&'static str>,
    detail: String,
}

#[derive(Serialize)]
struct Affect {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    versions: Vec<AffectedVersion>,
}

#[derive(Serialize)]
struct AffectedVersion {
    version: String,
    status: &'static str,
}

/// CycloneDX's severity names. strata's `negligible` (a distribution saying "not worth a
/// fix") is CycloneDX's `info`; `unknown` stays `unknown`.
fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Negligible => "info",
        Severity::Unknown => "unknown",
    }
}

fn cvss_method(version: &str) -> &'static str {
    match version {
        "4.0" => "CVSSv4",
        "3.1" => "CVSSv31",
        "3.0" => "CVSSv3",
        "2.0" => "CVSSv2",
        _ => "other",
    }
}

fn cvss_rating(c: &Cvss) -> Rating {
    let score = c.score.filter(|s| s.is_finite());
    Rating {
        source: c.source.as_ref().map(|name| Source {
            name: name.clone(),
            url: None,
        }),
        score,
        // The severity that belongs to this score (a CVSS 0.0 is "none"), not the one
        // strata chose for the finding, which may come from another rating.
        severity: score.map(|s| {
            if s <= 0.0 {
                "none"
            } else {
                severity_name(Severity::from_cvss_score(s))
            }
        }),
        method: cvss_method(&c.version),
        vector: (!c.vector.is_empty()).then(|| c.vector.clone()),
    }
}

fn ratings(f: &Finding) -> Vec<Rating> {
    let mut out: Vec<Rating> = f.cvss.iter().map(cvss_rating).collect();
    // A severity that did not come from a CVSS vector (a distribution's or an advisory's
    // own rating) is a rating of its own, named after where it came from.
    let from_vendor = !f.severity_source.starts_with("cvss:")
        && f.severity_source != "none"
        && !f.severity_source.is_empty();
    if from_vendor {
        out.push(Rating {
            source: Some(Source {
                name: f.severity_source.clone(),
                url: None,
            }),
            score: None,
            severity: Some(severity_name(f.severity)),
            method: "other",
            vector: None,
        });
    }
    out
}

fn analysis(f: &Finding) -> Option<Analysis> {
    // Suppressed findings say why: a VEX `not_affected` is CycloneDX's own not_affected
    // with the matching justification; an accepted exception is a known risk left in
    // place (exploitable, will_not_fix), with who accepted it and until when.
    if let Some(s) = &f.suppressed {
        let mut detail = s.justification.clone();
        for (label, v) in [
            ("approved by", &s.approved_by),
            ("ticket", &s.ticket),
            ("expires", &s.expires),
        ] {
            if let Some(v) = v {
                detail.push_str(&format!("; {label} {v}"));
            }
        }
        return Some(match s.by {
            strata_types::SuppressedBy::Vex => Analysis {
                state: "not_affected",
                justification: s.reason.as_deref().and_then(cyclonedx_justification),
                response: Vec::new(),
                detail,
            },
            strata_types::SuppressedBy::Exception => Analysis {
                state: "exploitable",
                justification: None,
                response: vec!["will_not_fix"],
                detail: format!("accepted by exception {}: {detail}", s.id),
            },
        });
    }
    // A matched finding is affected; CycloneDX calls that `exploitable` ("may be directly
    // or indirectly exploitable"). Only the no-fix states say something a recommendation
    // cannot, so only they get an analysis.
    let (response, detail) = match f.fix_state {
        FixState::Fixed => return None,
        FixState::NotFixed => ("can_not_fix", "No fixed version is available yet."),
        FixState::WontFix => ("will_not_fix", "The vendor will not fix it."),
    };
    Some(Analysis {
        state: "exploitable",
        justification: None,
        response: vec![response],
        detail: detail.to_owned(),
    })
}

/// OpenVEX and CSAF justifications in CycloneDX's vocabulary, where one fits.
fn cyclonedx_justification(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "component_not_present" | "vulnerable_code_not_present" | "code_not_present" => {
            "code_not_present"
        }
        "vulnerable_code_not_in_execute_path"
        | "vulnerable_code_cannot_be_controlled_by_adversary"
        | "code_not_reachable" => "code_not_reachable",
        "inline_mitigations_already_exist" | "protected_by_mitigating_control" => {
            "protected_by_mitigating_control"
        }
        "requires_configuration"
        | "requires_dependency"
        | "requires_environment"
        | "protected_by_compiler"
        | "protected_at_runtime"
        | "protected_at_perimeter" => {
            return [
                "requires_configuration",
                "requires_dependency",
                "requires_environment",
                "protected_by_compiler",
                "protected_at_runtime",
                "protected_at_perimeter",
            ]
            .into_iter()
            .find(|j| *j == reason);
        }
        _ => return None,
    })
}

fn recommendation(f: &Finding) -> Option<String> {
    (f.fix_state == FixState::Fixed && !f.fixed_versions.is_empty()).then(|| {
        format!(
            "Upgrade {} to {}.",
            f.package.name,
            f.fixed_versions.join(" or ")
        )
    })
}

/// The component a finding is about: the package itself, else one with the same identity
/// (a caller may have rebuilt the package value).
fn component_ref<'a>(refs: &'a [(&Package, String)], p: &Package) -> Option<&'a str> {
    refs.iter()
        .find(|(q, _)| *q == p)
        .or_else(|| {
            refs.iter()
                .find(|(q, _)| q.key() == p.key() && q.purl == p.purl)
        })
        .map(|(_, r)| r.as_str())
}

/// Writes CycloneDX 1.6 JSON: the SBOM's components as [`crate::write_cyclonedx`] writes
/// them, and one vulnerability per finding (most severe first) whose `affects` points at
/// the package's component. One entry per finding rather than per id, because the fix
/// state, fixed versions and analysis belong to a vulnerability in one package. The
/// serial number is derived from the SBOM and the findings.
pub fn write_scan_cyclonedx(report: &ScanReport, out: &mut dyn Write) -> Result<(), ReportError> {
    let (mut bom, refs) = build_bom(&report.sbom, scan_uuid(report, "cyclonedx-scan"))?;
    let mut vuln_refs = RefSet::default();
    bom.vulnerabilities = sorted_findings(report)
        .into_iter()
        .map(|f| {
            let component = component_ref(&refs, &f.package);
            let bom_ref = vuln_refs.claim(&format!(
                "strata:vulnerability:{}:{}",
                f.id,
                component.unwrap_or(&f.package.purl)
            ));
            let mut properties = vec![
                prop("strata:severity", f.severity.as_str()),
                prop("strata:severity_source", &f.severity_source),
            ];
            for a in &f.advisories {
                properties.push(prop("strata:advisory", a));
            }
            Vulnerability {
                bom_ref,
                id: f.id.clone(),
                source: Source {
                    name: id_source(&f.id).to_owned(),
                    url: Some(id_url(&f.id)),
                },
                references: f
                    .aliases
                    .iter()
                    .map(|a| Reference {
                        id: a.clone(),
                        source: Source {
                            name: id_source(a).to_owned(),
                            url: Some(id_url(a)),
                        },
                    })
                    .collect(),
                ratings: ratings(f),
                description: f.summary.clone(),
                recommendation: recommendation(f),
                advisories: f
                    .references
                    .iter()
                    .filter(|r| is_plain_url(r))
                    .map(|r| Advisory { url: r.clone() })
                    .collect(),
                analysis: analysis(f),
                affects: component
                    .map(|r| Affect {
                        reference: r.to_owned(),
                        versions: (!f.installed_version.is_empty())
                            .then(|| AffectedVersion {
                                version: f.installed_version.clone(),
                                status: "affected",
                            })
                            .into_iter()
                            .collect(),
                    })
                    .into_iter()
                    .collect(),
                properties,
            }
        })
        .collect();
    write_pretty(&bom, "cyclonedx", out)
}
