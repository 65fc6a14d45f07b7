//! Rust binaries built with `cargo auditable`: the `.dep-v0` ELF section holds the
//! zlib-compressed JSON dependency list (`{"packages": [{"name", "version", "source",
//! "kind", "dependencies", "root"}]}`).
//!
//! Reported: every package compiled into the binary, the root crate included, as
//! `pkg:cargo/<name>@<version>`. Packages of `"kind": "build"` (build-dependencies,
//! compiled only into build scripts and proc-macros' hosts, not into the binary) are
//! left out, as syft and cargo-audit's binary mode do. The decompressed JSON is capped at
//! [`MAX_AUDIT_JSON`]: a larger one (a zip bomb in the section) is an error.

use std::collections::HashSet;
use std::io::Read;

use serde::Deserialize;
use strata_types::PackageType;

use super::binary::MAX_BINARY_SIZE;
use super::binary::elf::{self, Elf};
use super::binary::is_executable_location;
use super::{Entries, LangEntry, check_count, to_packages};
use crate::{DetectError, DetectInput, Detector};

/// The largest decompressed `.dep-v0` accepted.
pub const MAX_AUDIT_JSON: u64 = 8 * 1024 * 1024;

/// The section cargo-auditable writes.
pub const AUDIT_SECTION: &str = ".dep-v0";

/// Rust executables (ELF) built with cargo-auditable, in the usual install locations;
/// see [`is_executable_location`](super::binary::is_executable_location).
#[derive(Debug, Default)]
pub struct RustAuditDetector;

impl Detector for RustAuditDetector {
    fn name(&self) -> &'static str {
        "rust-cargo-auditable"
    }

    fn wants(&self, path: &str) -> bool {
        is_executable_location(path)
    }

    fn detect(&self, input: &DetectInput<'_>) -> Result<Vec<strata_types::Package>, DetectError> {
        self.detect_with_warnings(input).map(|(p, _)| p)
    }

    fn detect_with_warnings(
        &self,
        input: &DetectInput<'_>,
    ) -> Result<(Vec<strata_types::Package>, Vec<String>), DetectError> {
        to_packages(input, rust_audit_entries(input))
    }
}

/// One package of the dependency list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuditPackage {
    pub name: String,
    pub version: String,
    /// `crates.io`, `local`, `git`, `registry` or another string.
    #[serde(default)]
    pub source: Option<String>,
    /// `runtime` (the default when absent) or `build`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub dependencies: Vec<usize>,
    #[serde(default)]
    pub root: bool,
}

#[derive(Debug, Deserialize)]
struct AuditInfo {
    packages: Vec<AuditPackage>,
}

/// The dependency list of an ELF file built with cargo-auditable; `Ok(None)` when the
/// file is not ELF or has no `.dep-v0` section.
pub fn read_audit_data(path: &str, data: &[u8]) -> Result<Option<Vec<AuditPackage>>, DetectError> {
    if !elf::is_elf(data) {
        return Ok(None);
    }
    // A file whose headers cannot be read has no section to find: not our format.
    let Ok(elf) = Elf::parse(data) else {
        return Ok(None);
    };
    let Some(section) = elf.section(AUDIT_SECTION) else {
        return Ok(None);
    };
    let at = section.offset;
    let err = |m: String| {
        DetectError::malformed(
            path,
            None,
            format!("section {AUDIT_SECTION} at offset {at:#x}: {m}"),
        )
    };
    let compressed = elf.section_data(section).map_err(|e| err(e.message))?;
    let json = inflate(compressed).map_err(|e| match e {
        Inflate::TooLarge => DetectError::TooLarge {
            path: path.to_owned(),
            message: format!(
                "section {AUDIT_SECTION} at offset {at:#x} decompresses to more than {MAX_AUDIT_JSON} bytes"
            ),
        },
        Inflate::Corrupt(m) => err(format!("not zlib data: {m}")),
    })?;
    let info: AuditInfo = serde_json::from_slice(&json).map_err(|e| {
        err(format!(
            "invalid JSON at line {} column {} of the decompressed data: {e}",
            e.line(),
            e.column()
        ))
    })?;
    for (i, p) in info.packages.iter().enumerate() {
        if let Some(d) = p.dependencies.iter().find(|&&d| d >= info.packages.len()) {
            return Err(err(format!(
                "packages[{i}] ({}) depends on packages[{d}], which does not exist",
                p.name
            )));
        }
    }
    Ok(Some(info.packages))
}

enum Inflate {
    TooLarge,
    Corrupt(String),
}

fn inflate(data: &[u8]) -> Result<Vec<u8>, Inflate> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(data)
        .take(MAX_AUDIT_JSON + 1)
        .read_to_end(&mut out)
        .map_err(|e| Inflate::Corrupt(e.to_string()))?;
    if out.len() as u64 > MAX_AUDIT_JSON {
        return Err(Inflate::TooLarge);
    }
    Ok(out)
}

