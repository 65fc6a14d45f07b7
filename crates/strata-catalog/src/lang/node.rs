//! Node.js: installed packages (`node_modules/<name>/package.json`,
//! `node_modules/@scope/<name>/package.json`), `package-lock.json` and
//! `npm-shrinkwrap.json` (lockfile versions 1, 2 and 3), `yarn.lock` (v1 and berry)
//! and `pnpm-lock.yaml` (v5, v6 and v9).

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use strata_types::PackageType;

use super::yaml::{self, Yaml};
use super::{Entries, LangEntry, file_name, lang_detector, parent, parse_json, read_text};
use crate::{DetectError, DetectInput};

/// `package.json` of installed packages. Every copy is reported with its own path,
/// nested ones included.
#[derive(Debug, Default)]
pub struct NodePackageJsonDetector;

fn wants_package_json(path: &str) -> bool {
    if file_name(path) != "package.json" {
        return false;
    }
    let dir = parent(path);
    let name = file_name(dir);
    let up = parent(dir);
    if name.is_empty() || name.starts_with('.') {
        return false;
    }
    if !name.starts_with('@') && file_name(up) == "node_modules" {
        return true;
    }
    file_name(up).starts_with('@') && file_name(parent(up)) == "node_modules"
}

lang_detector!(
    NodePackageJsonDetector,
    "node-package-json",
    wants_package_json,
    package_json_entries
);

#[derive(Deserialize)]
struct PackageJson {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    license: Option<serde_json::Value>,
    #[serde(default)]
    licenses: Option<serde_json::Value>,
}

/// `license` is a string (an SPDX expression) or, in old packages, `{ "type": ... }` or
/// a list of either; older still, `licenses` is such a list.
fn licenses_of(
    license: Option<&serde_json::Value>,
    licenses: Option<&serde_json::Value>,
) -> Vec<String> {
    fn one(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            serde_json::Value::Object(o) => one(o.get("type")?),
            _ => None,
        }
    }
    fn all(v: &serde_json::Value) -> Vec<String> {
        match v {
            serde_json::Value::Array(a) => a.iter().filter_map(one).collect(),
            v => one(v).into_iter().collect(),
        }
    }
    let from_license = license.map(all).unwrap_or_default();
    if !from_license.is_empty() {
        return from_license;
    }
    licenses.map(all).unwrap_or_default()
}

pub(crate) fn package_json_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let pj: PackageJson = parse_json(input, text)?;
    let (Some(name), Some(version)) = (
        pj.name.as_deref().filter(|n| !n.is_empty()),
        pj.version.as_deref().filter(|v| !v.is_empty()),
    ) else {
        return Ok((
            Vec::new(),
            vec![format!(
                "{}: package.json without a name or version; skipped",
                input.path
            )],
        ));
    };
    let licenses = licenses_of(pj.license.as_ref(), pj.licenses.as_ref());
    Ok((
        vec![LangEntry::new(PackageType::Npm, name, version).licenses(licenses)],
        Vec::new(),
    ))
}

/// `package-lock.json` and `npm-shrinkwrap.json`.
#[derive(Debug, Default)]
pub struct PackageLockDetector;

/// Lockfiles inside installed packages (`node_modules/x/yarn.lock`) describe those
/// packages' own development setups, not what is installed; they are not read.
fn outside_node_modules(path: &str) -> bool {
    !path.contains("/node_modules/")
}

fn wants_package_lock(path: &str) -> bool {
    match file_name(path) {
        "package-lock.json" | "npm-shrinkwrap.json" => outside_node_modules(path),
        // npm's hidden lockfile, `node_modules/.package-lock.json`, has the same format.
        ".package-lock.json" => {
            let dir = parent(path);
            file_name(dir) == "node_modules" && outside_node_modules(dir)
        }
        _ => false,
    }
}

lang_detector!(
    PackageLockDetector,
    "node-package-lock",
    wants_package_lock,
    package_lock_entries
);

