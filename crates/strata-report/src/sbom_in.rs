//! Reading SBOMs back (`sbom:FILE`): CycloneDX JSON (1.2 and later) and SPDX 2.x JSON, as
//! strata, syft and trivy write them, so a scan can rerun on an SBOM without the image.
//!
//! Packages come from purls; what a purl cannot say (a Debian binary's source version,
//! rpm details, the file a package was read from) comes from properties where the writer
//! left them: strata's `strata:*`, trivy's `aquasecurity:trivy:*` and syft's
//! `syft:*`. Components without a purl, or with a purl type strata does not match, are
//! counted in the warnings, never guessed.

use std::collections::BTreeMap;

use serde_json::Value;
use strata_types::purl::Purl;
use strata_types::{Distro, Location, Package, PackageType, RpmDetails};

/// The largest SBOM document read (checked by the caller before reading, and here).
pub const MAX_SBOM_BYTES: usize = 256 << 20;
/// Components nested deeper than this are not followed.
const MAX_NESTING: usize = 32;

/// An SBOM read back: its format, distribution, packages and what was left out.
#[derive(Debug, Clone, Default)]
pub struct ImportedSbom {
    /// `cyclonedx` or `spdx`.
    pub format: &'static str,
    pub distro: Option<Distro>,
    pub packages: Vec<Package>,
    pub warnings: Vec<String>,
}

/// Why an SBOM could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SbomReadError {
    #[error("{file}: {size} bytes is over the limit of {limit} for an SBOM")]
    TooLarge {
        file: String,
        size: usize,
        limit: usize,
    },
    #[error("{file}: invalid JSON at line {line}, column {column}: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{file}: not a CycloneDX or SPDX JSON document (no `bomFormat: CycloneDX` or `spdxVersion: SPDX-2.x`)"
    )]
    UnknownFormat { file: String },
}

/// Reads a CycloneDX or SPDX JSON document. `file` names it in messages and becomes the
/// location of packages whose writer recorded none.
pub fn read_sbom(bytes: &[u8], file: &str) -> Result<ImportedSbom, SbomReadError> {
    if bytes.len() > MAX_SBOM_BYTES {
        return Err(SbomReadError::TooLarge {
            file: file.to_owned(),
            size: bytes.len(),
            limit: MAX_SBOM_BYTES,
        });
    }
    // serde_json bounds nesting (128 levels), so deep documents fail here, not the stack.
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| SbomReadError::Json {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let mut out = if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        read_cyclonedx(&doc, file)
    } else if doc
        .get("spdxVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("SPDX-2."))
    {
        read_spdx(&doc, file)
    } else {
        return Err(SbomReadError::UnknownFormat {
            file: file.to_owned(),
        });
    };
    if out.distro.is_none() {
        out.distro = distro_from_purls(&out.packages, file);
    }
    out.packages.sort_by(strata_types::compare_packages);
    // One package listed twice (a writer that emits one entry per file): one package
    // with every location, development-only only if every entry says so.
    out.packages.dedup_by(|later, kept| {
        let same = later.key() == kept.key() && later.purl == kept.purl;
        if same {
            for loc in later.locations.drain(..) {
                if !kept.locations.contains(&loc) {
                    kept.locations.push(loc);
                }
            }
            kept.locations.sort();
            kept.dev &= later.dev;
        }
        same
    });
    Ok(out)
}

/// Properties of one component or package, by name (repeated names keep every value).
type Props = BTreeMap<String, Vec<String>>;

fn first<'a>(props: &'a Props, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| props.get(*k).and_then(|v| v.first()))
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

