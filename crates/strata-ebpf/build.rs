//! Compiles `bpf/probe.bpf.c` with clang into `$OUT_DIR/probe.bpf.o` when the `probe`
//! feature is on. Without the feature nothing is compiled and no clang is needed.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCE: &str = "bpf/probe.bpf.c";

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=STRATA_BPF_CLANG");
    if env::var_os("CARGO_FEATURE_PROBE").is_none() {
        return;
    }
    if let Err(e) = build_probe() {
        eprintln!("error: strata-ebpf (feature `probe`): {e}");
        std::process::exit(1);
    }
}

fn build_probe() -> Result<(), String> {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let clang = find_clang()?;
    let mut cmd = Command::new(&clang);
    cmd.args(["-O2", "-g", "-target", "bpf", "-Wall", "-Werror"]);
    cmd.arg(format!("-D__TARGET_ARCH_{}", target_arch_define()));
    if let Some(dir) = multiarch_include() {
        cmd.arg("-I").arg(dir);
    }
    let object = out_dir.join("probe.bpf.o");
    cmd.args(["-c", SOURCE, "-o"]).arg(&object);
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", clang.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed to compile {SOURCE} ({}):\n{}\nThe BPF headers come from the Debian package \
             libbpf-dev (bpf/bpf_helpers.h) and linux-libc-dev (linux/bpf.h, asm/types.h).",
            clang.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

/// `$STRATA_BPF_CLANG`, else the first of `clang`, `clang-14` .. `clang-19` found on PATH.
fn find_clang() -> Result<PathBuf, String> {
    if let Some(c) = env::var_os("STRATA_BPF_CLANG") {
        return Ok(PathBuf::from(c));
    }
    let mut names = vec!["clang".to_string()];
    names.extend((14..=19).rev().map(|v| format!("clang-{v}")));
    let path = env::var_os("PATH").unwrap_or_default();
    for name in &names {
        for dir in env::split_paths(&path) {
            let candidate = dir.join(name);
            if is_executable(&candidate) {
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "no clang found on PATH (tried {}); the `probe` feature compiles the eBPF program with \
         clang: install it with `apt-get install -y clang-14 libbpf-dev` (Debian 12), \
         or set STRATA_BPF_CLANG to a clang that has the BPF target, or build without \
         `--features probe`",
        names.join(", ")
    ))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn target_arch_define() -> &'static str {
    match env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("aarch64") => "arm64",
        Ok("riscv64") => "riscv",
        Ok("s390x") => "s390",
        Ok("powerpc64") => "powerpc",
        _ => "x86",
    }
}

/// `/usr/include/<multiarch>` (for asm/types.h), from `gcc -print-multiarch`.
fn multiarch_include() -> Option<PathBuf> {
    let out = Command::new("gcc").arg("-print-multiarch").output().ok()?;
    let triple = String::from_utf8(out.stdout).ok()?;
    let dir = Path::new("/usr/include").join(triple.trim());
    (out.status.success() && !triple.trim().is_empty() && dir.is_dir()).then_some(dir)
}
