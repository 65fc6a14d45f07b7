//! Exporting images from the real Docker daemon.

use std::io::Read;
use std::process::{Command, Stdio};

use strata_image::daemon::{DaemonError, export_image, inspect_image, ping};

/// Imports a tiny image made of a few files as `name` and removes it on drop.
struct TinyDaemonImage {
    name: String,
}

impl TinyDaemonImage {
    fn import(name: &str) -> TinyDaemonImage {
        let mut tar_bytes = Vec::new();
        {
            let mut b = tar::Builder::new(&mut tar_bytes);
            for (path, body) in [
                ("etc/os-release", "ID=strata-test\n"),
                ("hello.txt", "hello from strata\n"),
            ] {
                let mut h = tar::Header::new_gnu();
                h.set_size(body.len() as u64);
                h.set_mode(0o644);
                h.set_mtime(0);
                h.set_cksum();
                b.append_data(&mut h, path, body.as_bytes()).unwrap();
            }
            b.finish().unwrap();
        }
        let mut child = Command::new("docker")
            .args(["import", "-", name])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(&tar_bytes).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "docker import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        TinyDaemonImage {
            name: name.to_owned(),
        }
    }
}

impl Drop for TinyDaemonImage {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn docker_inspect(name: &str, format: &str) -> String {
    let out = Command::new("docker")
        .args(["image", "inspect", "--format", format, name])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn ping_answers_with_api_version() {
    if strata_testkit::docker_available().is_none() {
        return;
    }
    let version = ping(None).unwrap();
    let expected = {
        let out = Command::new("docker")
            .args(["version", "--format", "{{.Server.APIVersion}}"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(version, expected);
}

#[test]
fn export_writes_a_docker_save_archive_into_the_given_directory() {
    if strata_testkit::docker_available().is_none() {
        return;
    }
    let name = format!(
        "strata-test/daemon-export:{}",
        strata_testkit::cache::unique()
    );
    let _image = TinyDaemonImage::import(&name);
    let dest = tempfile::tempdir().unwrap();

    let exported = export_image(&name, None, dest.path()).unwrap();
    let id = docker_inspect(&name, "{{.Id}}");
    assert_eq!(exported.image_id, id);
    assert_eq!(exported.repo_tags, vec![name.clone()]);
    assert_eq!(exported.repo_digests, Vec::<String>::new());
    let hex = id.trim_start_matches("sha256:");
    assert_eq!(exported.path, dest.path().join(format!("docker-{hex}.tar")));

    // Only the archive is left in the directory.
    let entries: Vec<_> = std::fs::read_dir(dest.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, vec![format!("docker-{hex}.tar")]);

    // A docker save archive: manifest.json names the config and the tag.
    let mut archive = tar::Archive::new(std::fs::File::open(&exported.path).unwrap());
    let mut manifest = None;
    let mut names = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        if path == "manifest.json" {
            let mut s = String::new();
            entry.read_to_string(&mut s).unwrap();
            manifest = Some(s);
        }
        names.push(path);
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&manifest.expect("manifest.json in the archive")).unwrap();
    let first = &manifest[0];
    assert_eq!(first["RepoTags"], serde_json::json!([name]));
    let config = first["Config"].as_str().unwrap();
    assert!(config.contains(hex), "{config}");
    assert!(names.iter().any(|n| n == config), "{names:?}");
    assert_eq!(first["Layers"].as_array().unwrap().len(), 1);

    // Exporting again replaces the file in place.
    let again = export_image(&name, None, dest.path()).unwrap();
    assert_eq!(again.path, exported.path);
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 1);

    // The docker-archive source reads the export.
    let opts = strata_image::OpenOptions {
        cache: None,
        ..strata_image::OpenOptions::default()
    };
    let capture = strata_image::CapturePaths::new(["/hello.txt"]);
    let fs = strata_image::open_docker_archive(
        &exported.path,
        None,
        &format!("docker:{name}"),
        &opts,
        &capture,
    )
    .unwrap();
    let file = fs.read("/hello.txt").unwrap().unwrap();
    assert_eq!(&*file.data, b"hello from strata\n");

    // Inspect agrees.
    let inspect = inspect_image(&name, None).unwrap();
    assert_eq!(inspect.id, id);
}

#[test]
fn missing_image_is_a_clear_error() {
    if strata_testkit::docker_available().is_none() {
        return;
    }
    let dest = tempfile::tempdir().unwrap();
    let name = "strata-test/no-such-image:nope";
    match export_image(name, None, dest.path()) {
        Err(e @ DaemonError::ImageNotFound { .. }) => assert_eq!(
            e.to_string(),
            "image not found in the Docker daemon: strata-test/no-such-image:nope"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);
}

#[test]
fn unreachable_or_invalid_endpoints_are_clear_errors() {
    let dest = tempfile::tempdir().unwrap();
    let socket = dest.path().join("no-docker.sock");
    let endpoint = format!("unix://{}", socket.display());
    match export_image("debian:12", Some(&endpoint), dest.path()) {
        Err(e @ DaemonError::NotRunning { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with(&format!(
                    "cannot connect to the Docker daemon at {endpoint}: "
                )),
                "{msg}"
            );
            assert!(msg.ends_with("; is the Docker daemon running?"), "{msg}");
        }
        other => panic!("{other:?}"),
    }

    // A TCP port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let endpoint = format!("tcp://127.0.0.1:{port}");
    assert!(matches!(
        ping(Some(&endpoint)),
        Err(DaemonError::NotRunning { .. })
    ));

    match ping(Some("ssh://user@host")) {
        Err(e @ DaemonError::InvalidEndpoint { .. }) => assert_eq!(
            e.to_string(),
            "invalid Docker endpoint \"ssh://user@host\": only unix:// and tcp:// endpoints \
             are supported (ssh://, npipe:// and fd:// are not)"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);
}

#[test]
fn a_socket_that_is_not_docker_is_a_protocol_error() {
    // A unix socket that answers garbage.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fake.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let server = std::thread::spawn(move || {
        use std::io::Write;
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\r\n");
        }
    });
    let endpoint = format!("unix://{}", path.display());
    match ping(Some(&endpoint)) {
        Err(e @ DaemonError::Protocol { .. }) => assert_eq!(
            e.to_string(),
            format!(
                "docker daemon at {endpoint}: malformed HTTP response: \
                 bad status line \"SSH-2.0-OpenSSH_9.2\""
            )
        ),
        other => panic!("{other:?}"),
    }
    server.join().unwrap();
}

#[test]
fn chunked_export_from_a_fake_daemon() {
    // A fake daemon that sends the inspect answer with Content-Length and the archive
    // with chunked encoding, split in odd places.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fake.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let id = format!("sha256:{}", "ab".repeat(32));
    let inspect = format!(r#"{{"Id":"{id}","RepoTags":["fake:1"],"RepoDigests":null}}"#);
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let payload2 = payload.clone();
    let server = std::thread::spawn(move || {
        use std::io::Write;
        for _ in 0..2 {
            let (mut s, _) = listener.accept().unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 1];
            while !req.ends_with(b"\r\n\r\n") {
                if s.read(&mut buf).unwrap() == 0 {
                    break;
                }
                req.extend_from_slice(&buf);
            }
            let req = String::from_utf8_lossy(&req).into_owned();
            if req.starts_with("GET /images/fake:1/json ") {
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                    inspect.len(),
                    inspect
                );
            } else if req.starts_with("GET /images/fake:1/get ") {
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n",
                );
                for chunk in payload2.chunks(7919) {
                    let _ = write!(s, "{:x}\r\n", chunk.len());
                    let _ = s.write_all(chunk);
                    let _ = s.write_all(b"\r\n");
                }
                let _ = s.write_all(b"0\r\n\r\n");
            } else {
                let _ = s.write_all(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
            }
        }
    });
    let dest = dir.path().join("cache");
    let endpoint = format!("unix://{}", path.display());
    let exported = export_image("fake:1", Some(&endpoint), &dest).unwrap();
    server.join().unwrap();
    assert_eq!(exported.image_id, id);
    assert_eq!(exported.repo_tags, vec!["fake:1".to_owned()]);
    assert_eq!(exported.repo_digests, Vec::<String>::new());
    assert_eq!(std::fs::read(&exported.path).unwrap(), payload);
}

#[test]
fn truncated_export_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fake.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let id = format!("sha256:{}", "cd".repeat(32));
    let inspect = format!(r#"{{"Id":"{id}","RepoTags":[],"RepoDigests":[]}}"#);
    let server = std::thread::spawn(move || {
        use std::io::Write;
        for i in 0..2 {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            if i == 0 {
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}",
                    inspect.len(),
                    inspect
                );
            } else {
                // Promises 1000 bytes, sends 10, closes.
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
            }
        }
    });
    let dest = dir.path().join("cache");
    let endpoint = format!("unix://{}", path.display());
    match export_image("x", Some(&endpoint), &dest) {
        Err(e @ DaemonError::Io { .. }) => assert_eq!(
            e.to_string(),
            format!(
                "docker daemon at {endpoint}: reading the export of image x: \
                 body ends 990 bytes before its Content-Length"
            )
        ),
        other => panic!("{other:?}"),
    }
    server.join().unwrap();
    assert_eq!(std::fs::read_dir(&dest).unwrap().count(), 0);
}

#[test]
fn tcp_endpoint_with_a_fake_daemon() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        use std::io::Write;
        let (mut s, _) = listener.accept().unwrap();
        let mut req = Vec::new();
        let mut buf = [0u8; 1];
        while !req.ends_with(b"\r\n\r\n") {
            if s.read(&mut buf).unwrap() == 0 {
                break;
            }
            req.extend_from_slice(&buf);
        }
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\n0\r\n\r\n",
        );
        String::from_utf8(req).unwrap()
    });
    let version = ping(Some(&format!("tcp://127.0.0.1:{port}"))).unwrap();
    assert_eq!(version, "1.47");
    let request = server.join().unwrap();
    assert!(request.starts_with("GET /_ping HTTP/1.1\r\n"), "{request}");
    assert!(
        request.contains(&format!("\r\nHost: 127.0.0.1:{port}\r\n")),
        "{request}"
    );
}
