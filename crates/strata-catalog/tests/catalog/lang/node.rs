//! npm, yarn and pnpm lockfiles and installed `package.json` files.

use super::{detect_bytes, expect, expect_malformed, names, owned};

/// package-lock.json v2/v3 expectations: `[(v.get('name') or k.rsplit('node_modules/',1)[1],
/// v['version']) for k in sorted(d['packages']) if 'node_modules/' in k and not
/// v.get('link')]`, deduplicated, with Python's `json`.
#[test]
fn package_lock_v3() {
    expect(
        "npm-package-lock/trivy/package-lock_v3.json",
        "/app/package-lock.json",
        &[
            ("@babel/helper-string-parser", "7.19.4"),
            ("asap", "2.0.6"),
            ("body-parser", "1.18.3"),
            ("debug", "2.6.9"),
            ("ms", "2.0.0"),
            ("bytes", "3.0.0"),
            ("content-type", "1.0.5"),
            ("debug", "2.5.2"),
            ("ms", "0.7.2"),
            ("depd", "1.1.2"),
            ("ee-first", "1.1.1"),
            ("encodeurl", "1.0.2"),
            ("escape-html", "1.0.3"),
            ("finalhandler", "1.1.1"),
            ("http-errors", "1.6.3"),
            ("iconv-lite", "0.4.23"),
            ("inherits", "2.0.3"),
            ("media-typer", "0.3.0"),
            ("mime-db", "1.52.0"),
            ("mime-types", "2.1.35"),
            ("ms", "1.0.0"),
            ("on-finished", "2.3.0"),
            ("parseurl", "1.3.3"),
            ("promise", "8.3.0"),
            ("qs", "6.5.2"),
            ("raw-body", "2.3.3"),
            ("safer-buffer", "2.1.2"),
            ("setprototypeof", "1.1.0"),
            ("statuses", "1.4.0"),
            ("type-is", "1.6.18"),
            ("unpipe", "1.0.0"),
        ],
    );
}

#[test]
fn package_lock_v2_aliases_use_the_real_name() {
    let Some((pkgs, _)) = expect(
        "npm-package-lock/osv-scalibr/alias.v2.json",
        "/app/package-lock.json",
        &[
            ("@babel/code-frame", "7.0.0"),
            ("string-width", "5.1.2"),
            ("string-width", "4.2.0"),
        ],
    ) else {
        return;
    };
    assert_eq!(pkgs[0].purl, "pkg:npm/%40babel/code-frame@7.0.0");
}

#[test]
fn package_lock_v2_nested_copies_and_local_directories() {
    // `deps/etag` is a local directory (the project's own code) and is skipped; the
    // copy under it in `deps/etag/node_modules/abbrev` is a package.
    expect(
        "npm-package-lock/osv-scalibr/files.v2.json",
        "/app/package-lock.json",
        &[("abbrev", "2.3.4"), ("abbrev", "1.0.9")],
    );
}

#[test]
fn package_lock_v3_workspaces_and_links_are_skipped() {
    expect(
        "npm-package-lock/trivy/package-lock_v3_with_workspace.json",
        "/app/package-lock.json",
        &[
            ("debug", "2.6.9"),
            ("debug", "2.5.2"),
            ("ms", "0.7.2"),
            ("ms", "2.0.0"),
        ],
    );
}

#[test]
fn package_lock_v2_git_dependencies_keep_their_package_version() {
    let Some((_, warnings)) = expect(
        "npm-package-lock/osv-scalibr/commits.v2.json",
        "/app/package-lock.json",
        &[
            ("@segment/analytics.js-integration-facebook-pixel", "2.4.1"),
            ("ansi-styles", "1.0.0"),
            ("babel-preset-php", "1.1.1"),
            ("is-number-1", "3.0.0"),
            ("is-number-2", "2.0.0"),
            ("is-number-3", "2.0.0"),
            ("is-number-4", "3.0.0"),
            ("is-number-5", "3.0.0"),
            ("postcss-calc", "7.0.1"),
            ("is-number-3", "3.0.0"),
            ("slick-carousel", "1.7.1"),
        ],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        ["/app/package-lock.json: packages[\"node_modules/raven-js\"] has no version; skipped"]
    );
}

