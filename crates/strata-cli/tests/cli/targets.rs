//! The same images through every other target kind: `oci:` (skopeo-made layouts, gzip and
//! zstd layers), `docker:` (the daemon), `registry:` (a private `docker-registry`, with and
//! without authentication) and `dir:` (the unpacked root file system). Each must give the
//! same package list as the truth; image targets also the same layers.

use strata_testkit::images;
use strata_testkit::registry::Registry;

use crate::os_images::check_layered;
use crate::support::*;

#[test]
fn minbase_oci_gzip_layout() {
    let Some(img) = images::minbase() else { return };
    let Some(layout) = strata_testkit::require(img.oci_layout("gzip")) else {
        return;
    };
    let sbom = sbom_json(&format!("oci:{}", s(&layout)), &[]);
    assert_packages("minbase oci gzip", &sbom, &img.expected_packages().unwrap());
    assert_distro("minbase oci gzip", &sbom, "debian", "12");
    // Diff ids are digests of the uncompressed layers: the same as in the docker archive.
    assert_all_in_layer("minbase oci gzip", &sbom, &img.diff_ids[0]);
}

/// `oci:` also takes an OCI layout packed into a tar file.
#[test]
fn minbase_oci_layout_tarball() {
    let Some(img) = images::minbase() else { return };
    let Some(layout) = strata_testkit::require(img.oci_layout("gzip")) else {
        return;
    };
    let t = strata_testkit::cache::TempDir::new("cli-oci-tar").unwrap();
    let tar = t.path().join("layout.tar");
    strata_testkit::cmd::run(
        std::process::Command::new("tar")
            .arg("-cf")
            .arg(&tar)
            .arg("-C")
            .arg(&layout)
            .arg("."),
    )
    .unwrap();
    let sbom = sbom_json(&format!("oci:{}", s(&tar)), &[]);
    assert_packages("minbase oci tar", &sbom, &img.expected_packages().unwrap());
    assert_all_in_layer("minbase oci tar", &sbom, &img.diff_ids[0]);
}

#[test]
fn layered_oci_zstd_layout() {
    let Some(img) = images::layered() else { return };
    let Some(layout) = strata_testkit::require(img.oci_layout("zstd")) else {
        return;
    };
    let sbom = sbom_json(&format!("oci:{}", s(&layout)), &[]);
    check_layered("layered oci zstd", &sbom, &img);
}

#[test]
fn rpm_oci_uncompressed_layout() {
    let Some(img) = images::rpm() else { return };
    let Some(layout) = strata_testkit::require(img.oci_layout("none")) else {
        return;
    };
    let sbom = sbom_json(&format!("oci:{}", s(&layout)), &[]);
    assert_packages("rpm oci", &sbom, &img.expected_packages().unwrap());
}

#[test]
fn minbase_docker_daemon() {
    let Some(img) = images::minbase() else { return };
    let sbom = sbom_json(&format!("docker:{}", img.reference), &[]);
    assert_packages("minbase docker:", &sbom, &img.expected_packages().unwrap());
    assert_all_in_layer("minbase docker:", &sbom, &img.diff_ids[0]);
}

#[test]
fn layered_docker_daemon() {
    let Some(img) = images::layered() else { return };
    let sbom = sbom_json(&format!("docker:{}", img.reference), &[]);
    check_layered("layered docker:", &sbom, &img);
}

#[test]
fn apk_docker_daemon() {
    let Some(img) = images::apk() else { return };
    let sbom = sbom_json(&format!("docker:{}", img.reference), &[]);
    assert_packages("apk docker:", &sbom, &img.expected_packages().unwrap());
}

#[test]
fn docker_daemon_unknown_image_is_an_error() {
    if strata_testkit::docker_available().is_none() {
        return;
    }
    let run = strata(&[
        "sbom",
        "docker:strata-test/no-such-image:none",
        "--no-cache",
    ]);
    assert_error("unknown docker image", &run);
    assert!(
        run.stderr.contains("strata-test/no-such-image"),
        "{}",
        run.stderr
    );
}

#[test]
fn minbase_dir() {
    let Some(img) = images::minbase() else { return };
    let sbom = sbom_json(&format!("dir:{}", s(&img.rootfs)), &[]);
    assert_packages("minbase dir:", &sbom, &img.expected_packages().unwrap());
    assert_distro("minbase dir:", &sbom, "debian", "12");
    for p in &sbom.packages {
        assert_eq!(
            p.layer_diff_id, None,
            "dir: has no layers ({})",
            p.package.name
        );
    }
}

#[test]
fn layered_dir() {
    let Some(img) = images::layered() else { return };
    let sbom = sbom_json(&format!("dir:{}", s(&img.rootfs)), &[]);
    assert_packages("layered dir:", &sbom, &img.expected_packages().unwrap());
}

