//! The Docker daemon, through the `docker` command line.

use std::path::Path;

use crate::cmd::{command, run, run_stdout};
use crate::{Error, Result, require};

/// `Some(())` when the Docker daemon answers; `None` after [`crate::skip_or_fail`] when not.
pub fn docker_available() -> Option<()> {
    require(check())
}

/// Pings the daemon (`docker version`), with the reason when it does not answer.
pub fn check() -> Result<()> {
    crate::tool("docker", "docker.io")?;
    let out = crate::cmd::output_within(
        &mut command("docker", ["version", "--format", "{{.Server.Version}}"]),
        std::time::Duration::from_secs(60),
    )
    .map_err(|e| Error::missing("the Docker daemon", e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::missing(
            "the Docker daemon",
            format!(
                "`docker version` failed: {} (start dockerd; .ci/run does)",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ))
    }
}

/// The id of the daemon's image called `reference`, `None` when there is none.
pub fn image_id(reference: &str) -> Result<Option<String>> {
    let out = crate::cmd::output(&mut command(
        "docker",
        ["image", "inspect", "--format", "{{.Id}}", reference],
    ))?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
}

/// `docker import TAR REFERENCE`.
pub fn import(tar: &Path, reference: &str) -> Result<()> {
    run(command("docker", ["import"]).arg(tar).arg(reference)).map(drop)
}

/// `docker save -o OUT REFERENCE`.
pub fn save(reference: &str, out: &Path) -> Result<()> {
    run(command("docker", ["save", "-o"]).arg(out).arg(reference)).map(drop)
}

/// `docker load -i TAR`.
pub fn load(tar: &Path) -> Result<()> {
    run(command("docker", ["load", "-q", "-i"]).arg(tar)).map(drop)
}

/// The image's layer diff ids (`RootFS.Layers`), bottom first, as `sha256:<hex>`.
pub fn diff_ids(reference: &str) -> Result<Vec<String>> {
    let json = run_stdout(&mut command(
        "docker",
        [
            "image",
            "inspect",
            "--format",
            "{{json .RootFS.Layers}}",
            reference,
        ],
    ))?;
    let v: serde_json::Value = serde_json::from_str(json.trim())
        .map_err(|e| Error::invalid(format!("docker image inspect {reference}"), e.to_string()))?;
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .ok_or_else(|| Error::invalid(format!("RootFS.Layers of {reference}"), json))
}

/// Writes the merged file system of `reference` into `dest` (which must exist), the way a
/// container sees it: `docker create` + `docker export` + `tar -x`. `/dev` and `.dockerenv`
/// are left out.
pub fn export_rootfs(reference: &str, dest: &Path) -> Result<()> {
    let name = format!("strata-test-export-{}", crate::cache::unique());
    run(&mut command(
        "docker",
        [
            "create",
            "--name",
            &name,
            reference,
            "/strata-no-such-command",
        ],
    ))?;
    let tar = dest.with_extension("export.tar");
    let exported = run(command("docker", ["export", "-o"]).arg(&tar).arg(&name));
    let _ = run(&mut command("docker", ["rm", "-f", &name]));
    exported?;
    let extracted = run(command("tar", ["--numeric-owner", "-xpf"])
        .arg(&tar)
        .arg("-C")
        .arg(dest)
        .args([
            "--exclude=dev/*",
            "--exclude=./dev/*",
            "--exclude=.dockerenv",
        ]));
    let _ = std::fs::remove_file(&tar);
    extracted.map(drop)
}