#[test]
fn package_lock_v3_licenses() {
    // `license` as a string, as a list of strings and as a list of `{type}` objects.
    let Some((pkgs, _)) = expect(
        "npm-package-lock/trivy/package-lock_v3_with_legacy_licenses.json",
        "/app/package-lock.json",
        &[
            ("mustache", "2.3.2"),
            ("pause-stream", "0.0.11"),
            ("tv4", "1.3.0"),
        ],
    ) else {
        return;
    };
    let licenses: Vec<Vec<String>> = pkgs.into_iter().map(|p| p.licenses).collect();
    assert_eq!(
        licenses,
        [
            vec!["MIT".to_owned()],
            vec!["MIT".to_owned(), "Apache2".to_owned()],
            vec!["Public Domain".to_owned(), "MIT".to_owned()],
        ]
    );
}

/// package-lock.json v1 expectations: a depth-first walk of `dependencies` in key order
/// with Python's `json`; `npm:name@version` aliases resolved; git/file versions (with
/// `:` or `/`) left out.
#[test]
fn package_lock_v1() {
    expect(
        "npm-package-lock/trivy/package-lock_v1.json",
        "/app/package-lock.json",
        &[
            ("@babel/helper-string-parser", "7.19.4"),
            ("asap", "2.0.6"),
            ("body-parser", "1.18.3"),
            ("debug", "2.6.9"),
            ("ms", "2.0.0"),
            ("bytes", "3.0.0"),
            ("content-type", "1.0.5"),
            ("debug", "2.5.2"),
            ("ms", "0.7.2"),
            ("depd", "1.1.2"),
            ("ee-first", "1.1.1"),
            ("encodeurl", "1.0.2"),
            ("escape-html", "1.0.3"),
            ("finalhandler", "1.1.1"),
            ("http-errors", "1.6.3"),
            ("iconv-lite", "0.4.23"),
            ("inherits", "2.0.3"),
            ("media-typer", "0.3.0"),
            ("mime-db", "1.52.0"),
            ("mime-types", "2.1.35"),
            ("ms", "1.0.0"),
            ("on-finished", "2.3.0"),
            ("parseurl", "1.3.3"),
            ("promise", "8.3.0"),
            ("qs", "6.5.2"),
            ("raw-body", "2.3.3"),
            ("safer-buffer", "2.1.2"),
            ("setprototypeof", "1.1.0"),
            ("statuses", "1.4.0"),
            ("type-is", "1.6.18"),
            ("unpipe", "1.0.0"),
        ],
    );
    expect(
        "npm-package-lock/osv-scalibr/alias.v1.json",
        "/app/npm-shrinkwrap.json",
        &[
            ("@babel/code-frame", "7.0.0"),
            ("string-width", "5.1.2"),
            ("string-width", "4.2.0"),
        ],
    );
    expect(
        "npm-package-lock/osv-scalibr/nested-dependencies.v1.json",
        "/app/package-lock.json",
        &[
            ("postcss", "6.0.23"),
            ("postcss-calc", "7.0.1"),
            ("postcss", "7.0.16"),
            ("supports-color", "6.1.0"),
            ("supports-color", "5.5.0"),
        ],
    );
}

#[test]
fn package_lock_v1_git_dependencies_are_warnings() {
    let Some((_, warnings)) = expect(
        "npm-package-lock/osv-scalibr/commits.v1.json",
        "/app/package-lock.json",
        &[("ansi-styles", "1.0.0"), ("postcss-calc", "7.0.1")],
    ) else {
        return;
    };
    // 13 `dependencies` entries (nested ones included) have git versions.
    assert_eq!(warnings.len(), 13, "{warnings:#?}");
    assert!(warnings[0].starts_with(
        "/app/package-lock.json: dependencies.@segment/analytics.js-integration-facebook-pixel: `git+ssh://"
    ));
}

#[test]
fn package_lock_empty_and_malformed() {
    expect(
        "npm-package-lock/osv-scalibr/empty.v1.json",
        "/app/package-lock.json",
        &[],
    );
    expect(
        "npm-package-lock/osv-scalibr/empty.v2.json",
        "/app/package-lock.json",
        &[],
    );
    expect_malformed(
        "npm-package-lock/osv-scalibr/not-json.txt",
        "/app/package-lock.json",
        Some(1),
    );
    expect_malformed(
        "npm-package-lock/osv-scalibr/null.v2.jsontest",
        "/app/package-lock.json",
        Some(1),
    );
}

