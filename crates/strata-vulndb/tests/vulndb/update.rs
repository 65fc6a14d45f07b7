//! `update` against a local HTTP server (127.0.0.1 only) serving an `all.zip` built from
//! the real RustSec archive: download, conditional requests, offline, failures.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use strata_vulndb::update::{Fetch, UpdateOptions, UpdateProgress, update};
use strata_vulndb::{Database, Error};

use crate::support::vulndb_data;

/// Builds `all.zip` (OSV's layout: one `<ID>.json` per record at the top) from the
/// RustSec `.tar.zst`.
fn build_zip(tar_zst: &Path, out: &Path) -> usize {
    let file = std::fs::File::open(tar_zst).unwrap();
    let mut archive = tar::Archive::new(zstd::stream::read::Decoder::new(file).unwrap());
    let mut zip = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut n = 0;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        if !name.ends_with(".json") {
            continue;
        }
        let mut buf = Vec::new();
        entry.read_to_end(&mut buf).unwrap();
        zip.start_file(name, options).unwrap();
        zip.write_all(&buf).unwrap();
        n += 1;
    }
    zip.finish().unwrap();
    n
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    path: String,
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
}

/// Serves `/crates.io/all.zip` with ETag `"v1"` (304 when it matches) and 404 for the
/// rest; handles at most `max` connections, then stops.
fn serve(body: Vec<u8>, max: usize) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
            let mut if_none_match = None;
            let mut if_modified_since = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    if k.eq_ignore_ascii_case("if-none-match") {
                        if_none_match = Some(v.trim().to_owned());
                    } else if k.eq_ignore_ascii_case("if-modified-since") {
                        if_modified_since = Some(v.trim().to_owned());
                    }
                }
            }
            log.lock().unwrap().push(Seen {
                path: path.clone(),
                if_none_match: if_none_match.clone(),
                if_modified_since,
            });
            let head = |status: &str, len: usize| {
                format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {len}\r\nETag: \"v1\"\r\nLast-Modified: Tue, 01 Dec 2026 00:00:00 GMT\r\nConnection: close\r\n\r\n"
                )
            };
            let _ = if path == "/crates.io/all.zip" {
                if if_none_match.as_deref() == Some("\"v1\"") {
                    stream.write_all(head("304 Not Modified", 0).as_bytes())
                } else {
                    stream
                        .write_all(head("200 OK", body.len()).as_bytes())
                        .and_then(|()| stream.write_all(&body))
                }
            } else {
                stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
            };
        }
    });
    (format!("http://{addr}"), seen)
}

#[test]
fn update_downloads_conditionally_and_imports() {
    let Some(data) = vulndb_data() else { return };
    let work = tempfile::tempdir().unwrap();
    let zip_path = work.path().join("all.zip");
    assert_eq!(
        build_zip(&data.join("rustsec-advisory-db-osv.tar.zst"), &zip_path),
        1206
    );
    let (base, seen) = serve(std::fs::read(&zip_path).unwrap(), 10);
    let dir = work.path().join("db");

    // Offline with nothing at hand: a clear error, no network.
    let offline = UpdateOptions {
        base_url: base.clone(),
        ecosystems: vec!["crates.io".into()],
        offline: true,
        ..UpdateOptions::default()
    };
    assert!(matches!(
        update(&dir, &offline, None).unwrap_err(),
        Error::Offline(_)
    ));
    assert!(seen.lock().unwrap().is_empty());

    let opts = UpdateOptions {
        base_url: base.clone(),
        ecosystems: vec!["crates.io".into(), "Rocky Linux".into()],
        ..UpdateOptions::default()
    };
    // With a progress display: byte counts up to the Content-Length, then the import.
    let mut downloaded = Vec::new();
    let mut batches = 0;
    let mut on_progress = |p: UpdateProgress<'_>| match p {
        UpdateProgress::Downloading {
            ecosystem,
            bytes,
            total,
        } => downloaded.push((ecosystem.to_owned(), bytes, total)),
        UpdateProgress::Import(_) => batches += 1,
    };
    let r = update(&dir, &opts, Some(&mut on_progress)).unwrap();
    let size = std::fs::metadata(&zip_path).unwrap().len();
    assert!(batches > 0);
    assert_eq!(
        downloaded.last(),
        Some(&("crates.io".to_owned(), size, Some(size))),
        "{downloaded:?}"
    );
    assert!(
        downloaded.windows(2).all(|w| w[0].1 <= w[1].1),
        "{downloaded:?}"
    );
    assert_eq!(
        r.fetched[0],
        ("crates.io".to_owned(), Fetch::Downloaded { bytes: size })
    );
    assert_eq!(
        r.fetched[1],
        (
            "Rocky Linux".to_owned(),
            Fetch::Failed {
                message: format!("{base}/Rocky%20Linux/all.zip: HTTP 404")
            }
        )
    );
    let import = r.import.unwrap();
    assert_eq!((import.records, import.generation), (1206, 1));
    assert!(import.skipped.is_empty());

    // Second run: conditional request, 304, no new generation.
    let r = update(&dir, &opts, None).unwrap();
    assert_eq!(r.fetched[0].1, Fetch::NotModified);
    assert!(r.import.is_none());
    assert_eq!(Database::open(&dir).unwrap().generation(), 1);

    // Offline with a database: nothing fetched, nothing changed.
    let r = update(&dir, &offline, None).unwrap();
    assert_eq!(r.fetched, vec![("crates.io".to_owned(), Fetch::Skipped)]);
    assert!(r.import.is_none());

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            Seen {
                path: "/crates.io/all.zip".into(),
                if_none_match: None,
                if_modified_since: None
            },
            Seen {
                path: "/Rocky%20Linux/all.zip".into(),
                if_none_match: None,
                if_modified_since: None
            },
            // Both validators go back: ETag and Last-Modified.
            Seen {
                path: "/crates.io/all.zip".into(),
                if_none_match: Some("\"v1\"".into()),
                if_modified_since: Some("Tue, 01 Dec 2026 00:00:00 GMT".into())
            },
            Seen {
                path: "/Rocky%20Linux/all.zip".into(),
                if_none_match: None,
                if_modified_since: None
            },
        ]
    );
    let db = Database::open(&dir).unwrap();
    let status = db.status().unwrap();
    assert_eq!(status.sources.len(), 1);
    assert_eq!(status.sources[0].name, "crates.io.zip");
    assert_eq!(status.sources[0].records, 1206);
}

