//! Errors of sink specs and sink set-up.

use std::path::PathBuf;

/// Everything that can go wrong parsing a `--sink` spec or starting a sink.
///
/// Delivery failures of a running sink are not errors of the caller: they are counted in
/// the sink's [`crate::SinkStats`] (with the last message in
/// [`crate::SinkStats::last_error`]).
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A `--sink` spec (or a `--rate-limit` value) could not be understood. `part` is the
    /// kind of sink or the option at fault, never the whole spec (headers may hold secrets).
    #[error("invalid {part}: {message}")]
    Spec { part: String, message: String },
    /// A file or directory could not be opened or created.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The spool directory is used by another running sink.
    #[error("{path}: spool directory is in use by another process")]
    SpoolLocked { path: PathBuf },
    /// A sink's thread could not be started.
    #[error("starting the thread of sink {name}: {source}")]
    Thread {
        name: String,
        #[source]
        source: std::io::Error,
    },
    /// A network address could not be resolved or a socket could not be opened.
    #[error("{target}: {source}")]
    Net {
        target: String,
        #[source]
        source: std::io::Error,
    },
}

impl SinkError {
    pub(crate) fn spec(part: impl Into<String>, message: impl Into<String>) -> SinkError {
        SinkError::Spec {
            part: part.into(),
            message: message.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> SinkError {
        SinkError::Io {
            path: path.into(),
            source,
        }
    }
}