/// yarn.lock expectations were read from the files: the first descriptor's name (the
/// `resolution`'s name in berry, the `npm:` alias target in v1) and `version`.
#[test]
fn yarn_v1() {
    expect(
        "yarn-lock/trivy/yarn_happy.lock",
        "/app/yarn.lock",
        &[
            ("@babel/helper-regex", "7.4.4"),
            ("ansi-regex", "2.1.1"),
            ("ansi-regex", "3.0.0"),
            ("asap", "2.0.6"),
            ("inherits", "2.0.3"),
            ("is-fullwidth-code-point", "2.0.0"),
            ("js-tokens", "4.0.0"),
            ("jquery", "3.4.1"),
            ("lodash", "4.17.11"),
            ("promise", "8.0.3"),
            ("safe-buffer", "5.1.2"),
            ("safer-buffer", "2.1.2"),
            ("statuses", "1.5.0"),
            ("string-width", "2.1.1"),
            ("strip-ansi", "3.0.1"),
            ("strip-ansi", "4.0.0"),
            ("whatwg-fetch", "3.0.0"),
            ("wide-align", "1.1.3"),
        ],
    );
    expect(
        "yarn-lock/osv-scalibr/with-aliases.v1.lock",
        "/app/yarn.lock",
        &[
            ("ansi-regex", "5.0.1"),
            ("ansi-regex", "6.0.1"),
            ("@babel/helper-validator-identifier", "7.22.20"),
        ],
    );
    expect(
        "yarn-lock/osv-scalibr/no-version.v1.lock",
        "/app/yarn.lock",
        &[("balanced-match", "1.0.2")],
    );
}

#[test]
fn yarn_v1_local_packages_are_warnings() {
    let Some((_, warnings)) = expect(
        "yarn-lock/osv-scalibr/files.v1.lock",
        "/app/yarn.lock",
        &[("etag", "1.8.1"), ("lodash", "1.3.1")],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        [
            "/app/yarn.lock:9: filedep is installed from a local file or directory; skipped",
            "/app/yarn.lock:16: other_package is installed from a local file or directory; skipped",
            "/app/yarn.lock:24: sprintf-js is installed from a local file or directory; skipped",
        ]
    );
}

#[test]
fn yarn_berry() {
    expect(
        "yarn-lock/osv-scalibr/with-aliases.v2.lock",
        "/app/yarn.lock",
        &[
            ("ansi-regex", "5.0.1"),
            ("ansi-regex", "6.0.1"),
            ("@babel/helper-validator-identifier", "7.22.20"),
        ],
    );
    // The workspace entries (`@ws/ansi-regex@workspace:...`, the root) are skipped.
    expect(
        "yarn-lock/osv-scalibr/exclude-root.v2.lock",
        "/app/yarn.lock",
        &[("ansi-regex", "6.1.0")],
    );
    // Quoted keys.
    expect(
        "yarn-lock/osv-scalibr/with-quotes.v2.lock",
        "/app/yarn.lock",
        &[("compare-func", "2.0.0"), ("concat-map", "0.0.1")],
    );
    expect(
        "yarn-lock/osv-scalibr/commits.v2.lock",
        "/app/yarn.lock",
        &[
            ("@my-scope/my-first-package", "0.0.6"),
            ("my-second-package", "0.2.2"),
            ("@typegoose/typegoose", "7.2.0"),
            ("vuejs", "2.5.0"),
            ("my-third-package", "0.16.1-dev"),
            ("my-node-sdk", "1.1.0"),
            ("is-really-great", "1.0.0"),
        ],
    );
    expect(
        "yarn-lock/osv-scalibr/metadata-only.v2.lock",
        "/app/yarn.lock",
        &[],
    );
}

#[test]
fn yarn_malformed() {
    match detect_bytes(b"a@^1:\n  version \"1\"\nnot a header\n", "/app/yarn.lock") {
        Err(strata_catalog::DetectError::Malformed { line, .. }) => assert_eq!(line, Some(3)),
        other => panic!("{other:?}"),
    }
}

/// pnpm-lock.yaml expectations: PyYAML's `safe_load_all` over the file, then the
/// `packages` keys split into name and version (`/name/version` in v5,
/// `[/]name@version(peers)` in v6/v9) with an entry's own `name`/`version` winning;
/// `file:` entries left out.
#[test]
fn pnpm_v5_exotic_keys() {
    let Some((_, warnings)) = expect(
        "pnpm-lock/osv-scalibr/exotic.yaml",
        "/app/pnpm-lock.yaml",
        &[
            ("foo", "1.0.0"),
            ("@foo/bar", "1.0.0"),
            ("foo", "1.1.0"),
            ("@foo/bar", "1.1.0"),
            ("foo", "1.2.0"),
            ("foo", "1.3.0"),
            ("foo", "1.4.0"),
        ],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        [
            "/app/pnpm-lock.yaml:14: cannot read a name and version from `github.com/kevva/is-positive`; skipped",
            "/app/pnpm-lock.yaml:18: cannot read a name and version from `/foo/bar`; skipped",
        ]
    );
}

