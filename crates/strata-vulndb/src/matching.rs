//! Version checks for one `affected` entry, following the OSV evaluation rules: a version
//! is affected when it is listed in `versions`, or when, walking a range's events in
//! version order, the last event at or below it is `introduced` (with `last_affected`
//! covering the version itself and `fixed`/`limit` not).

use std::cmp::Ordering;

use strata_version::{Scheme, VersionError};

use crate::osv::{Affected, Event, RangeKind, Severity};
use crate::store::AffectedEntry;

/// Ecosystems whose vendor ratings are preferred over CVSS.
const DISTROS: &[&str] = &[
    "AlmaLinux",
    "Alpine",
    "Azure Linux",
    "Chainguard",
    "Debian",
    "Mageia",
    "openEuler",
    "openSUSE",
    "Photon OS",
    "Red Hat",
    "Rocky Linux",
    "SUSE",
    "Ubuntu",
    "Wolfi",
];

impl AffectedEntry {
    /// The severity to show for this entry: for distribution packages the vendor's rating
    /// (package-level, then record-level); then the CVSS score computed from the vector
    /// (v4 when scored, then v3.x, then v2); then any other rating (e.g. GitHub's).
    pub fn preferred_severity(&self) -> Option<&Severity> {
        let is_rating = |s: &&Severity| s.kind == "rating" || s.kind == "Ubuntu";
        let distro = DISTROS.contains(&crate::ecosystem::base(&self.affected.ecosystem));
        if distro
            && let Some(s) = self
                .affected
                .severity
                .iter()
                .chain(self.severity.iter().filter(|s| s.kind == "Ubuntu"))
                .find(is_rating)
        {
            return Some(s);
        }
        let all = || self.affected.severity.iter().chain(self.severity.iter());
        for kind in ["CVSS_V4", "CVSS_V3", "CVSS_V2"] {
            if let Some(s) = all().find(|s| s.kind == kind && s.base_score.is_some()) {
                return Some(s);
            }
        }
        all().find(is_rating)
    }
}

/// The outcome of [`Affected::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The version is affected; `fixed` holds the fixed versions named by the matching
    /// ranges (empty: "affected, no fix yet").
    Affected {
        fixed: Vec<String>,
    },
    NotAffected,
    /// The ecosystem has no version scheme here, so only exact `versions` entries match.
    Unknown,
}

impl Affected {
    /// Checks `version` against this entry's `versions` list and its `ECOSYSTEM`/`SEMVER`
    /// ranges (`GIT` ranges are skipped). A range whose versions do not parse is an error.
    pub fn check(&self, version: &str) -> Result<Verdict, VersionError> {
        let listed = self.versions.iter().any(|v| v == version);
        let eco_scheme = Scheme::for_osv_ecosystem(&self.ecosystem);
        let mut fixed = Vec::new();
        let mut affected = listed;
        let mut evaluated = false;
        for range in &self.ranges {
            let scheme = match range.kind {
                RangeKind::Git => continue,
                RangeKind::Semver => Scheme::Semver,
                RangeKind::Ecosystem => match eco_scheme {
                    Some(s) => s,
                    None => continue,
                },
            };
            evaluated = true;
            if in_range(scheme, &range.events, version)? {
                affected = true;
                fixed.extend(range.events.iter().filter_map(|e| match e {
                    Event::Fixed(f) => Some(f.clone()),
                    _ => None,
                }));
            }
        }
        Ok(if affected {
            Verdict::Affected { fixed }
        } else if evaluated || eco_scheme.is_some() {
            Verdict::NotAffected
        } else {
            Verdict::Unknown
        })
    }
}

fn event_version(e: &Event) -> &str {
    match e {
        Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
    }
}

fn cmp(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match (a, b) {
        ("0", "0") => Ok(Ordering::Equal),
        ("0", _) => Ok(Ordering::Less),
        (_, "0") => Ok(Ordering::Greater),
        _ => scheme.compare(a, b),
    }
}

