//! The "control file" syntax shared by dpkg's status database and apk's installed
//! database: paragraphs of `Key: value` (dpkg) or `K:value` (apk) lines separated by
//! blank lines. dpkg continues a value on lines starting with a space or tab.

/// One paragraph: its fields in order and the 1-based line where it starts.
#[derive(Debug, Default)]
pub(crate) struct Stanza<'a> {
    pub line: usize,
    pub fields: Vec<(&'a str, &'a str)>,
}

impl<'a> Stanza<'a> {
    /// The first value of `key` (case-sensitive, as both formats are).
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// A line that is neither a field, a continuation nor blank.
#[derive(Debug)]
pub(crate) struct StanzaError {
    pub line: usize,
    pub message: String,
}

/// Splits `text` into paragraphs. `separator` is `": "`-style for dpkg (key then `:`,
/// value trimmed) and `:` for apk. Continuation lines are folded into the previous
/// field's value only for dpkg (`continuations = true`); their text is not needed by
/// any caller, so the first line of a multi-line value is what `get` returns.
pub(crate) fn parse_stanzas(
    text: &str,
    continuations: bool,
) -> Result<Vec<Stanza<'_>>, StanzaError> {
    let mut out = Vec::new();
    let mut current = Stanza::default();
    for (idx, raw) in text.split('\n').enumerate() {
        let line_no = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            if !current.fields.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if continuations && (line.starts_with(' ') || line.starts_with('\t')) {
            if current.fields.is_empty() {
                return Err(StanzaError {
                    line: line_no,
                    message: "continuation line outside a field".to_owned(),
                });
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(StanzaError {
                line: line_no,
                message: format!("expected `Field: value`, found {:?}", truncate(line)),
            });
        };
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(StanzaError {
                line: line_no,
                message: format!("invalid field name in {:?}", truncate(line)),
            });
        }
        if current.fields.is_empty() {
            current.line = line_no;
        }
        current.fields.push((key, value.trim()));
    }
    if !current.fields.is_empty() {
        out.push(current);
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    let mut end = s.len().min(60);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    if end < s.len() {
        format!("{}...", &s[..end])
    } else {
        s.to_owned()
    }
}
