//! SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>).

use std::collections::HashSet;
use std::io::Write;

use serde::Serialize;
use strata_types::{Package, Sbom, Target};

use crate::cyclonedx::image_purl;
use crate::ids::document_uuid;
use crate::license::spdx_license_expression;
use crate::{IdMode, ReportError, check_utc_timestamp, sorted_packages, write_pretty};

/// The prefix of `documentNamespace`; the rest is the target kind, the sanitised target
/// reference and a UUID.
pub const SPDX_NAMESPACE_PREFIX: &str = "https://spdx.org/spdxdocs/strata";

const NOASSERTION: &str = "NOASSERTION";
const IMAGE_ID: &str = "SPDXRef-Image";
const OS_ID: &str = "SPDXRef-OperatingSystem";
/// Longest sanitised part of an SPDX identifier or namespace.
const MAX_ID_PART: usize = 120;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: &'a str,
    document_namespace: String,
    creation_info: CreationInfo<'a>,
    packages: Vec<SpdxPackage>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
struct CreationInfo<'a> {
    created: &'a str,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    name: String,
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    download_location: &'static str,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    license_concluded: &'static str,
    license_declared: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    license_comments: Option<String>,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    primary_package_purpose: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

/// Writes SPDX 2.3 JSON with a namespace derived from the content
/// ([`IdMode::Deterministic`]).
pub fn write_spdx_json(sbom: &Sbom, out: &mut dyn Write) -> Result<(), ReportError> {
    write_spdx_json_with(sbom, IdMode::Deterministic, out)
}

/// Writes SPDX 2.3 JSON.
///
/// The document DESCRIBES the target package (`SPDXRef-Image`), which CONTAINS the
/// operating system (`SPDXRef-OperatingSystem`) and every package
/// (`SPDXRef-Package-<type>-<name>-<version>[-<arch>]`, sanitised, with `-2`, `-3`...
/// added on collisions). `licenseDeclared` is a valid SPDX expression or NOASSERTION, in
/// which case the package manager's text is kept in `licenseComments`;
/// `licenseConcluded` is always NOASSERTION (strata reads declarations, it does not
/// conclude).
pub fn write_spdx_json_with(
    sbom: &Sbom,
    ids: IdMode,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    check_utc_timestamp(&sbom.created)?;
    let packages = sorted_packages(sbom);
    let mut used: HashSet<String> = HashSet::new();
    used.insert(IMAGE_ID.to_owned());
    used.insert(OS_ID.to_owned());
    used.insert("SPDXRef-DOCUMENT".to_owned());

    let mut spdx_packages = Vec::with_capacity(packages.len() + 2);
    let mut relationships = Vec::with_capacity(packages.len() + 2);
    spdx_packages.push(target_package(&sbom.target));
    relationships.push(Relationship {
        spdx_element_id: "SPDXRef-DOCUMENT".to_owned(),
        relationship_type: "DESCRIBES",
        related_spdx_element: IMAGE_ID.to_owned(),
    });

    if let Some(d) = &sbom.distro {
        let mut comment = format!("read from {}", d.source_file);
        if let Some(c) = &d.codename {
            comment.push_str(&format!("; codename {c}"));
        }
        spdx_packages.push(SpdxPackage {
            name: d.id.clone(),
            spdx_id: OS_ID.to_owned(),
            version_info: (!d.version_id.is_empty()).then(|| d.version_id.clone()),
            download_location: NOASSERTION,
            files_analyzed: false,
            source_info: None,
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION.to_owned(),
            license_comments: None,
            copyright_text: NOASSERTION,
            description: d.pretty_name.clone(),
            comment: Some(comment),
            external_refs: Vec::new(),
            primary_package_purpose: "OPERATING_SYSTEM",
        });
        relationships.push(contains(OS_ID.to_owned()));
    }

    for p in &packages {
        let mut base = format!("{}-{}-{}", p.package_type.as_str(), p.name, p.version);
        if let Some(a) = &p.arch {
            base.push('-');
            base.push_str(a);
        }
        let id = unique_id(&mut used, &format!("SPDXRef-Package-{}", sanitize(&base)));
        relationships.push(contains(id.clone()));
        spdx_packages.push(package(p, id));
    }

    let doc = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: &sbom.target.reference,
        document_namespace: format!(
            "{SPDX_NAMESPACE_PREFIX}/{}/{}-{}",
            sbom.target.kind,
            sanitize(&sbom.target.reference),
            document_uuid(sbom, "spdx", ids)
        ),
        creation_info: CreationInfo {
            created: &sbom.created,
            creators: vec![format!(
                "Tool: {}-{}",
                sbom.tool.name.trim(),
                sbom.tool.version.trim()
            )],
        },
        packages: spdx_packages,
        relationships,
    };
    write_pretty(&doc, "spdx-json", out)
}

fn contains(related: String) -> Relationship {
    Relationship {
        spdx_element_id: IMAGE_ID.to_owned(),
        relationship_type: "CONTAINS",
        related_spdx_element: related,
    }
}

