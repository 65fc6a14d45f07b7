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
