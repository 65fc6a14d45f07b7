//! `strata scan`: catalog a target, match its packages against the vulnerability
//! database, filter, print, and gate.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use strata_policy::{Date, FileKind, KevAction, Policy};
use strata_report::{ScanFormat, write_scan};
use strata_types::{DatabaseInfo, FixState, SCAN_SCHEMA_VERSION, ScanReport, Severity};
use strata_vulndb::Database;

use crate::ImageArgs;
use crate::output::Output;

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// The image or directory: a `docker save` tarball, `oci:PATH`, `docker:NAME[:TAG]`,
    /// `registry:HOST/REPO:TAG`, `dir:PATH`.
    pub target: String,
    /// Output format: table, json, sarif (SARIF 2.1.0 for GitHub code scanning), cyclonedx
    /// (CycloneDX 1.6 with vulnerabilities), markdown (for pull-request comments), junit
    /// (JUnit XML for CI test reports), openvex (the accepted exceptions as OpenVEX), gitlab
    /// (GitLab's container-scanning report, for `reports: container_scanning`).
    #[arg(short, long, default_value = "table", env = "STRATA_FORMAT")]
    pub format: String,
    /// Write the report to FILE instead of stdout (atomically: all or nothing).
    #[arg(short, long, value_name = "FILE", env = "STRATA_OUTPUT")]
    pub output: Option<PathBuf>,
    /// Report only these severities (comma-separated: critical,high,medium,low,negligible,unknown).
    #[arg(long, value_delimiter = ',', env = "STRATA_SEVERITY")]
    pub severity: Vec<String>,
    /// Fail (exit code 1, or --exit-code) when a reported finding is at or above this
    /// severity. `unknown` ranks lowest: `--fail-on unknown` fails on any finding.
    #[arg(long, value_name = "SEVERITY", env = "STRATA_FAIL_ON")]
    pub fail_on: Option<String>,
    /// The exit code for a failed gate.
    #[arg(long, default_value_t = 1, value_name = "N", env = "STRATA_EXIT_CODE")]
    pub exit_code: u8,
    /// Hide findings that have no fixed version yet.
    #[arg(long, env = "STRATA_IGNORE_UNFIXED", value_parser = clap::builder::BoolishValueParser::new())]
    pub ignore_unfixed: bool,
    /// The policy file (default: strata.yaml at the root of a dir: target, else in the
    /// current directory, when there is one). See docs/policy.md.
    #[arg(long, value_name = "FILE", env = "STRATA_POLICY")]
    pub policy: Option<PathBuf>,
    /// Ignore strata.yaml files found by default (an explicit --policy still applies).
    #[arg(long, env = "STRATA_NO_POLICY", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_policy: bool,
    /// Exception files (`exceptions:` lists) in addition to the policy's own.
    /// Repeatable or comma-separated.
    #[arg(
        long,
        value_name = "FILE",
        value_delimiter = ',',
        env = "STRATA_EXCEPTIONS"
    )]
    pub exceptions: Vec<PathBuf>,
    /// VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX): `not_affected` with a justification
    /// suppresses a finding. Repeatable or comma-separated.
    #[arg(long, value_name = "FILE", num_args = 1.., value_delimiter = ',', env = "STRATA_VEX")]
    pub vex: Vec<PathBuf>,
    /// The date the policy is evaluated on (YYYY-MM-DD), for tests and replays.
    #[arg(long, value_name = "DATE", env = "STRATA_NOW", hide = true)]
    pub now: Option<String>,
    /// The vulnerability database directory (default: $STRATA_DB_DIR, else
    /// $XDG_CACHE_HOME/strata/db).
    #[arg(long, value_name = "DIR", env = "STRATA_DB_DIR")]
    pub db: Option<PathBuf>,
    /// Warn when the vulnerability database was built more than DAYS days ago (0: never).
    #[arg(
        long,
        value_name = "DAYS",
        env = "STRATA_DB_MAX_AGE",
        default_value_t = 7
    )]
    pub db_max_age: u64,
    #[command(flatten)]
    pub image: ImageArgs,
}

fn parse_severity(s: &str) -> Result<Severity> {
    s.parse::<Severity>().map_err(|e| anyhow!("{e}"))
}

