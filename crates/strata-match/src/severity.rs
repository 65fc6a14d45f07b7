//! Which severity a finding gets, and from where.
//!
//! OS packages take their distribution's own rating first (it weighs how the package is
//! built and used there), then CVSS. Language packages take CVSS first, then the
//! advisory database's own rating (GHSA's `database_specific.severity`). CVSS prefers
//! v4.0, then v3.1, v3.0 and v2, using the base score computed from the vector. Nothing
//! anywhere means `unknown` (source `none`), never a silent `low`.
//!
//! The source names who published the rating: the record's database (`ghsa`, `pypa`,
//! `rustsec`, `go`, `debian`, `ubuntu`, `alpine`, ... by id prefix), `nvd` for vectors
//! filled from NVD pages; CVSS-derived severities read `cvss:<version> (<publisher>)`.

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
                    source: Some(publisher(entry, s)),
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
                vendor = Some((sev, publisher(entry, s)));
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

/// Who published a severity: NVD for scores filled from NVD pages, Debian for the
/// security tracker's urgency, else the database the record comes from.
fn publisher(entry: &AffectedEntry, s: &strata_vulndb::Severity) -> String {
    match s.source.as_str() {
        "nvd" => "nvd".to_owned(),
        "debian-tracker" => "debian".to_owned(),
        _ => record_database(entry),
    }
}

/// The database a record comes from: by its id prefix; else by the
/// `database_specific.source` of its package entry; else, for distribution ecosystems,
/// the distribution (osv.dev serves some distro records under plain CVE ids); else `osv`.
pub(crate) fn record_database(entry: &AffectedEntry) -> String {
    if let Some(db) = database_by_prefix(&entry.record_id) {
        return db.to_owned();
    }
    if let Some(db) = entry
        .affected
        .database_specific
        .as_ref()
        .and_then(|d| d.get("source"))
        .and_then(|v| v.as_str())
        .and_then(database_by_source)
    {
        return db.to_owned();
    }
    let base = entry
        .affected
        .ecosystem
        .split(':')
        .next()
        .unwrap_or_default();
    if let Some(db) = distro_database(base) {
        return db.to_owned();
    }
    "osv".to_owned()
}

fn database_by_prefix(id: &str) -> Option<&'static str> {
    let prefix = id.split('-').next().unwrap_or(id);
    Some(match prefix {
        "GHSA" => "ghsa",
        "PYSEC" => "pypa",
        "RUSTSEC" => "rustsec",
        "GO" => "go",
        "DSA" | "DLA" | "DTSA" | "DEBIAN" => "debian",
        "USN" | "UBUNTU" | "LSN" => "ubuntu",
        "ALPINE" => "alpine",
        "ALSA" | "ALBA" | "ALEA" => "almalinux",
        "RLSA" | "RXSA" => "rocky",
        "RHSA" | "RHBA" | "RHEA" => "redhat",
        "SUSE" | "openSUSE" => "suse",
        "CGA" => "chainguard",
        "MGASA" => "mageia",
        "PHSA" => "photon",
        "BIT" => "bitnami",
        "MAL" => "ossf-malicious-packages",
        "PSF" => "psf",
        "OSV" => "osv",
        _ => return None,
    })
}

/// `database_specific.source` is a URL or a short name; recognise the common ones.
fn database_by_source(source: &str) -> Option<&'static str> {
    let s = source.to_ascii_lowercase();
    [
        ("nvd.nist.gov", "nvd"),
        ("github.com/advisories", "ghsa"),
        ("github.com/github/advisory-database", "ghsa"),
        ("alpinelinux.org", "alpine"),
        ("debian.org", "debian"),
        ("ubuntu.com", "ubuntu"),
        ("canonical", "ubuntu"),
    ]
    .iter()
    .find(|(needle, _)| s.contains(needle))
    .map(|(_, db)| *db)
}

fn distro_database(base: &str) -> Option<&'static str> {
    Some(match base {
        "AlmaLinux" => "almalinux",
        "Alpine" => "alpine",
        "Azure Linux" => "azurelinux",
        "Chainguard" => "chainguard",
        "Debian" => "debian",
        "Mageia" => "mageia",
        "openEuler" => "openeuler",
        "openSUSE" | "SUSE" => "suse",
        "Photon OS" => "photon",
        "Red Hat" => "redhat",
        "Rocky Linux" => "rocky",
        "Ubuntu" => "ubuntu",
        "Wolfi" => "wolfi",
        _ => return None,
    })
}
