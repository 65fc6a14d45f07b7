//! Malformed records are skipped with a counted warning naming file, id and field; they
//! never abort an import.

use strata_vulndb::{Database, Problem, Warning};

use crate::support::{fixtures, import};

fn short(w: &Warning) -> (String, Option<String>, Problem, String) {
    let file = w.location.rsplit('/').next().unwrap().to_owned();
    (file, w.id.clone(), w.problem, w.path.clone())
}

#[test]
fn malformed_records_are_skipped_with_named_warnings() {
    let dir = fixtures().join("malformed");
    let (db_dir, report) = import(&[&dir]);
    assert_eq!(report.records, 3, "{:#?}", report.skipped);
    assert_eq!(report.documents, 8);
    assert_eq!(report.ignored_files, 1);
    let got: Vec<_> = report.skipped.iter().map(short).collect();
    let s = |v: &str| v.to_owned();
    assert_eq!(
        got,
        vec![
            (
                s("bad-cvss.json"),
                Some(s("TEST-CVSS-1")),
                Problem::BadSeverity,
                s("severity[0].score")
            ),
            (
                s("bad-range.json"),
                Some(s("TEST-RANGE-1")),
                Problem::BadRange,
                s("affected[0].ranges[0].events")
            ),
            (
                s("list.json"),
                Some(s("TEST-LIST-2")),
                Problem::WrongType,
                s("affected[0].versions[0]")
            ),
            (
                s("syntax.json"),
                None,
                Problem::Syntax,
                s("line 3 column 3")
            ),
            (
                s("unknown-ecosystem.json"),
                Some(s("TEST-ECO-1")),
                Problem::UnknownEcosystem,
                s("affected[0].package.ecosystem")
            ),
            (
                s("wrong-type.yaml"),
                Some(s("TEST-TYPE-1")),
                Problem::WrongType,
                s("aliases")
            ),
        ]
    );
    let msg = report.skipped[0].to_string();
    assert!(
        msg.ends_with("bad-cvss.json: TEST-CVSS-1: severity[0].score: invalid CVSS vector \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Z\" at byte 43: invalid value \"Z\" for metric A (allowed: H, L, N) (bad-severity)"),
        "{msg}"
    );
    let db = Database::open(db_dir.path()).unwrap();
    let entries = db.affected_for("PyPI", "good.package").unwrap();
    // The withdrawn record for the same package is not offered to matching.
    assert_eq!(
        entries
            .iter()
            .map(|e| e.record_id.as_str())
            .collect::<Vec<_>>(),
        vec!["TEST-GOOD-1"]
    );
    assert_eq!(entries[0].affected.name, "Good_Package");
    let status = db.status().unwrap();
    assert_eq!(status.withdrawn, 1);
    assert_eq!(status.sources.len(), 1);
    assert_eq!(status.sources[0].name, "malformed");
    assert_eq!(status.sources[0].skipped, 6);
    assert_eq!(status.sources[0].records, 3);
}

#[test]
fn a_missing_input_fails_and_leaves_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let err = Database::import(
        dir.path(),
        &[fixtures().join("does-not-exist.json")],
        Default::default(),
    )
    .unwrap_err();
    assert!(matches!(err, strata_vulndb::Error::Io { .. }), "{err}");
    assert!(!Database::exists(dir.path()));
    assert!(matches!(
        Database::open(dir.path()).unwrap_err(),
        strata_vulndb::Error::NoDatabase { .. }
    ));
}
