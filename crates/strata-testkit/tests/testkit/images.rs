use strata_testkit::images::{self, layered_layout};
use strata_testkit::truth::{self, Package, RpmFields};

fn names(pkgs: &[Package]) -> Vec<&str> {
    pkgs.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn minbase_is_a_debian_minbase() {
    let Some(img) = images::minbase() else { return };
    assert_eq!(img.diff_ids.len(), 1);
    let pkgs = img.expected_packages().unwrap();
    // minbase = Essential: yes + apt and their dependencies; no Priority: important extras.
    for must in [
        "base-files",
        "bash",
        "coreutils",
        "dpkg",
        "apt",
        "libc6",
        "perl-base",
    ] {
        assert!(
            names(&pkgs).contains(&must),
            "{must} missing from {:?}",
            names(&pkgs)
        );
    }
    for must_not in ["python3", "curl", "hello", "systemd"] {
        assert!(!names(&pkgs).contains(&must_not), "{must_not} in minbase");
    }
    let libc = pkgs.iter().find(|p| p.name == "libc6").unwrap();
    assert_eq!(
        (
            libc.kind.as_str(),
            libc.arch.as_str(),
            libc.source_name.as_str()
        ),
        ("deb", "amd64", "glibc")
    );
    assert!(img.archive.is_file());
    assert!(img.rootfs.join("etc/os-release").is_file());
    assert!(!img.rootfs.join(".dockerenv").exists());
}

#[test]
fn large_image_has_about_300_packages() {
    let Some(img) = images::debian_large() else {
        return;
    };
    let pkgs = img.expected_packages().unwrap();
    assert!((280..=340).contains(&pkgs.len()), "{} packages", pkgs.len());
    for inc in images::LARGE_INCLUDE {
        assert!(names(&pkgs).contains(inc), "{inc} not installed");
    }
}

#[test]
fn layered_image_layers_whiteouts_and_packages() {
    let Some(base) = images::minbase() else {
        return;
    };
    let Some(img) = images::layered() else { return };
    assert_eq!(img.diff_ids.len(), layered_layout::LAYERS);
    assert_eq!(img.diff_ids.first(), base.diff_ids.first());
    let pkgs = img.expected_packages().unwrap();
    let base_pkgs = base.expected_packages().unwrap();
    let mut want = base_pkgs.clone();
    let hello = pkgs.iter().find(|p| p.name == "hello").unwrap().clone();
    want.push(hello);
    want.sort();
    assert_eq!(
        pkgs,
        want,
        "{}",
        truth::diff("layered", &pkgs, "minbase+hello", &want)
    );
    for removed in layered_layout::REMOVED {
        assert!(!names(&pkgs).contains(removed));
    }
    let deleted = layered_layout::DELETED_FILE.trim_start_matches('/');
    assert!(base.rootfs.join(deleted).exists());
    assert!(!img.rootfs.join(deleted).exists());
    assert!(img.rootfs.join("opt/strata-test/a.txt").is_file());
    assert!(img.rootfs.join("opt/strata-test/sub/new.txt").is_file());
    assert!(!img.rootfs.join("opt/strata-test/sub/old.txt").exists());
    assert!(!img.rootfs.join("tmp/debs").exists());
}

#[test]
fn apk_image_lists_the_shared_database() {
    let Some(img) = images::apk() else { return };
    let pkgs = img.expected_packages().unwrap();
    assert_eq!(pkgs.len(), 15);
    let musl = pkgs.iter().find(|p| p.name == "musl").unwrap();
    assert_eq!(musl.kind, "apk");
    assert_eq!(musl.arch, "x86_64");
    let os = std::fs::read_to_string(img.rootfs.join("etc/os-release")).unwrap();
    assert!(os.contains("ID=alpine"), "{os}");
    assert!(os.contains("VERSION_ID=3.18"), "{os}");
}

#[test]
fn rpm_image_has_exactly_the_built_rpms() {
    let Some(img) = images::rpm() else { return };
    let rows = truth::rpm_fields(&img.rootfs).unwrap();
    let r = |name: &str, epoch: Option<u32>, v: &str, rel: &str, arch: &str, src: &str| RpmFields {
        name: name.into(),
        epoch,
        version: v.into(),
        release: rel.into(),
        arch: arch.into(),
        source_rpm: src.into(),
    };
    assert_eq!(
        rows,
        vec![
            r(
                "strata-hello",
                Some(2),
                "1.2.3",
                "4.el8",
                "noarch",
                "strata-hello-1.2.3-4.el8.src.rpm"
            ),
            r(
                "strata-lib",
                None,
                "0.9",
                "1.el8",
                "x86_64",
                "strata-lib-0.9-1.el8.src.rpm"
            ),
            r(
                "strata-lib-devel",
                None,
                "0.9",
                "1.el8",
                "x86_64",
                "strata-lib-0.9-1.el8.src.rpm"
            ),
            r(
                "strata-tool",
                None,
                "10.0.1",
                "0.rc1.el8",
                "x86_64",
                "strata-tool-10.0.1-0.rc1.el8.src.rpm"
            ),
        ]
    );
    // The truth query must not have touched the image's root file system.
    assert!(!img.rootfs.join("var/lib/rpm/rpmdb.sqlite-shm").exists());
    assert!(img.rootfs.join("var/lib/rpm/rpmdb.sqlite").is_file());
}

/// syft 1.18.1 agrees with the package managers' own tools on every test image, so it is a
/// fair peer for strata's end-to-end tests.
#[test]
fn syft_agrees_with_the_package_managers() {
    if strata_testkit::syft_path().is_none() {
        return;
    }
    let builders: [fn() -> Option<strata_testkit::TestImage>; 5] = [
        images::minbase,
        images::debian_large,
        images::layered,
        images::apk,
        images::rpm,
    ];
    for build in builders {
        let Some(img) = build() else { return };
        let truth = truth::keys(&img.expected_packages().unwrap());
        let syft = truth::syft_os_packages(&img.syft_json().unwrap()).unwrap();
        assert_eq!(
            syft,
            truth,
            "{}: {}",
            img.reference,
            truth::diff("syft", &syft, "truth", &truth)
        );
    }
}

#[test]
fn oci_layouts_have_an_index() {
    let Some(img) = images::minbase() else { return };
    for c in ["gzip", "zstd", "none"] {
        let Some(layout) = strata_testkit::require(img.oci_layout(c)) else {
            return;
        };
        assert!(layout.join("index.json").is_file(), "{c}");
        assert!(layout.join("oci-layout").is_file(), "{c}");
    }
    assert!(img.oci_layout("lz4").is_err());
}

/// When the tag names another image (someone imported the same name), the helper loads
/// the cached image back, so `docker:` tests see what the truth was computed from.
#[test]
fn retagged_image_is_loaded_back() {
    let Some(img) = images::apk() else { return };
    let tmp = strata_testkit::cache::TempDir::new("retag").unwrap();
    let tar = tmp.path().join("other.tar");
    std::fs::write(
        &tar,
        strata_testkit::synth::tar_of(&[("etc/other", b"x")]).unwrap(),
    )
    .unwrap();
    strata_testkit::docker::import(&tar, &img.reference).unwrap();
    assert_ne!(
        strata_testkit::docker::image_id(&img.reference)
            .unwrap()
            .as_deref(),
        Some(img.image_id.as_str())
    );
    let again = images::apk().unwrap();
    assert_eq!(again.image_id, img.image_id);
    assert_eq!(
        strata_testkit::docker::image_id(&img.reference)
            .unwrap()
            .as_deref(),
        Some(img.image_id.as_str())
    );
    assert_eq!(
        strata_testkit::docker::diff_ids(&img.reference).unwrap(),
        img.diff_ids
    );
}