fn in_range(scheme: Scheme, events: &[Event], version: &str) -> Result<bool, VersionError> {
    let target = scheme.parse(version)?;
    let mut sorted: Vec<&Event> = events.iter().collect();
    // Sort by version; parse errors surface below, where each event is compared.
    for e in &sorted {
        let v = event_version(e);
        if v != "0" {
            scheme.parse(v)?;
        }
    }
    sorted
        .sort_by(|a, b| cmp(scheme, event_version(a), event_version(b)).unwrap_or(Ordering::Equal));
    let mut affected = false;
    for e in sorted {
        let ev = event_version(e);
        let order = if ev == "0" {
            Ordering::Less
        } else {
            scheme.parse(ev)?.cmp(&target)
        };
        match e {
            Event::Introduced(_) if order != Ordering::Greater => affected = true,
            Event::Fixed(_) | Event::Limit(_) if order != Ordering::Greater => affected = false,
            Event::LastAffected(_) if order == Ordering::Less => affected = false,
            _ => {}
        }
    }
    Ok(affected)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::osv::Range;

    fn entry(eco: &str, events: Vec<Event>, versions: &[&str]) -> Affected {
        Affected {
            ecosystem: eco.into(),
            name: "p".into(),
            purl: None,
            ranges: vec![Range {
                kind: RangeKind::Ecosystem,
                repo: None,
                events,
            }],
            versions: versions.iter().map(|s| s.to_string()).collect(),
            severity: vec![],
            ecosystem_specific: None,
            database_specific: None,
        }
    }

    #[test]
    fn dpkg_range() {
        let a = entry(
            "Debian:12",
            vec![
                Event::Introduced("0".into()),
                Event::Fixed("1:1.2.13.dfsg-1+deb12u1".into()),
            ],
            &[],
        );
        assert_eq!(
            a.check("1:1.2.13.dfsg-1").unwrap(),
            Verdict::Affected {
                fixed: vec!["1:1.2.13.dfsg-1+deb12u1".into()]
            }
        );
        assert_eq!(
            a.check("1:1.2.13.dfsg-1+deb12u1").unwrap(),
            Verdict::NotAffected
        );
    }

    #[test]
    fn last_affected_and_multiple_intervals() {
        let a = entry(
            "PyPI",
            vec![
                Event::Introduced("1.0".into()),
                Event::LastAffected("1.2".into()),
                Event::Introduced("2.0".into()),
                Event::Fixed("2.1".into()),
            ],
            &["0.9"],
        );
        assert_eq!(a.check("0.9").unwrap(), Verdict::Affected { fixed: vec![] });
        assert_eq!(a.check("0.95").unwrap(), Verdict::NotAffected);
        assert!(matches!(a.check("1.2").unwrap(), Verdict::Affected { .. }));
        assert_eq!(a.check("1.3").unwrap(), Verdict::NotAffected);
        assert!(matches!(
            a.check("2.0.5").unwrap(),
            Verdict::Affected { .. }
        ));
        assert_eq!(a.check("2.1").unwrap(), Verdict::NotAffected);
    }

    fn sev(kind: &str, value: &str, score: Option<f64>, source: &str) -> Severity {
        Severity {
            kind: kind.into(),
            value: value.into(),
            base_score: score,
            rating: Some(value.to_uppercase()),
            source: source.into(),
        }
    }

    #[test]
    fn preferred_severity_order() {
        let mut affected = entry("Debian:12", vec![Event::Introduced("0".into())], &[]);
        affected.severity = vec![sev("rating", "low", None, "debian-tracker")];
        let mut e = AffectedEntry {
            record_id: "X".into(),
            aliases: vec![],
            modified: "2024-01-01T00:00:00Z".into(),
            published: None,
            summary: None,
            severity: vec![
                sev("CVSS_V4", "v4", None, "severity"),
                sev("CVSS_V3", "v3", Some(9.8), "severity"),
                sev("rating", "high", None, "database_specific"),
            ],
            affected,
        };
        assert_eq!(
            e.preferred_severity().map(|s| s.value.as_str()),
            Some("low")
        );
        e.affected.ecosystem = "npm".into();
        assert_eq!(e.preferred_severity().map(|s| s.value.as_str()), Some("v3"));
        e.severity.retain(|s| s.kind == "rating");
        assert_eq!(
            e.preferred_severity().map(|s| s.value.as_str()),
            Some("low")
        );
        e.affected.severity.clear();
        assert_eq!(
            e.preferred_severity().map(|s| s.value.as_str()),
            Some("high")
        );
    }

    #[test]
    fn unknown_ecosystem_only_matches_versions() {
        let a = entry("Android", vec![Event::Introduced("0".into())], &["1"]);
        assert_eq!(a.check("1").unwrap(), Verdict::Affected { fixed: vec![] });
        assert_eq!(a.check("2").unwrap(), Verdict::Unknown);
    }
}
