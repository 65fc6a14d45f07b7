//! Damaged images through the CLI: exit code 2 and a message that names the layer.
//! The small archives are written by strata_testkit::synth so the damage is exactly where
//! the test wants it; one test damages a real `docker save` archive.

use strata_testkit::cache::TempDir;
use strata_testkit::images;
use strata_testkit::synth::{self, SynthLayer};

use crate::support::*;

fn tmp() -> TempDir {
    match TempDir::new("cli-bad-input") {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

/// The undamaged synthetic image works, so the failures below are caused by the damage.
#[test]
fn synthetic_archive_and_layout_are_valid() {
    let t = tmp();
    let tar = synth::debian_layer().unwrap();
    let archive = t.path().join("ok.tar");
    synth::docker_archive(
        &archive,
        "strata-test/synth:ok",
        &[SynthLayer::plain(tar.clone())],
    )
    .unwrap();
    let layout = t.path().join("layout");
    synth::oci_layout(&layout, &[SynthLayer::gzip(&tar).unwrap()]).unwrap();
    for target in [s(&archive).to_string(), format!("oci:{}", s(&layout))] {
        let sbom = sbom_json(&target, &[]);
        let names: Vec<_> = sbom
            .packages
            .iter()
            .map(|p| p.package.name.as_str())
            .collect();
        assert_eq!(names, ["base-files", "libc6"], "{target}");
        let libc = sbom.package("libc6").unwrap();
        assert_eq!(libc.package.version, "2.36-9+deb12u4");
        assert_eq!(libc.package.source_name, "glibc");
        assert_eq!(
            libc.layer_diff_id.as_deref(),
            Some(synth::sha256(&tar).as_str())
        );
        assert_distro(&target, &sbom, "debian", "12");
    }
}

#[test]
fn truncated_layer_in_docker_archive() {
    let t = tmp();
    // Two layers; the second (last in the archive) is cut in its middle.
    let first = SynthLayer::plain(synth::debian_layer().unwrap());
    let big: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let second = SynthLayer::plain(synth::tar_of(&[("opt/big.bin", &big)]).unwrap());
    let archive = t.path().join("full.tar");
    let paths = synth::docker_archive(
        &archive,
        "strata-test/synth:trunc",
        &[first, second.clone()],
    )
    .unwrap();
    let len = std::fs::metadata(&archive).unwrap().len();
    let cut = t.path().join("truncated.tar");
    synth::truncate_copy(&archive, &cut, len - 400_000).unwrap();
    let run = strata(&["sbom", s(&cut), "--no-cache"]);
    assert_error("truncated docker archive", &run);
    assert_names_layer(
        "truncated docker archive",
        &run,
        &[&paths[1], &second.diff_id],
    );
}

#[test]
fn truncated_real_docker_save_archive() {
    let Some(img) = images::minbase() else { return };
    let t = tmp();
    let cut = t.path().join("minbase-truncated.tar");
    let len = std::fs::metadata(&img.archive).unwrap().len();
    synth::truncate_copy(&img.archive, &cut, len / 2).unwrap();
    let run = strata(&["sbom", s(&cut), "--no-cache"]);
    assert_error("truncated docker save archive", &run);
}

#[test]
fn corrupt_gzip_layer_in_oci_layout() {
    let t = tmp();
    let tar = synth::debian_layer().unwrap();
    let mut layer = SynthLayer::gzip(&tar).unwrap();
    // Damage the deflate stream in the middle, then declare the digest of the damaged
    // bytes, so that only the decompression (or the diff id check) can notice.
    let mid = layer.blob.len() / 2;
    for b in layer.blob.iter_mut().skip(mid).take(16) {
        *b ^= 0x5a;
    }
    let layout = t.path().join("layout");
    synth::oci_layout(&layout, std::slice::from_ref(&layer)).unwrap();
    let run = strata(&["sbom", &format!("oci:{}", s(&layout)), "--no-cache"]);
    assert_error("corrupt gzip layer", &run);
    assert_names_layer(
        "corrupt gzip layer",
        &run,
        &[&layer.digest(), &layer.diff_id],
    );
}

#[test]
fn gzip_layer_cut_short_in_oci_layout() {
    let t = tmp();
    let tar = synth::debian_layer().unwrap();
    let mut layer = SynthLayer::gzip(&tar).unwrap();
    layer.blob.truncate(layer.blob.len() / 2);
    let layout = t.path().join("layout");
    synth::oci_layout(&layout, std::slice::from_ref(&layer)).unwrap();
    let run = strata(&["sbom", &format!("oci:{}", s(&layout)), "--no-cache"]);
    assert_error("gzip layer cut short", &run);
    assert_names_layer(
        "gzip layer cut short",
        &run,
        &[&layer.digest(), &layer.diff_id],
    );
}

#[test]
fn diff_id_mismatch_in_docker_archive() {
    let t = tmp();
    let mut layer = SynthLayer::plain(synth::debian_layer().unwrap());
    let declared = synth::sha256(b"not this layer");
    layer.diff_id = declared.clone();
    let archive = t.path().join("mismatch.tar");
    let paths =
        synth::docker_archive(&archive, "strata-test/synth:mismatch", &[layer.clone()]).unwrap();
    let run = strata(&["sbom", s(&archive), "--no-cache"]);
    assert_error("diff id mismatch", &run);
    assert_names_layer("diff id mismatch", &run, &[&paths[0], &declared]);
}

#[test]
fn blob_digest_mismatch_in_oci_layout() {
    let t = tmp();
    let tar = synth::debian_layer().unwrap();
    let mut layer = SynthLayer::gzip(&tar).unwrap();
    let declared = synth::sha256(b"some other blob");
    layer.declared_digest = Some(declared.clone());
    let layout = t.path().join("layout");
    synth::oci_layout(&layout, std::slice::from_ref(&layer)).unwrap();
    let run = strata(&["sbom", &format!("oci:{}", s(&layout)), "--no-cache"]);
    assert_error("blob digest mismatch", &run);
    assert_names_layer("blob digest mismatch", &run, &[&declared]);
}

#[test]
fn missing_targets_are_errors() {
    let t = tmp();
    let missing = t.path().join("nope.tar");
    for target in [
        s(&missing).to_string(),
        format!("oci:{}", s(&missing)),
        format!("dir:{}", s(&missing)),
    ] {
        let run = strata(&["sbom", &target, "--no-cache"]);
        assert_error(&target, &run);
        assert!(run.stderr.contains("nope.tar"), "{target}: {}", run.stderr);
    }
}

#[test]
fn not_an_archive_is_an_error() {
    let t = tmp();
    let junk = t.path().join("junk.tar");
    std::fs::write(&junk, b"this is not a tar archive at all\n".repeat(100)).unwrap();
    let run = strata(&["sbom", s(&junk), "--no-cache"]);
    assert_error("junk archive", &run);
}
