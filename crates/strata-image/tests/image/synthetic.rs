//! Synthetic layers: overrides, whiteouts, opaque dirs, links, compression, platforms.

use strata_image::EntryKind::{Dir, File, HardLink, Symlink};
use strata_image::{
    CaptureFn, CapturePaths, ImageError, OpenOptions, Platform, SourceError, open_target,
};

use crate::common::*;

fn open(dir: &std::path::Path, capture: &dyn strata_image::CaptureSpec) -> strata_image::ImageFs {
    open_target(
        &format!("oci:{}", dir.display()),
        &OpenOptions::uncached(),
        capture,
    )
    .unwrap()
}

fn three_layers() -> Vec<Layer> {
    let l0 = layer_tar(&[
        E::Dir("etc/"),
        E::File("etc/a", b"a-v1"),
        E::File("etc/b", b"b-v1"),
        E::Dir("var/"),
        E::Dir("var/lib/"),
        E::Dir("var/lib/x/"),
        E::File("var/lib/x/1", b"one"),
        E::File("var/lib/x/2", b"two"),
        E::Dir("opt/"),
        E::Dir("opt/tree/"),
        E::File("opt/tree/leaf", b"leaf"),
    ]);
    let l1 = layer_tar(&[
        E::File("etc/a", b"a-v2"),
        E::File("etc/.wh.b", b""),
        E::File("var/lib/x/.wh..wh..opq", b""),
        E::File("var/lib/x/3", b"three"),
        E::File("opt/tree", b"now a file"),
    ]);
    let l2 = layer_tar(&[E::File("etc/a", b"a-v2"), E::File("etc/b", b"b-v3")]);
    vec![Layer::gz(l0), Layer::plain(l1), Layer::zst(l2)]
}

#[test]
fn whiteouts_opaque_dirs_and_overrides() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = oci_layout(tmp.path(), &three_layers());
    let capture = CaptureFn::new("etc+x", |p: &str| {
        p.starts_with("/etc/") || p.starts_with("/var/lib/x/")
    });
    let fs = open(&dir, &capture);
    let expected: Vec<(String, _, _)> = vec![
        ("/etc".into(), Dir, Some(0)),
        ("/etc/a".into(), File, Some(2)),
        ("/etc/b".into(), File, Some(2)),
        ("/opt".into(), Dir, Some(0)),
        ("/opt/tree".into(), File, Some(1)),
        ("/var".into(), Dir, Some(0)),
        ("/var/lib".into(), Dir, Some(0)),
        ("/var/lib/x".into(), Dir, Some(0)),
        ("/var/lib/x/3".into(), File, Some(1)),
    ];
    assert_eq!(listing(&fs), expected);

    // /etc/a: written by layers 0, 1 and 2; layers 1 and 2 wrote the same bytes, so
    // the final contents were introduced by layer 1.
    let h = fs.versions("/etc/a").unwrap();
    let got: Vec<(Option<usize>, &[u8])> =
        h.versions.iter().map(|v| (v.layer, &v.data[..])).collect();
    assert_eq!(
        got,
        vec![
            (Some(0), &b"a-v1"[..]),
            (Some(1), b"a-v2"),
            (Some(2), b"a-v2")
        ]
    );
    assert_eq!(h.final_version, Some(2));
    assert_eq!(h.introduced_by(), Some(1));

    // /etc/b deleted in layer 1, re-created in layer 2.
    let h = fs.versions("/etc/b").unwrap();
    let got: Vec<Option<usize>> = h.versions.iter().map(|v| v.layer).collect();
    assert_eq!(got, vec![Some(0), Some(2)]);
    assert_eq!(&fs.read("/etc/b").unwrap().unwrap().data[..], b"b-v3");

    // Hidden by the opaque dir: history kept, gone from the final filesystem.
    let h = fs.versions("/var/lib/x/1").unwrap();
    assert_eq!(h.final_version, None);
    assert_eq!(h.final_data(), None);
    assert!(fs.read("/var/lib/x/1").unwrap().is_none());
    assert!(fs.entry("/var/lib/x/2").is_none());
    assert_eq!(
        &fs.read("/var/lib/x/3").unwrap().unwrap().data[..],
        b"three"
    );
    // A file replacing a directory removes what was under it.
    assert!(fs.entry("/opt/tree/leaf").is_none());
    // Not captured.
    assert!(matches!(
        fs.read("/opt/tree"),
        Err(ImageError::NotCaptured { .. })
    ));
    assert!(matches!(fs.read("/etc"), Err(ImageError::NotAFile { .. })));

    let captured: Vec<&str> = fs.captured_paths().collect();
    assert_eq!(
        captured,
        vec![
            "/etc/a",
            "/etc/b",
            "/var/lib/x/1",
            "/var/lib/x/2",
            "/var/lib/x/3"
        ]
    );

    let m = &fs.meta;
    assert_eq!((m.os.as_str(), m.architecture.as_str()), ("linux", "amd64"));
    assert_eq!(m.layers.len(), 3);
    let media: Vec<&str> = m.layers.iter().map(|l| l.media_type.as_str()).collect();
    assert_eq!(media, vec![TAR_GZ, TAR, TAR_ZST]);
    assert_eq!(m.layers[1].created_by.as_deref(), Some("step 1"));
    assert_eq!(m.repo_tags, vec!["latest".to_owned()]);
    assert!(m.manifest_digest.is_some());
}

