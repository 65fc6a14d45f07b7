//! Python: installed distributions (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`,
//! `*.egg-info` files), `requirements*.txt`, `poetry.lock`, `Pipfile.lock`, `uv.lock`
//! and `pdm.lock`. Names are kept as the file spells them; the purl carries the PEP 503
//! normalised name.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use strata_types::PackageType;

use super::{
    Entries, LangEntry, file_name, lang_detector, parent, parse_json, parse_toml, read_text,
};
use crate::{DetectError, DetectInput};

/// Installed distributions: core metadata files.
#[derive(Debug, Default)]
pub struct PythonMetadataDetector;

fn wants_metadata(path: &str) -> bool {
    let name = file_name(path);
    match name {
        "METADATA" => parent(path).ends_with(".dist-info"),
        "PKG-INFO" => {
            let dir = parent(path);
            dir.ends_with(".egg-info") || dir.ends_with("/EGG-INFO")
        }
        _ => name.ends_with(".egg-info"),
    }
}

lang_detector!(
    PythonMetadataDetector,
    "python-metadata",
    wants_metadata,
    metadata_entries
);

/// The most header lines a metadata file may have before its body.
const MAX_HEADER_LINES: usize = 100_000;

/// Reads core metadata (PEP 241/314/345/566/643): RFC 822 style headers up to the
/// first blank line. Header names are case-insensitive; the first `Name` and
/// `Version` count, as in Python's `email` parser.
pub(crate) fn metadata_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let mut name: Option<&str> = None;
    let mut version: Option<&str> = None;
    let mut license_expr: Option<&str> = None;
    let mut license: Option<String> = None;
    let mut classifiers: Vec<String> = Vec::new();
    // The header being read, for continuation lines.
    let mut current: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        if i >= MAX_HEADER_LINES {
            return Err(DetectError::TooLarge {
                path: input.path.to_owned(),
                message: format!("more than {MAX_HEADER_LINES} header lines"),
            });
        }
        // As in Python's `email` parser: an empty line ends the headers, a line that
        // starts with whitespace continues the previous header, and a line that is not
        // `Key: value` ends the headers too.
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation: only the License field's is kept, to see that it spans lines.
            if current == Some("license")
                && let Some(l) = license.as_mut()
            {
                l.push('\n');
                l.push_str(line.trim());
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            break;
        };
        if key.is_empty() || key.contains(|c: char| c.is_whitespace()) {
            break;
        }
        let key = key.trim();
        let value = value.trim();
        current = None;
        if key.eq_ignore_ascii_case("name") {
            name.get_or_insert(value);
        } else if key.eq_ignore_ascii_case("version") {
            version.get_or_insert(value);
        } else if key.eq_ignore_ascii_case("license-expression") {
            license_expr.get_or_insert(value);
        } else if key.eq_ignore_ascii_case("license") {
            if license.is_none() {
                license = Some(value.to_owned());
                current = Some("license");
            }
        } else if key.eq_ignore_ascii_case("classifier")
            && let Some(rest) = value.strip_prefix("License ::")
        {
            // `License :: OSI Approved :: MIT License` → `MIT License`; the bare
            // `License :: OSI Approved` names no license.
            if let Some(last) = rest.rsplit("::").next().map(str::trim)
                && !last.is_empty()
                && last != "OSI Approved"
            {
                classifiers.push(last.to_owned());
            }
        }
    }
    let name = name.filter(|n| !n.is_empty()).ok_or_else(|| {
        DetectError::malformed(input.path, None, "no Name field in the metadata headers")
    })?;
    let version = version.filter(|v| !v.is_empty()).ok_or_else(|| {
        DetectError::malformed(input.path, None, "no Version field in the metadata headers")
    })?;
    let licenses = if let Some(expr) = license_expr.filter(|e| !e.is_empty()) {
        vec![expr.to_owned()]
    } else if let Some(l) = license.filter(|l| usable_license_field(l)) {
        vec![l]
    } else {
        classifiers
    };
    Ok((
        vec![LangEntry::new(PackageType::Python, name, version).licenses(licenses)],
        Vec::new(),
    ))
}

/// The free-text `License` field names a license when it is one short line; many
/// packages put the whole license text there instead, or `UNKNOWN`.
fn usable_license_field(l: &str) -> bool {
    !l.is_empty() && !l.eq_ignore_ascii_case("UNKNOWN") && !l.contains('\n') && l.len() <= 100
}

