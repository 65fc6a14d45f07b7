//! Real images made by Docker, mmdebstrap and skopeo (through strata-testkit), compared
//! with the root filesystem `docker export` gives for the same image.

use std::collections::BTreeMap;
use std::path::Path;

use strata_image::{
    CacheOptions, CaptureFn, EntryKind, ImageFs, OpenOptions, open_dir, open_target,
};
use strata_testkit::images::{self, layered_layout};

const STATUS: &str = "/var/lib/dpkg/status";

fn capture() -> CaptureFn<impl Fn(&str) -> bool + Sync> {
    CaptureFn::new("real-test-v1", |p: &str| {
        p == STATUS
            || p == "/etc/os-release"
            || p == "/usr/lib/os-release"
            || p == "/etc/debian_version"
    })
}

/// Paths Docker adds or replaces when it creates the container that `docker export` reads.
fn docker_artefact(path: &str) -> bool {
    path == "/.dockerenv"
        || path == "/etc/hostname"
        || path == "/etc/hosts"
        || path == "/etc/resolv.conf"
        || path == "/etc/mtab"
        || path == "/dev"
        || path == "/proc"
        || path == "/sys"
        || path.starts_with("/dev/")
        || path.starts_with("/proc/")
        || path.starts_with("/sys/")
}

/// `path -> (kind, size)` with hard links counted as files, as on disk.
fn shape(fs: &ImageFs) -> BTreeMap<String, (EntryKind, u64)> {
    fs.walk()
        .filter(|(p, _)| !docker_artefact(p))
        .map(|(p, e)| {
            let kind = if e.kind == EntryKind::HardLink {
                EntryKind::File
            } else {
                e.kind
            };
            let size = if kind == EntryKind::File { e.size } else { 0 };
            (p.to_owned(), (kind, size))
        })
        .collect()
}

fn assert_same_shape(image: &ImageFs, rootfs: &Path) {
    let disk = open_dir(rootfs, "rootfs", &OpenOptions::uncached(), &capture()).unwrap();
    let (a, b) = (shape(image), shape(&disk));
    let only_image: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).take(10).collect();
    let only_disk: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).take(10).collect();
    assert!(
        only_image.is_empty() && only_disk.is_empty(),
        "only in image: {only_image:?}; only on disk: {only_disk:?}"
    );
    let differ: Vec<_> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .take(10)
        .collect();
    assert!(differ.is_empty(), "{differ:?}");
    assert!(a.len() > 1000, "{}", a.len());
    let on_disk = std::fs::read(rootfs.join(&STATUS[1..])).unwrap();
    assert_eq!(&image.read(STATUS).unwrap().unwrap().data[..], &on_disk[..]);
}

fn diff_ids(fs: &ImageFs) -> Vec<String> {
    fs.meta
        .layers
        .iter()
        .map(|l| l.diff_id.to_string())
        .collect()
}

#[test]
fn minbase_docker_archive_matches_docker_export() {
    let Some(img) = images::minbase() else { return };
    let fs = open_target(
        img.archive.to_str().unwrap(),
        &OpenOptions::uncached(),
        &capture(),
    )
    .unwrap();
    assert_eq!(diff_ids(&fs), img.diff_ids);
    assert_eq!(fs.meta.layers.len(), 1);
    assert_eq!(
        (fs.meta.os.as_str(), fs.meta.architecture.as_str()),
        ("linux", "amd64")
    );
    assert_eq!(fs.meta.repo_tags, vec![img.reference.clone()]);
    assert_same_shape(&fs, &img.rootfs);
    let os = fs.read("/etc/os-release").unwrap().unwrap();
    assert!(String::from_utf8_lossy(&os.data).contains("VERSION_CODENAME=bookworm"));
    let status = String::from_utf8_lossy(&fs.read(STATUS).unwrap().unwrap().data).into_owned();
    assert!(status.contains("Package: base-files\n"));
}