const ENV_UPDATE_DB: &str = "STRATA_VULNDB_UPDATE_HELPER_DB";
const ENV_UPDATE_BASE: &str = "STRATA_VULNDB_UPDATE_HELPER_BASE";

/// Not a test on its own: the child process of the test below (does nothing unless the
/// helper environment variables are set). Runs an update and stops dead once its import
/// has started, announcing it.
#[test]
fn helper_update_process() {
    let (Some(db), Some(base)) = (
        std::env::var_os(ENV_UPDATE_DB),
        std::env::var(ENV_UPDATE_BASE).ok(),
    ) else {
        return;
    };
    let opts = UpdateOptions {
        base_url: base,
        ecosystems: vec!["crates.io".into()],
        ..UpdateOptions::default()
    };
    let mut on_progress = |p: UpdateProgress<'_>| {
        if matches!(
            p,
            UpdateProgress::Import(strata_vulndb::Progress::Started { .. })
        ) {
            println!("\nPAUSED import");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    };
    let _ = update(Path::new(&db), &opts, Some(&mut on_progress));
    println!("\nDONE");
}

/// An update killed with SIGKILL after its download but during the import: the next
/// update gets 304 from the server and must still import the archive it has (else the
/// database would stay on the old data until the server published a new archive).
#[test]
fn update_killed_during_import_imports_the_archive_next_time() {
    let Some(data) = vulndb_data() else { return };
    let work = tempfile::tempdir().unwrap();
    let zip_path = work.path().join("all.zip");
    build_zip(&data.join("rustsec-advisory-db-osv.tar.zst"), &zip_path);
    let (base, seen) = serve(std::fs::read(&zip_path).unwrap(), 10);
    let dir = work.path().join("db");
    // An older database to update.
    Database::import(
        &dir,
        &[crate::support::fixtures().join("malformed")],
        strata_vulndb::ImportOptions::default(),
    )
    .unwrap();
    let old_records = Database::open(&dir).unwrap().status().unwrap().records;

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "update::helper_update_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV_UPDATE_DB, &dir)
        .env(ENV_UPDATE_BASE, &base)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut paused = false;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.ends_with("PAUSED import") {
            paused = true;
            child.kill().unwrap();
            break;
        }
        if line.ends_with("DONE") {
            break;
        }
    }
    child.wait().unwrap();
    assert!(paused, "the update never reached its import");
    assert_eq!(
        Database::open(&dir).unwrap().status().unwrap().records,
        old_records,
        "the killed update left the old database"
    );

    let opts = UpdateOptions {
        base_url: base,
        ecosystems: vec!["crates.io".into()],
        ..UpdateOptions::default()
    };
    let r = update(&dir, &opts, None).unwrap();
    assert_eq!(r.fetched[0].1, Fetch::NotModified);
    let import = r.import.expect("the pending archive was imported");
    assert_eq!(import.records, 1206);
    assert_eq!(
        Database::open(&dir).unwrap().status().unwrap().records,
        old_records + 1206
    );
    // Imported now: a third update changes nothing.
    let r = update(&dir, &opts, None).unwrap();
    assert_eq!(r.fetched[0].1, Fetch::NotModified);
    assert!(r.import.is_none());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[1].if_none_match.as_deref(), Some("\"v1\""));
}
