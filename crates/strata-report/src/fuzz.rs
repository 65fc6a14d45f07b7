//! Fuzz entry points (called from `fuzz/fuzz_targets/*.rs` and from unit tests).

use strata_types::{
    Digest, Distro, Layer, Location, Package, PackageType, RpmDetails, Sbom, Target, TargetKind,
    Tool, Warning,
};

use crate::license::{spdx_license_expression, spdx_license_id};
use crate::{IdMode, ReportOptions, SbomFormat, write_sbom};

/// Largest input looked at; fuzzers are told the same through `-max_len`.
const MAX_FUZZ_INPUT: usize = 64 * 1024;

/// Feeds arbitrary bytes to the license mapper. Checks that whatever it returns is a
/// fixed point (mapping a normalised expression gives it back).
pub fn fuzz_license_expression(data: &[u8]) {
    let Some(data) = data.get(..data.len().min(MAX_FUZZ_INPUT)) else {
        return;
    };
    let raw = String::from_utf8_lossy(data);
    if let Some(expr) = spdx_license_expression(&raw) {
        assert_eq!(
            spdx_license_expression(&expr).as_deref(),
            Some(expr.as_str()),
            "normalised expression is not a fixed point"
        );
    }
    let _ = spdx_license_id(&raw);
}

/// Builds an SBOM from arbitrary bytes (strata JSON when they parse as such, otherwise
/// fields cut from the bytes) and runs every printer over it. Printers may return
/// errors; they must not panic, and the JSON formats must produce valid JSON.
pub fn fuzz_sbom_printers(data: &[u8]) {
    let Some(data) = data.get(..data.len().min(MAX_FUZZ_INPUT)) else {
        return;
    };
    let sbom = match serde_json::from_slice::<Sbom>(data) {
        Ok(s) => s,
        Err(_) => sbom_from_bytes(data),
    };
    for format in SbomFormat::ALL {
        for color in [false, true] {
            let mut out = Vec::new();
            let opts = ReportOptions {
                color,
                ids: IdMode::Deterministic,
            };
            if write_sbom(&sbom, format, &opts, &mut out).is_ok() && format.is_machine_readable() {
                assert!(
                    serde_json::from_slice::<serde_json::Value>(&out).is_ok(),
                    "{format} output is not JSON"
                );
            }
        }
    }
}

const DIGESTS: [&str; 3] = [
    "sha256:1111111111111111111111111111111111111111111111111111111111111111",
    "sha256:2222222222222222222222222222222222222222222222222222222222222222",
    "sha256:3333333333333333333333333333333333333333333333333333333333333333",
];

fn digest(n: u8) -> Option<Digest> {
    DIGESTS
        .get(usize::from(n) % (DIGESTS.len() + 1))
        .and_then(|s| s.parse().ok())
}