/// `requirements*.txt` (and `*.txt` in a `requirements/` directory).
#[derive(Debug, Default)]
pub struct RequirementsDetector;

fn wants_requirements(path: &str) -> bool {
    let name = file_name(path);
    if !name.ends_with(".txt") {
        return false;
    }
    name.starts_with("requirements") || file_name(parent(path)) == "requirements"
}

lang_detector!(
    RequirementsDetector,
    "python-requirements",
    wants_requirements,
    requirements_entries
);

/// pip options that may stand alone on a line; they name no package.
const PIP_OPTIONS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "--no-index",
    "-f",
    "--find-links",
    "--no-binary",
    "--only-binary",
    "--prefer-binary",
    "--require-hashes",
    "--pre",
    "--trusted-host",
    "--use-feature",
    "-Z",
    "--always-unzip",
    "--hash",
    "--config-settings",
    "--global-option",
];

/// Reads a pip requirements file. Only `name==version` (or `===`) pins are packages;
/// anything else that names a package is a warning "unpinned". Comments, options
/// (`-r`, `-c`, `-e`, `--index-url`, ...), per-requirement options (`--hash`, ...),
/// environment markers and line continuations are handled. Included files (`-r`) are
/// not followed: they are read on their own when their names match.
pub(crate) fn requirements_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    let mut logical = String::new();
    let mut start_line = 0;
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, raw)) = lines.next() {
        if logical.is_empty() {
            start_line = i + 1;
        }
        // A comment ends the line before a continuation is looked for (pip does the same).
        let line = strip_comment(raw);
        if let Some(head) = line.strip_suffix('\\') {
            logical.push_str(head);
            logical.push(' ');
            if lines.peek().is_some() {
                continue;
            }
        } else {
            logical.push_str(line);
        }
        let req = std::mem::take(&mut logical);
        match parse_requirement(&req) {
            Requirement::Nothing => {}
            Requirement::Pinned { name, version } => {
                if seen.insert((super::pep503_normalize(name), version.to_owned())) {
                    entries.push(LangEntry::new(PackageType::Python, name, version));
                }
            }
            Requirement::Unpinned { name, spec } => warnings.push(format!(
                "{}:{start_line}: {name}: unpinned requirement `{}`; not reported",
                input.path,
                spec.trim()
            )),
            Requirement::Invalid(why) => warnings.push(format!(
                "{}:{start_line}: {why}: `{}`; skipped",
                input.path,
                req.trim()
            )),
        }
    }
    Ok((entries, warnings))
}

#[derive(Debug, PartialEq, Eq)]
enum Requirement<'a> {
    Nothing,
    Pinned { name: &'a str, version: &'a str },
    Unpinned { name: &'a str, spec: &'a str },
    Invalid(&'static str),
}

/// Drops a `#` comment: at the start of a line or after whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes.get(i - 1).is_some_and(u8::is_ascii_whitespace)) {
            return line.get(..i).unwrap_or(line);
        }
    }
    line
}

fn parse_requirement(line: &str) -> Requirement<'_> {
    let line = line.trim();
    if line.is_empty() {
        return Requirement::Nothing;
    }
    if line.starts_with('-') {
        let opt = line
            .split(|c: char| c.is_whitespace() || c == '=')
            .next()
            .unwrap_or(line);
        return if PIP_OPTIONS.contains(&opt) {
            Requirement::Nothing
        } else {
            Requirement::Invalid("unknown pip option")
        };
    }
    // Per-requirement options start at the first whitespace followed by `-`.
    let req = match line
        .char_indices()
        .find(|&(i, c)| c.is_whitespace() && line.get(i + 1..).is_some_and(|r| r.starts_with('-')))
    {
        Some((i, _)) => line.get(..i).unwrap_or(line),
        None => line,
    };
    let name_end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        .unwrap_or(req.len());
    let name = req.get(..name_end).unwrap_or("");
    let mut rest = req.get(name_end..).unwrap_or("").trim_start();
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return if req.contains('/') || req.contains(':') {
            Requirement::Invalid("a path or URL, not a named requirement")
        } else {
            Requirement::Invalid("no package name")
        };
    }
    if rest.starts_with('/') || rest.starts_with(':') || rest.starts_with('\\') {
        return Requirement::Invalid("a path or URL, not a named requirement");
    }
    if let Some(after) = rest.strip_prefix('[') {
        match after.find(']') {
            Some(end) => rest = after.get(end + 1..).unwrap_or("").trim_start(),
            None => return Requirement::Invalid("unterminated extras"),
        }
    }
    if rest.starts_with('@') {
        return Requirement::Unpinned { name, spec: rest };
    }
    // Environment markers come after `;`.
    let spec = rest.split(';').next().unwrap_or("").trim();
    if spec.is_empty() {
        return Requirement::Unpinned {
            name,
            spec: "(no version)",
        };
    }
    if !spec.starts_with(['=', '<', '>', '!', '~', '(']) {
        return Requirement::Invalid("not a version specifier");
    }
    let version = spec
        .strip_prefix("===")
        .or_else(|| spec.strip_prefix("=="))
        .map(str::trim);
    match version {
        Some(v)
            if !v.is_empty()
                && v.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '!' | '+' | '-' | '_')
                }) =>
        {
            Requirement::Pinned { name, version: v }
        }
        Some("") => Requirement::Invalid("`==` without a version"),
        Some(v) if v.contains(char::is_whitespace) => {
            Requirement::Invalid("unexpected text after the version")
        }
        _ => Requirement::Unpinned { name, spec },
    }
}

