//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>).

use std::collections::HashSet;
use std::io::Write;

use serde::Serialize;
use strata_types::purl::PurlBuilder;
use strata_types::{Package, Sbom, Target};

use crate::ids::document_uuid;
use crate::license::{spdx_license_expression, spdx_license_id};
use crate::scan_cyclonedx::Vulnerability;
use crate::{IdMode, ReportError, check_utc_timestamp, sorted_packages, write_pretty};

const SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bom<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata<'a>,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
    /// Only scan reports carry vulnerabilities; SBOM documents leave the key out.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) vulnerabilities: Vec<Vulnerability>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    timestamp: &'a str,
    tools: Tools,
    component: Component,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    /// `optional` for development-only dependencies (CycloneDX: "not required at runtime").
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum LicenseChoice {
    License { license: License },
    Expression { expression: String },
}

#[derive(Serialize)]
#[serde(untagged)]
enum License {
    Id { id: String },
    Name { name: String },
}

#[derive(Serialize)]
pub(crate) struct Property {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
}

/// Writes CycloneDX 1.6 JSON with a serial number derived from the content
/// ([`IdMode::Deterministic`]).
pub fn write_cyclonedx(sbom: &Sbom, out: &mut dyn Write) -> Result<(), ReportError> {
    write_cyclonedx_with(sbom, IdMode::Deterministic, out)
}

/// Writes CycloneDX 1.6 JSON.
///
/// The image (or directory) is `metadata.component` (type `container` for images,
/// `application` otherwise); the distro is a component of type `operating-system`; packages are
/// components of type `library` whose `bom-ref` is the purl (with `::2`, `::3`... added
/// to repeated purls). strata-specific fields are `strata:*` properties. Dependencies
/// are minimal: the target depends on the operating system and on every non-OS package,
/// the operating system on every OS package.
pub fn write_cyclonedx_with(
    sbom: &Sbom,
    ids: IdMode,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    let (bom, _) = build_bom(sbom, document_uuid(sbom, "cyclonedx", ids))?;
    write_pretty(&bom, "cyclonedx", out)
}

/// Each package with the bom-ref of its component, in output order.
pub(crate) type PackageRefs<'a> = Vec<(&'a Package, String)>;

/// The BOM for `sbom` (without vulnerabilities) and the bom-ref given to each package,
/// so that a scan can point its vulnerabilities at the components.
pub(crate) fn build_bom(
    sbom: &Sbom,
    serial: uuid::Uuid,
) -> Result<(Bom<'_>, PackageRefs<'_>), ReportError> {
    check_utc_timestamp(&sbom.created)?;
    let packages = sorted_packages(sbom);
    let mut refs = RefSet::default();

    let mut root = target_component(&sbom.target);
    let root_ref = refs.claim(root.bom_ref.as_deref().unwrap_or("strata:target"));
    root.bom_ref = Some(root_ref.clone());

    let mut components = Vec::with_capacity(packages.len() + 1);
    let mut root_deps = Vec::new();
    let mut os_deps = Vec::new();
    let mut package_refs = Vec::with_capacity(packages.len());

    let os_ref = sbom.distro.as_ref().map(|d| {
        let r = refs.claim(&format!("strata:os:{}", d.purl_qualifier()));
        let mut props = vec![prop("strata:distro:source_file", &d.source_file)];
        if let Some(c) = &d.codename {
            props.push(prop("strata:distro:codename", c));
        }
        for like in &d.id_like {
            props.push(prop("strata:distro:id_like", like));
        }
        components.push(Component {
            kind: "operating-system",
            bom_ref: Some(r.clone()),
            name: d.id.clone(),
            version: non_empty(&d.version_id),
            description: d.pretty_name.clone(),
            properties: props,
            ..Component::default()
        });
        root_deps.push(r.clone());
        r
    });

    for p in &packages {
        let base = if p.purl.is_empty() {
            format!(
                "strata:package:{}/{}@{}",
                p.package_type.as_str(),
                p.name,
                p.version
            )
        } else {
            p.purl.clone()
        };
        let r = refs.claim(&base);
        if p.package_type.is_os() && os_ref.is_some() {
            os_deps.push(r.clone());
        } else {
            root_deps.push(r.clone());
        }
        package_refs.push((*p, r.clone()));
        components.push(package_component(p, r));
    }

    let mut dependencies = vec![Dependency {
        reference: root_ref,
        depends_on: root_deps,
    }];
    if let Some(os) = os_ref {
        dependencies.push(Dependency {
            reference: os,
            depends_on: os_deps,
        });
    }

    let bom = Bom {
        schema: SCHEMA,
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!("urn:uuid:{serial}"),
        version: 1,
        metadata: Metadata {
            timestamp: &sbom.created,
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    name: sbom.tool.name.clone(),
                    version: non_empty(&sbom.tool.version),
                    ..Component::default()
                }],
            },
            component: root,
        },
        components,
        dependencies,
        vulnerabilities: Vec::new(),
    };
    Ok((bom, package_refs))
}