/// The packages of one cargo-auditable binary.
pub(crate) fn rust_audit_entries(input: &DetectInput<'_>) -> Entries {
    if !elf::is_elf(input.contents) {
        return Ok((Vec::new(), Vec::new()));
    }
    if input.contents.len() > MAX_BINARY_SIZE {
        return Err(DetectError::TooLarge {
            path: input.path.to_owned(),
            message: format!(
                "{} bytes is over the {MAX_BINARY_SIZE} byte limit for binaries",
                input.contents.len()
            ),
        });
    }
    let Some(packages) = read_audit_data(input.path, input.contents)? else {
        return Ok((Vec::new(), Vec::new()));
    };
    check_count(input, packages.len())?;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    for (i, p) in packages.iter().enumerate() {
        if p.kind.as_deref() == Some("build") {
            continue;
        }
        if p.name.is_empty() || p.version.is_empty() {
            warnings.push(format!(
                "{}: section {AUDIT_SECTION}: packages[{i}] has an empty name or version; skipped",
                input.path
            ));
            continue;
        }
        if seen.insert((p.name.as_str(), p.version.as_str())) {
            entries.push(LangEntry::new(PackageType::Cargo, &p.name, &p.version));
        }
    }
    Ok((entries, warnings))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;
    use crate::lang::binary::elfwrite::{ElfSpec, build_elf};

    pub(crate) fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    pub(crate) const JSON: &str = r#"{"packages":[{"name":"hello","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},{"name":"itoa","version":"1.0.15","source":"crates.io"},{"name":"cc","version":"1.2.0","source":"crates.io","kind":"build"}]}"#;

    type Rows = (Vec<(String, String, String)>, Vec<String>);

    fn detect(elf: &[u8]) -> Result<Rows, DetectError> {
        let input = DetectInput {
            path: "/usr/local/bin/hello",
            contents: elf,
            distro: None,
        };
        RustAuditDetector
            .detect_with_warnings(&input)
            .map(|(p, w)| {
                (
                    p.into_iter().map(|p| (p.name, p.version, p.purl)).collect(),
                    w,
                )
            })
    }

    #[test]
    fn packages_from_the_section() {
        for (is_64, big) in [(true, false), (false, true)] {
            let elf = build_elf(
                &ElfSpec::new(is_64, big)
                    .section(".text", b"\x90\x90", false)
                    .section(AUDIT_SECTION, &zlib(JSON.as_bytes()), false),
            );
            let (got, warnings) = detect(&elf).unwrap();
            assert_eq!(
                got,
                [
                    (
                        "hello".to_owned(),
                        "0.1.0".to_owned(),
                        "pkg:cargo/hello@0.1.0".to_owned()
                    ),
                    (
                        "itoa".to_owned(),
                        "1.0.15".to_owned(),
                        "pkg:cargo/itoa@1.0.15".to_owned()
                    ),
                ]
            );
            assert!(warnings.is_empty());
        }
    }

    #[test]
    fn no_section_is_no_packages() {
        let elf = build_elf(&ElfSpec::new(true, false).section(".text", b"\x90", false));
        assert_eq!(detect(&elf).unwrap(), (vec![], vec![]));
        assert_eq!(detect(b"MZ\x90\x00").unwrap(), (vec![], vec![]));
    }

    #[test]
    fn bombs_and_corrupt_sections_are_errors() {
        // 9 MiB of spaces compresses to a few KiB.
        let mut big = b"{\"packages\":[]}".to_vec();
        big.resize(9 * 1024 * 1024, b' ');
        let elf = build_elf(&ElfSpec::new(true, false).section(AUDIT_SECTION, &zlib(&big), false));
        match detect(&elf) {
            Err(DetectError::TooLarge { path, message }) => {
                assert_eq!(path, "/usr/local/bin/hello");
                assert_eq!(
                    message,
                    "section .dep-v0 at offset 0x1000 decompresses to more than 8388608 bytes"
                );
            }
            other => panic!("{other:?}"),
        }
        let elf = build_elf(&ElfSpec::new(true, false).section(AUDIT_SECTION, b"not zlib", false));
        match detect(&elf) {
            Err(DetectError::Malformed {
                message,
                line: None,
                ..
            }) => {
                assert!(
                    message.starts_with("section .dep-v0 at offset 0x1000: not zlib data: "),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        let elf = build_elf(&ElfSpec::new(true, false).section(
            AUDIT_SECTION,
            &zlib(b"{\"packages\": [}"),
            false,
        ));
        match detect(&elf) {
            Err(DetectError::Malformed { message, .. }) => assert_eq!(
                message,
                "section .dep-v0 at offset 0x1000: invalid JSON at line 1 column 15 of the decompressed data: expected value at line 1 column 15"
            ),
            other => panic!("{other:?}"),
        }
        let elf = build_elf(&ElfSpec::new(true, false).section(
            AUDIT_SECTION,
            &zlib(br#"{"packages":[{"name":"a","version":"1","dependencies":[7]}]}"#),
            false,
        ));
        match detect(&elf) {
            Err(DetectError::Malformed { message, .. }) => assert_eq!(
                message,
                "section .dep-v0 at offset 0x1000: packages[0] (a) depends on packages[7], which does not exist"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fuzz_entry_survives_mutated_inputs() {
        use crate::lang::binary::mutate::{Rng, mutate};
        let seeds = [
            JSON.as_bytes().to_vec(),
            zlib(JSON.as_bytes()),
            build_elf(&ElfSpec::new(true, false).section(
                AUDIT_SECTION,
                &zlib(JSON.as_bytes()),
                false,
            )),
        ];
        let mut rng = Rng(0x0bad_cafe_8765_4321);
        for i in 0..3000 {
            let seed = &seeds[i % seeds.len()];
            crate::lang::fuzz_rust_audit(&mutate(&mut rng, seed));
        }
    }
}
