//! Malformed and hostile input: each gives a precise error, bounded work, no panic.

use strata_image::{
    CaptureFn, CapturePaths, ImageError, LayerErrorKind, Limits, OpenOptions, SourceError,
    open_target,
};

use crate::common::*;

fn open_with(dir: &std::path::Path, limits: Limits) -> Result<strata_image::ImageFs, ImageError> {
    let opts = OpenOptions {
        limits,
        ..OpenOptions::uncached()
    };
    let capture = CaptureFn::new("all", |_: &str| true);
    open_target(&format!("oci:{}", dir.display()), &opts, &capture)
}

fn open(dir: &std::path::Path) -> Result<strata_image::ImageFs, ImageError> {
    open_with(dir, Limits::default())
}

fn layer_err(r: Result<strata_image::ImageFs, ImageError>) -> strata_image::LayerError {
    match r {
        Err(ImageError::Layer(l)) => *l,
        Err(other) => panic!("expected a layer error, got {other}"),
        Ok(_) => panic!("expected a layer error, got an image"),
    }
}

fn source_err(r: Result<strata_image::ImageFs, ImageError>) -> SourceError {
    match r {
        Err(ImageError::Source { source, .. }) => *source,
        Err(other) => panic!("expected a source error, got {other}"),
        Ok(_) => panic!("expected a source error, got an image"),
    }
}

fn two_files() -> Vec<u8> {
    layer_tar(&[
        E::File("etc/first", &[b'a'; 3000]),
        E::File("etc/second", &[b'b'; 3000]),
    ])
}

