//! The CI pipeline as a script: a directory with known-vulnerable Python packages, a
//! database imported from the real PyPA advisories in ../shared/data, a `strata.yaml`
//! gate. The gate fails; an exception added with `strata exceptions add` lets it pass;
//! the injected clock moves past the expiry and the gate fails again, saying why; a VEX
//! document suppresses another finding, visible with its reason in SARIF. Bad policy
//! and VEX files are errors with a position.

use std::path::{Path, PathBuf};

use strata_testkit::cache::TempDir;
use strata_testkit::serde_json::{self, Value};

use crate::support::*;

fn pypa_database(t: &TempDir) -> Option<PathBuf> {
    let data = strata_testkit::data_dir()?;
    let pypa = data.join("vulndb/pypa-advisory-database.tar.zst");
    let db = t.path().join("db");
    let run = strata(&["db", "import", "--db", s(&db), s(&pypa)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    Some(db)
}

fn project(t: &TempDir) -> PathBuf {
    let root = t.path().join("project");
    for (name, version) in [("urllib3", "1.24.1"), ("Jinja2", "2.10")] {
        let info = root.join(format!(
            "usr/lib/python3/dist-packages/{name}-{version}.dist-info"
        ));
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(
            info.join("METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        )
        .unwrap();
    }
    root
}

const POLICY: &str = "\
# The release gate: block high and critical.
fail_on: high
kev: fail # known-exploited always fails

# Accepted risks, reviewed monthly.
exceptions:
";

fn now(date: &str) -> (&'static str, &Path) {
    ("STRATA_NOW", Path::new(date))
}

fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in the report"))
}

#[test]
fn pipeline_gate_exception_expiry_and_vex() {
    let t = TempDir::new("policy-pipeline").unwrap();
    let Some(db) = pypa_database(&t) else { return };
    let root = project(&t);
    let policy = root.join("strata.yaml");
    std::fs::write(&policy, POLICY).unwrap();
    let target = format!("dir:{}", s(&root));
    let scan = |extra: &[&str], date: &str| {
        let mut args = vec!["scan", target.as_str(), "--db", s(&db), "--no-cache"];
        args.extend_from_slice(extra);
        strata_with_env(&args, &[now(date)])
    };

    // 1. The gate fails on urllib3's high CVE-2023-43804; strata.yaml is found at the
    //    project root.
    let run = scan(&[], "2026-01-15");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("gate failed"), "{}", run.stderr);
    assert!(run.stderr.contains("CVE-2023-43804"), "{}", run.stderr);
    assert!(run.stderr.contains("strata.yaml"), "{}", run.stderr);

    // 2. Accept it, by an alias, scoped to the package.
    let run = strata_with_env(
        &[
            "exceptions",
            "add",
            "--file",
            s(&policy),
            "--id",
            "GHSA-v845-jxx5-vc9f",
            "--purl",
            "pkg:pypi/urllib3",
            "--justification",
            "Cookie headers are never sent across origins by our client",
            "--approved-by",
            "alice@example.com",
            "--ticket",
            "SEC-42",
            "--expires",
            "2026-06-30",
        ],
        &[now("2026-01-15")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let text = std::fs::read_to_string(&policy).unwrap();
    assert!(text.starts_with(POLICY), "comments kept:\n{text}");
    assert!(text.contains("expires: 2026-06-30"), "{text}");
    let run = strata_with_env(
        &["exceptions", "check", "--file", s(&policy)],
        &[now("2026-01-15")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let run = strata_with_env(
        &[
            "exceptions",
            "list",
            "--file",
            s(&policy),
            "--format",
            "json",
        ],
        &[now("2026-01-15")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(list[0]["days_left"], 166);

    let run = scan(&["--format", "json"], "2026-01-15");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let f = finding(&report, "CVE-2023-43804");
    assert_eq!(f["suppressed"]["by"], "exception", "{f}");
    assert_eq!(f["suppressed"]["id"], "GHSA-v845-jxx5-vc9f");
    assert_eq!(f["suppressed"]["approved_by"], "alice@example.com");
    assert_eq!(f["suppressed"]["ticket"], "SEC-42");
    assert_eq!(f["suppressed"]["expires"], "2026-06-30");
    assert_eq!(report["policy"]["passed"], true);
    // The table counts what was suppressed.
    let run = scan(&[], "2026-01-15");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .contains("1 suppressed (1 by exception, 0 by VEX)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("CVE-2023-43804"), "{}", run.stdout);

    // 3. The day after expiry the exception stops suppressing; the gate says why.
    let run = scan(&["--format", "json"], "2026-07-01");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("expired on 2026-06-30"),
        "{}",
        run.stderr
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let f = finding(&report, "CVE-2023-43804");
    assert!(f["suppressed"].is_null(), "{f}");
    assert!(
        f["gate_failure"]
            .as_str()
            .unwrap()
            .contains("expired on 2026-06-30"),
        "{f}"
    );
    assert_eq!(
        report["policy"]["expired_exceptions"][0]["id"],
        "GHSA-v845-jxx5-vc9f"
    );
    let run = strata_with_env(
        &["exceptions", "check", "--file", s(&policy)],
        &[now("2026-07-01")],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("expired on 2026-06-30"),
        "{}",
        run.stderr
    );
    let run = scan(&["--format", "markdown"], "2026-07-01");
    assert!(
        run.stdout
            .contains("expired exception: GHSA-v845-jxx5-vc9f"),
        "{}",
        run.stdout
    );

    // 4. A VEX document (given through STRATA_VEX) suppresses CVE-2023-45803; SARIF keeps
    //    the result with an accepted external suppression and the reason.
    let vex = t.path().join("urllib3.openvex.json");
    std::fs::write(
        &vex,
        r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/urllib3-2023-45803",
  "author": "Platform security",
  "timestamp": "2026-01-10T00:00:00Z",
  "version": 1,
  "statements": [{
    "vulnerability": {"name": "GHSA-g4mx-q9vg-27p4"},
    "products": [{"@id": "pkg:pypi/urllib3@1.24.1"}],
    "status": "not_affected",
    "justification": "vulnerable_code_not_in_execute_path",
    "impact_statement": "We never follow redirects with a request body"
  }]
}"#,
    )
    .unwrap();
    let run = strata_with_env(
        &[
            "scan",
            &target,
            "--db",
            s(&db),
            "--no-cache",
            "--format",
            "sarif",
        ],
        &[now("2026-01-15"), ("STRATA_VEX", &vex)],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "CVE-2023-45803")
        .unwrap();
    let sup = &r["suppressions"][0];
    assert_eq!(sup["kind"], "external", "{r}");
    assert_eq!(sup["status"], "accepted");
    let why = sup["justification"].as_str().unwrap();
    assert!(why.contains("vulnerable_code_not_in_execute_path"), "{why}");
    assert!(why.contains("never follow redirects"), "{why}");
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "CVE-2023-43804")
        .unwrap();
    assert!(
        r["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .contains("alice@example.com")
    );
    let unsuppressed = results
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .count();
    assert_eq!(unsuppressed, results.len() - 2);

    // JUnit: the suppressed findings are skipped; after expiry the finding is a failure.
    let run = scan(&["--format", "junit", "--vex", s(&vex)], "2026-07-01");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stdout.contains("skipped=\"1\""), "{}", run.stdout);
    assert!(run.stdout.contains("failures=\"1\""), "{}", run.stdout);
    assert!(
        run.stdout.contains("<skipped message=\"suppressed by vex"),
        "{}",
        run.stdout
    );

    // OpenVEX out: the accepted exception, readable back as VEX.
    let run = scan(&["--format", "openvex"], "2026-01-15");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let st = &doc["statements"][0];
    assert_eq!(st["vulnerability"]["name"], "CVE-2023-43804", "{doc}");
    assert_eq!(st["status"], "affected");
    assert!(st["action_statement"].as_str().unwrap().contains("SEC-42"));
    assert_eq!(st["products"][0]["@id"], "pkg:pypi/urllib3@1.24.1");
    let out_vex = t.path().join("out.openvex.json");
    std::fs::write(&out_vex, &run.stdout).unwrap();
    let run = scan(&["--vex", s(&out_vex), "--format", "json"], "2026-01-15");
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    // A stale exception is reported; `check --report` exits 1 on it.
    let run = strata_with_env(
        &[
            "exceptions",
            "add",
            "--file",
            s(&policy),
            "--id",
            "CVE-1999-0001",
            "--justification",
            "old",
            "--approved-by",
            "bob",
            "--ticket",
            "SEC-1",
            "--days",
            "30",
        ],
        &[now("2026-01-15")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let run = scan(&["--format", "json"], "2026-01-15");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("CVE-1999-0001"), "{}", run.stderr);
    let report_file = t.path().join("scan.json");
    std::fs::write(&report_file, &run.stdout).unwrap();
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["policy"]["stale_exceptions"][0]["id"],
        "CVE-1999-0001"
    );
    let run = strata_with_env(
        &[
            "exceptions",
            "check",
            "--file",
            s(&policy),
            "--report",
            s(&report_file),
        ],
        &[now("2026-01-15")],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("stale"), "{}", run.stderr);
}

#[test]
fn bad_policy_and_vex_files_are_errors_with_positions() {
    let t = TempDir::new("policy-bad").unwrap();
    let db = t.path().join("db");
    // A database is needed before the policy is read; an empty import makes one.
    let record = t.path().join("r.json");
    std::fs::write(
        &record,
        r#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"nothing"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1"}]}]}]}"#,
    )
    .unwrap();
    let run = strata(&["db", "import", "--db", s(&db), s(&record)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let root = t.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let target = format!("dir:{}", s(&root));
    for (name, text, want) in [
        (
            "typo.yaml",
            "fail_on: high\nonly_fixd: true\n",
            ":2:1: unknown key `only_fixd`",
        ),
        (
            "sev.yaml",
            "fail_on: severe\n",
            ":1:10: `fail_on`: unknown severity",
        ),
        (
            "exc.yaml",
            "exceptions:\n  - id: CVE-1\n    justification: x\n    approved_by: a\n    ticket: T\n    expires: 31/12/2026\n",
            ":6:14: `expires` \"31/12/2026\" is not a date",
        ),
        ("yaml.yaml", "fail_on: [high\n", "invalid YAML"),
    ] {
        let file = t.path().join(name);
        std::fs::write(&file, text).unwrap();
        let run = strata(&["scan", &target, "--db", s(&db), "--policy", s(&file)]);
        assert_error(name, &run);
        assert!(run.stderr.contains(want), "{name}: {}", run.stderr);
        assert!(run.stderr.contains("hint:"), "{name}: {}", run.stderr);
    }
    for (name, text, want) in [
        ("syntax.json", "{\"statements\": [}", ":1:"),
        (
            "status.json",
            "{\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n \"statements\": [{\"vulnerability\": {\"name\": \"CVE-1\"},\n   \"status\": \"fine\"}]}",
            ":3:14: unknown status \"fine\"",
        ),
        ("what.json", "{\"hello\": 1}", "not a VEX document"),
    ] {
        let file = t.path().join(name);
        std::fs::write(&file, text).unwrap();
        let run = strata(&["scan", &target, "--db", s(&db), "--vex", s(&file)]);
        assert_error(name, &run);
        assert!(run.stderr.contains(want), "{name}: {}", run.stderr);
    }
}

/// docs/examples/pre-push as a user installs it: in a git work tree with strata.yaml, the
/// hook refuses the push while a finding fails the gate and lets it through once the
/// vulnerable package is gone; strata.yaml is checked for expired exceptions.
#[test]
fn pre_push_hook_example_gates_the_push() {
    let t = TempDir::new("policy-pre-push").unwrap();
    let Some(db) = pypa_database(&t) else { return };
    let root = project(&t);
    std::fs::write(root.join("strata.yaml"), POLICY).unwrap();
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&root)
        .status();
    assert!(git.is_ok_and(|s| s.success()), "git init failed");
    let hook = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/pre-push");
    let bin_dir = Path::new(STRATA).parent().unwrap().to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run_hook = || {
        std::process::Command::new("sh")
            .arg(&hook)
            .current_dir(&root)
            .env("PATH", &path)
            .env("STRATA_DB_DIR", &db)
            .env("STRATA_NOW", "2026-01-15")
            .env("STRATA_NO_CACHE", "1")
            .output()
            .unwrap()
    };
    let out = run_hook();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("gate failed")
            && stderr.contains("pre-push: the vulnerability gate failed"),
        "{stderr}"
    );
    // Upgrade away from the vulnerable versions: the push goes through.
    std::fs::remove_dir_all(root.join("usr")).unwrap();
    let out = run_hook();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("all current"), "{stderr}");
}

/// Exceptions scoped to an image, on a real image: the minbase `docker save` tarball scanned
/// against the Debian 12 records. An exception for this image's name suppresses its
/// findings, one for its image id (the digest scope) too, one for another image suppresses
/// nothing and is reported stale; the gate fails on what is left.
#[test]
fn image_and_digest_scoped_exceptions_on_a_real_image() {
    let Some(img) = strata_testkit::images::minbase() else {
        return;
    };
    let t = TempDir::new("policy-image").unwrap();
    let Some(data) = strata_testkit::data_dir() else {
        return;
    };
    let debian = data.join("vulndb/distro/debian12-derived/debian12-derived-osv.tar.zst");
    let db = t.path().join("db");
    let run = strata(&["db", "import", "--db", s(&db), s(&debian)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let exception = |id: &str, image: &str| {
        format!(
            "  - id: {id}\n    image: \"{image}\"\n    justification: test\n    approved_by: alice@example.com\n    ticket: SEC-1\n    expires: 2026-12-31\n"
        )
    };
    let policy = t.path().join("strata.yaml");
    std::fs::write(
        &policy,
        format!(
            "fail_on: unknown\nexceptions:\n{}{}{}",
            exception("CVE-2026-109518", "strata-test/minbase"),
            exception("CVE-2026-8376", &img.image_id),
            exception("CVE-2026-7017", "registry.example.com/other/app:1"),
        ),
    )
    .unwrap();
    let run = strata_with_env(
        &[
            "scan",
            s(&img.archive),
            "--db",
            s(&db),
            "--policy",
            s(&policy),
            "--format",
            "json",
            "--no-cache",
        ],
        &[now("2026-06-01")],
    );
    assert_eq!(
        run.code,
        Some(1),
        "the rest still fails the gate: {}",
        run.stderr
    );
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let by_cve = |cve: &str| -> Vec<&Value> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == cve)
            .collect()
    };
    for (cve, suppressed) in [
        ("CVE-2026-109518", true),
        ("CVE-2026-8376", true),
        ("CVE-2026-7017", false),
    ] {
        let found = by_cve(cve);
        assert!(!found.is_empty(), "{cve} is not in the report");
        for f in found {
            assert_eq!(
                f["suppressed"]["by"] == "exception",
                suppressed,
                "{cve} in {}: {f}",
                f["package"]["name"]
            );
        }
    }
    let stale: Vec<&str> = report["policy"]["stale_exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(stale, ["CVE-2026-7017"]);
    assert!(
        run.stderr.contains("CVE-2026-7017") && run.stderr.contains("stale"),
        "{}",
        run.stderr
    );
}
