//! PHP: `composer.lock` and Composer's `vendor/composer/installed.json`.

use serde::Deserialize;
use strata_types::PackageType;

use super::{Entries, LangEntry, file_name, lang_detector, parent, parse_json, read_text};
use crate::{DetectError, DetectInput};

/// `composer.lock`.
#[derive(Debug, Default)]
pub struct ComposerLockDetector;

lang_detector!(
    ComposerLockDetector,
    "php-composer-lock",
    |p| file_name(p) == "composer.lock",
    composer_lock_entries
);

/// `vendor/composer/installed.json`.
#[derive(Debug, Default)]
pub struct ComposerInstalledDetector;

fn wants_installed(path: &str) -> bool {
    file_name(path) == "installed.json" && file_name(parent(path)) == "composer"
}

lang_detector!(
    ComposerInstalledDetector,
    "php-composer-installed",
    wants_installed,
    installed_json_entries
);

#[derive(Deserialize)]
struct ComposerPackage {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    license: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ComposerLock {
    packages: Option<Vec<ComposerPackage>>,
    #[serde(rename = "packages-dev")]
    packages_dev: Option<Vec<ComposerPackage>>,
}

fn push(
    input: &DetectInput<'_>,
    list: &[ComposerPackage],
    where_: &str,
    dev: Option<bool>,
    entries: &mut Vec<LangEntry>,
    warnings: &mut Vec<String>,
) {
    for (i, p) in list.iter().enumerate() {
        let (Some(name), Some(version)) = (
            p.name.as_deref().filter(|n| !n.is_empty()),
            p.version.as_deref().filter(|v| !v.is_empty()),
        ) else {
            warnings.push(format!(
                "{}: {where_}[{i}] has no name or version; skipped",
                input.path
            ));
            continue;
        };
        let licenses = match &p.license {
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        entries.push(
            LangEntry::new(PackageType::Composer, name, version)
                .dev(dev)
                .licenses(licenses),
        );
    }
}

/// `packages` and `packages-dev` (the latter marked dev).
pub(crate) fn composer_lock_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let lock: ComposerLock = parse_json(input, text)?;
    if lock.packages.is_none() && lock.packages_dev.is_none() {
        return Err(DetectError::malformed(
            input.path,
            None,
            "no `packages` list: not a composer.lock",
        ));
    }
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    push(
        input,
        lock.packages.as_deref().unwrap_or(&[]),
        "packages",
        Some(false),
        &mut entries,
        &mut warnings,
    );
    push(
        input,
        lock.packages_dev.as_deref().unwrap_or(&[]),
        "packages-dev",
        Some(true),
        &mut entries,
        &mut warnings,
    );
    Ok((entries, warnings))
}

enum Installed {
    /// Composer 1: a bare array.
    V1(Vec<ComposerPackage>),
    /// Composer 2: `{"packages": [...], "dev": true, "dev-package-names": [...]}`.
    V2 {
        packages: Vec<ComposerPackage>,
        dev_package_names: Vec<String>,
    },
}

#[derive(Deserialize)]
struct InstalledV2 {
    packages: Vec<ComposerPackage>,
    #[serde(rename = "dev-package-names", default)]
    dev_package_names: Vec<String>,
}

/// Both layouts. Composer 2 lists development packages by name in
/// `dev-package-names`; that marks them dev.
pub(crate) fn installed_json_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    // Composer 1 wrote a bare array, Composer 2 an object.
    let installed = if text.trim_start().starts_with('[') {
        Installed::V1(parse_json(input, text)?)
    } else {
        let v2: InstalledV2 = parse_json(input, text)?;
        Installed::V2 {
            packages: v2.packages,
            dev_package_names: v2.dev_package_names,
        }
    };
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    match installed {
        Installed::V1(list) => push(input, &list, "packages", None, &mut entries, &mut warnings),
        Installed::V2 {
            packages,
            dev_package_names,
        } => {
            push(
                input,
                &packages,
                "packages",
                None,
                &mut entries,
                &mut warnings,
            );
            for e in &mut entries {
                e.dev = Some(dev_package_names.contains(&e.name));
            }
        }
    }
    Ok((entries, warnings))
}
