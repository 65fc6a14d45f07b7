//! `strata scan --format` end to end on a directory holding urllib3 1.24.1 and a database
//! imported from one real OSV record (GHSA-mh33-7rrq-662w): every format is written and
//! names the same finding. Needs no service.

use strata_testkit::cache::TempDir;
use strata_testkit::serde_json::{self, Value};

use crate::support::*;

const RECORD: &str = r#"{
  "schema_version": "1.4.0",
  "id": "GHSA-mh33-7rrq-662w",
  "modified": "2024-02-16T08:12:41Z",
  "published": "2019-04-23T16:00:51Z",
  "aliases": ["CVE-2019-11324"],
  "summary": "Improper Certificate Validation in urllib3",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
  "affected": [{
    "package": {"ecosystem": "PyPI", "name": "urllib3"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.24.2"}]}]
  }],
  "references": [{"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2019-11324"}]
}"#;

#[test]
fn scan_writes_every_format() {
    let t = TempDir::new("scan-formats").unwrap();
    let record = t.path().join("GHSA-mh33-7rrq-662w.json");
    std::fs::write(&record, RECORD).unwrap();
    let db = t.path().join("db");
    let run = strata(&["db", "import", "--db", s(&db), s(&record)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    let root = t.path().join("root");
    let info = root.join("usr/lib/python3/dist-packages/urllib3-1.24.1.dist-info");
    std::fs::create_dir_all(&info).unwrap();
    std::fs::write(
        info.join("METADATA"),
        "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.24.1\n",
    )
    .unwrap();
    let target = format!("dir:{}", s(&root));
    let scan = |format: &str| {
        let run = strata(&["scan", &target, "--db", s(&db), "--format", format]);
        assert_eq!(run.code, Some(0), "--format {format}: {}", run.stderr);
        run.stdout
    };

    let sarif: Value = serde_json::from_str(&scan("sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "strata");
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "CVE-2019-11324");
    assert_eq!(
        run["tool"]["driver"]["rules"][0]["properties"]["security-severity"],
        "7.5"
    );
    let result = &run["results"][0];
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "usr/lib/python3/dist-packages/urllib3-1.24.1.dist-info/METADATA"
    );

    let cdx: Value = serde_json::from_str(&scan("cyclonedx")).unwrap();
    assert_eq!(cdx["specVersion"], "1.6");
    let v = &cdx["vulnerabilities"][0];
    assert_eq!(v["id"], "CVE-2019-11324");
    assert_eq!(v["references"][0]["id"], "GHSA-mh33-7rrq-662w");
    assert_eq!(v["recommendation"], "Upgrade urllib3 to 1.24.2.");
    let component = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "urllib3")
        .unwrap();
    assert_eq!(v["affects"][0]["ref"], component["bom-ref"]);

    let md = scan("markdown");
    // The cache path may hold Markdown punctuation, which is escaped: check the start.
    assert!(md.starts_with("## strata scan: dir:"), "{md}");
    assert!(
        md.contains("| High | [CVE-2019-11324](https://nvd.nist.gov/vuln/detail/CVE-2019-11324) | urllib3 | 1.24.1 | 1.24.2 |"),
        "{md}"
    );
}
