//! Distribution detection on real release files (syft's and claircore's corpora).

use std::collections::HashMap;
use std::path::Path;

use strata_catalog::os::release::{RELEASE_FILES, detect_distro};

fn detect_in(root: &Path) -> Option<(String, String)> {
    let files: HashMap<&str, Vec<u8>> = RELEASE_FILES
        .iter()
        .filter_map(|p| std::fs::read(root.join(&p[1..])).ok().map(|b| (*p, b)))
        .collect();
    detect_distro(&|p: &str| files.get(p).cloned()).map(|d| (d.id, d.version_id))
}

#[test]
fn syft_release_corpus() {
    let Some(data) = strata_testkit::data_dir() else {
        return;
    };
    let base = data.join("pkgdb/os-release/syft");
    let expected: &[(&str, Option<(&str, &str)>)] = &[
        ("alpine", Some(("alpine", "3.11.6"))),
        ("amazon", Some(("amzn", "2"))),
        ("arch", Some(("arch", ""))),
        ("centos", Some(("centos", "8"))),
        ("centos5", Some(("centos", "5.7"))),
        ("custom", Some(("scientific", "8"))),
        ("debian/from-debian_version", Some(("debian", "10"))),
        ("debian/from-os-release", Some(("debian", "8"))),
        ("debian/with-point-release", Some(("debian", "13"))),
        ("empty", None),
        ("fedora", Some(("fedora", "36"))),
        ("mariner", Some(("mariner", "1.0"))),
        ("opensuse-leap", Some(("opensuse-leap", "15.2"))),
        ("oraclelinux", Some(("ol", "8.3"))),
        ("photon", Some(("photon", "2.0"))),
        ("redhat/from-os-release", Some(("rhel", "7.3"))),
        ("redhat/from-redhat-release", Some(("rhel", "8.10"))),
        ("rockylinux/from-os-release", Some(("rocky", "8.4"))),
        ("rockylinux/from-redhat-release", Some(("rocky", "8.10"))),
        ("almalinux/from-os-release", Some(("almalinux", "8.4"))),
        ("almalinux/from-redhat-release", Some(("almalinux", "8.10"))),
        ("sles", Some(("sles", "15.2"))),
        ("ubuntu", Some(("ubuntu", "20.04"))),
        ("wolfi", Some(("wolfi", "20220914"))),
    ];
    for (dir, want) in expected {
        let got = detect_in(&base.join(dir));
        let want = want.map(|(a, b)| (a.to_owned(), b.to_owned()));
        assert_eq!(got, want, "{dir}");
    }
}
