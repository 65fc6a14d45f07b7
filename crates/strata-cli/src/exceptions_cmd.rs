//! `strata exceptions list|add|check`: the exception workflow on a policy or exceptions
//! file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use strata_policy::edit::NewException;
use strata_policy::{Date, FileKind, Policy};
use strata_types::ScanReport;

use crate::output::Output;
use crate::scan_cmd::today;

#[derive(Debug, clap::Subcommand)]
pub enum ExceptionsCommand {
    /// List the exceptions with their state (active, expired) and days left.
    List(ListArgs),
    /// Add an exception (the file is rewritten atomically; its comments are kept).
    Add(AddArgs),
    /// Exit 1 when an exception has expired or (with --report) matches no finding.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct FileArgs {
    /// The file holding `exceptions:` (default: strata.yaml in the current directory).
    #[arg(long, short, value_name = "FILE", env = "STRATA_EXCEPTIONS_FILE")]
    pub file: Option<PathBuf>,
    /// The date to evaluate expiry on (YYYY-MM-DD), for tests.
    #[arg(long, value_name = "DATE", env = "STRATA_NOW", hide = true)]
    pub now: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// table or json.
    #[arg(long, default_value = "table", env = "STRATA_FORMAT")]
    pub format: String,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The vulnerability id (CVE, GHSA, ...; any alias of the finding works).
    #[arg(long)]
    pub id: String,
    /// Why the risk is acceptable.
    #[arg(long)]
    pub justification: String,
    /// Who accepted it.
    #[arg(long, env = "STRATA_APPROVED_BY")]
    pub approved_by: String,
    /// The tracking reference (ticket, change request).
    #[arg(long)]
    pub ticket: String,
    /// The last day it applies (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", required_unless_present = "days")]
    pub expires: Option<String>,
    /// Or: it applies for this many days from today.
    #[arg(long, value_name = "N", conflicts_with = "expires")]
    pub days: Option<u32>,
    /// Only for packages whose purl matches this pattern (`pkg:pypi/urllib3`).
    #[arg(long)]
    pub purl: Option<String>,
    /// Only for packages read from files matching this glob.
    #[arg(long)]
    pub path: Option<String>,
    /// Only in this image (name, name:tag or digest).
    #[arg(long)]
    pub image: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// A `strata scan --format json` report: exceptions that match none of its findings
    /// are stale.
    #[arg(long, value_name = "FILE", env = "STRATA_SCAN_REPORT")]
    pub report: Option<PathBuf>,
}

fn path_of(file: &FileArgs) -> PathBuf {
    file.file
        .clone()
        .unwrap_or_else(|| PathBuf::from("strata.yaml"))
}

fn load(path: &Path) -> Result<Policy> {
    if !path.is_file() {
        bail!(
            "no exceptions file {}; create one with `strata exceptions add --file {}`",
            path.display(),
            path.display()
        );
    }
    Ok(strata_policy::load(path, FileKind::Policy)?)
}

pub fn run(cmd: ExceptionsCommand) -> Result<ExitCode> {
    match cmd {
        ExceptionsCommand::List(a) => list(&a),
        ExceptionsCommand::Add(a) => add(&a),
        ExceptionsCommand::Check(a) => check(&a),
    }
}

fn list(a: &ListArgs) -> Result<ExitCode> {
    let path = path_of(&a.file);
    let policy = load(&path)?;
    let today = today(a.file.now.as_deref())?;
    match a.format.as_str() {
        "json" => {
            let items: Vec<serde_json::Value> = policy
                .exceptions
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "id": e.id,
                        "purl": e.purl,
                        "path": e.path,
                        "image": e.image,
                        "justification": e.justification,
                        "approved_by": e.approved_by,
                        "ticket": e.ticket,
                        "expires": e.expires.to_string(),
                        "expired": e.is_expired(today),
                        "days_left": e.expires.days_since(today),
                        "source": e.source,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&items)?);
        }
        "table" => {
            if policy.exceptions.is_empty() {
                println!("no exceptions in {}", path.display());
            }
            for e in &policy.exceptions {
                let state = if e.is_expired(today) {
                    format!("EXPIRED on {}", e.expires)
                } else {
                    format!(
                        "active until {} ({} days left)",
                        e.expires,
                        e.expires.days_since(today)
                    )
                };
                let scope: Vec<String> =
                    [("purl", &e.purl), ("path", &e.path), ("image", &e.image)]
                        .iter()
                        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
                        .collect();
                println!(
                    "{}{}  {state}\n  approved by {} ({}): {}\n  at {}",
                    e.id,
                    if scope.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", scope.join(", "))
                    },
                    e.approved_by,
                    e.ticket,
                    e.justification,
                    e.source
                );
            }
        }
        other => bail!("unknown format {other:?}; expected table or json"),
    }
    Ok(ExitCode::SUCCESS)
}

fn add(a: &AddArgs) -> Result<ExitCode> {
    let path = path_of(&a.file);
    let today = today(a.file.now.as_deref())?;
    let expires = match (&a.expires, a.days) {
        (Some(s), _) => Date::parse(s)
            .filter(|_| s.trim().len() == 10)
            .ok_or_else(|| anyhow!("--expires {s:?} is not a date (YYYY-MM-DD)"))?,
        (None, Some(n)) => today.add_days(i64::from(n)),
        (None, None) => bail!("pass --expires DATE or --days N"),
    };
    if expires < today {
        bail!(
            "--expires {expires} is in the past (today is {today}); an exception must expire in the future"
        );
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let entry = NewException {
        id: a.id.clone(),
        justification: a.justification.clone(),
        approved_by: a.approved_by.clone(),
        ticket: a.ticket.clone(),
        expires,
        purl: a.purl.clone(),
        path: a.path.clone(),
        image: a.image.clone(),
    };
    let file = path.display().to_string();
    let new = strata_policy::edit::add_exception(text.as_deref(), &file, &entry)?;
    let mut out = Output::open(Some(&path))?;
    out.writer().write_all(new.as_bytes())?;
    out.finish()?;
    eprintln!(
        "added an exception for {} to {} (expires {expires})",
        a.id, file
    );
    Ok(ExitCode::SUCCESS)
}

fn check(a: &CheckArgs) -> Result<ExitCode> {
    let path = path_of(&a.file);
    let policy = load(&path)?;
    let today = today(a.file.now.as_deref())?;
    let mut bad = 0usize;
    for e in policy.exceptions.iter().filter(|e| e.is_expired(today)) {
        eprintln!(
            "{}: exception for {} expired on {}",
            e.source, e.id, e.expires
        );
        bad += 1;
    }
    if let Some(report_path) = &a.report {
        let text = std::fs::read_to_string(report_path)
            .with_context(|| format!("cannot read {}", report_path.display()))?;
        let report: ScanReport = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a strata scan JSON report (write one with `strata scan --format json`)",
                report_path.display()
            )
        })?;
        let ctx = strata_policy::Context::for_report(&report, today);
        for e in policy.exceptions.iter().filter(|e| !e.is_expired(today)) {
            if !report.findings.iter().any(|f| e.matches(f, &ctx.images)) {
                eprintln!(
                    "{}: exception for {} matches no finding (stale)",
                    e.source, e.id
                );
                bad += 1;
            }
        }
    }
    if bad > 0 {
        eprintln!("{bad} exception(s) need attention in {}", path.display());
        return Ok(ExitCode::from(1));
    }
    eprintln!(
        "{} exception(s) in {}: all current",
        policy.exceptions.len(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
