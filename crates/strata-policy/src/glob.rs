//! Glob patterns for package paths and purls: `*` (within one path segment), `**` (any
//! depth), `?` (one character).

/// Matches `text` against `pattern`. With `segments`, `*` and `?` stop at `/` and only
/// `**` crosses it (paths); without, `*` matches anything (purls).
pub fn glob_match(pattern: &str, text: &str, segments: bool) -> bool {
    enum Tok {
        Lit(char),
        One,
        Star,
        /// `**`: anything, `/` included.
        Deep,
        /// `**/`: nothing, or anything ending in `/`.
        DeepDir,
    }
    let p: Vec<char> = pattern.chars().collect();
    let mut toks = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '*' if p.get(i + 1) == Some(&'*') => {
                if p.get(i + 2) == Some(&'/') {
                    toks.push(Tok::DeepDir);
                    i += 3;
                } else {
                    toks.push(Tok::Deep);
                    i += 2;
                }
                continue;
            }
            '*' => toks.push(if segments { Tok::Star } else { Tok::Deep }),
            '?' => toks.push(Tok::One),
            c => toks.push(Tok::Lit(c)),
        }
        i += 1;
    }
    let t: Vec<char> = text.chars().collect();
    // Dynamic programming over (token, text) positions: O(n·m), no backtracking blow-up.
    let mut cur = vec![false; t.len() + 1];
    cur[0] = true;
    for tok in &toks {
        let mut next = vec![false; t.len() + 1];
        match tok {
            Tok::Lit(c) => {
                for j in 0..t.len() {
                    next[j + 1] = cur[j] && t[j] == *c;
                }
            }
            Tok::One => {
                for j in 0..t.len() {
                    next[j + 1] = cur[j] && (!segments || t[j] != '/');
                }
            }
            Tok::Star | Tok::Deep => {
                let any = matches!(tok, Tok::Deep);
                next[0] = cur[0];
                for j in 1..=t.len() {
                    next[j] = cur[j] || (next[j - 1] && (any || t[j - 1] != '/'));
                }
            }
            Tok::DeepDir => {
                let mut seen = false;
                for j in 0..=t.len() {
                    next[j] = cur[j] || (seen && j > 0 && t[j - 1] == '/');
                    seen |= cur[j];
                }
            }
        }
        cur = next;
    }
    cur[t.len()]
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        for (pat, text, seg, want) in [
            ("app/**", "app/node_modules/x/package.json", true, true),
            ("app/*", "app/node_modules/x", true, false),
            ("app/*", "app/x", true, true),
            ("**/*.jar", "opt/lib/a.jar", true, true),
            ("**/*.jar", "a.jar", true, true),
            ("a/**/b", "a/b", true, true),
            ("a/**/b", "a/x/y/b", true, true),
            ("a/**/b", "a/xb", true, false),
            (
                "usr/lib/python3/?ist-packages/**",
                "usr/lib/python3/dist-packages/x",
                true,
                true,
            ),
            ("pkg:npm/*", "pkg:npm/@scope/name@1.0", false, true),
            ("pkg:npm/*", "pkg:pypi/x", false, false),
            ("", "", true, true),
            ("*", "", true, true),
            ("x", "xy", true, false),
        ] {
            assert_eq!(glob_match(pat, text, seg), want, "{pat} ~ {text}");
        }
    }
}
