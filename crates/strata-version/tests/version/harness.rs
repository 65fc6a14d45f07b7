//! Loading vector files and checking a comparator against them.

use std::cmp::Ordering;
use std::path::PathBuf;

use strata_version::Scheme;

/// One `a OP b` line.
#[derive(Debug, Clone)]
pub struct Vector {
    pub line: usize,
    pub a: String,
    pub op: Ordering,
    pub b: String,
}

/// The version-vectors directory, or `None` (after `skip_or_fail`) when the data is absent.
pub fn vectors_dir() -> Option<PathBuf> {
    let dir = strata_testkit::data_dir()?.join("version-vectors");
    if dir.is_dir() {
        Some(dir)
    } else {
        strata_testkit::skip_or_fail(&format!("{} is missing", dir.display()));
        None
    }
}

fn op(s: &str) -> Option<Ordering> {
    match s {
        "<" => Some(Ordering::Less),
        "=" | "==" => Some(Ordering::Equal),
        ">" => Some(Ordering::Greater),
        _ => None,
    }
}

fn field(s: &str) -> String {
    if s == "\"\"" || s == "''" {
        String::new()
    } else {
        s.to_owned()
    }
}

/// Reads `a OP b` lines from `rel` (relative to the vectors directory). Skips blank lines
/// and lines starting with `#` or `// `; drops a TAB-separated trailing comment (the apk
/// file's format); fields are separated by runs of spaces; `""` and `''` are the empty
/// string. Panics on a malformed line, naming it.
pub fn load(rel: &str) -> Option<Vec<Vector>> {
    let path = vectors_dir()?.join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with("// ") {
            continue;
        }
        let line_no = i + 1;
        let body = line.split('\t').next().unwrap_or_default();
        let f: Vec<&str> = body.split_whitespace().collect();
        let [a, o, b] = f.as_slice() else {
            panic!("{rel}:{line_no}: expected `a OP b`, got {line:?}");
        };
        let op = op(o).unwrap_or_else(|| panic!("{rel}:{line_no}: unknown operator {o:?}"));
        out.push(Vector {
            line: line_no,
            a: field(a),
            op,
            b: field(b),
        });
    }
    Some(out)
}

fn sym(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

/// Checks every vector of `rel` in both directions with `cmp`, asserts that exactly
/// `expected` vectors were read, and reports every disagreement at once.
pub fn check<F>(rel: &str, expected: usize, cmp: F)
where
    F: Fn(&str, &str) -> Result<Ordering, String>,
{
    check_except(rel, expected, &[], cmp);
}

/// Like [`check`], but vectors that mention one of `rejected` are expected to fail with an
/// error instead (the scheme classifies that version as invalid input); exactly
/// `rejected_count` vectors must be of that kind.
pub fn check_except_count<F>(
    rel: &str,
    expected: usize,
    rejected: &[&str],
    rejected_count: usize,
    cmp: F,
) where
    F: Fn(&str, &str) -> Result<Ordering, String>,
{
    let n = check_except(rel, expected, rejected, cmp);
    if let Some(n) = n {
        assert_eq!(
            n, rejected_count,
            "{rel}: number of vectors with rejected versions"
        );
    }
}

fn check_except<F>(rel: &str, expected: usize, rejected: &[&str], cmp: F) -> Option<usize>
where
    F: Fn(&str, &str) -> Result<Ordering, String>,
{
    let vectors = load(rel)?;
    assert_eq!(vectors.len(), expected, "{rel}: number of vectors read");
    let mut failures = Vec::new();
    let mut rejected_vectors = 0;
    for v in &vectors {
        if rejected.contains(&v.a.as_str()) || rejected.contains(&v.b.as_str()) {
            rejected_vectors += 1;
            if cmp(&v.a, &v.b).is_ok() || cmp(&v.b, &v.a).is_ok() {
                failures.push(format!(
                    "{rel}:{}: expected an error for {} vs {}",
                    v.line, v.a, v.b
                ));
            }
            continue;
        }
        for (a, b, want) in [(&v.a, &v.b, v.op), (&v.b, &v.a, v.op.reverse())] {
            match cmp(a, b) {
                Ok(got) if got == want => {}
                Ok(got) => failures.push(format!(
                    "{rel}:{}: expected {a} {} {b}, got {}",
                    v.line,
                    sym(want),
                    sym(got)
                )),
                Err(e) => failures.push(format!("{rel}:{}: {a} vs {b}: error: {e}", v.line)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} comparisons disagree:\n{}",
        failures.len(),
        vectors.len() * 2,
        failures.join("\n")
    );
    eprintln!(
        "{rel}: {} vectors agree, {rejected_vectors} rejected as invalid input",
        vectors.len() - rejected_vectors
    );
    Some(rejected_vectors)
}

/// `check` with a scheme's string comparison.
pub fn check_scheme(rel: &str, expected: usize, scheme: Scheme) {
    check(rel, expected, |a, b| {
        scheme.compare(a, b).map_err(|e| e.to_string())
    });
}
