//! Real container images for tests, built once with real tools and cached.
//!
//! | function | image | how |
//! | --- | --- | --- |
//! | [`minbase`] | `strata-test/minbase:bookworm`, 1 layer | `mmdebstrap --variant=minbase bookworm` + `docker import` |
//! | [`debian_large`] | `strata-test/debian-large:bookworm`, 1 layer, ~300 packages | `mmdebstrap --variant=minbase --include=...` + `docker import` |
//! | [`layered`] | `strata-test/layered:bookworm`, 6 layers | `docker build` FROM minbase: adds files, deletes a file and replaces a directory (whiteouts, opaque dir), installs `hello` and `tree` with `dpkg -i`, then purges `tree` |
//! | [`apk`] | `strata-test/apk:3.18` | a real `lib/apk/db/installed` + Alpine 3.18 os-release from the shared data, `docker import` |
//! | [`rpm`] | `strata-test/rpm:8` | tiny rpms made with `rpmbuild`, installed with `rpm --root R -i --nodeps` into a sqlite rpmdb, Rocky os-release, `docker import` |
//! | [`lang`] | `strata-test/lang:1`, 1 layer, no OS packages | `pip install --target` site-packages, `npm install` under `/srv/web`, a Cargo project and its `cargo auditable` binary, a Go binary, jars made with `jar`; `docker import` |
//!
//! Each image is cached under [`crate::cache_dir`] as a directory holding `image.tar` (the
//! `docker save` archive), `rootfs/` (the merged file system, from `docker export`),
//! `image_id` and `diff_ids`. When the daemon lost the image (a fresh daemon, `docker system
//! prune`) or the tag now names another image, it is loaded back from `image.tar`. Set `STRATA_DEBIAN_MIRROR` to use another Debian mirror and
//! `STRATA_MINBASE_SEED` to a minbase rootfs tarball to skip one `mmdebstrap` run (an empty
//! value disables the default seed `/var/cache/strata-dev/minbase.tar`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cache::{self, TempDir};
use crate::cmd::{command, run, write_file};
use crate::truth::{self, Package};
use crate::{Error, Result, docker, require};

/// Bump when a recipe changes so that stale cached images are rebuilt.
const RECIPE_VERSION: &str = "v2";

/// The package manager whose database an image carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Deb,
    Apk,
    Rpm,
    /// No OS package database: language packages only ([`lang`]).
    Lang,
}

/// A built, cached, loaded test image.
#[derive(Clone, Debug)]
pub struct TestImage {
    /// The Docker reference, e.g. `strata-test/minbase:bookworm`.
    pub reference: String,
    /// The `docker save` archive.
    pub archive: PathBuf,
    /// The merged root file system as a container sees it (no `/dev`).
    pub rootfs: PathBuf,
    pub kind: ImageKind,
    /// The image's layer diff ids, bottom first.
    pub diff_ids: Vec<String>,
    /// The image id (`sha256:<config digest>`).
    pub image_id: String,
    /// The cache directory of this image.
    pub dir: PathBuf,
}

/// The `tree` and `hello` packages of the [`layered`] image and its layer layout.
pub mod layered_layout {
    /// Number of layers of the layered image.
    pub const LAYERS: usize = 6;
    /// Index of the layer made by `RUN rm /etc/issue.net && ...` (whiteout + opaque dir).
    pub const DELETE_LAYER: usize = 2;
    /// Index of the layer made by `RUN dpkg -i hello tree`.
    pub const INSTALL_LAYER: usize = 4;
    /// Index of the layer made by `RUN dpkg --purge tree`.
    pub const PURGE_LAYER: usize = 5;
    /// Installed in `INSTALL_LAYER` and still there.
    pub const ADDED: &[&str] = &["hello"];
    /// Installed in `INSTALL_LAYER` and purged in `PURGE_LAYER`.
    pub const REMOVED: &[&str] = &["tree"];
    /// A file of the base layer deleted in `DELETE_LAYER`.
    pub const DELETED_FILE: &str = "/etc/issue.net";
}

