//! Language package detectors: installed-package metadata (Python `METADATA`,
//! `node_modules/*/package.json`, installed gemspecs, Composer's `installed.json`) and
//! lockfiles of the language package managers.
//!
//! Every detector here works on one file, refuses files over [`MAX_FILE_SIZE`], keeps
//! serde_json's nesting limit, and reports a malformed file as a [`DetectError`] that
//! names the file and, where known, the line. Entries that cannot be used (no version,
//! an unpinned requirement, a local path dependency) are skipped or kept with a warning
//! naming the line.
//!
//! Development dependencies: [`Package`] has no field for them yet, so every detector
//! reports them like the others. Where a format marks them, the parser keeps the flag
//! in [`LangEntry::dev`]; [`detect_entries`] returns it for callers that need it.

mod binary;
pub mod dotnet;
pub mod gobin;
pub mod golang;
pub mod jar;
pub mod java;
pub mod node;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;
pub mod rustbin;
mod yaml;

pub use binary::{MAX_BINARY_SIZE, is_executable_location};

use strata_types::purl::PurlBuilder;
use strata_types::{Location, Package, PackageType};

use crate::{DetectError, DetectInput, Detector};

/// The largest file a language detector reads.
pub const MAX_FILE_SIZE: usize = 64 * 1024 * 1024;

/// The most entries one file may produce; a lockfile with more is refused.
pub const MAX_ENTRIES: usize = 1_000_000;

/// Every language package detector.
pub fn detectors() -> Vec<Box<dyn Detector>> {
    vec![
        Box::new(python::PythonMetadataDetector),
        Box::new(python::RequirementsDetector),
        Box::new(python::PoetryLockDetector),
        Box::new(python::PipfileLockDetector),
        Box::new(python::UvLockDetector),
        Box::new(python::PdmLockDetector),
        Box::new(node::NodePackageJsonDetector),
        Box::new(node::PackageLockDetector),
        Box::new(node::YarnLockDetector),
        Box::new(node::PnpmLockDetector),
        Box::new(rust::CargoLockDetector),
        Box::new(php::ComposerLockDetector),
        Box::new(php::ComposerInstalledDetector),
        Box::new(ruby::GemfileLockDetector),
        Box::new(ruby::GemspecDetector),
        Box::new(dotnet::DepsJsonDetector),
        Box::new(dotnet::PackagesLockDetector),
        Box::new(dotnet::PackagesConfigDetector),
        Box::new(golang::GoModDetector),
        Box::new(java::GradleLockDetector),
        Box::new(java::PomXmlDetector),
        Box::new(gobin::GoBinaryDetector),
        Box::new(rustbin::RustAuditDetector),
        Box::new(jar::JavaArchiveDetector),
    ]
}

/// A parser's result: the entries and the non-fatal warnings, or the file's error.
pub type Entries = Result<(Vec<LangEntry>, Vec<String>), DetectError>;

/// One package as a language parser found it, before it becomes a [`Package`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LangEntry {
    pub package_type: PackageType,
    /// The name as the file spells it (npm: with its `@scope/`; Go: the module path;
    /// Composer: `vendor/name`; Maven: `group:artifact`).
    pub name: String,
    pub version: String,
    pub licenses: Vec<String>,
    /// `Some(true)` when the file marks the package as a development-only dependency,
    /// `Some(false)` when it marks it as a runtime one, `None` when the format does not say.
    pub dev: Option<bool>,
    /// A path other than the file read, for packages found in a lockfile that records
    /// where each copy is installed (npm's `node_modules/a/node_modules/b`). Not used
    /// for `locations`; kept for callers that want it.
    pub install_path: Option<String>,
    /// purl qualifiers (Maven `classifier` and `type`).
    pub qualifiers: Vec<(&'static str, String)>,
}

impl LangEntry {
    pub(crate) fn new(package_type: PackageType, name: &str, version: &str) -> Self {
        LangEntry {
            package_type,
            name: name.to_owned(),
            version: version.to_owned(),
            licenses: Vec::new(),
            dev: None,
            install_path: None,
            qualifiers: Vec::new(),
        }
    }

