//! Queries and status on small inputs: NVD severities through aliases, newer records win,
//! generations advance, status counts.

use strata_vulndb::{Database, ImportOptions};

use crate::support::{fixtures, vulndb_data};

#[test]
fn nvd_fills_missing_severity_and_newer_records_win() {
    let Some(data) = vulndb_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let vunnel = data.join("distro/vunnel-provider-fixtures.tar.zst");
    let r = Database::import(
        dir.path(),
        &[fixtures().join("nvd/alias.json"), vunnel],
        ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(r.generation, 1);
    let db = Database::open(dir.path()).unwrap();
    let e = db.affected_for("Packagist", "wp/maintenance").unwrap();
    assert_eq!(e.len(), 1);
    let sev: Vec<(&str, &str, Option<f64>, Option<&str>)> = e[0]
        .severity
        .iter()
        .map(|s| {
            (
                s.kind.as_str(),
                s.source.as_str(),
                s.base_score,
                s.rating.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        sev,
        vec![
            ("CVSS_V3", "nvd", Some(6.5), Some("MEDIUM")),
            ("CVSS_V2", "nvd", Some(4.3), Some("MEDIUM")),
        ]
    );
    drop(db);

    // An older version of the record does not replace the stored one.
    let r = Database::import(
        dir.path(),
        &[fixtures().join("nvd/older.json")],
        ImportOptions::default(),
    )
    .unwrap();
    assert_eq!((r.records, r.older_than_stored, r.generation), (0, 1, 2));
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(db.generation(), 2);
    assert_eq!(
        db.affected_for("Packagist", "wp/maintenance")
            .unwrap()
            .len(),
        1
    );
    let status = db.status().unwrap();
    let names: Vec<&str> = status.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "alias.json",
            "older.json",
            "vunnel-provider-fixtures.tar.zst"
        ]
    );
    assert_eq!(status.nvd_entries, 39);
    assert_eq!(status.records, 39);
    // Only the current and the previous generation are kept.
    let mut gens: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    gens.sort();
    assert_eq!(gens, vec!["gen-00000001", "gen-00000002"]);

    // --fresh starts from an empty database.
    let r = Database::import(
        dir.path(),
        &[fixtures().join("nvd/alias.json")],
        ImportOptions {
            fresh: true,
            progress: None,
        },
    )
    .unwrap();
    assert_eq!((r.records, r.generation), (1, 3));
    let db = Database::open(dir.path()).unwrap();
    let status = db.status().unwrap();
    assert_eq!((status.records, status.nvd_entries), (1, 0));
    assert_eq!(db.ecosystems().unwrap(), vec!["Packagist"]);
    assert_eq!(
        status.newest,
        Some(("TEST-NVD-1".to_owned(), "2025-01-02T03:04:05Z".to_owned()))
    );
    assert_eq!(status.built_at.len(), "2026-12-03T19:45:10Z".len());
    assert!(status.db_bytes > 0);
}

#[test]
fn a_schema_1_database_is_migrated_by_the_next_import() {
    let dir = tempfile::tempdir().unwrap();
    let alias = fixtures().join("nvd/alias.json");
    Database::import(
        dir.path(),
        std::slice::from_ref(&alias),
        ImportOptions::default(),
    )
    .unwrap();
    // Turn the generation back into what strata with schema 1 wrote.
    let path = Database::open(dir.path()).unwrap().path().to_owned();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE kev; DROP TABLE epss; \
         ALTER TABLE records DROP COLUMN upstream; ALTER TABLE records DROP COLUMN refs; \
         UPDATE meta SET value = '1' WHERE key = 'schema_version';",
    )
    .unwrap();
    drop(conn);
    let err = Database::open(dir.path()).unwrap_err();
    assert!(matches!(err, strata_vulndb::Error::Schema { .. }), "{err}");
    // The writer migrates its copy; the old generation stays as it was.
    let r = Database::import(dir.path(), &[alias], ImportOptions::default()).unwrap();
    assert_eq!(r.generation, 2);
    let db = Database::open(dir.path()).unwrap();
    let status = db.status().unwrap();
    assert_eq!((status.schema_version, status.records), (2, 1));
    assert_eq!((status.kev_entries, status.epss_entries), (0, 0));
    let e = db.affected_for("Packagist", "wp/maintenance").unwrap();
    assert_eq!(e[0].upstream, Vec::<String>::new());
}
