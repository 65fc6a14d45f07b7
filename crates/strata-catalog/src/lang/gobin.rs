//! Go binaries: the module list the Go linker embeds in every binary built in module
//! mode (`go version -m` prints it).
//!
//! The build info starts with the 14-byte magic `\xff Go buildinf:` at a 16-byte aligned
//! address, normally at the start of the `.go.buildinfo` ELF section. Its 32-byte header
//! holds the pointer size (byte 14) and flags (byte 15: bit 0 big-endian, bit 1 "strings
//! inline"). Go 1.18 and later write the Go version and the module info right after the
//! header as varint-length-prefixed strings; older releases write two pointers to Go
//! string headers (`{data pointer, length}`) in the data segment, resolved here through
//! the program headers. The module info is framed by 16-byte sentinels and has one line
//! per fact: `path`, `mod` (the main module), `dep`, `=>` (the replacement of the line
//! before) and `build` (build settings).
//!
//! Reported: the main module (with the version Go stamped, usually `(devel)` — syft
//! reports it the same way — unless the linker flags set one with
//! `-X <pkg>.version=1.2.3`, as release builds do and syft reads too), every dependency
//! with its replacement applied, and the
//! standard library as `stdlib` with the Go release (`go1.21.5` -> version `1.21.5`,
//! purl `pkg:golang/stdlib@1.21.5`, as syft's purl; syft's version field keeps the
//! `go` prefix). A dependency replaced by a local directory has no version and is
//! skipped with a warning, as in `go.mod`.

use std::collections::HashSet;

use strata_types::PackageType;

use super::binary::elf::{self, Elf, PF_W, PF_X};
use super::binary::{MAX_BINARY_SIZE, is_executable_location};
use super::{Entries, LangEntry, check_count, to_packages};
use crate::{DetectError, DetectInput, Detector};

/// `\xff Go buildinf:`.
pub const BUILDINFO_MAGIC: &[u8; 14] = b"\xff Go buildinf:";
const HEADER_SIZE: usize = 32;
const ALIGN: u64 = 16;
/// The longest version or module-info string accepted.
const MAX_STRING: u64 = 16 * 1024 * 1024;
const FLAG_BIG_ENDIAN: u8 = 0x1;
const FLAG_INLINE: u8 = 0x2;

/// Go executables (ELF) in the usual install locations; see
/// [`is_executable_location`](super::binary::is_executable_location).
#[derive(Debug, Default)]
pub struct GoBinaryDetector;

impl Detector for GoBinaryDetector {
    fn name(&self) -> &'static str {
        "go-binary"
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
        to_packages(input, go_binary_entries(input))
    }
}

/// One module as the build info records it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Module {
    pub path: String,
    /// `(devel)` for a main module built without a version stamp; empty for a
    /// replacement by a local directory.
    pub version: String,
    /// The `h1:` checksum, empty when absent.
    pub sum: String,
    pub replace: Option<Box<Module>>,
}

/// The build info of one Go binary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuildInfo {
    /// As Go writes it: `go1.21.5`, `go1.22.0 X:boringcrypto`, `devel go1.23-abc`.
    pub go_version: String,
    /// The main package's import path (`path` line); empty when absent.
    pub path: String,
    pub main: Option<Module>,
    pub deps: Vec<Module>,
    /// `build` lines split at the first `=`, kept as written (quoted keys and values
    /// stay quoted).
    pub settings: Vec<(String, String)>,
}

