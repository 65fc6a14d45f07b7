//! Entry points for the cargo-fuzz targets in `fuzz/`: each must never panic, whatever
//! the bytes.

use crate::os::{apk::ApkDetector, dpkg::DpkgDetector, release};
use crate::{DetectInput, Detector};

/// dpkg's status database.
pub fn fuzz_dpkg_status(data: &[u8]) {
    let input = DetectInput {
        path: "/var/lib/dpkg/status",
        contents: data,
        distro: None,
    };
    let _ = DpkgDetector.detect_with_warnings(&input);
}

/// apk's installed database.
pub fn fuzz_apk_installed(data: &[u8]) {
    let input = DetectInput {
        path: "/lib/apk/db/installed",
        contents: data,
        distro: None,
    };
    let _ = ApkDetector.detect_with_warnings(&input);
}

/// os-release and the other release files.
pub fn fuzz_os_release(data: &[u8]) {
    let _ = release::detect_distro(&|p| (p != "/etc/os-release").then(|| data.to_vec()));
    let _ = release::detect_distro(&|_| Some(data.to_vec()));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small xorshift generator: deterministic inputs without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// Mutates seeds made of the formats' own syntax so inputs get past the first check.
    #[test]
    fn parsers_survive_mutated_inputs() {
        let seeds: [&[u8]; 3] = [
            b"Package: a\nStatus: install ok installed\nVersion: 1:2-3\nSource: b (4)\n Desc\n\n",
            b"P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\n\nP:x\n",
            b"ID=\"debian\"\nVERSION_ID='12'\nPRETTY_NAME=\"a\\\"b\"\nRed Hat release 8 (x)\n",
        ];
        let mut rng = Rng(0x5eed_1234_abcd_ef01);
        for _ in 0..3000 {
            let seed = seeds[(rng.next() % 3) as usize];
            let mut data = seed.to_vec();
            for _ in 0..(rng.next() % 8) {
                let pos = (rng.next() as usize) % (data.len() + 1);
                match rng.next() % 4 {
                    0 if pos < data.len() => data[pos] = rng.next() as u8,
                    1 => data.insert(pos, b"\n:( \x00\xff"[(rng.next() % 6) as usize]),
                    2 if pos < data.len() => {
                        data.remove(pos);
                    }
                    _ => data.truncate(pos),
                }
            }
            fuzz_dpkg_status(&data);
            fuzz_apk_installed(&data);
            fuzz_os_release(&data);
        }
    }
}
