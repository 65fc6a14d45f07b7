//! The `strata` command: argument parsing and wiring only.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod db_cmd;
mod exceptions_cmd;
mod monitor_cmd;
mod output;
mod rules_cmd;
mod sbom_cmd;
mod scan_cmd;

/// Container security in layers: SBOMs of images and source trees, and
/// Falco-compatible runtime rules.
#[derive(Debug, Parser)]
#[command(name = "strata", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List every package in an image or directory (a software bill of materials).
    Sbom(sbom_cmd::SbomArgs),
    /// Manage the vulnerability database: import, update, status.
    #[command(subcommand)]
    Db(db_cmd::DbCommand),
    /// Find known vulnerabilities in an image or directory, and gate on them.
    Scan(scan_cmd::ScanArgs),
    /// Manage policy exceptions: list, add, check for expired or stale ones.
    #[command(subcommand)]
    Exceptions(exceptions_cmd::ExceptionsCommand),
    /// Check or list Falco-compatible rule files.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCommand),
    /// Run rules over recorded events (strata's JSONL event schema) and print alerts.
    Replay(rules_cmd::ReplayArgs),
    /// Watch running containers (eBPF) or recorded events and alert on suspicious behaviour.
    Monitor(Box<monitor_cmd::MonitorArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sbom(args) => sbom_cmd::run(&args),
        Command::Scan(args) => scan_cmd::run(&args),
        Command::Db(cmd) => db_cmd::run_db(cmd),
        Command::Exceptions(cmd) => exceptions_cmd::run(cmd),
        Command::Rules(cmd) => rules_cmd::run_rules(cmd),
        Command::Replay(args) => rules_cmd::run_replay(args),
        Command::Monitor(args) => monitor_cmd::run(*args),
    };
    match result {
        Ok(code) => code,
        // `strata ... | head` closing the pipe early is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            let mut shown = e.to_string();
            let _ = writeln!(stderr, "error: {shown}");
            // Library errors often embed their source's text already; print a cause
            // only when it adds something.
            for cause in e.chain().skip(1) {
                let text = cause.to_string();
                if !shown.contains(&text) {
                    let _ = writeln!(stderr, "  caused by: {text}");
                    shown.push_str(&text);
                }
            }
            ExitCode::from(2)
        }
    }
}

/// Options shared by every command that reads images.
#[derive(Debug, clap::Args)]
pub struct ImageArgs {
    /// The platform to pick from a multi-platform image (`linux/arm64`, `linux/arm/v7`).
    #[arg(long, env = "STRATA_PLATFORM", value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// The per-layer cache directory (default: $XDG_CACHE_HOME/strata).
    #[arg(long, env = "STRATA_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Read every layer again instead of using the per-layer cache.
    #[arg(long, env = "STRATA_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_cache: bool,
    /// Allow plain HTTP and unverified TLS for registries.
    #[arg(long, env = "STRATA_INSECURE", value_parser = clap::builder::BoolishValueParser::new())]
    pub insecure: bool,
    /// Registry user name (default: from ~/.docker/config.json).
    #[arg(long, env = "STRATA_REGISTRY_USERNAME", requires = "password")]
    pub username: Option<String>,
    /// Registry password or token.
    #[arg(long, env = "STRATA_REGISTRY_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Refuse a layer that unpacks to more than SIZE (a decompression bomb): bytes, or with
    /// a K, M, G or T suffix (powers of 1024). Default 32G.
    #[arg(long, env = "STRATA_MAX_LAYER_SIZE", value_name = "SIZE", value_parser = parse_size)]
    pub max_layer_size: Option<u64>,
    /// Leave out directories matching these globs (`**/testdata`, `usr/share/doc`; paths
    /// inside the image or tree, no leading `/` needed). Repeatable or comma-separated.
    #[arg(
        long,
        env = "STRATA_SKIP_DIRS",
        value_name = "GLOB",
        value_delimiter = ','
    )]
    pub skip_dirs: Vec<String>,
    /// Leave out files matching these globs (`**/*.jar`, `app/requirements-dev.txt`).
    /// Repeatable or comma-separated.
    #[arg(
        long,
        env = "STRATA_SKIP_FILES",
        value_name = "GLOB",
        value_delimiter = ','
    )]
    pub skip_files: Vec<String>,
    /// Fail (exit code 2) when any file could not be read or parsed, instead of warning
    /// and going on with the rest.
    #[arg(long, env = "STRATA_STRICT", value_parser = clap::builder::BoolishValueParser::new())]
    pub strict: bool,
}

/// Parses `123`, `64K`, `8M`, `32G`, `1T` (also `8MiB`, `8MB`: both mean powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (for example 512M or 32G)"))?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use K, M, G or T)")),
    };
    n.checked_mul(1u64 << shift)
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("{s:?} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("32g"), Ok(32 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