/// Reads the build info of an ELF file. `Ok(None)` for files that are not ELF or carry
/// no Go build info; an error naming the file and offset when the build info is there
/// but corrupt.
pub fn read_build_info(path: &str, data: &[u8]) -> Result<Option<BuildInfo>, DetectError> {
    if !elf::is_elf(data) {
        return Ok(None);
    }
    let err = |offset: u64, message: String| {
        DetectError::malformed(
            path,
            None,
            format!("Go build info at offset {offset:#x}: {message}"),
        )
    };
    let elf = match Elf::parse(data) {
        Ok(e) => e,
        // A broken ELF header is not this detector's business unless Go build info
        // is there; say so only when the magic is found.
        Err(e) => {
            return match find_aligned(data, 0) {
                Some(_) => Err(DetectError::malformed(
                    path,
                    None,
                    format!("Go binary with a corrupt ELF header: {e}"),
                )),
                None => Ok(None),
            };
        }
    };
    let Some((offset, blob)) = locate(&elf).map_err(|e| err(e.offset, e.message))? else {
        return Ok(None);
    };
    let header = blob.get(..HEADER_SIZE).ok_or_else(|| {
        err(
            offset,
            format!(
                "header truncated: {} of {HEADER_SIZE} bytes before the end of the section",
                blob.len()
            ),
        )
    })?;
    let ptr_size = header.get(14).copied().unwrap_or(0);
    let flags = header.get(15).copied().unwrap_or(0);
    let (version, modinfo) = if flags & FLAG_INLINE != 0 {
        let mut pos = HEADER_SIZE;
        let v = inline_string(blob, &mut pos).map_err(|(at, m)| err(offset + at as u64, m))?;
        let m = inline_string(blob, &mut pos).map_err(|(at, m)| err(offset + at as u64, m))?;
        (v, m)
    } else {
        let is_64 = match ptr_size {
            4 => false,
            8 => true,
            n => {
                return Err(err(
                    offset + 14,
                    format!("pointer size {n} (expected 4 or 8)"),
                ));
            }
        };
        let r = elf::Reader {
            data: header,
            big_endian: flags & FLAG_BIG_ENDIAN != 0,
        };
        let ps = u64::from(ptr_size);
        let version_ptr = r
            .word(16, is_64)
            .map_err(|e| err(offset + e.offset, e.message))?;
        let modinfo_ptr = r
            .word(16 + ps, is_64)
            .map_err(|e| err(offset + e.offset, e.message))?;
        let v = pointed_string(&elf, r.big_endian, is_64, version_ptr)
            .map_err(|m| err(offset + 16, format!("version: {m}")))?;
        let m = pointed_string(&elf, r.big_endian, is_64, modinfo_ptr)
            .map_err(|m| err(offset + 16 + ps, format!("module info: {m}")))?;
        (v, m)
    };
    if version.is_empty() {
        return Ok(None);
    }
    let go_version = std::str::from_utf8(version)
        .map_err(|e| err(offset, format!("Go version is not UTF-8: {e}")))?
        .to_owned();
    // The module info sits between two 16-byte sentinels; without them there is none.
    let modinfo = match modinfo.len() {
        n if n >= 33 && modinfo.get(n - 17) == Some(&b'\n') => {
            modinfo.get(16..n - 16).unwrap_or(&[])
        }
        _ => &[],
    };
    let modinfo = std::str::from_utf8(modinfo)
        .map_err(|e| err(offset, format!("module info is not UTF-8: {e}")))?;
    let mut info = parse_modinfo(modinfo).map_err(|m| err(offset, m))?;
    info.go_version = go_version;
    Ok(Some(info))
}

/// The build info blob (from its magic to the end of the section or segment holding
/// it) and its file offset: in `.go.buildinfo` when the section headers name it, else
/// in the writable data segments, else anywhere in a file that has neither.
fn locate<'a>(elf: &Elf<'a>) -> Result<Option<(u64, &'a [u8])>, elf::ElfError> {
    if let Some(s) = elf.section(".go.buildinfo") {
        let data = elf.section_data(s)?;
        return Ok(find_aligned(data, s.addr)
            .and_then(|p| Some((s.offset.checked_add(p as u64)?, data.get(p..)?))));
    }
    let mut any_data_segment = false;
    for seg in &elf.segments {
        if seg.flags & (PF_W | PF_X) != PF_W {
            continue;
        }
        any_data_segment = true;
        let data = elf.segment_data(seg);
        if let Some(p) = find_aligned(data, seg.vaddr) {
            let blob = data.get(p..).unwrap_or(&[]);
            return Ok(seg.offset.checked_add(p as u64).map(|o| (o, blob)));
        }
    }
    if !any_data_segment && elf.sections.is_empty() {
        return Ok(find_aligned(elf.data, 0).and_then(|p| Some((p as u64, elf.data.get(p..)?))));
    }
    Ok(None)
}