    pub(crate) fn dev(mut self, dev: Option<bool>) -> Self {
        self.dev = dev;
        self
    }

    pub(crate) fn licenses(mut self, licenses: Vec<String>) -> Self {
        self.licenses = licenses;
        self
    }

    /// The package, read from `path`.
    pub fn into_package(self, path: &str) -> Package {
        let purl = purl_with(
            self.package_type,
            &self.name,
            &self.version,
            &self.qualifiers,
        );
        Package {
            package_type: self.package_type,
            name: self.name,
            version: self.version,
            arch: None,
            source_name: None,
            source_version: None,
            licenses: self.licenses,
            purl,
            layer_diff_id: None,
            locations: vec![Location {
                path: path.to_owned(),
                layer_diff_id: None,
            }],
            rpm: None,
            dev: self.dev == Some(true),
        }
    }
}

/// The entries of one file with the dev/runtime flag the format records, for the
/// detector that `wants` the path. `None` when no language detector wants it.
pub fn detect_entries(input: &DetectInput<'_>) -> Option<Entries> {
    let path = input.path;
    let result = if python::PythonMetadataDetector.wants(path) {
        python::metadata_entries(input)
    } else if python::RequirementsDetector.wants(path) {
        python::requirements_entries(input)
    } else if python::PoetryLockDetector.wants(path) {
        python::poetry_entries(input)
    } else if python::PipfileLockDetector.wants(path) {
        python::pipfile_entries(input)
    } else if python::UvLockDetector.wants(path) {
        python::uv_entries(input)
    } else if python::PdmLockDetector.wants(path) {
        python::pdm_entries(input)
    } else if node::NodePackageJsonDetector.wants(path) {
        node::package_json_entries(input)
    } else if node::PackageLockDetector.wants(path) {
        node::package_lock_entries(input)
    } else if node::YarnLockDetector.wants(path) {
        node::yarn_entries(input)
    } else if node::PnpmLockDetector.wants(path) {
        node::pnpm_entries(input)
    } else if rust::CargoLockDetector.wants(path) {
        rust::cargo_lock_entries(input)
    } else if php::ComposerLockDetector.wants(path) {
        php::composer_lock_entries(input)
    } else if php::ComposerInstalledDetector.wants(path) {
        php::installed_json_entries(input)
    } else if ruby::GemfileLockDetector.wants(path) {
        ruby::gemfile_lock_entries(input)
    } else if ruby::GemspecDetector.wants(path) {
        ruby::gemspec_entries(input)
    } else if dotnet::DepsJsonDetector.wants(path) {
        dotnet::deps_json_entries(input)
    } else if dotnet::PackagesLockDetector.wants(path) {
        dotnet::packages_lock_entries(input)
    } else if dotnet::PackagesConfigDetector.wants(path) {
        dotnet::packages_config_entries(input)
    } else if golang::GoModDetector.wants(path) {
        golang::go_mod_entries(input)
    } else if java::GradleLockDetector.wants(path) {
        java::gradle_lock_entries(input)
    } else if java::PomXmlDetector.wants(path) {
        java::pom_entries(input)
    } else {
        return None;
    };
    Some(result)
}

/// The purl of a language package, per the purl specification's rules for its type.
pub fn purl_for(ty: PackageType, name: &str, version: &str) -> String {
    purl_with(ty, name, version, &[])
}

