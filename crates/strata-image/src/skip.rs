//! `--skip-dirs` and `--skip-files`: glob patterns over paths inside the image or tree.
//!
//! Patterns are matched against the whole path relative to the root, without its leading
//! `/` (`usr/lib/node_modules`, `app/vendor/**`); a leading `/` or `./` in a pattern is
//! ignored. In a segment `*` matches any run of characters but `/`, `?` one character,
//! `[abc]`, `[a-z]` and `[!a-z]` one of a set; a segment of `**` matches any number of
//! segments, none included. A directory that matches skips everything below it.

/// One compiled pattern: its segments.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    text: String,
    segments: Vec<String>,
}

impl Pattern {
    fn new(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let body = trimmed
            .strip_prefix("./")
            .unwrap_or(trimmed)
            .trim_start_matches('/')
            .trim_end_matches('/');
        if body.is_empty() {
            return Err(format!("skip pattern {text:?} is empty"));
        }
        let mut segments: Vec<String> = body
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        // `**/**` means `**`; collapsing keeps matching polynomial.
        segments.dedup_by(|a, b| a == "**" && b == "**");
        for s in &segments {
            check_segment(s).map_err(|e| format!("skip pattern {text:?}: {e}"))?;
        }
        Ok(Pattern {
            text: trimmed.to_owned(),
            segments,
        })
    }

    fn matches(&self, path: &str) -> bool {
        let path = path.trim_start_matches('/');
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.matches_parts(&parts)
    }

    fn matches_parts(&self, parts: &[&str]) -> bool {
        match_segments(&self.segments, parts)
    }
}