/// Splits `data` on 0xff bytes and uses the pieces as field values.
fn sbom_from_bytes(data: &[u8]) -> Sbom {
    let mut fields = data
        .split(|b| *b == 0xff)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut next = || fields.next().unwrap_or_default();
    let kinds = [
        TargetKind::DockerArchive,
        TargetKind::Oci,
        TargetKind::Docker,
        TargetKind::Registry,
        TargetKind::Dir,
        TargetKind::Sbom,
    ];
    let types = [
        PackageType::Deb,
        PackageType::Apk,
        PackageType::Rpm,
        PackageType::Python,
        PackageType::Npm,
        PackageType::Go,
    ];
    let selector = data.first().copied().unwrap_or(0);
    let kind = kinds
        .get(usize::from(selector) % kinds.len())
        .copied()
        .unwrap_or(TargetKind::Dir);
    let mut target = Target::new(next(), kind);
    target.repo_tags = vec![next()];
    target.manifest_digest = digest(selector);
    target.image_id = digest(selector.wrapping_add(1));
    target.platform = next().parse().ok();
    if let Some(d) = digest(selector.wrapping_add(2)) {
        target.layers.push(Layer {
            index: 0,
            digest: None,
            diff_id: d,
            media_type: None,
            size: Some(u64::from(selector)),
        });
    }
    let created = if selector % 3 == 0 {
        next()
    } else {
        "2024-01-01T00:00:00Z".to_owned()
    };
    let mut sbom = Sbom::new(Tool::new(next(), next()), target, created);
    if selector % 2 == 0 {
        sbom.distro = Some(Distro {
            id: next(),
            version_id: next(),
            codename: Some(next()),
            id_like: vec![next()],
            pretty_name: Some(next()),
            source_file: next(),
        });
    }
    for (i, chunk) in data.chunks(64).take(64).enumerate() {
        let sel = chunk.first().copied().unwrap_or(0);
        let name = next();
        let version = next();
        let pt = types
            .get(usize::from(sel) % types.len())
            .copied()
            .unwrap_or(PackageType::Deb);
        sbom.packages.push(Package {
            package_type: pt,
            purl: if sel % 5 == 0 {
                String::new()
            } else {
                format!("pkg:{}/{name}@{version}", pt.purl_type())
            },
            name,
            version,
            arch: (sel % 2 == 0).then(&mut next),
            source_name: (sel % 3 == 0).then(&mut next),
            source_version: (sel % 4 == 0).then(&mut next),
            licenses: vec![next(), next()],
            layer_diff_id: digest(sel),
            locations: vec![Location {
                path: next(),
                layer_diff_id: digest(sel.wrapping_add(1)),
            }],
            rpm: (pt == PackageType::Rpm).then(|| RpmDetails {
                epoch: Some(u32::from(sel)),
                version: next(),
                release: next(),
                source_rpm: None,
                modularity_label: Some(next()),
                vendor: None,
            }),
            dev: false,
        });
        if i % 7 == 3
            && let Some(last) = sbom.packages.last().cloned()
        {
            // Exact duplicates exercise the unique-id code.
            sbom.packages.push(last);
        }
    }
    sbom.warnings.push(Warning {
        path: next(),
        layer: digest(selector),
        message: next(),
    });
    sbom
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift64*), so that failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
        }
    }

    fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
        let mut v = seed.to_vec();
        for _ in 0..=rng.below(8) {
            match rng.below(4) {
                0 if !v.is_empty() => {
                    let i = rng.below(v.len());
                    v[i] = rng.next() as u8;
                }
                1 => {
                    let i = rng.below(v.len() + 1);
                    let b = [b'(', b')', b' ', 0xff, b'+', b'\x1b', rng.next() as u8];
                    v.insert(i, b[rng.below(b.len())]);
                }
                2 if !v.is_empty() => {
                    let i = rng.below(v.len());
                    v.remove(i);
                }
                _ => {
                    let i = rng.below(v.len() + 1);
                    let words: [&[u8]; 8] = [
                        b" AND ", b" or ", b" WITH ", b"MIT", b"GPL-2+", b"ASL 2.0", b"(", b")",
                    ];
                    let w = words[rng.below(words.len())];
                    v.splice(i..i, w.iter().copied());
                }
            }
        }
        v
    }

    #[test]
    fn license_fuzz_function_never_panics() {
        let seeds: [&[u8]; 6] = [
            b"MIT",
            b"GPLv2+ and (LGPLv3+ or ASL 2.0)",
            b"GPL-2.0-or-later WITH Classpath-exception-2.0",
            b"((MIT))",
            b"",
            "Ü\u{202e}".as_bytes(),
        ];
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for i in 0..5000 {
            let seed = seeds[i % seeds.len()];
            fuzz_license_expression(&mutate(&mut rng, seed));
        }
        fuzz_license_expression(&[b'('; 5000]);
        fuzz_license_expression(&vec![b'M'; 100_000]);
    }

    #[test]
    fn printer_fuzz_function_never_panics() {
        let json_seed = br#"{"schema_version":"1.0","tool":{"name":"strata","version":"0.1.0"},"created":"2024-01-01T00:00:00Z","target":{"reference":"a:b","kind":"registry","repo_tags":[],"layers":[]},"packages":[{"type":"deb","name":"x","version":"1","purl":"pkg:deb/debian/x@1","locations":[]}],"warnings":[]}"#;
        let bytes_seed: &[u8] = b"\x00alpine:3.19\xffdocker.io/library/alpine:3.19\xfflinux/amd64\xffstrata\xff0.1\xffdebian\xff12\xffbookworm\xffdebian\xffDebian 12\xff/etc/os-release\xfflibc6\xff2.36-9\xffamd64\xffglibc\xffGPL-2+\xffBSD";
        let mut rng = Rng(0x5eed_1234_abcd_0002);
        for i in 0..2000 {
            let seed: &[u8] = if i % 2 == 0 { json_seed } else { bytes_seed };
            fuzz_sbom_printers(&mutate(&mut rng, seed));
        }
        let mut random = vec![0u8; 4096];
        for _ in 0..50 {
            for b in random.iter_mut() {
                *b = rng.next() as u8;
            }
            fuzz_sbom_printers(&random);
        }
    }
}
