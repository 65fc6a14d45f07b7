//! Package lists from independent sources, in one comparable shape: the package
//! managers' own tools on a root file system, syft's JSON, and strata's JSON.

use std::path::Path;

use serde_json::Value;

use crate::cache::TempDir;
use crate::cmd::{command, run_stdout};
use crate::{Error, Result};

/// One OS package, normalised so that lists from different tools compare with `==`:
/// `source_name` defaults to `name` and `source_version` to `version` when a tool leaves
/// them out (dpkg and strata both omit them when equal).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Package {
    /// `deb`, `apk` or `rpm`.
    pub kind: String,
    pub name: String,
    pub version: String,
    pub arch: String,
    pub source_name: String,
    pub source_version: String,
}

impl Package {
    /// The identity syft and strata are compared on: (type, name, version).
    pub fn key(&self) -> (String, String, String) {
        (self.kind.clone(), self.name.clone(), self.version.clone())
    }

    fn new(
        kind: &str,
        name: &str,
        version: &str,
        arch: &str,
        source_name: Option<&str>,
        source_version: Option<&str>,
    ) -> Self {
        let source_name = source_name.filter(|s| !s.is_empty()).unwrap_or(name);
        let source_version = source_version.filter(|s| !s.is_empty()).unwrap_or(version);
        Package {
            kind: kind.to_string(),
            name: name.to_string(),
            version: version.to_string(),
            arch: arch.to_string(),
            source_name: source_name.to_string(),
            source_version: source_version.to_string(),
        }
    }
}

/// rpm's own fields of one installed rpm.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RpmFields {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: String,
    pub source_rpm: String,
}

/// Installed packages of the Debian root file system `rootfs`, from
/// `dpkg-query --admindir=<rootfs>/var/lib/dpkg -W`, keeping those whose status is
/// `installed`. Sorted.
pub fn dpkg_query(rootfs: &Path) -> Result<Vec<Package>> {
    crate::tool("dpkg-query", "dpkg")?;
    let out = run_stdout(
        command("dpkg-query", [] as [&str; 0])
            .arg(format!("--admindir={}", rootfs.join("var/lib/dpkg").display()))
            .args([
                "-W",
                "-f",
                "${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\t${db:Status-Status}\\n",
            ]),
    )?;
    let mut pkgs = Vec::new();
    for (n, line) in out.lines().enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let [name, version, arch, src, src_ver, status] = f.as_slice() else {
            return Err(Error::invalid(
                "dpkg-query output",
                format!("line {}: expected 6 fields: {line:?}", n + 1),
            ));
        };
        if *status == "installed" {
            pkgs.push(Package::new(
                "deb",
                name,
                version,
                arch,
                Some(src),
                Some(src_ver),
            ));
        }
    }
    pkgs.sort();
    Ok(pkgs)
}

/// Installed rpms of `rootfs`, from `rpm -qa` on a copy of its sqlite rpmdb (`rpm` would
/// otherwise leave `-shm`/`-wal` files in the root file system). Sorted.
pub fn rpm_query(rootfs: &Path) -> Result<Vec<Package>> {
    Ok(rpm_fields(rootfs)?
        .into_iter()
        .map(|r| r.to_package())
        .collect())
}