/// The packages `--include`d on top of minbase in [`debian_large`].
pub const LARGE_INCLUDE: &[&str] = &[
    "python3",
    "python3-pip",
    "python3-venv",
    "python3-requests",
    "python3-yaml",
    "python3-jinja2",
    "curl",
    "wget",
    "git",
    "openssh-client",
    "openssh-server",
    "perl",
    "less",
    "procps",
    "iproute2",
    "iputils-ping",
    "gnupg",
    "vim-tiny",
    "ca-certificates",
    "netbase",
    "xz-utils",
    "bzip2",
    "unzip",
    "zip",
    "file",
    "jq",
    "sqlite3",
    "lsof",
    "strace",
    "rsync",
    "sudo",
    "tzdata",
    "locales",
    "man-db",
    "bash-completion",
    "build-essential",
    "dnsutils",
    "apache2",
    "ruby",
    "postgresql-client",
    "htop",
    "tmux",
    "gawk",
];

impl TestImage {
    /// The independent truth for this image's OS packages: `dpkg-query` on the rootfs for
    /// Debian, `rpm -qa` on a copy of its rpmdb for rpm, the `lib/apk/db/installed` stanzas
    /// for apk. Sorted.
    pub fn expected_packages(&self) -> Result<Vec<Package>> {
        match self.kind {
            ImageKind::Deb => truth::dpkg_query(&self.rootfs),
            ImageKind::Rpm => truth::rpm_query(&self.rootfs),
            ImageKind::Apk => truth::apk_installed(&self.rootfs),
            ImageKind::Lang => Ok(Vec::new()),
        }
    }

    /// The independent truth for the language packages of the [`lang`] image, as the
    /// package managers reported it while building the image (`pip list`, `npm query`,
    /// `go version -m`, the `Cargo.lock` cargo wrote, the jars the recipe made).
    pub fn lang_truth(&self) -> Result<truth::LangTruth> {
        if self.kind != ImageKind::Lang {
            return Err(Error::invalid(
                &self.reference,
                "lang_truth() is only recorded for the lang image",
            ));
        }
        let t = self.dir.join("truth");
        let read = |f: &str| crate::cmd::read_to_string(&t.join(f));
        Ok(truth::LangTruth {
            python: truth::parse_pip_list(&read("pip-list.json")?)?,
            npm: truth::parse_npm_query(&read("npm-query.json")?)?,
            npm_root: lang_layout::NPM_ROOT.to_string(),
            cargo: truth::parse_cargo_lock(&read("Cargo.lock")?)?,
            go: truth::parse_go_version_m(&read("go-version-m.txt")?)?,
            maven: lang_layout::JARS
                .iter()
                .map(|(_, g, a, v)| (format!("{g}:{a}"), (*v).to_string()))
                .collect(),
        })
    }

