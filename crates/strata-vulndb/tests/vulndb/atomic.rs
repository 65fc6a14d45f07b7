//! The database is swapped atomically: an import killed with SIGKILL at any step leaves
//! the previous database whole and usable. The writer runs in a child process (this test
//! binary, re-executed into `helper_import_process`), which stops at a named step and
//! announces it; the parent then kills it with SIGKILL.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use strata_vulndb::{Database, ImportOptions, Progress};

use crate::support::{fixtures, vulndb_data};

const ENV_DB: &str = "STRATA_VULNDB_HELPER_DB";
const ENV_INPUT: &str = "STRATA_VULNDB_HELPER_INPUT";
const ENV_PAUSE: &str = "STRATA_VULNDB_HELPER_PAUSE";

fn step_name(p: &Progress) -> &'static str {
    match p {
        Progress::Started { .. } => "started",
        Progress::Batch { .. } => "batch",
        Progress::Built { .. } => "built",
        Progress::Swapped { .. } => "swapped",
    }
}

/// Not a test on its own: the child process of the tests below (does nothing unless the
/// helper environment variables are set).
#[test]
fn helper_import_process() {
    let (Some(db), Some(input)) = (std::env::var_os(ENV_DB), std::env::var_os(ENV_INPUT)) else {
        return;
    };
    let pause = std::env::var(ENV_PAUSE).unwrap_or_default();
    let mut progress = |p: Progress| {
        if step_name(&p) == pause {
            println!("\nPAUSED {pause}");
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    };
    Database::import(
        Path::new(&db),
        &[input.into()],
        ImportOptions {
            fresh: false,
            progress: Some(&mut progress),
        },
    )
    .unwrap();
    println!("\nDONE");
}

/// Runs the helper; when `pause` is set, kills it with SIGKILL once it reached that step.
/// With `kill_after`, kills it after that delay instead, wherever it is.
fn run_helper(db: &Path, input: &Path, pause: &str, kill_after: Option<Duration>) -> bool {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "atomic::helper_import_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_DB, db)
        .env(ENV_INPUT, input)
        .env(ENV_PAUSE, pause)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    if let Some(delay) = kill_after {
        std::thread::sleep(delay);
        // Child::kill sends SIGKILL on Unix.
        let _ = child.kill();
        let status = child.wait().unwrap();
        return status.success();
    }
    let stdout = child.stdout.take().unwrap();
    let mut reached = false;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.ends_with(&format!("PAUSED {pause}")) {
            reached = true;
            child.kill().unwrap();
            break;
        }
        if line.ends_with("DONE") {
            break;
        }
    }
    child.wait().unwrap();
    reached
}

fn record_count(dir: &Path) -> (u64, u64) {
    let db = Database::open(dir).unwrap();
    (db.generation(), db.status().unwrap().records)
}

#[test]
fn sigkill_at_any_step_leaves_the_old_database() {
    let Some(data) = vulndb_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let old = fixtures().join("malformed");
    Database::import(dir.path(), &[old], ImportOptions::default()).unwrap();
    assert_eq!(record_count(dir.path()), (1, 3));
    // 4291 records: two batches of 2000 are committed into the new generation.
    let new = data.join("golang-vulndb-osv.tar.zst");

    for step in ["started", "batch", "built"] {
        assert!(
            run_helper(dir.path(), &new, step, None),
            "helper never reached {step}"
        );
        assert_eq!(record_count(dir.path()), (1, 3), "after SIGKILL at {step}");
        let db = Database::open(dir.path()).unwrap();
        assert_eq!(
            db.affected_for("PyPI", "good-package").unwrap().len(),
            1,
            "old data readable after SIGKILL at {step}"
        );
    }

    // Killed right after the swap: the new generation is complete and current.
    assert!(run_helper(dir.path(), &new, "swapped", None));
    assert_eq!(record_count(dir.path()), (2, 3 + 4291));

    // Kills at arbitrary moments: the database is always one whole generation.
    for ms in [5u64, 40, 150, 400, 900] {
        run_helper(dir.path(), &new, "", Some(Duration::from_millis(ms)));
        let (_, records) = record_count(dir.path());
        assert_eq!(records, 3 + 4291, "after SIGKILL at {ms} ms");
    }

    // A normal import afterwards cleans up what the killed writers left.
    let r = Database::import(
        dir.path(),
        &[fixtures().join("nvd/alias.json")],
        ImportOptions::default(),
    )
    .unwrap();
    let (generation, records) = record_count(dir.path());
    assert_eq!((generation, records), (r.generation, 3 + 4291 + 1));
    let gens = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("gen-")
        })
        .count();
    assert_eq!(gens, 2);
}