#[test]
fn pnpm_v5_v6_v9() {
    expect(
        "pnpm-lock/osv-scalibr/peer-dependencies-advanced.yaml",
        "/app/pnpm-lock.yaml",
        &[
            ("@typescript-eslint/eslint-plugin", "5.13.0"),
            ("@typescript-eslint/parser", "5.13.0"),
            ("@typescript-eslint/type-utils", "5.13.0"),
            ("@typescript-eslint/types", "5.13.0"),
            ("@typescript-eslint/typescript-estree", "5.13.0"),
            ("@typescript-eslint/utils", "5.13.0"),
            ("eslint-utils", "3.0.0"),
            ("eslint", "8.10.0"),
            ("tsutils", "3.21.0"),
        ],
    );
    expect(
        "pnpm-lock/osv-scalibr/peer-dependencies-advanced-v6.yaml",
        "/app/pnpm-lock.yaml",
        &[
            ("js-tokens", "4.0.0"),
            ("loose-envify", "1.4.0"),
            ("react-dom", "18.3.0-canary-ab31a9ed2-20230824"),
            ("react", "18.3.0-canary-ab31a9ed2-20230824"),
            ("scheduler", "0.24.0-canary-ab31a9ed2-20230824"),
        ],
    );
    expect(
        "pnpm-lock/trivy/pnpm-lock_v9.yaml",
        "/app/pnpm-lock.yaml",
        &[
            ("@babel/helper-string-parser", "7.24.1"),
            ("asap", "2.0.6"),
            ("asynckit", "0.4.0"),
            ("await-sleep", "0.0.1"),
            ("debug", "4.3.4"),
            ("debug", "4.3.5"),
            ("ee-first", "1.1.1"),
            ("encodeurl", "1.0.2"),
            ("escape-html", "1.0.3"),
            ("finalhandler", "1.1.1"),
            ("is-negative", "2.0.1"),
            ("jquery", "3.6.0"),
            ("ms", "2.0.0"),
            ("ms", "2.1.2"),
            ("on-finished", "2.3.0"),
            ("parseurl", "1.3.3"),
            ("promise", "8.1.0"),
            ("sleep-utils", "1.0.3"),
            ("statuses", "1.4.0"),
            ("unpipe", "1.0.0"),
        ],
    );
    expect(
        "pnpm-lock/osv-scalibr/commits.yaml",
        "/app/pnpm-lock.yaml",
        &[
            ("my-bitbucket-package", "1.0.0"),
            ("@my-scope/my-package", "1.0.0"),
            ("@my-scope/my-other-package", "1.0.0"),
            ("faker-parser", "0.0.1"),
            ("mocks", "20.0.1"),
        ],
    );
    expect(
        "pnpm-lock/trivy/pnpm-lock_archives.yaml",
        "/app/pnpm-lock.yaml",
        &[
            ("asynckit", "0.4.0"),
            ("ms", "2.1.2"),
            ("is-negative", "2.0.1"),
            ("debug", "4.3.4"),
        ],
    );
    expect(
        "pnpm-lock/trivy/pnpm-lock_v9_multiple_documents.yaml",
        "/app/pnpm-lock.yaml",
        &[
            ("@pnpm/exe", "11.9.0"),
            ("@pnpm/linux-arm64", "11.9.0"),
            ("@pnpm/linux-x64", "11.9.0"),
            ("@pnpm/linuxstatic-arm64", "11.9.0"),
            ("@pnpm/linuxstatic-x64", "11.9.0"),
            ("@pnpm/macos-arm64", "11.9.0"),
            ("@pnpm/win-arm64", "11.9.0"),
            ("@pnpm/win-x64", "11.9.0"),
            ("@reflink/reflink-darwin-arm64", "0.1.19"),
            ("@reflink/reflink-darwin-x64", "0.1.19"),
            ("@reflink/reflink-linux-arm64-gnu", "0.1.19"),
            ("@reflink/reflink-linux-arm64-musl", "0.1.19"),
            ("@reflink/reflink-linux-x64-gnu", "0.1.19"),
            ("@reflink/reflink-linux-x64-musl", "0.1.19"),
            ("@reflink/reflink-win32-arm64-msvc", "0.1.19"),
            ("@reflink/reflink-win32-x64-msvc", "0.1.19"),
            ("@reflink/reflink", "0.1.19"),
            ("detect-libc", "2.1.2"),
            ("pnpm", "11.9.0"),
            ("is-number", "7.0.0"),
        ],
    );
}

