//! Errors of the vulnerability database.

use std::path::PathBuf;

/// Everything that can go wrong opening, building or querying the database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed.
    #[error("database {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The database directory has no current generation yet.
    #[error("no vulnerability database in {} (run `strata db update` or `strata db import`)", dir.display())]
    NoDatabase { dir: PathBuf },
    /// The database was written by an incompatible version of strata.
    #[error("database {} has schema version {found}, this strata reads {expected} (rebuild it with `strata db update`)", path.display())]
    Schema {
        path: PathBuf,
        found: String,
        expected: u32,
    },
    /// The database directory or its `CURRENT` file is damaged.
    #[error("database directory {}: {message}", dir.display())]
    Corrupt { dir: PathBuf, message: String },
    /// An input given to `import` cannot be read as a whole (not one record in it).
    #[error("{location}: {message}")]
    Input { location: String, message: String },
    /// A download failed.
    #[error("download {url}: {message}")]
    Download { url: String, message: String },
    /// `update --offline` or another offline rule forbids the network.
    #[error("offline: {0}")]
    Offline(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn sqlite(path: impl Into<PathBuf>, source: rusqlite::Error) -> Self {
        Error::Sqlite {
            path: path.into(),
            source,
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
