use strata_policy::edit::{NewException, add_exception};
use strata_policy::{Context, Date, FileKind, PolicyError, evaluate, parse_vex, policy};
use strata_types::{
    DatabaseInfo, Finding, FixState, Location, Package, PackageType, ScanReport, Severity,
    SuppressedBy, Target, TargetKind, Tool,
};

fn pkg(ty: PackageType, name: &str, version: &str, purl: &str, path: &str) -> Package {
    Package {
        package_type: ty,
        name: name.into(),
        version: version.into(),
        arch: None,
        source_name: None,
        source_version: None,
        licenses: vec![],
        purl: purl.into(),
        layer_diff_id: None,
        locations: vec![Location {
            path: path.into(),
            layer_diff_id: None,
        }],
        rpm: None,
        dev: false,
    }
}

fn finding(id: &str, sev: Severity, fix: FixState, package: Package) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec![format!("GHSA-{id}")],
        advisories: vec![id.into()],
        installed_version: package.version.clone(),
        package,
        fix_state: fix,
        fixed_versions: vec![],
        severity: sev,
        severity_source: "test".into(),
        cvss: vec![],
        summary: None,
        references: vec![],
        known_exploited: false,
        kev_date_added: None,
        epss: None,
        fix_published: Some("2026-01-01T00:00:00Z".into()),
        suppressed: None,
        vex: None,
        gate_failure: None,
    }
}

fn npm() -> Package {
    pkg(
        PackageType::Npm,
        "lodash",
        "4.17.11",
        "pkg:npm/lodash@4.17.11",
        "/app/node_modules/lodash/package.json",
    )
}
fn deb() -> Package {
    pkg(
        PackageType::Deb,
        "openssl",
        "3.0.11-1",
        "pkg:deb/debian/openssl@3.0.11-1?arch=amd64",
        "/var/lib/dpkg/status",
    )
}

fn report(findings: Vec<Finding>) -> ScanReport {
    let mut target = Target::new("registry.example.com/app:1.2", TargetKind::Registry);
    target.repo_tags = vec!["registry.example.com/app:1.2".into()];
    ScanReport {
        schema_version: "1.0".into(),
        sbom: strata_types::Sbom::new(Tool::new("strata", "0"), target, "2026-01-01T00:00:00Z"),
        database: DatabaseInfo {
            generation: 1,
            built_at: "x".into(),
            records: 1,
        },
        findings,
        policy: None,
    }
}

fn run(yaml: &str, findings: Vec<Finding>, today: &str) -> ScanReport {
    let p = policy::parse(yaml, "strata.yaml", FileKind::Policy).unwrap();
    let mut r = report(findings);
    let ctx = Context::for_report(&r, Date::parse(today).unwrap());
    r.policy = Some(evaluate(&mut r, &p, &[], &ctx));
    r
}

fn failing(r: &ScanReport) -> Vec<&str> {
    r.findings
        .iter()
        .filter(|f| f.gate_failure.is_some())
        .map(|f| f.id.as_str())
        .collect()
}

