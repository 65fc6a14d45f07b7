//! Java archives (`.jar`, `.war`, `.ear`, Jenkins' `.jpi`/`.hpi`), read as zip files
//! from memory.
//!
//! In each archive: every `META-INF/maven/<group>/<artifact>/pom.properties` is one
//! package (`pkg:maven/<group>/<artifact>@<version>`; shaded jars list several). An
//! archive without one is described by its `META-INF/MANIFEST.MF` and its file name:
//! the name is the Jenkins plugin id (`Short-Name`) or else the file name's
//! (`commons-lang3-3.12.0.jar` -> `commons-lang3`, `gamma.jar` -> `gamma`); the version
//! is the manifest's `Implementation-Version`, `Bundle-Version`, `Plugin-Version` or
//! `Specification-Version`, else the file name's; the group is `Implementation-Vendor-Id`
//! or `Group-Id`. Syft names such archives by file name, too: manifest titles are
//! display names ("Apache Commons Lang") and `Bundle-SymbolicName` is an OSGi id, while
//! a file name is usually Maven's `artifact-version.jar`, the best guess of the
//! artifact id. An archive with no version anywhere is skipped with a warning.
//!
//! Archives inside archives (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`, any entry with an
//! archive extension) are read the same way, to [`MAX_DEPTH`] levels; their packages'
//! location is `outer:entry` (`/app/x.war:WEB-INF/lib/y.jar`).
//!
//! Bounds: only metadata files and nested archives are decompressed; each metadata
//! file to [`MAX_METADATA_SIZE`], each nested archive to [`MAX_NESTED_SIZE`], all of
//! them together to [`MAX_TOTAL_INFLATED`] per top-level archive. An entry over a limit
//! (a zip bomb) is skipped with a warning naming the archive and the entry.

use std::collections::HashSet;
use std::io::{Cursor, Read};

use strata_types::{Package, PackageType};

use super::binary::{ARCHIVE_EXTENSIONS, MAX_BINARY_SIZE, ends_with_ignore_case};
use super::{LangEntry, check_count, file_name};
use crate::{DetectError, DetectInput, Detector};

/// How deep archives inside archives are read (the top-level archive is depth 0).
pub const MAX_DEPTH: usize = 4;
/// The largest `pom.properties` or `MANIFEST.MF` read.
pub const MAX_METADATA_SIZE: u64 = 1024 * 1024;
/// The largest nested archive read.
pub const MAX_NESTED_SIZE: u64 = 256 * 1024 * 1024;
/// The most bytes decompressed for one top-level archive.
pub const MAX_TOTAL_INFLATED: u64 = 1024 * 1024 * 1024;
/// The most nested archives opened for one top-level archive (zip entries may share
/// their data, so a small file can name the same nested jar many times).
pub const MAX_NESTED_ARCHIVES: usize = 10_000;
/// The most warnings kept for one top-level archive; the rest are counted.
pub const MAX_WARNINGS: usize = 1_000;

/// Java archives.
#[derive(Debug, Default)]
pub struct JavaArchiveDetector;

/// Whether `path` names a Java archive.
pub fn is_java_archive(path: &str) -> bool {
    let name = file_name(path);
    ARCHIVE_EXTENSIONS
        .iter()
        .any(|e| name.len() > e.len() && ends_with_ignore_case(name, e))
}

impl Detector for JavaArchiveDetector {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    fn wants(&self, path: &str) -> bool {
        is_java_archive(path)
    }

    fn detect(&self, input: &DetectInput<'_>) -> Result<Vec<Package>, DetectError> {
        self.detect_with_warnings(input).map(|(p, _)| p)
    }

    fn detect_with_warnings(
        &self,
        input: &DetectInput<'_>,
    ) -> Result<(Vec<Package>, Vec<String>), DetectError> {
        if input.contents.len() > MAX_BINARY_SIZE {
            return Err(DetectError::TooLarge {
                path: input.path.to_owned(),
                message: format!(
                    "{} bytes is over the {MAX_BINARY_SIZE} byte limit for archives",
                    input.contents.len()
                ),
            });
        }
        let archive = open_zip(input.contents).map_err(|e| {
            DetectError::malformed(input.path, None, format!("not a readable zip archive: {e}"))
        })?;
        let mut scan = Scan {
            budget: MAX_TOTAL_INFLATED,
            opened: 0,
            packages: Vec::new(),
            warnings: Vec::new(),
            dropped: 0,
            seen: HashSet::new(),
        };
        scan.archive(input.path, file_name(input.path), archive, 0);
        check_count(input, scan.packages.len())?;
        if scan.dropped > 0 {
            scan.warnings.push(format!(
                "{}: {} more warnings not shown",
                input.path, scan.dropped
            ));
        }
        Ok((scan.packages, scan.warnings))
    }
}

