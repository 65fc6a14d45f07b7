//! Language packages in real images: `strata sbom <image.tar>` against syft 1.18.1 on the
//! same `docker save` tarball, and against the package managers' own lists (`pip list`,
//! `npm query`, the `Cargo.lock` cargo wrote, `go version -m`).
//!
//! The comparison with syft is by (ecosystem, name, version) per ecosystem and exact.
//! Every difference is listed below as an explicit expectation with its reason:
//!
//! - Python: syft reports the PEP 503 normalised name (`jinja2`, `jaraco-classes`); strata
//!   keeps the name as the metadata spells it (`Jinja2`, `jaraco.classes`, as `pip list`
//!   does) and normalises it in the purl. Names are compared after normalisation, and
//!   the purls must be equal.
//! - npm: syft reports every `package.json` with a name and version, so also the project
//!   itself (`/srv/web/package.json`); strata reports what is installed in `node_modules`.
//!   syft reports one package per installed copy; strata one package per (name, version)
//!   with every copy's `package.json` among its locations.
//! - Go: syft's `stdlib` version is `go1.19.8`, strata's `1.19.8` (both purls say
//!   `@1.19.8`). A dependency replaced by a local directory is reported by syft under the
//!   directory (`../lib`, version `(devel)`), which is no module path; strata leaves it out
//!   with a warning that names the module.
//! - Lockfiles (syft reads them only when asked, `--override-default-catalogers`): syft
//!   reports the npm project itself from `packages[""]` and leaves out dev-only
//!   dependencies; strata reports those like the others.
//! - Ruby (the debian-large image): syft's image catalogers do not read lockfiles, strata
//!   does (a `package-lock.json` and `Gemfile.lock`s vendored inside gems).

use std::collections::{BTreeMap, BTreeSet};

use strata_testkit::images::{self, lang_layout};
use strata_testkit::truth::{self, StrataPackage, SyftLangPackage};

use crate::support::*;

type Key = (String, String, String);

fn key(eco: &str, name: &str, version: &str) -> Key {
    (eco.to_owned(), name.to_owned(), version.to_owned())
}

/// PEP 503: runs of `-`, `_`, `.` become `-`, lowercased (the test's own copy).
fn pep503(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !sep {
                out.push('-');
            }
            sep = true;
        } else {
            out.extend(c.to_lowercase());
            sep = false;
        }
    }
    out
}

fn of<'a>(sbom: &'a truth::StrataSbom, eco: &str) -> Vec<&'a StrataPackage> {
    sbom.lang_packages()
        .into_iter()
        .filter(|p| p.package.kind == eco)
        .collect()
}

fn paths(p: &StrataPackage) -> Vec<&str> {
    p.locations.iter().map(|(path, _)| path.as_str()).collect()
}

fn assert_same(ctx: &str, ours: &[Key], theirs: &[Key]) {
    let mut ours = ours.to_vec();
    let mut theirs = theirs.to_vec();
    ours.sort();
    theirs.sort();
    assert!(
        ours == theirs,
        "{ctx}: strata and syft disagree\n{}",
        truth::diff("strata", &ours, "syft", &theirs)
    );
}

/// Removes the syft packages matching `pred` and returns them.
fn take(syft: &mut Vec<SyftLangPackage>, pred: impl Fn(&SyftLangPackage) -> bool) -> Vec<Key> {
    let (out, keep): (Vec<_>, Vec<_>) = syft.drain(..).partition(|p| pred(p));
    *syft = keep;
    out.iter().map(SyftLangPackage::key).collect()
}