#[test]
fn pnpm_local_packages_are_warnings() {
    let Some((_, warnings)) = expect(
        "pnpm-lock/osv-scalibr/files.yaml",
        "/app/pnpm-lock.yaml",
        &[],
    ) else {
        return;
    };
    assert_eq!(warnings.len(), 6, "{warnings:#?}");
}

#[test]
fn pnpm_empty_and_malformed() {
    expect(
        "pnpm-lock/osv-scalibr/empty.yaml",
        "/app/pnpm-lock.yaml",
        &[],
    );
    expect(
        "pnpm-lock/osv-scalibr/no-packages.v9.yaml",
        "/app/pnpm-lock.yaml",
        &[],
    );
    expect_malformed(
        "pnpm-lock/osv-scalibr/not-yaml.txt",
        "/app/pnpm-lock.yaml",
        Some(1),
    );
    let r = detect_bytes(b"packages:\n  a: [\n", "/app/pnpm-lock.yaml");
    assert!(
        matches!(
            r,
            Err(strata_catalog::DetectError::Malformed { line: Some(3), .. })
        ),
        "{r:?}"
    );
}

/// A YAML alias bomb stays small: aliases are not expanded.
#[test]
fn pnpm_alias_bomb_is_cheap() {
    let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 0..30 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("l{}", i - 1)
        };
        doc.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    doc.push_str("packages:\n  /a/1.0.0: {}\n");
    let (pkgs, _) = detect_bytes(doc.as_bytes(), "/app/pnpm-lock.yaml").unwrap();
    assert_eq!(names(&pkgs), owned(&[("a", "1.0.0")]));
}

#[test]
fn installed_package_json_files() {
    let plain = br#"{"name": "left-pad", "version": "1.3.0", "license": "WTFPL"}"#;
    let (pkgs, warnings) = detect_bytes(plain, "/app/node_modules/left-pad/package.json").unwrap();
    assert!(warnings.is_empty());
    assert_eq!(names(&pkgs), owned(&[("left-pad", "1.3.0")]));
    assert_eq!(pkgs[0].purl, "pkg:npm/left-pad@1.3.0");
    assert_eq!(pkgs[0].licenses, ["WTFPL"]);
    assert_eq!(
        pkgs[0].locations[0].path,
        "/app/node_modules/left-pad/package.json"
    );

    // A nested scoped copy, with an old-style `license` object.
    let path = "/app/node_modules/a/node_modules/@types/node/package.json";
    let scoped = br#"{"name": "@types/node", "version": "20.1.0", "license": {"type": "MIT"}}"#;
    let (pkgs, _) = detect_bytes(scoped, path).unwrap();
    assert_eq!(pkgs[0].purl, "pkg:npm/%40types/node@20.1.0");
    assert_eq!(pkgs[0].licenses, ["MIT"]);
    assert_eq!(pkgs[0].locations[0].path, path);

    // `licenses: [{type}]`, the oldest form.
    let old =
        br#"{"name": "x", "version": "0.1.0", "licenses": [{"type": "BSD"}, {"type": "GPL"}]}"#;
    let (pkgs, _) = detect_bytes(old, "/n/node_modules/x/package.json").unwrap();
    assert_eq!(pkgs[0].licenses, ["BSD", "GPL"]);

    // No version: a warning, no package.
    let (pkgs, warnings) =
        detect_bytes(br#"{"name": "x"}"#, "/n/node_modules/x/package.json").unwrap();
    assert!(pkgs.is_empty());
    assert_eq!(
        warnings,
        ["/n/node_modules/x/package.json: package.json without a name or version; skipped"]
    );

    // Not JSON: an error with the line.
    let r = detect_bytes(b"{\n\"name\": \"x\",\n}", "/n/node_modules/x/package.json");
    assert!(
        matches!(
            r,
            Err(strata_catalog::DetectError::Malformed { line: Some(3), .. })
        ),
        "{r:?}"
    );
}

#[test]
fn package_json_outside_node_modules_is_not_wanted() {
    let all = strata_catalog::lang::detectors();
    for path in [
        "/app/package.json",
        "/app/node_modules/a/lib/package.json",
        "/app/node_modules/@scope/package.json",
    ] {
        assert!(!all.iter().any(|d| d.wants(path)), "{path}");
    }
}