fn purl_with(
    ty: PackageType,
    name: &str,
    version: &str,
    qualifiers: &[(&'static str, String)],
) -> String {
    let mut purl = purl_base(ty, name, version);
    if !qualifiers.is_empty() {
        // Rebuild with qualifiers: only Maven uses them, with a `group:artifact` name.
        let (group, artifact) = name.split_once(':').unwrap_or(("", name));
        let mut b = PurlBuilder::new(ty.purl_type(), artifact)
            .namespace(group)
            .version(version);
        for (k, v) in qualifiers {
            b = b.qualifier(k, v.clone());
        }
        purl = b.build();
    }
    purl
}

fn purl_base(ty: PackageType, name: &str, version: &str) -> String {
    match ty {
        PackageType::Python => {
            let n = pep503_normalize(name);
            PurlBuilder::new("pypi", &n).version(version).build()
        }
        PackageType::Npm => match name.strip_prefix('@').and_then(|s| s.split_once('/')) {
            Some((scope, n)) => {
                let ns = format!("@{scope}");
                PurlBuilder::new("npm", n)
                    .namespace(&ns)
                    .version(version)
                    .build()
            }
            None => PurlBuilder::new("npm", name).version(version).build(),
        },
        PackageType::Go => {
            // The spec asks for a lowercased namespace and name.
            let lower = name.to_ascii_lowercase();
            match lower.rsplit_once('/') {
                Some((ns, n)) => PurlBuilder::new("golang", n)
                    .namespace(ns)
                    .version(version)
                    .build(),
                None => PurlBuilder::new("golang", &lower).version(version).build(),
            }
        }
        PackageType::Composer => {
            let lower = name.to_ascii_lowercase();
            match lower.split_once('/') {
                Some((ns, n)) => PurlBuilder::new("composer", n)
                    .namespace(ns)
                    .version(version)
                    .build(),
                None => PurlBuilder::new("composer", &lower)
                    .version(version)
                    .build(),
            }
        }
        PackageType::Maven => match name.split_once(':') {
            Some((group, artifact)) => PurlBuilder::new("maven", artifact)
                .namespace(group)
                .version(version)
                .build(),
            None => PurlBuilder::new("maven", name).version(version).build(),
        },
        other => PurlBuilder::new(other.purl_type(), name)
            .version(version)
            .build(),
    }
}

/// PEP 503: runs of `-`, `_` and `.` become one `-`, and the name is lowercased.
pub fn pep503_normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

/// The last path component.
pub(crate) fn file_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => path.get(i + 1..).unwrap_or(""),
        None => path,
    }
}

/// The path without its last component (`/a/b` for `/a/b/c`).
pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => path.get(..i).unwrap_or(""),
        None => "",
    }
}

/// The file's text: refuses files over the size limit and text that is not UTF-8;
/// drops a byte-order mark.
pub(crate) fn read_text<'a>(input: &DetectInput<'a>) -> Result<&'a str, DetectError> {
    if input.contents.len() > MAX_FILE_SIZE {
        return Err(DetectError::TooLarge {
            path: input.path.to_owned(),
            message: format!(
                "{} bytes is over the {} byte limit for language package files",
                input.contents.len(),
                MAX_FILE_SIZE
            ),
        });
    }
    let text = std::str::from_utf8(input.contents).map_err(|e| {
        DetectError::malformed(
            input.path,
            Some(line_of(input.contents, e.valid_up_to())),
            format!("not valid UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// The 1-based line of a byte offset.
pub(crate) fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes
        .get(..offset)
        .unwrap_or(bytes)
        .iter()
        .filter(|&&c| c == b'\n')
        .count()
        + 1
}

/// Parses JSON into `T`, mapping errors to a [`DetectError`] with the line.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    input: &DetectInput<'_>,
    text: &str,
) -> Result<T, DetectError> {
    serde_json::from_str(text).map_err(|e| {
        let line = (e.line() > 0).then_some(e.line());
        DetectError::malformed(input.path, line, format!("invalid JSON: {e}"))
    })
}

/// The deepest nesting TOML files may use; the toml crate recurses per level.
const MAX_TOML_DEPTH: usize = 64;

/// Parses TOML into `T`, mapping errors to a [`DetectError`] with the line.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    input: &DetectInput<'_>,
    text: &str,
) -> Result<T, DetectError> {
    if let Some(offset) = too_deep(text, MAX_TOML_DEPTH) {
        return Err(DetectError::malformed(
            input.path,
            Some(line_of(text.as_bytes(), offset)),
            format!("nesting deeper than {MAX_TOML_DEPTH} levels"),
        ));
    }
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text.as_bytes(), s.start));
        DetectError::malformed(input.path, line, format!("invalid TOML: {}", e.message()))
    })
}

