//! Running the binary and comparing its JSON report with the truths.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use strata_testkit::TestImage;
use strata_testkit::truth::{self, Package, StrataSbom};

pub const STRATA: &str = env!("CARGO_BIN_EXE_strata");

/// strata's documented exit code for errors.
pub const EXIT_ERROR: i32 = 2;

/// No single `strata sbom` in these tests may take longer than this.
const TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `strata ARGS` with a timeout and captures everything.
pub fn strata<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    strata_with_env(args, &[])
}

/// [`strata`] with extra environment variables.
pub fn strata_with_env<S: AsRef<std::ffi::OsStr>>(args: &[S], env: &[(&str, &Path)]) -> Run {
    let mut cmd = Command::new(STRATA);
    // The tests say what they mean on the command line; no environment may change it.
    for var in [
        "STRATA_PLATFORM",
        "STRATA_CACHE_DIR",
        "STRATA_NO_CACHE",
        "STRATA_INSECURE",
        "STRATA_REGISTRY_USERNAME",
        "STRATA_REGISTRY_PASSWORD",
        "STRATA_MAX_LAYER_SIZE",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (*k, *v)));
    let mut child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            let args: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
            panic!("strata {args:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&t_out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
    }
}

/// `strata sbom TARGET --format json --no-cache EXTRA...`, which must succeed; parsed.
pub fn sbom_json(target: &str, extra: &[&str]) -> StrataSbom {
    let mut args = vec!["sbom", target, "--format", "json", "--no-cache"];
    args.extend_from_slice(extra);
    let run = strata(&args);
    assert_eq!(
        run.code,
        Some(0),
        "strata {args:?} failed:\nstderr: {}",
        run.stderr
    );
    truth::parse_strata_json(&run.stdout)
        .unwrap_or_else(|e| panic!("strata {args:?}: {e}\nstdout starts: {:.2000}", run.stdout))
}

/// The report lists exactly `want` (type, name, version, arch, source name and version).
pub fn assert_packages(ctx: &str, sbom: &StrataSbom, want: &[Package]) {
    let got = sbom.os_packages();
    assert!(
        got == want,
        "{ctx}: package list differs from the truth\n{}",
        truth::diff("strata", &got, "truth", want)
    );
}

/// strata and syft 1.18.1 agree on (type, name, version) for `img`.
///
/// There is no accepted difference today: on all five test images syft's deb/apk/rpm
/// packages equal the package managers' own lists (checked in strata-testkit's tests) and
/// strata's. A difference that is right on strata's side must be added here as an explicit
/// expected list per image, with the reason in a comment, never by loosening the comparison.
pub fn assert_agrees_with_syft(ctx: &str, sbom: &StrataSbom, img: &TestImage) {
    if strata_testkit::syft_path().is_none() {
        return;
    }
    let syft = truth::syft_os_packages(&img.syft_json().unwrap()).unwrap();
    let ours = truth::keys(&sbom.os_packages());
    assert!(
        ours == syft,
        "{ctx}: strata and syft disagree\n{}",
        truth::diff("strata", &ours, "syft", &syft)
    );
}

/// Every package was introduced by layer `diff_id` and read from a file of that layer.
pub fn assert_all_in_layer(ctx: &str, sbom: &StrataSbom, diff_id: &str) {
    for p in &sbom.packages {
        assert_eq!(
            p.layer_diff_id.as_deref(),
            Some(diff_id),
            "{ctx}: layer of {}",
            p.package.name
        );
        assert!(
            !p.locations.is_empty(),
            "{ctx}: {} has no locations",
            p.package.name
        );
    }
}

/// The distro strata reports.
pub fn assert_distro(ctx: &str, sbom: &StrataSbom, id: &str, version_id: &str) {
    assert_eq!(
        (sbom.distro_id.as_deref(), sbom.distro_version_id.as_deref()),
        (Some(id), Some(version_id)),
        "{ctx}: distro"
    );
}

/// The exit code is 2, stderr says something, and nothing panicked.
pub fn assert_error(ctx: &str, run: &Run) {
    assert_eq!(
        run.code,
        Some(EXIT_ERROR),
        "{ctx}: exit code; stderr: {}",
        run.stderr
    );
    assert!(!run.stderr.trim().is_empty(), "{ctx}: empty stderr");
    assert!(!run.stderr.contains("panicked"), "{ctx}: {}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "{ctx}: stdout not empty: {:.500}",
        run.stdout
    );
}

/// stderr names the layer by one of `names` (a path inside the archive, or a digest, of
/// which the first 12 hex digits are enough).
pub fn assert_names_layer(ctx: &str, run: &Run, names: &[&str]) {
    let hit = names.iter().any(|n| {
        let hex = n.trim_start_matches("sha256:");
        let short = hex.get(..12).unwrap_or(hex);
        run.stderr.contains(n) || run.stderr.contains(short)
    });
    assert!(
        hit,
        "{ctx}: stderr does not name the layer ({names:?}):\n{}",
        run.stderr
    );
}

/// `path` as a `&str` (test paths are UTF-8).
pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Percent-encodes a purl name segment (everything but ASCII letters, digits and `.-_~`).
pub fn purl_escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b".-_~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
