//! dpkg: `/var/lib/dpkg/status` and distroless images' `/var/lib/dpkg/status.d/*`.

use strata_types::purl::PurlBuilder;
use strata_types::{Location, Package, PackageType};

use super::stanza::parse_stanzas;
use crate::{DetectError, DetectInput, Detector};

const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_D: &str = "/var/lib/dpkg/status.d/";

/// Reads dpkg's package database.
#[derive(Debug, Default)]
pub struct DpkgDetector;

impl Detector for DpkgDetector {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn wants(&self, path: &str) -> bool {
        if path == STATUS {
            return true;
        }
        // Distroless writes one file per package; `.md5sums` beside them are file lists.
        match path.strip_prefix(STATUS_D) {
            Some(name) => !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums"),
            None => false,
        }
    }

    fn detect(&self, input: &DetectInput<'_>) -> Result<Vec<Package>, DetectError> {
        self.detect_with_warnings(input).map(|(p, _)| p)
    }

    fn detect_with_warnings(
        &self,
        input: &DetectInput<'_>,
    ) -> Result<(Vec<Package>, Vec<String>), DetectError> {
        let text = std::str::from_utf8(input.contents).map_err(|e| {
            DetectError::malformed(
                input.path,
                Some(line_of(input.contents, e.valid_up_to())),
                "not valid UTF-8",
            )
        })?;
        let stanzas = parse_stanzas(text, true)
            .map_err(|e| DetectError::malformed(input.path, Some(e.line), e.message))?;
        let namespace = input.distro.map(|d| d.id.as_str()).unwrap_or("debian");
        let distro_qualifier = input.distro.map(|d| d.purl_qualifier()).unwrap_or_default();
        let mut packages = Vec::with_capacity(stanzas.len());
        let mut warnings = Vec::new();
        for stanza in &stanzas {
            let Some(name) = stanza.get("Package").filter(|n| !n.is_empty()) else {
                warnings.push(format!(
                    "{}:{}: entry without a Package field skipped",
                    input.path, stanza.line
                ));
                continue;
            };
            if !files_present(stanza.get("Status"), input.path != STATUS) {
                continue;
            }
            let Some(version) = stanza.get("Version").filter(|v| !v.is_empty()) else {
                warnings.push(format!(
                    "{}:{}: package {name} has no Version; skipped",
                    input.path, stanza.line
                ));
                continue;
            };
            let arch = stanza.get("Architecture").filter(|a| !a.is_empty());
            let (source_name, source_version) = match stanza.get("Source") {
                Some(src) if !src.is_empty() => parse_source(src, version),
                _ => (name, version),
            };
            let mut purl = PurlBuilder::new("deb", name)
                .namespace(namespace)
                .version(version)
                .qualifier("distro", distro_qualifier.clone());
            if let Some(a) = arch {
                purl = purl.qualifier("arch", a);
            }
            if source_name != name {
                purl = purl.qualifier("upstream", source_name);
            }
            packages.push(Package {
                package_type: PackageType::Deb,
                name: name.to_owned(),
                version: version.to_owned(),
                arch: arch.map(str::to_owned),
                source_name: Some(source_name.to_owned()),
                source_version: Some(source_version.to_owned()),
                licenses: Vec::new(),
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

/// Whether dpkg's `Status:` says the package's files are on disk. The third word is
/// the state; `not-installed` and `config-files` leave no programs behind. In the main
/// database an entry without Status is not installed (dpkg-query agrees); distroless
/// `status.d` files carry no Status at all, and every entry there is installed.
fn files_present(status: Option<&str>, distroless: bool) -> bool {
    let Some(status) = status else {
        return distroless;
    };
    match status.split_whitespace().nth(2) {
        Some("not-installed" | "config-files") => false,
        Some(_) => true,
        None => true,
    }
}

/// `Source: name (version)` or `Source: name`; without its own version the source
/// version equals the binary version (Debian policy 5.6.1).
fn parse_source<'a>(source: &'a str, version: &'a str) -> (&'a str, &'a str) {
    match source.split_once('(') {
        Some((name, rest)) => {
            let v = rest.trim_end().trim_end_matches(')').trim();
            (name.trim(), if v.is_empty() { version } else { v })
        }
        None => (source.trim(), version),
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes
        .get(..offset)
        .map_or(1, |b| b.iter().filter(|&&c| c == b'\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_types::Distro;

    fn debian12() -> Distro {
        Distro {
            id: "debian".into(),
            version_id: "12".into(),
            source_file: "/etc/os-release".into(),
            ..Distro::default()
        }
    }

    fn run(text: &str) -> (Vec<Package>, Vec<String>) {
        let d = debian12();
        DpkgDetector
            .detect_with_warnings(&DetectInput {
                path: STATUS,
                contents: text.as_bytes(),
                distro: Some(&d),
            })
            .unwrap()
    }

    #[test]
    fn wants_status_and_distroless_files_only() {
        let d = DpkgDetector;
        assert!(d.wants("/var/lib/dpkg/status"));
        assert!(d.wants("/var/lib/dpkg/status.d/libc6"));
        assert!(!d.wants("/var/lib/dpkg/status.d/libc6.md5sums"));
        assert!(!d.wants("/var/lib/dpkg/status-old"));
        assert!(!d.wants("/var/lib/dpkg/status.d/"));
        assert!(!d.wants("/var/lib/dpkg/status.d/x/y"));
    }

    #[test]
    fn source_with_and_without_version() {
        let (pkgs, warnings) = run(
            "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\n\n\
             Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nSource: zlib (1.2.13.dfsg-1)\n\n\
             Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\n",
        );
        assert!(warnings.is_empty());
        let rows: Vec<_> = pkgs
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.source_name.as_deref().unwrap(),
                    p.source_version.as_deref().unwrap(),
                    p.purl.as_str(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                (
                    "libc6",
                    "2.36-9+deb12u4",
                    "glibc",
                    "2.36-9+deb12u4",
                    "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"
                ),
                (
                    "zlib1g",
                    "1:1.2.13.dfsg-1",
                    "zlib",
                    "1.2.13.dfsg-1",
                    "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib"
                ),
                (
                    "bash",
                    "5.2.15-2+b2",
                    "bash",
                    "5.2.15-2+b2",
                    "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12"
                ),
            ]
        );
    }

    #[test]
    fn status_states() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1\n\n\
                    Package: b\nStatus: deinstall ok config-files\nVersion: 1\n\n\
                    Package: c\nStatus: purge ok not-installed\nVersion: 1\n\n\
                    Package: d\nStatus: install ok unpacked\nVersion: 1\n\n\
                    Package: e\nVersion: 1\n";
        let names: Vec<_> = run(text).0.into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["a", "d"]);
    }

    #[test]
    fn missing_version_is_a_warning_with_line() {
        let (pkgs, warnings) = run(
            "Package: foo\nStatus: install ok installed\n\nPackage: bar\nStatus: install ok installed\nVersion: 2\n",
        );
        assert_eq!(pkgs.len(), 1);
        assert_eq!(
            warnings,
            ["/var/lib/dpkg/status:1: package foo has no Version; skipped"]
        );
    }

    #[test]
    fn garbage_is_an_error_with_line() {
        let d = debian12();
        let err = DpkgDetector
            .detect(&DetectInput {
                path: STATUS,
                contents: b"Package: a\nVersion: 1\n\nasdf\n",
                distro: Some(&d),
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "/var/lib/dpkg/status:4: expected `Field: value`, found \"asdf\""
        );
        let err = DpkgDetector
            .detect(&DetectInput {
                path: STATUS,
                contents: b"Package: a\n\xff\n",
                distro: None,
            })
            .unwrap_err();
        assert_eq!(err.to_string(), "/var/lib/dpkg/status:2: not valid UTF-8");
    }
}