#[test]
fn a_whiteout_does_not_delete_its_own_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let l0 = layer_tar(&[E::File("f", b"old"), E::Dir("d/"), E::File("d/x", b"x")]);
    // The same layer re-creates what it whites out (order in the tar reversed on purpose).
    let l1 = layer_tar(&[
        E::File("f", b"new"),
        E::File(".wh.f", b""),
        E::File("d/y", b"y"),
        E::File("d/.wh..wh..opq", b""),
    ]);
    let dir = oci_layout(tmp.path(), &[Layer::plain(l0), Layer::plain(l1)]);
    let fs = open(&dir, &CapturePaths::new(["/f"]));
    assert_eq!(
        listing(&fs),
        vec![
            ("/d".to_owned(), Dir, Some(0)),
            ("/d/y".to_owned(), File, Some(1)),
            ("/f".to_owned(), File, Some(1)),
        ]
    );
    assert_eq!(&fs.read("/f").unwrap().unwrap().data[..], b"new");
}

#[test]
fn symlinks_and_hard_links_resolve_inside_the_image() {
    let tmp = tempfile::tempdir().unwrap();
    let l0 = layer_tar(&[
        E::Dir("usr/"),
        E::Dir("usr/lib/"),
        E::File("usr/lib/os-release", b"ID=debian\n"),
        E::Dir("etc/"),
        E::Symlink("etc/os-release", "../usr/lib/os-release"),
        E::File("etc/shadow", b"image shadow"),
        E::Symlink("etc/escape", "../../../../../etc/shadow"),
        E::Symlink("etc/abs", "/usr/lib/os-release"),
        E::Symlink("lib", "usr/lib"),
        E::Symlink("loop1", "loop2"),
        E::Symlink("loop2", "/loop1"),
        E::Symlink("self", "self/x"),
        E::Symlink("dangling", "/nope"),
        E::Hard("usr/lib/hard", "usr/lib/os-release"),
    ]);
    // A later layer hard-links to the file of the lower layer.
    let l1 = layer_tar(&[E::Dir("bin/"), E::Hard("bin/hard2", "usr/lib/os-release")]);
    let dir = oci_layout(tmp.path(), &[Layer::plain(l0), Layer::gz(l1)]);
    let capture = CapturePaths::new([
        "/usr/lib/os-release",
        "/usr/lib/hard",
        "/etc/shadow",
        "/bin/hard2",
    ]);
    let fs = open(&dir, &capture);
    let read = |p: &str| {
        fs.read(p)
            .unwrap()
            .map(|v| (v.layer, String::from_utf8(v.data.to_vec()).unwrap()))
    };
    assert_eq!(
        read("/etc/os-release"),
        Some((Some(0), "ID=debian\n".into()))
    );
    assert_eq!(read("/etc/abs"), Some((Some(0), "ID=debian\n".into())));
    assert_eq!(
        read("/lib/os-release"),
        Some((Some(0), "ID=debian\n".into()))
    );
    // As in the kernel, `..` after a symlink is the parent of the symlink's target.
    assert_eq!(read("/lib/../etc/shadow"), None);
    assert_eq!(
        read("/lib/../lib/os-release"),
        Some((Some(0), "ID=debian\n".into()))
    );
    // `..` stops at the image root: this is the image's /etc/shadow, never the host's.
    assert_eq!(read("/etc/escape"), Some((Some(0), "image shadow".into())));
    assert_eq!(read("/usr/lib/hard"), Some((Some(0), "ID=debian\n".into())));
    assert_eq!(read("/bin/hard2"), Some((Some(1), "ID=debian\n".into())));
    assert_eq!(read("/dangling"), None);
    assert_eq!(read("/missing/file"), None);
    assert_eq!(read("/etc/shadow/below-a-file"), None);
    assert!(matches!(
        fs.read("/loop1"),
        Err(ImageError::SymlinkLoop { .. })
    ));
    assert!(matches!(
        fs.read("/self"),
        Err(ImageError::SymlinkLoop { .. })
    ));
    assert_eq!(
        fs.resolve("/lib/os-release").unwrap().as_deref(),
        Some("/usr/lib/os-release")
    );

    let e = fs.entry("/usr/lib/hard").unwrap();
    assert_eq!(
        (e.kind, e.size, e.link_target.as_deref()),
        (HardLink, 10, Some("/usr/lib/os-release"))
    );
    let e = fs.entry("etc/os-release").unwrap();
    assert_eq!(
        (e.kind, e.link_target.as_deref()),
        (Symlink, Some("../usr/lib/os-release"))
    );
}

