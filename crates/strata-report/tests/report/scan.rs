//! Scan report formats: SARIF 2.1.0 and CycloneDX 1.6 validated against the official
//! schemas, and the properties code scanning, CycloneDX consumers and pull-request
//! readers rely on.

use std::collections::{BTreeSet, HashSet};

use jsonschema::error::ValidationErrorKind;
use serde_json::{Value, json};
use strata_report::{ScanFormat, write_scan_markdown_with};
use strata_types::{
    Cvss, Finding, FixState, Location, PackageType, ScanReport, Severity, Target, TargetKind,
};

use crate::schema::{
    Rng, assert_valid, cyclonedx_validator, errors, gitlab_validator, random_sbom, random_string,
    sarif_validator,
};
use crate::{fixture, render_scan, render_scan_json};

/// The fixture plus variants that take other code paths: no findings, a directory whose
/// packages have no files (SARIF falls back to the target), findings with nothing but an
/// id.
fn variants() -> Vec<ScanReport> {
    let full = fixture::scan_report();
    let mut none = full.clone();
    none.findings.clear();
    let mut bare = full.clone();
    bare.sbom.target = Target::new("dir:/srv/app root", TargetKind::Dir);
    bare.sbom.distro = None;
    for p in &mut bare.sbom.packages {
        p.locations.clear();
    }
    for f in &mut bare.findings {
        f.package.locations.clear();
        f.cvss.clear();
        f.summary = None;
        f.aliases.clear();
        f.references.clear();
        f.severity_source = "none".to_owned();
    }
    let mut sbom_target = bare.clone();
    sbom_target.sbom.target = Target::new("sbom:/tmp/bom.json", TargetKind::Sbom);
    vec![full, none, bare, sbom_target, gated()]
}

/// The fixture after a policy ran: one finding suppressed by an exception, one by VEX,
/// one annotated by VEX, one failing the gate, and expired and stale exceptions.
fn gated() -> ScanReport {
    use strata_types::{ExceptionNote, PolicyOutcome, SuppressedBy, Suppression, VexNote};
    let mut r = fixture::scan_report();
    let note = |id: &str| ExceptionNote {
        id: id.to_owned(),
        source: "strata.yaml:12:5".to_owned(),
        expires: Some("2026-06-30".to_owned()),
        approved_by: Some("sec-team@example.com".to_owned()),
        ticket: Some("SEC-42".to_owned()),
    };
    if let Some(f) = r.findings.get_mut(0) {
        f.suppressed = Some(Suppression {
            by: SuppressedBy::Exception,
            id: f.id.clone(),
            source: Some("strata.yaml:12:5".to_owned()),
            reason: None,
            justification: "not reachable: the parser is never given untrusted input".to_owned(),
            approved_by: Some("sec-team@example.com".to_owned()),
            ticket: Some("SEC-42".to_owned()),
            expires: Some("2027-01-31".to_owned()),
        });
    }
    if let Some(f) = r.findings.get_mut(1) {
        f.suppressed = Some(Suppression {
            by: SuppressedBy::Vex,
            id: "https://openvex.dev/docs/example/vex-1".to_owned(),
            source: Some("vex/app.openvex.json".to_owned()),
            reason: Some("vulnerable_code_not_in_execute_path".to_owned()),
            justification: "the vulnerable function is not linked".to_owned(),
            approved_by: None,
            ticket: None,
            expires: None,
        });
    }
    if let Some(f) = r.findings.get_mut(2) {
        f.vex = Some(VexNote {
            status: "under_investigation".to_owned(),
            source: "vex/app.openvex.json".to_owned(),
            detail: Some("triage in progress".to_owned()),
        });
        f.gate_failure = Some("critical at or above fail_on high".to_owned());
    }
    r.policy = Some(PolicyOutcome {
        passed: false,
        policy_file: Some("strata.yaml".to_owned()),
        evaluated_on: "2026-12-04".to_owned(),
        failures: vec!["max: 3 high findings, at most 2 allowed".to_owned()],
        expired_exceptions: vec![note("CVE-2020-0001")],
        stale_exceptions: vec![note("CVE-2019-9999")],
    });
    r
}

