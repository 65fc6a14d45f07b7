//! Matching: which vulnerabilities affect which installed packages.
//!
//! Each package is looked up under the OSV ecosystem and name its advisories use —
//! distro packages by source package (dpkg) or origin (apk) and by release, language
//! packages by registry name — and its version is checked against every affected
//! entry's ranges. Advisories that are aliases of each other (a CVE, its GHSA, the
//! distro's DSA) collapse into one finding that lists every id.

mod ecosystem;
mod severity;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use strata_types::{Distro, Finding, FixState, Package};
use strata_vulndb::{AffectedEntry, Database, Verdict};

pub use ecosystem::{Query, queries_for};
pub use severity::choose_severity;

/// A problem that kept one package or one advisory from being matched. The scan
/// reports it and goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchWarning {
    pub package: String,
    pub message: String,
}

/// Errors that stop matching altogether.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error(transparent)]
    Database(#[from] strata_vulndb::Error),
}

/// The findings for a set of packages.
#[derive(Debug, Default)]
pub struct Matches {
    pub findings: Vec<Finding>,
    pub warnings: Vec<MatchWarning>,
    /// Packages for which no advisory source exists (an unsupported distribution).
    pub unsupported: Vec<String>,
}

/// Matches `packages` (from an image whose distribution is `distro`) against `db`.
pub fn match_packages(
    db: &Database,
    distro: Option<&Distro>,
    packages: &[Package],
) -> Result<Matches, MatchError> {
    let mut out = Matches::default();
    let _snapshot = db.snapshot()?;
    // Binaries of one source package, and copies of one library, ask the same question:
    // each (ecosystem, name) is read from the database once per scan.
    let mut entries_of: HashMap<(String, String), Rc<Vec<AffectedEntry>>> = HashMap::new();
    let mut severities = SeverityCache::new();
    for package in packages {
        let queries = queries_for(package, distro);
        if queries.is_empty() {
            out.unsupported.push(package.purl.clone());
            continue;
        }
        // One hit per record: a record may list the package in several `affected`
        // entries (one per release branch), whose fixed versions all count.
        let mut hits: BTreeMap<String, Hit> = BTreeMap::new();
        for q in &queries {
            let key = (q.ecosystem.clone(), q.name.clone());
            let entries = match entries_of.get(&key) {
                Some(e) => Rc::clone(e),
                None => {
                    let e = Rc::new(db.affected_for(&q.ecosystem, &q.name)?);
                    entries_of.insert(key, Rc::clone(&e));
                    e
                }
            };
            for (index, entry) in entries.iter().enumerate() {
                let eval = entry.affected.evaluate(&q.version);
                // A range that cannot be compared is reported even when another range
                // or the `versions` list matched: the verdict may be incomplete.
                for e in &eval.errors {
                    out.warnings.push(MatchWarning {
                        package: package.purl.clone(),
                        message: format!(
                            "{}: cannot compare version {:?}: {e}",
                            entry.record_id, q.version
                        ),
                    });
                }
                match eval.verdict {
                    Verdict::Affected { fixed } => match hits.get_mut(&entry.record_id) {
                        Some((_, _, known)) => known.extend(fixed),
                        None => {
                            hits.insert(
                                entry.record_id.clone(),
                                (Rc::clone(&entries), index, fixed),
                            );
                        }
                    },
                    Verdict::NotAffected => {}
                    Verdict::Unknown => out.warnings.push(MatchWarning {
                        package: package.purl.clone(),
                        message: format!(
                            "{}: {} has no version ordering here; only its listed versions \
                             were compared",
                            entry.record_id, entry.affected.ecosystem
                        ),
                    }),
                }
            }
        }
        let hits: Vec<(&AffectedEntry, Vec<String>)> = hits
            .values()
            .filter_map(|(entries, i, fixed)| entries.get(*i).map(|e| (e, fixed.clone())))
            .collect();
        out.findings.extend(collapse(
            package,
            &queries[0].version,
            hits,
            &mut severities,
        ));
    }
    let mut exploit_info = ExploitCache::new();
    for f in &mut out.findings {
        enrich(db, f, &mut exploit_info)?;
    }
    out.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.name.cmp(&b.package.name))
            .then_with(|| a.package.version.cmp(&b.package.version))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(out)
}

