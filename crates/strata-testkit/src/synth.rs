//! Small hand-made image archives, for bad-input tests where a real image would have to be
//! damaged in a precise place: a `docker save` style archive and an OCI image layout,
//! written from layers whose bytes and declared digests the test controls.

use std::io::Write;
use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::cmd::write_file;
use crate::{Error, Result};

pub const MEDIA_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub const MEDIA_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const MEDIA_TAR_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// An uncompressed tar with the given regular files (parent directories are added).
pub fn tar_of(files: &[(&str, &[u8])]) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let mut dirs = std::collections::BTreeSet::new();
    for (path, data) in files {
        let mut parent = Path::new(path).parent();
        let mut chain = Vec::new();
        while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
            chain.push(p.to_path_buf());
            parent = p.parent();
        }
        for d in chain.into_iter().rev() {
            if dirs.insert(d.clone()) {
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                h.set_mtime(0);
                h.set_cksum();
                b.append_data(&mut h, &d, std::io::empty())
                    .map_err(|e| Error::io(&d, e))?;
            }
        }
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_mtime(0);
        h.set_cksum();
        b.append_data(&mut h, path, *data)
            .map_err(|e| Error::io(Path::new(path), e))?;
    }
    b.into_inner().map_err(|e| Error::io(Path::new("<tar>"), e))
}

/// One entry of [`tar_entries`]: unlike [`tar_of`], it writes exactly what it is given,
/// including names that a well-behaved tar writer refuses.
#[derive(Clone, Copy, Debug)]
pub enum TarEntry<'a> {
    File(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
    /// A regular file whose name is copied into the header unchecked (`../x`, `/x`).
    RawName(&'a str, &'a [u8]),
}

/// An uncompressed tar of exactly these entries, in order (no parent directories added).
pub fn tar_entries(entries: &[TarEntry<'_>]) -> Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    let io = |p: &str| {
        let p = p.to_owned();
        move |e| Error::io(Path::new(&p), e)
    };
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_mtime(0);
        match *e {
            TarEntry::File(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, p, data).map_err(io(p))?;
            }
            TarEntry::Symlink(p, target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                b.append_link(&mut h, p, target).map_err(io(p))?;
            }
            TarEntry::RawName(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                let Some(gnu) = h.as_gnu_mut() else {
                    return Err(Error::io(
                        Path::new(p),
                        std::io::Error::other("no GNU header"),
                    ));
                };
                if p.len() > gnu.name.len() {
                    return Err(Error::io(
                        Path::new(p),
                        std::io::Error::other("name too long"),
                    ));
                }
                gnu.name[..p.len()].copy_from_slice(p.as_bytes());
                h.set_cksum();
                b.append(&h, data).map_err(io(p))?;
            }
        }
    }
    b.into_inner().map_err(|e| Error::io(Path::new("<tar>"), e))
}

/// gzip of `bytes`.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes)
        .and_then(|()| enc.finish())
        .map_err(|e| Error::io(Path::new("<gzip>"), e))
}

/// A layer of a synthetic image. Fields are public so that tests can damage them.
#[derive(Clone, Debug)]
pub struct SynthLayer {
    /// The bytes stored in the archive.
    pub blob: Vec<u8>,
    /// The diff id declared in the image config.
    pub diff_id: String,
    /// The OCI media type declared in the manifest.
    pub media_type: &'static str,
    /// The digest declared in the OCI manifest and used as the blob's file name; `None`
    /// means the true digest of `blob`.
    pub declared_digest: Option<String>,
}

impl SynthLayer {
    /// An uncompressed layer with correct digests.
    pub fn plain(tar: Vec<u8>) -> Self {
        SynthLayer {
            diff_id: sha256(&tar),
            blob: tar,
            media_type: MEDIA_TAR,
            declared_digest: None,
        }
    }

    /// A gzip layer with correct digests.
    pub fn gzip(tar: &[u8]) -> Result<Self> {
        Ok(SynthLayer {
            diff_id: sha256(tar),
            blob: gzip(tar)?,
            media_type: MEDIA_TAR_GZIP,
            declared_digest: None,
        })
    }

    /// The digest the manifest declares for the blob.
    pub fn digest(&self) -> String {
        self.declared_digest
            .clone()
            .unwrap_or_else(|| sha256(&self.blob))
    }
}

/// A Debian 12 root file system layer with two packages in `var/lib/dpkg/status`.
pub fn debian_layer() -> Result<Vec<u8>> {
    debian_layer_for("amd64")
}

/// [`debian_layer`] for the dpkg architecture `arch` (`amd64`, `arm64`, ...).
pub fn debian_layer_for(arch: &str) -> Result<Vec<u8>> {
    let status = format!(
        "Package: base-files\nStatus: install ok installed\nPriority: required\nSection: admin\n\
         Maintainer: Santiago Vila <sanvila@debian.org>\nArchitecture: {arch}\nVersion: 12.4+deb12u5\n\
         Description: Debian base system miscellaneous files\n\n\
         Package: libc6\nStatus: install ok installed\nPriority: optional\nSection: libs\n\
         Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\nArchitecture: {arch}\n\
         Multi-Arch: same\nSource: glibc\nVersion: 2.36-9+deb12u4\n\
         Description: GNU C Library: Shared libraries\n"
    );
    tar_of(&[
        (
            "etc/os-release",
            b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
        ),
        ("var/lib/dpkg/status", status.as_bytes()),
    ])
}

fn config_json(layers: &[SynthLayer]) -> Vec<u8> {
    config_json_for("amd64", layers)
}

