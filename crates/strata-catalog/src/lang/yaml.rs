//! A small YAML tree built from saphyr-parser's events, with bounds: at most
//! [`MAX_NODES`] nodes and [`MAX_DEPTH`] levels. Aliases are not expanded (they read as
//! null), so a "billion laughs" document stays small.

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::{DetectError, DetectInput};

const MAX_NODES: usize = 5_000_000;
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Yaml {
    Null,
    /// A scalar's text; `plain` is false for quoted scalars.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Yaml>),
    /// Entries in file order: key text, value, the key's 1-based line.
    Map(Vec<(String, Yaml, usize)>),
}

impl Yaml {
    pub(crate) fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(m) => m.iter().find(|(k, _, _)| k == key).map(|(_, v, _)| v),
            _ => None,
        }
    }

    pub(crate) fn as_map(&self) -> Option<&[(String, Yaml, usize)]> {
        match self {
            Yaml::Map(m) => Some(m),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Yaml::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Yaml::Scalar { text, plain: true } => match text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

enum Frame {
    Seq(Vec<Yaml>),
    /// The entries so far and a pending key with its line.
    Map(Vec<(String, Yaml, usize)>, Option<(String, usize)>),
}

/// Parses every document of a YAML stream.
pub(crate) fn parse(input: &DetectInput<'_>, text: &str) -> Result<Vec<Yaml>, DetectError> {
    let malformed = |line: usize, msg: String| DetectError::malformed(input.path, Some(line), msg);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut nodes = 0usize;
    for ev in Parser::new_from_str(text) {
        let (ev, span) =
            ev.map_err(|e| malformed(e.marker().line(), format!("invalid YAML: {}", e.info())))?;
        let line = span.start.line();
        let node = match ev {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {
                continue;
            }
            Event::DocumentStart(_) => continue,
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(malformed(
                        line,
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
                stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq(Vec::new())
                } else {
                    Frame::Map(Vec::new(), None)
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items)) => Yaml::Seq(items),
                _ => return Err(malformed(line, "unbalanced sequence".into())),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(entries, _)) => Yaml::Map(entries),
                _ => return Err(malformed(line, "unbalanced mapping".into())),
            },
            Event::Alias(_) => Yaml::Null,
            Event::Scalar(text, style, _, _) => {
                let plain = matches!(style, ScalarStyle::Plain);
                if plain && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                    Yaml::Null
                } else {
                    Yaml::Scalar {
                        text: text.into_owned(),
                        plain,
                    }
                }
            }
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(DetectError::TooLarge {
                path: input.path.to_owned(),
                message: format!("more than {MAX_NODES} YAML nodes"),
            });
        }
        match stack.last_mut() {
            None => docs.push(node),
            Some(Frame::Seq(items)) => items.push(node),
            Some(Frame::Map(entries, pending)) => match pending.take() {
                None => {
                    let key = match node {
                        Yaml::Scalar { text, .. } => text,
                        Yaml::Null => String::new(),
                        // Complex keys are not used by the formats read here.
                        _ => String::new(),
                    };
                    *pending = Some((key, line));
                }
                Some((key, key_line)) => entries.push((key, node, key_line)),
            },
        }
    }
    Ok(docs)
}