/// The offset where bracket nesting (`[`/`{`) outside strings and comments first
/// exceeds `max`. A conservative guard: it ignores the difference between TOML's
/// quoting styles, so it may count brackets inside multi-line strings, which only
/// makes it stricter.
fn too_deep(text: &str, max: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_str: Option<u8> = None;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if in_comment {
            if b == b'\n' {
                in_comment = false;
            }
            continue;
        }
        if let Some(q) = in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' && q == b'"' {
                escaped = true;
            } else if b == q || b == b'\n' {
                in_str = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => in_str = Some(b),
            b'#' => in_comment = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Refuses a file that yields more than [`MAX_ENTRIES`] entries.
pub(crate) fn check_count(input: &DetectInput<'_>, n: usize) -> Result<(), DetectError> {
    if n > MAX_ENTRIES {
        return Err(DetectError::TooLarge {
            path: input.path.to_owned(),
            message: format!("more than {MAX_ENTRIES} packages"),
        });
    }
    Ok(())
}

/// Turns entries into packages for `detect_with_warnings`.
pub(crate) fn to_packages(
    input: &DetectInput<'_>,
    result: Entries,
) -> Result<(Vec<Package>, Vec<String>), DetectError> {
    let (entries, warnings) = result?;
    check_count(input, entries.len())?;
    Ok((
        entries
            .into_iter()
            .map(|e| e.into_package(input.path))
            .collect(),
        warnings,
    ))
}

/// Implements [`Detector`] for a unit struct from a name, a `wants` function and an
/// entries function.
macro_rules! lang_detector {
    ($ty:ident, $name:literal, $wants:expr, $entries:path) => {
        impl $crate::Detector for $ty {
            fn name(&self) -> &'static str {
                $name
            }

            fn wants(&self, path: &str) -> bool {
                let f: fn(&str) -> bool = $wants;
                f(path)
            }

            fn detect(
                &self,
                input: &$crate::DetectInput<'_>,
            ) -> Result<Vec<strata_types::Package>, $crate::DetectError> {
                self.detect_with_warnings(input).map(|(p, _)| p)
            }

            fn detect_with_warnings(
                &self,
                input: &$crate::DetectInput<'_>,
            ) -> Result<(Vec<strata_types::Package>, Vec<String>), $crate::DetectError> {
                $crate::lang::to_packages(input, $entries(input))
            }
        }
    };
}
pub(crate) use lang_detector;

fn fuzz_paths(paths: &[&str], data: &[u8]) {
    for d in detectors() {
        for path in paths {
            if d.wants(path) {
                let input = DetectInput {
                    path,
                    contents: data,
                    distro: None,
                };
                let _ = d.detect_with_warnings(&input);
            }
        }
    }
}

/// Python metadata, requirements files and lockfiles.
pub fn fuzz_lang_python(data: &[u8]) {
    fuzz_paths(
        &[
            "/usr/lib/python3/site-packages/a-1.dist-info/METADATA",
            "/app/requirements.txt",
            "/app/poetry.lock",
            "/app/Pipfile.lock",
            "/app/uv.lock",
            "/app/pdm.lock",
        ],
        data,
    );
}

/// npm's package.json and lockfiles, yarn.lock and pnpm-lock.yaml.
pub fn fuzz_lang_node(data: &[u8]) {
    fuzz_paths(
        &[
            "/app/node_modules/a/package.json",
            "/app/package-lock.json",
            "/app/yarn.lock",
            "/app/pnpm-lock.yaml",
        ],
        data,
    );
}