/// Brackets must close, so that a typo is an error instead of a pattern that never matches.
fn check_segment(seg: &str) -> Result<(), String> {
    let b: Vec<char> = seg.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '[' {
            match class(&b[i..], '\0') {
                Some((_, len)) => i += len,
                None => return Err("unclosed '['".to_owned()),
            }
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// Whether the segments match, by dynamic programming over (pattern, path) positions:
/// O(pattern x path) whatever the number of `**`, so a deep path cannot make it slow.
fn match_segments(pat: &[String], parts: &[&str]) -> bool {
    // can[j] after row i: pattern[i..] matches parts[j..].
    let n = parts.len();
    let mut next = vec![false; n + 1];
    next[n] = true;
    for seg in pat.iter().rev() {
        let mut row = vec![false; n + 1];
        for j in (0..=n).rev() {
            row[j] = if seg == "**" {
                next[j] || (j < n && row[j + 1])
            } else {
                j < n
                    && next[j + 1]
                    && glob_segment(
                        &seg.chars().collect::<Vec<_>>(),
                        &parts[j].chars().collect::<Vec<_>>(),
                    )
            };
        }
        next = row;
    }
    next[0]
}

/// Glob over one segment, iterative with one backtrack point (linear in practice).
fn glob_segment(pat: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() {
            match pat[p] {
                '*' => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                '?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                '[' => {
                    if let Some((hit, len)) = class(&pat[p..], text[t])
                        && hit
                    {
                        p += len;
                        t += 1;
                        continue;
                    }
                }
                c if c == text[t] => {
                    p += 1;
                    t += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&c| c == '*')
}

/// `[...]` at the start of `pat`: whether `c` is in it, and the class's length.
fn class(pat: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = pat.get(i) == Some(&'!');
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < pat.len() {
        let lo = pat[i];
        if lo == ']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if pat.get(i + 1) == Some(&'-') && pat.get(i + 2).is_some_and(|&h| h != ']') {
            let hi = pat[i + 2];
            hit |= lo <= c && c <= hi;
            i += 3;
        } else {
            hit |= lo == c;
            i += 1;
        }
    }
    None
}

/// The directories and files a scan leaves out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathFilter {
    dirs: Vec<Pattern>,
    files: Vec<Pattern>,
}

impl PathFilter {
    /// Compiles the patterns; an error names the pattern that is wrong.
    pub fn new<D, F>(skip_dirs: D, skip_files: F) -> Result<Self, String>
    where
        D: IntoIterator,
        D::Item: AsRef<str>,
        F: IntoIterator,
        F::Item: AsRef<str>,
    {
        let dirs = skip_dirs
            .into_iter()
            .map(|p| Pattern::new(p.as_ref()))
            .collect::<Result<_, _>>()?;
        let files = skip_files
            .into_iter()
            .map(|p| Pattern::new(p.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(PathFilter { dirs, files })
    }

    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty() && self.files.is_empty()
    }

    /// Whether the directory `dir` (and so everything below it) is skipped.
    pub fn skips_dir(&self, dir: &str) -> bool {
        self.dirs.iter().any(|p| p.matches(dir))
    }

    /// Whether the file at `path` is skipped: by a file pattern, or because a directory
    /// above it is.
    pub fn skips_file(&self, path: &str) -> bool {
        if self.files.iter().any(|p| p.matches(path)) {
            return true;
        }
        if self.dirs.is_empty() {
            return false;
        }
        // Every folder above the file, split once.
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        (1..parts.len()).any(|k| self.dirs.iter().any(|p| p.matches_parts(&parts[..k])))
    }

    /// Identifies the filter, for caches keyed by what was captured.
    pub fn cache_key(&self) -> String {
        let mut key = String::new();
        for (kind, pats) in [("d", &self.dirs), ("f", &self.files)] {
            for p in pats {
                key.push_str(kind);
                key.push(':');
                key.push_str(&p.text);
                key.push('\0');
            }
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(dirs: &[&str], files: &[&str]) -> PathFilter {
        PathFilter::new(dirs, files).unwrap()
    }

    #[test]
    fn directory_patterns_skip_everything_below() {
        let p = f(&["usr/lib/node_modules", "**/test*"], &[]);
        assert!(p.skips_dir("/usr/lib/node_modules"));
        assert!(p.skips_file("/usr/lib/node_modules/a/package.json"));
        assert!(!p.skips_file("/usr/lib/node_modules_x/package.json"));
        assert!(p.skips_file("/app/tests/fixtures/Cargo.lock"));
        assert!(p.skips_file("/testdata/go.mod"));
        assert!(!p.skips_file("/app/src/Cargo.lock"));
    }

    #[test]
    fn file_patterns() {
        let p = f(
            &[],
            &[
                "/app/*.lock",
                "**/*.jar",
                "./etc/pass?d",
                "x/[a-c]*.txt",
                "y/[!a]",
            ],
        );
        assert!(p.skips_file("/app/Cargo.lock"));
        assert!(!p.skips_file("/app/sub/Cargo.lock"));
        assert!(p.skips_file("/opt/lib/log4j-core-2.14.1.jar"));
        assert!(p.skips_file("/a.jar"));
        assert!(p.skips_file("/etc/passwd"));
        assert!(p.skips_file("/x/b1.txt"));
        assert!(!p.skips_file("/x/d1.txt"));
        assert!(p.skips_file("/y/b"));
        assert!(!p.skips_file("/y/a"));
        assert!(!p.skips_dir("/app"));
    }

    #[test]
    fn wildcards_match_characters_not_bytes() {
        let p = f(&[], &["x/caf?.txt", "y/[é]"]);
        assert!(p.skips_file("/x/café.txt"));
        assert!(p.skips_file("/y/é"));
        assert!(!p.skips_file("/x/caf.txt"));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(PathFilter::new(["a/[bc"], [""; 0]).is_err());
        assert!(PathFilter::new(["/"], [""; 0]).is_err());
        assert!(PathFilter::new([""; 0], ["[]"]).is_err());
        assert!(PathFilter::new([""; 0], ["[]]x"]).is_ok());
    }

    #[test]
    fn deep_paths_with_separated_double_stars_stay_fast() {
        let p = f(&["**/a/**/b/**/c/**/d"], &[]);
        let deep = format!("/{}/package.json", ["node_modules"; 2000].join("/"));
        // Exponential matching would not finish; the table-driven match is quadratic.
        assert!(!p.skips_file(&deep));
        let hit = format!("/x/a/{}/b/c/y/d/f.json", ["q"; 500].join("/"));
        assert!(p.skips_file(&hit));
    }

    #[test]
    fn many_stars_stay_fast() {
        let p = f(&[], &["**/**/**/**/**/**/*a*a*a*a*a*a*a*b"]);
        let long = format!("/{}", ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; 12].join("/"));
        assert!(!p.skips_file(&long));
    }
}