/// The first position of the magic in `data` whose address (`base` + position) is
/// 16-byte aligned.
fn find_aligned(data: &[u8], base: u64) -> Option<usize> {
    let first = ((ALIGN - base % ALIGN) % ALIGN) as usize;
    let mut pos = first;
    while pos < data.len() {
        if data
            .get(pos..)
            .is_some_and(|d| d.starts_with(BUILDINFO_MAGIC))
        {
            return Some(pos);
        }
        pos += ALIGN as usize;
    }
    None
}

/// An unsigned LEB128 varint at `*pos`, as Go's `binary.Uvarint`.
fn uvarint(data: &[u8], pos: &mut usize) -> Result<u64, (usize, String)> {
    let start = *pos;
    let mut value = 0u64;
    for i in 0..10 {
        let Some(&b) = data.get(start + i) else {
            return Err((start, "string length (varint) truncated".into()));
        };
        if i == 9 && b > 1 {
            return Err((start, "string length (varint) overflows 64 bits".into()));
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *pos = start + i + 1;
            return Ok(value);
        }
    }
    Err((start, "string length (varint) overflows 64 bits".into()))
}

/// A varint-length-prefixed string at `*pos`.
fn inline_string<'a>(data: &'a [u8], pos: &mut usize) -> Result<&'a [u8], (usize, String)> {
    let start = *pos;
    let len = uvarint(data, pos)?;
    if len > MAX_STRING {
        return Err((
            start,
            format!("string of {len} bytes is over the {MAX_STRING} byte limit"),
        ));
    }
    let end = usize::try_from(len)
        .ok()
        .and_then(|l| pos.checked_add(l))
        .filter(|&e| e <= data.len())
        .ok_or_else(|| {
            (
                start,
                format!(
                    "string of {len} bytes runs past the end of the build info ({} bytes left)",
                    data.len().saturating_sub(*pos)
                ),
            )
        })?;
    let s = data.get(*pos..end).unwrap_or(&[]);
    *pos = end;
    Ok(s)
}

/// A Go string through a pointer to its `{data, len}` header (the pre-1.18 format).
fn pointed_string<'a>(
    elf: &Elf<'a>,
    big_endian: bool,
    is_64: bool,
    ptr: u64,
) -> Result<&'a [u8], String> {
    let ps: u64 = if is_64 { 8 } else { 4 };
    let header = elf.read_vaddr(ptr, 2 * ps).ok_or_else(|| {
        format!("string header pointer {ptr:#x} is outside the file's loadable segments")
    })?;
    let r = elf::Reader {
        data: header,
        big_endian,
    };
    let data_ptr = r.word(0, is_64).map_err(|e| e.message)?;
    let len = r.word(ps, is_64).map_err(|e| e.message)?;
    if len > MAX_STRING {
        return Err(format!(
            "string of {len} bytes is over the {MAX_STRING} byte limit"
        ));
    }
    elf.read_vaddr(data_ptr, len).ok_or_else(|| {
        format!(
            "string data pointer {data_ptr:#x} (+{len} bytes) is outside the file's loadable segments"
        )
    })
}