/// Cargo.lock.
pub fn fuzz_lang_cargo(data: &[u8]) {
    fuzz_paths(&["/src/Cargo.lock"], data);
}

/// composer.lock and vendor/composer/installed.json.
pub fn fuzz_lang_composer(data: &[u8]) {
    fuzz_paths(
        &["/app/composer.lock", "/app/vendor/composer/installed.json"],
        data,
    );
}

/// Gemfile.lock and installed gemspecs.
pub fn fuzz_lang_ruby(data: &[u8]) {
    fuzz_paths(
        &[
            "/app/Gemfile.lock",
            "/usr/lib/ruby/gems/3.1.0/specifications/a-1.0.gemspec",
        ],
        data,
    );
}

/// .NET deps.json, packages.lock.json and packages.config.
pub fn fuzz_lang_dotnet(data: &[u8]) {
    fuzz_paths(
        &[
            "/app/a.deps.json",
            "/app/packages.lock.json",
            "/app/packages.config",
        ],
        data,
    );
}

/// go.mod.
pub fn fuzz_lang_go(data: &[u8]) {
    fuzz_paths(&["/src/go.mod"], data);
}

/// gradle.lockfile and pom.xml.
pub fn fuzz_lang_java(data: &[u8]) {
    fuzz_paths(&["/app/gradle.lockfile", "/app/pom.xml"], data);
}

/// Go build info: the bytes as a whole file, as the `.go.buildinfo` section of a
/// well-formed ELF file (32- and 64-bit), and behind the build info magic.
pub fn fuzz_go_buildinfo(data: &[u8]) {
    use binary::elfwrite::{ElfSpec, build_elf};
    let run = |bytes: &[u8]| {
        let input = DetectInput {
            path: "/usr/local/bin/x",
            contents: bytes,
            distro: None,
        };
        let _ = gobin::GoBinaryDetector.detect_with_warnings(&input);
    };
    run(data);
    let mut magic = gobin::BUILDINFO_MAGIC.to_vec();
    magic.extend_from_slice(data);
    for is_64 in [false, true] {
        run(&build_elf(
            &ElfSpec::new(is_64, !is_64)
                .section(".go.buildinfo", data, true)
                .section(".data", data, true),
        ));
        run(&build_elf(
            &ElfSpec::new(is_64, false)
                .section(".go.buildinfo", &magic, true)
                .section(".data", data, true)
                .without_section_headers(),
        ));
    }
}

/// cargo-auditable data: the bytes as a whole file, as the raw `.dep-v0` section and
/// zlib-compressed into it (to reach the JSON reader).
pub fn fuzz_rust_audit(data: &[u8]) {
    use std::io::Write;

    use binary::elfwrite::{ElfSpec, build_elf};
    let run = |bytes: &[u8]| {
        let input = DetectInput {
            path: "/usr/local/bin/x",
            contents: bytes,
            distro: None,
        };
        let _ = rustbin::RustAuditDetector.detect_with_warnings(&input);
    };
    run(data);
    run(&build_elf(&ElfSpec::new(true, false).section(
        rustbin::AUDIT_SECTION,
        data,
        false,
    )));
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    if z.write_all(data).is_ok()
        && let Ok(compressed) = z.finish()
    {
        run(&build_elf(&ElfSpec::new(false, true).section(
            rustbin::AUDIT_SECTION,
            &compressed,
            false,
        )));
    }
}

