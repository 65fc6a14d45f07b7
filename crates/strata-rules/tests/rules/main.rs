//! Integration tests for strata-rules.
#![allow(clippy::unwrap_used)]

mod docs;
mod falco_files;
mod k8s_audit;
mod replay_cli;
mod scenarios;
mod semantics;

use std::path::PathBuf;

/// The Falco data folder, or `None` (test skipped outside CI).
pub fn falco_dir() -> Option<PathBuf> {
    let d = strata_testkit::data_dir()?.join("falco");
    if d.is_dir() {
        Some(d)
    } else {
        strata_testkit::skip_or_fail(&format!("{} is missing", d.display()));
        None
    }
}