#[test]
fn sarif_marks_suppressed_findings() {
    let doc = render_scan_json(&gated(), ScanFormat::Sarif);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 2, "{results:?}");
    for r in suppressed {
        let s = &r["suppressions"][0];
        assert_eq!(s["kind"], "external", "{s}");
        assert_eq!(s["status"], "accepted", "{s}");
        assert!(
            s["justification"].as_str().is_some_and(|j| !j.is_empty()),
            "{s}"
        );
    }
}

#[test]
fn scan_formats_parse_and_print() {
    for f in ScanFormat::ALL {
        assert_eq!(f.as_str().parse::<ScanFormat>().unwrap(), f);
        assert_eq!(f.to_string(), f.as_str());
    }
    let err = "sarif2".parse::<ScanFormat>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown format \"sarif2\"; expected one of: table, json, sarif, cyclonedx, markdown, junit, openvex, gitlab"
    );
    assert!(ScanFormat::Sarif.is_machine_readable());
    assert!(!ScanFormat::Markdown.is_machine_readable());
}

#[test]
fn sarif_matches_the_official_schema() {
    let v = sarif_validator();
    for report in variants() {
        assert_valid(&v, &render_scan_json(&report, ScanFormat::Sarif));
    }
}

#[test]
fn scan_cyclonedx_matches_the_official_schema() {
    let v = cyclonedx_validator();
    for report in variants() {
        assert_valid(&v, &render_scan_json(&report, ScanFormat::CycloneDx));
    }
}

#[test]
fn gitlab_matches_the_official_schema() {
    let v = gitlab_validator();
    for report in variants() {
        assert_valid(&v, &render_scan_json(&report, ScanFormat::Gitlab));
    }
}

#[test]
fn gitlab_schema_rejects_broken_documents() {
    // Proves the validator really checks the vulnerabilities, not just the top level.
    let v = gitlab_validator();
    let good = render_scan_json(&fixture::scan_report(), ScanFormat::Gitlab);
    assert_valid(&v, &good);
    let mut bad = good.clone();
    bad["vulnerabilities"][0]["severity"] = json!("Negligible");
    assert!(!errors(&v, &bad).is_empty());
    let mut bad = good.clone();
    bad["vulnerabilities"][0]["location"]
        .as_object_mut()
        .unwrap()
        .remove("operating_system");
    assert!(!errors(&v, &bad).is_empty());
    let mut bad = good;
    bad["scan"]["start_time"] = json!("2024-05-01T12:00:00Z");
    assert!(!errors(&v, &bad).is_empty());
}

