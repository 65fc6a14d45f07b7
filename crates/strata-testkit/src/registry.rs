//! A private OCI registry (Debian's `docker-registry`, i.e. CNCF distribution) on
//! `127.0.0.1:<free port>` with its storage in a temporary directory, killed on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cache::TempDir;
use crate::cmd::{run, write_file};
use crate::images::TestImage;
use crate::{Error, Result, require};

/// A running registry. Dropping it kills the process and removes its storage.
pub struct Registry {
    child: Child,
    port: u16,
    credentials: Option<(String, String)>,
    // Declared last: removed after the process is gone.
    dir: TempDir,
}

impl Registry {
    /// Starts a registry without authentication. `None` after [`crate::skip_or_fail`] when
    /// `docker-registry` is not installed.
    pub fn start() -> Option<Registry> {
        require(Self::try_start(None))
    }

    /// Starts a registry that requires HTTP basic authentication with `user`/`password`
    /// (an `htpasswd` file made with `htpasswd -B`).
    pub fn start_with_auth(user: &str, password: &str) -> Option<Registry> {
        require(Self::try_start(Some((user, password))))
    }

    /// [`Registry::start`] / [`Registry::start_with_auth`] as a `Result`.
    pub fn try_start(auth: Option<(&str, &str)>) -> Result<Registry> {
        let bin = crate::tool("docker-registry", "docker-registry")?;
        let mut last_err = None;
        // A free port can be taken by someone else between probing and binding: retry.
        for _ in 0..5 {
            let dir = TempDir::new("registry")?;
            let port = free_port()?;
            let config = config_yaml(dir.path(), port, auth.is_some());
            write_file(&dir.path().join("config.yml"), config)?;
            if let Some((user, password)) = auth {
                let htpasswd = crate::tool("htpasswd", "apache2-utils")?;
                let out = run(Command::new(htpasswd).args(["-Bbn", user, password]))?;
                write_file(&dir.path().join("htpasswd"), out.stdout)?;
            }
            let log = dir.path().join("registry.log");
            let log_file = std::fs::File::create(&log).map_err(|e| Error::io(&log, e))?;
            let log_err = log_file.try_clone().map_err(|e| Error::io(&log, e))?;
            let child = Command::new(&bin)
                .arg("serve")
                .arg(dir.path().join("config.yml"))
                .stdin(Stdio::null())
                .stdout(log_file)
                .stderr(log_err)
                .spawn()
                .map_err(|e| Error::io(&bin, e))?;
            let mut reg = Registry {
                child,
                port,
                credentials: auth.map(|(u, p)| (u.to_string(), p.to_string())),
                dir,
            };
            match reg.wait_ready(Duration::from_secs(20)) {
                Ok(()) => return Ok(reg),
                Err(e) => {
                    last_err = Some(e);
                }
            }
        }
        Err(last_err.unwrap_or_else(|| Error::invalid("docker-registry", "did not start")))
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The credentials the registry requires, if any.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// Pushes `image` (its `docker save` archive) as `<host>/<repo_tag>` with
    /// `skopeo copy`, and returns that reference.
    pub fn push(&self, image: &TestImage, repo_tag: &str) -> Result<String> {
        self.push_archive(&image.archive, repo_tag)
    }

    /// Pushes a `docker save` archive as `<host>/<repo_tag>`.
    pub fn push_archive(&self, archive: &Path, repo_tag: &str) -> Result<String> {
        let skopeo = crate::tool("skopeo", "skopeo")?;
        let reference = format!("{}/{repo_tag}", self.host());
        let mut c = Command::new(skopeo);
        c.args(["copy", "--quiet", "--dest-tls-verify=false"]);
        if let Some((u, p)) = self.credentials() {
            c.arg("--dest-creds").arg(format!("{u}:{p}"));
        }
        c.arg(format!("docker-archive:{}", archive.display()));
        c.arg(format!("docker://{reference}"));
        run(&mut c)?;
        Ok(reference)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.dir.path().join("registry.log"))
                    .unwrap_or_default();
                return Err(Error::invalid(
                    "docker-registry",
                    format!("exited with {status} on port {}: {log}", self.port),
                ));
            }
            if let Some(code) = http_status(self.port) {
                // 200 without auth, 401 with auth: the registry is serving.
                if code == 200 || code == 401 {
                    return Ok(());
                }
            }
            if start.elapsed() > timeout {
                return Err(Error::invalid(
                    "docker-registry",
                    format!("did not answer on port {} within {timeout:?}", self.port),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io(Path::new("127.0.0.1:0"), e))?;
    let port = l
        .local_addr()
        .map_err(|e| Error::io(Path::new("127.0.0.1:0"), e))?
        .port();
    Ok(port)
}

fn config_yaml(dir: &Path, port: u16, auth: bool) -> String {
    let mut s = format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
        dir.join("storage").display()
    );
    if auth {
        s.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: strata-test\n    path: {}\n",
            dir.join("htpasswd").display()
        ));
    }
    s
}

/// The HTTP status of `GET /v2/` on 127.0.0.1:`port`, if it answers.
fn http_status(port: u16) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    let head = std::str::from_utf8(buf.get(..n)?).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_has_auth_only_when_asked() {
        let c = config_yaml(Path::new("/r"), 5000, false);
        assert_eq!(
            c,
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: /r/storage\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:5000\n"
        );
        let a = config_yaml(Path::new("/r"), 5000, true);
        assert!(a.ends_with("auth:\n  htpasswd:\n    realm: strata-test\n    path: /r/htpasswd\n"));
    }

    #[test]
    fn http_status_of_a_closed_port_is_none() {
        let port = free_port().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(http_status(port), None);
    }
}
