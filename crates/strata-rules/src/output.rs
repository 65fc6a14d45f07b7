//! Rule outputs: `%field` substitution (with transformers) and alert rendering.

use crate::condition;
use crate::event::Event;
use crate::fields::{FieldType, Source};
use crate::filter::{self, CompileCtx, CompileError, Extractor, V};

/// One piece of a compiled output.
#[derive(Debug, Clone)]
pub enum Segment {
    /// Literal text.
    Text(String),
    /// A field.
    Field(Box<Extractor>),
}

/// A compiled output format.
#[derive(Debug, Clone, Default)]
pub struct OutputFormat {
    /// The pieces, in order.
    pub segments: Vec<Segment>,
}

fn is_field_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.'
}

/// Compiles an output string. Unknown fields are errors; the offset is the `%`.
pub fn compile_output(
    s: &str,
    source: Source,
    interner: &mut filter::Interner,
) -> Result<OutputFormat, (usize, CompileError)> {
    let lists = |_: &str| None;
    let mut cx = CompileCtx::new(source, &lists, interner);
    let b = s.as_bytes();
    let mut segs = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            let start = i;
            while i < b.len() && b[i] != b'%' {
                i += 1;
            }
            text.push_str(s.get(start..i).unwrap_or(""));
            continue;
        }
        // `%` followed by a field (optionally with [arg]) or a transformer call.
        let start = i + 1;
        let mut j = start;
        while j < b.len() && is_field_char(b[j]) {
            j += 1;
        }
        while j > start && b[j - 1] == b'.' {
            j -= 1;
        }
        let word = s.get(start..j).unwrap_or("");
        let mut end = j;
        if j < b.len() && b[j] == b'(' && condition::Transformer::from_name(word).is_some() {
            // Find the matching ')'.
            let mut depth = 0usize;
            let mut k = j;
            while k < b.len() {
                match b[k] {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                k += 1;
            }
            end = (k + 1).min(b.len());
        } else if j < b.len()
            && b[j] == b'['
            && let Some(close) = s.get(j..).and_then(|r| r.find(']'))
        {
            end = j + close + 1;
        }
        if word.is_empty() {
            text.push('%');
            i += 1;
            continue;
        }
        let field = match condition::parse_field(s.get(start..end).unwrap_or("")) {
            Ok(field) => field,
            Err(_) => {
                return Err((
                    i,
                    CompileError::Invalid {
                        message: format!(
                            "invalid output field '%{}'",
                            s.get(start..end).unwrap_or("")
                        ),
                        offset: i,
                        macro_name: None,
                    },
                ));
            }
        };
        let x = filter::extractor(&field, &mut cx).map_err(|e| (i, e))?;
        if !text.is_empty() {
            segs.push(Segment::Text(std::mem::take(&mut text)));
        }
        segs.push(Segment::Field(Box::new(x)));
        i = end;
    }
    if !text.is_empty() {
        segs.push(Segment::Text(text));
    }
    Ok(OutputFormat { segments: segs })
}

/// A JSON value of an output field.
pub fn json_value(v: V<'_>, ty: FieldType) -> serde_json::Value {
    match v {
        V::Missing => serde_json::Value::Null,
        V::Str(s) => serde_json::Value::String(s.to_string()),
        V::Int(i) if ty.is_numeric() || ty == FieldType::Uint64 => serde_json::Value::from(i),
        V::Int(i) => serde_json::Value::from(i),
        V::Bool(b) => serde_json::Value::Bool(b),
    }
}

fn push_v(out: &mut String, v: V<'_>) {
    use std::fmt::Write;
    match v {
        V::Missing => out.push_str("<NA>"),
        V::Str(s) => out.push_str(s),
        V::Int(i) => {
            let _ = write!(out, "{i}");
        }
        V::Bool(b) => out.push_str(if b { "true" } else { "false" }),
    }
}

impl OutputFormat {
    /// Renders the output for an event, and collects `output_fields`.
    pub fn render(&self, ev: &Event) -> (String, serde_json::Map<String, serde_json::Value>) {
        let mut out = String::new();
        let mut fields = serde_json::Map::new();
        let mut buf = String::new();
        let mut tmp = filter::Tmp::default();
        for seg in &self.segments {
            match seg {
                Segment::Text(t) => out.push_str(t),
                Segment::Field(x) => {
                    let v = filter::extract(ev, x, &mut buf, &mut tmp);
                    push_v(&mut out, v);
                    // Falco's JSON alerts carry evt.time as the raw timestamp in
                    // nanoseconds, while the text output shows it as a time of day.
                    let value = if &*x.name == "evt.time" && x.transformers.is_empty() {
                        serde_json::Value::from(ev.ts)
                    } else {
                        json_value(v, x.ty)
                    };
                    fields.insert(x.name.to_string(), value);
                }
            }
        }
        (out, fields)
    }
}
