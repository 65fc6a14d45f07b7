//! A small YAML document tree with source positions, built on `saphyr-parser` events:
//! the reader of Falco rule files and of policy, exception and VEX files, so that errors
//! in either name file:line:column.
//!
//! Only what rule files need: scalars, sequences and mappings, each with the line and column
//! where it starts. Anchors and aliases are resolved by copying (bounded by the node budget).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// Hard limits that keep a hostile document bounded in time and memory.
pub const MAX_DEPTH: usize = 64;
/// Maximum number of nodes in one file (all documents, aliases expanded).
pub const MAX_NODES: usize = 2_000_000;

/// A position in a source file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// Any scalar; `quoted` tells whether it was written with quotes or as a block.
    Scalar { text: String, quoted: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<(Node, Node)>),
}

/// A value with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it starts.
    pub pos: Pos,
}

/// A YAML syntax error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

impl Node {
    /// The scalar text if this is a (non-null) scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }
    /// Looks up a key in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
    /// Is this YAML null?
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
    /// A YAML 1.2 core-schema boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar {
                text,
                quoted: false,
            } => match text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
    /// A short name for the kind of value, for error messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar { .. } => "scalar",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }
}

enum Frame {
    Seq(Pos, Vec<Node>, usize),
    Map(Pos, Vec<(Node, Node)>, Option<Node>, usize),
}

/// Parses every document of a YAML stream. Returns one node per document.
///
/// Like libyaml and yaml-cpp (which Falco uses), this accepts a flow collection whose closing
/// bracket sits at the indentation of its parent key (`items: [\n  a\n]`), which strict
/// YAML 1.2 parsers reject: on an indentation error, lines that start with a closing bracket
/// are indented further and the parse is retried.
pub fn parse_documents(src: &str) -> Result<Vec<Node>, YamlError> {
    match parse_strict(src) {
        Err(e) if e.message.contains("indentation") => {
            let mut fixed = String::with_capacity(src.len() + 64);
            let mut changed = false;
            for line in src.split_inclusive('\n') {
                let t = line.trim_start_matches([' ', '\t']);
                if t.starts_with(']') || t.starts_with('}') {
                    fixed.push_str("  ");
                    changed = true;
                }
                fixed.push_str(line);
            }
            if changed {
                parse_strict(&fixed).map_err(|_| e)
            } else {
                Err(e)
            }
        }
        r => r,
    }
}

fn parse_strict(src: &str) -> Result<Vec<Node>, YamlError> {
    let mut parser = Parser::new_from_str(src);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut budget = MAX_NODES;
    let mut root: Option<Node> = None;
    while let Some(ev) = parser.next_event() {
        let (ev, span) = ev.map_err(|e| YamlError {
            line: e.marker().line(),
            col: e.marker().col() + 1,
            message: e.info().to_string(),
        })?;
        let pos = Pos {
            line: span.start.line(),
            col: span.start.col() + 1,
        };
        let err = |message: String| YamlError {
            line: pos.line,
            col: pos.col,
            message,
        };
        let finished: Option<(Node, usize)> = match ev {
            Event::StreamStart | Event::Nothing => None,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                root = None;
                None
            }
            Event::DocumentEnd => {
                docs.push(root.take().unwrap_or(Node {
                    value: Value::Null,
                    pos,
                }));
                None
            }
            Event::Alias(id) => {
                let node = anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| err("unknown alias".into()))?;
                let n = count_nodes(&node);
                if n > budget {
                    return Err(err("document too large (alias expansion)".into()));
                }
                budget -= n;
                Some((node, 0))
            }
            Event::Scalar(text, style, anchor, _tag) => {
                budget = budget
                    .checked_sub(1)
                    .ok_or_else(|| err("document too large".into()))?;
                let plain = matches!(style, ScalarStyle::Plain);
                let value = if plain && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL")
                {
                    Value::Null
                } else {
                    Value::Scalar {
                        text: text.into_owned(),
                        quoted: !plain,
                    }
                };
                Some((Node { value, pos }, anchor))
            }
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                stack.push(Frame::Seq(pos, Vec::new(), anchor));
                None
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                stack.push(Frame::Map(pos, Vec::new(), None, anchor));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(p, items, anchor)) => Some((
                    Node {
                        value: Value::Seq(items),
                        pos: p,
                    },
                    anchor,
                )),
                _ => return Err(err("unbalanced sequence end".into())),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(p, entries, _, anchor)) => Some((
                    Node {
                        value: Value::Map(entries),
                        pos: p,
                    },
                    anchor,
                )),
                _ => return Err(err("unbalanced mapping end".into())),
            },
        };
        if let Some((node, anchor)) = finished {
            budget = budget
                .checked_sub(1)
                .ok_or_else(|| err("document too large".into()))?;
            if anchor > 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq(_, items, _)) => items.push(node),
                Some(Frame::Map(_, entries, key, _)) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
            }
        }
    }
    if let Some(r) = root.take() {
        docs.push(r);
    }
    Ok(docs)
}

fn count_nodes(n: &Node) -> usize {
    match &n.value {
        Value::Null | Value::Scalar { .. } => 1,
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn positions_and_docs() {
        let docs = parse_documents("---\n- rule: a\n  condition: x\n---\n- list: b\n").unwrap();
        assert_eq!(docs.len(), 2);
        let Value::Seq(items) = &docs[0].value else {
            panic!()
        };
        assert_eq!(
            items[0].get("condition").unwrap().pos,
            Pos { line: 3, col: 14 }
        );
        assert_eq!(items[0].get("rule").unwrap().as_str(), Some("a"));
    }

    #[test]
    fn errors_have_positions() {
        let e = parse_documents("this : is : not : yaml").unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse_documents(&"[".repeat(1000)).unwrap_err();
        assert!(
            e.message.contains("nesting") || e.message.contains("recursion"),
            "{e}"
        );
        let e = parse_documents(&"- ".repeat(100)).unwrap_err();
        assert!(e.message.contains("nesting"), "{e}");
    }
}