fn config_json_for(arch: &str, layers: &[SynthLayer]) -> Vec<u8> {
    let diff_ids: Vec<&str> = layers.iter().map(|l| l.diff_id.as_str()).collect();
    serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": layers.iter().map(|_| serde_json::json!({"created_by": "strata-testkit"})).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

/// Writes a `docker save` style archive (legacy layout: `manifest.json` first, then the
/// config, then `<n>/layer.tar` per layer, last layer last) to `path`. Returns the archive
/// path of each layer.
pub fn docker_archive(path: &Path, tag: &str, layers: &[SynthLayer]) -> Result<Vec<String>> {
    let config = config_json(layers);
    let config_name = format!("{}.json", sha256(&config).trim_start_matches("sha256:"));
    let layer_paths: Vec<String> = (0..layers.len())
        .map(|i| format!("layer{i}/layer.tar"))
        .collect();
    let manifest = serde_json::json!([{
        "Config": config_name,
        "RepoTags": [tag],
        "Layers": layer_paths,
    }])
    .to_string();
    let mut files: Vec<(&str, &[u8])> = vec![
        ("manifest.json", manifest.as_bytes()),
        (config_name.as_str(), &config),
    ];
    for (p, l) in layer_paths.iter().zip(layers) {
        files.push((p.as_str(), &l.blob));
    }
    write_file(path, tar_of(&files)?)?;
    Ok(layer_paths)
}

/// Writes an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/...`) into `dir`,
/// tagged `test`.
pub fn oci_layout(dir: &Path, layers: &[SynthLayer]) -> Result<()> {
    let manifest = write_image(dir, "amd64", layers)?;
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest.0, "size": manifest.1,
            "annotations": {"org.opencontainers.image.ref.name": "test"},
        }],
    });
    write_layout(dir, &index)
}

/// Writes a multi-platform OCI image layout into `dir` with one linux image per
/// `(arch, layers)`. With `nested`, `index.json` names one inner image index tagged `test`
/// that lists the images (as `skopeo copy --all` and containerd write it); without,
/// `index.json` lists the images itself, untagged.
pub fn oci_layout_multi(
    dir: &Path,
    images: &[(&str, Vec<SynthLayer>)],
    nested: bool,
) -> Result<()> {
    let mut manifests = Vec::new();
    for (arch, layers) in images {
        let (digest, size) = write_image(dir, arch, layers)?;
        manifests.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest, "size": size,
            "platform": {"os": "linux", "architecture": arch},
        }));
    }
    if !nested {
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        });
        return write_layout(dir, &index);
    }
    let inner = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    })
    .to_string()
    .into_bytes();
    let inner_digest = sha256(&inner);
    write_blob(dir, &inner_digest, &inner)?;
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": inner_digest, "size": inner.len(),
            "annotations": {"org.opencontainers.image.ref.name": "test"},
        }],
    });
    write_layout(dir, &index)
}

fn write_blob(dir: &Path, digest: &str, bytes: &[u8]) -> Result<()> {
    write_file(
        &dir.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
        bytes,
    )
}

fn write_layout(dir: &Path, index: &serde_json::Value) -> Result<()> {
    write_file(&dir.join("index.json"), index.to_string())?;
    write_file(&dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
}

/// Writes the config, layer and manifest blobs of one image; returns the manifest's
/// digest and size.
fn write_image(dir: &Path, arch: &str, layers: &[SynthLayer]) -> Result<(String, usize)> {
    let config = config_json_for(arch, layers);
    let config_digest = sha256(&config);
    write_blob(dir, &config_digest, &config)?;
    let mut descriptors = Vec::new();
    for l in layers {
        let d = l.digest();
        write_blob(dir, &d, &l.blob)?;
        descriptors.push(serde_json::json!({
            "mediaType": l.media_type, "digest": d, "size": l.blob.len(),
        }));
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest, "size": config.len(),
        },
        "layers": descriptors,
    })
    .to_string()
    .into_bytes();
    let manifest_digest = sha256(&manifest);
    write_blob(dir, &manifest_digest, &manifest)?;
    Ok((manifest_digest, manifest.len()))
}

/// Copies the first `len` bytes of `src` to `dest`.
pub fn truncate_copy(src: &Path, dest: &Path, len: u64) -> Result<()> {
    use std::io::Read;
    let f = std::fs::File::open(src).map_err(|e| Error::io(src, e))?;
    let mut out = std::fs::File::create(dest).map_err(|e| Error::io(dest, e))?;
    std::io::copy(&mut f.take(len), &mut out).map_err(|e| Error::io(dest, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn tar_of_lists_dirs_then_files() {
        let t = tar_of(&[("a/b/c.txt", b"hi")]).unwrap_or_else(|e| panic!("{e}"));
        let mut ar = tar::Archive::new(t.as_slice());
        let mut names = Vec::new();
        for e in ar.entries().unwrap_or_else(|e| panic!("{e}")) {
            let mut e = e.unwrap_or_else(|e| panic!("{e}"));
            let name = e
                .path()
                .unwrap_or_else(|e| panic!("{e}"))
                .display()
                .to_string();
            let mut s = String::new();
            let _ = e.read_to_string(&mut s);
            names.push((name, s));
        }
        assert_eq!(
            names,
            vec![
                ("a".to_string(), String::new()),
                ("a/b".to_string(), String::new()),
                ("a/b/c.txt".to_string(), "hi".to_string())
            ]
        );
    }

    #[test]
    fn gzip_layer_digests() {
        let tar = debian_layer().unwrap_or_else(|e| panic!("{e}"));
        let l = SynthLayer::gzip(&tar).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.diff_id, sha256(&tar));
        assert_eq!(l.digest(), sha256(&l.blob));
        assert_ne!(l.digest(), l.diff_id);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(l.blob.as_slice())
            .read_to_end(&mut back)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, tar);
    }

    #[test]
    fn sha256_of_empty() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
