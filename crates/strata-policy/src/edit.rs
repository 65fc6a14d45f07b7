//! `strata exceptions add`: appends an exception to a policy or exceptions file as text,
//! so that the file's comments, order and formatting stay as the user wrote them.

use crate::PolicyError;
use crate::date::Date;
use crate::policy::{self, FileKind};
use crate::yaml::{self, Value};

/// The exception to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewException {
    pub id: String,
    pub justification: String,
    pub approved_by: String,
    pub ticket: String,
    pub expires: Date,
    pub purl: Option<String>,
    pub path: Option<String>,
    pub image: Option<String>,
}

fn quote(s: &str) -> String {
    // A JSON string is a valid YAML double-quoted scalar.
    serde_json::Value::String(s.to_owned()).to_string()
}

fn entry_lines(e: &NewException, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut fields = vec![format!("id: {}", quote(&e.id))];
    for (k, v) in [("purl", &e.purl), ("path", &e.path), ("image", &e.image)] {
        if let Some(v) = v {
            fields.push(format!("{k}: {}", quote(v)));
        }
    }
    fields.push(format!("justification: {}", quote(&e.justification)));
    fields.push(format!("approved_by: {}", quote(&e.approved_by)));
    fields.push(format!("ticket: {}", quote(&e.ticket)));
    fields.push(format!("expires: {}", e.expires));
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        let lead = if i == 0 { "- " } else { "  " };
        out.push_str(&format!("{pad}{lead}{f}\n"));
    }
    out
}

/// Returns `text` (the file's content, `None` when it does not exist yet) with `e`
/// appended to its `exceptions:` list. The result is parsed again before it is returned.
pub fn add_exception(
    text: Option<&str>,
    file: &str,
    e: &NewException,
) -> Result<String, PolicyError> {
    let kind = FileKind::Policy;
    let text = text.unwrap_or_default();
    let before = policy::parse(text, file, kind)?.exceptions.len();
    let docs = yaml::parse_documents(text).map_err(|err| PolicyError::Invalid {
        file: file.to_owned(),
        line: err.line,
        col: err.col,
        message: err.message,
        hint: "fix the file first".into(),
    })?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::new();
    let entries = match docs.first().map(|d| &d.value) {
        Some(Value::Map(entries)) => Some(entries),
        _ => None,
    };
    let found = entries.and_then(|entries| {
        entries
            .iter()
            .position(|(k, _)| k.as_str() == Some("exceptions"))
            .map(|i| (entries, i))
    });
    match found {
        None => {
            for l in &lines {
                out.push_str(l);
            }
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("exceptions:\n");
            out.push_str(&entry_lines(e, 2));
        }
        Some((entries, i)) => {
            let (key, value) = &entries[i];
            let indent = match &value.value {
                Value::Seq(items) if !items.is_empty() => {
                    // The dash sits two columns before the item's first key.
                    let line = lines
                        .get(value.pos.line.saturating_sub(1))
                        .copied()
                        .unwrap_or("");
                    let dash = line.find('-').unwrap_or(0);
                    if !line.trim_start().starts_with('-') {
                        return Err(PolicyError::Invalid {
                            file: file.to_owned(),
                            line: value.pos.line,
                            col: value.pos.col,
                            message: "`exceptions` is written as a flow list (`[...]`)".into(),
                            hint: "write it as a block list (`- id: ...` lines) so strata can append to it".into(),
                        });
                    }
                    dash
                }
                Value::Null => key.pos.col - 1 + 2,
                Value::Seq(_) => {
                    return Err(PolicyError::Invalid {
                        file: file.to_owned(),
                        line: value.pos.line,
                        col: value.pos.col,
                        message: "`exceptions: []` cannot be appended to".into(),
                        hint: "replace `[]` with nothing (`exceptions:`) and run again".into(),
                    });
                }
                _ => {
                    return Err(PolicyError::Invalid {
                        file: file.to_owned(),
                        line: value.pos.line,
                        col: value.pos.col,
                        message: "`exceptions` must be a list".into(),
                        hint: "write `exceptions:` then `- id: ...` items".into(),
                    });
                }
            };
            // The list ends before the next top-level key (or at the end of the file);
            // blank lines and comments just before that key stay with it.
            let next = entries
                .get(i + 1)
                .map(|(k, _)| k.pos.line - 1)
                .unwrap_or(lines.len());
            let mut end = next.min(lines.len());
            while end > key.pos.line {
                let l = lines[end - 1].trim();
                let top_comment = l.starts_with('#') && !lines[end - 1].starts_with(' ');
                if l.is_empty() || (top_comment && next < lines.len()) {
                    end -= 1;
                } else {
                    break;
                }
            }
            for l in &lines[..end] {
                out.push_str(l);
            }
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&entry_lines(e, indent));
            for l in &lines[end..] {
                out.push_str(l);
            }
        }
    }
    let after = policy::parse(&out, file, kind)?;
    if after.exceptions.len() != before + 1 {
        return Err(PolicyError::Invalid {
            file: file.to_owned(),
            line: 1,
            col: 1,
            message: "could not append the exception to this layout".into(),
            hint: "add it by hand under `exceptions:`".into(),
        });
    }
    Ok(out)
}