#[test]
fn sarif_schema_rejects_broken_documents() {
    // Proves the validator really checks: a draft-04 schema read wrongly would accept all.
    let v = sarif_validator();
    let good = render_scan_json(&fixture::scan_report(), ScanFormat::Sarif);

    let mut doc = good.clone();
    doc.as_object_mut().unwrap().remove("version");
    let first = v.iter_errors(&doc).next().unwrap();
    assert!(
        matches!(first.kind(), ValidationErrorKind::Required { property } if property == "version"),
        "{first}"
    );

    let mut doc = good.clone();
    doc["runs"][0]["results"][0]["level"] = json!("fatal");
    let first = v.iter_errors(&doc).next().unwrap();
    assert_eq!(first.instance_path().as_str(), "/runs/0/results/0/level");

    let mut doc = good.clone();
    doc["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = json!("not a uri");
    let first = v.iter_errors(&doc).next().unwrap();
    assert_eq!(
        first.instance_path().as_str(),
        "/runs/0/tool/driver/rules/0/helpUri"
    );
    assert!(
        matches!(first.kind(), ValidationErrorKind::Format { .. }),
        "{first}"
    );

    let mut doc = good;
    doc["runs"][0]["results"][0]["message"] = json!({});
    assert!(!errors(&v, &doc).is_empty());
}

#[test]
fn scan_cyclonedx_schema_rejects_broken_ratings() {
    let v = cyclonedx_validator();
    let mut doc = render_scan_json(&fixture::scan_report(), ScanFormat::CycloneDx);
    doc["vulnerabilities"][0]["ratings"][0]["method"] = json!("CVSSv5");
    let first = v.iter_errors(&doc).next().unwrap();
    assert_eq!(
        first.instance_path().as_str(),
        "/vulnerabilities/0/ratings/0/method"
    );
}

const SEVERITIES: [Severity; 6] = Severity::ALL;

fn random_report(rng: &mut Rng) -> ScanReport {
    let mut report = fixture::scan_report();
    report.sbom = random_sbom(rng);
    let states = [FixState::Fixed, FixState::NotFixed, FixState::WontFix];
    let versions = ["2.0", "3.0", "3.1", "4.0", "9.9", ""];
    let packages = report.sbom.packages.clone();
    report.findings = (0..rng.next() % 15)
        .map(|_| {
            let package = if packages.is_empty() || rng.chance() && rng.chance() {
                // A package the SBOM does not list (a caller's mistake must not break
                // the document).
                let mut p = fixture::scan_report().sbom.packages[0].clone();
                p.name = random_string(rng);
                p
            } else {
                rng.pick(&packages).clone()
            };
            let fix_state = *rng.pick(&states);
            Finding {
                id: random_string(rng),
                aliases: (0..rng.next() % 3).map(|_| random_string(rng)).collect(),
                advisories: vec![random_string(rng)],
                installed_version: random_string(rng),
                fix_state,
                fixed_versions: (0..rng.next() % 3).map(|_| random_string(rng)).collect(),
                severity: *rng.pick(&SEVERITIES),
                severity_source: random_string(rng),
                cvss: (0..rng.next() % 3)
                    .map(|_| Cvss {
                        version: (*rng.pick(&versions)).to_owned(),
                        vector: random_string(rng),
                        score: rng
                            .chance()
                            .then(|| *rng.pick(&[0.0, 3.7, 9.8, 10.0, 12.5, -1.0, f64::NAN])),
                        source: rng.chance().then(|| random_string(rng)),
                    })
                    .collect(),
                summary: rng.chance().then(|| random_string(rng)),
                references: (0..rng.next() % 3)
                    .map(|_| {
                        let options = [
                            "https://example.com/x".to_owned(),
                            format!("https://example.com/{}", random_string(rng)),
                            random_string(rng),
                        ];
                        rng.pick(&options).clone()
                    })
                    .collect(),
                known_exploited: rng.chance(),
                kev_date_added: rng.chance().then(|| random_string(rng)),
                epss: rng.chance().then(|| strata_types::Epss {
                    score: *rng.pick(&[0.0, 0.5, 1.0, f64::NAN]),
                    percentile: rng.chance().then_some(0.9),
                }),
                package,
                fix_published: None,
                suppressed: None,
                vex: None,
                gate_failure: None,
            }
        })
        .collect();
    report
}

/// Table rows of a Markdown document, each with its count of unescaped pipes.
fn table_rows(md: &str) -> Vec<(&str, usize)> {
    md.lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            let mut pipes = 0;
            let mut escaped = false;
            for c in l.chars() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '|' if !escaped => pipes += 1,
                    _ => escaped = false,
                }
                if c != '\\' {
                    escaped = false;
                }
            }
            (l, pipes)
        })
        .collect()
}

#[test]
fn random_reports_always_give_valid_documents() {
    let sarif = sarif_validator();
    let cdx = cyclonedx_validator();
    let gitlab = gitlab_validator();
    let mut rng = Rng(0x5eed_0000_5ca1_0001);
    for i in 0..120 {
        let report = random_report(&mut rng);
        let s = render_scan_json(&report, ScanFormat::Sarif);
        let errs = errors(&sarif, &s);
        assert!(errs.is_empty(), "case {i}: {errs:?}\n{s:#}");
        let c = render_scan_json(&report, ScanFormat::CycloneDx);
        let errs = errors(&cdx, &c);
        assert!(errs.is_empty(), "case {i}: {errs:?}\n{c:#}");
        let g = render_scan_json(&report, ScanFormat::Gitlab);
        let errs = errors(&gitlab, &g);
        assert!(errs.is_empty(), "case {i}: {errs:?}\n{g:#}");
        let refs: Vec<&str> = c["vulnerabilities"]
            .as_array()
            .map(|v| v.iter().map(|x| x["bom-ref"].as_str().unwrap()).collect())
            .unwrap_or_default();
        let unique: HashSet<&&str> = refs.iter().collect();
        assert_eq!(unique.len(), refs.len(), "case {i}: {refs:?}");
        // Every Markdown row has exactly the six pipes of five cells, whatever the data.
        let md = render_scan(&report, ScanFormat::Markdown);
        for (row, pipes) in table_rows(&md) {
            assert_eq!(pipes, 6, "case {i}: {row}");
        }
        assert!(!md.contains('\u{1b}'), "case {i}");
    }
}

