//! Multi-platform images: an OCI layout and a registry image with a linux/amd64 and a
//! linux/arm64 variant, whose dpkg databases differ in `Architecture:`. The default is the
//! host's platform (these tests run on amd64); `--platform` picks the other one.

use strata_testkit::cache::TempDir;
use strata_testkit::registry::Registry;
use strata_testkit::synth::{self, SynthLayer};

use crate::support::*;

fn multi_layout(t: &TempDir, nested: bool) -> std::path::PathBuf {
    let dir = t.path().join(if nested { "nested" } else { "flat" });
    let amd = SynthLayer::gzip(&synth::debian_layer_for("amd64").unwrap()).unwrap();
    let arm = SynthLayer::gzip(&synth::debian_layer_for("arm64").unwrap()).unwrap();
    synth::oci_layout_multi(&dir, &[("amd64", vec![amd]), ("arm64", vec![arm])], nested).unwrap();
    dir
}

fn arches(target: &str, extra: &[&str]) -> Vec<String> {
    let sbom = sbom_json(target, extra);
    sbom.packages
        .iter()
        .map(|p| format!("{}:{}", p.package.name, p.package.arch))
        .collect()
}

#[test]
fn oci_layout_platform_selection() {
    if std::env::consts::ARCH != "x86_64" {
        strata_testkit::skip_or_fail("the default-platform assertions assume an amd64 host");
        return;
    }
    let t = TempDir::new("cli-platforms").unwrap();
    for nested in [false, true] {
        let target = format!("oci:{}", s(&multi_layout(&t, nested)));
        assert_eq!(
            arches(&target, &[]),
            ["base-files:amd64", "libc6:amd64"],
            "{target}"
        );
        assert_eq!(
            arches(&target, &["--platform", "linux/arm64"]),
            ["base-files:arm64", "libc6:arm64"],
            "{target}"
        );
        assert_eq!(
            arches(&target, &["--platform", "linux/amd64"]),
            ["base-files:amd64", "libc6:amd64"],
            "{target}"
        );
        let missing = strata(&["sbom", &target, "--platform", "linux/s390x", "--no-cache"]);
        assert_error("platform not in the index", &missing);
        assert!(missing.stderr.contains("s390x"), "{}", missing.stderr);
    }
}

#[test]
fn registry_platform_selection() {
    if std::env::consts::ARCH != "x86_64" {
        strata_testkit::skip_or_fail("the default-platform assertions assume an amd64 host");
        return;
    }
    let Some(skopeo) = strata_testkit::require(strata_testkit::tool("skopeo", "skopeo")) else {
        return;
    };
    let Some(reg) = Registry::start() else { return };
    let t = TempDir::new("cli-platforms").unwrap();
    let layout = multi_layout(&t, true);
    let reference = format!("{}/multi/debian:1", reg.host());
    strata_testkit::cmd::run(
        std::process::Command::new(skopeo)
            .args(["copy", "--quiet", "--all", "--dest-tls-verify=false"])
            .arg(format!("oci:{}:test", s(&layout)))
            .arg(format!("docker://{reference}")),
    )
    .unwrap();
    let target = format!("registry:{reference}");
    assert_eq!(
        arches(&target, &["--insecure"]),
        ["base-files:amd64", "libc6:amd64"]
    );
    assert_eq!(
        arches(&target, &["--insecure", "--platform", "linux/arm64"]),
        ["base-files:arm64", "libc6:arm64"]
    );
}