fn read_cyclonedx(doc: &Value, file: &str) -> ImportedSbom {
    let mut out = ImportedSbom {
        format: "cyclonedx",
        ..ImportedSbom::default()
    };
    let mut stack: Vec<(&Value, usize)> = Vec::new();
    // The described target (an image, a directory) is not a package; its children are
    // read like the top-level components.
    if let Some(children) = doc
        .pointer("/metadata/component/components")
        .and_then(Value::as_array)
    {
        stack.extend(children.iter().rev().map(|c| (c, 1)));
    }
    if let Some(cs) = doc.get("components").and_then(Value::as_array) {
        stack.extend(cs.iter().rev().map(|c| (c, 0)));
    }
    let mut skipped = 0usize;
    let mut too_deep = false;
    while let Some((c, depth)) = stack.pop() {
        if let Some(children) = c.get("components").and_then(Value::as_array) {
            if depth < MAX_NESTING {
                stack.extend(children.iter().rev().map(|x| (x, depth + 1)));
            } else {
                too_deep = true;
            }
        }
        let kind = c.get("type").and_then(Value::as_str).unwrap_or("");
        let name = c.get("name").and_then(Value::as_str).unwrap_or("");
        let version = c.get("version").and_then(Value::as_str).unwrap_or("");
        if kind == "operating-system" {
            if out.distro.is_none() && !name.is_empty() {
                out.distro = Some(distro(name, version, file));
            }
            continue;
        }
        let mut props = Props::new();
        for p in c
            .get("properties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(n), Some(v)) = (
                p.get("name").and_then(Value::as_str),
                p.get("value").and_then(Value::as_str),
            ) {
                props.entry(n.to_owned()).or_default().push(v.to_owned());
            }
        }
        let Some(purl) = c.get("purl").and_then(Value::as_str) else {
            // The target itself and files carry no purl; only count library-like ones.
            if matches!(kind, "library" | "framework" | "application") && !version.is_empty() {
                skipped += 1;
            }
            continue;
        };
        let licenses = cyclonedx_licenses(c);
        let dev = first(&props, &["strata:package:dev"]) == Some("true");
        match package_from(purl, version, &props, licenses, file) {
            Ok(Some(mut p)) => {
                p.dev = dev;
                out.packages.push(p);
            }
            Ok(None) if describes_a_target(purl) => {}
            Ok(None) => skipped += 1,
            Err(e) => out
                .warnings
                .push(format!("{file}: component {name:?}: {e}")),
        }
    }
    if skipped > 0 {
        out.warnings.push(format!(
            "{file}: {skipped} component(s) without a purl of a type strata matches were left out"
        ));
    }
    if too_deep {
        out.warnings.push(format!(
            "{file}: components nested deeper than {MAX_NESTING} levels were left out"
        ));
    }
    out
}

fn cyclonedx_licenses(c: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for l in c
        .get("licenses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = l
            .get("expression")
            .or_else(|| l.pointer("/license/id"))
            .or_else(|| l.pointer("/license/name"))
            .and_then(Value::as_str);
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            out.push(t.to_owned());
        }
    }
    out
}

fn read_spdx(doc: &Value, file: &str) -> ImportedSbom {
    let mut out = ImportedSbom {
        format: "spdx",
        ..ImportedSbom::default()
    };
    let mut skipped = 0usize;
    let described: Vec<&str> = doc
        .get("documentDescribes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for p in doc
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        let version = p.get("versionInfo").and_then(Value::as_str).unwrap_or("");
        if p.get("primaryPackagePurpose").and_then(Value::as_str) == Some("OPERATING_SYSTEM") {
            if out.distro.is_none() && !name.is_empty() {
                out.distro = Some(distro(name, version, file));
            }
            continue;
        }
        let purl = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            .and_then(|r| r.get("referenceLocator").and_then(Value::as_str));
        let Some(purl) = purl else {
            // The image or folder the document describes, and files, are not packages.
            let purpose = p.get("primaryPackagePurpose").and_then(Value::as_str);
            let id = p.get("SPDXID").and_then(Value::as_str).unwrap_or("");
            if !matches!(purpose, Some("CONTAINER" | "FILE" | "SOURCE" | "ARCHIVE"))
                && !described.contains(&id)
            {
                skipped += 1;
            }
            continue;
        };
        let mut props = Props::new();
        // strata writes the source package as `sourceInfo: "built package from: NAME VERSION"`.
        if let Some(src) = p.get("sourceInfo").and_then(Value::as_str)
            && let Some(rest) = src.strip_prefix("built package from: ")
        {
            let mut it = rest.split_whitespace();
            if let Some(n) = it.next() {
                props.insert("strata:source:name".into(), vec![n.to_owned()]);
            }
            if let Some(v) = it.next() {
                props.insert("strata:source:version".into(), vec![v.to_owned()]);
            }
        }
        let licenses: Vec<String> = ["licenseConcluded", "licenseDeclared"]
            .iter()
            .filter_map(|k| p.get(*k).and_then(Value::as_str))
            .filter(|l| !l.is_empty() && *l != "NOASSERTION" && *l != "NONE")
            .take(1)
            .map(str::to_owned)
            .collect();
        match package_from(purl, version, &props, licenses, file) {
            Ok(Some(pkg)) => out.packages.push(pkg),
            Ok(None) if describes_a_target(purl) => {}
            Ok(None) => skipped += 1,
            Err(e) => out.warnings.push(format!("{file}: package {name:?}: {e}")),
        }
    }
    if skipped > 0 {
        out.warnings.push(format!(
            "{file}: {skipped} package(s) without a purl of a type strata matches were left out"
        ));
    }
    out
}

fn distro(name: &str, version: &str, file: &str) -> Distro {
    Distro {
        id: name.to_ascii_lowercase(),
        version_id: version.to_owned(),
        codename: None,
        id_like: Vec::new(),
        pretty_name: None,
        source_file: file.to_owned(),
    }
}