#[test]
fn truncated_docker_save_tarball() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("save");
    std::fs::create_dir_all(root.join("abc")).unwrap();
    let l0 = two_files();
    std::fs::write(root.join("abc/layer.tar"), &l0).unwrap();
    let config = serde_json::to_vec(&serde_json::json!({
        "os": "linux", "architecture": "amd64",
        "rootfs": {"type": "layers", "diff_ids": [digest(&l0)]},
    }))
    .unwrap();
    std::fs::write(root.join("cfg.json"), &config).unwrap();
    std::fs::write(
        root.join("manifest.json"),
        br#"[{"Config":"cfg.json","RepoTags":null,"Layers":["abc/layer.tar"]}]"#,
    )
    .unwrap();
    let tarball = tmp.path().join("save.tar");
    tar_dir(&root, &tarball);
    let full = std::fs::read(&tarball).unwrap();
    // Cut inside the layer member's data.
    let at = full.windows(9).position(|w| w == b"layer.tar").unwrap() + 2048;
    std::fs::write(&tarball, &full[..at]).unwrap();
    let r = open_target(
        tarball.to_str().unwrap(),
        &OpenOptions::uncached(),
        &CapturePaths::new(["/x"]),
    );
    match source_err(r) {
        SourceError::Truncated { member, offset, .. } => {
            assert_eq!(member, "abc/layer.tar");
            assert!(offset > 0);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn truncated_layer_blob() {
    let tmp = tempfile::tempdir().unwrap();
    let tar = two_files();
    let mut layer = Layer::plain(tar.clone());
    layer.blob.truncate(2048); // inside etc/first's data; descriptor keeps the full size
    layer.size = Some(tar.len() as u64);
    let dir = oci_layout(tmp.path(), &[layer]);
    let l = layer_err(open(&dir));
    assert!(matches!(l.kind, LayerErrorKind::Truncated(_)), "{l}");
    assert_eq!(l.entry.as_deref(), Some("etc/first"));
    assert_eq!(l.index, 0);
    assert!(l.to_string().contains(&l.digest.to_string()));
}

#[test]
fn gzip_stream_that_ends_early() {
    let tmp = tempfile::tempdir().unwrap();
    // Incompressible data so the cut lands inside the second file.
    let noise = strata_testkit::rng::XorShift(1).bytes(200_000);
    let tar = layer_tar(&[E::File("a", b"small"), E::File("big", &noise)]);
    let mut layer = Layer::gz(tar);
    let cut = layer.blob.len() / 2;
    layer.blob.truncate(cut); // descriptor matches the cut blob: only gzip can notice
    let dir = oci_layout(tmp.path(), &[layer]);
    let l = layer_err(open(&dir));
    assert!(matches!(l.kind, LayerErrorKind::Truncated(_)), "{l}");
    assert_eq!(l.entry.as_deref(), Some("big"), "{l}");
}

#[test]
fn blob_digest_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let layer = Layer::gz(two_files());
    let dir = oci_layout(tmp.path(), std::slice::from_ref(&layer));
    // Replace the blob's contents with another valid layer of the same size.
    let path = dir.join("blobs/sha256").join(sha256_hex(&layer.blob));
    let mut other = layer.blob.clone();
    let n = other.len();
    other[n - 8..n - 4].copy_from_slice(&[0, 0, 0, 0]); // gzip CRC
    std::fs::write(&path, &other).unwrap();
    let l = layer_err(open(&dir));
    // The corrupted CRC is caught by the gzip decoder or the digest check.
    match l.kind {
        LayerErrorKind::DigestMismatch { expected, .. } => {
            assert_eq!(expected.to_string(), digest(&layer.blob));
        }
        LayerErrorKind::Decompress(_) => {}
        other => panic!("unexpected {other}"),
    }

    // Same bytes otherwise valid: a plain layer with one byte of file data changed.
    let tmp = tempfile::tempdir().unwrap();
    let tar = two_files();
    let layer = Layer::plain(tar.clone());
    let dir = oci_layout(tmp.path(), &[layer]);
    let path = dir.join("blobs/sha256").join(sha256_hex(&tar));
    let mut bad = tar.clone();
    bad[600] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    let l = layer_err(open(&dir));
    match l.kind {
        LayerErrorKind::DigestMismatch { expected, actual } => {
            assert_eq!(expected.to_string(), digest(&tar));
            assert_eq!(actual.to_string(), digest(&bad));
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn diff_id_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let mut layer = Layer::gz(two_files());
    layer.diff_id = Some(digest(b"something else"));
    let dir = oci_layout(tmp.path(), &[layer]);
    let l = layer_err(open(&dir));
    assert!(
        matches!(l.kind, LayerErrorKind::DiffIdMismatch { .. }),
        "{l}"
    );
}

#[test]
fn unknown_media_type_and_compression_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let mut layer = Layer::plain(two_files());
    layer.media_type = "application/x-mystery".into();
    let blob_digest = digest(&layer.blob);
    let dir = oci_layout(tmp.path(), &[layer]);
    let l = layer_err(open(&dir));
    match &l.kind {
        LayerErrorKind::UnknownMediaType(m) => assert_eq!(m, "application/x-mystery"),
        other => panic!("unexpected {other}"),
    }
    assert_eq!(l.digest.to_string(), blob_digest);
    assert!(l.to_string().contains("application/x-mystery"));

    let tmp = tempfile::tempdir().unwrap();
    let mut layer = Layer::plain(two_files());
    layer.media_type = TAR_GZ.into();
    let dir = oci_layout(tmp.path(), &[layer]);
    let l = layer_err(open(&dir));
    match l.kind {
        LayerErrorKind::CompressionMismatch { sniffed, .. } => assert_eq!(sniffed, "uncompressed"),
        other => panic!("unexpected {other}"),
    }

    // Declared uncompressed but gzip by its magic: decompressed (a tar cannot start so).
    let tmp = tempfile::tempdir().unwrap();
    let mut layer = Layer::gz(two_files());
    layer.media_type = TAR.into();
    let dir = oci_layout(tmp.path(), &[layer]);
    let fs = open(&dir).unwrap();
    assert_eq!(fs.len(), 2);
}

#[test]
fn entries_climbing_out_of_the_root_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let marker = tmp.path().join("escaped");
    let name = "../../../../../../../../../../tmp/escaped";
    let tar = layer_tar(&[E::File("ok", b"fine"), E::RawName(name, b"evil")]);
    let dir = oci_layout(&tmp.path().join("layout"), &[Layer::plain(tar)]);
    let l = layer_err(open(&dir));
    match &l.kind {
        LayerErrorKind::PathEscape(p) => assert_eq!(p, name),
        other => panic!("unexpected {other}"),
    }
    assert_eq!(l.entry.as_deref(), Some(name));
    assert!(!marker.exists());
    assert!(!std::path::Path::new("/tmp/escaped").exists());

    // A hard link whose target climbs out.
    let tmp = tempfile::tempdir().unwrap();
    let tar = layer_tar(&[E::Hard("h", "../../etc/shadow")]);
    let dir = oci_layout(tmp.path(), &[Layer::plain(tar)]);
    let l = layer_err(open(&dir));
    assert!(matches!(l.kind, LayerErrorKind::PathEscape(_)), "{l}");
    assert_eq!(l.entry.as_deref(), Some("h"));
}

#[test]
fn decompression_bomb_hits_the_layer_limit() {
    let tmp = tempfile::tempdir().unwrap();
    // 64 MiB of zeros compresses to ~64 KiB.
    let zeros = vec![0u8; 64 << 20];
    let tar = layer_tar(&[E::File("bomb", &zeros)]);
    let layer = Layer::gz(tar);
    drop(zeros);
    assert!(layer.blob.len() < 1 << 20);
    let dir = oci_layout(tmp.path(), &[layer]);
    let limits = Limits {
        max_layer_bytes: 8 << 20,
        ..Limits::default()
    };
    let l = layer_err(open_with(&dir, limits.clone()));
    match l.kind {
        LayerErrorKind::LimitExceeded { limit, .. } => assert_eq!(limit, 8 << 20),
        other => panic!("unexpected {other}"),
    }
    // Captured (the spec wants every file): the limit hits while reading its data.
    assert_eq!(l.entry.as_deref(), Some("bomb"));

    // The image-wide limit applies across layers.
    let limits = Limits {
        max_image_bytes: 16 << 20,
        ..Limits::default()
    };
    let l = layer_err(open_with(&dir, limits));
    assert!(
        matches!(l.kind, LayerErrorKind::LimitExceeded { limit, .. } if limit == 16 << 20),
        "{l}"
    );
}

#[test]
fn captured_file_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let big = vec![b'x'; 2 << 20];
    let tar = layer_tar(&[E::File("etc/small", b"s"), E::File("etc/big", &big)]);
    let dir = oci_layout(tmp.path(), &[Layer::gz(tar)]);
    let limits = Limits {
        max_captured_file: 1 << 20,
        ..Limits::default()
    };
    let l = layer_err(open_with(&dir, limits));
    match l.kind {
        LayerErrorKind::LimitExceeded { what, limit } => {
            assert_eq!((what, limit), ("captured file size (bytes)", 1 << 20));
        }
        other => panic!("unexpected {other}"),
    }
    assert_eq!(l.entry.as_deref(), Some("etc/big"));
    // Not wanted: no limit applies to it.
    let opts = OpenOptions {
        limits: Limits {
            max_captured_file: 1 << 20,
            ..Limits::default()
        },
        ..OpenOptions::uncached()
    };
    let fs = open_target(
        &format!("oci:{}", dir.display()),
        &opts,
        &CapturePaths::new(["/etc/small"]),
    )
    .unwrap();
    assert_eq!(fs.entry("/etc/big").unwrap().size, 2 << 20);
}