#[test]
fn layered_image_whiteouts_and_package_history() {
    let Some(img) = images::layered() else { return };
    let fs = open_target(
        &format!("docker-archive:{}", img.archive.display()),
        &OpenOptions::uncached(),
        &capture(),
    )
    .unwrap();
    assert_eq!(fs.meta.layers.len(), layered_layout::LAYERS);
    assert_eq!(diff_ids(&fs), img.diff_ids);
    assert!(fs.entry(layered_layout::DELETED_FILE).is_none());
    assert_same_shape(&fs, &img.rootfs);
    // dpkg's status was rewritten by the install and the purge layers.
    let h = fs.versions(STATUS).unwrap();
    let layers: Vec<Option<usize>> = h.versions.iter().map(|v| v.layer).collect();
    assert!(layers.contains(&Some(0)));
    assert!(
        layers.contains(&Some(layered_layout::INSTALL_LAYER)),
        "{layers:?}"
    );
    assert!(
        layers.contains(&Some(layered_layout::PURGE_LAYER)),
        "{layers:?}"
    );
    let final_v = h.final_data().unwrap();
    assert_eq!(final_v.layer, Some(layered_layout::PURGE_LAYER));
    let text = |l: usize| {
        let v = h.versions.iter().find(|v| v.layer == Some(l)).unwrap();
        String::from_utf8_lossy(&v.data).into_owned()
    };
    assert!(text(layered_layout::INSTALL_LAYER).contains("Package: tree\n"));
    assert!(!text(layered_layout::PURGE_LAYER).contains("Package: tree\n"));
    assert!(text(layered_layout::PURGE_LAYER).contains("Package: hello\n"));
    assert!(!text(0).contains("Package: hello\n"));
}

#[test]
fn oci_layouts_from_skopeo_give_the_same_index() {
    let Some(img) = images::minbase() else { return };
    let from_archive = open_target(
        img.archive.to_str().unwrap(),
        &OpenOptions::uncached(),
        &capture(),
    )
    .unwrap();
    let expected = shape(&from_archive);
    for compression in ["gzip", "zstd", "none"] {
        let Some(layout) = strata_testkit::require(img.oci_layout(compression)) else {
            return;
        };
        let fs = open_target(
            &format!("oci:{}:test", layout.display()),
            &OpenOptions::uncached(),
            &capture(),
        )
        .unwrap();
        assert_eq!(shape(&fs), expected, "{compression}");
        assert_eq!(diff_ids(&fs), img.diff_ids, "{compression}");
        assert!(fs.meta.manifest_digest.is_some());
        assert_eq!(fs.versions(STATUS), from_archive.versions(STATUS));
        // (testkit's "none" layout may still be compressed by skopeo: go by the blob.)
        let media = &fs.meta.layers[0].media_type;
        let blob = layout
            .join("blobs/sha256")
            .join(fs.meta.layers[0].digest.hex());
        assert!(
            media.ends_with(magic_suffix(&blob)),
            "{compression}: {media}"
        );
    }
    // The gzip layout as a tarball.
    let Some(layout) = strata_testkit::require(img.oci_layout("gzip")) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let tarball = tmp.path().join("layout.tar");
    crate::common::tar_dir(&layout, &tarball);
    let fs = open_target(
        &format!("oci:{}", tarball.display()),
        &OpenOptions::uncached(),
        &capture(),
    )
    .unwrap();
    assert_eq!(shape(&fs), expected);
}

