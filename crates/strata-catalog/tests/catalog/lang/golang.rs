//! go.mod. Expectations were read from the (small) files: each `require`, with the
//! `replace` directives applied.

use super::{detect_bytes, expect, expect_malformed, names, owned};

#[test]
fn go_mod_requires() {
    let Some((pkgs, _)) = expect(
        "go-mod/osv-scalibr/indirect-packages.mod",
        "/src/go.mod",
        &[
            ("github.com/BurntSushi/toml", "v1.0.0"),
            ("gopkg.in/yaml.v2", "v2.4.0"),
            ("github.com/mattn/go-colorable", "v0.1.9"),
            ("github.com/mattn/go-isatty", "v0.0.14"),
            ("golang.org/x/sys", "v0.0.0-20210630005230-0f9fa26af87c"),
        ],
    ) else {
        return;
    };
    // The purl spec asks for a lowercased namespace and name.
    assert_eq!(pkgs[0].purl, "pkg:golang/github.com/burntsushi/toml@v1.0.0");
    assert_eq!(pkgs[1].purl, "pkg:golang/gopkg.in/yaml.v2@v2.4.0");
    expect(
        "go-mod/osv-scalibr/indirect-1.23.mod",
        "/src/go.mod",
        &[
            ("github.com/sirupsen/logrus", "v1.9.3"),
            ("golang.org/x/sys", "v0.0.0-20220715151400-c0bba94af5f8"),
        ],
    );
    expect(
        "go-mod/osv-scalibr/toolchain-with-suffix.mod",
        "/src/go.mod",
        &[("github.com/BurntSushi/toml", "v1.0.0")],
    );
    expect("go-mod/osv-scalibr/empty.mod", "/src/go.mod", &[]);
}

#[test]
fn go_mod_replace_directives() {
    expect(
        "go-mod/osv-scalibr/replace-one.mod",
        "/src/go.mod",
        &[("example.com/fork/net", "v1.4.5")],
    );
    expect(
        "go-mod/osv-scalibr/replace-different.mod",
        "/src/go.mod",
        &[
            ("example.com/fork/foe", "v1.4.5"),
            ("example.com/fork/foe", "v1.4.2"),
        ],
    );
    // Only the replaced version changes.
    expect(
        "go-mod/osv-scalibr/replace-mixed.mod",
        "/src/go.mod",
        &[
            ("example.com/fork/net", "v1.4.5"),
            ("golang.org/x/net", "v0.5.6"),
        ],
    );
    // A replacement without a version on the left applies to every version.
    expect(
        "go-mod/osv-scalibr/replace-no-version.mod",
        "/src/go.mod",
        &[("example.com/fork/net", "v1.4.5")],
    );
    expect(
        "go-mod/osv-scalibr/replace-not-required.mod",
        "/src/go.mod",
        &[
            ("golang.org/x/net", "v0.5.6"),
            ("github.com/BurntSushi/toml", "v1.0.0"),
        ],
    );
    let Some((_, warnings)) = expect(
        "go-mod/osv-scalibr/replace-local.mod",
        "/src/go.mod",
        &[("github.com/BurntSushi/toml", "v1.0.0")],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        [
            "/src/go.mod:2: golang.org/x/net v1.2.3 is replaced by the local directory ./fork/net; skipped"
        ]
    );
}

#[test]
fn go_mod_quoted_paths_and_comments() {
    let text = b"module \"example.com/m\" // the module\n\ngo 1.22\n\nrequire (\n\t\"github.com/a/b\" v1.2.3 // indirect\n\t// a comment line\n\tgolang.org/x/text v0.14.0\n)\n\nexclude golang.org/x/text v0.13.0\nretract v0.1.0\n";
    let (pkgs, warnings) = detect_bytes(text, "/w/go.mod").unwrap();
    assert_eq!(
        names(&pkgs),
        owned(&[
            ("github.com/a/b", "v1.2.3"),
            ("golang.org/x/text", "v0.14.0")
        ])
    );
    assert!(warnings.is_empty());
}

#[test]
fn go_mod_malformed() {
    expect_malformed("go-mod/osv-scalibr/not-go-mod.mod", "/src/go.mod", Some(1));
    for (text, line) in [
        (&b"module m\nrequire a\n"[..], Some(2)),
        (b"module m\nrequire (\n a v1\n", None),
        (b"module m\nreplace a v1 b\n", Some(2)),
        (b"module m\nrequire \"a v1\n", Some(2)),
    ] {
        let r = detect_bytes(text, "/w/go.mod");
        match r {
            Err(strata_catalog::DetectError::Malformed { line: l, .. }) => {
                assert_eq!(l, line, "{}", String::from_utf8_lossy(text));
            }
            other => panic!("{}: {other:?}", String::from_utf8_lossy(text)),
        }
    }
}
