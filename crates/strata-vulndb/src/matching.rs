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
    /// The version is affected; `fixed` holds, per matching range, the fixed version of
    /// the interval that contains the version (empty: "affected, no fix yet").
    Affected {
        fixed: Vec<String>,
    },
    NotAffected,
    /// The ecosystem has no version scheme here, so only exact `versions` entries match.
    Unknown,
}

/// The outcome of [`Affected::evaluate`]: the verdict from what could be compared, and
/// the ranges that could not be (a version that does not parse in the scheme).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub verdict: Verdict,
    pub errors: Vec<VersionError>,
}

impl Affected {
    /// Checks `version` against this entry's `versions` list and its `ECOSYSTEM`/`SEMVER`
    /// ranges (`GIT` ranges are skipped). A hit anywhere is `Affected` even when another
    /// range cannot be compared; otherwise a range whose versions do not parse is an error.
    pub fn check(&self, version: &str) -> Result<Verdict, VersionError> {
        let Evaluation { verdict, errors } = self.evaluate(version);
        match (verdict, errors.into_iter().next()) {
            (v @ Verdict::Affected { .. }, _) => Ok(v),
            (_, Some(e)) => Err(e),
            (v, None) => Ok(v),
        }
    }

    /// Like [`Affected::check`], but returns the verdict together with every range that
    /// could not be compared, so that callers can warn about them without losing a hit.
    pub fn evaluate(&self, version: &str) -> Evaluation {
        let listed = self.versions.iter().any(|v| v == version);
        let eco_scheme = Scheme::for_osv_ecosystem(&self.ecosystem);
        let mut fixed: Vec<String> = Vec::new();
        let mut errors = Vec::new();
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
            match in_range(scheme, &range.events, version) {
                Ok(Hit::Inside { fixed: f }) => {
                    affected = true;
                    if let Some(f) = f
                        && !fixed.contains(&f)
                    {
                        fixed.push(f);
                    }
                }
                Ok(Hit::Outside) => {}
                // Keep going: another range or the `versions` list may still match.
                Err(e) => errors.push(e),
            }
        }
        let verdict = if affected {
            Verdict::Affected { fixed }
        } else if evaluated || eco_scheme.is_some() {
            Verdict::NotAffected
        } else {
            Verdict::Unknown
        };
        Evaluation { verdict, errors }
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

/// Where a version lies relative to one range.
enum Hit {
    /// Inside an affected interval; `fixed` is the `fixed` event that closes it, if any
    /// (an interval closed by `last_affected` or `limit`, or left open, has none).
    Inside {
        fixed: Option<String>,
    },
    Outside,
}

fn in_range(scheme: Scheme, events: &[Event], version: &str) -> Result<Hit, VersionError> {
    let target = scheme.parse(version)?;
    let mut sorted: Vec<(&Event, Ordering)> = Vec::with_capacity(events.len());
    for e in events {
        let v = event_version(e);
        let order = if v == "0" {
            Ordering::Less
        } else {
            scheme.parse(v)?.cmp(&target)
        };
        sorted.push((e, order));
    }
    // Every event parsed above, so the comparison cannot fail here.
    sorted.sort_by(|a, b| {
        cmp(scheme, event_version(a.0), event_version(b.0)).unwrap_or(Ordering::Equal)
    });
    let mut affected = false;
    for (e, order) in &sorted {
        match e {
            Event::Introduced(_) if *order != Ordering::Greater => affected = true,
            Event::Fixed(_) | Event::Limit(_) if *order != Ordering::Greater => affected = false,
            Event::LastAffected(_) if *order == Ordering::Less => affected = false,
            _ => {}
        }
    }
    if !affected {
        return Ok(Hit::Outside);
    }
    // The interval ends at the first closing event above the version (`last_affected`
    // may equal it); only a `fixed` event names a fix.
    let end = sorted.iter().find(|(e, order)| match e {
        Event::Introduced(_) => false,
        Event::LastAffected(_) => *order != Ordering::Less,
        Event::Fixed(_) | Event::Limit(_) => *order == Ordering::Greater,
    });
    Ok(Hit::Inside {
        fixed: match end {
            Some((Event::Fixed(f), _)) => Some(f.clone()),
            _ => None,
        },
    })
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

    fn range(events: Vec<Event>) -> Range {
        Range {
            kind: RangeKind::Ecosystem,
            repo: None,
            events,
        }
    }

    #[test]
    fn only_the_fix_of_the_containing_interval_is_reported() {
        use Event::{Fixed, Introduced, LastAffected};
        let a = entry(
            "PyPI",
            vec![
                Introduced("1.0".into()),
                Fixed("1.2".into()),
                Introduced("2.0".into()),
                Fixed("2.1".into()),
            ],
            &[],
        );
        let fixed = |v: &[&str]| Verdict::Affected {
            fixed: v.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(a.check("2.0.5").unwrap(), fixed(&["2.1"]));
        assert_eq!(a.check("1.1").unwrap(), fixed(&["1.2"]));
        // Events out of order are sorted first.
        let mut b = a.clone();
        b.ranges[0].events.reverse();
        assert_eq!(b.check("2.0.5").unwrap(), fixed(&["2.1"]));
        // An interval closed by last_affected has no fix, even when a later one has.
        let c = entry(
            "PyPI",
            vec![
                Introduced("1.0".into()),
                LastAffected("1.2".into()),
                Introduced("2.0".into()),
                Fixed("2.1".into()),
            ],
            &[],
        );
        assert_eq!(c.check("1.2").unwrap(), fixed(&[]));
        assert_eq!(c.check("2.0").unwrap(), fixed(&["2.1"]));
        // Several ranges: each matching range contributes its own interval's fix.
        let mut d = a.clone();
        d.ranges
            .push(range(vec![Introduced("0".into()), Fixed("3.0".into())]));
        d.ranges
            .push(range(vec![Introduced("2.2".into()), Fixed("2.3".into())]));
        assert_eq!(d.check("2.0.5").unwrap(), fixed(&["2.1", "3.0"]));
        // An open-ended interval has no fix.
        let e = entry("PyPI", vec![Introduced("0".into())], &[]);
        assert_eq!(e.check("9").unwrap(), fixed(&[]));
    }

    #[test]
    fn a_listed_version_counts_when_a_range_does_not_parse() {
        // SEMVER has no lenient fallback: "1.x" is an error.
        let mut a = entry("npm", vec![Event::Introduced("0".into())], &["1.0.0"]);
        a.ranges[0].kind = RangeKind::Semver;
        a.ranges[0].events.push(Event::Fixed("1.x".into()));
        assert_eq!(
            a.check("1.0.0").unwrap(),
            Verdict::Affected { fixed: vec![] }
        );
        let ev = a.evaluate("1.0.0");
        assert_eq!(ev.errors.len(), 1);
        // Another range that parses still matches, and the bad one is reported.
        a.versions.clear();
        a.ranges.push(range(vec![
            Event::Introduced("0".into()),
            Event::Fixed("2.0.0".into()),
        ]));
        let ev = a.evaluate("1.0.0");
        assert_eq!(
            ev.verdict,
            Verdict::Affected {
                fixed: vec!["2.0.0".into()]
            }
        );
        assert_eq!(ev.errors.len(), 1);
        // No hit anywhere: the error is the answer of check.
        assert!(a.check("3.0.0").is_err());
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
            upstream: vec![],
            references: vec![],
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