/// KEV and EPSS data through the finding's CVE ids: the earliest KEV listing and the
/// highest EPSS score (a finding that collapsed several CVEs is as exploitable as the
/// worst of them).
fn enrich(db: &Database, f: &mut Finding, known: &mut ExploitCache) -> Result<(), MatchError> {
    let cves: BTreeSet<&str> = std::iter::once(&f.id)
        .chain(&f.aliases)
        .map(String::as_str)
        .filter(|id| id.starts_with("CVE-"))
        .collect();
    // One vulnerability in many packages (binaries of one source): look it up once.
    let key: Vec<String> = cves.iter().map(|c| (*c).to_owned()).collect();
    if let Some((kev, epss)) = known.get(&key) {
        f.known_exploited = kev.is_some();
        f.kev_date_added.clone_from(kev);
        f.epss = *epss;
        return Ok(());
    }
    let mut kev: Option<String> = None;
    let mut epss: Option<strata_types::Epss> = None;
    for cve in cves {
        if let Some(k) = db.kev(cve)?
            && kev.as_ref().is_none_or(|d| k.date_added < *d)
        {
            kev = Some(k.date_added);
        }
        if let Some(e) = db.epss(cve)?
            && epss.is_none_or(|best| e.score > best.score)
        {
            epss = Some(strata_types::Epss {
                score: e.score,
                percentile: (!e.percentile.is_nan()).then_some(e.percentile),
            });
        }
    }
    f.known_exploited = kev.is_some();
    f.kev_date_added.clone_from(&kev);
    f.epss = epss;
    known.insert(key, (kev, epss));
    Ok(())
}

/// One matching record: the query's entries, the index of the matching one, and the
/// fixed versions found so far.
type Hit = (Rc<Vec<AffectedEntry>>, usize, Vec<String>);

/// KEV listing date and EPSS score already looked up, by the finding's CVE ids.
type ExploitCache = HashMap<Vec<String>, (Option<String>, Option<strata_types::Epss>)>;

/// Severity choices already made, by the entries they were made from.
type SeverityCache =
    HashMap<(Vec<usize>, bool), (strata_types::Severity, String, Vec<strata_types::Cvss>)>;

/// Groups one package's matching advisories by vulnerability (advisories sharing an
/// id or alias are one vulnerability) and builds a finding per group.
fn collapse(
    package: &Package,
    version: &str,
    hits: Vec<(&AffectedEntry, Vec<String>)>,
    severities: &mut SeverityCache,
) -> Vec<Finding> {
    // Union-find over advisory indexes, joined through shared ids.
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, (entry, _)) in hits.iter().enumerate() {
        // `upstream` links a downstream advisory (USN) to the vulnerability it fixes
        // (UBUNTU-CVE-…, then the CVE); for one package that is the same finding.
        for id in std::iter::once(&entry.record_id)
            .chain(&entry.aliases)
            .chain(&entry.upstream)
        {
            match owner.get(id.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a] = b;
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..hits.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    groups
        .into_values()
        .map(|members| {
            let mut ids = BTreeSet::new();
            let mut advisories = Vec::new();
            let mut fixed = BTreeSet::new();
            let mut summary = None;
            let mut references: Vec<String> = Vec::new();
            let mut entries = Vec::new();
            // OSV keeps no date per `fixed` event: the earliest publication of an
            // advisory that names a fix stands in for when the fix became available.
            let mut fix_published: Option<String> = None;
            for &i in &members {
                let (entry, fixed_here) = (hits[i].0, &hits[i].1);
                ids.insert(entry.record_id.clone());
                ids.extend(entry.aliases.iter().cloned());
                ids.extend(entry.upstream.iter().cloned());
                advisories.push(entry.record_id.clone());
                fixed.extend(fixed_here.iter().cloned());
                if !fixed_here.is_empty() {
                    let date = entry.published.as_ref().unwrap_or(&entry.modified);
                    if !date.is_empty() && fix_published.as_ref().is_none_or(|d| date < d) {
                        fix_published = Some(date.clone());
                    }
                }
                if summary.is_none() {
                    summary = entry
                        .summary
                        .as_deref()
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned);
                }
                entries.push(entry);
            }
            // Advisory pages first, then the rest, each URL once.
            for advisory_first in [true, false] {
                for entry in &entries {
                    for r in &entry.references {
                        if (r.kind == "ADVISORY") == advisory_first && !references.contains(&r.url)
                        {
                            references.push(r.url.clone());
                        }
                    }
                }
            }
            // The CVE names the vulnerability when there is one; else the first advisory.
            let id = ids
                .iter()
                .find(|i| i.starts_with("CVE-"))
                .cloned()
                .unwrap_or_else(|| advisories[0].clone());
            let aliases: Vec<String> = ids.into_iter().filter(|i| *i != id).collect();
            let is_os = package.package_type.is_os();
            // The entries live in `entries_of` for the whole scan, so their addresses
            // identify them: binaries of one source share the computed severity.
            let key = (
                entries
                    .iter()
                    .map(|e| std::ptr::from_ref(*e) as usize)
                    .collect(),
                is_os,
            );
            let (severity, severity_source, cvss) = severities
                .entry(key)
                .or_insert_with(|| choose_severity(is_os, &entries))
                .clone();
            let fixed_versions: Vec<String> = fixed.into_iter().collect();
            Finding {
                id,
                aliases,
                advisories,
                package: package.clone(),
                installed_version: version.to_owned(),
                fix_state: if fixed_versions.is_empty() {
                    FixState::NotFixed
                } else {
                    FixState::Fixed
                },
                fixed_versions,
                severity,
                severity_source,
                cvss,
                summary,
                references,
                known_exploited: false,
                kev_date_added: None,
                epss: None,
                fix_published,
                suppressed: None,
                vex: None,
                gate_failure: None,
            }
        })
        .collect()
}