/// The distribution named by the OS packages' `distro` qualifier (`debian-12`,
/// `alpine-3.19.1`), when the document has no operating-system entry.
fn distro_from_purls(packages: &[Package], file: &str) -> Option<Distro> {
    packages
        .iter()
        .filter(|p| p.package_type.is_os())
        .find_map(|p| {
            let purl = Purl::parse(&p.purl).ok()?;
            let q = purl.qualifier("distro")?;
            // `debian-12`, `ubuntu-22.04`, `opensuse-leap-15.5` (the version starts after the
            // last `-` followed by a digit); trivy's apk purls write only `3.19.1`, whose
            // distribution is the purl namespace.
            let split = q
                .char_indices()
                .filter(|&(i, c)| c == '-' && q[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
                .map(|(i, _)| i)
                .next_back();
            let (id, version) = match split {
                Some(i) => (&q[..i], &q[i + 1..]),
                None if q.starts_with(|d: char| d.is_ascii_digit()) => ("", q),
                None => (q, ""),
            };
            let id = if id.is_empty() {
                purl.namespace.as_str()
            } else {
                id
            };
            Some(distro(id, version, file))
        })
}

/// Purl types that name an image or a repository, not an installed package.
fn describes_a_target(purl: &str) -> bool {
    Purl::parse(purl).is_ok_and(|p| matches!(p.ty.as_str(), "oci" | "docker"))
}

fn package_type(purl_type: &str) -> Option<PackageType> {
    Some(match purl_type {
        "deb" => PackageType::Deb,
        "apk" => PackageType::Apk,
        "rpm" => PackageType::Rpm,
        "pypi" => PackageType::Python,
        "npm" => PackageType::Npm,
        "golang" => PackageType::Go,
        "cargo" => PackageType::Cargo,
        "maven" => PackageType::Maven,
        "gem" => PackageType::Gem,
        "composer" => PackageType::Composer,
        "nuget" => PackageType::Nuget,
        _ => return None,
    })
}

/// One package from its purl and properties; `None` for a purl type strata does not match.
fn package_from(
    purl_text: &str,
    component_version: &str,
    props: &Props,
    licenses: Vec<String>,
    file: &str,
) -> Result<Option<Package>, strata_types::purl::PurlError> {
    let purl = Purl::parse(purl_text)?;
    let Some(ty) = package_type(&purl.ty) else {
        return Ok(None);
    };
    let name = match ty {
        // strata's names: `group:artifact`, `@scope/name`, module paths, `vendor/name`.
        PackageType::Maven if !purl.namespace.is_empty() => {
            format!("{}:{}", purl.namespace, purl.name)
        }
        PackageType::Npm | PackageType::Go | PackageType::Composer
            if !purl.namespace.is_empty() =>
        {
            format!("{}/{}", purl.namespace, purl.name)
        }
        _ => purl.name.clone(),
    };
    let purl_version = purl.version.clone().unwrap_or_default();
    let epoch = purl
        .qualifier("epoch")
        .or_else(|| first(props, &["strata:rpm:epoch", "aquasecurity:trivy:SrcEpoch"]))
        .and_then(|e| e.parse::<u32>().ok())
        .filter(|e| *e > 0);
    let mut version = if purl_version.is_empty() {
        component_version.to_owned()
    } else {
        purl_version
    };
    if ty == PackageType::Rpm
        && let Some(e) = epoch
        && !version.contains(':')
    {
        version = format!("{e}:{version}");
    }
    let arch = first(props, &["strata:package:arch"])
        .or_else(|| purl.qualifier("arch"))
        .map(str::to_owned);
    // The purl's `upstream` is `name` or `name@version` (syft), a source rpm for rpm.
    let upstream = purl.qualifier("upstream").map(|u| match u.split_once('@') {
        Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
        None => (u.to_owned(), None),
    });
    let mut source_name = first(
        props,
        &[
            "strata:source:name",
            "aquasecurity:trivy:SrcName",
            "syft:metadata:source",
        ],
    )
    .map(str::to_owned);
    let mut source_version = first(
        props,
        &["strata:source:version", "syft:metadata:sourceVersion"],
    )
    .map(str::to_owned)
    .or_else(|| trivy_source_version(props));
    let mut rpm = None;
    if ty == PackageType::Rpm {
        let source_rpm = first(props, &["strata:rpm:source_rpm"])
            .map(str::to_owned)
            .or_else(|| upstream.as_ref().map(|(n, _)| n.clone()));
        let plain = version
            .rsplit_once(':')
            .map_or(version.as_str(), |(_, v)| v);
        let (v, r) = plain.rsplit_once('-').unwrap_or((plain, ""));
        if source_name.is_none()
            && let Some((n, sv)) = source_rpm.as_deref().and_then(source_rpm_nvr)
        {
            source_name = Some(n);
            source_version = Some(match epoch {
                Some(e) => format!("{e}:{sv}"),
                None => sv,
            });
        }
        rpm = Some(RpmDetails {
            epoch,
            version: first(props, &["strata:rpm:version"])
                .unwrap_or(v)
                .to_owned(),
            release: first(props, &["strata:rpm:release"])
                .unwrap_or(r)
                .to_owned(),
            source_rpm,
            modularity_label: first(props, &["strata:rpm:modularity_label"]).map(str::to_owned),
            vendor: first(props, &["strata:rpm:vendor"]).map(str::to_owned),
        });
    } else if source_name.is_none()
        && let Some((n, v)) = upstream
    {
        source_name = Some(n);
        source_version = source_version.or(v);
    }
    if ty.is_os() {
        // OS packages are matched by source: a binary without one is its own source.
        source_name.get_or_insert_with(|| name.clone());
        source_version.get_or_insert_with(|| version.clone());
    }
    let mut locations: Vec<Location> = props
        .get("strata:location:path")
        .into_iter()
        .flatten()
        .chain(props.get("syft:location:0:path").into_iter().flatten())
        .map(|p| Location {
            path: p.clone(),
            layer_diff_id: None,
        })
        .collect();
    if locations.is_empty() {
        locations.push(Location {
            path: file.to_owned(),
            layer_diff_id: None,
        });
    }
    Ok(Some(Package {
        package_type: ty,
        name,
        version,
        arch,
        source_name,
        source_version,
        licenses,
        purl: purl_text.to_owned(),
        layer_diff_id: None,
        locations,
        rpm,
        dev: false,
    }))
}

/// trivy splits the source version into `SrcVersion`, `SrcRelease` and `SrcEpoch`.
fn trivy_source_version(props: &Props) -> Option<String> {
    let v = first(props, &["aquasecurity:trivy:SrcVersion"])?;
    let mut out = String::new();
    if let Some(e) = first(props, &["aquasecurity:trivy:SrcEpoch"]).filter(|e| *e != "0") {
        out.push_str(e);
        out.push(':');
    }
    out.push_str(v);
    if let Some(r) = first(props, &["aquasecurity:trivy:SrcRelease"]) {
        out.push('-');
        out.push_str(r);
    }
    Some(out)
}

/// `openssl-3.0.7-24.el9.src.rpm` → (`openssl`, `3.0.7-24.el9`).
fn source_rpm_nvr(srpm: &str) -> Option<(String, String)> {
    let base = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))
        .unwrap_or(srpm);
    let (nv, release) = base.rsplit_once('-')?;
    let (name, version) = nv.rsplit_once('-')?;
    (!name.is_empty()).then(|| (name.to_owned(), format!("{version}-{release}")))
}

