//! The language detectors through the [`Cataloger`], as a scan runs them.

use std::collections::BTreeMap;
use std::sync::Arc;

use strata_catalog::{CapturedFiles, Cataloger, FileVersion};
use strata_types::Digest;

struct Files(BTreeMap<String, Vec<u8>>);

impl CapturedFiles for Files {
    fn captured_paths(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }
    fn versions(&self, path: &str) -> Vec<FileVersion> {
        self.0
            .get(path)
            .map(|d| FileVersion {
                layer: None,
                data: Arc::from(d.as_slice()),
            })
            .into_iter()
            .collect()
    }
    fn read(&self, path: &str) -> Option<Arc<[u8]>> {
        self.0.get(path).map(|d| Arc::from(d.as_slice()))
    }
    fn layer_diff_id(&self, _: usize) -> Option<Digest> {
        None
    }
}

#[test]
fn copies_merge_and_broken_files_are_warnings() {
    let mut files = BTreeMap::new();
    let pj = br#"{"name": "ms", "version": "2.1.3", "license": "MIT"}"#;
    files.insert("/app/node_modules/ms/package.json".to_owned(), pj.to_vec());
    files.insert(
        "/app/node_modules/debug/node_modules/ms/package.json".to_owned(),
        pj.to_vec(),
    );
    files.insert(
        "/app/requirements.txt".to_owned(),
        b"flask>=2\nrequests==2.31.0\n".to_vec(),
    );
    files.insert("/app/Cargo.lock".to_owned(), b"[[package]\n".to_vec());
    let cataloger = Cataloger::new(strata_catalog::lang::detectors());
    let catalog = cataloger.catalog(&Files(files));

    let got: Vec<_> = catalog
        .packages
        .iter()
        .map(|p| {
            (
                p.purl.as_str(),
                p.locations
                    .iter()
                    .map(|l| l.path.as_str())
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("pkg:pypi/requests@2.31.0", vec!["/app/requirements.txt"]),
            (
                "pkg:npm/ms@2.1.3",
                vec![
                    "/app/node_modules/debug/node_modules/ms/package.json",
                    "/app/node_modules/ms/package.json",
                ]
            ),
        ]
    );
    let warnings: Vec<_> = catalog
        .warnings
        .iter()
        .map(|w| (w.path.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert_eq!(warnings[0].0, "/app/Cargo.lock");
    assert!(
        warnings[0]
            .1
            .starts_with("rust-cargo-lock: /app/Cargo.lock:1: invalid TOML"),
        "{}",
        warnings[0].1
    );
    assert_eq!(
        warnings[1],
        (
            "/app/requirements.txt",
            "/app/requirements.txt:1: flask: unpinned requirement `>=2`; not reported"
        )
    );
}

#[test]
fn development_dependencies_are_marked() {
    let mut files = BTreeMap::new();
    files.insert(
        "/app/package-lock.json".to_owned(),
        br#"{"lockfileVersion": 3, "packages": {"": {"name": "app"},
            "node_modules/express": {"version": "4.18.2"},
            "node_modules/jest": {"version": "29.7.0", "dev": true},
            "node_modules/ms": {"version": "2.1.3", "dev": true}}}"#
            .to_vec(),
    );
    files.insert(
        "/app/composer.lock".to_owned(),
        br#"{"packages": [{"name": "monolog/monolog", "version": "3.5.0"}],
            "packages-dev": [{"name": "phpunit/phpunit", "version": "10.5.0"}]}"#
            .to_vec(),
    );
    // `ms` is also installed as a runtime dependency elsewhere: then it is not dev-only.
    files.insert(
        "/srv/node_modules/ms/package.json".to_owned(),
        br#"{"name": "ms", "version": "2.1.3"}"#.to_vec(),
    );
    let catalog = Cataloger::new(strata_catalog::lang::detectors()).catalog(&Files(files));
    let got: Vec<(&str, bool)> = catalog
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.dev))
        .collect();
    assert_eq!(
        got,
        [
            ("express", false),
            ("jest", true),
            ("ms", false),
            ("monolog/monolog", false),
            ("phpunit/phpunit", true),
        ]
    );
}