impl RpmFields {
    /// The full version as rpm orders it: `[epoch:]version-release`.
    pub fn full_version(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// The source package name: the source rpm file name without `-version-release.src.rpm`.
    pub fn source_name(&self) -> String {
        let base = self
            .source_rpm
            .strip_suffix(".src.rpm")
            .or_else(|| self.source_rpm.strip_suffix(".nosrc.rpm"))
            .unwrap_or(&self.source_rpm);
        let mut parts = base.rsplitn(3, '-');
        let (_release, _version, name) = (parts.next(), parts.next(), parts.next());
        name.unwrap_or(base).to_string()
    }

    fn to_package(&self) -> Package {
        let source_name = self.source_name();
        Package::new(
            "rpm",
            &self.name,
            &self.full_version(),
            &self.arch,
            Some(&source_name),
            None,
        )
    }
}

/// rpm's fields for every installed rpm of `rootfs`. Sorted.
pub fn rpm_fields(rootfs: &Path) -> Result<Vec<RpmFields>> {
    crate::tool("rpm", "rpm")?;
    let db = rootfs.join("var/lib/rpm/rpmdb.sqlite");
    let tmp = TempDir::new("rpmdb")?;
    std::fs::copy(&db, tmp.path().join("rpmdb.sqlite")).map_err(|e| Error::io(&db, e))?;
    let out = run_stdout(
        command("rpm", ["--dbpath"])
            .arg(tmp.path())
            .args(["--define", "_db_backend sqlite", "-qa", "--qf"])
            .arg("%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n"),
    )?;
    let mut rows = Vec::new();
    for (n, line) in out.lines().enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let [name, epoch, version, release, arch, srpm] = f.as_slice() else {
            return Err(Error::invalid(
                "rpm -qa output",
                format!("line {}: expected 6 fields: {line:?}", n + 1),
            ));
        };
        let epoch = match *epoch {
            "(none)" | "" => None,
            e => Some(e.parse::<u32>().map_err(|_| {
                Error::invalid("rpm -qa output", format!("line {}: epoch {e:?}", n + 1))
            })?),
        };
        rows.push(RpmFields {
            name: name.to_string(),
            epoch,
            version: version.to_string(),
            release: release.to_string(),
            arch: arch.to_string(),
            source_rpm: srpm.to_string(),
        });
    }
    rows.sort();
    Ok(rows)
}

/// The packages of `<rootfs>/lib/apk/db/installed` (stanzas of `P:`, `V:`, `A:`, `o:`).
/// Sorted.
pub fn apk_installed(rootfs: &Path) -> Result<Vec<Package>> {
    let path = rootfs.join("lib/apk/db/installed");
    let text = crate::cmd::read_to_string(&path)?;
    parse_apk_installed(&text).map_err(|e| match e {
        Error::Invalid { what: _, detail } => Error::invalid(path.display().to_string(), detail),
        other => other,
    })
}

/// Parses an apk `installed` database (the test's own reading, used as the truth).
pub fn parse_apk_installed(text: &str) -> Result<Vec<Package>> {
    let mut pkgs = Vec::new();
    let mut cur: [Option<&str>; 4] = [None; 4];
    let mut start = 1;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            flush_apk(&mut pkgs, &mut cur, start)?;
            start = n + 2;
            continue;
        }
        let slot = match line.get(..2) {
            Some("P:") => 0,
            Some("V:") => 1,
            Some("A:") => 2,
            Some("o:") => 3,
            _ => continue,
        };
        if let Some(s) = cur.get_mut(slot) {
            *s = line.get(2..);
        }
    }
    flush_apk(&mut pkgs, &mut cur, start)?;
    pkgs.sort();
    Ok(pkgs)
}

fn flush_apk(pkgs: &mut Vec<Package>, cur: &mut [Option<&str>; 4], line: usize) -> Result<()> {
    let [p, v, a, o] = *cur;
    *cur = [None; 4];
    match (p, v) {
        (None, None) => Ok(()),
        (Some(p), Some(v)) => {
            pkgs.push(Package::new("apk", p, v, a.unwrap_or_default(), o, None));
            Ok(())
        }
        _ => Err(Error::invalid(
            "apk installed",
            format!("stanza at line {line} lacks P: or V:"),
        )),
    }
}

/// The OS packages (types `deb`, `apk`, `rpm`) of a syft JSON document, as
/// (type, name, version). Sorted; duplicates kept.
pub fn syft_os_packages(json: &str) -> Result<Vec<(String, String, String)>> {
    let v: Value = serde_json::from_str(json)
        .map_err(|e| Error::invalid("syft JSON", format!("line {}: {e}", e.line())))?;
    let artifacts = v
        .get("artifacts")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::invalid("syft JSON", "no `artifacts` array"))?;
    let mut out = Vec::new();
    for (i, a) in artifacts.iter().enumerate() {
        let field = |k: &str| {
            a.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| Error::invalid("syft JSON", format!("artifacts[{i}] has no {k}")))
        };
        let kind = field("type")?;
        if matches!(kind.as_str(), "deb" | "apk" | "rpm") {
            out.push((kind, field("name")?, field("version")?));
        }
    }
    out.sort();
    Ok(out)
}

