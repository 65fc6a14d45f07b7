//! Ruby: `Gemfile.lock` and installed gemspecs (`specifications/*.gemspec`).

use std::collections::HashSet;

use strata_types::PackageType;

use super::{Entries, LangEntry, file_name, lang_detector, parent, read_text};
use crate::{DetectError, DetectInput};

/// `Gemfile.lock` (and `gems.locked`, Bundler's other name for it).
#[derive(Debug, Default)]
pub struct GemfileLockDetector;

lang_detector!(
    GemfileLockDetector,
    "ruby-gemfile-lock",
    |p| matches!(file_name(p), "Gemfile.lock" | "gems.locked"),
    gemfile_lock_entries
);

/// The `specs:` of the `GEM`, `GIT` and `PATH` sections: four-space-indented
/// `name (version)` lines (six spaces are a spec's own dependencies). A version may
/// carry a platform (`1.13.3-x86_64-linux`); the platform is dropped, as RubyGems
/// versions cannot contain `-`. Gems from `GIT` and `PATH` sections are included with a
/// warning. Gemfile.lock does not record which gems are development-only.
pub(crate) fn gemfile_lock_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = HashSet::new();
    let mut section = "";
    let mut in_specs = false;
    let mut known_sections = 0usize;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            section = line.trim();
            in_specs = false;
            if SECTIONS.contains(&section) {
                known_sections += 1;
            }
            continue;
        }
        if !matches!(section, "GEM" | "GIT" | "PATH") {
            continue;
        }
        if line == "  specs:" {
            in_specs = true;
            continue;
        }
        if !line.starts_with("    ") {
            in_specs = false;
            continue;
        }
        if !in_specs || line.starts_with("     ") {
            continue;
        }
        let spec = line.trim();
        let Some((name, rest)) = spec.split_once(" (") else {
            warnings.push(format!(
                "{}:{}: spec `{spec}` has no version; skipped",
                input.path,
                i + 1
            ));
            continue;
        };
        let Some(version) = rest.strip_suffix(')') else {
            return Err(DetectError::malformed(
                input.path,
                Some(i + 1),
                format!("spec `{spec}`: unterminated version"),
            ));
        };
        let version = version.split('-').next().unwrap_or(version);
        if name.is_empty() || version.is_empty() {
            warnings.push(format!(
                "{}:{}: spec `{spec}` has an empty name or version; skipped",
                input.path,
                i + 1
            ));
            continue;
        }
        if section != "GEM" {
            warnings.push(format!(
                "{}:{}: {name} {version} comes from a {section} source; included",
                input.path,
                i + 1
            ));
        }
        if seen.insert((name.to_owned(), version.to_owned())) {
            entries.push(LangEntry::new(PackageType::Gem, name, version));
        }
    }
    if known_sections == 0 && !text.trim().is_empty() {
        return Err(DetectError::malformed(
            input.path,
            None,
            "no Bundler lockfile section (GEM, GIT, PATH, PLATFORMS, DEPENDENCIES, ...)",
        ));
    }
    Ok((entries, warnings))
}

/// The top-level sections Bundler writes.
const SECTIONS: &[&str] = &[
    "GEM",
    "GIT",
    "PATH",
    "PLUGIN SOURCE",
    "PLATFORMS",
    "DEPENDENCIES",
    "RUBY VERSION",
    "BUNDLED WITH",
    "CHECKSUMS",
];

/// Installed gems' specifications: `.../specifications/<name>-<version>.gemspec`, and the
/// default gems shipped with Ruby itself, `.../specifications/default/<name>-<version>.gemspec`
/// (Debian's `libruby3.1` installs 70 of them: `json`, `openssl`, `psych`, ...).
#[derive(Debug, Default)]
pub struct GemspecDetector;

fn wants_gemspec(path: &str) -> bool {
    if !file_name(path).ends_with(".gemspec") {
        return false;
    }
    let dir = parent(path);
    file_name(dir) == "specifications"
        || (file_name(dir) == "default" && file_name(parent(dir)) == "specifications")
}

lang_detector!(
    GemspecDetector,
    "ruby-gemspec",
    wants_gemspec,
    gemspec_entries
);

