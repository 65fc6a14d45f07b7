//! Damaged images through the CLI: exit code 2 and a message that names the layer.
//! The small archives are written by strata_testkit::synth so the damage is exactly where
//! the test wants it; one test damages a real `docker save` archive.

use strata_testkit::cache::TempDir;
use strata_testkit::images;
use strata_testkit::synth::{self, SynthLayer, TarEntry};

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

/// Every file below `dir`, for "nothing was written here" checks.
fn files_below(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn unknown_media_type_names_the_layer_and_the_type() {
    let t = tmp();
    let tar = synth::debian_layer().unwrap();
    let mut layer = SynthLayer::plain(tar);
    layer.media_type = "application/x-mystery";
    let layout = t.path().join("layout");
    synth::oci_layout(&layout, std::slice::from_ref(&layer)).unwrap();
    let run = strata(&["sbom", &format!("oci:{}", s(&layout)), "--no-cache"]);
    assert_error("unknown media type", &run);
    assert_names_layer("unknown media type", &run, &[&layer.digest()]);
    assert!(
        run.stderr.contains("application/x-mystery"),
        "{}",
        run.stderr
    );
}

#[test]
fn entry_climbing_out_of_the_root_is_refused_and_nothing_is_written() {
    let t = tmp();
    let work = t.path().join("tmpdir");
    let cache = t.path().join("cache");
    std::fs::create_dir_all(&work).unwrap();
    let name = "../../../../../../../../../../tmp/strata-escaped-marker";
    let tar = synth::tar_entries(&[
        TarEntry::File("etc/ok", b"fine"),
        TarEntry::RawName(name, b"evil"),
    ])
    .unwrap();
    let layer = SynthLayer::plain(tar);
    let archive = t.path().join("escape.tar");
    let paths = synth::docker_archive(
        &archive,
        "strata-test/synth:escape",
        std::slice::from_ref(&layer),
    )
    .unwrap();
    let run = strata_with_env(
        &["sbom", s(&archive), "--cache-dir", s(&cache)],
        &[
            ("TMPDIR", &work),
            ("XDG_CACHE_HOME", &work),
            ("HOME", &work),
        ],
    );
    assert_error("../ entry", &run);
    assert_names_layer("../ entry", &run, &[&paths[0], &layer.diff_id]);
    assert!(
        run.stderr.contains(name),
        "the entry is named: {}",
        run.stderr
    );
    assert!(!std::path::Path::new("/tmp/strata-escaped-marker").exists());
    assert_eq!(
        files_below(&work),
        Vec::<std::path::PathBuf>::new(),
        "written outside the cache"
    );
}

#[test]
fn absolute_entry_names_are_read_relative_to_the_root_as_docker_does() {
    // Docker and containerd apply `/etc/x` in a layer as `<root>/etc/x`; a scanner that
    // refused such layers could not scan images that run. Nothing is unpacked, so there
    // is nothing to escape to.
    let t = tmp();
    let mut entries = vec![];
    let status =
        b"Package: absolute\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n";
    entries.push(TarEntry::RawName("/var/lib/dpkg/status", status));
    let layer = SynthLayer::plain(synth::tar_entries(&entries).unwrap());
    let archive = t.path().join("absolute.tar");
    synth::docker_archive(&archive, "strata-test/synth:absolute", &[layer]).unwrap();
    let sbom = sbom_json(s(&archive), &[]);
    let names: Vec<_> = sbom
        .packages
        .iter()
        .map(|p| p.package.name.as_str())
        .collect();
    assert_eq!(names, ["absolute"]);
}

#[test]
fn decompression_bomb_stops_at_the_layer_size_limit() {
    let t = tmp();
    // 64 MiB of zeros: about 64 KiB as gzip.
    let zeros = vec![0u8; 64 << 20];
    let tar = synth::tar_of(&[("bomb", &zeros)]).unwrap();
    drop(zeros);
    let layer = SynthLayer::gzip(&tar).unwrap();
    drop(tar);
    assert!(layer.blob.len() < 1 << 20, "{}", layer.blob.len());
    let layout = t.path().join("layout");
    synth::oci_layout(&layout, std::slice::from_ref(&layer)).unwrap();
    let target = format!("oci:{}", s(&layout));
    let run = strata(&["sbom", &target, "--no-cache", "--max-layer-size", "8M"]);
    assert_error("decompression bomb", &run);
    assert_names_layer("decompression bomb", &run, &[&layer.digest()]);
    assert!(
        run.stderr.contains("8388608"),
        "the limit is named: {}",
        run.stderr
    );
    // Within the default limit the same image is fine.
    let run = strata(&["sbom", &target, "--no-cache", "--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn symlink_loop_on_a_path_the_scan_reads() {
    let t = tmp();
    let tar = synth::tar_entries(&[
        TarEntry::Symlink("etc/os-release", "../usr/lib/os-release"),
        TarEntry::Symlink("usr/lib/os-release", "../../etc/os-release"),
    ])
    .unwrap();
    let archive = t.path().join("loop.tar");
    synth::docker_archive(
        &archive,
        "strata-test/synth:loop",
        &[SynthLayer::plain(tar)],
    )
    .unwrap();
    let run = strata(&["sbom", s(&archive), "--no-cache"]);
    assert_error("symlink loop", &run);
    assert!(run.stderr.contains("symbolic links"), "{}", run.stderr);
    assert!(run.stderr.contains("os-release"), "{}", run.stderr);
}

#[test]
fn manifest_of_gigabytes_is_refused_before_reading() {
    let t = tmp();
    let tar = synth::debian_layer().unwrap();
    let layout = t.path().join("layout");
    synth::oci_layout(&layout, &[SynthLayer::plain(tar)]).unwrap();
    // A sparse 4 GiB index.json: refused from its size alone, in no time.
    let f = std::fs::File::create(layout.join("index.json")).unwrap();
    f.set_len(4 << 30).unwrap();
    let run = strata(&["sbom", &format!("oci:{}", s(&layout)), "--no-cache"]);
    assert_error("huge index.json", &run);
    assert!(run.stderr.contains("index.json"), "{}", run.stderr);
}