#[test]
fn compressions_give_the_same_index() {
    let tar = layer_tar(&[E::Dir("a/"), E::File("a/b", b"bbb"), E::Symlink("c", "a/b")]);
    let mut listings = Vec::new();
    for layer in [
        Layer::plain(tar.clone()),
        Layer::gz(tar.clone()),
        Layer::zst(tar),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = oci_layout(tmp.path(), &[layer]);
        let fs = open(&dir, &CapturePaths::new(["/a/b"]));
        assert_eq!(&fs.read("/c").unwrap().unwrap().data[..], b"bbb");
        listings.push(listing(&fs));
    }
    assert_eq!(listings[0], listings[1]);
    assert_eq!(listings[0], listings[2]);
    assert_eq!(listings[0].len(), 3);
}

#[test]
fn absolute_paths_are_taken_relative_to_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    let tar = layer_tar(&[
        E::RawName("/etc/abs", b"abs"),
        E::RawName("./etc//dot/./x", b"x"),
    ]);
    let dir = oci_layout(tmp.path(), &[Layer::plain(tar)]);
    let fs = open(&dir, &CapturePaths::new(["/etc/abs"]));
    assert_eq!(
        listing(&fs),
        vec![
            ("/etc/abs".to_owned(), File, Some(0)),
            ("/etc/dot/x".to_owned(), File, Some(0))
        ]
    );
    assert_eq!(&fs.read("/etc/abs").unwrap().unwrap().data[..], b"abs");
}

/// An index with two platforms; each image has a file naming its architecture.
fn multi_platform(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut manifests = Vec::new();
    for arch in ["amd64", "arm64"] {
        let tar = layer_tar(&[E::File("arch", arch.as_bytes())]);
        let (d, s) = write_image(dir, &[Layer::gz(tar)], arch);
        manifests.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": d, "size": s,
            "platform": {"os": "linux", "architecture": arch},
        }));
    }
    // An attestation manifest that must be skipped.
    manifests.push(serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "size": 1,
        "platform": {"os": "unknown", "architecture": "unknown"},
    }));
    let nested = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    }))
    .unwrap();
    let nd = write_blob(dir, &nested);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": nd, "size": nested.len()}],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

