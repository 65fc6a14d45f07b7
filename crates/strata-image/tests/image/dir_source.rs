//! `dir:` targets: a root filesystem on disk.

use std::os::unix::fs::symlink;

use strata_image::EntryKind::{Dir, Fifo, File, Symlink};
use strata_image::{CapturePaths, ImageError, Limits, OpenOptions, open_target};

#[test]
fn walks_without_following_symlinks_out_of_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("usr/lib")).unwrap();
    std::fs::create_dir_all(root.join("proc/1")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret"), b"host secret").unwrap();
    std::fs::write(root.join("usr/lib/os-release"), b"ID=test\n").unwrap();
    std::fs::write(root.join("proc/1/status"), b"virtual").unwrap();
    symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
    symlink(&outside, root.join("etc/out")).unwrap();
    symlink(outside.join("secret"), root.join("etc/secret")).unwrap();
    let fifo = root.join("etc/pipe");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status();
    let have_fifo = status.is_ok_and(|s| s.success());

    let capture = CapturePaths::new([
        "/usr/lib/os-release",
        "/etc/secret",
        "/etc/pipe",
        "/proc/1/status",
    ]);
    let target = format!("dir:{}", root.display());
    let fs = open_target(&target, &OpenOptions::uncached(), &capture).unwrap();
    let mut expected: Vec<(String, _, Option<usize>)> = vec![
        ("/etc".into(), Dir, None),
        ("/etc/os-release".into(), Symlink, None),
        ("/etc/out".into(), Symlink, None),
        ("/etc/secret".into(), Symlink, None),
        ("/proc".into(), Dir, None),
        ("/usr".into(), Dir, None),
        ("/usr/lib".into(), Dir, None),
        ("/usr/lib/os-release".into(), File, None),
    ];
    if have_fifo {
        expected.insert(3, ("/etc/pipe".into(), Fifo, None));
    }
    assert_eq!(crate::common::listing(&fs), expected);
    let v = fs.read("/etc/os-release").unwrap().unwrap();
    assert_eq!((v.layer, &v.data[..]), (None, &b"ID=test\n"[..]));
    // The absolute symlink points into the image root, where there is no such file.
    assert_eq!(fs.read("/etc/secret").unwrap(), None);
    assert_eq!(fs.read("/etc/out/secret").unwrap(), None);
    assert_eq!(fs.entry("/usr/lib/os-release").unwrap().size, 8);
    assert!(fs.meta.config_digest.is_none());
    assert_eq!(fs.meta.reference, target);
}

#[test]
fn captured_file_limit_and_missing_root() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("big"), vec![0u8; 4096]).unwrap();
    let opts = OpenOptions {
        limits: Limits {
            max_captured_file: 1024,
            ..Limits::default()
        },
        ..OpenOptions::uncached()
    };
    // A file over the capture limit is skipped with a warning naming it; the scan goes on.
    let fs = open_target(
        &format!("dir:{}", tmp.path().display()),
        &opts,
        &CapturePaths::new(["/big"]),
    )
    .unwrap();
    assert_eq!(
        fs.meta.warnings,
        ["/big: skipped: captured file size (bytes) over the limit of 1024"]
    );
    assert!(
        fs.read("/big").is_err(),
        "an oversized file must not be readable"
    );
    let err = open_target(
        "dir:/nonexistent/strata",
        &OpenOptions::uncached(),
        &CapturePaths::new(["/x"]),
    )
    .unwrap_err();
    assert!(matches!(err, ImageError::Io { .. }), "{err}");
}

/// A tree wide and deep enough that every worker of the parallel walk gets directories.
fn wide_tree(root: &std::path::Path) -> usize {
    let mut n = 0;
    for a in 0..20 {
        for b in 0..10 {
            let d = root.join(format!("srv/{a}/node_modules/p{b}"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("package.json"), format!("{{\"name\":\"p{b}\"}}")).unwrap();
            std::fs::write(d.join("index.js"), b"").unwrap();
            n += 2;
        }
    }
    n
}

#[test]
fn parallel_walk_is_complete_and_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let files = wide_tree(tmp.path());
    let target = format!("dir:{}", tmp.path().display());
    let capture =
        strata_image::CaptureFn::new("package.json", |p: &str| p.ends_with("/package.json"));
    let walk = || {
        let fs = open_target(&target, &OpenOptions::uncached(), &capture).unwrap();
        let entries: Vec<(String, strata_image::EntryKind)> =
            fs.walk().map(|(p, e)| (p.to_owned(), e.kind)).collect();
        let captured: Vec<String> = fs.captured_paths().map(str::to_owned).collect();
        (entries, captured)
    };
    let (entries, captured) = walk();
    assert_eq!(entries.iter().filter(|(_, k)| *k == File).count(), files);
    // srv, 20 x (a, node_modules), 200 package folders.
    assert_eq!(
        entries.iter().filter(|(_, k)| *k == Dir).count(),
        1 + 20 * 2 + 200
    );
    assert_eq!(captured.len(), 200);
    for _ in 0..3 {
        assert_eq!(walk(), (entries.clone(), captured.clone()));
    }
}

#[test]
fn parallel_walk_stops_at_the_entry_limit() {
    let tmp = tempfile::tempdir().unwrap();
    wide_tree(tmp.path());
    let opts = OpenOptions {
        limits: Limits {
            max_entries: 100,
            ..Limits::default()
        },
        ..OpenOptions::uncached()
    };
    let err = open_target(
        &format!("dir:{}", tmp.path().display()),
        &opts,
        &CapturePaths::new(["/x"]),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::Limit {
                what: "number of files",
                limit: 100,
                ..
            }
        ),
        "{err}"
    );
}
