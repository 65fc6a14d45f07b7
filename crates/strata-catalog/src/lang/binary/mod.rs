//! Shared pieces of the binary detectors (Go build info, cargo-auditable): a small ELF
//! reader and the path heuristics that decide which files are worth keeping in memory.

pub(crate) mod elf;
pub(crate) mod elfwrite;
pub(crate) mod zipwrite;

use super::file_name;

/// The largest binary or archive the binary detectors look at. Only headers and a few
/// sections are read, so the limit is about the reader's memory, not about work here.
pub const MAX_BINARY_SIZE: usize = 1024 * 1024 * 1024;

/// Directories whose direct children are executables. `wants` is called for every
/// file of every layer, so this is a plain list of prefixes, checked without allocating.
const BIN_DIRS: &[&str] = &[
    "/bin/",
    "/sbin/",
    "/usr/bin/",
    "/usr/sbin/",
    "/usr/local/bin/",
    "/usr/local/sbin/",
    "/usr/local/go/bin/",
    "/go/bin/",
    "/root/go/bin/",
    "/root/.cargo/bin/",
    "/usr/local/cargo/bin/",
];

/// Directories whose direct children are executables only when they have no
/// extension: application directories hold everything else, too.
const APP_DIRS: &[&str] = &["/app/", "/ko-app/"];

/// Extensions of files the archive detector reads; never taken for executables.
pub(crate) const ARCHIVE_EXTENSIONS: &[&str] = &[".jar", ".war", ".ear", ".jpi", ".hpi"];

/// True when `name` ends with `suffix`, ignoring ASCII case.
pub(crate) fn ends_with_ignore_case(name: &str, suffix: &str) -> bool {
    name.len() >= suffix.len()
        && name
            .as_bytes()
            .get(name.len() - suffix.len()..)
            .is_some_and(|end| end.eq_ignore_ascii_case(suffix.as_bytes()))
}

fn direct_child_of(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

/// Whether `path` is where executables usually live: the common install directories,
/// `/opt/**/bin/*`, application directories (`/app/*`, `/ko-app/*`, names without an
/// extension) and a Cargo project's `target/{release,debug}/*` (names without an
/// extension). Does not allocate.
pub fn is_executable_location(path: &str) -> bool {
    let name = file_name(path);
    if name.is_empty()
        || ARCHIVE_EXTENSIONS
            .iter()
            .any(|e| ends_with_ignore_case(name, e))
    {
        return false;
    }
    if BIN_DIRS.iter().any(|d| direct_child_of(path, d)) {
        return true;
    }
    let no_extension = !name.contains('.');
    if no_extension && APP_DIRS.iter().any(|d| direct_child_of(path, d)) {
        return true;
    }
    let parent = super::parent(path);
    if path.starts_with("/opt/") && file_name(parent) == "bin" {
        return true;
    }
    // `target/release/x`, `target/debug/x` and, with `--target`,
    // `target/<triple>/release/x`.
    if no_extension && matches!(file_name(parent), "release" | "debug") {
        let grand = super::parent(parent);
        return file_name(grand) == "target" || file_name(super::parent(grand)) == "target";
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executable_locations() {
        for p in [
            "/usr/local/bin/kubectl",
            "/usr/bin/docker-registry",
            "/bin/busybox",
            "/sbin/x",
            "/usr/sbin/x",
            "/usr/local/sbin/x",
            "/app/server",
            "/ko-app/hello",
            "/opt/foo/bin/bar",
            "/opt/a/b/c/bin/python3.11",
            "/go/bin/dlv",
            "/root/go/bin/dlv",
            "/root/.cargo/bin/rg",
            "/usr/local/cargo/bin/cargo",
            "/usr/local/go/bin/go",
            "/target/release/tool",
            "/src/proj/target/debug/tool",
            "/src/proj/target/x86_64-unknown-linux-musl/release/tool",
            "/usr/bin/python3.11",
        ] {
            assert!(is_executable_location(p), "{p}");
        }
        for p in [
            "/usr/bin/",
            "/usr/bin/x/y",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/app/requirements.txt",
            "/app/pom.xml",
            "/app/Cargo.lock",
            "/app/sub/server",
            "/usr/bin/app.jar",
            "/target/release/tool.d",
            "/target/release/deps/tool-0123abcd",
            "/src/release/tool",
            "/opt/bin",
            "/home/u/bin/x",
        ] {
            assert!(!is_executable_location(p), "{p}");
        }
    }

    #[test]
    fn suffixes_ignore_case() {
        assert!(ends_with_ignore_case("A.JAR", ".jar"));
        assert!(!ends_with_ignore_case("jar", ".jar"));
        assert!(ends_with_ignore_case("é.jar", ".jar"));
    }
}

/// Deterministic mutated inputs for the no-panic tests of the fuzz entry points.
#[cfg(test)]
pub(crate) mod mutate {
    /// xorshift64: deterministic inputs without a dependency.
    pub(crate) struct Rng(pub u64);

    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % (n.max(1) as u64)) as usize
        }
    }

    /// `seed` with up to 8 random edits: byte flips, interesting values (0, 0xff,
    /// 0x80, 0x7f), insertions, deletions, truncation, duplicated chunks.
    pub(crate) fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
        let mut d = seed.to_vec();
        for _ in 0..=rng.below(8) {
            let pos = rng.below(d.len());
            match rng.below(7) {
                0 => {
                    if let Some(b) = d.get_mut(pos) {
                        *b ^= 1 << rng.below(8);
                    }
                }
                1 => {
                    if let Some(b) = d.get_mut(pos) {
                        *b = [0u8, 0xff, 0x80, 0x7f, b'\t', b'\n'][rng.below(6)];
                    }
                }
                2 => d.insert(pos.min(d.len()), rng.next() as u8),
                3 => {
                    if pos < d.len() {
                        d.remove(pos);
                    }
                }
                4 => d.truncate(pos),
                5 => {
                    let end = (pos + rng.below(32)).min(d.len());
                    let chunk = d.get(pos..end).unwrap_or(&[]).to_vec();
                    let at = rng.below(d.len() + 1).min(d.len());
                    d.splice(at..at, chunk);
                }
                _ => {
                    // Overwrite 4 or 8 bytes with a big or small number: offsets,
                    // sizes and pointers are what the parsers trust least.
                    let v = [u64::MAX, 0, 0x8000_0000, rng.next(), 1 << 40][rng.below(5)];
                    for (i, b) in v
                        .to_le_bytes()
                        .iter()
                        .take(4 + 4 * rng.below(2))
                        .enumerate()
                    {
                        if let Some(x) = d.get_mut(pos + i) {
                            *x = *b;
                        }
                    }
                }
            }
        }
        d
    }
}