    /// An OCI image layout of this image made by `skopeo copy`, with layers compressed as
    /// `compression` (`"gzip"`, `"zstd"`, or `"none"` to keep them uncompressed). Returns the
    /// layout directory (it holds `index.json`); the image is tagged `test`.
    pub fn oci_layout(&self, compression: &str) -> Result<PathBuf> {
        let skopeo = crate::tool("skopeo", "skopeo")?;
        let name = format!(
            "{}-oci-{compression}",
            self.dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        let cache = crate::cache_dir()?;
        let dir = cache::artifact(&cache, &name, |tmp| {
            let layout = tmp.join("layout");
            let mut c = Command::new(&skopeo);
            c.args(["copy", "--quiet"]);
            match compression {
                "none" => {}
                "gzip" | "zstd" => {
                    c.args(["--dest-compress", "--dest-compress-format", compression]);
                }
                other => {
                    return Err(Error::invalid(
                        "oci_layout compression",
                        format!("unknown {other:?} (gzip, zstd, none)"),
                    ));
                }
            }
            c.arg(format!("docker-archive:{}", self.archive.display()));
            c.arg(format!("oci:{}:test", layout.display()));
            run(&mut c).map(drop)
        })?;
        Ok(dir.join("layout"))
    }

    /// syft's JSON SBOM of this image's `docker save` archive (`syft docker-archive:<archive>
    /// -o json`), run once and cached.
    pub fn syft_json(&self) -> Result<String> {
        self.syft_json_with("syft", &[])
    }

    /// syft's JSON SBOM of this image's archive with extra arguments `args` (e.g.
    /// `--override-default-catalogers`), cached under `<image>-<tag>`: `tag` must change
    /// whenever `args` do.
    pub fn syft_json_with(&self, tag: &str, args: &[&str]) -> Result<String> {
        let syft = crate::find_syft()?;
        let cache = crate::cache_dir()?;
        let name = format!(
            "{}-{tag}",
            self.dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        let dir = cache::artifact(&cache, &name, |tmp| {
            let out = tmp.join("syft.json");
            run(Command::new(&syft)
                .arg(format!("docker-archive:{}", self.archive.display()))
                .arg("-q")
                .args(args)
                .arg("-o")
                .arg(format!("json={}", out.display()))
                .env("SYFT_CHECK_FOR_APP_UPDATE", "false"))
            .map(drop)
        })?;
        crate::cmd::read_to_string(&dir.join("syft.json"))
    }

    /// Makes sure the Docker daemon has this image under its reference: loads `image.tar`
    /// when the daemon lacks it or when the tag points at another image (someone else
    /// imported or built the same name).
    pub fn ensure_loaded(&self) -> Result<()> {
        if docker::image_id(&self.reference)?.as_deref() == Some(self.image_id.as_str()) {
            return Ok(());
        }
        let cache = crate::cache_dir()?;
        let _lock = cache::lock(&cache, "docker-load")?;
        if docker::image_id(&self.reference)?.as_deref() != Some(self.image_id.as_str()) {
            docker::load(&self.archive)?;
        }
        Ok(())
    }
}

/// The Debian bookworm minbase image. `None` after [`crate::skip_or_fail`] when Docker or
/// mmdebstrap is missing.
pub fn minbase() -> Option<TestImage> {
    require(build_minbase())
}

/// The Debian bookworm image with ~300 packages ([`LARGE_INCLUDE`]).
pub fn debian_large() -> Option<TestImage> {
    require(build_debian_large())
}

/// The 6-layer image built by `docker build` FROM minbase ([`layered_layout`]).
pub fn layered() -> Option<TestImage> {
    require(build_layered())
}

/// The Alpine image with a real apk database.
pub fn apk() -> Option<TestImage> {
    require(build_apk())
}

/// The rpm image with a sqlite rpmdb of tiny rpms.
pub fn rpm() -> Option<TestImage> {
    require(build_rpm())
}

/// The image of language packages ([`lang_layout`]): Python, npm, Cargo, Go, Java.
pub fn lang() -> Option<TestImage> {
    require(build_lang())
}

fn mirror() -> String {
    std::env::var("STRATA_DEBIAN_MIRROR")
        .ok()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "http://deb.debian.org/debian".to_string())
}

/// Common tail of every recipe: the image `reference` exists in the daemon; save and export
/// it into `dir`.
fn save_and_export(reference: &str, dir: &Path) -> Result<()> {
    let id = docker::image_id(reference)?
        .ok_or_else(|| Error::invalid(reference, "not in the Docker daemon after building it"))?;
    write_file(&dir.join("image_id"), format!("{id}\n"))?;
    let mut layers = docker::diff_ids(reference)?.join("\n");
    layers.push('\n');
    write_file(&dir.join("diff_ids"), layers)?;
    docker::save(reference, &dir.join("image.tar"))?;
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(&rootfs).map_err(|e| Error::io(&rootfs, e))?;
    docker::export_rootfs(reference, &rootfs)
}

/// Finds or builds the cached image `name` with `recipe`, then loads it if needed.
fn cached_image<F>(name: &str, reference: &str, kind: ImageKind, recipe: F) -> Result<TestImage>
where
    F: FnOnce(&Path) -> Result<()>,
{
    docker::check()?;
    let cache = crate::cache_dir()?;
    let dir = cache::artifact(&cache, &format!("{name}-{RECIPE_VERSION}"), |tmp| {
        recipe(tmp)?;
        save_and_export(reference, tmp)
    })?;
    let read = |file: &str| crate::cmd::read_to_string(&dir.join(file));
    let image = TestImage {
        reference: reference.to_string(),
        archive: dir.join("image.tar"),
        rootfs: dir.join("rootfs"),
        kind,
        diff_ids: read("diff_ids")?.lines().map(str::to_string).collect(),
        image_id: read("image_id")?.trim().to_string(),
        dir,
    };
    image.ensure_loaded()?;
    Ok(image)
}

fn mmdebstrap(include: &[&str], out: &Path) -> Result<()> {
    let tool = crate::tool("mmdebstrap", "mmdebstrap")?;
    let mut c = Command::new(tool);
    c.args(["--quiet", "--variant=minbase"]);
    if !include.is_empty() {
        c.arg(format!("--include={}", include.join(",")));
    }
    c.arg("bookworm").arg(out).arg(mirror());
    run(&mut c).map(drop)
}

/// [`minbase`] as a `Result`.
pub fn build_minbase() -> Result<TestImage> {
    let reference = "strata-test/minbase:bookworm";
    cached_image("minbase", reference, ImageKind::Deb, |dir| {
        let seed = match std::env::var_os("STRATA_MINBASE_SEED") {
            Some(s) if s.is_empty() => None,
            Some(s) => Some(PathBuf::from(s)),
            None => Some(PathBuf::from("/var/cache/strata-dev/minbase.tar")),
        }
        .filter(|p| p.is_file());
        let tar = match seed {
            Some(seed) => seed,
            None => {
                let t = dir.join("rootfs-build.tar");
                mmdebstrap(&[], &t)?;
                t
            }
        };
        docker::import(&tar, reference)?;
        if tar.starts_with(dir) {
            let _ = std::fs::remove_file(&tar);
        }
        Ok(())
    })
}

/// [`debian_large`] as a `Result`.
pub fn build_debian_large() -> Result<TestImage> {
    let reference = "strata-test/debian-large:bookworm";
    cached_image("debian-large", reference, ImageKind::Deb, |dir| {
        let tar = dir.join("rootfs-build.tar");
        mmdebstrap(LARGE_INCLUDE, &tar)?;
        docker::import(&tar, reference)?;
        let _ = std::fs::remove_file(&tar);
        Ok(())
    })
}

/// [`layered`] as a `Result`.
pub fn build_layered() -> Result<TestImage> {
    let base = build_minbase()?;
    let reference = "strata-test/layered:bookworm";
    cached_image("layered", reference, ImageKind::Deb, |dir| {
        let ctx = dir.join("context");
        let debs = ctx.join("debs");
        std::fs::create_dir_all(&debs).map_err(|e| Error::io(&debs, e))?;
        // The .debs come from the host's apt (bookworm), so the build needs no network.
        let apt = crate::tool("apt-get", "apt")?;
        run(Command::new(apt)
            .args(["download", "hello", "tree"])
            .current_dir(&debs))
        .map_err(|e| match e {
            Error::Command { stderr, .. } => Error::Command {
                command: "apt-get download hello tree".into(),
                status: "failed".into(),
                stderr: format!("{stderr} (does the host need `apt-get update`?)"),
            },
            other => other,
        })?;
        write_file(&ctx.join("files/strata-test/a.txt"), "a\n")?;
        write_file(&ctx.join("files/strata-test/sub/old.txt"), "old\n")?;
        let dockerfile = format!(
            "FROM {base}\n\
             COPY files/ /opt/\n\
             RUN rm {deleted} && rm -rf /opt/strata-test/sub && mkdir /opt/strata-test/sub && echo new > /opt/strata-test/sub/new.txt\n\
             COPY debs/ /tmp/debs/\n\
             RUN dpkg -i /tmp/debs/hello_*.deb /tmp/debs/tree_*.deb && rm -rf /tmp/debs\n\
             RUN dpkg --purge tree\n",
            base = base.reference,
            deleted = layered_layout::DELETED_FILE,
        );
        write_file(&ctx.join("Dockerfile"), dockerfile)?;
        run(command("docker", ["build", "-q", "-t", reference]).arg(&ctx))?;
        let layers = docker::diff_ids(reference)?;
        if layers.len() != layered_layout::LAYERS {
            return Err(Error::invalid(
                format!("docker build of {reference}"),
                format!(
                    "expected {} layers, got {}: {layers:?}",
                    layered_layout::LAYERS,
                    layers.len()
                ),
            ));
        }
        std::fs::remove_dir_all(&ctx).map_err(|e| Error::io(&ctx, e))
    })
}

/// Packs the directory `root` into `tar` (owned by root) and `docker import`s it.
fn import_dir(root: &Path, tar: &Path, reference: &str) -> Result<()> {
    run(
        command("tar", ["--numeric-owner", "--owner=0", "--group=0", "-cf"])
            .arg(tar)
            .arg("-C")
            .arg(root)
            .arg("."),
    )?;
    docker::import(tar, reference)
}

/// [`apk`] as a `Result`.
pub fn build_apk() -> Result<TestImage> {
    let data = crate::find_data_dir()?;
    let reference = "strata-test/apk:3.18";
    cached_image("apk", reference, ImageKind::Apk, |dir| {
        let root = dir.join("build-root");
        let installed = data.join("pkgdb/apk-installed/osv-scalibr/installed");
        let db = std::fs::read(&installed).map_err(|e| Error::io(&installed, e))?;
        write_file(&root.join("lib/apk/db/installed"), db)?;
        let archive = data.join("pkgdb/os-release/claircore-release-files.tar.zst");
        let out = run(command("tar", ["--zstd", "-xOf"])
            .arg(&archive)
            .arg("./alpine/testdata/3.18/etc/os-release"))?;
        write_file(&root.join("etc/os-release"), out.stdout)?;
        write_file(&root.join("etc/alpine-release"), "3.18.4\n")?;
        import_dir(&root, &dir.join("build.tar"), reference)?;
        let _ = std::fs::remove_file(dir.join("build.tar"));
        std::fs::remove_dir_all(&root).map_err(|e| Error::io(&root, e))
    })
}

/// The tiny rpms of the [`rpm`] image: (spec file name, spec).
const RPM_SPECS: &[(&str, &str)] = &[
    (
        "strata-hello.spec",
        "Name: strata-hello\nVersion: 1.2.3\nRelease: 4.el8\nEpoch: 2\nSummary: strata test package\n\
         License: MIT\nBuildArch: noarch\n%description\nA tiny package for strata's tests.\n\
         %install\nmkdir -p %{buildroot}/usr/share/strata-hello\necho hello > %{buildroot}/usr/share/strata-hello/README\n\
         %files\n/usr/share/strata-hello/README\n",
    ),
    (
        "strata-lib.spec",
        "Name: strata-lib\nVersion: 0.9\nRelease: 1.el8\nSummary: strata test library\n\
         License: Apache-2.0\nBuildArch: x86_64\n%description\nA tiny library package.\n\
         %package devel\nSummary: headers\n%description devel\nHeaders.\n\
         %install\nmkdir -p %{buildroot}/usr/lib64 %{buildroot}/usr/include\n\
         echo lib > %{buildroot}/usr/lib64/libstrata.txt\necho '/* h */' > %{buildroot}/usr/include/strata.h\n\
         %files\n/usr/lib64/libstrata.txt\n%files devel\n/usr/include/strata.h\n",
    ),
    (
        "strata-tool.spec",
        "Name: strata-tool\nVersion: 10.0.1\nRelease: 0.rc1.el8\nSummary: strata test tool\n\
         License: GPL-2.0-or-later\nBuildArch: x86_64\n%description\nA tiny tool package.\n\
         %install\nmkdir -p %{buildroot}/usr/bin\nprintf '#!/bin/sh\\necho tool\\n' > %{buildroot}/usr/bin/strata-tool\n\
         chmod 755 %{buildroot}/usr/bin/strata-tool\n%files\n/usr/bin/strata-tool\n",
    ),
];

/// [`rpm`] as a `Result`.
pub fn build_rpm() -> Result<TestImage> {
    let data = crate::find_data_dir()?;
    let rpmbuild = crate::tool("rpmbuild", "rpm")?;
    let rpm = crate::tool("rpm", "rpm")?;
    let reference = "strata-test/rpm:8";
    cached_image("rpm", reference, ImageKind::Rpm, |dir| {
        let top = dir.join("rpmbuild");
        let mut rpms = Vec::new();
        for (file, spec) in RPM_SPECS {
            let path = top.join("SPECS").join(file);
            write_file(&path, spec)?;
            run(Command::new(&rpmbuild)
                .arg("--define")
                .arg(format!("_topdir {}", top.display()))
                .args(["--define", "debug_package %{nil}"])
                .args(["--define", "_build_id_links none"])
                .args(["--quiet", "-bb"])
                .arg(&path))?;
        }
        for arch in ["noarch", "x86_64"] {
            let d = top.join("RPMS").join(arch);
            let entries = std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))?;
            for e in entries {
                let e = e.map_err(|e| Error::io(&d, e))?;
                rpms.push(e.path());
            }
        }
        rpms.sort();
        let root = dir.join("build-root");
        std::fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
        let rpm_args = |c: &mut Command| {
            c.arg("--root")
                .arg(&root)
                .args(["--dbpath", "/var/lib/rpm"])
                .args(["--define", "_db_backend sqlite"]);
        };
        let mut init = Command::new(&rpm);
        rpm_args(&mut init);
        run(init.arg("--initdb"))?;
        let mut install = Command::new(&rpm);
        rpm_args(&mut install);
        run(install
            .args([
                "-i",
                "--nodeps",
                "--noscripts",
                "--ignorearch",
                "--ignoreos",
            ])
            .args(&rpms))?;
        for junk in ["rpmdb.sqlite-shm", "rpmdb.sqlite-wal", ".rpm.lock"] {
            let _ = std::fs::remove_file(root.join("var/lib/rpm").join(junk));
        }
        let os_release =
            data.join("pkgdb/os-release/syft/rockylinux/from-os-release/etc/os-release");
        let text = std::fs::read(&os_release).map_err(|e| Error::io(&os_release, e))?;
        write_file(&root.join("etc/os-release"), text)?;
        import_dir(&root, &dir.join("build.tar"), reference)?;
        let _ = std::fs::remove_file(dir.join("build.tar"));
        std::fs::remove_dir_all(&root).map_err(|e| Error::io(&root, e))?;
        std::fs::remove_dir_all(&top).map_err(|e| Error::io(&top, e))
    })
}