/// Parses the module info text like Go's `debug.ParseBuildInfo`. Errors name the line.
pub fn parse_modinfo(text: &str) -> Result<BuildInfo, String> {
    let mut info = BuildInfo::default();
    // Where the last `mod`/`dep` went, for a following `=>`.
    enum Last {
        None,
        Main,
        Dep,
    }
    let mut last = Last::None;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let bad = |m: &str| format!("module info line {lineno}: {m}: `{line}`");
        if line.is_empty() {
            continue;
        }
        let (word, rest) = line.split_once('\t').unwrap_or((line, ""));
        match word {
            "path" => {
                info.path = rest.to_owned();
                last = Last::None;
            }
            "mod" | "dep" | "=>" => {
                let cols: Vec<&str> = rest.split('\t').collect();
                let m = match cols.as_slice() {
                    [p, v] => Module {
                        path: (*p).to_owned(),
                        version: (*v).to_owned(),
                        ..Module::default()
                    },
                    [p, v, s] => Module {
                        path: (*p).to_owned(),
                        version: (*v).to_owned(),
                        sum: (*s).to_owned(),
                        replace: None,
                    },
                    _ => return Err(bad("expected 2 or 3 tab-separated columns")),
                };
                if m.path.is_empty() {
                    return Err(bad("empty module path"));
                }
                match word {
                    "mod" => {
                        info.main = Some(m);
                        last = Last::Main;
                    }
                    "dep" => {
                        info.deps.push(m);
                        last = Last::Dep;
                    }
                    _ => {
                        let target = match last {
                            Last::Main => info.main.as_mut(),
                            Last::Dep => info.deps.last_mut(),
                            Last::None => None,
                        };
                        match target {
                            Some(t) if t.replace.is_none() => t.replace = Some(Box::new(m)),
                            _ => return Err(bad("replacement without a module before it")),
                        }
                        last = Last::None;
                    }
                }
            }
            "build" => {
                let (k, v) = rest
                    .split_once('=')
                    .ok_or_else(|| bad("build setting without `=`"))?;
                info.settings.push((k.to_owned(), v.to_owned()));
                last = Last::None;
            }
            _ => return Err(bad("unknown line")),
        }
    }
    Ok(info)
}

/// The Go release of a version string (`go1.21.5 X:boringcrypto` -> `1.21.5`); `None`
/// for development builds.
fn go_release(version: &str) -> Option<&str> {
    let first = version.split_whitespace().next()?;
    first
        .strip_prefix("go")
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
}

/// The version a release build stamps into the binary with the linker flag
/// `-X <package>.version=1.2.3` (any symbol named `version` or `Version`), as `v1.2.3`;
/// `None` when there is none or it does not look like a version. Go before 1.24 does
/// not stamp the main module's version, so release tooling (goreleaser, Makefiles) does
/// it this way; syft reads it the same way.
fn ldflags_version(settings: &[(String, String)]) -> Option<String> {
    let (_, raw) = settings.iter().find(|(k, _)| k == "-ldflags")?;
    let flags = unquote(raw);
    let mut words = flags.split_whitespace();
    while let Some(w) = words.next() {
        let assignment = match w.trim_start_matches('-') {
            "X" => words.next()?,
            other => match other.strip_prefix("X=") {
                Some(a) => a,
                None => continue,
            },
        };
        let assignment = assignment.trim_matches(['\'', '"']);
        let Some((symbol, value)) = assignment.split_once('=') else {
            continue;
        };
        let name = symbol.rsplit('.').next().unwrap_or(symbol);
        if name != "version" && name != "Version" {
            continue;
        }
        let digits = value.strip_prefix('v').unwrap_or(value);
        if digits.starts_with(|c: char| c.is_ascii_digit()) && digits.contains('.') {
            return Some(format!("v{digits}"));
        }
    }
    None
}

