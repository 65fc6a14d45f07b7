use strata_types::{Distro, Package};

/// What a detector is given: one file's path and contents.
#[derive(Debug, Clone, Copy)]
pub struct DetectInput<'a> {
    /// Absolute path inside the image (`/var/lib/dpkg/status`).
    pub path: &'a str,
    pub contents: &'a [u8],
    /// The distribution, when one was detected; detectors use it for purls.
    pub distro: Option<&'a Distro>,
}

/// A detector's failure on one file. The scan reports it as a warning naming the file
/// and goes on with the other files.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    /// The file is not in the format the detector expects. `line` is 1-based where known.
    #[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Malformed {
        path: String,
        line: Option<usize>,
        message: String,
    },
    /// The file exceeds a size or count limit.
    #[error("{path}: {message}")]
    TooLarge { path: String, message: String },
}

impl DetectError {
    pub fn malformed(path: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        DetectError::Malformed {
            path: path.to_owned(),
            line,
            message: message.into(),
        }
    }
}

/// A package detector.
pub trait Detector: Send + Sync {
    /// A stable name, used in warnings and in the layer cache key.
    fn name(&self) -> &'static str;

    /// Bumped whenever the detector's output for the same input changes, so cached
    /// per-layer results are not reused across versions.
    fn version(&self) -> u32 {
        1
    }

    /// Whether this detector wants the file at `path`. Called for every file of every
    /// layer: must be cheap and must not allocate.
    fn wants(&self, path: &str) -> bool;

    /// The packages in one file.
    fn detect(&self, input: &DetectInput<'_>) -> Result<Vec<Package>, DetectError>;

    /// The packages in one file plus non-fatal problems (an entry skipped, a field
    /// ignored), each naming where it is. Detectors that can skip single entries
    /// override this; the catalog always calls it.
    fn detect_with_warnings(
        &self,
        input: &DetectInput<'_>,
    ) -> Result<(Vec<Package>, Vec<String>), DetectError> {
        self.detect(input).map(|p| (p, Vec::new()))
    }
}