/// Java archives: the bytes as an archive, as the manifest and pom.properties of a
/// well-formed one, and as an archive nested in one.
pub fn fuzz_jar(data: &[u8]) {
    use binary::zipwrite::build_zip;
    let run = |bytes: &[u8]| {
        let input = DetectInput {
            path: "/app/x.war",
            contents: bytes,
            distro: None,
        };
        let _ = jar::JavaArchiveDetector.detect_with_warnings(&input);
    };
    run(data);
    run(&build_zip(&[
        ("META-INF/MANIFEST.MF", data, true),
        ("META-INF/maven/g/a/pom.properties", data, false),
    ]));
    run(&build_zip(&[("META-INF/MANIFEST.MF", data, false)]));
    run(&build_zip(&[("WEB-INF/lib/y-1.0.jar", data, true)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(pep503_normalize("Foo.Bar__baz-_-Q"), "foo-bar-baz-q");
        assert_eq!(pep503_normalize("pyOpenSSL"), "pyopenssl");
    }

    #[test]
    fn purls_follow_the_spec() {
        assert_eq!(
            purl_for(PackageType::Python, "backports.ssl_match_hostname", "3.5"),
            "pkg:pypi/backports-ssl-match-hostname@3.5"
        );
        assert_eq!(
            purl_for(PackageType::Npm, "@babel/core", "7.0.0"),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl_for(PackageType::Go, "github.com/BurntSushi/toml", "v1.0.0"),
            "pkg:golang/github.com/burntsushi/toml@v1.0.0"
        );
        assert_eq!(
            purl_for(PackageType::Composer, "Symfony/Console", "v5.0.0"),
            "pkg:composer/symfony/console@v5.0.0"
        );
        assert_eq!(
            purl_for(PackageType::Nuget, "Newtonsoft.Json", "13.0.1"),
            "pkg:nuget/Newtonsoft.Json@13.0.1"
        );
        assert_eq!(
            purl_for(PackageType::Maven, "org.slf4j:slf4j-api", "1.7.0"),
            "pkg:maven/org.slf4j/slf4j-api@1.7.0"
        );
    }

    #[test]
    fn too_large_files_are_refused() {
        let big = vec![b' '; MAX_FILE_SIZE + 1];
        let input = DetectInput {
            path: "/app/package-lock.json",
            contents: &big,
            distro: None,
        };
        assert!(matches!(
            read_text(&input),
            Err(DetectError::TooLarge { .. })
        ));
    }

    #[test]
    fn deep_toml_is_refused() {
        let deep = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let input = DetectInput {
            path: "/Cargo.lock",
            contents: deep.as_bytes(),
            distro: None,
        };
        let err = parse_toml::<toml::Table>(&input, &deep).unwrap_err();
        assert!(
            matches!(err, DetectError::Malformed { line: Some(1), .. }),
            "{err}"
        );
    }

    /// A small xorshift generator: deterministic inputs without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
        let mut data = seed.to_vec();
        for _ in 0..(rng.next() % 8) {
            let len = data.len().max(1);
            let pos = (rng.next() as usize) % len;
            match rng.next() % 5 {
                0 => {
                    if pos < data.len() {
                        data.remove(pos);
                    }
                }
                1 => data.insert(pos.min(data.len()), rng.next() as u8),
                2 => {
                    if let Some(b) = data.get_mut(pos) {
                        *b = b"{}[]\"':,\n =@#/\\-"[(rng.next() % 16) as usize];
                    }
                }
                3 => {
                    let end = (pos + (rng.next() as usize % 16)).min(data.len());
                    let chunk: Vec<u8> = data.get(pos..end).unwrap_or(&[]).to_vec();
                    let at = (rng.next() as usize) % (data.len() + 1);
                    for (i, b) in chunk.into_iter().enumerate() {
                        data.insert(at + i, b);
                    }
                }
                _ => data.truncate(pos),
            }
        }
        data
    }

    #[test]
    fn parsers_survive_mutated_inputs() {
        type Fuzz = fn(&[u8]);
        let cases: [(Fuzz, &[&[u8]]); 8] = [
            (
                fuzz_lang_python,
                &[
                    b"Metadata-Version: 2.1\nName: a_b\nVersion: 1.0\nLicense: MIT\nClassifier: License :: OSI Approved :: MIT License\n\nbody\n",
                    b"a==1.0 \\\n --hash=sha256:1\n-r x.txt\nb[x]>=2 ; python_version<'3'\n# c\n",
                    b"[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { virtual = \".\" }\n[package.source]\ntype=\"git\"\n",
                    b"{\"default\": {\"a\": {\"version\": \"==1.0\"}}, \"develop\": {\"b\": {}}}",
                ],
            ),
            (
                fuzz_lang_node,
                &[
                    b"{\"name\":\"a\",\"version\":\"1.0.0\",\"license\":{\"type\":\"MIT\"}}",
                    b"{\"lockfileVersion\":3,\"packages\":{\"\":{},\"node_modules/a\":{\"version\":\"1.0.0\",\"dev\":true},\"node_modules/@s/b\":{\"version\":\"2\"}},\"dependencies\":{\"a\":{\"version\":\"1\",\"dependencies\":{\"b\":{\"version\":\"2\"}}}}}",
                    b"# yarn lockfile v1\n\n\"a@^1\", a@~1:\n  version \"1.0.0\"\n  resolved \"x\"\n\n__metadata:\n  version: 6\n\"b@npm:1\":\n  version: 1.0.0\n",
                    b"lockfileVersion: '9.0'\npackages:\n  '@a/b@1.0.0(c@2)':\n    resolution: {integrity: x}\n  /d/1.0.0:\n    dev: true\nsnapshots:\n  e@1: {}\n",
                ],
            ),
            (
                fuzz_lang_cargo,
                &[
                    b"version = 3\n[[package]]\nname = \"a\"\nversion = \"0.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
                ],
            ),
            (
                fuzz_lang_composer,
                &[
                    b"{\"packages\":[{\"name\":\"a/b\",\"version\":\"1.0\",\"license\":[\"MIT\"]}],\"packages-dev\":[{\"name\":\"c/d\",\"version\":\"v2\"}]}",
                    b"[{\"name\":\"a/b\",\"version\":\"1.0\"}]",
                ],
            ),
            (
                fuzz_lang_ruby,
                &[
                    b"GEM\n  remote: https://rubygems.org/\n  specs:\n    a (1.0)\n      b (>= 1)\n    c (2.0-x86_64-linux)\n\nPLATFORMS\n  ruby\n",
                    b"Gem::Specification.new do |s|\n  s.name = \"a\".freeze\n  s.version = \"1.0\"\n  s.licenses = [\"MIT\".freeze]\nend\n",
                ],
            ),
            (
                fuzz_lang_dotnet,
                &[
                    b"{\"libraries\":{\"A/1.0\":{\"type\":\"package\"},\"B/2\":{\"type\":\"project\"}}}",
                    b"{\"version\":1,\"dependencies\":{\"net6.0\":{\"A\":{\"type\":\"Direct\",\"resolved\":\"1.0\"}}}}",
                    b"<?xml version=\"1.0\"?><packages><package id=\"A\" version=\"1.0\" developmentDependency=\"true\"/></packages>",
                ],
            ),
            (
                fuzz_lang_go,
                &[
                    b"module x\n\ngo 1.21\n\nrequire (\n\tgithub.com/a/b v1.0.0 // indirect\n)\nrequire c.d/e v0.1.0\nreplace c.d/e => ../e\nreplace (\n a/b v1 => x/y v2\n)\n",
                ],
            ),
            (
                fuzz_lang_java,
                &[
                    b"a:b:1.0=compileClasspath,testRuntimeClasspath\nempty=\n# c\n",
                    b"<project><properties><v>1</v></properties><dependencies><dependency><groupId>g</groupId><artifactId>${a}</artifactId><version>${v}</version><classifier>c</classifier></dependency></dependencies></project>",
                ],
            ),
        ];
        let mut rng = Rng(0x5eed_1234_abcd_ef01);
        for (fuzz, seeds) in cases {
            for _ in 0..600 {
                let seed = seeds[(rng.next() as usize) % seeds.len()];
                let data = mutate(&mut rng, seed);
                fuzz(&data);
            }
            // Random bytes, too.
            for _ in 0..50 {
                let len = (rng.next() % 64) as usize;
                let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                fuzz(&data);
            }
        }
    }
}
