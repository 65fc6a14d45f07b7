//! Runs the detectors over the files an image reader captured and attributes each
//! package to the layer that introduced it.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use strata_types::{Digest, Distro, Package, PackageType, Warning};

use crate::os::release::{RELEASE_FILES, detect_distro};
use crate::{DetectInput, Detector};

/// One version of a captured file: the layer that wrote it (`None` for a directory
/// scan) and its bytes.
#[derive(Debug, Clone)]
pub struct FileVersion {
    pub layer: Option<usize>,
    pub data: Arc<[u8]>,
}

/// What the catalog needs from an image reader: the files it captured, their history
/// across layers, and the layers' diff ids.
pub trait CapturedFiles: Sync {
    /// Paths of the final filesystem whose contents were captured, sorted.
    fn captured_paths(&self) -> Vec<String>;
    /// Every captured version of `path` that lies on the path's history, lowest layer
    /// first; the last one is the file as it is in the final image. Empty when the path
    /// is not in the final image.
    fn versions(&self, path: &str) -> Vec<FileVersion>;
    /// The final contents of `path`, following symlinks inside the image.
    fn read(&self, path: &str) -> Option<Arc<[u8]>>;
    /// The diff id of layer `index`.
    fn layer_diff_id(&self, index: usize) -> Option<Digest>;
}

/// The packages of an image or directory.
#[derive(Debug, Default)]
pub struct Catalog {
    pub distro: Option<Distro>,
    pub packages: Vec<Package>,
    pub warnings: Vec<Warning>,
}

/// A set of detectors.
pub struct Cataloger {
    detectors: Vec<Box<dyn Detector>>,
}

impl std::fmt::Debug for Cataloger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.detectors.iter().map(|d| d.name()))
            .finish()
    }
}

impl Cataloger {
    pub fn new(detectors: Vec<Box<dyn Detector>>) -> Self {
        Cataloger { detectors }
    }

    /// Every operating-system package detector.
    pub fn os_packages() -> Self {
        Cataloger::new(crate::os::detectors())
    }

    /// Every detector: OS package databases and language ecosystems.
    pub fn all() -> Self {
        let mut detectors = crate::os::detectors();
        detectors.extend(crate::lang::detectors());
        Cataloger::new(detectors)
    }

    /// Whether any detector, or distro detection, needs the contents of `path`.
    pub fn wants(&self, path: &str) -> bool {
        RELEASE_FILES.contains(&path) || self.detectors.iter().any(|d| d.wants(path))
    }

    /// Identifies the detector set, for caches of captured files.
    pub fn cache_key(&self) -> String {
        let mut key = String::from("catalog-v1");
        for d in &self.detectors {
            key.push_str(&format!(";{}@{}", d.name(), d.version()));
        }
        key
    }

    /// Runs every detector on the files it wants, in parallel; the result does not depend
    /// on the order in which the work finished.
    pub fn catalog(&self, files: &dyn CapturedFiles) -> Catalog {
        let distro = detect_distro(&|p| files.read(p).map(|b| b.to_vec()));
        let paths = files.captured_paths();
        let work: Vec<(usize, usize)> = paths
            .iter()
            .enumerate()
            .flat_map(|(pi, path)| {
                self.detectors
                    .iter()
                    .enumerate()
                    .filter(move |(_, d)| d.wants(path))
                    .map(move |(di, _)| (pi, di))
            })
            .collect();
        let outcomes = parallel_map(&work, |&(pi, di)| {
            self.detect_one(
                files,
                &paths[pi],
                self.detectors[di].as_ref(),
                distro.as_ref(),
            )
        });
        let mut warnings = Vec::new();
        // Keyed by identity so one package found twice (two databases) is listed once
        // with both locations.
        let mut found: BTreeMap<PackageKey, Package> = BTreeMap::new();
        for outcome in outcomes {
            warnings.extend(outcome.warnings);
            for pkg in outcome.packages {
                merge(&mut found, pkg);
            }
        }
        let mut packages: Vec<Package> = found.into_values().collect();
        packages.sort_by(|a, b| a.key().cmp(&b.key()));
        Catalog {
            distro,
            packages,
            warnings,
        }
    }

