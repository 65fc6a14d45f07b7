//! The library side of `strata rules validate|list` and `strata replay`: plain functions
//! returning text, so the binary stays thin and the behaviour is testable.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::engine::{RuleSet, Selector};
use crate::loader::{Diagnostic, LoadResult, Severity, load_files};
use crate::replay::{self, AlertFormat, ReplayError, ReplayStats};

/// Renders one diagnostic with the offending source line and a caret, cargo-style.
pub fn render_diagnostic(d: &Diagnostic) -> String {
    let mut s = String::new();
    let sev = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let code = serde_json::to_value(d.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let num = d.line.to_string();
    let pad = " ".repeat(num.len());
    let _ = writeln!(s, "{sev}[{code}]: {}", d.message);
    let _ = writeln!(s, "{pad}--> {}:{}:{}", d.file, d.line, d.col);
    if d.line > 0
        && let Some(text) = std::fs::read_to_string(&d.file)
            .ok()
            .and_then(|src| src.lines().nth(d.line - 1).map(str::to_string))
    {
        let _ = writeln!(s, "{pad} |");
        let _ = writeln!(s, "{num} | {text}");
        let _ = writeln!(s, "{pad} | {}^", " ".repeat(d.col.saturating_sub(1)));
    }
    if let Some(item) = &d.item {
        let _ = writeln!(s, "{pad} = in {item}");
    }
    if let Some(h) = &d.hint {
        let _ = writeln!(s, "{pad} = hint: {h}");
    }
    s
}

/// The result of `strata rules validate`.
#[derive(Debug)]
pub struct Validation {
    /// The load result.
    pub result: LoadResult,
    /// Human-readable report.
    pub report: String,
}

/// Loads the files and renders every diagnostic plus a summary line.
pub fn validate(files: &[PathBuf]) -> Validation {
    let result = load_files(files);
    let mut report = String::new();
    for d in &result.diagnostics {
        report.push_str(&render_diagnostic(d));
        report.push('\n');
    }
    let errors = result.errors().count();
    let warnings = result.warnings().count();
    let _ = writeln!(
        report,
        "{}: {} rules, {errors} error(s), {warnings} warning(s)",
        if errors == 0 { "ok" } else { "invalid" },
        result.ruleset.rules().len()
    );
    Validation { result, report }
}

/// The event types a rule can match, as a list, or as the complement when that is
/// shorter (`all but execve,open`), so a negated condition stays readable.
fn event_type_list(types: &[&str]) -> String {
    let all = crate::evttypes::EVENT_TYPES;
    let excluded: Vec<&str> = all.iter().copied().filter(|e| !types.contains(e)).collect();
    if excluded.len() < types.len() {
        format!("(all but {})", excluded.join(","))
    } else {
        types.join(",")
    }
}

/// Renders `strata rules list`: one line per rule with priority, source, state and the
/// event types it can match.
pub fn list(result: &LoadResult) -> String {
    let mut s = String::new();
    for r in result.ruleset.rules() {
        let types = match r.event_types() {
            _ if r.source != "syscall" => format!("({} events)", r.source),
            None => "(all)".to_string(),
            Some(t) => event_type_list(&t),
        };
        let _ = writeln!(
            s,
            "{}\t{}\t{}\t{}\t{}",
            r.name,
            r.priority.name(),
            r.source,
            if r.enabled { "enabled" } else { "disabled" },
            types
        );
    }
    s
}

/// Options of `strata replay`.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Rule files, loaded in order.
    pub rules: Vec<PathBuf>,
    /// Alert format.
    pub format: AlertFormat,
    /// Rules to disable (names or wildcards).
    pub disable: Vec<String>,
    /// Tags to disable.
    pub disable_tags: Vec<String>,
    /// When not empty, only rules with one of these tags run (Falco's `-t`).
    pub only_tags: Vec<String>,
    /// Rules to enable (names or wildcards), after the disabling: rules a file ships
    /// with `enabled: false` can be switched on.
    pub enable: Vec<String>,
}

impl ReplayOptions {
    /// Applies the selections in a fixed order: `only_tags`, then disabling by tag and
    /// name, then enabling by name (an explicit enable wins).
    pub fn select(&self, rs: &mut RuleSet) {
        if !self.only_tags.is_empty() {
            rs.set_enabled(&Selector::Name("*".to_owned()), false);
            for t in &self.only_tags {
                rs.set_enabled(&Selector::Tag(t.clone()), true);
            }
        }
        for t in &self.disable_tags {
            rs.set_enabled(&Selector::Tag(t.clone()), false);
        }
        for d in &self.disable {
            rs.set_enabled(&Selector::Name(d.clone()), false);
        }
        for e in &self.enable {
            rs.set_enabled(&Selector::Name(e.clone()), true);
        }
    }
}

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayFailure {
    /// The rules did not load.
    #[error("rules failed to load:\n{0}")]
    Rules(String),
    /// The events file could not be opened.
    #[error("{path}: {source}")]
    Open {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Bad events or output failure.
    #[error("{path}: {source}")]
    Replay {
        /// The events file.
        path: PathBuf,
        /// The error.
        source: ReplayError,
    },
}

/// Loads rules, replays an events file, writes alerts to `out`.
pub fn replay_file<W: std::io::Write>(
    events: &Path,
    opts: &ReplayOptions,
    out: &mut W,
) -> Result<ReplayStats, ReplayFailure> {
    let v = validate(&opts.rules);
    if !v.result.ok() {
        return Err(ReplayFailure::Rules(v.report));
    }
    let mut rs = v.result.ruleset;
    opts.select(&mut rs);
    let f = std::fs::File::open(events).map_err(|source| ReplayFailure::Open {
        path: events.to_path_buf(),
        source,
    })?;
    replay::replay(&rs, std::io::BufReader::new(f), out, opts.format).map_err(|source| {
        ReplayFailure::Replay {
            path: events.to_path_buf(),
            source,
        }
    })
}