struct Scan {
    budget: u64,
    opened: usize,
    packages: Vec<Package>,
    warnings: Vec<String>,
    dropped: usize,
    seen: HashSet<(String, String, String)>,
}

enum ReadError {
    TooLarge(u64),
    Budget,
    Zip(String),
}

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

impl Scan {
    fn warn(&mut self, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message);
        } else {
            self.dropped += 1;
        }
    }

    fn add(&mut self, location: &str, entry: LangEntry) {
        let key = (
            entry.name.clone(),
            entry.version.clone(),
            location.to_owned(),
        );
        if self.seen.insert(key) {
            self.packages.push(entry.into_package(location));
        }
    }

    /// Decompresses entry `index` up to `cap` bytes and the remaining budget.
    fn read(
        &mut self,
        archive: &mut Archive<'_>,
        index: usize,
        cap: u64,
    ) -> Result<Vec<u8>, ReadError> {
        let limit = cap.min(self.budget);
        let file = archive
            .by_index(index)
            .map_err(|e| ReadError::Zip(e.to_string()))?;
        // The declared size, trusted only up to the limit, saves regrowing the buffer.
        let hint = usize::try_from(file.size().min(limit)).unwrap_or(0);
        let mut out = Vec::with_capacity(hint.saturating_add(1));
        file.take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| ReadError::Zip(e.to_string()))?;
        let n = out.len() as u64;
        self.budget = self.budget.saturating_sub(n.min(limit));
        if n > limit {
            return Err(if limit < cap {
                ReadError::Budget
            } else {
                ReadError::TooLarge(cap)
            });
        }
        Ok(out)
    }

    fn read_or_warn(
        &mut self,
        archive: &mut Archive<'_>,
        location: &str,
        index: usize,
        name: &str,
        cap: u64,
    ) -> Option<Vec<u8>> {
        match self.read(archive, index, cap) {
            Ok(d) => Some(d),
            Err(e) => {
                let why = match e {
                    ReadError::TooLarge(cap) => {
                        format!("decompresses to more than {cap} bytes (a zip bomb?)")
                    }
                    ReadError::Budget => format!(
                        "the {MAX_TOTAL_INFLATED} byte decompression budget of the archive is used up"
                    ),
                    ReadError::Zip(m) => format!("unreadable: {m}"),
                };
                self.warn(format!("{location}: entry {name}: {why}; skipped"));
                None
            }
        }
    }

    /// Reads one archive: `location` names it for packages and warnings, `file` is its
    /// file name.
    fn archive(&mut self, location: &str, file: &str, mut archive: Archive<'_>, depth: usize) {
        // In name order, so the result does not depend on how the archive was packed.
        let mut names: Vec<(usize, String)> = (0..archive.len())
            .filter_map(|i| archive.name_for_index(i).map(|n| (i, n.to_owned())))
            .collect();
        names.sort_by(|a, b| a.1.cmp(&b.1));
        let mut found = false;
        for (i, name) in &names {
            if !is_pom_properties(name) {
                continue;
            }
            let Some(data) = self.read_or_warn(&mut archive, location, *i, name, MAX_METADATA_SIZE)
            else {
                continue;
            };
            match pom_properties_entry(&data) {
                Ok(e) => {
                    found = true;
                    self.add(location, e);
                }
                Err(m) => self.warn(format!("{location}: entry {name}: {m}; skipped")),
            }
        }
        if !found {
            let manifest = names
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case("META-INF/MANIFEST.MF"))
                .cloned();
            let attrs = match manifest {
                Some((i, name)) => self
                    .read_or_warn(&mut archive, location, i, &name, MAX_METADATA_SIZE)
                    .map(|d| parse_manifest(&String::from_utf8_lossy(&d)))
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            match describe(file, &attrs) {
                Some(e) => self.add(location, e),
                None => self.warn(format!(
                    "{location}: no pom.properties and no version in the manifest or the file name; no package reported"
                )),
            }
        }
        for (i, name) in &names {
            if name.ends_with('/') || !is_java_archive(name) {
                continue;
            }
            let inner = format!("{location}:{name}");
            if depth + 1 > MAX_DEPTH {
                self.warn(format!(
                    "{location}: entry {name}: archives nested deeper than {MAX_DEPTH} levels are not read; skipped"
                ));
                continue;
            }
            if self.opened >= MAX_NESTED_ARCHIVES {
                self.warn(format!(
                    "{location}: entry {name}: more than {MAX_NESTED_ARCHIVES} nested archives; skipped"
                ));
                continue;
            }
            self.opened += 1;
            let Some(data) = self.read_or_warn(&mut archive, location, *i, name, MAX_NESTED_SIZE)
            else {
                continue;
            };
            match open_zip(&data) {
                Ok(a) => self.archive(&inner, file_name(name), a, depth + 1),
                Err(e) => self.warn(format!(
                    "{location}: entry {name}: not a readable zip archive: {e}; skipped"
                )),
            }
        }
    }
}

