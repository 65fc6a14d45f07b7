//! The registry source against a real registry (Debian's `docker-registry`), with images
//! pushed by `skopeo`, and the digests checked against what `skopeo inspect --raw` reports.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use sha2::Digest as _;
use strata_image::registry::{RegistryError, RegistryOptions, registry_source};
use strata_image::{ImageSource, Platform, SourceError};
use strata_testkit::registry::Registry;

fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex(&sha2::Sha256::digest(data)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn skopeo() -> Option<PathBuf> {
    strata_testkit::require(strata_testkit::tool("skopeo", "skopeo"))
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `skopeo inspect --raw` of `reference` (the manifest bytes as the registry stores them).
fn raw_manifest(skopeo: &Path, reference: &str, creds: Option<(&str, &str)>) -> Vec<u8> {
    let mut c = Command::new(skopeo);
    c.args(["inspect", "--raw", "--tls-verify=false"]);
    if let Some((u, p)) = creds {
        c.arg("--creds").arg(format!("{u}:{p}"));
    }
    c.arg(format!("docker://{reference}"));
    run(&mut c)
}

/// One tiny single-layer image for one platform, as blobs of an OCI layout.
struct TinyImage {
    manifest: Vec<u8>,
    layer: Vec<u8>,
}

fn write_blob(layout: &Path, data: &[u8]) -> String {
    let digest = sha256(data);
    let hexpart = digest.trim_start_matches("sha256:");
    let path = layout.join("blobs/sha256").join(hexpart);
    std::fs::write(path, data).unwrap();
    digest
}

fn tiny_image(layout: &Path, os: &str, arch: &str, variant: Option<&str>) -> TinyImage {
    // A gzip-compressed layer holding /etc/platform.
    let content = format!("{os}/{arch}/{}\n", variant.unwrap_or(""));
    let mut tar_bytes = Vec::new();
    {
        let mut b = tar::Builder::new(&mut tar_bytes);
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_cksum();
        b.append_data(&mut h, "etc/platform", content.as_bytes())
            .unwrap();
        b.finish().unwrap();
    }
    let diff_id = sha256(&tar_bytes);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar_bytes).unwrap();
    let layer = gz.finish().unwrap();
    let layer_digest = write_blob(layout, &layer);

    let mut config = serde_json::json!({
        "architecture": arch,
        "os": os,
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    });
    if let Some(v) = variant {
        config["variant"] = serde_json::json!(v);
    }
    let config = serde_json::to_vec(&config).unwrap();
    let config_digest = write_blob(layout, &config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": layer_digest,
            "size": layer.len(),
        }],
    }))
    .unwrap();
    write_blob(layout, &manifest);
    TinyImage { manifest, layer }
}

/// An OCI layout with a single-platform image tagged `single` (linux/amd64) and a
/// linux/amd64 + linux/arm64/v8 index tagged `multi`.
fn tiny_layout(dir: &Path) -> (PathBuf, Vec<TinyImage>) {
    let layout = dir.join("layout");
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let amd = tiny_image(&layout, "linux", "amd64", None);
    let arm = tiny_image(&layout, "linux", "arm64", Some("v8"));
    let entry = |img: &TinyImage, platform: serde_json::Value| {
        serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha256(&img.manifest),
            "size": img.manifest.len(),
            "platform": platform,
        })
    };
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            entry(&amd, serde_json::json!({"os": "linux", "architecture": "amd64"})),
            entry(&arm, serde_json::json!({"os": "linux", "architecture": "arm64", "variant": "v8"})),
        ],
    }))
    .unwrap();
    let index_digest = write_blob(&layout, &index);
    let top = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": sha256(&amd.manifest),
                "size": amd.manifest.len(),
                "annotations": {"org.opencontainers.image.ref.name": "single"},
            },
            {
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": index_digest,
                "size": index.len(),
                "annotations": {"org.opencontainers.image.ref.name": "multi"},
            },
        ],
    });
    std::fs::write(layout.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    (layout, vec![amd, arm])
}

/// Pushes `oci:<layout>:<tag>` (all platforms) to `<registry>/<repo_tag>`.
fn push_layout(skopeo: &Path, layout: &Path, tag: &str, dest: &str, creds: Option<(&str, &str)>) {
    let mut c = Command::new(skopeo);
    c.args([
        "copy",
        "--quiet",
        "--all",
        "--preserve-digests",
        "--dest-tls-verify=false",
    ]);
    if let Some((u, p)) = creds {
        c.arg("--dest-creds").arg(format!("{u}:{p}"));
    }
    c.arg(format!("oci:{}:{tag}", layout.display()));
    c.arg(format!("docker://{dest}"));
    run(&mut c);
}

fn insecure() -> RegistryOptions {
    RegistryOptions {
        insecure: true,
        ignore_docker_config: true,
        ..RegistryOptions::default()
    }
}

fn amd64() -> Platform {
    Platform::parse("linux/amd64").unwrap()
}

fn read_blob(src: &mut dyn ImageSource, desc: &strata_image::Descriptor) -> Vec<u8> {
    let mut out = Vec::new();
    src.open_blob(desc).unwrap().read_to_end(&mut out).unwrap();
    out
}