/// A build setting value as Go writes it: quoted with `strconv.Quote` when it has
/// spaces or quotes, else bare.
fn unquote(v: &str) -> String {
    let Some(inner) = v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return v.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(e) = chars.next() {
                out.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn is_local_path(p: &str) -> bool {
    p.starts_with("./") || p.starts_with("../") || p.starts_with('/') || p == "." || p == ".."
}

/// The packages of one Go binary.
pub(crate) fn go_binary_entries(input: &DetectInput<'_>) -> Entries {
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
    let Some(info) = read_build_info(input.path, input.contents)? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |path: &str, version: &str, entries: &mut Vec<LangEntry>| {
        if seen.insert((path.to_owned(), version.to_owned())) {
            entries.push(LangEntry::new(PackageType::Go, path, version));
        }
    };
    if let Some(main) = &info.main {
        let stamped = (main.version.is_empty() || main.version == "(devel)")
            .then(|| ldflags_version(&info.settings))
            .flatten();
        let version = match &stamped {
            Some(v) => v.as_str(),
            None if main.version.is_empty() => "(devel)",
            None => main.version.as_str(),
        };
        push(&main.path, version, &mut entries);
    }
    for dep in &info.deps {
        let m = dep.replace.as_deref().unwrap_or(dep);
        if m.version.is_empty() || is_local_path(&m.path) {
            warnings.push(format!(
                "{}: Go module {} {} is replaced by the local directory {}; skipped",
                input.path, dep.path, dep.version, m.path
            ));
            continue;
        }
        push(&m.path, &m.version, &mut entries);
    }
    match go_release(&info.go_version) {
        Some(v) => push("stdlib", v, &mut entries),
        None => warnings.push(format!(
            "{}: Go version `{}` is not a release; the standard library is not reported",
            input.path, info.go_version
        )),
    }
    check_count(input, entries.len())?;
    Ok((entries, warnings))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::binary::elfwrite::{ElfSpec, build_elf};

    fn sentinel_wrap(modinfo: &str) -> Vec<u8> {
        let mut v = b"0123456789abcdef".to_vec();
        v.extend_from_slice(modinfo.as_bytes());
        v.extend_from_slice(b"fedcba9876543210");
        v
    }

    fn varint(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    /// The `.go.buildinfo` contents in the Go 1.18+ format.
    pub(crate) fn inline_blob(version: &str, modinfo: &str) -> Vec<u8> {
        let mut b = BUILDINFO_MAGIC.to_vec();
        b.push(8);
        b.push(FLAG_INLINE);
        b.resize(HEADER_SIZE, 0);
        varint(version.len(), &mut b);
        b.extend_from_slice(version.as_bytes());
        let m = sentinel_wrap(modinfo);
        varint(m.len(), &mut b);
        b.extend_from_slice(&m);
        b
    }

    pub(crate) const MODINFO: &str = "path\texample.com/hello\nmod\texample.com/hello\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.0\th1:abc=\ndep\texample.com/lib\tv1.0.0\n=>\t../lib\t\t\ndep\tgithub.com/Foo/Bar\tv1.2.3\n=>\tgithub.com/fork/bar\tv1.2.4\th1:def=\nbuild\t-compiler=gc\nbuild\tGOARCH=amd64\n";

    fn names(input: &DetectInput<'_>) -> (Vec<(String, String, String)>, Vec<String>) {
        let (pkgs, w) = GoBinaryDetector.detect_with_warnings(input).unwrap();
        (
            pkgs.into_iter()
                .map(|p| (p.name, p.version, p.purl))
                .collect(),
            w,
        )
    }

    fn expected() -> Vec<(String, String, String)> {
        [
            (
                "example.com/hello",
                "(devel)",
                "pkg:golang/example.com/hello@%28devel%29",
            ),
            (
                "golang.org/x/text",
                "v0.3.0",
                "pkg:golang/golang.org/x/text@v0.3.0",
            ),
            (
                "github.com/fork/bar",
                "v1.2.4",
                "pkg:golang/github.com/fork/bar@v1.2.4",
            ),
            ("stdlib", "1.21.5", "pkg:golang/stdlib@1.21.5"),
        ]
        .iter()
        .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
        .collect()
    }

    #[test]
    fn inline_format_in_a_section() {
        let blob = inline_blob("go1.21.5", MODINFO);
        let elf = build_elf(&ElfSpec::new(true, false).section(".go.buildinfo", &blob, true));
        let input = DetectInput {
            path: "/usr/bin/hello",
            contents: &elf,
            distro: None,
        };
        let (got, warnings) = names(&input);
        assert_eq!(got, expected());
        assert_eq!(
            warnings,
            [
                "/usr/bin/hello: Go module example.com/lib v1.0.0 is replaced by the local directory ../lib; skipped"
            ]
        );
    }

    /// Old (pre-1.18) format: pointers to string headers, for each class and byte order,
    /// with and without section headers.
    #[test]
    fn pointer_format_all_classes_and_byte_orders() {
        for is_64 in [false, true] {
            for big in [false, true] {
                for sections in [true, false] {
                    let elf =
                        build_elf(&ElfSpec::old_go(is_64, big, "go1.16.3", MODINFO, sections));
                    let input = DetectInput {
                        path: "/usr/bin/old",
                        contents: &elf,
                        distro: None,
                    };
                    let (got, _) = names(&input);
                    let mut want = expected();
                    want[3] = (
                        "stdlib".into(),
                        "1.16.3".into(),
                        "pkg:golang/stdlib@1.16.3".into(),
                    );
                    assert_eq!(
                        got, want,
                        "64-bit {is_64}, big-endian {big}, sections {sections}"
                    );
                }
            }
        }
    }

    #[test]
    fn stripped_section_headers_are_searched_in_the_data_segment() {
        let blob = inline_blob("go1.22.0 X:boringcrypto", MODINFO);
        let elf = build_elf(
            &ElfSpec::new(false, true)
                .section(".go.buildinfo", &blob, true)
                .without_section_headers(),
        );
        let input = DetectInput {
            path: "/app/x",
            contents: &elf,
            distro: None,
        };
        let (got, _) = names(&input);
        let mut want = expected();
        want[3] = (
            "stdlib".into(),
            "1.22.0".into(),
            "pkg:golang/stdlib@1.22.0".into(),
        );
        assert_eq!(got, want);
    }

    #[test]
    fn not_go_and_not_elf_is_empty() {
        for data in [&b"#!/bin/sh\necho hi\n"[..], b"", b"\x7fEL"] {
            let input = DetectInput {
                path: "/usr/bin/x",
                contents: data,
                distro: None,
            };
            assert_eq!(names(&input), (vec![], vec![]));
        }
        let elf = build_elf(&ElfSpec::new(true, false).section(".data", b"nothing here", true));
        let input = DetectInput {
            path: "/usr/bin/x",
            contents: &elf,
            distro: None,
        };
        assert_eq!(names(&input), (vec![], vec![]));
    }

    fn error_of(blob: &[u8]) -> String {
        let elf = build_elf(&ElfSpec::new(true, false).section(".go.buildinfo", blob, true));
        let input = DetectInput {
            path: "/usr/bin/bad",
            contents: &elf,
            distro: None,
        };
        match GoBinaryDetector.detect_with_warnings(&input) {
            Err(DetectError::Malformed {
                path,
                line,
                message,
            }) => {
                assert_eq!(path, "/usr/bin/bad");
                assert_eq!(line, None);
                message
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn corrupt_build_info_is_an_error_with_the_offset() {
        let good = inline_blob("go1.21.5", MODINFO);
        // build_elf puts the first section at 0x1000.
        // Truncated header.
        assert_eq!(
            error_of(good.get(..20).unwrap()),
            "Go build info at offset 0x1000: header truncated: 20 of 32 bytes before the end of the section"
        );
        // Truncated varint.
        let mut t = good.get(..HEADER_SIZE).unwrap().to_vec();
        t.push(0x80);
        assert_eq!(
            error_of(&t),
            "Go build info at offset 0x1020: string length (varint) truncated"
        );
        // A length past the end.
        let mut t = good.get(..HEADER_SIZE).unwrap().to_vec();
        t.extend_from_slice(&[0xff, 0x01, b'g']);
        assert_eq!(
            error_of(&t),
            "Go build info at offset 0x1020: string of 255 bytes runs past the end of the build info (1 bytes left)"
        );
        // Overflowing varint.
        let mut t = good.get(..HEADER_SIZE).unwrap().to_vec();
        t.extend_from_slice(&[0xff; 11]);
        assert_eq!(
            error_of(&t),
            "Go build info at offset 0x1020: string length (varint) overflows 64 bits"
        );
        // A bad module info line.
        let bad = inline_blob("go1.21.5", "dep\tonly-one-column\n");
        assert_eq!(
            error_of(&bad),
            "Go build info at offset 0x1000: module info line 1: expected 2 or 3 tab-separated columns: `dep\tonly-one-column`"
        );
        let bad = inline_blob("go1.21.5", "=>\tx\tv1\n");
        assert_eq!(
            error_of(&bad),
            "Go build info at offset 0x1000: module info line 1: replacement without a module before it: `=>\tx\tv1`"
        );
        // Old format with a pointer outside every segment.
        let mut old = BUILDINFO_MAGIC.to_vec();
        old.extend_from_slice(&[8, 0]);
        old.extend_from_slice(&0xdead_beef_u64.to_le_bytes());
        old.extend_from_slice(&0x10_u64.to_le_bytes());
        assert_eq!(
            error_of(&old),
            "Go build info at offset 0x1010: version: string header pointer 0xdeadbeef is outside the file's loadable segments"
        );
        let mut old = BUILDINFO_MAGIC.to_vec();
        old.extend_from_slice(&[3, 0]);
        old.resize(HEADER_SIZE, 0);
        assert_eq!(
            error_of(&old),
            "Go build info at offset 0x100e: pointer size 3 (expected 4 or 8)"
        );
    }

    #[test]
    fn main_module_version_from_ldflags() {
        let set = |v: &str| vec![("-ldflags".to_owned(), v.to_owned())];
        assert_eq!(
            ldflags_version(&set(
                "\"-w -s -extldflags '-static' -X main.version=1.18.1 -X main.gitCommit=5e16e50\""
            )),
            Some("v1.18.1".to_owned())
        );
        assert_eq!(
            ldflags_version(&set(
                "\"-X=github.com/a/b/internal/build.Version=v2.0.0-rc.1\""
            )),
            Some("v2.0.0-rc.1".to_owned())
        );
        assert_eq!(ldflags_version(&set("\"-X main.version=dev\"")), None);
        assert_eq!(ldflags_version(&set("\"-X main.versionString=1.0\"")), None);
        assert_eq!(ldflags_version(&set("-s")), None);
        assert_eq!(ldflags_version(&set("\"-X\"")), None);
        assert_eq!(ldflags_version(&[]), None);

        let modinfo =
            "path\tx.io/cmd\nmod\tx.io/cmd\t(devel)\t\nbuild\t-ldflags=\"-X main.version=0.4.2\"\n";
        let elf = build_elf(&ElfSpec::new(true, false).section(
            ".go.buildinfo",
            &inline_blob("go1.23.4", modinfo),
            true,
        ));
        let input = DetectInput {
            path: "/usr/bin/cmd",
            contents: &elf,
            distro: None,
        };
        let (got, _) = names(&input);
        assert_eq!(
            got[0],
            (
                "x.io/cmd".to_owned(),
                "v0.4.2".to_owned(),
                "pkg:golang/x.io/cmd@v0.4.2".to_owned()
            )
        );
    }

    #[test]
    fn modinfo_parsing() {
        let info = parse_modinfo(MODINFO).unwrap();
        assert_eq!(info.path, "example.com/hello");
        assert_eq!(info.deps.len(), 3);
        assert_eq!(
            info.deps[1].replace.as_deref(),
            Some(&Module {
                path: "../lib".into(),
                version: String::new(),
                sum: String::new(),
                replace: None
            })
        );
        assert_eq!(
            info.settings,
            [
                ("-compiler".to_owned(), "gc".to_owned()),
                ("GOARCH".to_owned(), "amd64".to_owned())
            ]
        );
        assert_eq!(go_release("go1.21.5"), Some("1.21.5"));
        assert_eq!(go_release("go1.19"), Some("1.19"));
        assert_eq!(go_release("devel go1.23-abc"), None);
    }

    #[test]
    fn fuzz_entry_survives_mutated_inputs() {
        use crate::lang::binary::mutate::{Rng, mutate};
        let seeds = [
            inline_blob("go1.21.5", MODINFO),
            build_elf(&ElfSpec::old_go(true, false, "go1.16", MODINFO, true)),
            build_elf(&ElfSpec::old_go(false, true, "go1.16", MODINFO, false)),
            build_elf(&ElfSpec::new(true, false).section(
                ".go.buildinfo",
                &inline_blob("go1.21.5", MODINFO),
                true,
            )),
        ];
        let mut rng = Rng(0x00c0_ffee_1234_5678);
        for i in 0..3000 {
            let seed = &seeds[i % seeds.len()];
            crate::lang::fuzz_go_buildinfo(&mutate(&mut rng, seed));
        }
    }
}