/// The smallest central directory header: 46 bytes before the name.
const MIN_CENTRAL_HEADER: u64 = 46;

/// Opens a zip archive after checking that no end-of-central-directory record claims
/// more entries than the file can hold: the zip crate reserves memory for the claimed
/// count (some hundred bytes each), so a crafted zip64 count would cost gigabytes.
fn open_zip(data: &[u8]) -> Result<Archive<'_>, String> {
    check_entry_counts(data)?;
    zip::ZipArchive::new(Cursor::new(data)).map_err(|e| e.to_string())
}

fn le(data: &[u8], at: usize, n: usize) -> Option<u64> {
    let b = data.get(at..at.checked_add(n)?)?;
    Some(
        b.iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
    )
}

/// Checks every end-of-central-directory record in the last 64 KiB (+ 22 bytes) of the
/// file, and the zip64 record each points to.
fn check_entry_counts(data: &[u8]) -> Result<(), String> {
    const EOCD: &[u8; 4] = b"PK\x05\x06";
    const LOCATOR: u64 = 0x0706_4b50;
    const ZIP64_EOCD: u64 = 0x0606_4b50;
    let len = data.len() as u64;
    let start = data.len().saturating_sub(65_535 + 22);
    let tail = data.get(start..).unwrap_or(&[]);
    let too_many = |n: u64| {
        (n.saturating_mul(MIN_CENTRAL_HEADER) > len).then(|| {
            format!(
                "the central directory claims {n} entries, more than a {len} byte file can hold"
            )
        })
    };
    for (i, w) in tail.windows(4).enumerate() {
        if w != EOCD {
            continue;
        }
        let at = start + i;
        // 0xffff means "see the zip64 record".
        if let Some(m) = le(data, at + 10, 2)
            .filter(|&n| n != 0xffff)
            .and_then(too_many)
        {
            return Err(m);
        }
        // A zip64 locator sits right before the record.
        let Some(loc) = at.checked_sub(20) else {
            continue;
        };
        if le(data, loc, 4) != Some(LOCATOR) {
            continue;
        }
        let Some(rec) = le(data, loc + 8, 8).and_then(|o| usize::try_from(o).ok()) else {
            continue;
        };
        if le(data, rec, 4) == Some(ZIP64_EOCD)
            && let Some(m) = le(data, rec + 32, 8).and_then(too_many)
        {
            return Err(m);
        }
    }
    Ok(())
}

/// `META-INF/maven/<group>/<artifact>/pom.properties`.
fn is_pom_properties(name: &str) -> bool {
    name.strip_prefix("META-INF/maven/")
        .and_then(|r| r.strip_suffix("/pom.properties"))
        .is_some_and(|ga| ga.split('/').count() == 2 && !ga.split('/').any(str::is_empty))
}

