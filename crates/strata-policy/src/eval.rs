//! Applying a policy, its exceptions and VEX statements to a scan report.

use strata_types::{
    ExceptionNote, Finding, FixState, PolicyOutcome, ScanReport, SuppressedBy, Suppression,
};

use crate::date::Date;
use crate::policy::{Exception, KevAction, Policy};
use crate::vex::VexDocument;

/// What the evaluation needs from outside: the date (injectable for tests) and the
/// names and digests the scanned image goes by.
#[derive(Clone, Debug)]
pub struct Context {
    pub today: Date,
    pub images: Vec<String>,
}

impl Context {
    /// The image names and digests of the report's target, for exception `image:` scopes.
    pub fn for_report(report: &ScanReport, today: Date) -> Context {
        let t = &report.sbom.target;
        let mut images = vec![t.reference.clone()];
        images.extend(t.repo_tags.iter().cloned());
        images.extend(t.image_id.iter().map(|d| d.to_string()));
        images.extend(t.manifest_digest.iter().map(|d| d.to_string()));
        Context { today, images }
    }
}

fn note(e: &Exception) -> ExceptionNote {
    ExceptionNote {
        id: e.id.clone(),
        source: e.source.clone(),
        expires: Some(e.expires.to_string()),
        approved_by: Some(e.approved_by.clone()),
        ticket: Some(e.ticket.clone()),
    }
}

/// Sets each finding's `suppressed`, `vex` and `gate_failure`, and returns the verdict.
/// Suppressed findings stay in the report.
pub fn evaluate(
    report: &mut ScanReport,
    policy: &Policy,
    vex: &[VexDocument],
    ctx: &Context,
) -> PolicyOutcome {
    let mut used = vec![false; policy.exceptions.len()];
    let mut failures = Vec::new();
    for f in &mut report.findings {
        f.suppressed = None;
        f.vex = None;
        f.gate_failure = None;
        let mut expired: Option<&Exception> = None;
        for (i, e) in policy.exceptions.iter().enumerate() {
            if !e.matches(f, &ctx.images) {
                continue;
            }
            used[i] = true;
            if e.is_expired(ctx.today) {
                expired.get_or_insert(e);
                continue;
            }
            if f.suppressed.is_none() {
                f.suppressed = Some(Suppression {
                    by: SuppressedBy::Exception,
                    id: e.id.clone(),
                    source: Some(e.source.clone()),
                    reason: e.vex_justification.clone(),
                    justification: e.justification.clone(),
                    approved_by: Some(e.approved_by.clone()),
                    ticket: Some(e.ticket.clone()),
                    expires: Some(e.expires.to_string()),
                });
            }
        }
        if f.suppressed.is_none() {
            crate::vex::apply(f, vex);
        }
        if f.suppressed.is_some() {
            continue;
        }
        if let Some(reason) = gate_reason(f, policy, ctx.today) {
            let reason = match expired {
                Some(e) => format!(
                    "{reason}; the exception for {} ({}) expired on {}",
                    e.id, e.source, e.expires
                ),
                None => reason,
            };
            f.gate_failure = Some(reason);
        }
    }
    for (sev, max) in &policy.max {
        let n = report
            .active()
            .filter(|f| f.severity == *sev && !policy.settings_for(f).0.ignore.unwrap_or(false))
            .count();
        if n > *max {
            failures.push(format!(
                "{n} {sev} finding(s), more than `max: {{{sev}: {max}}}`"
            ));
        }
    }
    let expired_exceptions = policy
        .exceptions
        .iter()
        .filter(|e| e.is_expired(ctx.today))
        .map(note)
        .collect();
    let stale_exceptions = policy
        .exceptions
        .iter()
        .zip(&used)
        .filter(|(e, used)| !**used && !e.is_expired(ctx.today))
        .map(|(e, _)| note(e))
        .collect();
    let any_failing = report.findings.iter().any(|f| f.gate_failure.is_some());
    PolicyOutcome {
        passed: failures.is_empty() && !any_failing,
        policy_file: policy.file.clone(),
        evaluated_on: ctx.today.to_string(),
        failures,
        expired_exceptions,
        stale_exceptions,
    }
}

/// Why `f` fails the gate under `policy`, or `None` when it passes.
pub fn gate_reason(f: &Finding, policy: &Policy, today: Date) -> Option<String> {
    let (settings, rule) = policy.settings_for(f);
    let by = match rule {
        Some(r) => format!(" (rule at {})", r.source),
        None => String::new(),
    };
    if settings.ignore.unwrap_or(false) {
        return None;
    }
    if f.known_exploited && policy.kev == KevAction::Fail {
        return Some("known exploited (KEV), which always fails (`kev: fail`)".to_owned());
    }
    let threshold = settings.fail_on?;
    if f.severity < threshold {
        return None;
    }
    let fixed = f.fix_state == FixState::Fixed;
    if settings.only_fixed.unwrap_or(false) && !fixed {
        return None;
    }
    let mut reason = format!("{} is at or above `fail_on: {threshold}`{by}", f.severity);
    if let Some(grace) = settings.grace_days.filter(|g| *g > 0) {
        // A grace period runs from the fix: without a fix there is nothing to apply yet.
        if !fixed {
            return None;
        }
        match f.fix_published.as_deref().and_then(Date::parse) {
            Some(since) => {
                let age = today.days_since(since);
                if age <= i64::from(grace) {
                    return None;
                }
                reason.push_str(&format!(
                    ", and the fix has been available for {age} days (since {since}), more than `grace_days: {grace}`"
                ));
            }
            // Without a date the grace period cannot be shown to still run.
            None => reason.push_str(&format!(
                ", and the date of the fix is unknown, so `grace_days: {grace}` cannot apply"
            )),
        }
    }
    Some(reason)
}
