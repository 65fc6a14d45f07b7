use serde::{Deserialize, Serialize};

/// The operating system an image is built on, as read from `/etc/os-release`
/// or one of the older release files.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distro {
    /// `ID` from os-release, lowercased: `debian`, `ubuntu`, `alpine`, `rhel`, ...
    pub id: String,
    /// `VERSION_ID`: `12`, `22.04`, `3.19.1`. Empty when the release file has none (Debian sid).
    pub version_id: String,
    /// `VERSION_CODENAME` where present: `bookworm`, `jammy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// `ID_LIKE`, split on spaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// `PRETTY_NAME`, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// The file this was read from, inside the image.
    pub source_file: String,
}

impl Distro {
    /// The purl `distro` qualifier as syft and trivy write it: `debian-12`, `alpine-3.19.1`.
    pub fn purl_qualifier(&self) -> String {
        if self.version_id.is_empty() {
            self.id.clone()
        } else {
            format!("{}-{}", self.id, self.version_id)
        }
    }
}