#[test]
fn gate_rules() {
    use FixState::*;
    use Severity::*;
    let kev = |mut f: Finding| {
        f.known_exploited = true;
        f
    };
    let no_date = |mut f: Finding| {
        f.fix_published = None;
        f
    };
    // (policy, findings, today, failing ids, passed)
    type Case = (
        &'static str,
        &'static str,
        Vec<Finding>,
        &'static str,
        Vec<&'static str>,
        bool,
    );
    let cases: Vec<Case> = vec![
        (
            "no gate",
            "",
            vec![finding("A", Critical, Fixed, npm())],
            "2026-02-01",
            vec![],
            true,
        ),
        (
            "fail_on at",
            "fail_on: high",
            vec![
                finding("A", High, Fixed, npm()),
                finding("B", Medium, Fixed, npm()),
            ],
            "2026-02-01",
            vec!["A"],
            false,
        ),
        (
            "unknown ranks lowest",
            "fail_on: unknown",
            vec![finding("A", Unknown, NotFixed, npm())],
            "2026-02-01",
            vec!["A"],
            false,
        ),
        (
            "only_fixed skips unfixed",
            "fail_on: high\nonly_fixed: true",
            vec![
                finding("A", High, NotFixed, npm()),
                finding("B", High, Fixed, npm()),
            ],
            "2026-02-01",
            vec!["B"],
            false,
        ),
        (
            "grace running",
            "fail_on: high\ngrace_days: 30",
            vec![finding("A", High, Fixed, npm())],
            "2026-01-31",
            vec![],
            true,
        ),
        (
            "grace over",
            "fail_on: high\ngrace_days: 30",
            vec![finding("A", High, Fixed, npm())],
            "2026-02-01",
            vec!["A"],
            false,
        ),
        (
            "grace, no fix",
            "fail_on: high\ngrace_days: 30",
            vec![finding("A", High, NotFixed, npm())],
            "2027-01-01",
            vec![],
            true,
        ),
        (
            "grace, unknown date fails",
            "fail_on: high\ngrace_days: 30",
            vec![no_date(finding("A", High, Fixed, npm()))],
            "2026-01-02",
            vec!["A"],
            false,
        ),
        (
            "kev fails below threshold",
            "fail_on: critical",
            vec![kev(finding("A", Low, NotFixed, npm()))],
            "2026-02-01",
            vec!["A"],
            false,
        ),
        (
            "kev ignore",
            "fail_on: critical\nkev: ignore",
            vec![kev(finding("A", Low, NotFixed, npm()))],
            "2026-02-01",
            vec![],
            true,
        ),
        (
            "rule by ecosystem",
            "fail_on: high\nrules:\n  - match: {ecosystem: deb}\n    fail_on: critical",
            vec![
                finding("A", High, Fixed, deb()),
                finding("B", High, Fixed, npm()),
            ],
            "2026-02-01",
            vec!["B"],
            false,
        ),
        (
            "rule by os",
            "fail_on: high\nrules:\n  - match: {ecosystem: os}\n    ignore: true",
            vec![finding("A", Critical, Fixed, deb())],
            "2026-02-01",
            vec![],
            true,
        ),
        (
            "rule by path",
            "fail_on: critical\nrules:\n  - match: {path: \"app/**\"}\n    fail_on: medium",
            vec![
                finding("A", Medium, Fixed, npm()),
                finding("B", High, Fixed, deb()),
            ],
            "2026-02-01",
            vec!["A"],
            false,
        ),
        (
            "rule by purl",
            "fail_on: low\nrules:\n  - match: {purl: \"pkg:deb/debian/*\"}\n    only_fixed: true",
            vec![
                finding("A", Low, NotFixed, deb()),
                finding("B", Low, NotFixed, npm()),
            ],
            "2026-02-01",
            vec!["B"],
            false,
        ),
        (
            "first rule wins",
            "fail_on: low\nrules:\n  - match: {ecosystem: npm}\n    fail_on: critical\n  - match: {ecosystem: npm}\n    fail_on: low",
            vec![finding("A", High, Fixed, npm())],
            "2026-02-01",
            vec![],
            true,
        ),
        (
            "max within",
            "max: {high: 2}",
            vec![
                finding("A", High, Fixed, npm()),
                finding("B", High, Fixed, deb()),
            ],
            "2026-02-01",
            vec![],
            true,
        ),
        (
            "max exceeded",
            "max: {high: 1}",
            vec![
                finding("A", High, Fixed, npm()),
                finding("B", High, Fixed, deb()),
            ],
            "2026-02-01",
            vec![],
            false,
        ),
    ];
    for (name, yaml, findings, today, want, passed) in cases {
        let r = run(yaml, findings, today);
        assert_eq!(failing(&r), want, "{name}");
        assert_eq!(
            r.policy.as_ref().unwrap().passed,
            passed,
            "{name}: {:?}",
            r.policy
        );
    }
}

const EXC: &str = "    justification: accepted\n    approved_by: alice\n    ticket: SEC-1\n";

