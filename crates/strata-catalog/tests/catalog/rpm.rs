//! rpm detectors against real rpm databases (SQLite, Berkeley DB, NDB) from the shared
//! data, with the expected lists that rpm 4.18 (or go-rpmdb's upstream table) produced,
//! and against databases made here by Debian's own `rpm`/`rpmbuild`.

use std::path::{Path, PathBuf};
use std::process::Command;

use strata_catalog::os::rpm::{
    Backend, DbError, Header, HeaderError, PackageInfo, RpmBdbDetector, RpmNdbDetector,
    RpmSqliteDetector,
};
use strata_catalog::{DetectError, DetectInput, Detector};
use strata_types::{Distro, PackageType};

/// One row of the expected lists: name, epoch, version, release, arch, sourcerpm, size,
/// license, vendor, sigmd5, summary.
type Row = [String; 11];

fn rpmdb_dir() -> Option<PathBuf> {
    Some(strata_testkit::data_dir()?.join("rpmdb"))
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The expected rows of a `.tsv`: `#` comments, then a column-name row, then data.
fn expected_rows(path: &Path) -> Vec<Row> {
    let text = String::from_utf8(read(path)).unwrap();
    let mut lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty());
    let head = lines.next().unwrap();
    assert_eq!(
        head,
        "name\tepoch\tversion\trelease\tarch\tsourcerpm\tsize\tlicense\tvendor\tsigmd5\tsummary"
    );
    lines
        .map(|l| {
            let f: Vec<String> = l.split('\t').map(str::to_owned).collect();
            <Row>::try_from(f).unwrap_or_else(|f| panic!("bad row {f:?}"))
        })
        .collect()
}

fn row(info: &PackageInfo) -> Row {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    [
        info.name.clone(),
        info.epoch.map(|e| e.to_string()).unwrap_or_default(),
        info.version.clone(),
        info.release.clone(),
        opt(&info.arch),
        opt(&info.source_rpm),
        info.size.map(|s| s.to_string()).unwrap_or_default(),
        opt(&info.license),
        opt(&info.vendor),
        opt(&info.sigmd5),
        opt(&info.summary),
    ]
}

fn actual_rows(backend: Backend, bytes: &[u8]) -> Vec<Row> {
    backend
        .read_packages(bytes)
        .unwrap()
        .iter()
        .map(|p| row(&p.info))
        .collect()
}

fn assert_rows(actual: &[Row], expected: &[Row]) {
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert_eq!(a, e, "row {i}");
    }
    assert_eq!(actual.len(), expected.len());
}

fn distro(id: &str, version_id: &str) -> Distro {
    Distro {
        id: id.into(),
        version_id: version_id.into(),
        codename: None,
        id_like: vec![],
        pretty_name: None,
        source_file: "/etc/os-release".into(),
    }
}