/// syft reports one package per copy, strata one per (name, version) with every copy
/// among its locations: each syft location must be one of strata's for that key, and
/// strata must name no copy syft did not find. Returns syft's keys, deduplicated.
fn merge_copies(ctx: &str, syft: &[SyftLangPackage], ours: &[&StrataPackage]) -> Vec<Key> {
    let mut by_key: BTreeMap<Key, BTreeSet<String>> = BTreeMap::new();
    for p in syft {
        by_key
            .entry(p.key())
            .or_default()
            .extend(p.locations.iter().cloned());
    }
    for p in ours {
        let k = p.package.key();
        if let Some(theirs) = by_key.get(&k) {
            let mine: BTreeSet<String> = paths(p)
                .into_iter()
                .filter(|l| l.ends_with("/package.json"))
                .map(str::to_owned)
                .collect();
            assert_eq!(&mine, theirs, "{ctx}: the copies of {k:?}");
        }
    }
    by_key.into_keys().collect()
}

#[test]
fn lang_image_matches_syft() {
    let Some(img) = images::lang() else { return };
    let Some(_) = strata_testkit::syft_path() else {
        return;
    };
    let sbom = sbom_json(s(&img.archive), &[]);
    let mut syft = truth::syft_lang_packages(&img.syft_json().unwrap()).unwrap();
    assert!(sbom.os_packages().is_empty());

    // Python: syft normalises the name; strata normalises the purl's.
    let ours = of(&sbom, "python");
    let theirs = take(&mut syft, |p| p.ecosystem == "python");
    let respelled: BTreeSet<&str> = ours
        .iter()
        .map(|p| p.package.name.as_str())
        .filter(|n| pep503(n) != *n)
        .collect();
    assert_eq!(
        respelled,
        BTreeSet::from([
            "Jinja2",
            "MarkupSafe",
            "jaraco.classes",
            "typing_extensions"
        ]),
        "python names that syft spells differently"
    );
    for p in &ours {
        let want = format!("pkg:pypi/{}@{}", pep503(&p.package.name), p.package.version);
        assert_eq!(p.purl, want);
    }
    let mine: Vec<Key> = ours
        .iter()
        .map(|p| key("python", &pep503(&p.package.name), &p.package.version))
        .collect();
    assert_same("python", &mine, &theirs);
    assert_eq!(mine.len(), lang_layout::PIP.len());

    // npm: syft adds the project's own package.json, and one package per copy.
    let ours = of(&sbom, "npm");
    let root = take(&mut syft, |p| {
        p.ecosystem == "npm" && p.locations == ["/srv/web/package.json"]
    });
    assert_eq!(root, [key("npm", "strata-web", "1.0.0")], "the npm project");
    let npm: Vec<SyftLangPackage> = syft
        .iter()
        .filter(|p| p.ecosystem == "npm")
        .cloned()
        .collect();
    take(&mut syft, |p| p.ecosystem == "npm");
    let copies = npm.len();
    let theirs = merge_copies("npm", &npm, &ours);
    assert!(
        copies > theirs.len(),
        "the image has nested duplicate copies"
    );
    let mine: Vec<Key> = ours.iter().map(|p| p.package.key()).collect();
    assert_same("npm", &mine, &theirs);

    // Cargo: syft reads the cargo-auditable binary (not Cargo.lock, in an image); strata
    // both, so each crate names both files.
    let ours = of(&sbom, "cargo");
    let theirs = take(&mut syft, |p| p.ecosystem == "cargo");
    let mine: Vec<Key> = ours.iter().map(|p| p.package.key()).collect();
    assert_same("cargo", &mine, &theirs);
    for p in &ours {
        assert_eq!(
            paths(p),
            ["/src/rustapp/Cargo.lock", lang_layout::RUST_BINARY],
            "locations of {}",
            p.package.name
        );
    }

    // Go: the stdlib version's `go` prefix, and the locally replaced module.
    let ours = of(&sbom, "go");
    let local = take(&mut syft, |p| p.ecosystem == "go" && p.name == "../lib");
    assert_eq!(local, [key("go", "../lib", "(devel)")]);
    let prefixed = take(&mut syft, |p| {
        p.ecosystem == "go" && p.name == "stdlib" && p.version.starts_with("go")
    });
    let mut theirs = take(&mut syft, |p| p.ecosystem == "go");
    assert_eq!(prefixed.len(), 1, "{prefixed:?}");
    theirs.extend(
        prefixed
            .iter()
            .map(|(e, n, v)| key(e, n, v.strip_prefix("go").unwrap())),
    );
    let mine: Vec<Key> = ours.iter().map(|p| p.package.key()).collect();
    assert_same("go", &mine, &theirs);
    let replaced = format!(
        "{}: Go module {} v1.2.3 is replaced by the local directory ../lib; skipped",
        lang_layout::GO_BINARY,
        lang_layout::GO_LOCAL_DEP
    );
    assert_eq!(sbom.warnings.len(), 1, "{:?}", sbom.warnings);
    assert!(sbom.warnings[0].contains(&replaced), "{:?}", sbom.warnings);

    // Java: the same; syft names the outer archive as the location of a nested jar.
    let ours = of(&sbom, "maven");
    let jars: Vec<SyftLangPackage> = syft
        .iter()
        .filter(|p| p.ecosystem == "maven")
        .cloned()
        .collect();
    let theirs = take(&mut syft, |p| p.ecosystem == "maven");
    let mine: Vec<Key> = ours.iter().map(|p| p.package.key()).collect();
    assert_same("maven", &mine, &theirs);
    for p in &ours {
        let theirs = jars.iter().find(|j| j.key() == p.package.key()).unwrap();
        assert_eq!(p.purl, theirs.purl);
        let mine = paths(p);
        assert!(
            mine.len() == 1 && mine[0].starts_with(theirs.locations[0].as_str()),
            "{mine:?} vs {:?}",
            theirs.locations
        );
    }

    assert!(syft.is_empty(), "syft packages not compared: {syft:#?}");
    let types: BTreeSet<&str> = sbom
        .packages
        .iter()
        .map(|p| p.package.kind.as_str())
        .collect();
    assert_eq!(
        types,
        BTreeSet::from(["cargo", "go", "maven", "npm", "python"])
    );
}

