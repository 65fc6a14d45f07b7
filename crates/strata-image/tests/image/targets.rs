//! Parsing of target strings.

use std::path::PathBuf;

use strata_image::{CapturePaths, ImageError, OpenOptions, Target, open_target, parse_target};

#[test]
fn target_kinds() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("img.tar");
    std::fs::write(&file, b"").unwrap();
    let layout = tmp.path().join("layout");
    std::fs::create_dir_all(&layout).unwrap();
    std::fs::write(layout.join("index.json"), b"{}").unwrap();
    let f = file.display().to_string();
    let l = layout.display().to_string();
    let cases: Vec<(String, Target)> = vec![
        (
            format!("oci:{l}"),
            Target::Oci {
                path: layout.clone(),
                tag: None,
            },
        ),
        (
            format!("oci:{l}:v1"),
            Target::Oci {
                path: layout.clone(),
                tag: Some("v1".into()),
            },
        ),
        (
            format!("docker-archive:{f}"),
            Target::DockerArchive {
                path: file.clone(),
                tag: None,
            },
        ),
        (
            format!("docker-archive:{f}:repo/x:1"),
            Target::DockerArchive {
                path: file.clone(),
                tag: Some("repo/x:1".into()),
            },
        ),
        (
            f.clone(),
            Target::DockerArchive {
                path: file.clone(),
                tag: None,
            },
        ),
        (
            l.clone(),
            Target::Oci {
                path: layout.clone(),
                tag: None,
            },
        ),
        (format!("dir:{l}"), Target::Dir(layout.clone())),
        (
            tmp.path().display().to_string(),
            Target::Dir(tmp.path().to_owned()),
        ),
        (
            "docker:debian:12".into(),
            Target::Docker("debian:12".into()),
        ),
        (
            "registry:localhost:5000/a/b:c".into(),
            Target::Registry("localhost:5000/a/b:c".into()),
        ),
        ("debian:12".into(), Target::Name("debian:12".into())),
        (
            "oci:/no/such/dir".into(),
            Target::Oci {
                path: PathBuf::from("/no/such/dir"),
                tag: None,
            },
        ),
    ];
    for (s, want) in cases {
        assert_eq!(parse_target(&s).unwrap(), want, "{s}");
    }
    for bad in ["", "oci:", "dir:", "sbom:x.json", "/no/such/file.tar"] {
        assert!(
            matches!(parse_target(bad), Err(ImageError::Target { .. })),
            "{bad}"
        );
    }
}

#[test]
fn docker_target_of_an_absent_image_is_a_source_error() {
    // With a daemon: "image not found"; without one: the socket error. Either way the
    // error is the source's and names the reference.
    let target = "docker:strata-test/no-such-image:absent";
    let err =
        open_target(target, &OpenOptions::uncached(), &CapturePaths::new(["/x"])).unwrap_err();
    assert!(matches!(err, ImageError::Source { .. }), "{err}");
    assert!(
        err.to_string().contains("strata-test/no-such-image"),
        "{err}"
    );
}

#[test]
fn missing_local_targets() {
    let err = open_target(
        "oci:/no/such/layout",
        &OpenOptions::uncached(),
        &CapturePaths::new(["/x"]),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ImageError::Source { source, .. } if matches!(**source, strata_image::SourceError::NotFound { .. })),
        "{err}"
    );
}