/// Docker 25+ `docker save`: an OCI layout plus a `manifest.json` naming `blobs/sha256/..`.
/// The local Docker writes only the classic layout, so build one from skopeo's OCI layout.
#[test]
fn docker25_archive_layout() {
    let Some(img) = images::minbase() else { return };
    let from_archive = open_target(
        img.archive.to_str().unwrap(),
        &OpenOptions::uncached(),
        &capture(),
    )
    .unwrap();
    for compression in ["none", "gzip"] {
        let Some(layout) = strata_testkit::require(img.oci_layout(compression)) else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("save");
        copy_dir(&layout, &root);
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(root.join("index.json")).unwrap()).unwrap();
        let md = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
        let blob = |d: &str| format!("blobs/sha256/{}", d.trim_start_matches("sha256:"));
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(root.join(blob(&md))).unwrap()).unwrap();
        let layers: Vec<String> = manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| blob(l["digest"].as_str().unwrap()))
            .collect();
        let docker_manifest = serde_json::json!([{
            "Config": blob(manifest["config"]["digest"].as_str().unwrap()),
            "RepoTags": [img.reference],
            "Layers": layers,
        }]);
        std::fs::write(
            root.join("manifest.json"),
            serde_json::to_vec(&docker_manifest).unwrap(),
        )
        .unwrap();
        let tarball = tmp.path().join("save.tar");
        crate::common::tar_dir(&root, &tarball);
        let fs = open_target(
            tarball.to_str().unwrap(),
            &OpenOptions::uncached(),
            &capture(),
        )
        .unwrap();
        assert_eq!(shape(&fs), shape(&from_archive), "{compression}");
        assert_eq!(diff_ids(&fs), img.diff_ids);
        assert_eq!(
            fs.meta.manifest_digest.as_ref().map(ToString::to_string),
            Some(md)
        );
        assert_eq!(fs.meta.repo_tags, vec![img.reference.clone()]);
        // A docker-archive's layer media type comes from the blob's magic bytes.
        let blob = root
            .join("blobs/sha256")
            .join(fs.meta.layers[0].digest.hex());
        assert!(
            fs.meta.layers[0].media_type.ends_with(magic_suffix(&blob)),
            "{}",
            fs.meta.layers[0].media_type
        );
    }
}

fn magic_suffix(blob: &Path) -> &'static str {
    let mut head = [0u8; 4];
    std::io::Read::read_exact(&mut std::fs::File::open(blob).unwrap(), &mut head).unwrap();
    match head {
        [0x1f, 0x8b, ..] => "gzip",
        [0x28, 0xb5, 0x2f, 0xfd] => "zstd",
        _ => "tar",
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn real_image_from_the_cache() {
    let Some(img) = images::layered() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let opts = OpenOptions {
        cache: Some(CacheOptions {
            dir: tmp.path().to_owned(),
            max_bytes: 1 << 30,
        }),
        ..OpenOptions::uncached()
    };
    let first = open_target(img.archive.to_str().unwrap(), &opts, &capture()).unwrap();
    let second = open_target(img.archive.to_str().unwrap(), &opts, &capture()).unwrap();
    assert!(second.meta.layers.iter().all(|l| l.from_cache));
    assert_eq!(shape(&first), shape(&second));
    assert_eq!(first.versions(STATUS), second.versions(STATUS));
}

#[test]
fn apk_rpm_and_large_images_match_docker_export() {
    for build in [images::apk, images::rpm, images::debian_large] {
        let Some(img) = build() else { return };
        let fs = open_target(
            img.archive.to_str().unwrap(),
            &OpenOptions::uncached(),
            &capture(),
        )
        .unwrap();
        assert_eq!(diff_ids(&fs), img.diff_ids, "{}", img.reference);
        let disk = open_dir(&img.rootfs, "rootfs", &OpenOptions::uncached(), &capture()).unwrap();
        let (a, b) = (shape(&fs), shape(&disk));
        let only_image: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).take(10).collect();
        let only_disk: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).take(10).collect();
        assert!(
            only_image.is_empty() && only_disk.is_empty(),
            "{}: only in image: {only_image:?}; only on disk: {only_disk:?}",
            img.reference
        );
        let differ: Vec<_> = a
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(v))
            .take(10)
            .collect();
        assert!(differ.is_empty(), "{}: {differ:?}", img.reference);
    }
}