#[derive(Deserialize)]
struct TomlLock {
    #[serde(default)]
    package: Vec<TomlPackage>,
}

#[derive(Deserialize)]
struct TomlPackage {
    name: Option<String>,
    version: Option<String>,
    /// poetry 1.x: `main` or `dev`.
    category: Option<String>,
    /// poetry 2.x and pdm: dependency groups (`main`, `dev`, ...).
    groups: Option<Vec<String>>,
    /// poetry: `{type = "git", ...}`; uv: `{registry = ...}`, `{virtual = "."}`, ...
    source: Option<toml::Value>,
}

fn toml_entries(
    input: &DetectInput<'_>,
    text: &str,
    mut keep: impl FnMut(&TomlPackage) -> bool,
) -> Entries {
    if text.trim().is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let lock: TomlLock = parse_toml(input, text)?;
    let mut entries = Vec::with_capacity(lock.package.len());
    let mut warnings = Vec::new();
    for (i, p) in lock.package.iter().enumerate() {
        let (Some(name), Some(version)) = (p.name.as_deref(), p.version.as_deref()) else {
            warnings.push(format!(
                "{}: [[package]] entry {} has no name or version; skipped",
                input.path,
                i + 1
            ));
            continue;
        };
        if !keep(p) {
            continue;
        }
        // Development dependencies: poetry 1 says `category = "dev"`, poetry 2 and pdm
        // list groups; a package only in non-main groups is development-only.
        let dev = match (&p.category, &p.groups) {
            (Some(c), _) => Some(c == "dev"),
            (None, Some(g)) if !g.is_empty() => {
                Some(!g.iter().any(|g| g == "main" || g == "default"))
            }
            _ => None,
        };
        entries.push(LangEntry::new(PackageType::Python, name, version).dev(dev));
    }
    Ok((entries, warnings))
}

/// `poetry.lock`.
#[derive(Debug, Default)]
pub struct PoetryLockDetector;

lang_detector!(
    PoetryLockDetector,
    "python-poetry-lock",
    |p| file_name(p) == "poetry.lock",
    poetry_entries
);

/// Every `[[package]]`, git and path sources included (poetry records the version).
pub(crate) fn poetry_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    toml_entries(input, text, |_| true)
}

/// `uv.lock`.
#[derive(Debug, Default)]
pub struct UvLockDetector;

lang_detector!(
    UvLockDetector,
    "python-uv-lock",
    |p| file_name(p) == "uv.lock",
    uv_entries
);

/// Every `[[package]]` but the workspace's own projects (`source = { virtual = ... }`
/// or `{ editable = ... }`), which are not published packages.
pub(crate) fn uv_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    toml_entries(input, text, |p| {
        !p.source
            .as_ref()
            .and_then(|s| s.as_table())
            .is_some_and(|t| t.contains_key("virtual") || t.contains_key("editable"))
    })
}

/// `pdm.lock`.
#[derive(Debug, Default)]
pub struct PdmLockDetector;

lang_detector!(
    PdmLockDetector,
    "python-pdm-lock",
    |p| file_name(p) == "pdm.lock",
    pdm_entries
);

pub(crate) fn pdm_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    toml_entries(input, text, |_| true)
}

/// `Pipfile.lock`.
#[derive(Debug, Default)]
pub struct PipfileLockDetector;

lang_detector!(
    PipfileLockDetector,
    "python-pipfile-lock",
    |p| file_name(p) == "Pipfile.lock",
    pipfile_entries
);