#[test]
fn lang_image_matches_the_package_managers() {
    let Some(img) = images::lang() else { return };
    let sbom = sbom_json(s(&img.archive), &[]);
    let t = img.lang_truth().unwrap();
    assert_all_in_layer("lang", &sbom, &img.diff_ids[0]);

    // pip list: names exactly as the metadata spells them.
    let got: Vec<(String, String)> = of(&sbom, "python")
        .iter()
        .map(|p| (p.package.name.clone(), p.package.version.clone()))
        .collect();
    let mut want = t.python.clone();
    want.sort();
    assert!(
        got == want,
        "python vs pip list\n{}",
        truth::diff("strata", &got, "pip", &want)
    );
    for p in of(&sbom, "python") {
        let path = paths(p);
        assert!(
            path.len() == 1
                && path[0].starts_with(&format!("/{}/", lang_layout::SITE_PACKAGES))
                && path[0].ends_with(".dist-info/METADATA"),
            "{path:?}"
        );
    }

    // npm query: every installed copy is a location of its (name, version).
    let mut copies: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for c in &t.npm {
        copies
            .entry((c.name.clone(), c.version.clone()))
            .or_default()
            .insert(format!("{}/{}/package.json", t.npm_root, c.location));
    }
    assert!(
        t.npm.len() > 60 && t.npm.len() > copies.len(),
        "{}",
        t.npm.len()
    );
    let ours = of(&sbom, "npm");
    let got: BTreeMap<(String, String), BTreeSet<String>> = ours
        .iter()
        .map(|p| {
            let installed = paths(p)
                .into_iter()
                .filter(|l| l.ends_with("/package.json"))
                .map(str::to_owned)
                .collect();
            (
                (p.package.name.clone(), p.package.version.clone()),
                installed,
            )
        })
        .collect();
    assert_eq!(got, copies, "npm vs npm query");
    for p in &ours {
        for lock in [
            "/srv/web/package-lock.json",
            "/srv/web/node_modules/.package-lock.json",
        ] {
            assert!(
                paths(p).contains(&lock),
                "{} not from {lock}",
                p.package.name
            );
        }
    }
    assert!(t.npm.iter().any(|c| c.name == "is-number" && c.dev));
    assert!(sbom.package("is-number").is_some(), "dev-only dependency");

    // Cargo.lock, and the same crates in the cargo-auditable binary.
    let got: Vec<(String, String)> = of(&sbom, "cargo")
        .iter()
        .map(|p| (p.package.name.clone(), p.package.version.clone()))
        .collect();
    assert_eq!(got, t.cargo, "cargo vs Cargo.lock");

    // go version -m: the main module and stdlib; the locally replaced dep is left out.
    let got: Vec<(String, String)> = of(&sbom, "go")
        .iter()
        .map(|p| (p.package.name.clone(), p.package.version.clone()))
        .collect();
    let mut want = vec![
        t.go.main.clone(),
        (
            "stdlib".to_owned(),
            t.go.go_version.trim_start_matches("go").to_owned(),
        ),
    ];
    want.sort();
    assert_eq!(got, want, "go vs go version -m");
    assert_eq!(
        t.go.deps,
        [(
            lang_layout::GO_LOCAL_DEP.to_owned(),
            "v1.2.3".to_owned(),
            Some(("../lib".to_owned(), "(devel)".to_owned()))
        )]
    );

    // The jars the recipe made, each read from its archive (nested: `outer:inner`).
    let got: Vec<(String, String, Vec<&str>)> = of(&sbom, "maven")
        .iter()
        .map(|p| (p.package.name.clone(), p.package.version.clone(), paths(p)))
        .collect();
    let mut want: Vec<(String, String, Vec<&str>)> = lang_layout::JARS
        .iter()
        .map(|(path, g, a, v)| (format!("{g}:{a}"), (*v).to_owned(), vec![*path]))
        .collect();
    want.sort();
    assert_eq!(got, want, "maven");
}