#[test]
fn output_does_not_depend_on_finding_order() {
    let report = fixture::scan_report();
    let mut reversed = report.clone();
    reversed.findings.reverse();
    for f in ScanFormat::ALL {
        if f == ScanFormat::Json {
            continue; // The report as the caller built it.
        }
        assert_eq!(render_scan(&report, f), render_scan(&reversed, f), "{f}");
    }
}

fn sarif_run(report: &ScanReport) -> Value {
    let doc = render_scan_json(report, ScanFormat::Sarif);
    assert_eq!(doc["version"], "2.1.0");
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    runs[0].clone()
}

#[test]
fn sarif_rules_results_and_levels() {
    let report = fixture::scan_report();
    let run = sarif_run(&report);
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "strata");
    assert_eq!(driver["version"], "0.1.0");
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );

    // One rule per vulnerability id, sorted; CVE-2024-37891 is in two packages.
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: BTreeSet<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, expected.iter().copied().collect::<Vec<_>>());
    for r in rules {
        let sev = r["properties"]["tags"][1].as_str().unwrap();
        assert_eq!(r["properties"]["tags"][0], "security");
        if let Some(score) = r["properties"]["security-severity"].as_str() {
            let score: f64 = score.parse().unwrap();
            assert!((0.0..=10.0).contains(&score), "{r}");
        } else {
            assert!(sev == "unknown", "{r}");
        }
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
    }
    let log4j = rules.iter().find(|r| r["id"] == "CVE-2021-44228").unwrap();
    assert_eq!(log4j["properties"]["security-severity"], "10.0");
    assert_eq!(
        log4j["helpUri"],
        "https://logging.apache.org/log4j/2.x/security.html"
    );
    // Neither hostile reference is usable: fall back to the id's own page.
    let weird = rules.iter().find(|r| r["id"] == "PYSEC-2024-0").unwrap();
    assert_eq!(
        weird["helpUri"],
        "https://osv.dev/vulnerability/PYSEC-2024-0"
    );

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    let mut fingerprints = HashSet::new();
    for r in results {
        let rule = &rules[usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap()];
        assert_eq!(rule["id"], r["ruleId"]);
        let sev = r["properties"]["severity"].as_str().unwrap();
        let level = match sev {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], level, "{r}");
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.starts_with('/') && !uri.is_empty(), "{uri}");
        fingerprints.insert(r["partialFingerprints"].to_string());
    }
    assert_eq!(
        fingerprints.len(),
        results.len(),
        "one fingerprint per finding"
    );

    let log4j_result = results
        .iter()
        .find(|r| r["ruleId"] == "CVE-2021-44228")
        .unwrap();
    assert_eq!(
        log4j_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/lib/log4j-core-2.14.1.jar"
    );
    assert_eq!(
        log4j_result["message"]["text"],
        "log4j-core 2.14.1 is affected by CVE-2021-44228 (critical); fixed in 2.15.0."
    );
    let apt = results
        .iter()
        .find(|r| r["ruleId"] == "CVE-2011-3374")
        .unwrap();
    assert_eq!(
        apt["message"]["text"],
        "apt 2.6.1 is affected by CVE-2011-3374 (negligible); no fixed version is available yet."
    );
    // Severities come out most severe first.
    let order: Vec<Severity> = results
        .iter()
        .map(|r| serde_json::from_value(r["properties"]["severity"].clone()).unwrap())
        .collect();
    assert!(order.is_sorted_by(|a, b| a >= b), "{order:?}");
}

