//! Python metadata, requirements files and lockfiles.

use super::{detect_bytes, expect, expect_malformed, names, owned};

fn metadata(rel: &str) -> Option<(String, String, String, Vec<String>)> {
    let data = strata_testkit::data_dir()?;
    let bytes = std::fs::read(data.join("pkgdb/python-metadata").join(rel)).unwrap();
    let path = "/usr/lib/python3/site-packages/x-1.dist-info/METADATA";
    let (pkgs, _) = detect_bytes(&bytes, path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(pkgs.len(), 1, "{rel}");
    let p = pkgs.into_iter().next().unwrap();
    Some((p.name, p.version, p.purl, p.licenses))
}

/// Expectations from Python's `email.parser.Parser().parsestr(...)` over each file
/// (`m['Name']`, `m['Version']`, `m['License-Expression']`, `m['License']`, the
/// `License ::` classifiers), which is how `importlib.metadata` reads these files.
#[test]
fn installed_metadata() {
    let cases: &[(&str, &str, &str, &str, &[&str])] = &[
        (
            "osv-scalibr/distinfo_meta",
            "pip",
            "22.2.2",
            "pkg:pypi/pip@22.2.2",
            &["MIT"],
        ),
        (
            "osv-scalibr/egginfo",
            "pycups",
            "2.0.1",
            "pkg:pypi/pycups@2.0.1",
            &["GPLv2+"],
        ),
        // License: UNKNOWN, so the classifier names it.
        (
            "osv-scalibr/egginfo_pkginfo",
            "setuptools",
            "57.4.0",
            "pkg:pypi/setuptools@57.4.0",
            &["MIT License"],
        ),
        // An unindented line in the headers ends them, as in Python's parser.
        (
            "osv-scalibr/malformed_pkginfo",
            "passlib",
            "1.7.4",
            "pkg:pypi/passlib@1.7.4",
            &["BSD"],
        ),
        // Header names are case-insensitive.
        (
            "osv-scalibr/mixed_case",
            "httplib2",
            "1.0",
            "pkg:pypi/httplib2@1.0",
            &[],
        ),
        (
            "osv-scalibr/pyopenssl-26.0.0.dist-info",
            "pyOpenSSL",
            "26.0.0",
            "pkg:pypi/pyopenssl@26.0.0",
            &["Apache License, Version 2.0"],
        ),
        // The first Version counts.
        (
            "osv-scalibr/repeated_pkginfo",
            "root",
            "1.0.0",
            "pkg:pypi/root@1.0.0",
            &[],
        ),
        // PEP 503 in the purl.
        (
            "osv-scalibr/special_chars",
            "backports.ssl_match_hostname",
            "3.5.0.1",
            "pkg:pypi/backports-ssl-match-hostname@3.5.0.1",
            &[],
        ),
        (
            "trivy/iniconfig-2.0.0.METADATA",
            "iniconfig",
            "2.0.0",
            "pkg:pypi/iniconfig@2.0.0",
            &["MIT"],
        ),
        // `License :: OSI Approved` alone names no license.
        (
            "trivy/asyncssh-2.14.2.METADATA",
            "asyncssh",
            "2.14.2",
            "pkg:pypi/asyncssh@2.14.2",
            &["Eclipse Public License v2.0"],
        ),
        (
            "trivy/pyphen-0.14.0.METADATA",
            "pyphen",
            "0.14.0",
            "pkg:pypi/pyphen@0.14.0",
            &[
                "GNU General Public License v2 or later (GPLv2+)",
                "GNU Lesser General Public License v2 or later (LGPLv2+)",
                "Mozilla Public License 1.1 (MPL 1.1)",
            ],
        ),
        // The classifier is after an empty line, in the body.
        (
            "trivy/setuptools-51.3.3-py3.8.egg-info.PKG-INFO",
            "setuptools",
            "51.3.3",
            "pkg:pypi/setuptools@51.3.3",
            &[],
        ),
        (
            "trivy/simple-0.1.0.METADATA",
            "simple",
            "0.1.0",
            "pkg:pypi/simple@0.1.0",
            &[],
        ),
        (
            "trivy/unidecode-egg-info.PKG-INFO",
            "Unidecode",
            "0.4.1",
            "pkg:pypi/unidecode@0.4.1",
            &[],
        ),
        (
            "trivy/zipp-3.12.1.METADATA",
            "zipp",
            "3.12.1",
            "pkg:pypi/zipp@3.12.1",
            &["MIT License"],
        ),
        (
            "trivy/networkx-3.0.METADATA",
            "networkx",
            "3.0",
            "pkg:pypi/networkx@3.0",
            &[],
        ),
    ];
    for (rel, name, version, purl, licenses) in cases {
        let Some(got) = metadata(rel) else { return };
        let want = (
            (*name).to_owned(),
            (*version).to_owned(),
            (*purl).to_owned(),
            licenses.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>(),
        );
        assert_eq!(got, want, "{rel}");
    }
}

#[test]
fn metadata_without_name_is_malformed() {
    let Some(data) = strata_testkit::data_dir() else {
        return;
    };
    for rel in ["osv-scalibr/empty", "trivy/invalid.json"] {
        let bytes = std::fs::read(data.join("pkgdb/python-metadata").join(rel)).unwrap();
        let r = detect_bytes(&bytes, "/usr/lib/python3.11/site-packages/x.egg-info");
        assert!(
            matches!(
                r,
                Err(strata_catalog::DetectError::Malformed { line: None, .. })
            ),
            "{rel}: {r:?}"
        );
    }
}

/// requirements.txt expectations were read from the files: only `==`/`===` pins are
/// packages; every other requirement is a warning.
#[test]
fn requirements_pins() {
    expect(
        "python-requirements/osv-scalibr/comments.txt",
        "/app/requirements.txt",
        &[
            ("PyCrypto", "1.2-alpha"),
            ("GMPY2", "1"),
            ("SymPy", "1.2"),
            ("requests", "1.0"),
            ("six", "1.2"),
        ],
    );
    expect(
        "python-requirements/osv-scalibr/extras.txt",
        "/app/requirements-prod.txt",
        &[("pyjwt", "2.1.0"), ("celery", "4.4.7")],
    );
    expect(
        "python-requirements/osv-scalibr/multiline_and_comments.txt",
        "/app/requirements/base.txt",
        &[("pkgA", "1.0"), ("pkgB", "2.0")],
    );
    expect(
        "python-requirements/osv-scalibr/trailing_backslash.txt",
        "/app/requirements.txt",
        &[("pkg1", "1.0")],
    );
    // `-r` is not followed: the other file is read on its own.
    expect(
        "python-requirements/osv-scalibr/loop.txt",
        "/app/requirements.txt",
        &[],
    );
}

#[test]
fn requirements_unpinned_are_warnings_never_guesses() {
    let Some((pkgs, warnings)) = expect(
        "python-requirements/osv-scalibr/with_versions.txt",
        "/app/requirements.txt",
        &[
            ("nltk", "3.2.2"),
            ("tabulate", "0.7.7"),
            ("qwerty", "0.1"),
            ("hy-phen", "1.2"),
            ("under_score", "1.3"),
            ("pkg.dot.name", "5.0.0"),
            ("yolo", "1.0"),
        ],
    ) else {
        return;
    };
    assert_eq!(pkgs[4].purl, "pkg:pypi/under-score@1.3");
    assert_eq!(pkgs[5].purl, "pkg:pypi/pkg-dot-name@5.0.0");
    assert_eq!(
        warnings,
        [
            "/app/requirements.txt:3: newspaper3k: unpinned requirement `>=0.2.2`; not reported",
            "/app/requirements.txt:4: asdf: unpinned requirement `==0.7.*`; not reported",
            "/app/requirements.txt:10: combination-._-.also_-._valid: unpinned requirement `>=3.5`; not reported",
            "/app/requirements.txt:12: pkg: unpinned requirement `<=1.2.3`; not reported",
        ]
    );
    let Some((_, warnings)) = expect(
        "python-requirements/osv-scalibr/example.txt",
        "/app/requirements.txt",
        &[("docopt", "0.6.1")],
    ) else {
        return;
    };
    assert_eq!(warnings.len(), 10, "{warnings:#?}");
    assert!(
        warnings
            .iter()
            .take(8)
            .all(|w| w.contains("unpinned requirement"))
    );
    assert!(warnings[9].starts_with(
        "/app/requirements.txt:28: a path or URL, not a named requirement: `http://wxpython.org/"
    ));
}

#[test]
fn requirements_per_requirement_options_and_hashes() {
    let Some((_, warnings)) = expect(
        "python-requirements/osv-scalibr/per_req_options.txt",
        "/app/requirements.txt",
        &[
            ("foo1", "1.0"),
            ("foo2", "1.0"),
            ("foo3", "1.0"),
            ("foo4", "1.0"),
            ("foo5", "1.0"),
            ("foo6", "1.0"),
            ("foo8", "1.0"),
            ("foo9", "1.0"),
            ("foo11", "1.0"),
            ("foo12", "1.0"),
            ("foo13", "1.0"),
            ("foo14", "1.0"),
            ("foo16-Client", "1.0"),
            ("foo17--hash", "1.0"),
            ("foo18-Client", "1.0"),
        ],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        [
            "/app/requirements.txt:13: unexpected text after the version: `foo7==1.0 unexpected_text_before_options_stays_around --hash=sha256:123`; skipped",
            "/app/requirements.txt:20: `==` without a version: `foo10== --hash=sha256:123 --hash=sha256:123`; skipped",
            "/app/requirements.txt:30: `==` without a version: `foo15== --config-settings --hash=sha256:123`; skipped",
        ]
    );
}

#[test]
fn requirements_invalid_lines_are_warnings() {
    let Some((_, warnings)) = expect(
        "python-requirements/osv-scalibr/invalid.txt",
        "/app/requirements.txt",
        &[],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        [
            "/app/requirements.txt:1: `==` without a version: `asdf==`; skipped",
            "/app/requirements.txt:2: no package name: `==1.0`; skipped",
            "/app/requirements.txt:3: not a version specifier: `asdf 1.0`; skipped",
            "/app/requirements.txt:4: urllib3: unpinned requirement `@ https://github.com/urllib3/urllib3/archive/refs/tags/==1.26.8.zip`; not reported",
            "/app/requirements.txt:5: unknown pip option: `-foo==1.0`; skipped",
        ]
    );
}

#[test]
fn requirements_crlf_and_env_markers() {
    let text = b"# c\r\nflask==2.0.1 ; python_version >= \"3.6\"\r\n-e git+https://x/y#egg=z\r\n--index-url https://pypi.org/simple\r\nDjango===4.2\r\n";
    let (pkgs, warnings) = detect_bytes(text, "/srv/requirements.txt").unwrap();
    assert_eq!(
        names(&pkgs),
        owned(&[("flask", "2.0.1"), ("Django", "4.2")])
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

/// poetry.lock and uv.lock expectations: `[(p['name'], p['version']) for p in
/// tomllib.load(f)['package']]` (uv: without `source = {virtual|editable}`).
#[test]
fn poetry_lock() {
    expect(
        "python-poetry-lock/trivy/poetry_v2_flask.lock",
        "/app/poetry.lock",
        &[
            ("atomicwrites", "1.4.1"),
            ("attrs", "25.1.0"),
            ("click", "8.1.8"),
            ("colorama", "0.4.6"),
            ("flask", "1.0.3"),
            ("itsdangerous", "2.2.0"),
            ("jinja2", "3.1.5"),
            ("markupsafe", "3.0.2"),
            ("more-itertools", "10.6.0"),
            ("packaging", "24.2"),
            ("pluggy", "0.13.1"),
            ("py", "1.11.0"),
            ("pytest", "5.4.3"),
            ("wcwidth", "0.2.13"),
            ("werkzeug", "3.1.3"),
        ],
    );
    expect(
        "python-poetry-lock/osv-scalibr/multiple-packages.v2.lock",
        "/app/poetry.lock",
        &[
            ("async-timeout", "5.0.1"),
            ("factory-boy", "3.3.1"),
            ("faker", "33.3.0"),
            ("proto-plus", "1.22.0"),
            ("proto-plus", "1.23.0"),
            ("protobuf", "4.25.5"),
            ("python-dateutil", "2.9.0.post0"),
            ("redis", "5.2.1"),
            ("six", "1.17.0"),
            ("typing-extensions", "4.12.2"),
            ("urllib3", "2.3.0"),
        ],
    );
    // A multi-line description holding `name = ...` is not an entry.
    expect(
        "python-poetry-lock/osv-scalibr/names-outside-package-block.lock",
        "/app/poetry.lock",
        &[("first-pkg", "1.0.0"), ("second-pkg", "2.0.0")],
    );
    expect(
        "python-poetry-lock/osv-scalibr/source-git.lock",
        "/app/poetry.lock",
        &[("ike", "0.2.0")],
    );
    expect(
        "python-poetry-lock/osv-scalibr/empty.lock",
        "/app/poetry.lock",
        &[],
    );
    expect(
        "python-poetry-lock/osv-scalibr/empty-file.lock",
        "/app/poetry.lock",
        &[],
    );
    expect_malformed(
        "python-poetry-lock/osv-scalibr/not-toml.txt",
        "/app/poetry.lock",
        Some(1),
    );
}

#[test]
fn uv_lock_skips_the_projects_own_packages() {
    expect(
        "python-uv-lock/trivy/uv_normal.lock",
        "/app/uv.lock",
        &[
            ("anyio", "4.7.0"),
            ("certifi", "2024.12.14"),
            ("charset-normalizer", "3.4.0"),
            ("colorama", "0.4.6"),
            ("exceptiongroup", "1.2.2"),
            ("h11", "0.14.0"),
            ("httpcore", "1.0.7"),
            ("httpx", "0.28.1"),
            ("idna", "3.10"),
            ("iniconfig", "2.0.0"),
            ("orjson", "3.10.12"),
            ("packaging", "24.2"),
            ("pluggy", "1.5.0"),
            ("pytest", "8.3.4"),
            ("requests", "2.32.0"),
            ("sniffio", "1.3.1"),
            ("socksio", "1.0.0"),
            ("tomli", "2.2.1"),
            ("typing-extensions", "4.12.2"),
            ("urllib3", "2.2.3"),
        ],
    );
    expect(
        "python-uv-lock/trivy/uv_multiple_roots.lock",
        "/app/uv.lock",
        &[("asyncio", "3.4.3")],
    );
    expect(
        "python-uv-lock/osv-scalibr/no-dependencies.lock",
        "/app/uv.lock",
        &[],
    );
    expect(
        "python-uv-lock/osv-scalibr/source-git.lock",
        "/app/uv.lock",
        &[("ruff", "0.8.1")],
    );
    expect_malformed(
        "python-uv-lock/osv-scalibr/not-toml.txt",
        "/app/uv.lock",
        Some(1),
    );
}

#[test]
fn pdm_lock() {
    let text = b"# pdm\n[metadata]\ngroups = [\"default\", \"dev\"]\n\n[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\ngroups = [\"default\"]\n\n[[package]]\nname = \"pytest\"\nversion = \"8.0.0\"\ngroups = [\"dev\"]\n";
    let (pkgs, _) = detect_bytes(text, "/app/pdm.lock").unwrap();
    assert_eq!(
        names(&pkgs),
        owned(&[("requests", "2.31.0"), ("pytest", "8.0.0")])
    );
    let input = strata_catalog::DetectInput {
        path: "/app/pdm.lock",
        contents: text,
        distro: None,
    };
    let (entries, _) = strata_catalog::lang::detect_entries(&input)
        .unwrap()
        .unwrap();
    let dev: Vec<Option<bool>> = entries.iter().map(|e| e.dev).collect();
    assert_eq!(dev, [Some(false), Some(true)]);
}

/// Pipfile.lock expectations: `default` then `develop`, each in key order, `==` stripped,
/// duplicates once, with Python's `json`.
#[test]
fn pipfile_lock() {
    expect(
        "python-pipfile-lock/trivy/Pipfile_django.lock",
        "/app/Pipfile.lock",
        &[
            ("certifi", "2019.3.9"),
            ("chardet", "3.0.4"),
            ("django", "2.2"),
            ("djangorestframework", "3.9.3"),
            ("idna", "2.8"),
            ("pytz", "2019.1"),
            ("pyyaml", "5.1"),
            ("requests", "2.21.0"),
            ("sqlparse", "0.3.0"),
            ("urllib3", "1.24.2"),
        ],
    );
    expect(
        "python-pipfile-lock/osv-scalibr/multiple-packages.json",
        "/app/Pipfile.lock",
        &[
            ("itsdangerous", "2.1.2"),
            ("markupsafe", "2.1.1"),
            ("pluggy", "1.0.1"),
            ("pluggy", "1.0.0"),
        ],
    );
    let Some((_, warnings)) = expect(
        "python-pipfile-lock/osv-scalibr/no-version.json",
        "/app/Pipfile.lock",
        &[],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        [
            "/app/Pipfile.lock: default.markupsafe: no pinned `==` version (git or path dependency); skipped",
            "/app/Pipfile.lock: develop.itsdangerous: no pinned `==` version (git or path dependency); skipped",
        ]
    );
    expect(
        "python-pipfile-lock/osv-scalibr/empty-file",
        "/app/Pipfile.lock",
        &[],
    );
    expect_malformed(
        "python-pipfile-lock/osv-scalibr/not-json.txt",
        "/app/Pipfile.lock",
        Some(1),
    );
}
