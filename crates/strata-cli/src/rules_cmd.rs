//! `strata rules validate|list` and `strata replay`: argument parsing and wiring only; the
//! work is in `strata_rules::cli`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use strata_rules::cli::{self, ReplayFailure, ReplayOptions};
use strata_rules::replay::AlertFormat;

/// Work with Falco-compatible rule files.
#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Load rule files and report every error and warning with file:line:column.
    Validate {
        /// Rule files, loaded in order (later definitions win).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print the diagnostics as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the rules with their priority, source, state and the event types each can match.
    List {
        /// Rule files, loaded in order (later definitions win).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

/// Replay a JSONL events file through rules and print alerts.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Events in strata's JSONL schema (docs/events-jsonl.md).
    #[arg(value_name = "EVENTS.jsonl")]
    pub events: PathBuf,
    /// Rule files, loaded in order.
    #[arg(long = "rules", required = true, num_args = 1.., value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Alert format: Falco's JSON alert shape, or Falco's text line.
    #[arg(long, default_value = "json", value_parser = ["json", "text"])]
    pub format: String,
    #[command(flatten)]
    pub selection: RuleSelection,
}

/// Which rules run: the options `strata replay` and `strata monitor` share.
#[derive(Debug, Clone, clap::Args)]
pub struct RuleSelection {
    /// Disable rules by name or wildcard (repeatable).
    #[arg(long, value_name = "NAME")]
    pub disable: Vec<String>,
    /// Disable rules carrying a tag (repeatable).
    #[arg(long, value_name = "TAG")]
    pub disable_tag: Vec<String>,
    /// Run only the rules carrying one of these tags (repeatable; Falco's -t).
    #[arg(long = "tag", value_name = "TAG")]
    pub only_tags: Vec<String>,
    /// Enable rules by name or wildcard, also ones a file ships disabled (repeatable;
    /// applied after the disabling options).
    #[arg(long, value_name = "NAME")]
    pub enable: Vec<String>,
}

impl RuleSelection {
    /// Replay options with this selection.
    pub fn options(&self, rules: Vec<PathBuf>, format: AlertFormat) -> ReplayOptions {
        ReplayOptions {
            rules,
            format,
            disable: self.disable.clone(),
            disable_tags: self.disable_tag.clone(),
            only_tags: self.only_tags.clone(),
            enable: self.enable.clone(),
        }
    }
}

/// Runs `strata rules ...`. Exit 0 when the files load, 2 when they do not.
pub fn run_rules(cmd: RulesCommand) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match cmd {
        RulesCommand::Validate { files, json } => {
            let v = cli::validate(&files);
            if json {
                serde_json::to_writer_pretty(&mut stdout, &v.result.diagnostics)?;
                writeln!(stdout)?;
            } else {
                write!(stdout, "{}", v.report)?;
            }
            Ok(if v.result.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        RulesCommand::List { files } => {
            let v = cli::validate(&files);
            if !v.result.ok() {
                let mut stderr = std::io::stderr().lock();
                write!(stderr, "{}", v.report)?;
                return Ok(ExitCode::from(2));
            }
            write!(stdout, "{}", cli::list(&v.result))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs `strata replay`. Exit 0 after a full replay, 2 on invalid rules or events.
pub fn run_replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let format = if args.format == "text" {
        AlertFormat::Text
    } else {
        AlertFormat::Json
    };
    let opts = args.selection.options(args.rules, format);
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let result = cli::replay_file(&args.events, &opts, &mut stdout);
    stdout.flush()?;
    match result {
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(
            e @ (ReplayFailure::Rules(_)
            | ReplayFailure::Replay { .. }
            | ReplayFailure::Open { .. }),
        ) => {
            let mut stderr = std::io::stderr().lock();
            writeln!(stderr, "error: {e}")?;
            Ok(ExitCode::from(2))
        }
    }
}
