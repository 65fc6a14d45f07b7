//! Quality gates over scan findings: the policy file (`strata.yaml`), exceptions that
//! expire, and VEX documents in.
//!
//! [`policy::parse`] reads a policy or exceptions file, [`vex::parse_vex`] an OpenVEX,
//! CycloneDX or CSAF document, and [`evaluate`] applies both to a
//! [`strata_types::ScanReport`]: it marks suppressed findings (never removing them), the
//! findings that fail the gate and why, and lists expired and stale exceptions.
//! [`edit::add_exception`] appends an exception to a file, keeping its comments.

pub mod date;
pub mod edit;
mod eval;
pub mod glob;
pub mod policy;
mod reader;
pub mod vex;
use strata_yaml as yaml;

pub use date::Date;
pub use eval::{Context, evaluate, gate_reason};
pub use policy::{Exception, FileKind, KevAction, Matcher, Policy, Rule, Settings};
pub use vex::{VexDocument, VexStatement, VexStatus, parse_vex};

/// Why a policy, exceptions or VEX file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file is wrong at this position.
    #[error("{file}:{line}:{col}: {message}\n  hint: {hint}")]
    Invalid {
        file: String,
        line: usize,
        col: usize,
        message: String,
        hint: String,
    },
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

/// Reads a policy or exceptions file from disk.
pub fn load(path: &std::path::Path, kind: FileKind) -> Result<Policy, PolicyError> {
    let file = path.display().to_string();
    let text = read(path, policy::MAX_FILE_SIZE)?;
    policy::parse(&text, &file, kind)
}

/// Reads a VEX document from disk.
pub fn load_vex(path: &std::path::Path) -> Result<VexDocument, PolicyError> {
    let file = path.display().to_string();
    let text = read(path, vex::MAX_VEX_SIZE)?;
    parse_vex(&text, &file)
}

fn read(path: &std::path::Path, max: usize) -> Result<String, PolicyError> {
    use std::io::Read;
    let file = path.display().to_string();
    let io = |source| PolicyError::Io {
        file: file.clone(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let mut buf = Vec::new();
    // One byte past the limit tells "too large" from "exactly the limit".
    f.take(max as u64 + 1).read_to_end(&mut buf).map_err(io)?;
    if buf.len() > max {
        return Err(PolicyError::Invalid {
            file,
            line: 1,
            col: 1,
            message: format!("larger than {} MiB", max >> 20),
            hint: "is this the right file?".into(),
        });
    }
    String::from_utf8(buf).map_err(|e| {
        let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        PolicyError::Invalid {
            file: file.clone(),
            line,
            col,
            message: "not UTF-8 text".into(),
            hint: "save the file as UTF-8".into(),
        }
    })
}

/// Fuzz entry point: policy and exceptions files never panic.
pub fn fuzz_policy(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = policy::parse(s, "fuzz.yaml", FileKind::Policy);
        let _ = policy::parse(s, "fuzz.yaml", FileKind::Exceptions);
        let entry = edit::NewException {
            id: "CVE-1".into(),
            justification: "j".into(),
            approved_by: "a".into(),
            ticket: "t".into(),
            expires: Date::from_unix(0),
            purl: None,
            path: None,
            image: None,
        };
        let _ = edit::add_exception(Some(s), "fuzz.yaml", &entry);
    }
}

/// Fuzz entry point: VEX documents never panic.
pub fn fuzz_vex(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_vex(s, "fuzz.json");
    }
}