#[test]
fn exception_scopes_expiry_and_staleness() {
    use Severity::High;
    let cases: Vec<(&str, String, &str, bool, bool, bool)> = vec![
        // (name, exception keys, today, suppressed, expired, stale)
        (
            "by id",
            "  - id: A\n".into(),
            "2026-02-01",
            true,
            false,
            false,
        ),
        (
            "by alias, any case",
            "  - id: ghsa-a\n".into(),
            "2026-02-01",
            true,
            false,
            false,
        ),
        (
            "other id is stale",
            "  - id: Z\n".into(),
            "2026-02-01",
            false,
            false,
            true,
        ),
        (
            "purl scope hit",
            "  - id: A\n    purl: pkg:npm/lodash\n".into(),
            "2026-02-01",
            true,
            false,
            false,
        ),
        (
            "purl scope with version",
            "  - id: A\n    purl: \"pkg:npm/lodash@4.17.11\"\n".into(),
            "2026-02-01",
            true,
            false,
            false,
        ),
        (
            "purl scope miss",
            "  - id: A\n    purl: pkg:npm/underscore\n".into(),
            "2026-02-01",
            false,
            false,
            true,
        ),
        (
            "path scope",
            "  - id: A\n    path: \"app/**\"\n".into(),
            "2026-02-01",
            true,
            false,
            false,
        ),
        (
            "path scope miss",
            "  - id: A\n    path: \"srv/**\"\n".into(),
            "2026-02-01",
            false,
            false,
            true,
        ),
        (
            "image name",
            "  - id: A\n    image: registry.example.com/app\n".into(),
            "2026-02-01",
            true,
            false,
            false,
        ),
        (
            "image tag",
            "  - id: A\n    image: \"registry.example.com/app:1.2\"\n".into(),
            "2026-02-01",
            true,
            false,
            false,
        ),
        (
            "other image",
            "  - id: A\n    image: registry.example.com/other\n".into(),
            "2026-02-01",
            false,
            false,
            true,
        ),
        (
            "last day applies",
            "  - id: A\n".into(),
            "2026-06-30",
            true,
            false,
            false,
        ),
        (
            "expired",
            "  - id: A\n".into(),
            "2026-07-01",
            false,
            true,
            false,
        ),
    ];
    for (name, keys, today, suppressed, expired, stale) in cases {
        let yaml = format!("fail_on: high\nexceptions:\n{keys}{EXC}    expires: 2026-06-30\n");
        let r = run(
            &yaml,
            vec![finding("A", High, FixState::Fixed, npm())],
            today,
        );
        let f = &r.findings[0];
        let p = r.policy.as_ref().unwrap();
        assert_eq!(f.suppressed.is_some(), suppressed, "{name}");
        assert_eq!(f.gate_failure.is_some(), !suppressed, "{name}");
        assert_eq!(!p.expired_exceptions.is_empty(), expired, "{name}");
        assert_eq!(!p.stale_exceptions.is_empty(), stale, "{name}");
        if expired {
            assert!(
                f.gate_failure
                    .as_ref()
                    .unwrap()
                    .contains("expired on 2026-06-30"),
                "{name}"
            );
        }
        if let Some(s) = &f.suppressed {
            assert_eq!(s.by, SuppressedBy::Exception);
            assert_eq!(s.approved_by.as_deref(), Some("alice"));
            assert_eq!(s.source.as_deref(), Some("strata.yaml:3:5"), "{name}");
        }
    }
}

fn invalid(yaml: &str) -> (usize, usize, String, String) {
    match policy::parse(yaml, "p.yaml", FileKind::Policy) {
        Err(PolicyError::Invalid {
            line,
            col,
            message,
            hint,
            ..
        }) => (line, col, message, hint),
        other => panic!("{yaml:?}: {other:?}"),
    }
}

#[test]
fn policy_errors_have_positions_and_hints() {
    for (yaml, line, col, msg, hint) in [
        (
            "fail_on: high\nonly_fixd: true\n",
            2,
            1,
            "unknown key `only_fixd`",
            "did you mean `only_fixed`",
        ),
        (
            "fail_on: hihg\n",
            1,
            10,
            "unknown severity",
            "critical, high",
        ),
        ("grace_days: -1\n", 1, 13, "whole number", "grace_days: 30"),
        ("only_fixed: yes\n", 1, 13, "true or false", ""),
        ("kev: block\n", 1, 6, "not an action", "kev: fail"),
        ("rules:\n  - fail_on: low\n", 2, 5, "needs `match:`", ""),
        ("rules:\n  - match: {}\n", 2, 12, "names nothing", ""),
        (
            "rules:\n  - match: {purl: npm/x}\n",
            2,
            19,
            "does not start with `pkg:`",
            "",
        ),
        (
            "exceptions:\n  - id: A\n",
            2,
            5,
            "needs `justification`",
            "",
        ),
        (
            "exceptions:\n  - id: A\n    justification: j\n    approved_by: a\n    ticket: t\n    expires: 2026-02-30\n",
            6,
            14,
            "is not a date",
            "YYYY-MM-DD",
        ),
        ("a: [\n", 2, 1, "invalid YAML", ""),
        ("- 1\n", 1, 1, "must be a mapping", ""),
        (
            "fail_on: high\n---\nfail_on: low\n",
            3,
            1,
            "more than one YAML document",
            "",
        ),
    ] {
        let (l, c, m, h) = invalid(yaml);
        assert_eq!((l, c), (line, col), "{yaml:?}: {m}");
        assert!(m.contains(msg), "{yaml:?}: {m}");
        assert!(h.contains(hint), "{yaml:?}: {h}");
    }
    // Only `exceptions:` in an exceptions file.
    let e = policy::parse("fail_on: high\n", "e.yaml", FileKind::Exceptions).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("e.yaml:1:1: unknown key `fail_on`"),
        "{e}"
    );
}