/// syft's lockfile catalogers (which it runs on directories, not images, unless asked)
/// on the same tarball: the npm `package-lock.json` and the `Cargo.lock`.
#[test]
fn lang_image_lockfiles_match_syft() {
    let Some(img) = images::lang() else { return };
    let Some(_) = strata_testkit::syft_path() else {
        return;
    };
    let json = img
        .syft_json_with(
            "syft-lockfiles",
            &[
                "--override-default-catalogers",
                "javascript-lock-cataloger,rust-cargo-lock-cataloger",
            ],
        )
        .unwrap();
    let mut syft = truth::syft_lang_packages(&json).unwrap();
    let sbom = sbom_json(s(&img.archive), &[]);
    let t = img.lang_truth().unwrap();

    let lock = "/srv/web/package-lock.json";
    let ours: Vec<Key> = of(&sbom, "npm")
        .iter()
        .filter(|p| paths(p).contains(&lock))
        .map(|p| p.package.key())
        .collect();
    // syft reports the project from `packages[""]`, and leaves out what only
    // development dependencies need (syft's `include-dev-dependencies` is off).
    let root = take(&mut syft, |p| p.name == "strata-web");
    assert_eq!(root, [key("npm", "strata-web", "1.0.0")]);
    let dev_only: BTreeSet<Key> = t
        .npm
        .iter()
        .filter(|c| c.dev)
        .map(|c| key("npm", &c.name, &c.version))
        .collect();
    assert_eq!(dev_only, BTreeSet::from([key("npm", "is-number", "7.0.0")]));
    let theirs = take(&mut syft, |p| p.ecosystem == "npm");
    let mine: Vec<Key> = ours.into_iter().filter(|k| !dev_only.contains(k)).collect();
    assert_same("package-lock.json", &mine, &theirs);

    let ours: Vec<Key> = of(&sbom, "cargo")
        .iter()
        .filter(|p| paths(p).contains(&"/src/rustapp/Cargo.lock"))
        .map(|p| p.package.key())
        .collect();
    let theirs = take(&mut syft, |p| p.ecosystem == "cargo");
    assert_same("Cargo.lock", &ours, &theirs);
    assert!(syft.is_empty(), "{syft:#?}");
}