#[test]
fn platform_is_chosen_from_nested_indexes() {
    let tmp = tempfile::tempdir().unwrap();
    multi_platform(tmp.path());
    let target = format!("oci:{}", tmp.path().display());
    let capture = CapturePaths::new(["/arch"]);
    for arch in ["amd64", "arm64"] {
        let opts = OpenOptions {
            platform: Some(Platform::parse(&format!("linux/{arch}")).unwrap()),
            ..OpenOptions::uncached()
        };
        let fs = open_target(&target, &opts, &capture).unwrap();
        assert_eq!(
            &fs.read("/arch").unwrap().unwrap().data[..],
            arch.as_bytes()
        );
        assert_eq!(fs.meta.architecture, arch);
    }
    let opts = OpenOptions {
        platform: Some(Platform::parse("linux/s390x").unwrap()),
        ..OpenOptions::uncached()
    };
    let err = open_target(&target, &opts, &capture).unwrap_err();
    match err {
        ImageError::Source { source, .. } => match *source {
            SourceError::PlatformNotFound {
                wanted, available, ..
            } => {
                assert_eq!(wanted, "linux/s390x");
                assert_eq!(available, "linux/amd64, linux/arm64");
            }
            other => panic!("unexpected {other:?}"),
        },
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn oci_layout_as_a_tarball_and_by_tag() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    oci_layout(&layout, &three_layers());
    let tarball = tmp.path().join("layout.tar");
    tar_dir(&layout, &tarball);
    let capture = CapturePaths::new(["/etc/a"]);
    let from_dir = open(&layout, &capture);
    for target in [
        format!("oci:{}", tarball.display()),
        format!("oci:{}:latest", tarball.display()),
        format!("oci:{}:latest", layout.display()),
        // A bare path to a tarball that is an OCI layout, not a docker save.
        tarball.display().to_string(),
    ] {
        let fs = open_target(&target, &OpenOptions::uncached(), &capture).unwrap();
        assert_eq!(listing(&fs), listing(&from_dir), "{target}");
        assert_eq!(fs.versions("/etc/a"), from_dir.versions("/etc/a"));
    }
    let err = open_target(
        &format!("oci:{}:nope", layout.display()),
        &OpenOptions::uncached(),
        &capture,
    )
    .unwrap_err();
    assert!(
        matches!(&err, ImageError::Source { source, .. } if matches!(**source, SourceError::NotFound { .. })),
        "{err}"
    );
}

/// A classic `docker save` layout built by hand (the real one is tested with Docker).
#[test]
fn classic_docker_archive_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("save");
    std::fs::create_dir_all(root.join("abc")).unwrap();
    std::fs::create_dir_all(root.join("def")).unwrap();
    let l0 = layer_tar(&[E::File("a", b"1"), E::File("b", b"2")]);
    let l1 = layer_tar(&[E::File(".wh.a", b""), E::File("c", b"3")]);
    std::fs::write(root.join("abc/layer.tar"), &l0).unwrap();
    std::fs::write(root.join("def/layer.tar"), &l1).unwrap();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [digest(&l0), digest(&l1)]},
    }))
    .unwrap();
    let cfg_name = format!("{}.json", sha256_hex(&config));
    std::fs::write(root.join(&cfg_name), &config).unwrap();
    let manifest = serde_json::json!([{
        "Config": cfg_name, "RepoTags": ["x/y:1"], "Layers": ["abc/layer.tar", "def/layer.tar"],
    }]);
    std::fs::write(
        root.join("manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    let tarball = tmp.path().join("save.tar");
    tar_dir(&root, &tarball);
    let fs = open_target(
        tarball.to_str().unwrap(),
        &OpenOptions::uncached(),
        &CapturePaths::new(["/c"]),
    )
    .unwrap();
    assert_eq!(
        listing(&fs),
        vec![
            ("/b".to_owned(), File, Some(0)),
            ("/c".to_owned(), File, Some(1))
        ]
    );
    assert_eq!(fs.meta.repo_tags, vec!["x/y:1".to_owned()]);
    assert_eq!(fs.meta.manifest_digest, None);
    assert_eq!(
        fs.meta.config_digest.as_ref().map(|d| d.hex().to_owned()),
        Some(sha256_hex(&config))
    );
    assert_eq!(fs.meta.layers[0].digest.to_string(), digest(&l0));
    assert_eq!(&fs.read("/c").unwrap().unwrap().data[..], b"3");
    // Choosing by tag; an unknown tag lists the known ones.
    let t = format!("docker-archive:{}:x/y:1", tarball.display());
    let fs2 = open_target(&t, &OpenOptions::uncached(), &CapturePaths::new(["/c"])).unwrap();
    assert_eq!(listing(&fs2), listing(&fs));
    let t = format!("docker-archive:{}:x/y:2", tarball.display());
    let err = open_target(&t, &OpenOptions::uncached(), &CapturePaths::new(["/c"])).unwrap_err();
    assert!(err.to_string().contains("tags: x/y:1"), "{err}");
}

#[test]
fn parallel_and_sequential_reads_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let mut layers = three_layers();
    for i in 0..5u8 {
        let name = format!("extra/{i}");
        let data = vec![i; 1000 * usize::from(i + 1)];
        layers.push(Layer::gz(layer_tar(&[
            E::File(&name, &data),
            E::File("etc/a", &data),
        ])));
    }
    let dir = oci_layout(tmp.path(), &layers);
    let capture = CaptureFn::new("etc", |p: &str| p.starts_with("/etc/"));
    let target = format!("oci:{}", dir.display());
    let open_with = |parallelism: usize| {
        let opts = OpenOptions {
            parallelism,
            ..OpenOptions::uncached()
        };
        open_target(&target, &opts, &capture).unwrap()
    };
    let one = open_with(1);
    for n in [2, 3, 8] {
        let many = open_with(n);
        assert_eq!(listing(&many), listing(&one));
        assert_eq!(many.versions("/etc/a"), one.versions("/etc/a"));
        assert_eq!(many.meta, one.meta);
    }
    assert_eq!(one.versions("/etc/a").unwrap().versions.len(), 8);
}

