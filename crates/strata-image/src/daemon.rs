//! Exporting images from a Docker Engine over its API.

/// Errors talking to the Docker daemon.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("docker daemon at {endpoint}: {message}")]
    Api { endpoint: String, message: String },
}