#[test]
fn sqlite_cbl_mariner_matches_rpm() {
    let Some(dir) = rpmdb_dir() else { return };
    let bytes = read(&dir.join("go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite"));
    let expected = expected_rows(&dir.join("expected/cbl-mariner-2.0.rpmdb.sqlite.tsv"));
    assert_eq!(expected.len(), 129);
    assert_rows(&actual_rows(Backend::Sqlite, &bytes), &expected);

    // Through the detector: every row becomes a package; spot-check one fully.
    let d = distro("mariner", "2.0");
    let input = DetectInput {
        path: "/var/lib/rpm/rpmdb.sqlite",
        contents: &bytes,
        distro: Some(&d),
    };
    let pkgs = RpmSqliteDetector.detect(&input).unwrap();
    let keys: Vec<(String, String, Option<String>)> = pkgs
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.arch.clone()))
        .collect();
    let want: Vec<(String, String, Option<String>)> = expected
        .iter()
        .map(|r| {
            let v = if r[1].is_empty() {
                format!("{}-{}", r[2], r[3])
            } else {
                format!("{}:{}-{}", r[1], r[2], r[3])
            };
            (r[0].clone(), v, Some(r[4].clone()))
        })
        .collect();
    assert_eq!(keys, want);
    let curl = pkgs.iter().find(|p| p.name == "curl").unwrap();
    assert_eq!(curl.package_type, PackageType::Rpm);
    assert_eq!(curl.version, "7.76.0-6.cm2");
    assert_eq!(curl.source_name.as_deref(), Some("curl"));
    assert_eq!(curl.source_version.as_deref(), Some("7.76.0-6.cm2"));
    assert_eq!(curl.licenses, vec!["MIT".to_owned()]);
    assert_eq!(
        curl.purl,
        "pkg:rpm/mariner/curl@7.76.0-6.cm2?arch=x86_64&distro=mariner-2.0&upstream=curl-7.76.0-6.cm2.src.rpm"
    );
    let rpm = curl.rpm.as_ref().unwrap();
    assert_eq!(rpm.vendor.as_deref(), Some("Microsoft Corporation"));
    assert_eq!(curl.locations[0].path, "/var/lib/rpm/rpmdb.sqlite");
    let ca = pkgs
        .iter()
        .find(|p| p.name == "ca-certificates-base")
        .unwrap();
    assert!(ca.version.starts_with("1:"), "{}", ca.version);
    assert!(ca.purl.contains("&epoch=1&"), "{}", ca.purl);
}

#[test]
fn sqlite_file_ownership() {
    let Some(dir) = rpmdb_dir() else { return };
    let bytes = read(&dir.join("go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite"));
    let pkgs = Backend::Sqlite.read_packages(&bytes).unwrap();
    let owner = |file: &str| {
        pkgs.iter()
            .filter(|p| p.installed_files().unwrap().iter().any(|f| f == file))
            .map(|p| p.info.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(owner("/usr/bin/curl"), vec!["curl".to_owned()]);
    assert_eq!(owner("/bin/bash"), vec!["bash".to_owned()]);
}

#[test]
fn bdb_libuuid_matches_rpm() {
    let Some(dir) = rpmdb_dir() else { return };
    let bytes = read(&dir.join("go-rpmdb/libuuid/Packages"));
    let expected = expected_rows(&dir.join("expected/libuuid.Packages.tsv"));
    assert_rows(&actual_rows(Backend::Bdb, &bytes), &expected);
    let pkgs = Backend::Bdb.read_packages(&bytes).unwrap();
    let files = pkgs[0].installed_files().unwrap();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("/usr/lib64/libuuid.so.1")),
        "{files:?}"
    );
}