fn pom_properties_entry(data: &[u8]) -> Result<LangEntry, String> {
    let text = String::from_utf8_lossy(data);
    let props = parse_properties(&text);
    let get = |k: &str| {
        props
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    match (get("groupId"), get("artifactId"), get("version")) {
        (Some(g), Some(a), Some(v)) => {
            Ok(LangEntry::new(PackageType::Maven, &format!("{g}:{a}"), v))
        }
        _ => Err("pom.properties without groupId, artifactId and version".into()),
    }
}

/// Java `.properties` syntax: `key=value`, `key: value` or `key value`; `#`/`!`
/// comments; a line ending in an odd number of backslashes continues on the next; the
/// usual backslash escapes.
pub fn parse_properties(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut logical = String::new();
    let mut continuing = false;
    for raw in text.split(['\n', '\r']) {
        let line = raw.trim_start_matches([' ', '\t', '\u{c}']);
        if !continuing {
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            logical.clear();
        }
        let trailing = line.chars().rev().take_while(|&c| c == '\\').count();
        if trailing % 2 == 1 {
            logical.push_str(line.get(..line.len() - 1).unwrap_or(""));
            continuing = true;
            continue;
        }
        logical.push_str(line);
        continuing = false;
        out.push(split_property(&logical));
    }
    if continuing && !logical.is_empty() {
        out.push(split_property(&logical));
    }
    out
}

fn split_property(line: &str) -> (String, String) {
    let mut key = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(e) = chars.next() {
                    unescape(e, &mut chars, &mut key);
                }
            }
            '=' | ':' => break,
            ' ' | '\t' | '\u{c}' => {
                while chars
                    .peek()
                    .is_some_and(|c| matches!(c, ' ' | '\t' | '\u{c}'))
                {
                    chars.next();
                }
                if chars.peek().is_some_and(|c| matches!(c, '=' | ':')) {
                    chars.next();
                }
                break;
            }
            c => key.push(c),
        }
    }
    while chars
        .peek()
        .is_some_and(|c| matches!(c, ' ' | '\t' | '\u{c}'))
    {
        chars.next();
    }
    let mut value = String::new();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(e) = chars.next() {
                unescape(e, &mut chars, &mut value);
            }
        } else {
            value.push(c);
        }
    }
    (key, value)
}

fn unescape(e: char, chars: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String) {
    match e {
        't' => out.push('\t'),
        'n' => out.push('\n'),
        'r' => out.push('\r'),
        'f' => out.push('\u{c}'),
        'u' => {
            let hex: String = (0..4).filter_map(|_| chars.next()).collect();
            match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                Some(c) => out.push(c),
                None => out.push_str(&hex),
            }
        }
        other => out.push(other),
    }
}

