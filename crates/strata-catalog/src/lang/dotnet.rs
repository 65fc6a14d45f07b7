//! .NET: `*.deps.json` (the runtime's dependency manifest next to an application),
//! NuGet's `packages.lock.json` and the older `packages.config`.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use strata_types::PackageType;

use super::{Entries, LangEntry, file_name, lang_detector, line_of, parse_json, read_text};
use crate::{DetectError, DetectInput};

/// `<app>.deps.json`.
#[derive(Debug, Default)]
pub struct DepsJsonDetector;

lang_detector!(
    DepsJsonDetector,
    "dotnet-deps-json",
    |p| file_name(p).ends_with(".deps.json"),
    deps_json_entries
);

#[derive(Deserialize)]
struct DepsJson {
    #[serde(default)]
    libraries: BTreeMap<String, DepsLibrary>,
}

#[derive(Deserialize)]
struct DepsLibrary {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `libraries` of `"type": "package"`, keyed `Name/Version`; projects, references and
/// runtime packs are the application itself or the runtime. deps.json does not record
/// development dependencies (they are not deployed).
pub(crate) fn deps_json_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let deps: DepsJson = parse_json(input, text)?;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    for (key, lib) in &deps.libraries {
        if lib.kind.as_deref() != Some("package") {
            continue;
        }
        match key.split_once('/') {
            Some((name, version)) if !name.is_empty() && !version.is_empty() => {
                entries.push(LangEntry::new(PackageType::Nuget, name, version));
            }
            _ => warnings.push(format!(
                "{}: libraries[\"{key}\"] is not `Name/Version`; skipped",
                input.path
            )),
        }
    }
    Ok((entries, warnings))
}

/// `packages.lock.json`.
#[derive(Debug, Default)]
pub struct PackagesLockDetector;

lang_detector!(
    PackagesLockDetector,
    "dotnet-packages-lock",
    |p| file_name(p) == "packages.lock.json",
    packages_lock_entries
);

#[derive(Deserialize)]
struct PackagesLock {
    dependencies: Option<BTreeMap<String, BTreeMap<String, LockDep>>>,
}

#[derive(Deserialize)]
struct LockDep {
    #[serde(rename = "type")]
    kind: Option<String>,
    resolved: Option<String>,
}

/// Every resolved package of every target framework, once per name and version;
/// `Project` entries (other projects of the solution) are skipped.
pub(crate) fn packages_lock_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let lock: PackagesLock = parse_json(input, text)?;
    let Some(frameworks) = lock.dependencies else {
        return Err(DetectError::malformed(
            input.path,
            None,
            "no `dependencies` object: not a NuGet packages.lock.json",
        ));
    };
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    for (framework, deps) in &frameworks {
        for (name, dep) in deps {
            if dep.kind.as_deref() == Some("Project") {
                continue;
            }
            let Some(version) = dep.resolved.as_deref().filter(|v| !v.is_empty()) else {
                warnings.push(format!(
                    "{}: dependencies[\"{framework}\"][\"{name}\"] has no resolved version; skipped",
                    input.path
                ));
                continue;
            };
            if seen.insert((name.clone(), version.to_owned())) {
                entries.push(LangEntry::new(PackageType::Nuget, name, version));
            }
        }
    }
    Ok((entries, warnings))
}

/// NuGet's older `packages.config`.
#[derive(Debug, Default)]
pub struct PackagesConfigDetector;

lang_detector!(
    PackagesConfigDetector,
    "dotnet-packages-config",
    |p| file_name(p) == "packages.config",
    packages_config_entries
);

/// `<packages><package id="..." version="..." developmentDependency="true"/>`.
pub(crate) fn packages_config_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 2_000_000,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, opts).map_err(|e| {
        DetectError::malformed(
            input.path,
            Some(e.pos().row as usize),
            format!("invalid XML: {e}"),
        )
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "packages" {
        return Err(DetectError::malformed(
            input.path,
            Some(line_of(text.as_bytes(), root.range().start)),
            format!(
                "the root element is <{}>, not <packages>",
                root.tag_name().name()
            ),
        ));
    }
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    for p in root
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "package")
    {
        let line = line_of(text.as_bytes(), p.range().start);
        match (p.attribute("id"), p.attribute("version")) {
            (Some(id), Some(version)) if !id.is_empty() && !version.is_empty() => {
                let dev = p
                    .attribute("developmentDependency")
                    .map(|d| d.eq_ignore_ascii_case("true"));
                entries.push(LangEntry::new(PackageType::Nuget, id, version).dev(dev));
            }
            _ => warnings.push(format!(
                "{}:{line}: <package> without an id or version; skipped",
                input.path
            )),
        }
    }
    Ok((entries, warnings))
}
