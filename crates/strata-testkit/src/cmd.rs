//! Running external tools with errors that name the command and carry its stderr.

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// The command line of `cmd`, for messages.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `cmd` to completion with stdin closed, captures its output, and fails unless it
/// exits with status 0.
pub fn run(cmd: &mut Command) -> Result<Output> {
    let out = output(cmd)?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(Error::Command {
            command: describe(cmd),
            status: out.status.to_string(),
            stderr: tail(&out.stderr),
        })
    }
}

/// Runs `cmd` and returns its stdout as UTF-8 (lossy).
pub fn run_stdout(cmd: &mut Command) -> Result<String> {
    let out = run(cmd)?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// No tool run by the test kit may take longer than this (mmdebstrap of the large image
/// takes about 2 minutes); a hung tool fails the test instead of hanging CI.
/// `STRATA_TEST_TOOL_TIMEOUT` (seconds) overrides it.
pub fn timeout() -> Duration {
    std::env::var("STRATA_TEST_TOOL_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::from_secs(20 * 60), Duration::from_secs)
}

/// Runs `cmd` with stdin closed and captures its output, whatever the exit status. Kills
/// it after [`timeout`].
pub fn output(cmd: &mut Command) -> Result<Output> {
    output_within(cmd, timeout())
}

/// [`output`] with an explicit time limit.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Result<Output> {
    // Its own process group, so that a timeout kills the tool's children as well.
    std::os::unix::process::CommandExt::process_group(cmd, 0);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| {
        let program = cmd.get_program().to_string_lossy().into_owned();
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::missing(format!("`{program}`"), "not found on PATH")
        } else {
            Error::Command {
                command: describe(cmd),
                status: "could not start".into(),
                stderr: e.to_string(),
            }
        }
    })?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > limit => {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Command {
                    command: describe(cmd),
                    status: format!("killed after {limit:?}"),
                    stderr: String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                return Err(Error::Command {
                    command: describe(cmd),
                    status: "could not wait".into(),
                    stderr: e.to_string(),
                });
            }
        }
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// A `Command` for `program` with `args`.
pub fn command<I, S>(program: impl AsRef<OsStr>, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut c = Command::new(program);
    c.args(args);
    c
}

/// The last 4 KiB of a tool's stderr, enough to see why it failed.
fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let s = s.trim();
    let mut start = s.len().saturating_sub(4096);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    s.get(start..).unwrap_or_default().to_string()
}

/// Writes `contents` to `path`, creating parent directories.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    std::fs::write(path, contents).map_err(|e| Error::io(path, e))
}

/// Reads a file to a string.
pub fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_command_reports_command_and_stderr() {
        let err = run(&mut command("sh", ["-c", "echo boom >&2; exit 3"]));
        match err {
            Err(Error::Command {
                command, stderr, ..
            }) => {
                assert_eq!(command, "sh -c echo boom >&2; exit 3");
                assert_eq!(stderr, "boom");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn hung_command_is_killed() {
        let start = Instant::now();
        let err = output_within(
            &mut command("sh", ["-c", "echo started >&2; sleep 30"]),
            Duration::from_millis(300),
        );
        assert!(start.elapsed() < Duration::from_secs(10));
        match err {
            Err(Error::Command { status, stderr, .. }) => {
                assert_eq!(status, "killed after 300ms");
                assert_eq!(stderr, "started\n");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn large_output_does_not_deadlock() {
        let out = output(&mut command("sh", ["-c", "head -c 1000000 /dev/zero"]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.stdout.len(), 1_000_000);
    }

    #[test]
    fn missing_program_is_missing() {
        let err = run(&mut command("strata-no-such-program", ["x"]));
        assert!(matches!(err, Err(Error::Missing { .. })), "{err:?}");
    }

    #[test]
    fn tail_keeps_the_end_on_a_char_boundary() {
        let long = "é".repeat(3000);
        let t = tail(long.as_bytes());
        assert!(t.len() <= 4096);
        assert!(t.chars().all(|c| c == 'é'));
    }
}