#[test]
fn huge_json_documents_are_refused_before_parsing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = oci_layout(tmp.path(), &[Layer::plain(two_files())]);
    // A 9 MiB index.json: refused from its size alone.
    let f = std::fs::File::create(dir.join("index.json")).unwrap();
    f.set_len(9 << 20).unwrap();
    match source_err(open(&dir)) {
        SourceError::TooLarge { size, limit, .. } => assert_eq!((size, limit), (9 << 20, 8 << 20)),
        other => panic!("unexpected {other:?}"),
    }

    // A config of 9 MiB, referenced by a valid manifest.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut config = b"{\"rootfs\":{\"diff_ids\":[]},\"pad\":\"".to_vec();
    config.resize(9 << 20, b'x');
    config.extend_from_slice(b"\"}");
    let cd = write_blob(dir, &config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": [],
    }))
    .unwrap();
    let md = write_blob(dir, &manifest);
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": manifest.len()}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    match source_err(open(dir)) {
        SourceError::TooLarge { what, .. } => assert!(what.starts_with("image config"), "{what}"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn manifest_digest_mismatch_and_bad_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = oci_layout(tmp.path(), &[Layer::plain(two_files())]);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let md = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let path = dir
        .join("blobs/sha256")
        .join(md.trim_start_matches("sha256:"));
    let mut m = std::fs::read(&path).unwrap();
    let last = m.len() - 1;
    m[last] = b' ';
    std::fs::write(&path, &m).unwrap();
    assert!(matches!(
        source_err(open(&dir)),
        SourceError::DigestMismatch { .. }
    ));

    std::fs::write(dir.join("index.json"), b"{\"manifests\": [").unwrap();
    assert!(matches!(source_err(open(&dir)), SourceError::Json { .. }));
}

#[test]
fn garbage_layer_is_a_tar_error_with_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let mut tar = two_files();
    tar[148] ^= 0x5; // header checksum of the first entry
    let dir = oci_layout(tmp.path(), &[Layer::plain(tar)]);
    let l = layer_err(open(&dir));
    assert!(matches!(l.kind, LayerErrorKind::Tar(_)), "{l}");
    assert_eq!(l.offset, Some(0));
}
