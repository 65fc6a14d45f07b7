//! Errors of loading and reading the probe.

use thiserror::Error;

/// Why the probe could not be loaded or read. Each message says what failed and, where
/// there is one, the usual fix.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// This build cannot load the probe (e.g. it was built without the `probe` feature).
    #[error("eBPF probe unsupported: {0}")]
    Unsupported(String),
    /// Invalid [`crate::ProbeOptions`].
    #[error("invalid probe options: {0}")]
    Options(String),
    /// A prerequisite of the running system is missing (tracefs, BTF, privileges).
    #[error("{what}; hint: {hint}")]
    Environment { what: String, hint: String },
    /// Creating the maps or relocating the object failed.
    #[error("loading the eBPF object failed: {}; hint: {hint}", chain(source.as_ref()))]
    Load {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
        hint: String,
    },
    /// The verifier rejected a program.
    #[error("program {program} rejected by the verifier ({errno}); verifier log tail:\n{log_tail}")]
    Verifier {
        program: String,
        errno: String,
        log_tail: String,
    },
    /// Attaching a program to its tracepoint failed.
    #[error(
        "attaching {program} to tracepoint {tracepoint} failed: {}; hint: {hint}",
        chain(source.as_ref())
    )]
    Attach {
        program: String,
        tracepoint: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
        hint: String,
    },
    /// A map of the object is missing or could not be read or written.
    #[error("eBPF map {map}: {}", chain(source.as_ref()))]
    Map {
        map: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A system call of the reader failed.
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// The hint for a permission error.
#[cfg(feature = "probe")]
pub(crate) const HINT_PRIVILEGES: &str =
    "run as root (or with CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE)";

/// An error and its sources, joined with `: ` (aya's errors keep the errno in a source).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}