/// The Debian image with python3 and ruby: Debian's Python distributions (`.egg-info`
/// and `.dist-info` in `dist-packages`) and Ruby's gems, including the default gems in
/// `specifications/default/`.
#[test]
fn large_image_language_packages_match_syft() {
    let Some(img) = images::debian_large() else {
        return;
    };
    let Some(_) = strata_testkit::syft_path() else {
        return;
    };
    let sbom = sbom_json(s(&img.archive), &[]);
    let mut syft = truth::syft_lang_packages(&img.syft_json().unwrap()).unwrap();

    let ours: Vec<Key> = of(&sbom, "python")
        .iter()
        .map(|p| key("python", &pep503(&p.package.name), &p.package.version))
        .collect();
    let theirs = take(&mut syft, |p| p.ecosystem == "python");
    assert!(theirs.len() > 10, "{theirs:?}");
    assert_same("python", &ours, &theirs);

    // Installed gems. strata also reads the Gemfile.lock files vendored inside gems
    // (syft does not read lockfiles in images): those packages are left out here.
    let gems = of(&sbom, "gem");
    let installed: Vec<&StrataPackage> = gems
        .iter()
        .copied()
        .filter(|p| paths(p).iter().any(|l| l.ends_with(".gemspec")))
        .collect();
    assert!(
        gems.iter()
            .filter(|p| !installed.contains(p))
            .all(|p| paths(p).iter().all(|l| l.ends_with("/Gemfile.lock"))),
        "gems from neither a gemspec nor a Gemfile.lock"
    );
    let syft_gems: Vec<SyftLangPackage> = syft
        .iter()
        .filter(|p| p.ecosystem == "gem")
        .cloned()
        .collect();
    take(&mut syft, |p| p.ecosystem == "gem");
    let mut by_key: BTreeMap<Key, BTreeSet<String>> = BTreeMap::new();
    for p in &syft_gems {
        by_key
            .entry(p.key())
            .or_default()
            .extend(p.locations.iter().cloned());
    }
    for p in &installed {
        if let Some(theirs) = by_key.get(&p.package.key()) {
            let mine: BTreeSet<String> = paths(p)
                .into_iter()
                .filter(|l| l.ends_with(".gemspec"))
                .map(str::to_owned)
                .collect();
            assert_eq!(&mine, theirs, "gemspecs of {:?}", p.package.key());
        }
    }
    let theirs: Vec<Key> = by_key.into_keys().collect();
    assert!(theirs.len() > 80, "{}", theirs.len());
    let mine: Vec<Key> = installed.iter().map(|p| p.package.key()).collect();
    assert_same("gem", &mine, &theirs);

    // npm: the VS Code extension inside the typeprof gem. syft reports its package.json
    // (the project itself); strata reports its package-lock.json, which syft does not
    // read in images.
    let vscode = "/usr/lib/ruby/gems/3.1.0/gems/typeprof-0.21.2/vscode";
    let npm = take(&mut syft, |p| p.ecosystem == "npm");
    assert_eq!(npm, [key("npm", "ruby-typeprof", "0.20.1")]);
    let ours = of(&sbom, "npm");
    assert!(ours.len() > 100);
    for p in &ours {
        assert_eq!(
            paths(p),
            [format!("{vscode}/package-lock.json")],
            "{}",
            p.package.name
        );
    }
    assert!(syft.is_empty(), "{syft:#?}");
}