#[test]
fn sarif_fingerprints_are_stable_per_vulnerability_and_package() {
    let fp = |report: &ScanReport, id: &str, purl: &str| -> Value {
        let run = sarif_run(report);
        run["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == id && r["properties"]["purl"] == purl)
            .map(|r| r["partialFingerprints"].clone())
            .unwrap()
    };
    let report = fixture::scan_report();
    let before = fp(
        &report,
        "CVE-2021-44228",
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    );
    assert_eq!(before.as_object().unwrap().len(), 1);

    // Other findings, the file and the layer do not matter...
    let mut other = report.clone();
    other.findings.retain(|f| f.id == "CVE-2021-44228");
    for f in &mut other.findings {
        f.package.locations = vec![Location {
            path: "/elsewhere/log4j.jar".to_owned(),
            layer_diff_id: None,
        }];
        f.severity = Severity::High;
    }
    assert_eq!(
        fp(
            &other,
            "CVE-2021-44228",
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        ),
        before
    );
    // ...the package does.
    let a = fp(&report, "CVE-2024-37891", "pkg:pypi/urllib3@1.24.1");
    let b = fp(&report, "CVE-2024-37891", "pkg:pypi/urllib3@1.26.5");
    assert_ne!(a, b);
}

#[test]
fn scan_cyclonedx_vulnerabilities() {
    let report = fixture::scan_report();
    let doc = render_scan_json(&report, ScanFormat::CycloneDx);
    assert_eq!(doc["specVersion"], "1.6");
    // The components are exactly those of the SBOM document.
    let sbom_doc = crate::render_json(&report.sbom, strata_report::SbomFormat::CycloneDx);
    assert_eq!(doc["components"], sbom_doc["components"]);
    assert_eq!(doc["metadata"], sbom_doc["metadata"]);
    assert!(sbom_doc.get("vulnerabilities").is_none());
    assert_ne!(doc["serialNumber"], sbom_doc["serialNumber"]);

    let components: HashSet<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), report.findings.len());
    for v in vulns {
        let affects = v["affects"].as_array().unwrap();
        assert_eq!(affects.len(), 1, "{v}");
        assert!(
            components.contains(affects[0]["ref"].as_str().unwrap()),
            "{v}"
        );
        for r in v["ratings"].as_array().into_iter().flatten() {
            let m = r["method"].as_str().unwrap();
            assert!(["CVSSv4", "CVSSv31", "CVSSv3", "CVSSv2", "other"].contains(&m));
        }
    }

    let log4j = vulns.iter().find(|v| v["id"] == "CVE-2021-44228").unwrap();
    assert_eq!(log4j["source"]["name"], "NVD");
    assert_eq!(
        log4j["affects"][0]["ref"],
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    );
    assert_eq!(log4j["affects"][0]["versions"][0]["version"], "2.14.1");
    assert_eq!(log4j["references"][0]["id"], "GHSA-jfh8-c2jp-5v3q");
    assert_eq!(log4j["references"][0]["source"]["name"], "GitHub");
    assert_eq!(
        log4j["ratings"],
        json!([{
            "source": {"name": "nvd"},
            "score": 10.0,
            "severity": "critical",
            "method": "CVSSv31",
            "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
        }])
    );
    assert_eq!(log4j["recommendation"], "Upgrade log4j-core to 2.15.0.");
    assert!(log4j.get("analysis").is_none());

    let redirect = vulns.iter().find(|v| v["id"] == "CVE-2024-37891").unwrap();
    assert_eq!(redirect["ratings"][0]["method"], "CVSSv4");
    assert_eq!(redirect["ratings"][1]["method"], "CVSSv31");

    // No fix: an analysis saying so, and no recommendation; the distribution's own
    // rating is listed beside the CVSS one.
    let apt = vulns.iter().find(|v| v["id"] == "CVE-2011-3374").unwrap();
    assert_eq!(
        apt["analysis"],
        json!({"state": "exploitable", "response": ["can_not_fix"], "detail": "No fixed version is available yet."})
    );
    assert!(apt.get("recommendation").is_none());
    assert_eq!(
        apt["ratings"][1],
        json!({"source": {"name": "debian"}, "severity": "info", "method": "other"})
    );
    let openssl = vulns.iter().find(|v| v["id"] == "CVE-2024-2511").unwrap();
    assert_eq!(openssl["analysis"]["response"], json!(["will_not_fix"]));
    let failure = vulns
        .iter()
        .find(|v| v["id"] == "RUSTSEC-2020-0036")
        .unwrap();
    assert_eq!(failure["source"]["name"], "OSV");
    assert!(failure.get("ratings").is_none());

    // The serial number follows the findings.
    let mut fewer = report.clone();
    fewer.findings.pop();
    assert_ne!(
        render_scan_json(&fewer, ScanFormat::CycloneDx)["serialNumber"],
        doc["serialNumber"]
    );
    assert_eq!(
        render_scan_json(&report, ScanFormat::CycloneDx)["serialNumber"],
        doc["serialNumber"]
    );
}