#[test]
fn add_keeps_comments_and_layout() {
    let e = NewException {
        id: "CVE-2024-1".into(),
        justification: "not \"reachable\": ok".into(),
        approved_by: "alice".into(),
        ticket: "SEC-9".into(),
        expires: Date::parse("2026-12-31").unwrap(),
        purl: Some("pkg:npm/lodash".into()),
        path: None,
        image: None,
    };
    for (name, before) in [
        ("new file", None),
        ("no exceptions key", Some("# gate\nfail_on: high\n")),
        (
            "empty list",
            Some("fail_on: high\nexceptions:\n# none yet\n"),
        ),
        (
            "list then key",
            Some(
                "exceptions:\n  # first\n  - id: A\n    justification: j\n    approved_by: a\n    ticket: t\n    expires: 2026-01-01\n\n# the gate\nfail_on: high\n",
            ),
        ),
        (
            "unindented list",
            Some(
                "exceptions:\n- id: A\n  justification: j\n  approved_by: a\n  ticket: t\n  expires: 2026-01-01\n",
            ),
        ),
        ("no final newline", Some("fail_on: high")),
    ] {
        let out = add_exception(before, "x.yaml", &e).unwrap();
        let p = policy::parse(&out, "x.yaml", FileKind::Policy).unwrap();
        let added = p.exceptions.last().unwrap();
        assert_eq!(added.id, "CVE-2024-1", "{name}");
        assert_eq!(added.justification, "not \"reachable\": ok", "{name}");
        assert_eq!(added.purl.as_deref(), Some("pkg:npm/lodash"), "{name}");
        for line in before.unwrap_or_default().lines() {
            assert!(out.contains(line), "{name}: lost {line:?}\n{out}");
        }
        if let Some(b) = before
            && b.contains("fail_on")
        {
            assert!(p.defaults.fail_on.is_some(), "{name}");
        }
    }
    assert!(add_exception(Some("exceptions: [{id: A}]\n"), "x.yaml", &e).is_err());
    assert!(add_exception(Some("fail_on: [\n"), "x.yaml", &e).is_err());
}

fn data() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("STRATA_TEST_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"))
        });
    if dir.is_dir() {
        Some(dir)
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "test data missing under CI: {}",
            dir.display()
        );
        eprintln!("skipping: no test data at {}", dir.display());
        None
    }
}

/// One file out of the vunnel fixture tarball.
fn vunnel_file(path: &str) -> Option<String> {
    let tar = data()?.join("vulndb/distro/vunnel-provider-fixtures.tar.zst");
    let f = std::fs::File::open(tar).unwrap();
    let mut archive = tar_reader(zstd_reader(f));
    archive(path)
}

