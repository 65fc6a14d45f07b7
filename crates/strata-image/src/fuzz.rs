//! Fuzz entry points. Each must return normally for any input; `fuzz/fuzz_targets/`
//! calls them from libFuzzer and the unit tests below feed them mutated inputs.

use std::io::Write;

use crate::capture::CaptureFn;
use crate::error::ImageError;
use crate::fs::{ImageFs, ImageMeta};
use crate::hash::sha256;
use crate::layer::{Budget, LayerJob, read_layer};
use crate::options::Limits;
use crate::source::Descriptor;

pub use crate::docker_archive::fuzz_docker_manifest;
pub use crate::oci::fuzz_oci_documents;

fn small_limits() -> Limits {
    Limits {
        max_layer_bytes: 16 * 1024 * 1024,
        max_image_bytes: 32 * 1024 * 1024,
        max_captured_file: 1024 * 1024,
        max_captured_total: 4 * 1024 * 1024,
        max_json_bytes: 1024 * 1024,
        max_entries: 100_000,
        max_tar_meta: 64 * 1024,
    }
}

/// Reads `blob` as a layer (plain tar when `gzip` is false, else gzip-compresses it
/// first), applies it to an empty image and reads back every path.
fn run_layer(tar: &[u8], gzip: bool) -> Result<(), ImageError> {
    let blob = if gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = enc.write_all(tar);
        enc.finish().unwrap_or_default()
    } else {
        tar.to_vec()
    };
    let media_type = if gzip {
        "application/vnd.oci.image.layer.v1.tar+gzip"
    } else {
        "application/vnd.oci.image.layer.v1.tar"
    };
    let desc = Descriptor {
        media_type: media_type.to_owned(),
        digest: sha256(&blob),
        size: blob.len() as u64,
    };
    let diff_id = sha256(tar);
    let job = LayerJob {
        reference: "fuzz",
        index: 0,
        desc: &desc,
        diff_id: &diff_id,
    };
    let limits = small_limits();
    let mut budget = Budget::new(&limits);
    let capture = CaptureFn::new("all", |_: &str| true);
    let result = read_layer(&job, &mut &blob[..], &limits, &mut budget, &capture, false)?;
    let mut fs = ImageFs::new(ImageMeta::default());
    fs.apply_layer(0, result.clone(), &capture);
    fs.apply_layer(1, result, &capture);
    let paths: Vec<String> = fs.walk().map(|(p, _)| p.to_owned()).collect();
    for p in &paths {
        let _ = fs.read(p);
        let _ = fs.versions(p);
    }
    Ok(())
}

/// Fuzz target `layer`: the first byte picks plain or gzip; the rest is a layer tar.
pub fn fuzz_layer(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let _ = run_layer(rest, mode & 1 == 1);
}