/// Fuzz target: any bytes as an SBOM document.
pub fn fuzz_sbom_reader(data: &[u8]) {
    let _ = read_sbom(data, "fuzz.json");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            source_rpm_nvr("openssl-3.0.7-24.el9.src.rpm"),
            Some(("openssl".into(), "3.0.7-24.el9".into()))
        );
        assert_eq!(source_rpm_nvr("x.src.rpm"), None);
    }

    /// Byte-level mutations of a valid document never panic (the cargo-fuzz target
    /// `report_sbom_reader` explores further).
    #[test]
    fn mutated_documents_never_panic() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
            {"type":"operating-system","name":"debian","version":"12"},
            {"type":"library","name":"libc6","version":"2.36-9","purl":"pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc%402.36-9&distro=debian-12",
             "properties":[{"name":"strata:source:version","value":"2.36-9"}],
             "components":[{"type":"library","purl":"pkg:rpm/rocky/x@1-2?epoch=3&upstream=x-1-2.src.rpm"}]}]}"#;
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut d = doc.to_vec();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() % d.len() as u64) as usize;
                d[i] = (next() % 256) as u8;
            }
            let _ = read_sbom(&d, "m.json");
        }
        let spdx = br#"{"spdxVersion":"SPDX-2.3","packages":[{"name":"a","versionInfo":"1","sourceInfo":"built package from: b 2",
            "externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:deb/debian/a@1"}]}]}"#;
        for _ in 0..3000 {
            let mut d = spdx.to_vec();
            let i = (next() % d.len() as u64) as usize;
            d[i] = (next() % 256) as u8;
            let _ = read_sbom(&d, "m.json");
        }
    }

    #[test]
    fn not_an_sbom() {
        assert!(matches!(
            read_sbom(b"{\"a\": 1}", "f.json"),
            Err(SbomReadError::UnknownFormat { .. })
        ));
        let deep = "[".repeat(100_000);
        assert!(matches!(
            read_sbom(deep.as_bytes(), "f.json"),
            Err(SbomReadError::Json { .. })
        ));
    }
}