#[test]
fn markdown_escapes_and_orders() {
    let report = fixture::scan_report();
    let md = render_scan(&report, ScanFormat::Markdown);
    assert!(md.starts_with("## strata scan: registry:localhost:5000/shop/app:1.0\n"));
    assert!(md.contains(
        "**10 vulnerabilities** (2 critical, 2 high, 3 medium, 1 low, 1 negligible, 1 unknown) in 9 of 16 packages."
    ));
    let rows = table_rows(&md);
    assert_eq!(rows.len(), 2 + report.findings.len());
    for (row, pipes) in &rows {
        assert_eq!(*pipes, 6, "{row}");
    }
    assert!(rows[2].0.starts_with(
        "| Critical | [CVE-2019-10744](https://nvd.nist.gov/vuln/detail/CVE-2019-10744) | lodash |"
    ));
    assert!(
        rows.last()
            .unwrap()
            .0
            .starts_with("| Unknown | [RUSTSEC-2020-0036]")
    );
    // The hostile package and its fixed version are escaped, not interpreted.
    let weird = rows
        .iter()
        .find(|(r, _)| r.contains("PYSEC-2024-0"))
        .unwrap()
        .0;
    assert!(
        weird.contains("we ird\\u{1b}\\[31m\\<pkg\\>\\&\"q\"/ü"),
        "{weird}"
    );
    assert!(weird.ends_with("| 1.0+ünï code\\|2 |"), "{weird}");
    assert!(!md.contains("<pkg>") && !md.contains('\u{1b}'));

    let mut empty = report;
    empty.findings.clear();
    assert_eq!(
        render_scan(&empty, ScanFormat::Markdown),
        "## strata scan: registry:localhost:5000/shop/app:1.0\n\n\
         No vulnerabilities found in 16 packages.\n\n\
         Database generation 42, built 2024-05-01T06:00:00Z.\n"
    );
}

#[test]
fn markdown_caps_rows() {
    let mut report = fixture::scan_report();
    let template = report.findings[0].clone();
    report.findings = (0..7)
        .map(|i| {
            let mut f = template.clone();
            f.id = format!("CVE-2024-{i:04}");
            f
        })
        .collect();
    let mut out = Vec::new();
    write_scan_markdown_with(&report, 5, &mut out).unwrap();
    let md = String::from_utf8(out).unwrap();
    assert_eq!(table_rows(&md).len(), 2 + 5);
    assert!(md.contains("| [CVE-2024-0004]("));
    assert!(!md.contains("CVE-2024-0005"));
    assert!(md.ends_with(
        "\n_2 more findings not shown (the table stops at 5 rows); see `--format json` for all of them._\n"
    ));
    let mut out = Vec::new();
    write_scan_markdown_with(&report, 7, &mut out).unwrap();
    assert!(!String::from_utf8(out).unwrap().contains("not shown"));
    assert_eq!(strata_report::MARKDOWN_MAX_ROWS, 500);
}