    /// One detector on one file: its packages, attributed to layers, and its warnings.
    fn detect_one(
        &self,
        files: &dyn CapturedFiles,
        path: &str,
        detector: &dyn Detector,
        distro: Option<&Distro>,
    ) -> Outcome {
        let mut out = Outcome::default();
        let versions = files.versions(path);
        let Some(last) = versions.last() else {
            return out;
        };
        let final_layer = last.layer.and_then(|l| files.layer_diff_id(l));
        let input = DetectInput {
            path,
            contents: &last.data,
            distro,
        };
        let (packages, detector_warnings) = match detector.detect_with_warnings(&input) {
            Ok(r) => r,
            Err(e) => {
                out.warnings.push(Warning {
                    path: path.to_owned(),
                    layer: final_layer,
                    message: format!("{}: {e}", detector.name()),
                });
                return out;
            }
        };
        out.warnings
            .extend(detector_warnings.into_iter().map(|message| Warning {
                path: path.to_owned(),
                layer: final_layer.clone(),
                message,
            }));
        let introduced = introducing_layers(detector, path, &versions, distro, &packages);
        for (mut pkg, layer) in packages.into_iter().zip(introduced) {
            let layer_diff_id = layer.and_then(|l| files.layer_diff_id(l));
            for loc in &mut pkg.locations {
                loc.layer_diff_id.clone_from(&final_layer);
            }
            pkg.layer_diff_id = layer_diff_id;
            out.packages.push(pkg);
        }
        out
    }
}

#[derive(Default)]
struct Outcome {
    packages: Vec<Package>,
    warnings: Vec<Warning>,
}

/// `f` over `items` on up to one thread per core; results in the order of `items`.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(8)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(v) => v,
                // A detector panicking is a bug; surface it as the panic it was.
                Err(p) => std::panic::resume_unwind(p),
            })
            .collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

type PackageKey = (PackageType, String, String, Option<String>);

fn key_of(p: &Package) -> PackageKey {
    (
        p.package_type,
        p.name.clone(),
        p.version.clone(),
        p.arch.clone(),
    )
}

fn merge(found: &mut BTreeMap<PackageKey, Package>, pkg: Package) {
    match found.entry(key_of(&pkg)) {
        std::collections::btree_map::Entry::Vacant(v) => {
            v.insert(pkg);
        }
        std::collections::btree_map::Entry::Occupied(mut o) => {
            let existing = o.get_mut();
            // Development-only where every file that lists it says so.
            existing.dev &= pkg.dev;
            for loc in pkg.locations {
                if !existing.locations.contains(&loc) {
                    existing.locations.push(loc);
                }
            }
            existing.locations.sort();
        }
    }
}