#[derive(Deserialize)]
struct Pipfile {
    #[serde(default)]
    default: BTreeMap<String, PipfileDep>,
    #[serde(default)]
    develop: BTreeMap<String, PipfileDep>,
}

#[derive(Deserialize)]
struct PipfileDep {
    version: Option<String>,
}

/// `default` and `develop` (the latter marked dev); entries are sorted by name as the
/// file keeps them. Git and path entries have no version and are skipped with a warning.
pub(crate) fn pipfile_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    if text.trim().is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let lock: Pipfile = parse_json(input, text)?;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    // A package in both sections is a runtime one; it is reported once.
    let mut seen = HashSet::new();
    for (section, deps, dev) in [
        ("default", &lock.default, false),
        ("develop", &lock.develop, true),
    ] {
        for (name, dep) in deps {
            match dep.version.as_deref().and_then(|v| v.strip_prefix("==")) {
                Some(v) if !v.is_empty() => {
                    if seen.insert((name.as_str(), v)) {
                        entries.push(LangEntry::new(PackageType::Python, name, v).dev(Some(dev)));
                    }
                }
                _ => warnings.push(format!(
                    "{}: {section}.{name}: no pinned `==` version (git or path dependency); skipped",
                    input.path
                )),
            }
        }
    }
    Ok((entries, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_lines() {
        use Requirement::*;
        let cases: &[(&str, Requirement<'_>)] = &[
            (
                "a==1.0",
                Pinned {
                    name: "a",
                    version: "1.0",
                },
            ),
            (
                "a [x, y] == 2.0 ; python_version < '3'",
                Pinned {
                    name: "a",
                    version: "2.0",
                },
            ),
            (
                "yolo===1.0",
                Pinned {
                    name: "yolo",
                    version: "1.0",
                },
            ),
            (
                "a==1.0 --hash=sha256:1 --hash sha256:2",
                Pinned {
                    name: "a",
                    version: "1.0",
                },
            ),
            (
                "foo17--hash==1.0",
                Pinned {
                    name: "foo17--hash",
                    version: "1.0",
                },
            ),
            (
                "a>=1",
                Unpinned {
                    name: "a",
                    spec: ">=1",
                },
            ),
            (
                "a==1.*",
                Unpinned {
                    name: "a",
                    spec: "==1.*",
                },
            ),
            (
                "a==${V}",
                Unpinned {
                    name: "a",
                    spec: "==${V}",
                },
            ),
            (
                "a",
                Unpinned {
                    name: "a",
                    spec: "(no version)",
                },
            ),
            (
                "a @ https://x/y.zip",
                Unpinned {
                    name: "a",
                    spec: "@ https://x/y.zip",
                },
            ),
            ("a==", Invalid("`==` without a version")),
            ("==1.0", Invalid("no package name")),
            ("a 1.0", Invalid("not a version specifier")),
            (
                "a==1.0 junk --hash=x",
                Invalid("unexpected text after the version"),
            ),
            ("-foo==1.0", Invalid("unknown pip option")),
            ("-r other.txt", Nothing),
            ("--index-url=https://x", Nothing),
            ("./a.whl", Invalid("a path or URL, not a named requirement")),
            (
                "http://x/a.whl",
                Invalid("a path or URL, not a named requirement"),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(&parse_requirement(line), want, "{line}");
        }
    }

    #[test]
    fn comments_need_whitespace_before_the_hash() {
        assert_eq!(strip_comment("a==1 # x"), "a==1 ");
        assert_eq!(strip_comment("a==1;#x"), "a==1;#x");
        assert_eq!(strip_comment("# x"), "");
    }

    #[test]
    fn wants() {
        assert!(wants_metadata(
            "/usr/lib/python3/dist-packages/a-1.dist-info/METADATA"
        ));
        assert!(wants_metadata(
            "/usr/lib/python3/dist-packages/a-1.egg-info/PKG-INFO"
        ));
        assert!(wants_metadata(
            "/usr/lib/python3/dist-packages/a-1.egg-info"
        ));
        assert!(wants_metadata("/x/a-1.egg/EGG-INFO/PKG-INFO"));
        assert!(!wants_metadata("/x/METADATA"));
        assert!(wants_requirements("/app/requirements-dev.txt"));
        assert!(wants_requirements("/app/requirements/base.txt"));
        assert!(!wants_requirements("/app/notes.txt"));
    }
}
