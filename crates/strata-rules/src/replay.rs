//! Reading strata's JSONL event files and printing alerts (Falco's JSON alert shape or text).

use std::io::{BufRead, Read, Write};

use crate::engine::RuleSet;
use crate::event::Event;
use crate::filter::Scratch;

/// Longest accepted event line, in bytes.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A problem reading events.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The line is not a valid event.
    #[error("line {line}, column {column}: {message}")]
    Invalid {
        /// 1-based line.
        line: usize,
        /// 1-based column within the line.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The line is too long.
    #[error("line {line}: longer than {MAX_LINE_BYTES} bytes")]
    TooLong {
        /// 1-based line.
        line: usize,
    },
    /// Reading failed.
    #[error("line {line}: read error: {source}")]
    Io {
        /// 1-based line.
        line: usize,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl EventError {
    /// The 1-based line number the error refers to.
    pub fn line(&self) -> usize {
        match self {
            EventError::Invalid { line, .. }
            | EventError::TooLong { line }
            | EventError::Io { line, .. } => *line,
        }
    }
}

/// Parses one event line.
pub fn parse_event(line: &[u8], line_no: usize) -> Result<Event, EventError> {
    let mut ev: Event = serde_json::from_slice(line).map_err(|e| {
        // serde_json appends " at line L column C"; the line is ours, the column is kept.
        let full = e.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => full.get(..i).unwrap_or(&full).to_string(),
            None => full,
        };
        EventError::Invalid {
            line: line_no,
            column: e.column(),
            message,
        }
    })?;
    if ev.evt_type.is_empty() {
        return Err(EventError::Invalid {
            line: line_no,
            column: 1,
            message: "\"type\" must not be empty".into(),
        });
    }
    if ev.num == 0 {
        ev.num = line_no as u64;
    }
    Ok(ev)
}

/// Iterates the events of a JSONL stream. Blank lines are skipped.
pub struct EventReader<R> {
    r: R,
    line: usize,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> EventReader<R> {
    /// Wraps a reader.
    pub fn new(r: R) -> Self {
        EventReader {
            r,
            line: 0,
            buf: Vec::new(),
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for EventReader<R> {
    type Item = Result<Event, EventError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            self.buf.clear();
            self.line += 1;
            let limit = (MAX_LINE_BYTES + 1) as u64;
            let n = match (&mut self.r).take(limit).read_until(b'\n', &mut self.buf) {
                Ok(n) => n,
                Err(source) => {
                    self.done = true;
                    return Some(Err(EventError::Io {
                        line: self.line,
                        source,
                    }));
                }
            };
            if n == 0 {
                self.done = true;
                return None;
            }
            if self.buf.len() > MAX_LINE_BYTES {
                self.done = true;
                return Some(Err(EventError::TooLong { line: self.line }));
            }
            let line = self.buf.trim_ascii();
            if line.is_empty() {
                continue;
            }
            let r = parse_event(line, self.line);
            if r.is_err() {
                self.done = true;
            }
            return Some(r);
        }
    }
}

/// Output format of alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertFormat {
    /// One Falco-shaped JSON object per line.
    Json,
    /// Falco's text line: `<time>: <Priority> <output>`.
    Text,
}

/// Counts from a replay.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplayStats {
    /// Events read.
    pub events: u64,
    /// Alerts written.
    pub alerts: u64,
}

/// A replay failure.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Bad event input.
    #[error(transparent)]
    Event(#[from] EventError),
    /// Writing alerts failed.
    #[error("writing alerts: {0}")]
    Write(#[from] std::io::Error),
}

/// Replays events through the rules, writing alerts. Stops at the first malformed line.
pub fn replay<R: BufRead, W: Write>(
    rules: &RuleSet,
    input: R,
    out: &mut W,
    format: AlertFormat,
) -> Result<ReplayStats, ReplayError> {
    let mut stats = ReplayStats::default();
    let mut scratch = Scratch::default();
    let mut hits = Vec::new();
    for ev in EventReader::new(input) {
        let ev = ev?;
        stats.events += 1;
        rules.matching(&ev, &mut scratch, &mut hits);
        for &i in &hits {
            let Some(alert) = rules.alert(i, &ev, &mut scratch) else {
                continue;
            };
            stats.alerts += 1;
            match format {
                AlertFormat::Json => {
                    serde_json::to_writer(&mut *out, &alert).map_err(std::io::Error::other)?;
                    out.write_all(b"\n")?;
                }
                AlertFormat::Text => writeln!(out, "{}", alert.output)?,
            }
        }
    }
    Ok(stats)
}