#[test]
fn the_lowest_failing_layer_is_reported_in_parallel() {
    let tmp = tempfile::tempdir().unwrap();
    let good = || Layer::gz(layer_tar(&[E::File("f", b"ok")]));
    let mut bad1 = good();
    bad1.diff_id = Some(digest(b"wrong 1"));
    let mut bad2 = Layer::plain(layer_tar(&[E::File("g", b"ok")]));
    bad2.media_type = "application/x-unknown".into();
    let dir = oci_layout(tmp.path(), &[good(), good(), bad1, good(), bad2, good()]);
    for parallelism in [1, 2, 4] {
        let opts = OpenOptions {
            parallelism,
            ..OpenOptions::uncached()
        };
        let err = open_target(
            &format!("oci:{}", dir.display()),
            &opts,
            &CapturePaths::new(["/f"]),
        )
        .unwrap_err();
        let l = err.as_layer().unwrap();
        assert_eq!(l.index, 2, "{parallelism}: {err}");
        assert!(matches!(
            l.kind,
            strata_image::LayerErrorKind::DiffIdMismatch { .. }
        ));
    }
}

#[test]
fn wanted_symlinks_capture_their_targets_later_in_the_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let tar = layer_tar(&[
        E::Dir("etc/"),
        E::File("etc/early", b"early target"),
        E::Symlink("etc/os-release", "../usr/lib/os-release"),
        E::Symlink("etc/late", "early"),
        E::Dir("usr/"),
        E::Dir("usr/lib/"),
        E::File("usr/lib/os-release", b"ID=x\n"),
    ]);
    let dir = oci_layout(tmp.path(), &[Layer::gz(tar)]);
    let fs = open(&dir, &CapturePaths::new(["/etc/os-release", "/etc/late"]));
    assert_eq!(
        &fs.read("/etc/os-release").unwrap().unwrap().data[..],
        b"ID=x\n"
    );
    // The target came before the symlink in the tar: not captured.
    assert!(
        matches!(fs.read("/etc/late"), Err(ImageError::NotCaptured { path }) if path == "/etc/early")
    );
    let captured: Vec<&str> = fs.captured_paths().collect();
    assert_eq!(captured, vec!["/usr/lib/os-release"]);

    let under: Vec<&str> = fs.walk_under("/usr").map(|(p, _)| p).collect();
    assert_eq!(under, vec!["/usr/lib", "/usr/lib/os-release"]);
    let under: Vec<&str> = fs.walk_under("etc/").map(|(p, _)| p).collect();
    assert_eq!(under, vec!["/etc/early", "/etc/late", "/etc/os-release"]);
    assert_eq!(fs.walk_under("/").count(), fs.len());
}