#[derive(Deserialize)]
struct PackageLock {
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<serde_json::Value>,
    /// v2 and v3: install path → package.
    packages: Option<BTreeMap<String, LockPackage>>,
    /// v1 (and v2 for older npm): name → dependency, nested.
    dependencies: Option<BTreeMap<String, LockDependency>>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    license: Option<serde_json::Value>,
    #[serde(default)]
    licenses: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct LockDependency {
    version: Option<String>,
    #[serde(default)]
    dev: bool,
    dependencies: Option<BTreeMap<String, LockDependency>>,
}

/// v2/v3 files are read from `packages` (every install path under `node_modules/`;
/// the root `""`, workspace members and `link` entries are the project's own code and
/// are skipped). v1 files are read from the nested `dependencies`. A package installed
/// at several paths with the same version is reported once.
pub(crate) fn package_lock_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let lock: PackageLock = parse_json(input, text)?;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    if let Some(packages) = &lock.packages {
        for (path, p) in packages {
            let Some(idx) = path.rfind("node_modules/") else {
                continue; // "" (the root) or a workspace member's directory
            };
            if p.link {
                continue; // the link target is listed on its own
            }
            let installed_as = path.get(idx + "node_modules/".len()..).unwrap_or("");
            let name = p.name.as_deref().unwrap_or(installed_as);
            let Some(version) = p.version.as_deref().filter(|v| !v.is_empty()) else {
                warnings.push(format!(
                    "{}: packages[\"{path}\"] has no version; skipped",
                    input.path
                ));
                continue;
            };
            if name.is_empty() {
                continue;
            }
            if seen.insert((name.to_owned(), version.to_owned())) {
                let mut e = LangEntry::new(PackageType::Npm, name, version)
                    .dev(Some(p.dev))
                    .licenses(licenses_of(p.license.as_ref(), p.licenses.as_ref()));
                e.install_path = Some(path.clone());
                entries.push(e);
            }
        }
        return Ok((entries, warnings));
    }
    if lock.lockfile_version.is_none() && lock.dependencies.is_none() {
        return Err(DetectError::malformed(
            input.path,
            None,
            "neither `packages` nor `dependencies` nor `lockfileVersion`: not an npm lockfile",
        ));
    }
    if let Some(deps) = &lock.dependencies {
        walk_v1(input, deps, &mut entries, &mut warnings, &mut seen);
    }
    Ok((entries, warnings))
}

/// v1 `dependencies`, depth first. Nesting is bounded by serde_json's recursion limit.
fn walk_v1(
    input: &DetectInput<'_>,
    deps: &BTreeMap<String, LockDependency>,
    entries: &mut Vec<LangEntry>,
    warnings: &mut Vec<String>,
    seen: &mut HashSet<(String, String)>,
) {
    for (key, d) in deps {
        let version = d.version.as_deref().unwrap_or("");
        // An alias: `"version": "npm:real-name@1.2.3"`.
        let (name, version) = match version.strip_prefix("npm:").and_then(split_name_version) {
            Some((n, v)) => (n, v),
            None => (key.as_str(), version),
        };
        if version.is_empty() {
            warnings.push(format!(
                "{}: dependencies.{key} has no version; skipped",
                input.path
            ));
        } else if !is_registry_version(version) {
            warnings.push(format!(
                "{}: dependencies.{key}: `{version}` is a git, file or URL dependency, not a registry version; skipped",
                input.path
            ));
        } else if seen.insert((name.to_owned(), version.to_owned())) {
            entries.push(LangEntry::new(PackageType::Npm, name, version).dev(Some(d.dev)));
        }
        if let Some(nested) = &d.dependencies {
            walk_v1(input, nested, entries, warnings, seen);
        }
    }
}

/// A version, not a git/file/URL spec (`git+ssh://...`, `github:a/b#c`, `file:x`).
fn is_registry_version(v: &str) -> bool {
    !v.contains(':') && !v.contains('/')
}

/// `name@version` with an optional leading `@scope/`.
fn split_name_version(s: &str) -> Option<(&str, &str)> {
    let at = s.get(1..)?.find('@')? + 1;
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// `yarn.lock`, classic (v1) and berry (v2+).
#[derive(Debug, Default)]
pub struct YarnLockDetector;

lang_detector!(
    YarnLockDetector,
    "node-yarn-lock",
    |p| file_name(p) == "yarn.lock" && outside_node_modules(p),
    yarn_entries
);

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(s)
}

struct YarnBlock<'a> {
    line: usize,
    header: &'a str,
    version: Option<&'a str>,
    resolution: Option<&'a str>,
}