pub fn run(args: &ScanArgs) -> Result<ExitCode> {
    let format: ScanFormat = args.format.parse()?;
    let keep: Vec<Severity> = args
        .severity
        .iter()
        .map(|s| parse_severity(s).with_context(|| "--severity"))
        .collect::<Result<_>>()?;
    let fail_on = args
        .fail_on
        .as_deref()
        .map(|s| parse_severity(s).context("--fail-on"))
        .transpose()?;
    let db_dir = args
        .db
        .clone()
        .or_else(strata_vulndb::default_db_dir)
        .ok_or_else(|| anyhow!("no database directory: pass --db DIR or set STRATA_DB_DIR"))?;
    // Open the database before reading the image: a missing database fails fast.
    let db = Database::open(&db_dir).with_context(|| {
        format!(
            "no usable vulnerability database in {}; create one with `strata db import PATH...` or `strata db update`",
            db_dir.display()
        )
    })?;
    let status = db.status()?;
    if let Some(warning) = stale_database_warning(&status, args.db_max_age) {
        eprintln!("warning: {warning}");
    }
    // Read VEX before the image: a bad document fails fast, like a missing database.
    let vex = args
        .vex
        .iter()
        .map(|p| strata_policy::load_vex(p))
        .collect::<Result<Vec<_>, _>>()?;
    let policy = load_policy(args, fail_on, !vex.is_empty())?;
    let today = today(args.now.as_deref())?;

    let sbom = crate::sbom_cmd::target_sbom(&args.target, &args.image)?;
    let matches = strata_match::match_packages(&db, sbom.distro.as_ref(), &sbom.packages)?;
    for w in &matches.warnings {
        eprintln!("warning: {}: {}", w.package, w.message);
    }
    if let Some(w) = unsupported_warning(sbom.distro.as_ref(), &matches.unsupported) {
        eprintln!("warning: {w}");
    }
    // A known-exploited finding that fails the gate stays in the report whatever
    // --severity and --ignore-unfixed hide: "KEV always fails" must hold, and be seen.
    let kev_fails = |f: &strata_types::Finding| {
        f.known_exploited
            && policy.as_ref().is_some_and(|(p, gate)| {
                *gate && p.kev == KevAction::Fail && !p.settings_for(f).0.ignore.unwrap_or(false)
            })
    };
    let findings = matches
        .findings
        .into_iter()
        .filter(|f| kev_fails(f) || keep.is_empty() || keep.contains(&f.severity))
        .filter(|f| kev_fails(f) || !(args.ignore_unfixed && f.fix_state != FixState::Fixed))
        .collect();
    let report = ScanReport {
        schema_version: SCAN_SCHEMA_VERSION.to_owned(),
        sbom,
        database: DatabaseInfo {
            generation: status.generation,
            built_at: status.built_at,
            records: status.records,
        },
        findings,
        policy: None,
    };
    let mut report = report;
    let mut gate = false;
    if let Some((policy, g)) = &policy {
        gate = *g;
        let ctx = strata_policy::Context::for_report(&report, today);
        report.policy = Some(strata_policy::evaluate(&mut report, policy, &vex, &ctx));
    }
    let mut out = Output::open(args.output.as_deref())?;
    let color = out.is_terminal();
    write_scan(&report, format, color, out.writer())?;
    out.finish()?;

    let Some(outcome) = &report.policy else {
        return Ok(ExitCode::SUCCESS);
    };
    for e in &outcome.expired_exceptions {
        eprintln!(
            "warning: exception for {} ({}) expired on {}; it no longer suppresses anything",
            e.id,
            e.source,
            e.expires.as_deref().unwrap_or("?")
        );
    }
    for e in &outcome.stale_exceptions {
        eprintln!(
            "warning: exception for {} ({}) matches no finding (stale); remove it",
            e.id, e.source
        );
    }
    if gate && !outcome.passed {
        let failing: Vec<_> = report
            .findings
            .iter()
            .filter_map(|f| f.gate_failure.as_ref().map(|r| (f, r)))
            .collect();
        eprintln!(
            "gate failed: {} finding(s) fail the policy{}",
            failing.len(),
            match (&outcome.policy_file, fail_on) {
                (_, Some(t)) => format!(" (--fail-on {t})"),
                (Some(file), None) => format!(" ({file})"),
                (None, None) => String::new(),
            }
        );
        for (f, reason) in failing.iter().take(50) {
            eprintln!(
                "  {} in {} {}: {reason}",
                f.id, f.package.name, f.installed_version
            );
        }
        if failing.len() > 50 {
            eprintln!("  ... and {} more (see --format json)", failing.len() - 50);
        }
        for reason in &outcome.failures {
            eprintln!("  {reason}");
        }
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

/// Says which packages no advisory source covers (an unsupported distribution, most
/// often), so a scan that matched nothing for them is not mistaken for a clean one.
fn unsupported_warning(distro: Option<&strata_types::Distro>, purls: &[String]) -> Option<String> {
    let first = purls.first()?;
    let mut kinds: Vec<&str> = purls
        .iter()
        .map(|p| {
            p.strip_prefix("pkg:")
                .and_then(|r| r.split('/').next())
                .unwrap_or("?")
        })
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let what = match distro {
        Some(d) if !d.id.is_empty() => format!(
            "no vulnerability data source for {} {} is supported",
            d.id, d.version_id
        ),
        _ => "no vulnerability data source covers them".to_owned(),
    };
    Some(format!(
        "{} package(s) ({}) were not matched: {what}, so their vulnerabilities are not reported (first: {first})",
        purls.len(),
        kinds.join(", ")
    ))
}

/// The clock: `--now`/`STRATA_NOW` when given (tests, replays), else today in UTC.
pub fn today(now: Option<&str>) -> Result<Date> {
    match now {
        Some(s) => Date::parse(s)
            .ok_or_else(|| anyhow!("--now/STRATA_NOW {s:?} is not a date (YYYY-MM-DD)")),
        None => Ok(Date::today()),
    }
}

/// The policy file to use: `--policy`, else `strata.yaml` at the root of a `dir:` target,
/// else in the current directory.
fn find_policy(args: &ScanArgs) -> Option<PathBuf> {
    if let Some(p) = &args.policy {
        return Some(p.clone());
    }
    if args.no_policy {
        return None;
    }
    let mut candidates = Vec::new();
    if let Some(dir) = args.target.strip_prefix("dir:") {
        candidates.push(PathBuf::from(dir).join("strata.yaml"));
    }
    candidates.push(PathBuf::from("strata.yaml"));
    candidates.into_iter().find(|p| p.is_file())
}

/// Reads the policy and exception files. `None` when there is nothing to apply; the
/// flag is true when there is a gate (a policy or --fail-on) that decides the exit code.
fn load_policy(
    args: &ScanArgs,
    fail_on: Option<Severity>,
    has_vex: bool,
) -> Result<Option<(Policy, bool)>> {
    let policy_file = find_policy(args);
    if policy_file.is_none() && args.exceptions.is_empty() && !has_vex && fail_on.is_none() {
        return Ok(None);
    }
    let mut policy = match &policy_file {
        Some(path) => strata_policy::load(path, FileKind::Policy)?,
        // Without a policy file, known-exploited findings fail only under --fail-on.
        None => Policy {
            kev: if fail_on.is_some() {
                KevAction::Fail
            } else {
                KevAction::Ignore
            },
            ..Policy::default()
        },
    };
    for path in &args.exceptions {
        let more = strata_policy::load(path, FileKind::Exceptions)?;
        policy.exceptions.extend(more.exceptions);
    }
    if let Some(t) = fail_on {
        policy.defaults.fail_on = Some(t);
    }
    let gate = policy_file.is_some() || fail_on.is_some();
    Ok(Some((policy, gate)))
}

/// The staleness warning, when the database was built more than `max_days` days ago.
fn stale_database_warning(status: &strata_vulndb::Status, max_days: u64) -> Option<String> {
    if max_days == 0 {
        return None;
    }
    let built = crate::output::unix_from_rfc3339(&status.built_at)?;
    let now = crate::output::unix_from_rfc3339(&crate::output::now_rfc3339())?;
    let days = now.saturating_sub(built) / 86_400;
    (days > max_days).then(|| {
        format!(
            "the vulnerability database was built {days} days ago ({}); findings published since are missing: run `strata db update`",
            status.built_at
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(built_at: &str) -> strata_vulndb::Status {
        strata_vulndb::Status {
            dir: PathBuf::from("/db"),
            generation: 1,
            schema_version: 1,
            built_at: built_at.to_owned(),
            records: 0,
            withdrawn: 0,
            nvd_entries: 0,
            ecosystems: Vec::new(),
            newest: None,
            sources: Vec::new(),
            db_bytes: 0,
            kev_entries: 0,
            kev_catalog_version: None,
            epss_entries: 0,
            epss_score_date: None,
        }
    }

    #[test]
    fn staleness_warning() {
        let old = status("2020-01-01T00:00:00Z");
        let w = stale_database_warning(&old, 7).unwrap();
        assert!(
            w.contains("2020-01-01T00:00:00Z") && w.contains("strata db update"),
            "{w}"
        );
        assert_eq!(stale_database_warning(&old, 0), None, "0 turns it off");
        let fresh = status(&crate::output::now_rfc3339());
        assert_eq!(stale_database_warning(&fresh, 7), None);
        assert_eq!(stale_database_warning(&status("garbage"), 7), None);
    }
}