#[test]
fn package_types_in_sarif_properties() {
    let run = sarif_run(&fixture::scan_report());
    let types: BTreeSet<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["properties"]["packageType"].as_str().unwrap())
        .collect();
    for t in [PackageType::Maven, PackageType::Cargo, PackageType::Deb] {
        assert!(types.contains(t.as_str()), "{types:?}");
    }
}

#[test]
fn known_exploited_findings_are_marked_in_the_table_and_json() {
    let mut report = fixture::scan_report();
    let f = &mut report.findings[0];
    f.known_exploited = true;
    f.kev_date_added = Some("2021-12-10".to_owned());
    f.epss = Some(strata_types::Epss {
        score: 0.97565,
        percentile: Some(0.99996),
    });
    let id = f.id.clone();
    let table = render_scan(&report, ScanFormat::Table);
    assert!(table.contains(&format!("{id} [KEV]")), "{table}");
    assert_eq!(table.matches("[KEV]").count(), 1, "{table}");
    let json = render_scan_json(&report, ScanFormat::Json);
    let found = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["known_exploited"] == json!(true))
        .unwrap();
    assert_eq!(found["id"], json!(id));
    assert_eq!(found["kev_date_added"], json!("2021-12-10"));
    assert_eq!(
        found["epss"],
        json!({"score": 0.97565, "percentile": 0.99996})
    );
    // Round trip through the documented schema.
    let back: ScanReport = serde_json::from_value(json).unwrap();
    assert_eq!(
        back.findings.iter().filter(|f| f.known_exploited).count(),
        1
    );
}

#[test]
fn cyclonedx_analysis_of_suppressed_findings() {
    let report = gated();
    let doc = render_scan_json(&report, ScanFormat::CycloneDx);
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let by_state = |state: &str| -> Vec<&serde_json::Value> {
        vulns
            .iter()
            .filter(|v| v["analysis"]["state"] == state)
            .collect()
    };
    let not_affected = by_state("not_affected");
    assert_eq!(not_affected.len(), 1, "{vulns:?}");
    assert_eq!(
        not_affected[0]["analysis"]["justification"],
        "code_not_reachable"
    );
    let accepted: Vec<_> = vulns
        .iter()
        .filter(|v| {
            v["analysis"]["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("accepted by exception"))
        })
        .collect();
    assert_eq!(accepted.len(), 1, "{vulns:?}");
    let detail = accepted[0]["analysis"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("SEC-42") && detail.contains("2027-01-31"),
        "{detail}"
    );
    assert_eq!(accepted[0]["analysis"]["response"][0], "will_not_fix");
}

fn gitlab_vulns(report: &ScanReport) -> Vec<Value> {
    let doc = render_scan_json(report, ScanFormat::Gitlab);
    assert_eq!(doc["version"], strata_report::GITLAB_SCHEMA_VERSION);
    doc["vulnerabilities"].as_array().unwrap().clone()
}

fn gitlab_vuln<'a>(vulns: &'a [Value], name: &str) -> &'a Value {
    vulns
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no vulnerability named {name}"))
}