/// One language package of syft's JSON (`artifacts[]` of type `python`, `npm`,
/// `rust-crate`, `go-module`, `java-archive`), in strata's terms.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SyftLangPackage {
    /// strata's package type: `python`, `npm`, `cargo`, `go`, `maven`.
    pub ecosystem: String,
    /// syft's name, except for Maven: `group:artifact` like strata, with the group from
    /// the purl's namespace (syft's `name` is the artifact id only).
    pub name: String,
    pub version: String,
    pub purl: String,
    /// The paths of syft's `locations`.
    pub locations: Vec<String>,
    /// syft's cataloger (`foundBy`).
    pub found_by: String,
}

impl SyftLangPackage {
    /// (ecosystem, name, version).
    pub fn key(&self) -> (String, String, String) {
        (
            self.ecosystem.clone(),
            self.name.clone(),
            self.version.clone(),
        )
    }
}

/// strata's package type for a syft artifact type, for the language types compared.
pub fn syft_lang_ecosystem(syft_type: &str) -> Option<&'static str> {
    Some(match syft_type {
        "python" => "python",
        "npm" => "npm",
        "rust-crate" => "cargo",
        "go-module" => "go",
        "java-archive" => "maven",
        "gem" => "gem",
        _ => return None,
    })
}

/// The language packages of a syft JSON document ([`syft_lang_ecosystem`] types). Sorted;
/// duplicates (one per copy syft found) kept.
pub fn syft_lang_packages(json: &str) -> Result<Vec<SyftLangPackage>> {
    let v: Value = serde_json::from_str(json)
        .map_err(|e| Error::invalid("syft JSON", format!("line {}: {e}", e.line())))?;
    let artifacts = v
        .get("artifacts")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::invalid("syft JSON", "no `artifacts` array"))?;
    let mut out = Vec::new();
    for (i, a) in artifacts.iter().enumerate() {
        let field = |k: &str| {
            a.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| Error::invalid("syft JSON", format!("artifacts[{i}] has no {k}")))
        };
        let Some(ecosystem) = syft_lang_ecosystem(&field("type")?) else {
            continue;
        };
        let purl = field("purl")?;
        let mut name = field("name")?;
        if ecosystem == "maven" {
            // pkg:maven/<group>/<artifact>@<version>
            let path = purl.strip_prefix("pkg:maven/").unwrap_or_default();
            let path = path.split(['@', '?', '#']).next().unwrap_or_default();
            if let Some((group, _)) = path.rsplit_once('/') {
                name = format!("{group}:{name}");
            }
        }
        let locations = a
            .get("locations")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|x| x.get("path").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        out.push(SyftLangPackage {
            ecosystem: ecosystem.to_string(),
            name,
            version: field("version")?,
            purl,
            locations,
            found_by: field("foundBy").unwrap_or_default(),
        });
    }
    out.sort();
    Ok(out)
}

/// The language packages of the lang test image, as the package managers reported them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LangTruth {
    /// `pip list --path <site-packages> --format json`: (name as the metadata spells it,
    /// version). Sorted.
    pub python: Vec<(String, String)>,
    /// `npm query '*'` without the project itself: one entry per installed copy. Sorted.
    pub npm: Vec<NpmCopy>,
    /// The npm project directory in the image (`/srv/web`).
    pub npm_root: String,
    /// The `[[package]]` entries of the `Cargo.lock` cargo wrote: (name, version). Sorted.
    pub cargo: Vec<(String, String)>,
    /// `go version -m`: the main module, each `dep` as (path, version, replaced by), and
    /// `stdlib` with the toolchain version without `go`.
    pub go: GoBuildInfo,
    /// The jars the recipe made: (`group:artifact`, version). Sorted.
    pub maven: Vec<(String, String)>,
}

/// One installed copy of an npm package.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NpmCopy {
    pub name: String,
    pub version: String,
    /// npm's `location`, relative to the project: `node_modules/a/node_modules/b`.
    pub location: String,
    /// npm's `dev`: needed only by development dependencies.
    pub dev: bool,
}

