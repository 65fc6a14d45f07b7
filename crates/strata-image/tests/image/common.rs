//! Builders for layer tarballs and OCI layouts.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

pub fn sha256_hex(data: &[u8]) -> String {
    let d = Sha256::digest(data);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn digest(data: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(data))
}

/// One entry of a synthetic layer.
pub enum E<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hard(&'a str, &'a str),
    /// A regular file whose name is written raw into the header (no validation).
    RawName(&'a str, &'a [u8]),
}

pub fn layer_tar(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        match e {
            E::File(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, p, *data).unwrap();
            }
            E::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            E::Symlink(p, t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, p, t).unwrap();
            }
            E::Hard(p, t) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_size(0);
                b.append_link(&mut h, p, t).unwrap();
            }
            E::RawName(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                let name = &mut h.as_gnu_mut().unwrap().name;
                name[..p.len()].copy_from_slice(p.as_bytes());
                h.set_cksum();
                b.append(&h, *data).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

pub const TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub const TAR_GZ: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const TAR_ZST: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// A layer to put into a layout: the uncompressed tar, the blob as stored, its
/// media type. Tests may tamper with any of them.
#[derive(Clone)]
pub struct Layer {
    pub tar: Vec<u8>,
    pub blob: Vec<u8>,
    pub media_type: String,
    /// Overrides the descriptor's size.
    pub size: Option<u64>,
    /// Overrides the config's diff_id.
    pub diff_id: Option<String>,
}

impl Layer {
    pub fn plain(tar: Vec<u8>) -> Layer {
        Layer {
            blob: tar.clone(),
            tar,
            media_type: TAR.into(),
            size: None,
            diff_id: None,
        }
    }
    pub fn gz(tar: Vec<u8>) -> Layer {
        Layer {
            blob: gzip(&tar),
            tar,
            media_type: TAR_GZ.into(),
            size: None,
            diff_id: None,
        }
    }
    pub fn zst(tar: Vec<u8>) -> Layer {
        Layer {
            blob: zstd(&tar),
            tar,
            media_type: TAR_ZST.into(),
            size: None,
            diff_id: None,
        }
    }
}

pub fn write_blob(dir: &Path, data: &[u8]) -> String {
    let hex = sha256_hex(data);
    let p = dir.join("blobs/sha256");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join(&hex), data).unwrap();
    format!("sha256:{hex}")
}

/// Writes config + manifest for one image; returns (manifest digest, manifest size).
pub fn write_image(dir: &Path, layers: &[Layer], arch: &str) -> (String, usize) {
    let mut descs = Vec::new();
    let mut diff_ids = Vec::new();
    for l in layers {
        let d = write_blob(dir, &l.blob);
        descs.push(serde_json::json!({
            "mediaType": l.media_type,
            "digest": d,
            "size": l.size.unwrap_or(l.blob.len() as u64),
        }));
        diff_ids.push(l.diff_id.clone().unwrap_or_else(|| digest(&l.tar)));
    }
    let history: Vec<_> = (0..layers.len())
        .map(|i| serde_json::json!({"created_by": format!("step {i}")}))
        .collect();
    let config = serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    });
    let config = serde_json::to_vec(&config).unwrap();
    let cd = write_blob(dir, &config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": descs,
    });
    let manifest = serde_json::to_vec(&manifest).unwrap();
    (write_blob(dir, &manifest), manifest.len())
}

/// An OCI layout with one image (no platform in the index).
pub fn oci_layout(dir: &Path, layers: &[Layer]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let (md, ms) = write_image(dir, layers, "amd64");
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": md, "size": ms,
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    dir.to_owned()
}

/// Tars a directory (its contents at the archive root).
pub fn tar_dir(src: &Path, dest: &Path) {
    let f = std::fs::File::create(dest).unwrap();
    let mut b = tar::Builder::new(f);
    b.append_dir_all(".", src).unwrap();
    b.into_inner().unwrap();
}

/// The final index as `(path, kind, layer)` triples, for exact comparisons.
pub fn listing(
    fs: &strata_image::ImageFs,
) -> Vec<(String, strata_image::EntryKind, Option<usize>)> {
    fs.walk()
        .map(|(p, e)| (p.to_owned(), e.kind, e.layer))
        .collect()
}