#[test]
fn bdb_syft_matches_rpm() {
    let Some(dir) = rpmdb_dir() else { return };
    let bytes = read(&dir.join("syft/Packages"));
    let text = String::from_utf8(read(&dir.join("expected/syft.Packages.txt"))).unwrap();
    let expected: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    let input = DetectInput {
        path: "/var/lib/rpm/Packages",
        contents: &bytes,
        distro: None,
    };
    let got: Vec<String> = RpmBdbDetector
        .detect(&input)
        .unwrap()
        .iter()
        .map(|p| {
            let r = p.rpm.as_ref().unwrap();
            format!(
                "{}-{}-{}.{}",
                p.name,
                r.version,
                r.release,
                p.arch.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn ndb_sle15_matches_upstream_table() {
    let Some(dir) = rpmdb_dir() else { return };
    let bytes = read(&dir.join("go-rpmdb/sle15-bci/Packages.db"));
    let expected = expected_rows(&dir.join("expected/sle15-bci.Packages.db.tsv"));
    assert_eq!(expected.len(), 35);
    assert_rows(&actual_rows(Backend::Ndb, &bytes), &expected);
    let input = DetectInput {
        path: "/usr/lib/sysimage/rpm/Packages.db",
        contents: &bytes,
        distro: None,
    };
    assert_eq!(RpmNdbDetector.detect(&input).unwrap().len(), 35);
}

#[test]
fn claircore_no_packages_table() {
    let Some(dir) = rpmdb_dir() else { return };
    let bytes = read(&dir.join("claircore/no_packages.sqlite"));
    assert_eq!(
        Backend::Sqlite.read_blobs(&bytes).unwrap_err(),
        DbError::MissingTable { name: "Packages" }
    );
    let input = DetectInput {
        path: "/var/lib/rpm/rpmdb.sqlite",
        contents: &bytes,
        distro: None,
    };
    let err = RpmSqliteDetector.detect(&input).unwrap_err();
    assert!(matches!(err, DetectError::Malformed { .. }));
    assert_eq!(
        err.to_string(),
        "/var/lib/rpm/rpmdb.sqlite: no Packages table in the database schema"
    );
}

#[test]
fn raw_header_blobs() {
    let Some(dir) = rpmdb_dir() else { return };
    // go-rpmdb's blob.bin: NEVRA parses; its file list has a directory index past the
    // end of DIRNAMES, which must be an error (go-rpmdb's test expects one too).
    let blob = read(&dir.join("go-rpmdb/blob.bin"));
    let h = Header::parse(&blob).unwrap();
    let info = PackageInfo::from_header(&h).unwrap();
    assert_eq!(
        (info.name.as_str(), info.evr(), info.arch.as_deref()),
        (
            "publicsuffix-list-dafsa",
            "20210518-2.fc35".to_owned(),
            Some("noarch")
        )
    );
    assert_eq!(
        h.installed_files().unwrap_err(),
        HeaderError::FileList {
            message:
                "file 3 (public_suffix_list.dafsa): directory index 4 out of range (4 DIRNAMES)"
                    .into()
        }
    );

    let blob = read(&dir.join("claircore/package.header"));
    let h = Header::parse(&blob).unwrap();
    let info = PackageInfo::from_header(&h).unwrap();
    assert_eq!(
        (info.name.as_str(), info.evr(), info.arch.as_deref()),
        (
            "crypto-policies",
            "20210213-1.git5c710c0.fc34".to_owned(),
            Some("noarch")
        )
    );
    let files = h.installed_files().unwrap();
    assert_eq!(files.len(), 152);
    assert_eq!(
        files[..3],
        [
            "/etc/crypto-policies",
            "/etc/crypto-policies/back-ends",
            "/etc/crypto-policies/back-ends/bind.config"
        ]
    );
}

// --- Databases made here by rpm itself -------------------------------------------

fn tool(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const SPECS: &[(&str, &str)] = &[
    (
        "epoch.spec",
        "Name: strata-epoch\nEpoch: 3\nVersion: 1.0~rc1^git5\nRelease: 2.test\nSummary: Epoch, tilde and caret\nLicense: MIT AND Apache-2.0\nVendor: Strata Test\nBuildArch: noarch\n%description\nx\n%install\nmkdir -p %{buildroot}/usr/share/strata-epoch\necho a > %{buildroot}/usr/share/strata-epoch/a.txt\necho b > %{buildroot}/usr/share/strata-epoch/b.txt\n%files\n/usr/share/strata-epoch\n",
    ),
    (
        "plain.spec",
        "Name: strata-plain\nVersion: 2.5\nRelease: 1\nSummary: No epoch\nLicense: GPL-2.0-or-later\nBuildArch: noarch\n%description\nx\n%install\nmkdir -p %{buildroot}/etc\necho c > %{buildroot}/etc/strata-plain.conf\n%files\n/etc/strata-plain.conf\n",
    ),
];

#[test]
fn sqlite_made_by_rpm_matches_rpm_qa() {
    if !tool("rpm") || !tool("rpmbuild") {
        strata_testkit::skip_or_fail("rpm and rpmbuild are needed (apt-get install rpm)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path().join("top");
    let root = tmp.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let rpm = |args: &[&str]| {
        run(Command::new("rpm")
            .arg("--root")
            .arg(&root)
            .args(["--dbpath", "/var/lib/rpm", "--define", "_db_backend sqlite"])
            .args(args))
    };
    rpm(&["--initdb"]);
    let db_path = root.join("var/lib/rpm/rpmdb.sqlite");

    // A freshly initialised database: no packages.
    let empty = read(&db_path);
    assert_eq!(Backend::Sqlite.read_blobs(&empty).unwrap(), vec![]);

    for (file, spec) in SPECS {
        let path = tmp.path().join(file);
        std::fs::write(&path, spec).unwrap();
        run(Command::new("rpmbuild")
            .arg("-bb")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .arg(&path));
    }
    let mut rpms: Vec<String> = std::fs::read_dir(top.join("RPMS/noarch"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    rpms.sort();
    let mut args = vec!["-i", "--nodeps"];
    args.extend(rpms.iter().map(String::as_str));
    rpm(&args);

    // An imported signing key becomes a gpg-pubkey pseudo package in the database.
    if !tool("gpg") {
        strata_testkit::skip_or_fail("gpg is needed (apt-get install gpg)");
        return;
    }
    let gnupg = tmp.path().join("gnupg");
    std::fs::create_dir_all(&gnupg).unwrap();
    let gpg = |args: &[&str]| run(Command::new("gpg").env("GNUPGHOME", &gnupg).args(args));
    gpg(&[
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "Strata Test <test@example.invalid>",
        "ed25519",
        "sign",
        "never",
    ]);
    let key = tmp.path().join("key.asc");
    std::fs::write(&key, gpg(&["--armor", "--export"])).unwrap();
    rpm(&["--import", key.to_str().unwrap()]);

    let qf = "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{SIZE}\\t%{LICENSE}\\t%{VENDOR}\\t%{SIGMD5}\\t%{SUMMARY}\\n";
    let expected: Vec<Row> = rpm(&["-qa", "--qf", qf])
        .lines()
        .map(|l| {
            let f: Vec<String> = l
                .split('\t')
                .map(|s| {
                    if s == "(none)" {
                        String::new()
                    } else {
                        s.to_owned()
                    }
                })
                .collect();
            <Row>::try_from(f).unwrap()
        })
        .collect();
    assert_eq!(expected.len(), 3);
    assert_eq!(expected[2][0], "gpg-pubkey");

    let bytes = read(&db_path);
    assert_rows(&actual_rows(Backend::Sqlite, &bytes), &expected);

    let pkgs = Backend::Sqlite.read_packages(&bytes).unwrap();
    for p in pkgs.iter().filter(|p| p.info.name != "gpg-pubkey") {
        let mut want: Vec<String> = rpm(&["-ql", &p.info.name])
            .lines()
            .map(str::to_owned)
            .collect();
        want.sort();
        let mut got = p.installed_files().unwrap();
        got.sort();
        assert_eq!(got, want, "{}", p.info.name);
    }

    let d = distro("fedora", "40");
    let input = DetectInput {
        path: "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        contents: &bytes,
        distro: Some(&d),
    };
    let mut purls: Vec<(String, String)> = RpmSqliteDetector
        .detect(&input)
        .unwrap()
        .into_iter()
        .map(|p| (p.version, p.purl))
        .collect();
    purls.sort();
    assert_eq!(
        purls,
        vec![
            (
                "2.5-1".to_owned(),
                "pkg:rpm/fedora/strata-plain@2.5-1?arch=noarch&distro=fedora-40&upstream=strata-plain-2.5-1.src.rpm".to_owned()
            ),
            (
                "3:1.0~rc1^git5-2.test".to_owned(),
                "pkg:rpm/fedora/strata-epoch@1.0~rc1%5Egit5-2.test?arch=noarch&distro=fedora-40&epoch=3&upstream=strata-epoch-1.0~rc1%5Egit5-2.test.src.rpm".to_owned()
            ),
        ]
    );
}

/// `db_load` from Berkeley DB's utilities, under either of its Debian names.
fn db_load() -> Option<&'static str> {
    ["db_load", "db5.3_load"].into_iter().find(|t| {
        Command::new(t)
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Real Berkeley DB files written by the Berkeley DB library itself (`db_load`), in
/// both byte orders and both access methods, holding the 129 real headers of the
/// CBL-Mariner database (most of them larger than a page, so stored in overflow
/// chains). rpm reads the same files back as the reference.
#[test]
fn bdb_written_by_berkeley_db_matches_rpm() {
    let Some(dir) = rpmdb_dir() else { return };
    let Some(load) = db_load() else {
        strata_testkit::skip_or_fail("db_load is needed (apt-get install db-util)");
        return;
    };
    if !tool("rpm") {
        strata_testkit::skip_or_fail("rpm is needed (apt-get install rpm)");
        return;
    }
    let sqlite = read(&dir.join("go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite"));
    let blobs = Backend::Sqlite.read_blobs(&sqlite).unwrap();
    let mut expected = expected_rows(&dir.join("expected/cbl-mariner-2.0.rpmdb.sqlite.tsv"));
    expected.sort();
    let tmp = tempfile::tempdir().unwrap();
    for (access, lorder) in [
        ("hash", "1234"),
        ("hash", "4321"),
        ("btree", "1234"),
        ("btree", "4321"),
    ] {
        let key = |v: u32| {
            if lorder == "1234" {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let mut dump =
            format!("VERSION=3\nformat=bytevalue\ntype={access}\ndb_pagesize=4096\nHEADER=END\n");
        // rpm's bookkeeping record: key 0 holds the next package number.
        dump.push_str(&format!(
            " {}\n {}\n",
            hex(&key(0)),
            hex(&key(blobs.len() as u32 + 1))
        ));
        for b in &blobs {
            dump.push_str(&format!(" {}\n {}\n", hex(&key(b.id)), hex(&b.data)));
        }
        dump.push_str("DATA=END\n");
        let db_dir = tmp.path().join(format!("{access}-{lorder}"));
        std::fs::create_dir_all(&db_dir).unwrap();
        let dump_path = db_dir.join("dump.txt");
        std::fs::write(&dump_path, dump).unwrap();
        run(Command::new(load)
            .arg("-c")
            .arg(format!("db_lorder={lorder}"))
            .arg("-f")
            .arg(&dump_path)
            .arg(db_dir.join("Packages")));
        let bytes = read(&db_dir.join("Packages"));

        let mut ours = actual_rows(Backend::Bdb, &bytes);
        ours.sort();
        assert_rows(&ours, &expected);

        // rpm agrees that this is the same database.
        let qa = run(Command::new("rpm").arg("--dbpath").arg(&db_dir).args([
            "--define",
            "_db_backend bdb_ro",
            "-qa",
            "--qf",
            "%{NAME}-%{EVR}.%{ARCH}\\n",
        ]));
        let mut theirs: Vec<&str> = qa.lines().collect();
        theirs.sort();
        let mut nevra: Vec<String> = ours
            .iter()
            .map(|r| {
                let evr = if r[1].is_empty() {
                    format!("{}-{}", r[2], r[3])
                } else {
                    format!("{}:{}-{}", r[1], r[2], r[3])
                };
                format!("{}-{evr}.{}", r[0], r[4])
            })
            .collect();
        nevra.sort();
        assert_eq!(nevra, theirs, "{access} {lorder}");
    }
}

// --- Bad input through the detectors ---------------------------------------------

#[test]
fn bad_input_is_an_error_naming_the_file() {
    let cases: [(&dyn Detector, &str, Vec<u8>, &str); 6] = [
        (
            &RpmSqliteDetector,
            "/var/lib/rpm/rpmdb.sqlite",
            vec![0; 4096],
            "/var/lib/rpm/rpmdb.sqlite: bad magic at offset 0: expected \"SQLite format 3\"",
        ),
        (
            &RpmSqliteDetector,
            "/var/lib/rpm/rpmdb.sqlite",
            b"SQLite format 3\0".to_vec(),
            "/var/lib/rpm/rpmdb.sqlite: truncated: 100 bytes needed (offset 0), file has 16",
        ),
        (
            &RpmBdbDetector,
            "/var/lib/rpm/Packages",
            vec![0xff; 8192],
            "/var/lib/rpm/Packages: bad magic at offset 12: expected a Berkeley DB hash or btree magic",
        ),
        (
            &RpmBdbDetector,
            "/var/lib/rpm/Packages",
            vec![1, 2, 3],
            "/var/lib/rpm/Packages: truncated: 512 bytes needed (offset 0), file has 3",
        ),
        (
            &RpmNdbDetector,
            "/usr/lib/sysimage/rpm/Packages.db",
            vec![0; 100],
            "/usr/lib/sysimage/rpm/Packages.db: bad magic at offset 0: expected \"RpmP\"",
        ),
        (
            &RpmNdbDetector,
            "/usr/lib/sysimage/rpm/Packages.db",
            b"RpmP\0\0\0\0\0\0\0\0\x09\0\0\0xxxxxxxxxxxxxxxx".to_vec(),
            "/usr/lib/sysimage/rpm/Packages.db: at offset 12: 9 slot pages do not fit in the 32-byte file",
        ),
    ];
    for (det, path, contents, want) in cases {
        let input = DetectInput {
            path,
            contents: &contents,
            distro: None,
        };
        let err = det.detect(&input).unwrap_err();
        assert!(matches!(err, DetectError::Malformed { .. }), "{err:?}");
        assert_eq!(err.to_string(), want);
    }
}

#[test]
fn truncated_real_databases_fail_cleanly() {
    let Some(dir) = rpmdb_dir() else { return };
    let files = [
        (Backend::Sqlite, "go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite"),
        (Backend::Bdb, "go-rpmdb/libuuid/Packages"),
        (Backend::Ndb, "go-rpmdb/sle15-bci/Packages.db"),
    ];
    for (backend, file) in files {
        let bytes = read(&dir.join(file));
        // Cut in half: an error, never a panic, never a partial success.
        let half = &bytes[..bytes.len() / 2];
        assert!(backend.read_packages(half).is_err(), "{file}");
    }
}

#[test]
fn header_limits_are_enforced() {
    let mut blob = 0x8000_0000u32.to_be_bytes().to_vec();
    blob.extend_from_slice(&[0; 4]);
    assert_eq!(
        Header::parse(&blob).unwrap_err(),
        HeaderError::TooManyEntries {
            count: 0x8000_0000,
            limit: 0x1_0000
        }
    );
}

/// A fixture, the fuzz entry point to feed it to, and how many mutations.
type FuzzCase = (&'static str, fn(&[u8]), usize);

/// The fuzz entry points on deterministic mutations of the real databases: never a
/// panic, whatever is flipped, zeroed or cut.
#[test]
fn mutated_real_databases_never_panic() {
    let Some(dir) = rpmdb_dir() else { return };
    let targets: [FuzzCase; 5] = [
        (
            "go-rpmdb/cbl-mariner-2.0/rpmdb.sqlite",
            strata_catalog::os::rpm::fuzz_rpm_sqlite,
            30,
        ),
        (
            "go-rpmdb/libuuid/Packages",
            strata_catalog::os::rpm::fuzz_rpm_bdb,
            400,
        ),
        ("syft/Packages", strata_catalog::os::rpm::fuzz_rpm_bdb, 400),
        (
            "go-rpmdb/sle15-bci/Packages.db",
            strata_catalog::os::rpm::fuzz_rpm_ndb,
            60,
        ),
        (
            "claircore/package.header",
            strata_catalog::os::rpm::fuzz_rpm_header,
            1000,
        ),
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (file, fuzz, iterations) in targets {
        let original = read(&dir.join(file));
        for _ in 0..iterations {
            let mut data = original.clone();
            for _ in 0..1 + next() % 16 {
                let at = (next() % data.len() as u64) as usize;
                match next() % 4 {
                    0 => data[at] ^= 1 << (next() % 8),
                    1 => data[at] = next() as u8,
                    2 => {
                        let end = (at + 4).min(data.len());
                        data[at..end].fill(0xff);
                    }
                    _ => {
                        let end = (at + 1 + (next() % 512) as usize).min(data.len());
                        data[at..end].fill(0);
                    }
                }
            }
            if next() % 8 == 0 {
                let cut = (next() % data.len() as u64) as usize;
                data.truncate(cut);
            }
            fuzz(&data);
        }
    }
}