/// One `dep` line of `go version -m`: (module path, version, the `=>` replacement's path
/// and version if any).
pub type GoDep = (String, String, Option<(String, String)>);

/// What `go version -m` prints about a binary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoBuildInfo {
    /// `go1.19.8`.
    pub go_version: String,
    /// (`mod` path, version).
    pub main: (String, String),
    /// (`dep` path, version, the `=>` replacement path and version if any).
    pub deps: Vec<GoDep>,
}

/// Parses `pip list --format json`.
pub fn parse_pip_list(json: &str) -> Result<Vec<(String, String)>> {
    let what = "pip list JSON";
    let v: Value = serde_json::from_str(json).map_err(|e| Error::invalid(what, e.to_string()))?;
    let arr = v
        .as_array()
        .ok_or_else(|| Error::invalid(what, "not an array"))?;
    let mut out = Vec::new();
    for (i, d) in arr.iter().enumerate() {
        let f = |k: &str| {
            d.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| Error::invalid(what, format!("[{i}] has no {k}")))
        };
        out.push((f("name")?, f("version")?));
    }
    out.sort();
    Ok(out)
}

/// Parses `npm query '*'`, leaving out the project itself (location `""`).
pub fn parse_npm_query(json: &str) -> Result<Vec<NpmCopy>> {
    let what = "npm query JSON";
    let v: Value = serde_json::from_str(json).map_err(|e| Error::invalid(what, e.to_string()))?;
    let arr = v
        .as_array()
        .ok_or_else(|| Error::invalid(what, "not an array"))?;
    let mut out = Vec::new();
    for (i, d) in arr.iter().enumerate() {
        let f = |k: &str| {
            d.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| Error::invalid(what, format!("[{i}] has no {k}")))
        };
        let location = f("location")?;
        if location.is_empty() {
            continue;
        }
        out.push(NpmCopy {
            name: f("name")?,
            version: f("version")?,
            location,
            dev: d.get("dev").and_then(Value::as_bool).unwrap_or(false),
        });
    }
    out.sort();
    Ok(out)
}

/// The (name, version) of every `[[package]]` of a `Cargo.lock` (line-based: cargo
/// writes `name = "..."` and `version = "..."` right after each `[[package]]`).
pub fn parse_cargo_lock(text: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut cur: Option<(Option<String>, Option<String>)> = None;
    let quoted = |l: &str, key: &str| {
        l.strip_prefix(key)
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('='))
            .map(|r| r.trim().trim_matches('"').to_string())
    };
    let mut flush = |cur: &mut Option<(Option<String>, Option<String>)>| -> Result<()> {
        if let Some((n, v)) = cur.take() {
            match (n, v) {
                (Some(n), Some(v)) => out.push((n, v)),
                _ => {
                    return Err(Error::invalid(
                        "Cargo.lock",
                        "a [[package]] lacks name or version",
                    ));
                }
            }
        }
        Ok(())
    };
    for line in text.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            flush(&mut cur)?;
            cur = Some((None, None));
        } else if line.starts_with('[') {
            flush(&mut cur)?;
        } else if let Some((n, v)) = cur.as_mut() {
            if let Some(x) = quoted(line, "name") {
                *n = Some(x);
            } else if let Some(x) = quoted(line, "version") {
                *v = Some(x);
            }
        }
    }
    flush(&mut cur)?;
    out.sort();
    Ok(out)
}

/// Parses `go version -m <binary>`.
pub fn parse_go_version_m(text: &str) -> Result<GoBuildInfo> {
    let what = "go version -m output";
    let mut lines = text.lines();
    let first = lines.next().ok_or_else(|| Error::invalid(what, "empty"))?;
    let go_version = first
        .rsplit(' ')
        .next()
        .filter(|v| v.starts_with("go"))
        .ok_or_else(|| Error::invalid(what, format!("first line {first:?}")))?
        .to_string();
    let mut info = GoBuildInfo {
        go_version,
        ..GoBuildInfo::default()
    };
    for line in lines {
        let f: Vec<&str> = line.split('\t').map(str::trim).collect();
        match f.as_slice() {
            ["", "mod", path, version, ..] => {
                info.main = ((*path).to_string(), (*version).to_string());
            }
            ["", "dep", path, version, ..] => {
                info.deps
                    .push(((*path).to_string(), (*version).to_string(), None));
            }
            ["", "=>", path, version, ..] => {
                let last = info
                    .deps
                    .last_mut()
                    .ok_or_else(|| Error::invalid(what, "`=>` before any `dep`"))?;
                last.2 = Some(((*path).to_string(), (*version).to_string()));
            }
            _ => {}
        }
    }
    Ok(info)
}