/// Fuzz target `layer_raw`: arbitrary bytes as a blob declared gzip, zstd or plain
/// (first byte), exercising the decompressors on garbage.
pub fn fuzz_layer_raw(data: &[u8]) {
    let Some((&mode, blob)) = data.split_first() else {
        return;
    };
    let media_type = match mode % 3 {
        0 => "application/vnd.oci.image.layer.v1.tar",
        1 => "application/vnd.oci.image.layer.v1.tar+gzip",
        _ => "application/vnd.oci.image.layer.v1.tar+zstd",
    };
    let desc = Descriptor {
        media_type: media_type.to_owned(),
        digest: sha256(blob),
        size: blob.len() as u64,
    };
    let diff_id = sha256(b"");
    let job = LayerJob {
        reference: "fuzz",
        index: 0,
        desc: &desc,
        diff_id: &diff_id,
    };
    let limits = small_limits();
    let mut budget = Budget::new(&limits);
    let capture = CaptureFn::new("all", |_: &str| true);
    let _ = read_layer(
        &job,
        &mut &blob[..],
        &limits,
        &mut budget,
        &capture,
        mode & 4 != 0,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic PRNG (xorshift64*), so the test needs no dependency.
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
            match rng.below(5) {
                0 if !v.is_empty() => {
                    let i = rng.below(v.len());
                    v[i] = rng.next() as u8;
                }
                1 if !v.is_empty() => {
                    let i = rng.below(v.len());
                    v.truncate(i);
                }
                2 => {
                    let i = rng.below(v.len() + 1);
                    let n = rng.below(16);
                    for _ in 0..n {
                        v.insert(i, rng.next() as u8);
                    }
                }
                3 if !v.is_empty() => {
                    // Overwrite a run with digits/spaces: hits the numeric fields.
                    let i = rng.below(v.len());
                    let end = (i + rng.below(12)).min(v.len());
                    for b in &mut v[i..end] {
                        *b = b"0123456777 \0\xff\x80"[rng.below(14)];
                    }
                }
                _ => {
                    let i = rng.below(v.len() + 1);
                    let j = rng.below(v.len() + 1);
                    let (a, b) = (i.min(j), i.max(j));
                    let chunk = v[a..b].to_vec();
                    v.extend_from_slice(&chunk);
                }
            }
        }
        v
    }

    fn seed_tar() -> Vec<u8> {
        let mut b = ::tar::Builder::new(Vec::new());
        let mut add = |name: &str, kind: ::tar::EntryType, data: &[u8], link: Option<&str>| {
            let mut h = ::tar::Header::new_gnu();
            h.set_entry_type(kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            if let Some(l) = link {
                h.set_link_name(l).unwrap();
            }
            b.append_data(&mut h, name, data).unwrap();
        };
        add("etc/", ::tar::EntryType::Directory, b"", None);
        add(
            "etc/passwd",
            ::tar::EntryType::Regular,
            b"root:x:0:0\n",
            None,
        );
        add("etc/link", ::tar::EntryType::Symlink, b"", Some("passwd"));
        add("etc/loop", ::tar::EntryType::Symlink, b"", Some("loop"));
        add("etc/hard", ::tar::EntryType::Link, b"", Some("etc/passwd"));
        add("etc/.wh.old", ::tar::EntryType::Regular, b"", None);
        add("var/.wh..wh..opq", ::tar::EntryType::Regular, b"", None);
        add(
            &format!("long/{}", "n".repeat(200)),
            ::tar::EntryType::Regular,
            b"x",
            None,
        );
        b.into_inner().unwrap()
    }

    #[test]
    fn seed_layer_reads() {
        run_layer(&seed_tar(), false).unwrap();
        run_layer(&seed_tar(), true).unwrap();
    }

    #[test]
    fn fuzz_functions_never_panic() {
        let mut rng = Rng(0x5eed_1234_abcd_ef01);
        let tar = seed_tar();
        let mut plain = vec![0u8];
        plain.extend_from_slice(&tar);
        let mut gz = vec![1u8];
        gz.extend_from_slice(&tar);
        let manifest = br#"[{"Config":"blobs/sha256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","RepoTags":["a:b"],"Layers":["x/layer.tar","../y"]}]"#;
        let index = br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":3,"platform":{"os":"linux","architecture":"amd64"}}]}"#;
        let mani = br#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":1},"layers":[]}"#;
        // STRATA_FUZZ_ITERS raises the count for a longer local run.
        let iters = std::env::var("STRATA_FUZZ_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500);
        for _ in 0..iters {
            fuzz_layer(&mutate(&mut rng, &plain));
            fuzz_layer(&mutate(&mut rng, &gz));
            fuzz_layer_raw(&mutate(&mut rng, &plain));
            fuzz_docker_manifest(&mutate(&mut rng, manifest));
            fuzz_oci_documents(&mutate(&mut rng, index));
            fuzz_oci_documents(&mutate(&mut rng, mani));
        }
        for _ in 0..500 {
            let n = rng.below(2048);
            let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            fuzz_layer(&junk);
            fuzz_layer_raw(&junk);
            fuzz_docker_manifest(&junk);
            fuzz_oci_documents(&junk);
        }
    }
}