/// The main section of a manifest: `Name: value` attributes, continuation lines (a
/// leading space) joined, up to the first blank line.
pub fn parse_manifest(text: &str) -> Vec<(String, String)> {
    let mut attrs: Vec<(String, String)> = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    for line in lines {
        if line.is_empty() {
            if attrs.is_empty() {
                continue;
            }
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some((_, v)) = attrs.last_mut() {
                v.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            attrs.push((
                k.trim().to_owned(),
                v.strip_prefix(' ').unwrap_or(v).to_owned(),
            ));
        }
    }
    for (_, v) in &mut attrs {
        let t = v.trim();
        if t.len() != v.len() {
            *v = t.to_owned();
        }
    }
    attrs
}

/// `name-1.2.3.jar` -> (`name`, `1.2.3`): the version starts at the first `-` followed
/// by a digit. `(stem, None)` when there is no such `-`.
pub fn split_file_name(file: &str) -> (&str, Option<&str>) {
    let stem = match file.rfind('.') {
        Some(i) if i > 0 => file.get(..i).unwrap_or(file),
        _ => file,
    };
    let bytes = stem.as_bytes();
    for (i, w) in bytes.windows(2).enumerate() {
        if w.first() == Some(&b'-') && w.get(1).is_some_and(u8::is_ascii_digit) && i > 0 {
            return (stem.get(..i).unwrap_or(stem), stem.get(i + 1..));
        }
    }
    (stem, None)
}

/// The package of an archive without `pom.properties`, from its manifest attributes
/// and file name.
fn describe(file: &str, attrs: &[(String, String)]) -> Option<LangEntry> {
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let (file_base, file_version) = split_file_name(file);
    let name = get("Short-Name").or(Some(file_base).filter(|b| !b.is_empty()))?;
    let version = get("Implementation-Version")
        .or_else(|| get("Bundle-Version"))
        .or_else(|| get("Plugin-Version"))
        .or_else(|| get("Specification-Version"))
        .or(file_version)?;
    let full = match get("Implementation-Vendor-Id").or_else(|| get("Group-Id")) {
        Some(g) => format!("{g}:{name}"),
        None => name.to_owned(),
    };
    Some(LangEntry::new(PackageType::Maven, &full, version))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            split_file_name("commons-lang3-3.12.0.jar"),
            ("commons-lang3", Some("3.12.0"))
        );
        assert_eq!(
            split_file_name("foo-1.0-SNAPSHOT.war"),
            ("foo", Some("1.0-SNAPSHOT"))
        );
        assert_eq!(split_file_name("app.jar"), ("app", None));
        assert_eq!(
            split_file_name("log4j-1.2.17.jar"),
            ("log4j", Some("1.2.17"))
        );
        assert_eq!(split_file_name("-1.jar"), ("-1", None));
        assert!(is_java_archive("/a/B.JAR"));
        assert!(!is_java_archive("/a/.jar"));
        assert!(!is_java_archive("/a/jar"));
    }

    #[test]
    fn manifests_join_continuations_and_stop_at_the_main_section() {
        let m = "Manifest-Version: 1.0\r\nImplementation-Title: a-very-long-title-that-goes-on-past-seventy-two-b\r\n ytes-of-line\r\nBundle-SymbolicName: org.x.y;singleton:=true\r\n\r\nName: a/b/\r\nImplementation-Version: 9\r\n";
        let attrs = parse_manifest(m);
        assert_eq!(
            attrs,
            [
                ("Manifest-Version".to_owned(), "1.0".to_owned()),
                (
                    "Implementation-Title".to_owned(),
                    "a-very-long-title-that-goes-on-past-seventy-two-bytes-of-line".to_owned()
                ),
                (
                    "Bundle-SymbolicName".to_owned(),
                    "org.x.y;singleton:=true".to_owned()
                ),
            ]
        );
        assert_eq!(describe("x.jar", &attrs), None);
        let e = describe(
            "x.jar",
            &parse_manifest("Bundle-SymbolicName: org.x.y;singleton:=true\nBundle-Version: 2.0\n"),
        )
        .unwrap();
        assert_eq!((e.name.as_str(), e.version.as_str()), ("x", "2.0"));
        let e = describe(
            "git-client.hpi",
            &parse_manifest(
                "Short-Name: git\nGroup-Id: org.jenkins-ci.plugins\nPlugin-Version: 5.2.1\n",
            ),
        )
        .unwrap();
        assert_eq!(
            (e.name.as_str(), e.version.as_str()),
            ("org.jenkins-ci.plugins:git", "5.2.1")
        );
        let e = describe(
            "guava-33.0.jar",
            &parse_manifest("Implementation-Title: Guava\nImplementation-Version: 33.0.0\nImplementation-Vendor-Id: com.google.guava\n"),
        )
        .unwrap();
        assert_eq!(
            (e.name.as_str(), e.version.as_str()),
            ("com.google.guava:guava", "33.0.0")
        );
    }

    #[test]
    fn properties_syntax() {
        let p = parse_properties(
            "#Generated by Maven\n! bang\ngroupId = org.a\\\n   .b\nartifactId:x\\u0041\nversion 1.0\n\\ key=v\\t\nempty\n",
        );
        assert_eq!(
            p,
            [
                ("groupId".to_owned(), "org.a.b".to_owned()),
                ("artifactId".to_owned(), "xA".to_owned()),
                ("version".to_owned(), "1.0".to_owned()),
                (" key".to_owned(), "v\t".to_owned()),
                ("empty".to_owned(), String::new()),
            ]
        );
    }

    use crate::lang::binary::zipwrite::build_zip;

    const POM: &[u8] = b"#Generated by Maven\ngroupId=org.example\nartifactId=lib\nversion=1.2.3\n";
    const MANIFEST: &[u8] =
        b"Manifest-Version: 1.0\r\nImplementation-Title: Thing\r\nImplementation-Version: 4.5\r\n\r\n";

    fn detect(path: &str, data: &[u8]) -> (Vec<(String, String, String)>, Vec<String>) {
        let input = DetectInput {
            path,
            contents: data,
            distro: None,
        };
        let (pkgs, w) = JavaArchiveDetector.detect_with_warnings(&input).unwrap();
        (
            pkgs.into_iter()
                .map(|p| {
                    assert_eq!(p.locations.len(), 1);
                    (p.purl, p.version, p.locations[0].path.clone())
                })
                .collect(),
            w,
        )
    }

    fn row(a: &str, b: &str, c: &str) -> (String, String, String) {
        (a.to_owned(), b.to_owned(), c.to_owned())
    }

    #[test]
    fn nested_archives_with_locations() {
        let lib = build_zip(&[
            ("META-INF/MANIFEST.MF", MANIFEST, true),
            ("META-INF/maven/org.example/lib/pom.properties", POM, true),
        ]);
        let plain = build_zip(&[("META-INF/MANIFEST.MF", MANIFEST, false)]);
        let war = build_zip(&[
            ("WEB-INF/lib/lib-1.2.3.jar", &lib, false),
            ("WEB-INF/lib/thing.jar", &plain, true),
            ("WEB-INF/lib/broken.jar", b"not a zip", false),
            ("WEB-INF/classes/x.class", b"\xca\xfe", false),
        ]);
        let (got, warnings) = detect("/srv/app-2.0.war", &war);
        assert_eq!(
            got,
            [
                row("pkg:maven/app@2.0", "2.0", "/srv/app-2.0.war"),
                row(
                    "pkg:maven/org.example/lib@1.2.3",
                    "1.2.3",
                    "/srv/app-2.0.war:WEB-INF/lib/lib-1.2.3.jar"
                ),
                row(
                    "pkg:maven/thing@4.5",
                    "4.5",
                    "/srv/app-2.0.war:WEB-INF/lib/thing.jar"
                ),
            ]
        );
        assert_eq!(
            warnings,
            [
                "/srv/app-2.0.war: entry WEB-INF/lib/broken.jar: not a readable zip archive: invalid Zip archive: Could not find EOCD; skipped"
            ]
        );
    }

    #[test]
    fn depth_is_bounded() {
        let mut inner = build_zip(&[(
            "META-INF/maven/g/a/pom.properties",
            b"groupId=g\nartifactId=a\nversion=1\n",
            false,
        )]);
        for _ in 0..6 {
            inner = build_zip(&[("lib/n-1.jar", &inner, false)]);
        }
        let (got, warnings) = detect("/a.jar", &inner);
        let locations: Vec<&str> = got.iter().map(|r| r.2.as_str()).collect();
        assert_eq!(
            locations,
            [
                "/a.jar:lib/n-1.jar",
                "/a.jar:lib/n-1.jar:lib/n-1.jar",
                "/a.jar:lib/n-1.jar:lib/n-1.jar:lib/n-1.jar",
                "/a.jar:lib/n-1.jar:lib/n-1.jar:lib/n-1.jar:lib/n-1.jar",
            ]
        );
        assert_eq!(
            warnings,
            [
                "/a.jar: no pom.properties and no version in the manifest or the file name; no package reported",
                "/a.jar:lib/n-1.jar:lib/n-1.jar:lib/n-1.jar:lib/n-1.jar: entry lib/n-1.jar: archives nested deeper than 4 levels are not read; skipped",
            ]
        );
    }

    /// Central directory entries sharing one local entry: a small archive naming the
    /// same broken nested jar 12,000 times under different names. Archives opened and
    /// warnings are capped.
    #[test]
    fn shared_entries_are_bounded() {
        let one = build_zip(&[("lib/00000.jar", b"not a zip", false)]);
        let cd_at =
            u32::from_le_bytes(one[one.len() - 6..one.len() - 2].try_into().unwrap()) as usize;
        let eocd_at = one.len() - 22;
        let central = &one[cd_at..eocd_at];
        let n: u16 = 12_000;
        let mut z = one[..cd_at].to_vec();
        for i in 0..n {
            let mut c = central.to_vec();
            let name_at = c.len() - "lib/00000.jar".len();
            c[name_at..].copy_from_slice(format!("lib/{i:05}.jar").as_bytes());
            z.extend_from_slice(&c);
        }
        let cd_size = (central.len() * usize::from(n)) as u32;
        z.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        z.extend_from_slice(&n.to_le_bytes());
        z.extend_from_slice(&n.to_le_bytes());
        z.extend_from_slice(&cd_size.to_le_bytes());
        z.extend_from_slice(&(cd_at as u32).to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        let (got, warnings) = detect("/a-1.jar", &z);
        assert_eq!(got, [row("pkg:maven/a@1", "1", "/a-1.jar")]);
        assert_eq!(warnings.len(), MAX_WARNINGS + 1, "{:?}", warnings.first());
        assert_eq!(
            warnings[0],
            "/a-1.jar: entry lib/00000.jar: not a readable zip archive: invalid Zip archive: Could not find EOCD; skipped"
        );
        assert_eq!(
            warnings[MAX_WARNINGS],
            "/a-1.jar: 11000 more warnings not shown"
        );
    }

    #[test]
    fn oversized_metadata_is_a_warning() {
        let mut big = POM.to_vec();
        big.resize(2 * 1024 * 1024, b' ');
        let jar = build_zip(&[("META-INF/maven/g/a/pom.properties", &big, true)]);
        let (got, warnings) = detect("/x/a-1.jar", &jar);
        assert_eq!(got, [row("pkg:maven/a@1", "1", "/x/a-1.jar")]);
        assert_eq!(
            warnings,
            [
                "/x/a-1.jar: entry META-INF/maven/g/a/pom.properties: decompresses to more than 1048576 bytes (a zip bomb?); skipped"
            ]
        );
    }

    #[test]
    fn absurd_entry_counts_are_refused() {
        // An empty zip64 archive whose zip64 record claims 2^40 entries.
        let mut z = Vec::new();
        z.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
        z.extend_from_slice(&44u64.to_le_bytes());
        z.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&(1u64 << 40).to_le_bytes()); // entries on this disk
        z.extend_from_slice(&(1u64 << 40).to_le_bytes()); // entries
        z.extend_from_slice(&0u64.to_le_bytes()); // size
        z.extend_from_slice(&0u64.to_le_bytes()); // offset
        z.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
        z.extend_from_slice(&0u32.to_le_bytes());
        z.extend_from_slice(&0u64.to_le_bytes()); // the zip64 record is at 0
        z.extend_from_slice(&1u32.to_le_bytes());
        z.extend_from_slice(b"PK\x05\x06");
        z.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        z.extend_from_slice(&[0xff; 8]);
        z.extend_from_slice(&[0, 0]);
        let len = z.len();
        assert_eq!(
            check_entry_counts(&z),
            Err(format!(
                "the central directory claims 1099511627776 entries, more than a {len} byte file can hold"
            ))
        );
        // An honest archive passes.
        assert_eq!(
            check_entry_counts(&build_zip(&[("a", b"b", false)])),
            Ok(())
        );
    }

    #[test]
    fn not_a_zip_is_an_error() {
        let input = DetectInput {
            path: "/x/a.jar",
            contents: b"PK\x03\x04 truncated",
            distro: None,
        };
        match JavaArchiveDetector.detect_with_warnings(&input) {
            Err(DetectError::Malformed {
                path,
                line: None,
                message,
            }) => {
                assert_eq!(path, "/x/a.jar");
                assert!(
                    message.starts_with("not a readable zip archive: "),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fuzz_entry_survives_mutated_inputs() {
        use crate::lang::binary::mutate::{Rng, mutate};
        let lib = build_zip(&[
            ("META-INF/MANIFEST.MF", MANIFEST, true),
            ("META-INF/maven/org.example/lib/pom.properties", POM, false),
        ]);
        let seeds = [
            POM.to_vec(),
            MANIFEST.to_vec(),
            lib.clone(),
            build_zip(&[
                ("WEB-INF/lib/lib-1.jar", &lib, false),
                ("BOOT-INF/lib/b.jar", &lib, true),
            ]),
        ];
        let mut rng = Rng(0x1234_5678_9abc_def0);
        for i in 0..3000 {
            let seed = &seeds[i % seeds.len()];
            crate::lang::fuzz_jar(&mutate(&mut rng, seed));
        }
    }
}