/// One package of strata's JSON report, with what the tests check besides the identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrataPackage {
    pub package: Package,
    pub purl: String,
    pub layer_diff_id: Option<String>,
    /// (path, layer_diff_id) of each location.
    pub locations: Vec<(String, Option<String>)>,
    pub rpm: Option<RpmFields>,
}

/// The parts of strata's JSON report (`strata sbom --format json`) that the tests check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrataSbom {
    pub schema_version: String,
    pub distro_id: Option<String>,
    pub distro_version_id: Option<String>,
    /// Sorted by package.
    pub packages: Vec<StrataPackage>,
    pub warnings: Vec<String>,
}

impl StrataSbom {
    /// The normalised OS packages, sorted.
    pub fn os_packages(&self) -> Vec<Package> {
        let mut v: Vec<Package> = self
            .packages
            .iter()
            .filter(|p| matches!(p.package.kind.as_str(), "deb" | "apk" | "rpm"))
            .map(|p| p.package.clone())
            .collect();
        v.sort();
        v
    }

    /// The language packages (every type but `deb`, `apk`, `rpm`), sorted.
    pub fn lang_packages(&self) -> Vec<&StrataPackage> {
        let mut v: Vec<&StrataPackage> = self
            .packages
            .iter()
            .filter(|p| !matches!(p.package.kind.as_str(), "deb" | "apk" | "rpm"))
            .collect();
        v.sort_by(|a, b| a.package.cmp(&b.package));
        v
    }

    /// The package called `name`, if exactly one has that name.
    pub fn package(&self, name: &str) -> Option<&StrataPackage> {
        let mut it = self.packages.iter().filter(|p| p.package.name == name);
        let first = it.next()?;
        it.next().is_none().then_some(first)
    }
}