/// For each package of the final version of a database, the earliest layer from which
/// every later version of the database lists it: the layer that introduced it at this
/// version. A package removed and installed again counts from its reinstall.
fn introducing_layers(
    detector: &dyn Detector,
    path: &str,
    versions: &[FileVersion],
    distro: Option<&Distro>,
    packages: &[Package],
) -> Vec<Option<usize>> {
    let Some(last) = versions.last() else {
        return vec![None; packages.len()];
    };
    let mut introduced: Vec<Option<usize>> = vec![last.layer; packages.len()];
    let mut open: Vec<usize> = (0..packages.len()).collect();
    for older in versions.iter().rev().skip(1) {
        if open.is_empty() {
            break;
        }
        let input = DetectInput {
            path,
            contents: &older.data,
            distro,
        };
        // An older version that does not parse ends the history there.
        let Ok(older_packages) = detector.detect(&input) else {
            break;
        };
        let present: HashSet<PackageKey> = older_packages.iter().map(key_of).collect();
        open.retain(|&i| {
            if present.contains(&key_of(&packages[i])) {
                introduced[i] = older.layer;
                true
            } else {
                false
            }
        });
    }
    introduced
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct FakeImage {
        files: HashMap<String, Vec<FileVersion>>,
    }

    impl CapturedFiles for FakeImage {
        fn captured_paths(&self) -> Vec<String> {
            let mut p: Vec<String> = self.files.keys().cloned().collect();
            p.sort();
            p
        }
        fn versions(&self, path: &str) -> Vec<FileVersion> {
            self.files.get(path).cloned().unwrap_or_default()
        }
        fn read(&self, path: &str) -> Option<Arc<[u8]>> {
            self.files.get(path)?.last().map(|v| v.data.clone())
        }
        fn layer_diff_id(&self, index: usize) -> Option<Digest> {
            Some(Digest::sha256_from_bytes(
                &[u8::try_from(index).unwrap(); 32],
            ))
        }
    }

    fn status(pkgs: &[(&str, &str)]) -> FileVersion {
        let mut s = String::new();
        for (n, v) in pkgs {
            s.push_str(&format!(
                "Package: {n}\nStatus: install ok installed\nVersion: {v}\nArchitecture: amd64\n\n"
            ));
        }
        FileVersion {
            layer: None,
            data: Arc::from(s.into_bytes()),
        }
    }

    fn at(layer: usize, mut v: FileVersion) -> FileVersion {
        v.layer = Some(layer);
        v
    }

    #[test]
    fn layer_attribution_follows_uninterrupted_presence() {
        let image = FakeImage {
            files: HashMap::from([
                (
                    "/var/lib/dpkg/status".to_owned(),
                    vec![
                        at(0, status(&[("base", "1"), ("curl", "7"), ("gone", "1")])),
                        // layer 1 upgrades curl, removes "gone", adds "git".
                        at(1, status(&[("base", "1"), ("curl", "8"), ("git", "2")])),
                        // layer 2 reinstalls "gone".
                        at(
                            3,
                            status(&[("base", "1"), ("curl", "8"), ("git", "2"), ("gone", "1")]),
                        ),
                    ],
                ),
                (
                    "/etc/os-release".to_owned(),
                    vec![at(
                        0,
                        FileVersion {
                            layer: None,
                            data: Arc::from(&b"ID=debian\nVERSION_ID=12\n"[..]),
                        },
                    )],
                ),
            ]),
        };
        let catalog = Cataloger::os_packages().catalog(&image);
        assert_eq!(
            catalog.distro.as_ref().unwrap().purl_qualifier(),
            "debian-12"
        );
        let got: Vec<(&str, &str, Option<Digest>)> = catalog
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.layer_diff_id.clone()))
            .collect();
        let layer = |i| image.layer_diff_id(i);
        assert_eq!(
            got,
            vec![
                ("base", "1", layer(0)),
                ("curl", "8", layer(1)),
                ("git", "2", layer(1)),
                ("gone", "1", layer(3)),
            ]
        );
        // Every location points at the layer holding the final database.
        assert!(
            catalog
                .packages
                .iter()
                .all(|p| p.locations[0].layer_diff_id == layer(3))
        );
        assert!(catalog.warnings.is_empty());
    }

    #[test]
    fn a_broken_database_is_a_warning_not_a_failure() {
        let image = FakeImage {
            files: HashMap::from([(
                "/var/lib/dpkg/status".to_owned(),
                vec![at(
                    2,
                    FileVersion {
                        layer: None,
                        data: Arc::from(&b"garbage\n"[..]),
                    },
                )],
            )]),
        };
        let catalog = Cataloger::os_packages().catalog(&image);
        assert!(catalog.packages.is_empty());
        assert_eq!(catalog.warnings.len(), 1);
        assert_eq!(catalog.warnings[0].path, "/var/lib/dpkg/status");
        assert_eq!(catalog.warnings[0].layer, image.layer_diff_id(2));
        assert!(
            catalog.warnings[0]
                .message
                .starts_with("dpkg: /var/lib/dpkg/status:1:")
        );
    }
}