#[test]
fn gitlab_severities_identifiers_and_solutions() {
    let report = fixture::scan_report();
    let doc = render_scan_json(&report, ScanFormat::Gitlab);
    assert_eq!(doc["scan"]["type"], "container_scanning");
    assert_eq!(doc["scan"]["status"], "success");
    assert_eq!(doc["scan"]["scanner"]["id"], "strata");
    assert_eq!(doc["scan"]["analyzer"]["vendor"]["name"], "strata");
    let created = &report.sbom.created[..19];
    assert_eq!(doc["scan"]["start_time"], created);
    assert_eq!(doc["scan"]["end_time"], created);
    assert!(doc["scan"].get("messages").is_none());

    let vulns = gitlab_vulns(&report);
    assert_eq!(vulns.len(), report.findings.len());
    let ids: HashSet<&str> = vulns.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), vulns.len(), "ids must be unique");
    for id in &ids {
        assert_eq!(uuid_version(id), Some('5'), "{id}");
    }
    // Most severe first, as every scan printer orders findings.
    let order: Vec<&str> = vulns
        .iter()
        .map(|v| v["severity"].as_str().unwrap())
        .collect();
    let rank = |s: &str| {
        ["Unknown", "Info", "Low", "Medium", "High", "Critical"]
            .iter()
            .position(|x| *x == s)
    };
    assert!(
        order.windows(2).all(|w| rank(w[0]) >= rank(w[1])),
        "{order:?}"
    );

    let log4j = gitlab_vuln(&vulns, "CVE-2021-44228");
    assert_eq!(log4j["severity"], "Critical");
    let f = report
        .findings
        .iter()
        .find(|f| f.id == "CVE-2021-44228")
        .unwrap();
    assert_eq!(
        log4j["solution"],
        format!("Upgrade log4j-core to {}", f.fixed_versions.join(" or "))
    );
    assert_eq!(
        log4j["identifiers"],
        json!([
            {"type": "cve", "name": "CVE-2021-44228", "value": "CVE-2021-44228",
             "url": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"},
            {"type": "ghsa", "name": "GHSA-jfh8-c2jp-5v3q", "value": "GHSA-jfh8-c2jp-5v3q",
             "url": "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q"},
        ])
    );
    let loc = &log4j["location"];
    assert_eq!(loc["dependency"]["package"]["name"], "log4j-core");
    assert_eq!(loc["dependency"]["version"], "2.14.1");
    assert_eq!(loc["operating_system"], "debian 12");
    assert_eq!(loc["image"], report.sbom.target.reference.as_str());
    assert!(!log4j["links"].as_array().unwrap().is_empty());

    // Negligible is Info (no real impact), never Low; unknown stays Unknown.
    assert_eq!(gitlab_vuln(&vulns, "CVE-2011-3374")["severity"], "Info");
    let unknown = gitlab_vuln(&vulns, "RUSTSEC-2020-0036");
    assert_eq!(unknown["severity"], "Unknown");
    assert_eq!(unknown["identifiers"][0]["type"], "rustsec");
    assert_eq!(
        unknown["identifiers"][0]["url"],
        "https://osv.dev/vulnerability/RUSTSEC-2020-0036"
    );
    assert!(unknown.get("solution").is_none(), "no fix, no solution");
    // Won't fix: nothing to upgrade to.
    assert!(
        gitlab_vuln(&vulns, "CVE-2024-2511")
            .get("solution")
            .is_none()
    );
    // Only http(s) references become links.
    let weird = gitlab_vuln(&vulns, "PYSEC-2024-0");
    for l in weird["links"].as_array().into_iter().flatten() {
        assert!(l["url"].as_str().unwrap().starts_with("https://"), "{l}");
    }
}

/// The version nibble of a hyphenated UUID.
fn uuid_version(id: &str) -> Option<char> {
    (id.len() == 36).then(|| id.chars().nth(14)).flatten()
}

#[test]
fn gitlab_leaves_suppressed_findings_out_and_keeps_ids_stable() {
    let report = fixture::scan_report();
    let before = gitlab_vulns(&report);
    let mut suppressed = report.clone();
    let f = suppressed
        .findings
        .iter_mut()
        .find(|f| f.id == "CVE-2011-3374")
        .unwrap();
    f.suppressed = Some(strata_types::Suppression {
        by: strata_types::SuppressedBy::Exception,
        id: "CVE-2011-3374".to_owned(),
        source: Some("strata.yaml:3:5".to_owned()),
        reason: None,
        justification: "apt is not used at run time".to_owned(),
        approved_by: None,
        ticket: None,
        expires: None,
    });
    let doc = render_scan_json(&suppressed, ScanFormat::Gitlab);
    assert_valid(&gitlab_validator(), &doc);
    let after = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(after.len(), before.len() - 1);
    assert!(after.iter().all(|v| v["name"] != "CVE-2011-3374"));
    let messages = doc["scan"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0]["value"]
            .as_str()
            .unwrap()
            .starts_with("1 suppressed")
    );
    // Each remaining vulnerability keeps its id: GitLab tracks vulnerabilities by it.
    for v in after {
        assert!(
            before
                .iter()
                .any(|b| b["id"] == v["id"] && b["name"] == v["name"])
        );
    }
}
