//! Pulling images over the OCI Distribution API.

/// Errors talking to a registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("registry {registry}: {message}")]
    Protocol { registry: String, message: String },
}