/// A fresh copy of `src` (a file) in a temporary directory, e.g. to damage it.
pub fn scratch_copy(src: &Path, name: &str) -> Result<(TempDir, PathBuf)> {
    let tmp = TempDir::new("scratch")?;
    let dest = tmp.path().join(name);
    std::fs::copy(src, &dest).map_err(|e| Error::io(&dest, e))?;
    Ok((tmp, dest))
}

/// What the [`lang`] image holds and where.
pub mod lang_layout {
    /// `pip install --target` directory.
    pub const SITE_PACKAGES: &str = "usr/local/lib/python3.11/site-packages";
    /// The distributions installed with pip, all pinned, dependencies included, so the
    /// set does not change when a new release comes out. `jaraco.classes`,
    /// `typing_extensions`, `Jinja2` and `MarkupSafe` spell their names in ways PEP 503
    /// normalises.
    pub const PIP: &[&str] = &[
        "requests==2.31.0",
        "urllib3==1.26.5",
        "idna==3.6",
        "certifi==2023.11.17",
        "charset-normalizer==3.3.2",
        "jinja2==3.1.2",
        "MarkupSafe==2.1.3",
        "click==8.1.7",
        "six==1.16.0",
        "attrs==23.1.0",
        "typing_extensions==4.8.0",
        "jaraco.classes==3.3.0",
        "more-itertools==10.1.0",
    ];
    /// The npm project (`package.json` and `package-lock.json`, `node_modules/`).
    pub const NPM_ROOT: &str = "/srv/web";
    /// Its `package.json`: express 4.18.2 brings ~70 packages; `debug@4` at the top forces
    /// four nested copies of `debug@2.6.9` and `ms@2.0.0`; `ms` is also a dev dependency
    /// that a runtime package needs, `is-number` a dev-only one; `@types/cookie` is scoped.
    pub const PACKAGE_JSON: &str = r#"{
  "name": "strata-web",
  "version": "1.0.0",
  "private": true,
  "dependencies": {
    "@types/cookie": "0.5.1",
    "debug": "4.3.4",
    "express": "4.18.2",
    "lodash": "4.17.11"
  },
  "devDependencies": {
    "is-number": "7.0.0",
    "ms": "2.1.3"
  }
}
"#;
    /// The Cargo project: `Cargo.toml`, `Cargo.lock`, and its binary built with
    /// `cargo auditable` at [`RUST_BINARY`].
    pub const CARGO_PROJECT: &str = "/src/rustapp";
    pub const CARGO_TOML: &str = "[package]\nname = \"rustapp\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
        [dependencies]\nitoa = \"=1.0.9\"\ncfg-if = \"=1.0.0\"\nsemver = \"=1.0.20\"\n";
    pub const CARGO_MAIN: &str = "use std::str::FromStr;\n\nfn main() {\n    let mut b = itoa::Buffer::new();\n    \
        let v = semver::Version::from_str(\"1.2.3\").unwrap();\n    cfg_if::cfg_if! {\n        if #[cfg(unix)] {\n            \
        println!(\"{} {v}\", b.format(7u8));\n        } else {\n            println!(\"{v}\");\n        }\n    }\n}\n";
    pub const RUST_BINARY: &str = "/usr/local/bin/rustapp";
    /// A Go binary (no cgo, `-trimpath`) whose one dependency is replaced by a local
    /// directory (`replace example.com/strata/golib v1.2.3 => ../lib`).
    pub const GO_BINARY: &str = "/usr/local/bin/goapp";
    pub const GO_MAIN_MODULE: &str = "example.com/strata/goapp";
    pub const GO_LOCAL_DEP: &str = "example.com/strata/golib";
    /// The jars: (path in the image, group, artifact, version). `epsilon` is inside the
    /// war, at `WEB-INF/lib/epsilon-5.0.jar`.
    pub const JARS: &[(&str, &str, &str, &str)] = &[
        (
            "/opt/app/lib/alpha-1.0.0.jar",
            "org.example",
            "alpha",
            "1.0.0",
        ),
        ("/opt/app/webapp.war", "org.example", "webapp", "0.9"),
        (
            "/opt/app/webapp.war:WEB-INF/lib/epsilon-5.0.jar",
            "org.example",
            "epsilon",
            "5.0",
        ),
    ];
}