fn zstd_reader(f: std::fs::File) -> Vec<u8> {
    let out = std::process::Command::new("zstd")
        .args(["-dc"])
        .stdin(f)
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

fn tar_reader(bytes: Vec<u8>) -> impl FnMut(&str) -> Option<String> {
    move |want: &str| {
        // A minimal ustar walk: enough for the fixture archive.
        let mut off = 0;
        let mut long_name: Option<String> = None;
        while off + 512 <= bytes.len() {
            let h = &bytes[off..off + 512];
            if h.iter().all(|b| *b == 0) {
                return None;
            }
            let field = |r: std::ops::Range<usize>| {
                String::from_utf8_lossy(&h[r])
                    .trim_end_matches('\0')
                    .to_owned()
            };
            let size = usize::from_str_radix(field(124..136).trim(), 8).unwrap_or(0);
            let kind = h[156];
            let name = match long_name.take() {
                Some(n) => n,
                None => {
                    let prefix = field(345..500);
                    let n = field(0..100);
                    if prefix.is_empty() {
                        n
                    } else {
                        format!("{prefix}/{n}")
                    }
                }
            };
            let body = &bytes[off + 512..(off + 512 + size).min(bytes.len())];
            if kind == b'L' {
                long_name = Some(
                    String::from_utf8_lossy(body)
                        .trim_end_matches('\0')
                        .to_owned(),
                );
            } else if name.trim_start_matches("./") == want {
                return Some(String::from_utf8_lossy(body).into_owned());
            }
            off += 512 + size.div_ceil(512) * 512;
        }
        None
    }
}

#[test]
fn vex_formats() {
    let curl = |version: &str, distro: &str| {
        let mut p = pkg(
            PackageType::Deb,
            "curl",
            version,
            &format!("pkg:deb/ubuntu/curl@{version}?arch=amd64&distro={distro}"),
            "/var/lib/dpkg/status",
        );
        p.source_name = None;
        finding("CVE-2023-38545", Severity::High, FixState::Fixed, p)
    };
    let apply = |doc: &strata_policy::VexDocument, mut f: Finding| {
        strata_policy::vex::apply(&mut f, std::slice::from_ref(doc));
        f
    };

    // Real documents: Ubuntu's OpenVEX, Red Hat's CSAF.
    if let Some(text) =
        vunnel_file("tests/unit/providers/ubuntu/test-fixtures/vex/cve/2023/CVE-2023-38545.json")
    {
        let doc = parse_vex(&text, "CVE-2023-38545.json").unwrap();
        assert_eq!(doc.format, "openvex");
        let f = apply(&doc, curl("7.35.0-1ubuntu2.20+esm19", "trusty"));
        let s = f.suppressed.expect("not_affected in trusty esm");
        assert_eq!(s.by, SuppressedBy::Vex);
        assert_eq!(s.reason.as_deref(), Some("vulnerable_code_not_present"));
        let f = apply(&doc, curl("7.81.0-1ubuntu1.24", "jammy"));
        assert!(f.suppressed.is_none());
        assert_eq!(f.vex.unwrap().status, "fixed");
        let f = apply(&doc, curl("7.47.0-1ubuntu2.19", "xenial"));
        assert_eq!(f.vex.unwrap().status, "affected");
        let f = apply(&doc, curl("0.1", "jammy"));
        assert!(f.suppressed.is_none() && f.vex.is_none());
    }
    if let Some(text) = vunnel_file(
        "tests/unit/providers/rhel/test-fixtures/csaf/advisories/2025/rhsa-2025_23414.json",
    ) {
        let doc = parse_vex(&text, "rhsa-2025_23414.json").unwrap();
        assert_eq!(doc.format, "csaf");
        assert_eq!(doc.id, "RHSA-2025:23414");
        let rpm = |name: &str, arch: &str| {
            let purl =
                format!("pkg:rpm/redhat/{name}@9.8.2-0.68.rc1.el6_10.17?arch={arch}&epoch=32");
            finding(
                "CVE-2021-25220",
                Severity::Medium,
                FixState::Fixed,
                pkg(
                    PackageType::Rpm,
                    name,
                    "32:9.8.2-0.68.rc1.el6_10.17",
                    &purl,
                    "/var/lib/rpm/Packages",
                ),
            )
        };
        let f = apply(&doc, rpm("bind-chroot", "i686"));
        let s = f.suppressed.expect("known_not_affected with a flag");
        assert_eq!(s.reason.as_deref(), Some("vulnerable_code_not_present"));
        assert_eq!(s.id, "RHSA-2025:23414");
        let f = apply(&doc, rpm("bind", "x86_64"));
        assert!(f.suppressed.is_none());
        assert_eq!(f.vex.unwrap().status, "fixed");
    }

    // CycloneDX VEX, with a bom-ref and a purl ref.
    let cdx = r#"{"bomFormat": "CycloneDX", "specVersion": "1.6",
      "components": [{"bom-ref": "c1", "name": "lodash", "purl": "pkg:npm/lodash@4.17.11"}],
      "vulnerabilities": [
        {"id": "A", "analysis": {"state": "not_affected", "justification": "code_not_reachable", "detail": "template helpers unused"}, "affects": [{"ref": "c1"}]},
        {"id": "B", "analysis": {"state": "exploitable"}, "affects": [{"ref": "pkg:npm/lodash"}]},
        {"id": "C", "analysis": {"state": "not_affected"}, "affects": [{"ref": "c1"}]}
      ]}"#;
    let doc = parse_vex(cdx, "bom.json").unwrap();
    let f = apply(&doc, finding("A", Severity::High, FixState::Fixed, npm()));
    assert_eq!(
        f.suppressed.unwrap().justification,
        "template helpers unused"
    );
    let f = apply(&doc, finding("B", Severity::High, FixState::Fixed, npm()));
    assert_eq!(f.vex.unwrap().status, "affected");
    // not_affected without a justification annotates but does not suppress.
    let f = apply(&doc, finding("C", Severity::High, FixState::Fixed, npm()));
    assert!(f.suppressed.is_none());
    assert_eq!(f.vex.unwrap().status, "not_affected");
    // Not the same package.
    let f = apply(&doc, finding("A", Severity::High, FixState::Fixed, deb()));
    assert!(f.suppressed.is_none());

    // Statements supersede earlier ones: a later `affected` undoes an earlier
    // `not_affected`, in one document and across documents given in order.
    let vex = |statements: &str| {
        format!(
            r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "doc", "statements": [{statements}]}}"#
        )
    };
    let not_affected = r#"{"vulnerability": {"name": "A"}, "products": [{"@id": "pkg:npm/lodash@4.17.11"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}"#;
    let affected = r#"{"vulnerability": {"name": "A"}, "products": [{"@id": "pkg:npm/lodash@4.17.11"}], "status": "affected", "action_statement": "upgrade"}"#;
    let both = parse_vex(&vex(&format!("{not_affected},{affected}")), "v.json").unwrap();
    let f = apply(&both, finding("A", Severity::High, FixState::Fixed, npm()));
    assert!(
        f.suppressed.is_none(),
        "the later affected statement decides"
    );
    assert_eq!(f.vex.unwrap().status, "affected");
    let reversed = parse_vex(&vex(&format!("{affected},{not_affected}")), "v.json").unwrap();
    let f = apply(
        &reversed,
        finding("A", Severity::High, FixState::Fixed, npm()),
    );
    assert_eq!(
        f.suppressed.unwrap().reason.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    let first = parse_vex(&vex(not_affected), "first.json").unwrap();
    let second = parse_vex(&vex(affected), "second.json").unwrap();
    let mut f = finding("A", Severity::High, FixState::Fixed, npm());
    strata_policy::vex::apply(&mut f, &[first, second]);
    assert!(f.suppressed.is_none(), "the later document decides");

    for (text, line, col, msg) in [
        (
            "{\"bomFormat\": \"CycloneDX\", \"vulnerabilities\": [{\"id\": \"A\", \"analysis\": {\"state\": \"nope\"}}]}",
            1,
            82,
            "unknown analysis state",
        ),
        (
            "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"statements\": [{\"status\": \"fixed\"}]}",
            1,
            62,
            "needs `vulnerability`",
        ),
        (
            "{\"document\": {\"category\": \"csaf_vex\"}}",
            1,
            1,
            "needs `vulnerabilities`",
        ),
        ("[1,", 1, 3, "invalid JSON"),
        (
            "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"statements\": [{\"vulnerability\": \"A\", \"status\": \"not_affected\",\n \"justification\": \"we_checked\"}]}",
            2,
            19,
            "unknown OpenVEX justification \"we_checked\"",
        ),
        (
            "{\"bomFormat\": \"CycloneDX\", \"vulnerabilities\": [{\"id\": \"A\", \"analysis\": {\"state\": \"not_affected\", \"justification\": \"trust_me\"}}]}",
            1,
            115,
            "unknown CycloneDX analysis justification",
        ),
    ] {
        match parse_vex(text, "v.json") {
            Err(PolicyError::Invalid {
                line: l,
                col: c,
                message,
                ..
            }) => {
                assert!(message.contains(msg), "{text}: {message}");
                assert_eq!((l, c), (line, col), "{text}: {message}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn fuzz_entry_points_survive_garbage() {
    for s in [
        "",
        "\u{0}",
        "exceptions: [",
        "- - - -",
        "{\"@context\":\"openvex\",\"statements\":[{}]}",
        &"[".repeat(500),
    ] {
        strata_policy::fuzz_policy(s.as_bytes());
        strata_policy::fuzz_vex(s.as_bytes());
    }
}