/// Reads both yarn formats with one line scanner: an unindented line ending in `:`
/// starts an entry (its descriptors, comma separated); the entry's `version` and (berry)
/// `resolution` are read from its two-space-indented lines, `key "value"` in v1 and
/// `key: value` in berry. Workspace, `link:` and `portal:` entries are the project's own
/// code and are skipped.
pub(crate) fn yarn_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let mut blocks: Vec<YarnBlock<'_>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            let Some(header) = trimmed.strip_suffix(':') else {
                return Err(DetectError::malformed(
                    input.path,
                    Some(i + 1),
                    "expected an entry header ending in `:`",
                ));
            };
            blocks.push(YarnBlock {
                line: i + 1,
                header,
                version: None,
                resolution: None,
            });
            continue;
        }
        // Only the entry's own fields (two spaces), not nested dependency lists.
        let Some(field) = line.strip_prefix("  ").filter(|f| !f.starts_with(' ')) else {
            continue;
        };
        let Some(block) = blocks.last_mut() else {
            return Err(DetectError::malformed(
                input.path,
                Some(i + 1),
                "indented line before the first entry",
            ));
        };
        let (key, value) = match field.split_once(':') {
            // berry: `version: 1.0.0`, keys optionally quoted
            Some((k, v)) if !k.contains(' ') || k.starts_with('"') => (unquote(k), unquote(v)),
            // v1: `version "1.0.0"`
            _ => match field.split_once(' ') {
                Some((k, v)) => (unquote(k), unquote(v)),
                None => continue,
            },
        };
        match key {
            "version" => block.version = Some(value),
            "resolution" => block.resolution = Some(value),
            _ => {}
        }
    }
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    for b in &blocks {
        if b.header == "__metadata" {
            continue;
        }
        let descriptors: Vec<&str> = b.header.split(',').map(unquote).collect();
        let Some(first) = descriptors.first().copied().filter(|d| !d.is_empty()) else {
            continue;
        };
        // `name@range`; a bare `name` (no range) also occurs.
        let (desc_name, range) = split_name_version(first).unwrap_or((first, ""));
        // The real name: berry's resolution names it; an `npm:` alias range names it in v1.
        let (name, resolved_protocol) = match b.resolution.and_then(split_name_version) {
            Some((n, rest)) => (n, Some(rest)),
            None => match range
                .strip_prefix("npm:")
                .and_then(|r| split_name_version(r).map(|(n, _)| n))
            {
                Some(real) => (real, None),
                None => (desc_name, None),
            },
        };
        let ranges = descriptors
            .iter()
            .filter_map(|d| split_name_version(d).map(|(_, r)| r))
            .chain(resolved_protocol);
        let mut local = None;
        for r in ranges {
            if ["workspace:", "link:", "portal:"]
                .iter()
                .any(|p| r.starts_with(p))
            {
                local = Some(false);
                break;
            }
            if r.starts_with("file:") {
                local = Some(true);
            }
        }
        match local {
            // The project's own workspaces and linked directories.
            Some(false) => continue,
            Some(true) => {
                warnings.push(format!(
                    "{}:{}: {name} is installed from a local file or directory; skipped",
                    input.path, b.line
                ));
                continue;
            }
            None => {}
        }
        let Some(version) = b.version.filter(|v| !v.is_empty()) else {
            warnings.push(format!(
                "{}:{}: {name} has no version; skipped",
                input.path, b.line
            ));
            continue;
        };
        if version == "0.0.0-use.local" {
            continue;
        }
        if seen.insert((name.to_owned(), version.to_owned())) {
            entries.push(LangEntry::new(PackageType::Npm, name, version));
        }
    }
    Ok((entries, warnings))
}

/// `pnpm-lock.yaml`.
#[derive(Debug, Default)]
pub struct PnpmLockDetector;

lang_detector!(
    PnpmLockDetector,
    "node-pnpm-lock",
    |p| file_name(p) == "pnpm-lock.yaml" && outside_node_modules(p),
    pnpm_entries
);

/// Reads `packages`: keys are `/name/version` (v5), `/name@version` (v6) or
/// `name@version` (v9), with peer-dependency suffixes (`_peer@1` in v5, `(peer@1)` in
/// v6/v9) dropped. An entry's own `name`/`version` fields win (tarball and git
/// dependencies). `dev: true` (v5/v6) marks development dependencies; v9 does not
/// record it per package.
pub(crate) fn pnpm_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let docs = yaml::parse(input, text)?;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    for doc in &docs {
        if matches!(doc, Yaml::Null) {
            continue; // an empty document
        }
        if doc.as_map().is_none() {
            return Err(DetectError::malformed(
                input.path,
                Some(1),
                "the document is not a mapping: not a pnpm lockfile",
            ));
        }
        let Some(packages) = doc.get("packages") else {
            continue;
        };
        let Some(map) = packages.as_map() else {
            if !matches!(packages, Yaml::Null) {
                return Err(DetectError::malformed(
                    input.path,
                    None,
                    "`packages` is not a mapping",
                ));
            }
            continue;
        };
        let lock_version = doc
            .get("lockfileVersion")
            .and_then(Yaml::as_str)
            .unwrap_or("");
        let v5 = lock_version.starts_with('5');
        for (key, value, line) in map {
            // Local directories and tarballs (`file:...`, `name@file:...`, `link:`).
            if key.starts_with("file:")
                || key.starts_with("link:")
                || key.contains("@file:")
                || key.contains("@link:")
            {
                warnings.push(format!(
                    "{}:{line}: `{key}` is installed from a local file or directory; skipped",
                    input.path
                ));
                continue;
            }
            let own_name = value.get("name").and_then(Yaml::as_str);
            let own_version = value.get("version").and_then(Yaml::as_str);
            let dev = value.get("dev").and_then(Yaml::as_bool);
            let parsed = parse_pnpm_key(key, v5);
            let name = own_name.or(parsed.map(|(n, _)| n));
            // A key's version must look like one (git and tarball keys hold URLs).
            let key_version = parsed
                .map(|(_, v)| v)
                .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()));
            let (Some(name), Some(version)) = (name, own_version.or(key_version)) else {
                warnings.push(format!(
                    "{}:{line}: cannot read a name and version from `{key}`; skipped",
                    input.path
                ));
                continue;
            };
            if !is_registry_version(version) || version.is_empty() {
                warnings.push(format!(
                    "{}:{line}: {name}: `{version}` is not a registry version; skipped",
                    input.path
                ));
                continue;
            }
            if seen.insert((name.to_owned(), version.to_owned())) {
                entries.push(LangEntry::new(PackageType::Npm, name, version).dev(dev));
            }
        }
    }
    Ok((entries, warnings))
}