/// [`lang`] as a `Result`.
pub fn build_lang() -> Result<TestImage> {
    use lang_layout as l;
    let python = crate::tool("python3", "python3-pip")?;
    let npm = crate::tool("npm", "npm")?;
    let cargo = crate::find_tool("cargo")
        .ok_or_else(|| Error::missing("`cargo`", "not on PATH (rustup)"))?;
    let auditable = crate::find_tool("cargo-auditable").ok_or_else(|| {
        Error::missing(
            "`cargo-auditable`",
            "not on PATH (cargo install cargo-auditable@0.7.7; .ci/run installs it)",
        )
    })?;
    let go = crate::tool("go", "golang-go")?;
    let jar = crate::tool("jar", "openjdk-17-jdk-headless")?;
    let reference = "strata-test/lang:1";
    cached_image("lang", reference, ImageKind::Lang, |dir| {
        let root = dir.join("build-root");
        let truth = dir.join("truth");
        let work = dir.join("work");
        let rel = |p: &str| root.join(p.trim_start_matches('/'));

        // Python: pip into a site-packages directory, the truth from `pip list --path`.
        let site = root.join(l::SITE_PACKAGES);
        run(Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--no-compile"])
            .args(["--no-warn-conflicts", "--no-cache-dir", "--no-input"])
            .arg("--target")
            .arg(&site)
            .args(l::PIP)
            .env("PIP_BREAK_SYSTEM_PACKAGES", "1")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PIP_ROOT_USER_ACTION", "ignore"))?;
        let list = run(Command::new(&python)
            .args(["-m", "pip", "list", "--format", "json", "--path"])
            .arg(&site)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"))?;
        write_file(&truth.join("pip-list.json"), list.stdout)?;

        // npm: `npm install` from a pinned package.json; the truth from `npm query '*'`.
        let web = rel(l::NPM_ROOT);
        write_file(&web.join("package.json"), l::PACKAGE_JSON)?;
        let npm_env = |c: &mut Command| {
            c.current_dir(&web)
                .env("npm_config_update_notifier", "false")
                .env("npm_config_fund", "false")
                .env("npm_config_audit", "false");
        };
        let mut install = Command::new(&npm);
        npm_env(&mut install);
        run(install.args(["install", "--no-audit", "--no-fund", "--loglevel=error"]))?;
        let mut query = Command::new(&npm);
        npm_env(&mut query);
        let q = run(query.args(["query", "*"]))?;
        write_file(&truth.join("npm-query.json"), q.stdout)?;

        // Cargo: a project with a real Cargo.lock, and its binary built by cargo auditable.
        let project = rel(l::CARGO_PROJECT);
        write_file(&project.join("Cargo.toml"), l::CARGO_TOML)?;
        write_file(&project.join("src/main.rs"), l::CARGO_MAIN)?;
        let target = work.join("cargo-target");
        let cargo_cmd = |args: &[&str]| {
            let mut c = Command::new(&cargo);
            c.args(args)
                .current_dir(&project)
                .env("CARGO_TARGET_DIR", &target)
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_BUILD_TARGET");
            c
        };
        run(&mut cargo_cmd(&["generate-lockfile"]))?;
        let mut build = cargo_cmd(&["auditable", "build", "--release", "--locked", "--quiet"]);
        if let Some(bin) = auditable.parent() {
            // `cargo auditable` is found as a cargo subcommand on PATH.
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![bin.to_path_buf()];
            dirs.extend(std::env::split_paths(&path));
            build.env(
                "PATH",
                std::env::join_paths(dirs).map_err(|e| Error::invalid("PATH", e.to_string()))?,
            );
        }
        run(&mut build)?;
        let bin = rel(l::RUST_BINARY);
        if let Some(parent) = bin.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let built = target.join("release/rustapp");
        std::fs::copy(&built, &bin).map_err(|e| Error::io(&built, e))?;
        let lock = project.join("Cargo.lock");
        std::fs::copy(&lock, truth.join("Cargo.lock")).map_err(|e| Error::io(&lock, e))?;

        // Go: a binary whose dependency is replaced by a local directory; no network.
        let gosrc = work.join("go");
        write_file(
            &gosrc.join("lib/go.mod"),
            format!("module {}\n\ngo 1.19\n", l::GO_LOCAL_DEP),
        )?;
        write_file(
            &gosrc.join("lib/lib.go"),
            "package golib\n\nfunc Hello() string { return \"hello\" }\n",
        )?;
        write_file(
            &gosrc.join("app/go.mod"),
            format!(
                "module {m}\n\ngo 1.19\n\nrequire {d} v1.2.3\n\nreplace {d} v1.2.3 => ../lib\n",
                m = l::GO_MAIN_MODULE,
                d = l::GO_LOCAL_DEP
            ),
        )?;
        write_file(
            &gosrc.join("app/main.go"),
            format!(
                "package main\n\nimport (\n\t\"fmt\"\n\n\t\"{}\"\n)\n\nfunc main() {{ fmt.Println(golib.Hello()) }}\n",
                l::GO_LOCAL_DEP
            ),
        )?;
        let gobin = rel(l::GO_BINARY);
        run(Command::new(&go)
            .args(["build", "-trimpath", "-o"])
            .arg(&gobin)
            .arg(".")
            .current_dir(gosrc.join("app"))
            .env("CGO_ENABLED", "0")
            .env("GOFLAGS", "-buildvcs=false -mod=mod")
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .env("GOCACHE", work.join("gocache"))
            .env("GOPATH", work.join("gopath")))?;
        let m = run(Command::new(&go).args(["version", "-m"]).arg(&gobin))?;
        write_file(&truth.join("go-version-m.txt"), m.stdout)?;

        // Java: jars with pom.properties (and a manifest), a war with a jar inside.
        let jars = work.join("jars");
        let pom = |d: &Path, g: &str, a: &str, v: &str| {
            write_file(
                &d.join(format!("META-INF/maven/{g}/{a}/pom.properties")),
                format!("#Generated by Maven\ngroupId={g}\nartifactId={a}\nversion={v}\n"),
            )
        };
        // `jar cf OUT` or, with a manifest, `jar cfm OUT MANIFEST`, then `-C FILES .`.
        let jar_cmd = |out: &Path, manifest: Option<&Path>, files: &Path| {
            run(Command::new(&jar)
                .current_dir(&jars)
                .arg(if manifest.is_some() { "cfm" } else { "cf" })
                .arg(out)
                .args(manifest)
                .arg("-C")
                .arg(files)
                .arg("."))
            .map(drop)
        };
        let a = jars.join("a");
        pom(&a, "org.example", "alpha", "1.0.0")?;
        write_file(&a.join("org/example/Alpha.class"), "x")?;
        let manifest = jars.join("manifest.mf");
        write_file(
            &manifest,
            "Implementation-Title: Alpha\nImplementation-Version: 1.0.0\n",
        )?;
        let lib = rel("/opt/app/lib");
        std::fs::create_dir_all(&lib).map_err(|e| Error::io(&lib, e))?;
        jar_cmd(&lib.join("alpha-1.0.0.jar"), Some(&manifest), &a)?;
        let e = jars.join("e");
        pom(&e, "org.example", "epsilon", "5.0")?;
        let w = jars.join("w");
        pom(&w, "org.example", "webapp", "0.9")?;
        std::fs::create_dir_all(w.join("WEB-INF/lib")).map_err(|err| Error::io(&w, err))?;
        jar_cmd(&w.join("WEB-INF/lib/epsilon-5.0.jar"), None, &e)?;
        jar_cmd(&rel("/opt/app/webapp.war"), None, &w)?;

        import_dir(&root, &dir.join("build.tar"), reference)?;
        let _ = std::fs::remove_file(dir.join("build.tar"));
        std::fs::remove_dir_all(&work).map_err(|e| Error::io(&work, e))?;
        std::fs::remove_dir_all(&root).map_err(|e| Error::io(&root, e))
    })
}
