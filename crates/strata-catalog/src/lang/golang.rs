//! Go: `go.mod` (the `require` directives, with `replace` directives applied). Module
//! versions are kept as Go writes them (`v1.2.3`). Binaries' build info is read
//! elsewhere.

use std::collections::{HashMap, HashSet};

use strata_types::PackageType;

use super::{Entries, LangEntry, file_name, lang_detector, read_text};
use crate::{DetectError, DetectInput};

/// `go.mod`.
#[derive(Debug, Default)]
pub struct GoModDetector;

lang_detector!(
    GoModDetector,
    "go-mod",
    |p| file_name(p) == "go.mod",
    go_mod_entries
);

const DIRECTIVES: &[&str] = &[
    "module",
    "go",
    "toolchain",
    "godebug",
    "require",
    "replace",
    "exclude",
    "retract",
    "tool",
    "ignore",
];

struct Require {
    path: String,
    version: String,
    line: usize,
    indirect: bool,
}

struct Replace {
    old_path: String,
    old_version: Option<String>,
    new_path: String,
    new_version: Option<String>,
}

/// Splits a line into tokens: words and Go-quoted strings; `//` starts a comment.
fn tokens(line: &str) -> Result<(Vec<String>, &str), &'static str> {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Ok((out, ""));
        }
        if let Some(comment) = rest.strip_prefix("//") {
            return Ok((out, comment.trim()));
        }
        if let Some(body) = rest.strip_prefix('"') {
            let mut s = String::new();
            let mut chars = body.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    '\\' => match chars.next() {
                        Some((_, e)) => s.push(e),
                        None => return Err("unterminated string"),
                    },
                    _ => s.push(c),
                }
            }
            let end = end.ok_or("unterminated string")?;
            out.push(s);
            rest = body.get(end..).unwrap_or("");
            continue;
        }
        if rest.starts_with('`') {
            let body = rest.get(1..).unwrap_or("");
            let end = body.find('`').ok_or("unterminated string")?;
            out.push(body.get(..end).unwrap_or("").to_owned());
            rest = body.get(end + 1..).unwrap_or("");
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(rest.len());
        let word = rest.get(..end).unwrap_or("");
        // `//` glued to a word still starts a comment.
        if let Some(i) = word.find("//") {
            out.push(word.get(..i).unwrap_or("").to_owned());
            return Ok((out, rest.get(i + 2..).unwrap_or("").trim()));
        }
        out.push(word.to_owned());
        rest = rest.get(end..).unwrap_or("");
    }
}

fn is_local_path(p: &str) -> bool {
    p.starts_with("./") || p.starts_with("../") || p.starts_with('/') || p == "." || p == ".."
}

/// Each `require` once per module and version, in file order, with `replace` applied:
/// a replacement with a version changes the module and version; a replacement by a
/// local directory drops the module with a warning (its version is unknown). `// indirect`
/// is kept as the dev flag's absence: go.mod has no development dependencies.
pub(crate) fn go_mod_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let mut requires: Vec<Require> = Vec::new();
    let mut replaces: Vec<Replace> = Vec::new();
    let mut block: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let err = |m: String| DetectError::malformed(input.path, Some(lineno), m);
        let (toks, comment) = tokens(raw).map_err(|m| err(m.into()))?;
        let Some(first) = toks.first() else { continue };
        let args: Vec<&str>;
        let verb: String;
        if let Some(b) = &block {
            if first == ")" {
                block = None;
                continue;
            }
            verb = b.clone();
            args = toks.iter().map(String::as_str).collect();
        } else {
            if !DIRECTIVES.contains(&first.as_str()) {
                return Err(err(format!("unknown directive `{first}`")));
            }
            if toks.get(1).map(String::as_str) == Some("(") {
                if toks.len() > 2 {
                    return Err(err("text after `(`".into()));
                }
                block = Some(first.clone());
                continue;
            }
            verb = first.clone();
            args = toks.iter().skip(1).map(String::as_str).collect();
        }
        match verb.as_str() {
            "require" => match args.as_slice() {
                [path, version] => requires.push(Require {
                    path: (*path).to_owned(),
                    version: (*version).to_owned(),
                    line: lineno,
                    indirect: comment == "indirect" || comment.starts_with("indirect;"),
                }),
                _ => return Err(err("`require` needs a module path and a version".into())),
            },
            "replace" => {
                let arrow = args
                    .iter()
                    .position(|a| *a == "=>")
                    .ok_or_else(|| err("`replace` without `=>`".into()))?;
                let (left, right) = (
                    args.get(..arrow).unwrap_or(&[]),
                    args.get(arrow + 1..).unwrap_or(&[]),
                );
                let (old_path, old_version) = match left {
                    [p] => (*p, None),
                    [p, v] => (*p, Some((*v).to_owned())),
                    _ => return Err(err("`replace`: bad module before `=>`".into())),
                };
                let (new_path, new_version) = match right {
                    [p] => (*p, None),
                    [p, v] => (*p, Some((*v).to_owned())),
                    _ => return Err(err("`replace`: bad module after `=>`".into())),
                };
                if new_version.is_none() && !is_local_path(new_path) {
                    return Err(err(format!(
                        "`replace`: `{new_path}` is neither a local directory nor given with a version"
                    )));
                }
                replaces.push(Replace {
                    old_path: old_path.to_owned(),
                    old_version,
                    new_path: new_path.to_owned(),
                    new_version,
                });
            }
            _ => {}
        }
    }
    if block.is_some() {
        return Err(DetectError::malformed(
            input.path,
            None,
            "unclosed `(` block",
        ));
    }
    // The last replacement of a module (and version) wins.
    let mut by_module: HashMap<(&str, Option<&str>), &Replace> = HashMap::new();
    for p in &replaces {
        by_module.insert((p.old_path.as_str(), p.old_version.as_deref()), p);
    }
    let mut entries: Vec<LangEntry> = Vec::new();
    let mut seen = HashSet::new();
    let mut warnings = Vec::new();
    for r in &requires {
        // A replacement for this exact version wins over one for every version.
        let rep = by_module
            .get(&(r.path.as_str(), Some(r.version.as_str())))
            .or_else(|| by_module.get(&(r.path.as_str(), None)))
            .copied();
        let (path, version) = match rep {
            None => (r.path.as_str(), r.version.as_str()),
            Some(Replace {
                new_version: Some(v),
                new_path,
                ..
            }) => (new_path.as_str(), v.as_str()),
            Some(p) => {
                warnings.push(format!(
                    "{}:{}: {} {} is replaced by the local directory {}; skipped",
                    input.path, r.line, r.path, r.version, p.new_path
                ));
                continue;
            }
        };
        if seen.insert((path, version)) {
            // go.mod knows direct and indirect requirements, not development ones.
            let _ = r.indirect;
            entries.push(LangEntry::new(PackageType::Go, path, version));
        }
    }
    Ok((entries, warnings))
}