/// The name and version in a `packages` key.
fn parse_pnpm_key(key: &str, v5: bool) -> Option<(&str, &str)> {
    // Drop the v6/v9 peer suffix `(a@1)(b@2)`.
    let key = match key.find('(') {
        Some(i) => key.get(..i)?,
        None => key,
    };
    // A registry host may prefix the key (`registry.npmjs.org/foo/1.0.0`).
    let key = match key.strip_prefix('/') {
        Some(k) => k,
        None if v5 => key.split_once('/').map(|(_, rest)| rest)?,
        None => key,
    };
    if v5 || !key.get(1..)?.contains('@') {
        // `name/version` or `@scope/name/version`, v5 peers after `_`.
        let slash = key.rfind('/')?;
        let name = key.get(..slash)?;
        let version = key.get(slash + 1..)?;
        let version = version.split('_').next()?;
        if name.is_empty() || (name.starts_with('@') && !name.contains('/')) {
            return None;
        }
        return Some((name, version));
    }
    split_name_version(key).filter(|(n, v)| !n.is_empty() && !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_json_paths() {
        assert!(wants_package_json("/app/node_modules/a/package.json"));
        assert!(wants_package_json("/app/node_modules/@s/a/package.json"));
        assert!(wants_package_json(
            "/app/node_modules/a/node_modules/b/package.json"
        ));
        assert!(!wants_package_json("/app/package.json"));
        assert!(!wants_package_json("/app/node_modules/a/lib/package.json"));
        assert!(!wants_package_json("/app/node_modules/@s/package.json"));
        assert!(!wants_package_json("/app/node_modules/.bin/package.json"));
    }

    #[test]
    fn lockfiles_inside_installed_packages_are_not_wanted() {
        assert!(wants_package_lock("/app/package-lock.json"));
        assert!(wants_package_lock("/app/node_modules/.package-lock.json"));
        assert!(!wants_package_lock("/app/node_modules/a/package-lock.json"));
        assert!(!wants_package_lock(
            "/app/node_modules/a/node_modules/.package-lock.json"
        ));
        assert!(!wants_package_lock("/app/.package-lock.json"));
        assert!(!outside_node_modules("/app/node_modules/a/yarn.lock"));
    }

    #[test]
    fn pnpm_keys() {
        assert_eq!(parse_pnpm_key("/foo/1.0.0", true), Some(("foo", "1.0.0")));
        assert_eq!(
            parse_pnpm_key("/@foo/bar/1.0.0_baz@2.0.0", true),
            Some(("@foo/bar", "1.0.0"))
        );
        assert_eq!(
            parse_pnpm_key("registry.npmjs.org/@foo/bar/1.1.0", true),
            Some(("@foo/bar", "1.1.0"))
        );
        assert_eq!(
            parse_pnpm_key("/foo@1.0.0(a@1)", false),
            Some(("foo", "1.0.0"))
        );
        assert_eq!(
            parse_pnpm_key("@a/b@1.0.0(c@2)(d@3)", false),
            Some(("@a/b", "1.0.0"))
        );
        assert_eq!(parse_pnpm_key("/foo/bar", true), Some(("foo", "bar")));
    }

    #[test]
    fn name_version_split() {
        assert_eq!(split_name_version("@a/b@1.0"), Some(("@a/b", "1.0")));
        assert_eq!(split_name_version("a@npm:1.0"), Some(("a", "npm:1.0")));
        assert_eq!(split_name_version("a"), None);
    }
}
