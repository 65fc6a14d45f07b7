//! Gemfile.lock and installed gemspecs.

use super::{detect_bytes, expect, expect_malformed, names, owned};

/// Expectations: the four-space-indented `name (version)` lines of the `specs:` of the
/// GEM, GIT and PATH sections, platform suffix dropped (a Python loop over the lines).
#[test]
fn gemfile_lock() {
    let Some((pkgs, _)) = expect(
        "ruby-gemfile-lock/osv-scalibr/rails.lock",
        "/app/Gemfile.lock",
        &[
            ("actioncable", "7.0.2.2"),
            ("actionmailbox", "7.0.2.2"),
            ("actionmailer", "7.0.2.2"),
            ("actionpack", "7.0.2.2"),
            ("actiontext", "7.0.2.2"),
            ("actionview", "7.0.2.2"),
            ("activejob", "7.0.2.2"),
            ("activemodel", "7.0.2.2"),
            ("activerecord", "7.0.2.2"),
            ("activestorage", "7.0.2.2"),
            ("activesupport", "7.0.2.2"),
            ("builder", "3.2.4"),
            ("concurrent-ruby", "1.1.9"),
            ("crass", "1.0.6"),
            ("digest", "3.1.0"),
            ("erubi", "1.10.0"),
            ("globalid", "1.0.0"),
            ("i18n", "1.10.0"),
            ("io-wait", "0.2.1"),
            ("loofah", "2.14.0"),
            ("mail", "2.7.1"),
            ("marcel", "1.0.2"),
            ("method_source", "1.0.0"),
            ("mini_mime", "1.1.2"),
            ("minitest", "5.15.0"),
            ("net-imap", "0.2.3"),
            ("net-pop", "0.1.1"),
            ("net-protocol", "0.1.2"),
            ("net-smtp", "0.3.1"),
            ("nio4r", "2.5.8"),
            ("nokogiri", "1.13.3"),
            ("racc", "1.6.0"),
            ("rack", "2.2.3"),
            ("rack-test", "1.1.0"),
            ("rails", "7.0.2.2"),
            ("rails-dom-testing", "2.0.3"),
            ("rails-html-sanitizer", "1.4.2"),
            ("railties", "7.0.2.2"),
            ("rake", "13.0.6"),
            ("strscan", "3.0.1"),
            ("thor", "1.2.1"),
            ("timeout", "0.2.0"),
            ("tzinfo", "2.0.4"),
            ("websocket-driver", "0.7.5"),
            ("websocket-extensions", "0.1.5"),
            ("zeitwerk", "2.5.4"),
        ],
    ) else {
        return;
    };
    assert_eq!(pkgs[0].purl, "pkg:gem/actioncable@7.0.2.2");
    expect(
        "ruby-gemfile-lock/trivy/Gemfile_bundler2.lock",
        "/app/Gemfile.lock",
        &[
            ("coderay", "1.1.3"),
            ("concurrent-ruby", "1.1.10"),
            ("dotenv", "2.7.6"),
            ("faker", "2.21.0"),
            ("i18n", "1.10.0"),
            ("json", "2.6.2"),
            ("method_source", "1.0.0"),
            ("pry", "0.14.1"),
        ],
    );
    expect(
        "ruby-gemfile-lock/osv-scalibr/source-section-at-end.lock",
        "/app/Gemfile.lock",
        &[("ast", "2.4.2")],
    );
    expect(
        "ruby-gemfile-lock/osv-scalibr/no-gem-section.lock",
        "/app/Gemfile.lock",
        &[],
    );
}

#[test]
fn gemfile_lock_git_and_path_gems_are_included_with_a_note() {
    let Some((_, warnings)) = expect(
        "ruby-gemfile-lock/osv-scalibr/has-git-gem.lock",
        "/app/Gemfile.lock",
        &[
            ("hanami-controller", "2.0.0.alpha1"),
            ("hanami-utils", "2.0.0.alpha1"),
            ("concurrent-ruby", "1.1.7"),
            ("rack", "2.2.3"),
            ("transproc", "1.1.1"),
        ],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        [
            "/app/Gemfile.lock:6: hanami-controller 2.0.0.alpha1 comes from a GIT source; included",
            "/app/Gemfile.lock:15: hanami-utils 2.0.0.alpha1 comes from a GIT source; included",
        ]
    );
    expect(
        "ruby-gemfile-lock/osv-scalibr/has-local-gem.lock",
        "/app/Gemfile.lock",
        &[
            ("backbone-on-rails", "1.2.0.0"),
            ("actionpack", "7.0.2.2"),
            ("actionview", "7.0.2.2"),
            ("activesupport", "7.0.2.2"),
            ("builder", "3.2.4"),
            ("coffee-script", "2.4.1"),
            ("coffee-script-source", "1.12.2"),
            ("concurrent-ruby", "1.1.9"),
            ("crass", "1.0.6"),
            ("eco", "1.0.0"),
            ("eco-source", "1.1.0.rc.1"),
            ("ejs", "1.1.1"),
            ("erubi", "1.10.0"),
            ("execjs", "2.8.1"),
            ("i18n", "1.10.0"),
            ("jquery-rails", "4.4.0"),
            ("loofah", "2.14.0"),
            ("method_source", "1.0.0"),
            ("minitest", "5.15.0"),
            ("nokogiri", "1.13.3"),
            ("racc", "1.6.0"),
            ("rack", "2.2.3"),
            ("rack-test", "1.1.0"),
            ("rails-dom-testing", "2.0.3"),
            ("rails-html-sanitizer", "1.4.2"),
            ("railties", "7.0.2.2"),
            ("rake", "13.0.6"),
            ("thor", "1.2.1"),
            ("tzinfo", "2.0.4"),
            ("zeitwerk", "2.5.4"),
        ],
    );
}

#[test]
fn gemfile_lock_malformed() {
    let Some((_, warnings)) = expect(
        "ruby-gemfile-lock/osv-scalibr/invalid.lock",
        "/app/Gemfile.lock",
        &[],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        ["/app/Gemfile.lock:4: spec `invalid-name` has no version; skipped"]
    );
    expect_malformed(
        "ruby-gemfile-lock/trivy/Gemfile_malformed.lock",
        "/app/Gemfile.lock",
        None,
    );
    let r = detect_bytes(b"GEM\n  specs:\n    a (1.0\n", "/app/Gemfile.lock");
    assert!(
        matches!(
            r,
            Err(strata_catalog::DetectError::Malformed { line: Some(3), .. })
        ),
        "{r:?}"
    );
}

#[test]
fn installed_gemspec() {
    let spec = b"# -*- encoding: utf-8 -*-\n# stub: rack 2.2.3 ruby lib\n\nGem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.3\"\n  s.licenses = [\"MIT\".freeze]\n  s.summary = \"a = b\".freeze\nend\n";
    let path = "/usr/local/bundle/specifications/rack-2.2.3.gemspec";
    let (pkgs, _) = detect_bytes(spec, path).unwrap();
    assert_eq!(names(&pkgs), owned(&[("rack", "2.2.3")]));
    assert_eq!(pkgs[0].purl, "pkg:gem/rack@2.2.3");
    assert_eq!(pkgs[0].licenses, ["MIT"]);
    let r = detect_bytes(
        b"Gem::Specification.new do |s|\n  s.name = NAME\nend\n",
        path,
    );
    assert!(
        matches!(r, Err(strata_catalog::DetectError::Malformed { .. })),
        "{r:?}"
    );
}
