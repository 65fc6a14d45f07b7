//! The local vulnerability database of strata.
//!
//! - [`osv`]: the OSV record model and a validating parser (JSON and YAML).
//! - [`cvss`]: CVSS v2/v3.x/v4.0 vectors and their scores.
//! - [`Database`]: import (OSV files, folders, `.zip`, `.tar.zst`; Alpine secdb; Debian
//!   security tracker JSON; NVD CVE API 2.0 pages), atomic generations, status, and the
//!   query [`Database::affected_for`] that matching uses.
//! - [`update`]: downloads OSV's per-ecosystem `all.zip` archives.

pub mod cvss;
pub mod ecosystem;
mod error;
pub mod feeds;
mod input;
pub mod matching;
pub mod osv;
mod store;
pub mod update;
mod yaml;

pub use error::{Error, Result};
pub use feeds::{EpssScore, KevEntry};
pub use matching::{Evaluation, Verdict};
pub use osv::{
    Affected, Event, Problem, Range, RangeKind, Record, RecordError, Reference, Severity,
};
pub use store::{
    AffectedEntry, Database, EcosystemCount, ImportOptions, ImportReport, Progress, SCHEMA_VERSION,
    Snapshot, SourceInfo, Status, StoredRecord, Warning, rfc3339,
};

/// The default database directory: `$STRATA_DB_DIR`, else `$XDG_CACHE_HOME/strata/db`,
/// else `~/.cache/strata/db`. `None` when none of these variables is set.
pub fn default_db_dir() -> Option<std::path::PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(d) = var("STRATA_DB_DIR") {
        return Some(d.into());
    }
    if let Some(d) = var("XDG_CACHE_HOME") {
        return Some(std::path::PathBuf::from(d).join("strata").join("db"));
    }
    var("HOME").map(|h| {
        std::path::PathBuf::from(h)
            .join(".cache")
            .join("strata")
            .join("db")
    })
}

/// Fuzz target: an OSV record (or any document the importer reads) as JSON or YAML.
/// Never panics.
pub fn fuzz_osv_record(data: &[u8]) {
    for value in [osv::parse_json(data), osv::parse_yaml(data)]
        .into_iter()
        .flatten()
    {
        if let Ok(r) = osv::parse_record(&value) {
            for a in &r.affected {
                let _ = a.check("1.0.0");
            }
        }
        match feeds::classify(value) {
            feeds::Document::AlpineSecdb(v) => {
                let _ = feeds::alpine_secdb(&v, &mut Default::default());
            }
            feeds::Document::DebianTracker(v) => {
                let _ = feeds::debian_tracker(&v, &mut Default::default());
            }
            feeds::Document::NvdPage(v) => {
                let _ = feeds::nvd_page(&v);
            }
            feeds::Document::Kev(v) => {
                let _ = feeds::kev_catalog(&v);
            }
            _ => {}
        }
    }
}

/// Fuzz target: an EPSS CSV file. Never panics.
pub fn fuzz_epss(data: &[u8]) {
    let _ = feeds::epss_csv(data);
}

/// Fuzz target: a CVSS vector. Never panics.
pub fn fuzz_cvss(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = cvss::parse(s);
    }
}

#[cfg(test)]
mod fuzz_tests {
    use super::*;

    /// A small deterministic PRNG (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
        let mut d = seed.to_vec();
        for _ in 0..=rng.below(8) {
            match rng.below(4) {
                0 if !d.is_empty() => {
                    let i = rng.below(d.len());
                    d[i] = rng.next() as u8;
                }
                1 if !d.is_empty() => {
                    let i = rng.below(d.len());
                    d.remove(i);
                }
                2 => {
                    let i = rng.below(d.len() + 1);
                    let j = rng.below(seed.len().max(1));
                    let byte = seed.get(j).copied().unwrap_or(b'{');
                    d.insert(i, byte);
                }
                _ if !d.is_empty() => {
                    let i = rng.below(d.len());
                    let j = rng.below(d.len());
                    let (a, b) = (i.min(j), i.max(j));
                    let chunk = d.get(a..b).map(<[u8]>::to_vec).unwrap_or_default();
                    d.splice(b..b, chunk);
                }
                _ => {}
            }
        }
        d
    }

    const OSV_SEEDS: &[&str] = &[
        r#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-1"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2"}]}],"versions":["1.0"]}]}"#,
        "id: Y-1\nmodified: 2024-01-01T00:00:00Z\naffected:\n- package:\n    ecosystem: Debian:12\n    name: zlib\n  ranges:\n  - type: SEMVER\n    events:\n    - introduced: 1.0.0\n    - last_affected: 2.0.0\n",
        "distroversion: v3.18\npackages:\n- pkg:\n    name: zlib\n    secfixes:\n      1.2.12-r0:\n      - CVE-2018-25032\n",
        r#"{"zlib":{"CVE-2018-1":{"releases":{"bookworm":{"status":"resolved","fixed_version":"1.2-1","urgency":"low"}}}}}"#,
        r#"{"catalogVersion":"2024.03.01","vulnerabilities":[{"cveID":"CVE-2021-44228","dateAdded":"2021-12-10","dueDate":"2021-12-24"}]}"#,
        r#"{"format":"NVD_CVE","vulnerabilities":[{"cve":{"id":"CVE-1","metrics":{"cvssMetricV2":[{"type":"Primary","cvssData":{"vectorString":"AV:N/AC:L/Au:N/C:P/I:P/A:P"}}]}}}]}"#,
    ];

    #[test]
    fn fuzz_functions_do_not_panic_on_mutations() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let epss = b"#model_version:v2023.03.01,score_date:2024-03-01T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.97565,0.99996\n";
        for _ in 0..1000 {
            fuzz_epss(&mutate(&mut rng, epss));
        }
        for i in 0..3000 {
            let seed = OSV_SEEDS[i % OSV_SEEDS.len()].as_bytes();
            let data = mutate(&mut rng, seed);
            fuzz_osv_record(&data);
        }
        let cvss_seeds = [
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        ];
        for i in 0..3000 {
            let data = mutate(&mut rng, cvss_seeds[i % cvss_seeds.len()].as_bytes());
            fuzz_cvss(&data);
        }
        for _ in 0..500 {
            let len = rng.below(64);
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            fuzz_osv_record(&data);
            fuzz_epss(&data);
            fuzz_cvss(&data);
        }
    }
}