/// Everything a pull of `reference` must agree on with the registry's own manifest.
fn check_pull(
    reference: &str,
    opts: &RegistryOptions,
    platform: &Platform,
    raw: &[u8],
    expected_layer: &[u8],
) {
    let mut src = registry_source(reference, opts).unwrap();
    assert_eq!(src.reference(), reference);
    let img = src.resolve(platform).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(raw).unwrap();
    assert_eq!(
        img.manifest_digest.as_ref().map(ToString::to_string),
        Some(sha256(raw))
    );
    assert_eq!(
        img.config.digest.to_string(),
        manifest["config"]["digest"].as_str().unwrap()
    );
    assert_eq!(sha256(&img.config_json), img.config.digest.to_string());
    let layers: Vec<String> = img.layers.iter().map(|l| l.digest.to_string()).collect();
    let want: Vec<String> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(layers, want);
    let layer_desc = img.layers.first().unwrap().clone();
    let blob = read_blob(&mut src, &layer_desc);
    assert_eq!(blob, expected_layer);
    assert_eq!(sha256(&blob), layer_desc.digest.to_string());
}

#[test]
fn anonymous_pull_by_tag_and_by_digest() {
    let (Some(skopeo), Some(reg)) = (skopeo(), Registry::start()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (layout, images) = tiny_layout(dir.path());
    let tagged = format!("{}/team/tiny:1.0", reg.host());
    push_layout(&skopeo, &layout, "single", &tagged, None);
    let raw = raw_manifest(&skopeo, &tagged, None);
    let amd = images.first().unwrap();
    assert_eq!(raw, amd.manifest, "skopeo kept the manifest as written");

    check_pull(&tagged, &insecure(), &amd64(), &raw, &amd.layer);

    // The source reports the tag it was pulled by.
    let mut src = registry_source(&tagged, &insecure()).unwrap();
    let img = src.resolve(&amd64()).unwrap();
    assert_eq!(img.repo_tags, vec![tagged.clone()]);

    // By digest.
    let by_digest = format!("{}/team/tiny@{}", reg.host(), sha256(&raw));
    check_pull(&by_digest, &insecure(), &amd64(), &raw, &amd.layer);
    let mut src = registry_source(&by_digest, &insecure()).unwrap();
    assert_eq!(
        src.resolve(&amd64()).unwrap().repo_tags,
        Vec::<String>::new()
    );

    // An image manifest (not an index) is used whatever platform is asked for.
    check_pull(
        &tagged,
        &insecure(),
        &Platform::parse("linux/arm64").unwrap(),
        &raw,
        &amd.layer,
    );
}

#[test]
fn missing_tags_repositories_and_digests() {
    let (Some(skopeo), Some(reg)) = (skopeo(), Registry::start()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = tiny_layout(dir.path());
    push_layout(
        &skopeo,
        &layout,
        "single",
        &format!("{}/team/tiny:1.0", reg.host()),
        None,
    );
    let cases = [
        (
            format!("{}/team/tiny:2.0", reg.host()),
            format!(
                "registry {0}: manifest unknown: {0}/team/tiny:2.0",
                reg.host()
            ),
        ),
        (
            format!("{}/team/nothing:1.0", reg.host()),
            format!(
                "registry {0}: manifest unknown: {0}/team/nothing:1.0",
                reg.host()
            ),
        ),
        (
            format!("{}/team/tiny@sha256:{}", reg.host(), "0".repeat(64)),
            format!(
                "registry {0}: manifest unknown: {0}/team/tiny@sha256:{1}",
                reg.host(),
                "0".repeat(64)
            ),
        ),
    ];
    for (reference, message) in cases {
        let mut src = registry_source(&reference, &insecure()).unwrap();
        match src.resolve(&amd64()) {
            Err(SourceError::Registry(e @ RegistryError::ManifestUnknown { .. })) => {
                assert_eq!(e.to_string(), message)
            }
            other => panic!("{reference}: {other:?}"),
        }
    }

    // A blob the registry does not have.
    let mut src = registry_source(&format!("{}/team/tiny:1.0", reg.host()), &insecure()).unwrap();
    let img = src.resolve(&amd64()).unwrap();
    let mut missing = img.layers.first().unwrap().clone();
    missing.digest = format!("sha256:{}", "1".repeat(64)).parse().unwrap();
    match src.open_blob(&missing) {
        Err(SourceError::Registry(RegistryError::BlobUnknown { digest, .. })) => {
            assert_eq!(digest, format!("sha256:{}", "1".repeat(64)))
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("missing blob opened"),
    }
}

#[test]
fn multi_platform_index() {
    let (Some(skopeo), Some(reg)) = (skopeo(), Registry::start()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (layout, images) = tiny_layout(dir.path());
    let reference = format!("{}/multi/app:latest", reg.host());
    push_layout(&skopeo, &layout, "multi", &reference, None);
    let raw_index = raw_manifest(&skopeo, &reference, None);
    let index: serde_json::Value = serde_json::from_slice(&raw_index).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 2);

    for (platform, image) in [
        ("linux/amd64", 0usize),
        ("linux/arm64", 1),
        ("linux/arm64/v8", 1),
    ] {
        let img_bytes = images.get(image).unwrap();
        let child_digest = entries.get(image).unwrap()["digest"].as_str().unwrap();
        let child_ref = format!("{}/multi/app@{child_digest}", reg.host());
        let raw_child = raw_manifest(&skopeo, &child_ref, None);
        check_pull(
            &reference,
            &insecure(),
            &Platform::parse(platform).unwrap(),
            &raw_child,
            &img_bytes.layer,
        );
        let mut src = registry_source(&reference, &insecure()).unwrap();
        let resolved = src.resolve(&Platform::parse(platform).unwrap()).unwrap();
        assert_eq!(
            src.index_digest().map(ToString::to_string),
            Some(sha256(&raw_index))
        );
        assert_eq!(
            resolved.manifest_digest.map(|d| d.to_string()).as_deref(),
            Some(child_digest)
        );
    }

    // The index pulled by its own digest works the same.
    let by_digest = format!("{}/multi/app@{}", reg.host(), sha256(&raw_index));
    let mut src = registry_source(&by_digest, &insecure()).unwrap();
    let img = src.resolve(&amd64()).unwrap();
    assert_eq!(
        img.manifest_digest.map(|d| d.to_string()),
        Some(sha256(&images.first().unwrap().manifest))
    );

    let mut src = registry_source(&reference, &insecure()).unwrap();
    match src.resolve(&Platform::parse("linux/s390x").unwrap()) {
        Err(e @ SourceError::PlatformNotFound { .. }) => assert_eq!(
            e.to_string(),
            format!(
                "no image for platform linux/s390x in {reference}; \
                 available: linux/amd64, linux/arm64/v8"
            )
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn basic_auth_explicit_and_docker_config() {
    let (Some(skopeo), Some(reg)) = (skopeo(), Registry::start_with_auth("alice", "s3cret")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (layout, images) = tiny_layout(dir.path());
    let reference = format!("{}/private/tiny:1", reg.host());
    let creds = Some(("alice", "s3cret"));
    push_layout(&skopeo, &layout, "single", &reference, creds);
    let raw = raw_manifest(&skopeo, &reference, creds);
    let layer = &images.first().unwrap().layer;

    // Explicit credentials.
    let opts = RegistryOptions {
        username: Some("alice".into()),
        password: Some("s3cret".into()),
        ..insecure()
    };
    check_pull(&reference, &opts, &amd64(), &raw, layer);

    // Credentials from a Docker config.json (inline base64 `auth`, and username/password).
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
    for entry in [
        serde_json::json!({"auth": auth}),
        serde_json::json!({"username": "alice", "password": "s3cret"}),
    ] {
        let config = dir.path().join("config.json");
        let body = serde_json::json!({"auths": {
            "https://index.docker.io/v1/": {"auth": "d3Jvbmc6d3Jvbmc="},
            reg.host(): entry,
        }});
        std::fs::write(&config, serde_json::to_vec(&body).unwrap()).unwrap();
        let opts = RegistryOptions {
            docker_config: Some(config),
            ignore_docker_config: false,
            ..insecure()
        };
        check_pull(&reference, &opts, &amd64(), &raw, layer);
    }

    // A credential store whose helper is not installed: the pull fails with that reason.
    let broken = dir.path().join("broken-helper.json");
    std::fs::write(&broken, br#"{"credsStore":"strata-test-no-such-helper"}"#).unwrap();
    let opts = RegistryOptions {
        docker_config: Some(broken.clone()),
        ignore_docker_config: false,
        ..insecure()
    };
    let mut src = registry_source(&reference, &opts).unwrap();
    match src.resolve(&amd64()) {
        Err(SourceError::Registry(e @ RegistryError::Credentials { .. })) => assert_eq!(
            e.to_string(),
            format!(
                "registry {}: credential helper docker-credential-strata-test-no-such-helper \
                 (from {}) failed: not found in PATH",
                reg.host(),
                broken.display()
            )
        ),
        other => panic!("{other:?}"),
    }

    // No credentials.
    let mut src = registry_source(&reference, &insecure()).unwrap();
    match src.resolve(&amd64()) {
        Err(SourceError::Registry(e @ RegistryError::AuthRequired { .. })) => assert_eq!(
            e.to_string(),
            format!(
                "registry {}: authentication required for private/tiny; \
                 use docker login or --username",
                reg.host()
            )
        ),
        other => panic!("{other:?}"),
    }

    // Wrong password.
    let opts = RegistryOptions {
        username: Some("alice".into()),
        password: Some("wrong".into()),
        ..insecure()
    };
    let mut src = registry_source(&reference, &opts).unwrap();
    match src.resolve(&amd64()) {
        Err(SourceError::Registry(e @ RegistryError::AuthFailed { .. })) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with(&format!(
                    "registry {}: authentication failed for private/tiny as user \"alice\": ",
                    reg.host()
                )),
                "{msg}"
            );
            assert!(msg.ends_with("; check the username and password"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn plain_http_needs_insecure() {
    let (Some(skopeo), Some(reg)) = (skopeo(), Registry::start()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = tiny_layout(dir.path());
    let reference = format!("{}/team/tiny:1.0", reg.host());
    push_layout(&skopeo, &layout, "single", &reference, None);
    let opts = RegistryOptions {
        insecure: false,
        ignore_docker_config: true,
        ..RegistryOptions::default()
    };
    let mut src = registry_source(&reference, &opts).unwrap();
    match src.resolve(&amd64()) {
        Err(SourceError::Registry(e @ RegistryError::Connect { .. })) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with(&format!(
                    "registry {0}: cannot connect to https://{0}/v2/team/tiny/manifests/1.0: ",
                    reg.host()
                )),
                "{msg}"
            );
            assert!(
                msg.ends_with("(if the registry serves plain HTTP, use --insecure)"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A `docker save` archive of a real image pushed with `skopeo copy docker-archive:...`,
/// pulled back, every blob compared with the registry's manifest.
#[test]
fn docker_archive_pushed_by_skopeo() {
    let (Some(skopeo), Some(reg)) = (skopeo(), Registry::start()) else {
        return;
    };
    let Some(image) = strata_testkit::images::minbase() else {
        return;
    };
    let reference = reg
        .push_archive(&image.archive, "debian/minbase:bookworm")
        .unwrap();
    let raw = raw_manifest(&skopeo, &reference, None);
    let manifest: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    let mut src = registry_source(&reference, &insecure()).unwrap();
    let img = src.resolve(&Platform::host()).unwrap();
    assert_eq!(
        img.manifest_digest.map(|d| d.to_string()),
        Some(sha256(&raw))
    );
    assert_eq!(
        img.config.digest.to_string(),
        manifest["config"]["digest"].as_str().unwrap()
    );
    let config: serde_json::Value = serde_json::from_slice(&img.config_json).unwrap();
    let diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(diff_ids, image.diff_ids);
    assert_eq!(
        img.layers.len(),
        manifest["layers"].as_array().unwrap().len()
    );
    for layer in img.layers.clone() {
        let mut hasher = sha2::Sha256::new();
        let mut stream = src.open_blob(&layer).unwrap();
        let n = std::io::copy(&mut stream, &mut HashWriter(&mut hasher)).unwrap();
        drop(stream);
        assert_eq!(n, layer.size);
        assert_eq!(
            format!("sha256:{}", hex(&hasher.finalize())),
            layer.digest.to_string()
        );
    }
}

struct HashWriter<'a>(&'a mut sha2::Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A small HTTP server on 127.0.0.1 for registry behaviour `docker-registry` cannot
/// be made to show: each request's target and headers go to `handler`, which answers
/// with raw bytes or by forwarding to a backend. Requests are logged as
/// `<target> auth=<authorization header or ->`.
struct FakeHttp {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Handler = Box<dyn Fn(&str, &[(String, String)], u16) -> Front + Send>;

impl FakeHttp {
    fn start(handler: Handler) -> FakeHttp {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (stop2, log2) = (stop.clone(), log.clone());
        let thread = std::thread::spawn(move || {
            // Bounded: at most 200 connections, and it stops when asked.
            for conn in listener.incoming().take(200) {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                let (line, headers) = read_request(&mut conn);
                if line.is_empty() {
                    continue;
                }
                let target = line.split(' ').nth(1).unwrap_or_default().to_owned();
                let auth = header_value(&headers, "authorization");
                log2.lock()
                    .unwrap()
                    .push(format!("{target} auth={}", auth.as_deref().unwrap_or("-")));
                match handler(&target, &headers, port) {
                    Front::Reply(bytes) => {
                        let _ = conn.write_all(&bytes);
                    }
                    Front::Forward(backend, request) => {
                        if let Ok(mut up) = std::net::TcpStream::connect(&backend) {
                            let _ = up.write_all(request.as_bytes());
                            let _ = std::io::copy(&mut up, &mut conn);
                        }
                    }
                }
            }
        });
        FakeHttp {
            port,
            stop,
            log,
            thread: Some(thread),
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

const TOKEN: &str = "tok-3f9a";

/// A token-authenticating front for a real registry, as Docker Hub does it: `/v2/...`
/// answers 401 with a `Bearer` challenge unless the request carries the token that
/// `/token` hands out (to anyone when `creds` is `None`, else only for Basic `creds`);
/// authorised manifest requests are forwarded to the registry, blob requests are
/// redirected to it (another host:port, as registries redirect to storage).
fn token_front(backend: String, creds: Option<(&str, &str)>) -> FakeHttp {
    let basic = creds.map(|(u, p)| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
        )
    });
    FakeHttp::start(Box::new(move |target, headers, port| {
        let auth = header_value(headers, "authorization");
        front_response(
            target,
            auth.as_deref(),
            basic.as_deref(),
            port,
            &backend,
            headers,
        )
    }))
}

impl Drop for FakeHttp {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

enum Front {
    Reply(Vec<u8>),
    /// Send this request to this backend and pass its answer on.
    Forward(String, String),
}

fn read_request(conn: &mut std::net::TcpStream) -> (String, Vec<(String, String)>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
        // A TLS ClientHello (the client tries https first): a plain-HTTP server
        // would answer 400; closing is enough.
        if head == [0x16] {
            return (String::new(), Vec::new());
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or_default().to_owned();
    let mut headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    // The method and a (small) body as pseudo-headers, HTTP/2 style.
    let method = first.split(' ').next().unwrap_or_default().to_owned();
    let length: usize = header_value(&headers, "content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0)
        .min(65536);
    let mut body = vec![0u8; length];
    if conn.read_exact(&mut body).is_err() {
        body.clear();
    }
    headers.push((":method".to_owned(), method));
    headers.push((
        ":body".to_owned(),
        String::from_utf8_lossy(&body).into_owned(),
    ));
    (first, headers)
}

fn header_value(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

fn reply(status: &str, extra: &str, body: &str) -> Front {
    Front::Reply(
        format!(
            "HTTP/1.1 {status}\r\n{extra}Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn front_response(
    target: &str,
    auth: Option<&str>,
    basic: Option<&str>,
    port: u16,
    backend: &str,
    headers: &[(String, String)],
) -> Front {
    if target == "/token" && header_value(headers, ":method").as_deref() == Some("POST") {
        // OAuth2 refresh-token grant with an identity token: `basic` holds
        // `Basic base64(<token>:<identity token>)`.
        let form = header_value(headers, ":body").unwrap_or_default();
        let expected = basic.and_then(|b| b.strip_prefix("Basic ")).and_then(|b| {
            let raw = base64::engine::general_purpose::STANDARD.decode(b).ok()?;
            let text = String::from_utf8(raw).ok()?;
            text.strip_prefix("<token>:").map(str::to_owned)
        });
        let ok = expected.is_some_and(|t| {
            form.split('&').any(|kv| kv == format!("refresh_token={t}"))
                && form.split('&').any(|kv| kv == "grant_type=refresh_token")
        });
        if !ok {
            return reply("401 Unauthorized", "", r#"{"error":"invalid_grant"}"#);
        }
        return reply(
            "200 OK",
            "",
            &format!(r#"{{"access_token":"{TOKEN}","expires_in":300}}"#),
        );
    }
    if target.starts_with("/token?") {
        if basic.is_some() && auth != basic {
            return reply(
                "401 Unauthorized",
                "",
                r#"{"details":"incorrect username or password"}"#,
            );
        }
        return reply(
            "200 OK",
            "",
            &format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#),
        );
    }
    let Some(rest) = target.strip_prefix("/v2/") else {
        return reply("404 Not Found", "", "{}");
    };
    if auth != Some(&format!("Bearer {TOKEN}")) {
        let repo = rest
            .split("/manifests/")
            .next()
            .and_then(|r| r.split("/blobs/").next())
            .unwrap_or_default();
        let challenge = format!(
            "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",\
             service=\"strata-test\",scope=\"repository:{repo}:pull\"\r\n"
        );
        return reply(
            "401 Unauthorized",
            &challenge,
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
        );
    }
    if rest.contains("/blobs/") {
        return reply(
            "307 Temporary Redirect",
            &format!("Location: http://{backend}{target}\r\n"),
            "",
        );
    }
    let accept = header_value(headers, "accept").unwrap_or_else(|| "*/*".to_owned());
    Front::Forward(
        backend.to_owned(),
        format!(
            "GET {target} HTTP/1.1\r\nHost: {backend}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
        ),
    )
}

#[test]
fn bearer_token_flow_and_blob_redirects() {
    let (Some(skopeo), Some(reg)) = (skopeo(), Registry::start()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (layout, images) = tiny_layout(dir.path());
    let backend_ref = format!("{}/team/tiny:1.0", reg.host());
    push_layout(&skopeo, &layout, "single", &backend_ref, None);
    let raw = raw_manifest(&skopeo, &backend_ref, None);
    let layer = &images.first().unwrap().layer;

    // Anonymous tokens.
    let front = token_front(reg.host(), None);
    let reference = format!("{}/team/tiny:1.0", front.host());
    check_pull(&reference, &insecure(), &amd64(), &raw, layer);
    let log = front.log();
    assert!(
        log.contains(
            &"/token?scope=repository%3Ateam%2Ftiny%3Apull&service=strata-test auth=-".to_owned()
        ),
        "{log:?}"
    );
    // The token is fetched once and reused for the manifest, the config and the layer.
    assert_eq!(
        log.iter().filter(|l| l.starts_with("/token")).count(),
        1,
        "{log:?}"
    );
    assert_eq!(
        log.iter()
            .filter(|l| l.ends_with(&format!("auth=Bearer {TOKEN}")))
            .count(),
        3,
        "{log:?}"
    );

    // A broken credential store does not stop an anonymous token pull.
    let broken = dir.path().join("broken-helper.json");
    std::fs::write(&broken, br#"{"credsStore":"strata-test-no-such-helper"}"#).unwrap();
    let opts = RegistryOptions {
        docker_config: Some(broken),
        ignore_docker_config: false,
        ..insecure()
    };
    check_pull(&reference, &opts, &amd64(), &raw, layer);
    drop(front);

    // Tokens only for bob.
    let front = token_front(reg.host(), Some(("bob", "pw")));
    let reference = format!("{}/team/tiny:1.0", front.host());
    let opts = RegistryOptions {
        username: Some("bob".into()),
        password: Some("pw".into()),
        ..insecure()
    };
    check_pull(&reference, &opts, &amd64(), &raw, layer);
    assert!(
        front
            .log()
            .iter()
            .any(|l| l.starts_with("/token?") && l.ends_with("auth=Basic Ym9iOnB3")),
        "{:?}",
        front.log()
    );

    let mut src = registry_source(&reference, &insecure()).unwrap();
    match src.resolve(&amd64()) {
        Err(SourceError::Registry(e @ RegistryError::AuthRequired { .. })) => assert_eq!(
            e.to_string(),
            format!(
                "registry {}: authentication required for team/tiny; use docker login or --username",
                front.host()
            )
        ),
        other => panic!("{other:?}"),
    }
    let opts = RegistryOptions {
        username: Some("bob".into()),
        password: Some("nope".into()),
        ..insecure()
    };
    let mut src = registry_source(&reference, &opts).unwrap();
    match src.resolve(&amd64()) {
        Err(SourceError::Registry(e @ RegistryError::AuthFailed { .. })) => assert_eq!(
            e.to_string(),
            format!(
                "registry {0}: authentication failed for team/tiny as user \"bob\": \
                 token server http://{0}/token: {{\"details\":\"incorrect username or password\"}}; \
                 check the username and password",
                front.host()
            )
        ),
        other => panic!("{other:?}"),
    }
}

fn raw_reply(status: &str, headers: &str, body: &[u8]) -> Front {
    let mut out = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    Front::Reply(out)
}

fn chunked_reply(headers: &str, body: &[u8]) -> Front {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\n{headers}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(65536) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    Front::Reply(out)
}

fn registry_error(r: Result<strata_image::ResolvedImage, SourceError>) -> RegistryError {
    match r {
        Err(SourceError::Registry(e)) => e,
        Err(other) => panic!("not a registry error: {other}"),
        Ok(img) => panic!("resolved: {img:?}"),
    }
}

/// Registries that send the wrong bytes, too many bytes or odd documents are caught
/// with errors that say what was wrong.
#[test]
fn lying_registries_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, images) = tiny_layout(dir.path());
    let img = images.first().unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&img.manifest).unwrap();
    let config_digest = manifest["config"]["digest"].as_str().unwrap().to_owned();
    let layer_digest = manifest["layers"][0]["digest"].as_str().unwrap().to_owned();
    let config = std::fs::read(
        layout
            .join("blobs/sha256")
            .join(config_digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    let other_digest = sha256(b"other");
    let zero_digest = format!("sha256:{}", "0".repeat(64));
    let mut tampered_config = config.clone();
    if let Some(b) = tampered_config.iter_mut().find(|b| **b == b'6') {
        *b = b'7';
    }
    assert_ne!(tampered_config, config);

    let (m, c, l) = (img.manifest.clone(), tampered_config, img.layer.clone());
    let (cd, ld, od, zd) = (
        config_digest.clone(),
        layer_digest.clone(),
        other_digest.clone(),
        zero_digest.clone(),
    );
    let server = FakeHttp::start(Box::new(move |target, _headers, _port| {
        let oci = "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n";
        let Some(rest) = target.strip_prefix("/v2/r/") else {
            return raw_reply("200 OK", "", b"{}");
        };
        match rest {
            "manifests/good" => raw_reply("200 OK", oci, &m),
            r if r == format!("manifests/{od}") => raw_reply("200 OK", oci, &m),
            "manifests/badheader" => raw_reply(
                "200 OK",
                &format!("{oci}Docker-Content-Digest: {zd}\r\n"),
                &m,
            ),
            "manifests/huge" => Front::Reply(
                format!("HTTP/1.1 200 OK\r\n{oci}Content-Length: 9437184\r\n\r\n").into_bytes(),
            ),
            "manifests/hugechunked" => chunked_reply(oci, &vec![b' '; 9 * 1024 * 1024]),
            "manifests/schema1" => raw_reply(
                "200 OK",
                "Content-Type: application/vnd.docker.distribution.manifest.v1+prettyjws\r\n",
                br#"{"schemaVersion":1}"#,
            ),
            "manifests/boom" => raw_reply(
                "500 Internal Server Error",
                "Content-Type: application/json\r\n",
                br#"{"errors":[{"code":"UNKNOWN","message":"storage is on fire"}]}"#,
            ),
            r if r == format!("blobs/{cd}") => raw_reply("200 OK", "", &c),
            r if r == format!("blobs/{ld}") => {
                let mut longer = l.clone();
                longer.push(0);
                chunked_reply("", &longer)
            }
            _ => raw_reply(
                "404 Not Found",
                "",
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            ),
        }
    }));
    let host = server.host();
    let source = |r: &str| registry_source(&format!("{host}/r{r}"), &insecure()).unwrap();

    let e = registry_error(source(&format!("@{other_digest}")).resolve(&amd64()));
    assert_eq!(
        e.to_string(),
        format!(
            "registry {host}: manifest {host}/r@{other_digest} has digest {}, expected {other_digest}",
            sha256(&img.manifest)
        )
    );
    let e = registry_error(source(":badheader").resolve(&amd64()));
    assert_eq!(
        e.to_string(),
        format!(
            "registry {host}: manifest {host}/r:badheader has digest {}, expected {zero_digest}",
            sha256(&img.manifest)
        )
    );
    for tag in ["huge", "hugechunked"] {
        let e = registry_error(source(&format!(":{tag}")).resolve(&amd64()));
        assert_eq!(
            e.to_string(),
            format!(
                "registry {host}: manifest {host}/r:{tag} is larger than the limit of 8388608 bytes"
            )
        );
    }
    let e = registry_error(source(":schema1").resolve(&amd64()));
    assert!(matches!(e, RegistryError::Manifest { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "registry {host}: manifest {host}/r:schema1: Docker schema 1 manifests are not \
             supported (deprecated since 2017); re-push the image with a current client"
        )
    );
    let e = registry_error(source(":boom").resolve(&amd64()));
    assert_eq!(
        e.to_string(),
        format!(
            "registry {host}: manifest {host}/r:boom returned HTTP 500: UNKNOWN: storage is on fire"
        )
    );

    // The config does not match its digest.
    match source(":good").resolve(&amd64()) {
        Err(SourceError::Io { context, source }) => {
            assert_eq!(
                context,
                format!("registry {host}: reading blob {config_digest}")
            );
            assert_eq!(source.kind(), std::io::ErrorKind::InvalidData);
            assert!(
                source.to_string().starts_with(&format!(
                    "blob {config_digest} from registry {host}: content has digest sha256:"
                )),
                "{source}"
            );
        }
        other => panic!("{other:?}"),
    }

    // A layer stream longer than its descriptor.
    let mut src = source(":good");
    let desc: strata_image::Descriptor =
        serde_json::from_value(manifest["layers"][0].clone()).unwrap();
    let mut stream = src.open_blob(&desc).unwrap();
    let e = stream.read_to_end(&mut Vec::new()).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(
        e.to_string(),
        format!(
            "blob {layer_digest} from registry {host}: more than the {} bytes the descriptor declares",
            desc.size
        )
    );
    drop(stream);

    // A Content-Length that disagrees with the descriptor fails before streaming.
    let mut short = desc.clone();
    short.digest = config_digest.parse().unwrap();
    short.size = config.len() as u64 + 5;
    match src.open_blob(&short) {
        Err(SourceError::Registry(e @ RegistryError::SizeMismatch { .. })) => assert_eq!(
            e.to_string(),
            format!(
                "registry {host}: blob {config_digest} is {} bytes, the descriptor says {}",
                config.len(),
                config.len() + 5
            )
        ),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("opened"),
    }
}

/// `docker-registry` serving TLS with a self-signed certificate for 127.0.0.1.
struct TlsRegistry {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl TlsRegistry {
    fn start() -> Option<TlsRegistry> {
        let registry =
            strata_testkit::require(strata_testkit::tool("docker-registry", "docker-registry"))?;
        let openssl = strata_testkit::require(strata_testkit::tool("openssl", "openssl"))?;
        let dir = tempfile::tempdir().unwrap();
        let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
        run(Command::new(openssl)
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: 127.0.0.1:{port}\n  tls:\n    certificate: {}\n    key: {}\n",
                dir.path().join("storage").display(),
                cert.display(),
                key.display()
            ),
        )
        .unwrap();
        let child = Command::new(registry)
            .arg("serve")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let reg = TlsRegistry {
            child,
            port,
            _dir: dir,
        };
        let start = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(20),
                "TLS registry did not start on port {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(reg)
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for TlsRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Over TLS with a certificate nobody trusts: refused unless `insecure`, which pulls
/// over https without verification (and does not fall back to http).
#[test]
fn tls_registry_with_untrusted_certificate() {
    let (Some(skopeo), Some(reg)) = (skopeo(), TlsRegistry::start()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (layout, images) = tiny_layout(dir.path());
    let reference = format!("{}/secure/tiny:1", reg.host());
    push_layout(&skopeo, &layout, "single", &reference, None);
    let raw = raw_manifest(&skopeo, &reference, None);
    check_pull(
        &reference,
        &insecure(),
        &amd64(),
        &raw,
        &images.first().unwrap().layer,
    );

    let opts = RegistryOptions {
        ignore_docker_config: true,
        ..RegistryOptions::default()
    };
    let mut src = registry_source(&reference, &opts).unwrap();
    match src.resolve(&amd64()) {
        Err(SourceError::Registry(e @ RegistryError::Connect { .. })) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with(&format!(
                    "registry {0}: cannot connect to https://{0}/v2/secure/tiny/manifests/1: ",
                    reg.host()
                )),
                "{msg}"
            );
            assert!(msg.contains("invalid peer certificate"), "{msg}");
            assert!(
                msg.ends_with(
                    "(the registry's TLS certificate is not trusted; \
                     use --insecure to skip verification)"
                ),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// The registry source feeds the layer reader: each platform's file system comes out.
#[test]
fn pulled_images_open_as_file_systems() {
    let (Some(skopeo), Some(reg)) = (skopeo(), Registry::start()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (layout, _) = tiny_layout(dir.path());
    let reference = format!("{}/multi/fs:1", reg.host());
    push_layout(&skopeo, &layout, "multi", &reference, None);
    for (platform, want) in [
        ("linux/amd64", "linux/amd64/\n"),
        ("linux/arm64", "linux/arm64/v8\n"),
    ] {
        let src = registry_source(&reference, &insecure()).unwrap();
        let opts = strata_image::OpenOptions {
            platform: Some(Platform::parse(platform).unwrap()),
            cache: None,
            ..strata_image::OpenOptions::default()
        };
        let capture = strata_image::CapturePaths::new(["/etc/platform"]);
        let fs = strata_image::open_image(Box::new(src), &opts, &capture).unwrap();
        let file = fs.read("/etc/platform").unwrap().unwrap();
        assert_eq!(std::str::from_utf8(&file.data).unwrap(), want);
        assert_eq!(file.layer, Some(0));
    }
}

/// An identity token from `docker login` (`identitytoken` in config.json) is traded for
/// an access token with the OAuth2 refresh-token grant.
#[test]
fn identity_token_from_docker_config() {
    let (Some(skopeo), Some(reg)) = (skopeo(), Registry::start()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (layout, images) = tiny_layout(dir.path());
    let backend_ref = format!("{}/team/tiny:1.0", reg.host());
    push_layout(&skopeo, &layout, "single", &backend_ref, None);
    let raw = raw_manifest(&skopeo, &backend_ref, None);

    let front = token_front(reg.host(), Some(("<token>", "idt-7c1e")));
    let reference = format!("{}/team/tiny:1.0", front.host());
    let config = dir.path().join("config.json");
    let body = serde_json::json!({"auths": {front.host(): {"identitytoken": "idt-7c1e"}}});
    std::fs::write(&config, serde_json::to_vec(&body).unwrap()).unwrap();
    let opts = RegistryOptions {
        docker_config: Some(config),
        ignore_docker_config: false,
        ..insecure()
    };
    check_pull(
        &reference,
        &opts,
        &amd64(),
        &raw,
        &images.first().unwrap().layer,
    );
    assert!(
        front.log().iter().any(|l| l == "/token auth=-"),
        "{:?}",
        front.log()
    );
}

/// 503 and 429 answers are retried (honouring `Retry-After`), up to `max_retries`.
#[test]
fn transient_failures_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, images) = tiny_layout(dir.path());
    let img = images.first().unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&img.manifest).unwrap();
    let config_digest = manifest["config"]["digest"].as_str().unwrap().to_owned();
    let config = std::fs::read(
        layout
            .join("blobs/sha256")
            .join(config_digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (m, c, cd, n) = (img.manifest.clone(), config, config_digest, counter.clone());
    let server = FakeHttp::start(Box::new(move |target, _headers, _port| {
        let oci = "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n";
        if target == "/v2/r/manifests/flaky" {
            // 503, then 429 with Retry-After: 0, then the manifest.
            return match n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 => raw_reply("503 Service Unavailable", "", b"busy"),
                1 => raw_reply("429 Too Many Requests", "Retry-After: 0\r\n", b"slow down"),
                _ => raw_reply("200 OK", oci, &m),
            };
        }
        if target == "/v2/r/manifests/down" {
            return raw_reply(
                "503 Service Unavailable",
                "Retry-After: 0\r\n",
                br#"{"errors":[{"code":"UNAVAILABLE","message":"maintenance"}]}"#,
            );
        }
        if target == format!("/v2/r/blobs/{cd}") {
            return raw_reply("200 OK", "", &c);
        }
        raw_reply("404 Not Found", "", b"{}")
    }));
    let host = server.host();
    let mut src = registry_source(&format!("{host}/r:flaky"), &insecure()).unwrap();
    let img = src.resolve(&amd64()).unwrap();
    assert_eq!(
        img.manifest_digest.map(|d| d.to_string()),
        Some(sha256(&images.first().unwrap().manifest))
    );
    assert_eq!(counter.load(std::sync::atomic::Ordering::SeqCst), 3);

    let mut src = registry_source(&format!("{host}/r:down"), &insecure()).unwrap();
    let e = registry_error(src.resolve(&amd64()));
    assert_eq!(
        e.to_string(),
        format!(
            "registry {host}: manifest {host}/r:down returned HTTP 503: UNAVAILABLE: maintenance"
        )
    );
    let tries = server
        .log()
        .iter()
        .filter(|l| l.starts_with("/v2/r/manifests/down"))
        .count();
    assert_eq!(tries, 3);
}