/// Parses strata's JSON report.
pub fn parse_strata_json(json: &str) -> Result<StrataSbom> {
    let what = "strata JSON";
    let v: Value = serde_json::from_str(json)
        .map_err(|e| Error::invalid(what, format!("line {}: {e}", e.line())))?;
    let schema_version = match v.get("schema_version") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(Error::invalid(what, "no `schema_version`")),
    };
    let distro = v.get("distro").filter(|d| !d.is_null());
    let dstr = |k: &str| {
        distro
            .and_then(|d| d.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let arr = v
        .get("packages")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::invalid(what, "no `packages` array"))?;
    let mut packages = Vec::with_capacity(arr.len());
    for (i, p) in arr.iter().enumerate() {
        let s = |k: &str| p.get(k).and_then(Value::as_str);
        let req = |k: &str| {
            s(k).ok_or_else(|| Error::invalid(what, format!("packages[{i}] has no string `{k}`")))
        };
        let package = Package::new(
            req("type")?,
            req("name")?,
            req("version")?,
            s("arch").unwrap_or_default(),
            s("source_name"),
            s("source_version"),
        );
        let locations = p
            .get("locations")
            .and_then(Value::as_array)
            .map(|locs| {
                locs.iter()
                    .map(|l| {
                        (
                            l.get("path")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            l.get("layer_diff_id")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let rpm = p.get("rpm").filter(|r| r.is_object()).map(|r| {
            let rs = |k: &str| {
                r.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            RpmFields {
                name: package.name.clone(),
                epoch: r
                    .get("epoch")
                    .and_then(Value::as_u64)
                    .and_then(|e| u32::try_from(e).ok()),
                version: rs("version"),
                release: rs("release"),
                arch: package.arch.clone(),
                source_rpm: rs("source_rpm"),
            }
        });
        packages.push(StrataPackage {
            purl: s("purl").unwrap_or_default().to_string(),
            layer_diff_id: s("layer_diff_id").map(str::to_string),
            locations,
            rpm,
            package,
        });
    }
    packages.sort_by(|a, b| a.package.cmp(&b.package));
    let warnings = v
        .get("warnings")
        .and_then(Value::as_array)
        .map(|w| {
            w.iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(StrataSbom {
        schema_version,
        distro_id: dstr("id"),
        distro_version_id: dstr("version_id"),
        packages,
        warnings,
    })
}

/// The (type, name, version) keys of `pkgs`, sorted.
pub fn keys(pkgs: &[Package]) -> Vec<(String, String, String)> {
    let mut k: Vec<_> = pkgs.iter().map(Package::key).collect();
    k.sort();
    k
}

/// A readable report of what is only in `left` and only in `right` (empty when equal).
pub fn diff<T: Ord + std::fmt::Debug + Clone>(
    left_name: &str,
    left: &[T],
    right_name: &str,
    right: &[T],
) -> String {
    let l: std::collections::BTreeSet<T> = left.iter().cloned().collect();
    let r: std::collections::BTreeSet<T> = right.iter().cloned().collect();
    let only_l: Vec<_> = l.difference(&r).collect();
    let only_r: Vec<_> = r.difference(&l).collect();
    if only_l.is_empty() && only_r.is_empty() && left.len() == right.len() {
        return String::new();
    }
    format!(
        "{} in {left_name}, {} in {right_name}\nonly in {left_name} ({}): {only_l:#?}\nonly in {right_name} ({}): {only_r:#?}",
        left.len(),
        right.len(),
        only_l.len(),
        only_r.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apk_stanzas() {
        let text = "C:Q1x\nP:musl\nV:1.2.4-r1\nA:x86_64\no:musl\n\nP:busybox\nV:1.36.1-r2\nA:x86_64\no:busybox\nF:bin\n\n\n";
        let pkgs = parse_apk_installed(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            pkgs,
            vec![
                Package::new(
                    "apk",
                    "busybox",
                    "1.36.1-r2",
                    "x86_64",
                    Some("busybox"),
                    None
                ),
                Package::new("apk", "musl", "1.2.4-r1", "x86_64", Some("musl"), None),
            ]
        );
    }

    #[test]
    fn apk_stanza_without_version_is_an_error_naming_the_line() {
        let err = parse_apk_installed("P:a\nV:1\n\nP:b\nA:x\n").map(|_| ());
        match err {
            Err(Error::Invalid { detail, .. }) => {
                assert_eq!(detail, "stanza at line 4 lacks P: or V:");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rpm_source_name_and_version() {
        let r = RpmFields {
            name: "strata-lib-devel".into(),
            epoch: Some(2),
            version: "0.9".into(),
            release: "1.el8".into(),
            arch: "x86_64".into(),
            source_rpm: "strata-lib-0.9-1.el8.src.rpm".into(),
        };
        assert_eq!(r.source_name(), "strata-lib");
        assert_eq!(r.full_version(), "2:0.9-1.el8");
    }

    #[test]
    fn strata_json_normalises_sources() {
        let json = r#"{"schema_version":"1","target":"x","distro":{"id":"debian","version_id":"12"},
            "packages":[{"type":"deb","name":"libc6","version":"2.36-9","arch":"amd64",
              "source_name":"glibc","purl":"pkg:deb/debian/libc6@2.36-9","layer_diff_id":"sha256:aa",
              "locations":[{"path":"/var/lib/dpkg/status","layer_diff_id":"sha256:aa"}]}],
            "warnings":[]}"#;
        let sbom = parse_strata_json(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sbom.distro_id.as_deref(), Some("debian"));
        assert_eq!(
            sbom.os_packages(),
            vec![Package::new(
                "deb",
                "libc6",
                "2.36-9",
                "amd64",
                Some("glibc"),
                Some("2.36-9")
            )]
        );
        let p = sbom.package("libc6").unwrap_or_else(|| panic!("libc6"));
        assert_eq!(
            p.locations,
            vec![(
                "/var/lib/dpkg/status".to_string(),
                Some("sha256:aa".to_string())
            )]
        );
    }

    #[test]
    fn syft_keeps_os_types_only() {
        let json = r#"{"artifacts":[{"type":"python","name":"pip","version":"23"},
            {"type":"deb","name":"bash","version":"5.2.15-2+b2"},{"type":"rpm","name":"a","version":"1:2-3"}]}"#;
        assert_eq!(
            syft_os_packages(json).unwrap_or_else(|e| panic!("{e}")),
            vec![
                ("deb".into(), "bash".into(), "5.2.15-2+b2".into()),
                ("rpm".into(), "a".into(), "1:2-3".into())
            ]
        );
    }

    #[test]
    fn syft_language_packages_in_strata_terms() {
        let json = r#"{"artifacts":[
            {"type":"deb","name":"bash","version":"5","purl":"pkg:deb/debian/bash@5"},
            {"type":"java-archive","name":"alpha","version":"1.0.0","purl":"pkg:maven/org.example/alpha@1.0.0",
             "foundBy":"java-archive-cataloger","locations":[{"path":"/a.jar"}]},
            {"type":"rust-crate","name":"itoa","version":"1.0.9","purl":"pkg:cargo/itoa@1.0.9","locations":[]},
            {"type":"npm","name":"@types/cookie","version":"0.5.1","purl":"pkg:npm/%40types/cookie@0.5.1"}]}"#;
        let got = syft_lang_packages(json).unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<_> = got.iter().map(SyftLangPackage::key).collect();
        assert_eq!(
            keys,
            vec![
                ("cargo".into(), "itoa".into(), "1.0.9".into()),
                ("maven".into(), "org.example:alpha".into(), "1.0.0".into()),
                ("npm".into(), "@types/cookie".into(), "0.5.1".into()),
            ]
        );
        assert_eq!(got[1].locations, vec!["/a.jar".to_string()]);
    }

    #[test]
    fn package_manager_outputs() {
        assert_eq!(
            parse_pip_list(r#"[{"name": "Jinja2", "version": "3.1.2"}, {"name": "attrs", "version": "23.1.0"}]"#)
                .unwrap_or_else(|e| panic!("{e}")),
            vec![
                ("Jinja2".into(), "3.1.2".into()),
                ("attrs".into(), "23.1.0".into())
            ]
        );
        let q = r#"[{"name":"web","version":"1.0.0","location":""},
            {"name":"ms","version":"2.0.0","location":"node_modules/debug/node_modules/ms","dev":false}]"#;
        assert_eq!(
            parse_npm_query(q).unwrap_or_else(|e| panic!("{e}")),
            vec![NpmCopy {
                name: "ms".into(),
                version: "2.0.0".into(),
                location: "node_modules/debug/node_modules/ms".into(),
                dev: false
            }]
        );
        let lock = "version = 4\n\n[[package]]\nname = \"cfg-if\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"cfg-if\",\n]\n";
        assert_eq!(
            parse_cargo_lock(lock).unwrap_or_else(|e| panic!("{e}")),
            vec![
                ("app".into(), "0.1.0".into()),
                ("cfg-if".into(), "1.0.0".into())
            ]
        );
        let m = "/usr/local/bin/goapp: go1.19.8\n\tpath\texample.com/app\n\tmod\texample.com/app\t(devel)\t\n\tdep\texample.com/lib\tv1.2.3\n\t=>\t../lib\t(devel)\t\n\tbuild\tCGO_ENABLED=0\n";
        let info = parse_go_version_m(m).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(info.go_version, "go1.19.8");
        assert_eq!(info.main, ("example.com/app".into(), "(devel)".into()));
        assert_eq!(
            info.deps,
            vec![(
                "example.com/lib".into(),
                "v1.2.3".into(),
                Some(("../lib".into(), "(devel)".into()))
            )]
        );
    }

    #[test]
    fn diff_reports_both_sides() {
        assert_eq!(diff("a", &[1, 2], "b", &[1, 2]), "");
        let d = diff("a", &[1, 2], "b", &[2, 3]);
        assert!(
            d.starts_with("2 in a, 2 in b\nonly in a (1): [\n    1,\n]"),
            "{d}"
        );
    }
}
