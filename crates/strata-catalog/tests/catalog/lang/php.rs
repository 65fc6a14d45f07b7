//! composer.lock and vendor/composer/installed.json.

use super::{detect_bytes, expect, expect_malformed, names, owned};

/// Expectations: `[(p['name'], p['version']) for p in d['packages'] + d['packages-dev']]`
/// with Python's `json`.
#[test]
fn composer_lock() {
    let Some((pkgs, _)) = expect(
        "php-composer-lock/trivy/composer_happy.lock",
        "/app/composer.lock",
        &[
            ("guzzlehttp/guzzle", "6.5.8"),
            ("guzzlehttp/promises", "1.5.2"),
            ("guzzlehttp/psr7", "1.9.0"),
            ("psr/http-message", "1.0.1"),
            ("ralouphie/getallheaders", "3.0.3"),
            ("symfony/polyfill-intl-idn", "v1.27.0"),
            ("symfony/polyfill-intl-normalizer", "v1.27.0"),
            ("symfony/polyfill-php72", "v1.27.0"),
            ("pear/log", "1.13.3"),
            ("pear/pear_exception", "v1.0.2"),
        ],
    ) else {
        return;
    };
    assert_eq!(
        pkgs[5].purl,
        "pkg:composer/symfony/polyfill-intl-idn@v1.27.0"
    );
    assert_eq!(pkgs[7].licenses, ["MIT or BSD-2-Clause"]);
    expect(
        "php-composer-lock/osv-scalibr/drupal-packages.json",
        "/app/composer.lock",
        &[
            ("drupal/core", "10.4.5"),
            ("drupal/tfa", "2.0.0-alpha4"),
            ("theseer/tokenizer", "1.1.3"),
            ("drupal/field_time", "1.0.0-beta5"),
        ],
    );
    expect(
        "php-composer-lock/osv-scalibr/one-package-dev.json",
        "/app/composer.lock",
        &[("sentry/sdk", "2.0.4")],
    );
    expect(
        "php-composer-lock/osv-scalibr/empty.json",
        "/app/composer.lock",
        &[],
    );
    expect_malformed(
        "php-composer-lock/osv-scalibr/not-json.txt",
        "/app/composer.lock",
        Some(1),
    );
    expect_malformed(
        "php-composer-lock/osv-scalibr/null.jsontest",
        "/app/composer.lock",
        Some(1),
    );
}

#[test]
fn installed_json_v1_and_v2() {
    let v1 = br#"[{"name": "Monolog/Monolog", "version": "1.27.1", "license": ["MIT"]}]"#;
    let path = "/var/www/vendor/composer/installed.json";
    let (pkgs, _) = detect_bytes(v1, path).unwrap();
    assert_eq!(names(&pkgs), owned(&[("Monolog/Monolog", "1.27.1")]));
    assert_eq!(pkgs[0].purl, "pkg:composer/monolog/monolog@1.27.1");
    assert_eq!(pkgs[0].licenses, ["MIT"]);

    let v2 = br#"{"packages": [{"name": "a/b", "version": "v2.0.0"}, {"name": "c/d", "version": "1.0.0"}], "dev": true, "dev-package-names": ["c/d"]}"#;
    let input = strata_catalog::DetectInput {
        path,
        contents: v2,
        distro: None,
    };
    let (entries, _) = strata_catalog::lang::detect_entries(&input)
        .unwrap()
        .unwrap();
    let got: Vec<_> = entries
        .iter()
        .map(|e| (e.name.as_str(), e.version.as_str(), e.dev))
        .collect();
    assert_eq!(
        got,
        [("a/b", "v2.0.0", Some(false)), ("c/d", "1.0.0", Some(true))]
    );

    let r = detect_bytes(b"{\"packages\": 3}", path);
    assert!(
        matches!(
            r,
            Err(strata_catalog::DetectError::Malformed { line: Some(1), .. })
        ),
        "{r:?}"
    );
}