/// Hands out unique bom-refs: the first use of a base gets it unchanged, later uses get
/// `base::2`, `base::3`...
#[derive(Default)]
pub(crate) struct RefSet {
    used: HashSet<String>,
}

impl RefSet {
    pub(crate) fn claim(&mut self, base: &str) -> String {
        if self.used.insert(base.to_owned()) {
            return base.to_owned();
        }
        let mut n = 2u64;
        loop {
            let candidate = format!("{base}::{n}");
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

pub(crate) fn prop(name: &'static str, value: impl Into<String>) -> Property {
    Property {
        name,
        value: value.into(),
    }
}

fn target_component(t: &Target) -> Component {
    let mut props = vec![prop("strata:target:kind", t.kind.as_str())];
    if let Some(id) = &t.image_id {
        props.push(prop("strata:image:id", id.to_string()));
    }
    if let Some(d) = &t.manifest_digest {
        props.push(prop("strata:image:manifest_digest", d.to_string()));
    }
    for tag in &t.repo_tags {
        props.push(prop("strata:image:repo_tag", tag));
    }
    if let Some(p) = &t.platform {
        props.push(prop("strata:image:platform", p.to_string()));
    }
    for l in &t.layers {
        props.push(prop("strata:image:layer:diff_id", l.diff_id.to_string()));
    }
    let purl = image_purl(t);
    Component {
        kind: if t.kind.is_image() {
            "container"
        } else {
            "application"
        },
        bom_ref: Some(purl.clone().unwrap_or_else(|| "strata:target".to_owned())),
        name: t.reference.clone(),
        version: t
            .manifest_digest
            .as_ref()
            .or(t.image_id.as_ref())
            .map(ToString::to_string),
        purl,
        properties: props,
        ..Component::default()
    }
}

/// `pkg:oci/<name>@<manifest digest>?arch=..&repository_url=..&tag=..`, when the
/// manifest digest is known.
pub(crate) fn image_purl(t: &Target) -> Option<String> {
    if !t.kind.is_image() {
        return None;
    }
    let digest = t.manifest_digest.as_ref()?.to_string();
    let (repo, tag) = match t.repo_tags.first() {
        Some(rt) => split_repo_tag(rt),
        None => split_repo_tag(&t.reference),
    };
    let name = repo.rsplit('/').next().unwrap_or(repo).to_ascii_lowercase();
    if name.is_empty() {
        return None;
    }
    let mut b = PurlBuilder::new("oci", &name).version(&digest);
    if let Some(p) = &t.platform {
        b = b.qualifier("arch", p.architecture.clone());
    }
    if repo.contains('/') {
        b = b.qualifier("repository_url", repo.to_owned());
    }
    if let Some(tag) = tag {
        b = b.qualifier("tag", tag.to_owned());
    }
    Some(b.build())
}

/// Splits `host/repo:tag` (or `repo@sha256:..`) into the repository and the tag.
fn split_repo_tag(s: &str) -> (&str, Option<&str>) {
    let s = s.split_once('@').map_or(s, |(r, _)| r);
    let last_slash = s.rfind('/').map_or(0, |i| i + 1);
    match s.get(last_slash..).and_then(|tail| tail.rfind(':')) {
        Some(i) => {
            let at = last_slash + i;
            (
                s.get(..at).unwrap_or(s),
                s.get(at + 1..).filter(|t| !t.is_empty()),
            )
        }
        None => (s, None),
    }
}

fn package_component(p: &Package, bom_ref: String) -> Component {
    let mut props = vec![prop("strata:package:type", p.package_type.as_str())];
    if let Some(a) = &p.arch {
        props.push(prop("strata:package:arch", a));
    }
    if let Some(l) = &p.layer_diff_id {
        props.push(prop("strata:layer:diff_id", l.to_string()));
    }
    for loc in &p.locations {
        props.push(prop("strata:location:path", &loc.path));
    }
    if p.dev {
        props.push(prop("strata:package:dev", "true"));
    }
    if let Some(n) = &p.source_name {
        props.push(prop("strata:source:name", n));
    }
    if let Some(v) = &p.source_version {
        props.push(prop("strata:source:version", v));
    }
    if let Some(rpm) = &p.rpm {
        if let Some(e) = rpm.epoch {
            props.push(prop("strata:rpm:epoch", e.to_string()));
        }
        props.push(prop("strata:rpm:version", &rpm.version));
        props.push(prop("strata:rpm:release", &rpm.release));
        if let Some(s) = &rpm.source_rpm {
            props.push(prop("strata:rpm:source_rpm", s));
        }
        if let Some(m) = &rpm.modularity_label {
            props.push(prop("strata:rpm:modularity_label", m));
        }
        if let Some(v) = &rpm.vendor {
            props.push(prop("strata:rpm:vendor", v));
        }
    }
    Component {
        kind: "library",
        bom_ref: Some(bom_ref),
        name: p.name.clone(),
        version: non_empty(&p.version),
        scope: p.dev.then_some("optional"),
        licenses: licenses(&p.licenses),
        purl: non_empty(&p.purl),
        properties: props,
        ..Component::default()
    }
}

/// CycloneDX allows either license objects or one expression. Every string that is a
/// single SPDX license becomes `license.id`; a lone string that is a valid compound
/// expression becomes `expression`; anything else is kept verbatim as `license.name`.
fn licenses(raw: &[String]) -> Vec<LicenseChoice> {
    let raw: Vec<&str> = raw
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if let [only] = raw.as_slice()
        && spdx_license_id(only).is_none()
        && let Some(expr) = spdx_license_expression(only)
    {
        return vec![LicenseChoice::Expression { expression: expr }];
    }
    let mut seen = HashSet::new();
    raw.into_iter()
        .filter_map(|s| {
            let license = match spdx_license_id(s) {
                Some(id) => License::Id { id: id.to_owned() },
                None => License::Name { name: s.to_owned() },
            };
            let key = match &license {
                License::Id { id } => format!("id:{id}"),
                License::Name { name } => format!("name:{name}"),
            };
            seen.insert(key)
                .then_some(LicenseChoice::License { license })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_types::{Digest, Platform, TargetKind};

    #[test]
    fn repo_tag_split() {
        assert_eq!(
            split_repo_tag("docker.io/library/alpine:3.19"),
            ("docker.io/library/alpine", Some("3.19"))
        );
        assert_eq!(
            split_repo_tag("localhost:5000/app"),
            ("localhost:5000/app", None)
        );
        assert_eq!(
            split_repo_tag("localhost:5000/app:v1@sha256:abc"),
            ("localhost:5000/app", Some("v1"))
        );
        assert_eq!(split_repo_tag("alpine:"), ("alpine", None));
    }

    #[test]
    fn image_purl_needs_manifest_digest() {
        let mut t = Target::new("alpine:3.19", TargetKind::Registry);
        assert_eq!(image_purl(&t), None);
        let d: Digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            .parse()
            .unwrap();
        t.manifest_digest = Some(d);
        t.platform = Some(Platform::new("linux", "amd64"));
        t.repo_tags = vec!["docker.io/library/alpine:3.19".to_owned()];
        assert_eq!(
            image_purl(&t).unwrap(),
            "pkg:oci/alpine@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855?arch=amd64&repository_url=docker.io/library/alpine&tag=3.19"
        );
    }

    #[test]
    fn duplicate_refs_get_suffixes() {
        let mut r = RefSet::default();
        assert_eq!(r.claim("a"), "a");
        assert_eq!(r.claim("a"), "a::2");
        assert_eq!(r.claim("a::2"), "a::2::2");
        assert_eq!(r.claim("a"), "a::3");
    }
}
