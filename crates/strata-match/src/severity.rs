//! Which severity a finding gets, and from where.
//!
//! OS packages take their distribution's own rating first (it weighs how the package is
//! built and used there), then CVSS. Language packages take CVSS first, then the
//! advisory database's own rating (GHSA's `database_specific.severity`). CVSS prefers
//! v4.0, then v3.1, v3.0 and v2, using the base score computed from the vector. Nothing
//! anywhere means `unknown`, never a silent `low`.

use strata_types::{Cvss, Severity};
use strata_vulndb::AffectedEntry;

/// The severity, a short description of its source, and every CVSS vector seen.
pub fn choose_severity(is_os: bool, entries: &[&AffectedEntry]) -> (Severity, String, Vec<Cvss>) {
    let mut cvss: Vec<Cvss> = Vec::new();
    let mut vendor: Option<(Severity, String)> = None;
    for entry in entries {
        for s in entry.affected.severity.iter().chain(&entry.severity) {
            if let Some(version) = cvss_version(&s.kind, &s.value) {
                let c = Cvss {
                    version: version.to_owned(),
                    vector: s.value.clone(),
                    score: s.base_score,
                    source: Some(s.source.clone()),
                };
                if !cvss.contains(&c) {
                    cvss.push(c);
                }
            } else if vendor.is_none()
                && let Some(sev) = s
                    .rating
                    .as_deref()
                    .or(Some(s.value.as_str()))
                    .and_then(|r| r.parse::<Severity>().ok())
                    .filter(|sev| *sev != Severity::Unknown)
            {
                let who = if s.source == "database_specific" || s.source == "severity" {
                    advisory_source(&entry.record_id)
                } else {
                    s.source.clone()
                };
                vendor = Some((sev, who));
            }
        }
    }
    let best_cvss = ["4.0", "3.1", "3.0", "2.0"].iter().find_map(|v| {
        cvss.iter()
            .filter(|c| c.version == *v)
            .find_map(|c| c.score.map(|score| (score, c)))
    });
    let from_cvss = best_cvss.map(|(score, c)| {
        (
            Severity::from_cvss_score(score),
            format!(
                "cvss:{} ({})",
                c.version,
                c.source.as_deref().unwrap_or("advisory")
            ),
        )
    });
    let chosen = if is_os {
        vendor.or(from_cvss)
    } else {
        from_cvss.or(vendor)
    };
    let (severity, source) = chosen.unwrap_or((Severity::Unknown, "none".to_owned()));
    (severity, source, cvss)
}

fn cvss_version<'a>(kind: &str, vector: &'a str) -> Option<&'a str> {
    if !kind.starts_with("CVSS_") {
        return None;
    }
    if let Some(rest) = vector.strip_prefix("CVSS:") {
        return rest.split('/').next();
    }
    // CVSS v2 vectors carry no prefix.
    (kind == "CVSS_V2").then_some("2.0")
}

/// A name for the database an advisory came from, by its id prefix.
fn advisory_source(id: &str) -> String {
    let prefix = id.split('-').next().unwrap_or(id);
    match prefix {
        "GHSA" => "ghsa",
        "PYSEC" => "pypa",
        "RUSTSEC" => "rustsec",
        "GO" => "go",
        "DSA" | "DLA" | "DEBIAN" => "debian",
        "USN" | "UBUNTU" => "ubuntu",
        "ALSA" | "ALBA" | "ALEA" => "almalinux",
        "RLSA" => "rocky",
        _ => "advisory",
    }
    .to_owned()
}
