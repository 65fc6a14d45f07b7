//! apk: Alpine's `/lib/apk/db/installed` (also used by Wolfi and Chainguard images).

use strata_types::purl::PurlBuilder;
use strata_types::{Location, Package, PackageType};

use super::stanza::parse_stanzas;
use crate::{DetectError, DetectInput, Detector};

const INSTALLED: &str = "/lib/apk/db/installed";

/// Reads apk's installed-package database.
#[derive(Debug, Default)]
pub struct ApkDetector;

impl Detector for ApkDetector {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn wants(&self, path: &str) -> bool {
        path == INSTALLED
    }

    fn detect(&self, input: &DetectInput<'_>) -> Result<Vec<Package>, DetectError> {
        self.detect_with_warnings(input).map(|(p, _)| p)
    }

    fn detect_with_warnings(
        &self,
        input: &DetectInput<'_>,
    ) -> Result<(Vec<Package>, Vec<String>), DetectError> {
        let text = std::str::from_utf8(input.contents)
            .map_err(|_| DetectError::malformed(input.path, None, "not valid UTF-8"))?;
        let stanzas = parse_stanzas(text, false)
            .map_err(|e| DetectError::malformed(input.path, Some(e.line), e.message))?;
        let namespace = input.distro.map(|d| d.id.as_str()).unwrap_or("alpine");
        let distro_qualifier = input.distro.map(|d| d.purl_qualifier()).unwrap_or_default();
        let mut packages = Vec::with_capacity(stanzas.len());
        let mut warnings = Vec::new();
        for stanza in &stanzas {
            let (Some(name), Some(version)) = (
                stanza.get("P").filter(|s| !s.is_empty()),
                stanza.get("V").filter(|s| !s.is_empty()),
            ) else {
                warnings.push(format!(
                    "{}:{}: entry without P: (name) or V: (version) skipped",
                    input.path, stanza.line
                ));
                continue;
            };
            let arch = stanza.get("A").filter(|s| !s.is_empty());
            // The origin is the aports directory the package was built from; Alpine's
            // secdb and OSV records are keyed by it. Without one, the name stands in.
            let origin = stanza.get("o").filter(|s| !s.is_empty()).unwrap_or(name);
            let licenses = stanza
                .get("L")
                .filter(|s| !s.is_empty())
                .map(|l| vec![l.to_owned()])
                .unwrap_or_default();
            let mut purl = PurlBuilder::new("apk", name)
                .namespace(namespace)
                .version(version)
                .qualifier("distro", distro_qualifier.clone());
            if let Some(a) = arch {
                purl = purl.qualifier("arch", a);
            }
            if origin != name {
                purl = purl.qualifier("upstream", origin);
            }
            packages.push(Package {
                package_type: PackageType::Apk,
                name: name.to_owned(),
                version: version.to_owned(),
                arch: arch.map(str::to_owned),
                source_name: Some(origin.to_owned()),
                source_version: Some(version.to_owned()),
                licenses,
                purl: purl.build(),
                layer_diff_id: None,
                locations: vec![Location {
                    path: input.path.to_owned(),
                    layer_diff_id: None,
                }],
                rpm: None,
                dev: false,
            });
        }
        Ok((packages, warnings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_and_purl() {
        let text = "C:Q1\nP:libcrypto3\nV:3.1.4-r1\nA:x86_64\nL:Apache-2.0\no:openssl\nF:lib\nR:libcrypto.so.3\n\n\
                    P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n";
        let pkgs = ApkDetector
            .detect(&DetectInput {
                path: INSTALLED,
                contents: text.as_bytes(),
                distro: None,
            })
            .unwrap();
        let rows: Vec<_> = pkgs
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.source_name.as_deref().unwrap(),
                    p.purl.as_str(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "libcrypto3",
                    "openssl",
                    "pkg:apk/alpine/libcrypto3@3.1.4-r1?arch=x86_64&upstream=openssl"
                ),
                ("musl", "musl", "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64"),
            ]
        );
        assert_eq!(pkgs[0].licenses, ["Apache-2.0"]);
    }

    #[test]
    fn entry_without_version_is_a_warning() {
        let (pkgs, warnings) = ApkDetector
            .detect_with_warnings(&DetectInput {
                path: INSTALLED,
                contents: b"P:a\nV:1-r0\n\nP:b\nA:x86_64\n",
                distro: None,
            })
            .unwrap();
        assert_eq!(pkgs.len(), 1);
        assert_eq!(
            warnings,
            ["/lib/apk/db/installed:4: entry without P: (name) or V: (version) skipped"]
        );
    }
}