#[test]
fn large_dir() {
    let Some(img) = images::debian_large() else {
        return;
    };
    let sbom = sbom_json(&format!("dir:{}", s(&img.rootfs)), &[]);
    assert_packages(
        "debian-large dir:",
        &sbom,
        &img.expected_packages().unwrap(),
    );
}

#[test]
fn rpm_and_apk_dir() {
    for build in [images::rpm, images::apk] {
        let Some(img) = build() else { return };
        let sbom = sbom_json(&format!("dir:{}", s(&img.rootfs)), &[]);
        assert_packages(&img.reference, &sbom, &img.expected_packages().unwrap());
    }
}

#[test]
fn minbase_registry_without_auth() {
    let Some(img) = images::minbase() else { return };
    let Some(reg) = Registry::start() else { return };
    let reference = reg.push(&img, "strata-test/minbase:bookworm").unwrap();
    let sbom = sbom_json(&format!("registry:{reference}"), &["--insecure"]);
    assert_packages(
        "minbase registry:",
        &sbom,
        &img.expected_packages().unwrap(),
    );
    assert_all_in_layer("minbase registry:", &sbom, &img.diff_ids[0]);
}

#[test]
fn layered_registry_with_auth() {
    let Some(img) = images::layered() else { return };
    let Some(reg) = Registry::start_with_auth("strata", "t0ps3cret") else {
        return;
    };
    let reference = reg.push(&img, "team/layered:1").unwrap();
    let target = format!("registry:{reference}");
    let sbom = sbom_json(
        &target,
        &[
            "--insecure",
            "--username",
            "strata",
            "--password",
            "t0ps3cret",
        ],
    );
    check_layered("layered registry:", &sbom, &img);

    let wrong = strata(&[
        "sbom",
        &target,
        "--format",
        "json",
        "--no-cache",
        "--insecure",
        "--username",
        "strata",
        "--password",
        "wrong",
    ]);
    assert_error("wrong registry password", &wrong);
    let anonymous = strata(&[
        "sbom",
        &target,
        "--format",
        "json",
        "--no-cache",
        "--insecure",
    ]);
    assert_error("anonymous on an auth registry", &anonymous);
}

#[test]
fn registry_unknown_tag_is_an_error() {
    let Some(reg) = Registry::start() else { return };
    let run = strata(&[
        "sbom",
        &format!("registry:{}/nothing/here:1", reg.host()),
        "--insecure",
        "--no-cache",
    ]);
    assert_error("unknown registry tag", &run);
}

/// A second run with a layer cache gives the same report as a run without one.
#[test]
fn cache_dir_gives_the_same_report() {
    let Some(img) = images::layered() else { return };
    let cache = strata_testkit::require(strata_testkit::cache::TempDir::new("strata-cli-cache"));
    let Some(cache) = cache else { return };
    let args = ["--cache-dir", s(cache.path())];
    let uncached = sbom_json(s(&img.archive), &[]);
    let mut cached_args = vec!["sbom", s(&img.archive), "--format", "json"];
    cached_args.extend_from_slice(&args);
    for round in ["cold", "warm"] {
        let run = strata(&cached_args);
        assert_eq!(run.code, Some(0), "{round}: {}", run.stderr);
        let sbom = strata_testkit::truth::parse_strata_json(&run.stdout).unwrap();
        assert_eq!(sbom.packages, uncached.packages, "{round} cache run");
    }
}

/// Several strata processes started at once on one cold cache directory (each writes the
/// same layers' entries) all give the uncached report, and so does a warm run afterwards:
/// the cache is safe to share between processes.
#[test]
fn concurrent_processes_share_one_cache() {
    let Some(img) = images::layered() else { return };
    let cache = strata_testkit::require(strata_testkit::cache::TempDir::new("strata-cli-cache-mp"));
    let Some(cache) = cache else { return };
    let uncached = sbom_json(s(&img.archive), &[]);
    let args = [
        "sbom",
        s(&img.archive),
        "--format",
        "json",
        "--cache-dir",
        s(cache.path()),
    ];
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| strata(&args))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(run.code, Some(0), "process {i}: {}", run.stderr);
        let sbom = strata_testkit::truth::parse_strata_json(&run.stdout).unwrap();
        assert_eq!(sbom.packages, uncached.packages, "process {i}");
    }
    let warm = strata(&args);
    assert_eq!(warm.code, Some(0), "{}", warm.stderr);
    let sbom = strata_testkit::truth::parse_strata_json(&warm.stdout).unwrap();
    assert_eq!(
        sbom.packages, uncached.packages,
        "warm run after the concurrent ones"
    );
}
