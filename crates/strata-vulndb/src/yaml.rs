//! YAML documents to `serde_json::Value`, built from saphyr-parser's events with bounds.
//!
//! Plain scalars stay strings (except `null`/`~`/empty and `true`/`false`), so version
//! strings such as `1.10` keep their text. Aliases read as null, so alias bombs stay small.

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value};

const MAX_NODES: usize = 2_000_000;
const MAX_DEPTH: usize = 64;

enum Frame {
    Seq(Vec<Value>),
    Map(Map<String, Value>, Option<String>),
}

/// Parses the first document of `text`. The error names the line.
pub(crate) fn parse(text: &str) -> Result<Value, String> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut nodes = 0usize;
    for ev in Parser::new_from_str(text) {
        let (ev, span) =
            ev.map_err(|e| format!("line {}: invalid YAML: {}", e.marker().line(), e.info()))?;
        let line = span.start.line();
        let node = match ev {
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentEnd
            | Event::Nothing
            | Event::DocumentStart(_) => continue,
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!(
                        "line {line}: nesting deeper than {MAX_DEPTH} levels"
                    ));
                }
                stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq(Vec::new())
                } else {
                    Frame::Map(Map::new(), None)
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items)) => Value::Array(items),
                _ => return Err(format!("line {line}: unbalanced sequence")),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(entries, _)) => Value::Object(entries),
                _ => return Err(format!("line {line}: unbalanced mapping")),
            },
            Event::Alias(_) => Value::Null,
            Event::Scalar(text, style, _, _) => {
                if matches!(style, ScalarStyle::Plain) {
                    match text.as_ref() {
                        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
                        "true" | "True" | "TRUE" => Value::Bool(true),
                        "false" | "False" | "FALSE" => Value::Bool(false),
                        _ => Value::String(text.into_owned()),
                    }
                } else {
                    Value::String(text.into_owned())
                }
            }
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(format!("line {line}: more than {MAX_NODES} YAML nodes"));
        }
        match stack.last_mut() {
            None => return Ok(node),
            Some(Frame::Seq(items)) => items.push(node),
            Some(Frame::Map(entries, pending)) => match pending.take() {
                None => {
                    let key = match node {
                        Value::String(s) => s,
                        Value::Bool(b) => b.to_string(),
                        Value::Null => String::new(),
                        _ => {
                            return Err(format!(
                                "line {line}: complex mapping keys are not supported"
                            ));
                        }
                    };
                    *pending = Some(key);
                }
                Some(key) => {
                    entries.insert(key, node);
                }
            },
        }
    }
    Err("empty YAML document".into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn scalars_stay_strings() {
        let v = parse("a: 1.10\nb: [x, 'y']\nc: ~\nd: true\n").unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": "1.10", "b": ["x", "y"], "c": null, "d": true})
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.starts_with("line "), "{e}");
    }
}