/// The value of a `x.field = "..."` line: a single- or double-quoted string, maybe
/// followed by `.freeze`. Ruby is not evaluated; anything else is not a literal.
fn string_literal(s: &str) -> Option<&str> {
    let s = s.trim();
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = s.get(1..)?;
    let end = body.find(q)?;
    body.get(..end)
}

/// The string literals of `["a".freeze, "b"]`.
fn string_list(s: &str) -> Vec<String> {
    let s = s.trim();
    let Some(inner) = s.strip_prefix('[').and_then(|r| r.split(']').next()) else {
        return string_literal(s).map(str::to_owned).into_iter().collect();
    };
    inner
        .split(',')
        .filter_map(string_literal)
        .map(str::to_owned)
        .collect()
}

/// Reads the `s.name`, `s.version` and `s.license(s)` assignments RubyGems writes into
/// installed gemspecs. `Gem::Version.new("1.0")` versions are read as well.
pub(crate) fn gemspec_entries(input: &DetectInput<'_>) -> Entries {
    let text = read_text(input)?;
    let mut name = None;
    let mut version = None;
    let mut licenses = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((lhs, rhs)) = line.split_once('=') else {
            continue;
        };
        let Some((_, field)) = lhs.trim().split_once('.') else {
            continue;
        };
        let rhs = rhs.trim();
        match field.trim() {
            "name" if name.is_none() => name = string_literal(rhs),
            "version" if version.is_none() => {
                let rhs = rhs.strip_prefix("Gem::Version.new(").unwrap_or(rhs);
                version = string_literal(rhs);
            }
            "licenses" | "license" if licenses.is_empty() => licenses = string_list(rhs),
            _ => {}
        }
    }
    match (
        name.filter(|n| !n.is_empty()),
        version.filter(|v| !v.is_empty()),
    ) {
        (Some(n), Some(v)) => Ok((
            vec![LangEntry::new(PackageType::Gem, n, v).licenses(licenses)],
            Vec::new(),
        )),
        _ => Err(DetectError::malformed(
            input.path,
            None,
            "no literal `s.name = \"...\"` and `s.version = \"...\"` assignments",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemspec_literals() {
        assert_eq!(string_literal("\"a\".freeze"), Some("a"));
        assert_eq!(string_literal("'b'"), Some("b"));
        assert_eq!(string_literal("x"), None);
        assert_eq!(
            string_list("[\"MIT\".freeze, \"Ruby\".freeze]"),
            vec!["MIT", "Ruby"]
        );
        assert!(wants_gemspec(
            "/usr/local/bundle/specifications/rack-2.2.3.gemspec"
        ));
        assert!(!wants_gemspec("/app/rack.gemspec"));
    }

    /// Ruby's default gems live one level down, in `specifications/default/`; syft reports
    /// them and strata missed all 70 of Debian bookworm's `libruby3.1`.
    #[test]
    fn default_gem_specifications_are_wanted() {
        assert!(wants_gemspec(
            "/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec"
        ));
        assert!(!wants_gemspec("/app/default/json-2.6.1.gemspec"));
        assert!(!wants_gemspec(
            "/usr/lib/ruby/gems/3.1.0/specifications/other/json-2.6.1.gemspec"
        ));
        let input = crate::DetectInput {
            path: "/usr/lib/ruby/gems/3.1.0/specifications/default/abbrev-0.1.0.gemspec",
            contents: b"# -*- encoding: utf-8 -*-\n# stub: abbrev 0.1.0 ruby lib\n\nGem::Specification.new do |s|\n  s.name = \"abbrev\".freeze\n  s.version = \"0.1.0\"\n  s.licenses = [\"Ruby\".freeze, \"BSD-2-Clause\".freeze]\nend\n",
            distro: None,
        };
        let (entries, warnings) = gemspec_entries(&input).unwrap_or_else(|e| panic!("{e}"));
        assert!(warnings.is_empty(), "{warnings:?}");
        let got: Vec<_> = entries
            .iter()
            .map(|e| (e.name.as_str(), e.version.as_str()))
            .collect();
        assert_eq!(got, [("abbrev", "0.1.0")]);
    }
}