fn target_package(t: &Target) -> SpdxPackage {
    let mut notes = vec![format!("target kind: {}", t.kind)];
    if let Some(d) = &t.manifest_digest {
        notes.push(format!("manifest digest: {d}"));
    }
    if !t.repo_tags.is_empty() {
        notes.push(format!("repo tags: {}", t.repo_tags.join(", ")));
    }
    if let Some(p) = &t.platform {
        notes.push(format!("platform: {p}"));
    }
    if !t.layers.is_empty() {
        let diff_ids: Vec<String> = t.layers.iter().map(|l| l.diff_id.to_string()).collect();
        notes.push(format!("layer diff ids: {}", diff_ids.join(", ")));
    }
    SpdxPackage {
        name: t.reference.clone(),
        spdx_id: IMAGE_ID.to_owned(),
        version_info: t.image_id.as_ref().map(ToString::to_string),
        download_location: NOASSERTION,
        files_analyzed: false,
        source_info: None,
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.to_owned(),
        license_comments: None,
        copyright_text: NOASSERTION,
        description: None,
        comment: Some(notes.join("; ")),
        external_refs: image_purl(t).map(purl_ref).into_iter().collect(),
        primary_package_purpose: if t.kind.is_image() {
            "CONTAINER"
        } else {
            "OTHER"
        },
    }
}

fn purl_ref(locator: String) -> ExternalRef {
    ExternalRef {
        reference_category: "PACKAGE-MANAGER",
        reference_type: "purl",
        reference_locator: locator,
    }
}

fn package(p: &Package, spdx_id: String) -> SpdxPackage {
    let raw: Vec<&str> = p
        .licenses
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    let declared = declared_license(&raw);
    let license_comments = match (&declared, raw.is_empty()) {
        (None, false) => Some(format!(
            "license as declared by the package manager: {}",
            raw.join("; ")
        )),
        _ => None,
    };

    let source_info = p.source_name.as_ref().map(|n| match &p.source_version {
        Some(v) => format!("built package from: {n} {v}"),
        None => format!("built package from: {n}"),
    });

    let mut notes = Vec::new();
    if let Some(l) = &p.layer_diff_id {
        notes.push(format!("layer diff id: {l}"));
    }
    if !p.locations.is_empty() {
        let paths: Vec<&str> = p.locations.iter().map(|l| l.path.as_str()).collect();
        notes.push(format!("found in: {}", paths.join(", ")));
    }
    if let Some(rpm) = &p.rpm {
        let epoch = rpm
            .epoch
            .map(|e| format!("epoch {e}, "))
            .unwrap_or_default();
        notes.push(format!(
            "rpm {epoch}version {}, release {}",
            rpm.version, rpm.release
        ));
        if let Some(m) = &rpm.modularity_label {
            notes.push(format!("rpm modularity label: {m}"));
        }
    }

    SpdxPackage {
        name: p.name.clone(),
        spdx_id,
        version_info: (!p.version.is_empty()).then(|| p.version.clone()),
        download_location: NOASSERTION,
        files_analyzed: false,
        source_info,
        license_concluded: NOASSERTION,
        license_declared: declared.unwrap_or_else(|| NOASSERTION.to_owned()),
        license_comments,
        copyright_text: NOASSERTION,
        description: None,
        comment: (!notes.is_empty()).then(|| notes.join("; ")),
        external_refs: if p.purl.is_empty() || p.purl.contains(char::is_whitespace) {
            Vec::new()
        } else {
            vec![purl_ref(p.purl.clone())]
        },
        primary_package_purpose: "LIBRARY",
    }
}

/// All of a package's license strings as one SPDX expression joined by AND, or `None`
/// when any of them has no certain SPDX meaning (or there are none).
fn declared_license(raw: &[&str]) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for r in raw {
        let e = spdx_license_expression(r)?;
        if !parts.contains(&e) {
            parts.push(e);
        }
    }
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(
            parts
                .iter()
                .map(|e| {
                    if e.contains(" AND ") || e.contains(" OR ") {
                        format!("({e})")
                    } else {
                        e.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
    }
}

/// Keeps the characters an SPDX identifier allows (`[A-Za-z0-9.+-]`) and turns the rest
/// into `-`, cut to a bounded length.
fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_ID_PART)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() {
        out.push('-');
    }
    out
}

fn unique_id(used: &mut HashSet<String>, base: &str) -> String {
    if used.insert(base.to_owned()) {
        return base.to_owned();
    }
    let mut n = 2u64;
    loop {
        let c = format!("{base}-{n}");
        if used.insert(c.clone()) {
            return c;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_keeps_allowed_characters() {
        assert_eq!(
            sanitize("deb-libc6-2.36-9+deb12u4-amd64"),
            "deb-libc6-2.36-9+deb12u4-amd64"
        );
        assert_eq!(sanitize("a b/c:d@é"), "a-b-c-d--");
        assert_eq!(sanitize(""), "-");
        assert_eq!(sanitize(&"x".repeat(500)).len(), MAX_ID_PART);
    }

    #[test]
    fn declared_license_joins_or_gives_up() {
        assert_eq!(declared_license(&["MIT"]).as_deref(), Some("MIT"));
        assert_eq!(
            declared_license(&["GPL-2+", "LGPL-2.1+", "GPL-2+"]).as_deref(),
            Some("GPL-2.0-or-later AND LGPL-2.1-or-later")
        );
        assert_eq!(
            declared_license(&["MIT OR Apache-2.0", "ISC"]).as_deref(),
            Some("(MIT OR Apache-2.0) AND ISC")
        );
        assert_eq!(declared_license(&["MIT", "BSD"]), None);
        assert_eq!(declared_license(&[]), None);
    }
}
