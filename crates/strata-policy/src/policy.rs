//! The policy file (`strata.yaml`) and exception files: their model and a reader that
//! reports every mistake at its line and column, with a hint.

use std::collections::BTreeMap;

use strata_types::{Finding, Severity};

use crate::PolicyError;
use crate::date::Date;
use crate::glob::glob_match;
use crate::reader::Reader;
use crate::yaml::{self, Node, Value};

/// Files larger than this are refused: a policy is written by hand.
pub const MAX_FILE_SIZE: usize = 4 << 20;

/// What to do with known-exploited vulnerabilities (CISA KEV).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KevAction {
    /// Fail the gate whatever the severity, fix state or grace period.
    #[default]
    Fail,
    /// Treat them like any other finding.
    Ignore,
}

/// Settings a rule can override. `None` means "inherit".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// Fail at or above this severity.
    pub fail_on: Option<Severity>,
    /// Fail only when a fixed version exists.
    pub only_fixed: Option<bool>,
    /// Fail only once a fix has been available for more than this many days.
    pub grace_days: Option<u32>,
    /// Never fail on the findings this rule matches (they stay in the report).
    pub ignore: Option<bool>,
}

impl Settings {
    /// `self` with the fields of `over` that are set.
    pub fn overridden_by(&self, over: &Settings) -> Settings {
        Settings {
            fail_on: over.fail_on.or(self.fail_on),
            only_fixed: over.only_fixed.or(self.only_fixed),
            grace_days: over.grace_days.or(self.grace_days),
            ignore: over.ignore.or(self.ignore),
        }
    }
}

/// Which findings a rule or an exception applies to. Every field that is set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Matcher {
    /// strata's package type (`deb`, `python`, `npm`, ...), the purl type (`pypi`,
    /// `golang`), or `os` / `lang`.
    pub ecosystem: Option<String>,
    /// A glob over the files the package was read from (`app/**`, `**/*.jar`).
    pub path: Option<String>,
    /// A glob over the purl (`pkg:npm/*`, `pkg:deb/debian/openssl@*`); without `@`, any
    /// version matches.
    pub purl: Option<String>,
}

impl Matcher {
    pub fn is_empty(&self) -> bool {
        self.ecosystem.is_none() && self.path.is_none() && self.purl.is_none()
    }

    pub fn matches(&self, f: &Finding) -> bool {
        if let Some(eco) = &self.ecosystem {
            let ty = f.package.package_type;
            let hit = eco.eq_ignore_ascii_case(ty.as_str())
                || eco.eq_ignore_ascii_case(ty.purl_type())
                || (eco.eq_ignore_ascii_case("os") && ty.is_os())
                || (eco.eq_ignore_ascii_case("lang") && !ty.is_os());
            if !hit {
                return false;
            }
        }
        if let Some(glob) = &self.path {
            let glob = glob.trim_start_matches('/');
            let hit = f
                .package
                .locations
                .iter()
                .any(|l| glob_match(glob, l.path.trim_start_matches('/'), true));
            if !hit {
                return false;
            }
        }
        if let Some(pattern) = &self.purl
            && !purl_matches(pattern, &f.package.purl)
        {
            return false;
        }
        true
    }
}

/// A purl glob against a purl: the whole purl, or (when the pattern names no version)
/// the purl without its version, qualifiers and subpath.
pub fn purl_matches(pattern: &str, purl: &str) -> bool {
    if glob_match(pattern, purl, false) {
        return true;
    }
    if pattern.contains('@') {
        return false;
    }
    let bare = purl.split(['@', '?', '#']).next().unwrap_or(purl);
    glob_match(pattern, bare, false)
}

/// A rule: settings for the findings it matches. The first matching rule wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub matcher: Matcher,
    pub settings: Settings,
    /// `FILE:LINE:COLUMN`.
    pub source: String,
}

/// An accepted risk: a vulnerability (by any of its ids) that does not fail the gate
/// until `expires`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exception {
    /// A vulnerability id; matches the finding's id or any alias.
    pub id: String,
    pub purl: Option<String>,
    pub path: Option<String>,
    /// An image name (`registry.example.com/app`, with or without tag; globs allowed) or
    /// digest (`sha256:...`, the image id or manifest digest).
    pub image: Option<String>,
    pub justification: String,
    pub approved_by: String,
    pub ticket: String,
    /// The last day the exception applies.
    pub expires: Date,
    /// An OpenVEX justification (`vulnerable_code_not_present`, ...). With it,
    /// `--format openvex` writes the exception as `not_affected`; without, as `affected`
    /// with the acceptance as the action statement.
    pub vex_justification: Option<String>,
    /// `FILE:LINE:COLUMN`.
    pub source: String,
}

/// The OpenVEX `not_affected` justifications.
pub const VEX_JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

impl Exception {
    /// True when the exception names this vulnerability and its scope covers the
    /// finding in an image known by `images` (names and digests).
    pub fn matches(&self, f: &Finding, images: &[String]) -> bool {
        let id = self.id.as_str();
        let named = f.id.eq_ignore_ascii_case(id)
            || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(id))
            || f.advisories.iter().any(|a| a.eq_ignore_ascii_case(id));
        if !named {
            return false;
        }
        if let Some(p) = &self.purl
            && !purl_matches(p, &f.package.purl)
        {
            return false;
        }
        if let Some(glob) = &self.path {
            let glob = glob.trim_start_matches('/');
            if !f
                .package
                .locations
                .iter()
                .any(|l| glob_match(glob, l.path.trim_start_matches('/'), true))
            {
                return false;
            }
        }
        if let Some(image) = &self.image
            && !images.iter().any(|i| image_matches(image, i))
        {
            return false;
        }
        true
    }

    /// True once `today` is after the expiry day.
    pub fn is_expired(&self, today: Date) -> bool {
        today > self.expires
    }
}

/// An image pattern against one of the image's names or digests. A name without a tag
/// or digest matches every tag of it; `docker.io/library/` is optional.
fn image_matches(pattern: &str, name: &str) -> bool {
    let norm = |s: &str| -> String {
        let s = s
            .strip_prefix("docker.io/library/")
            .or_else(|| s.strip_prefix("docker.io/"))
            .or_else(|| s.strip_prefix("index.docker.io/library/"))
            .unwrap_or(s);
        s.to_owned()
    };
    let (p, n) = (norm(pattern), norm(name));
    if glob_match(&p, &n, false) {
        return true;
    }
    let last = p.rsplit('/').next().unwrap_or(&p);
    if !last.contains(':') && !p.contains('@') {
        let bare = n.split('@').next().unwrap_or(&n);
        let bare = match bare.rfind(':') {
            Some(i) if !bare[i..].contains('/') => &bare[..i],
            _ => bare,
        };
        return glob_match(&p, bare, false);
    }
    false
}

/// A parsed `strata.yaml` (or exceptions file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// The file it was read from.
    pub file: Option<String>,
    pub defaults: Settings,
    pub kev: KevAction,
    /// At most this many findings (not suppressed) of a severity.
    pub max: BTreeMap<Severity, usize>,
    pub rules: Vec<Rule>,
    pub exceptions: Vec<Exception>,
}

impl Policy {
    /// The settings for a finding: the defaults, overridden by the first matching rule.
    pub fn settings_for(&self, f: &Finding) -> (Settings, Option<&Rule>) {
        match self.rules.iter().find(|r| r.matcher.matches(f)) {
            Some(r) => (self.defaults.overridden_by(&r.settings), Some(r)),
            None => (self.defaults.clone(), None),
        }
    }

    /// True when the policy says when to fail (`fail_on`, a rule with `fail_on`, or `max`).
    pub fn has_gate(&self) -> bool {
        self.defaults.fail_on.is_some()
            || self.rules.iter().any(|r| r.settings.fail_on.is_some())
            || !self.max.is_empty()
    }
}

/// What kind of file is being read: a policy may hold everything, an exceptions file
/// only `exceptions:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Policy,
    Exceptions,
}

const POLICY_KEYS: [&str; 8] = [
    "version",
    "fail_on",
    "only_fixed",
    "grace_days",
    "kev",
    "max",
    "rules",
    "exceptions",
];
const RULE_KEYS: [&str; 6] = [
    "match",
    "fail_on",
    "only_fixed",
    "grace_days",
    "ignore",
    "name",
];
const MATCH_KEYS: [&str; 3] = ["ecosystem", "path", "purl"];
const EXCEPTION_KEYS: [&str; 9] = [
    "id",
    "purl",
    "path",
    "image",
    "justification",
    "approved_by",
    "ticket",
    "expires",
    "vex_justification",
];

impl Reader<'_> {
    fn map<'n>(
        &self,
        node: &'n Node,
        what: &str,
        known: &[&str],
    ) -> Result<&'n [(Node, Node)], PolicyError> {
        let Value::Map(entries) = &node.value else {
            return Err(self.err(
                node,
                format!("{what} must be a mapping, not a {}", node.kind()),
                format!("write `key: value` lines; known keys: {}", known.join(", ")),
            ));
        };
        for (i, (k, _)) in entries.iter().enumerate() {
            let Some(key) = k.as_str() else {
                return Err(self.err(k, "keys must be plain text", "quote the key"));
            };
            if !known.contains(&key) {
                let hint = match closest(key, known) {
                    Some(c) => format!("did you mean `{c}`? known keys: {}", known.join(", ")),
                    None => format!("known keys: {}", known.join(", ")),
                };
                return Err(self.err(k, format!("unknown key `{key}` in {what}"), hint));
            }
            if entries[..i].iter().any(|(k2, _)| k2.as_str() == Some(key)) {
                return Err(self.err(k, format!("`{key}` appears twice in {what}"), "keep one"));
            }
        }
        Ok(entries)
    }

    fn string(&self, node: &Node, key: &str) -> Result<String, PolicyError> {
        match node.as_str() {
            Some(s) if !s.trim().is_empty() => Ok(s.to_owned()),
            _ => Err(self.err(
                node,
                format!("`{key}` must be a non-empty string, not {}", node.kind()),
                format!("write `{key}: text`"),
            )),
        }
    }

    fn severity(&self, node: &Node, key: &str) -> Result<Severity, PolicyError> {
        let s = self.string(node, key)?;
        s.parse().map_err(|_| {
            self.err(
                node,
                format!("`{key}`: unknown severity {s:?}"),
                "use one of critical, high, medium, low, negligible, unknown",
            )
        })
    }

    fn boolean(&self, node: &Node, key: &str) -> Result<bool, PolicyError> {
        node.as_bool().ok_or_else(|| {
            self.err(
                node,
                format!("`{key}` must be true or false"),
                format!("write `{key}: true`"),
            )
        })
    }

    fn count(&self, node: &Node, key: &str) -> Result<u32, PolicyError> {
        node.as_str()
            .filter(|_| !matches!(node.value, Value::Scalar { quoted: true, .. }))
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| {
                self.err(
                    node,
                    format!("`{key}` must be a whole number of at least 0"),
                    format!("write `{key}: 30`"),
                )
            })
    }

    fn glob(&self, node: &Node, key: &str) -> Result<String, PolicyError> {
        let s = self.string(node, key)?;
        if s.chars().count() > 1024 {
            return Err(self.err(node, format!("`{key}` is too long"), "keep patterns short"));
        }
        Ok(s)
    }

    fn settings(&self, node: &Node, entries: &[(Node, Node)]) -> Result<Settings, PolicyError> {
        let _ = node;
        let mut s = Settings::default();
        for (k, v) in entries {
            match k.as_str().unwrap_or_default() {
                "fail_on" => s.fail_on = Some(self.severity(v, "fail_on")?),
                "only_fixed" => s.only_fixed = Some(self.boolean(v, "only_fixed")?),
                "grace_days" => s.grace_days = Some(self.count(v, "grace_days")?),
                "ignore" => s.ignore = Some(self.boolean(v, "ignore")?),
                _ => {}
            }
        }
        Ok(s)
    }

    fn matcher(&self, node: &Node) -> Result<Matcher, PolicyError> {
        let entries = self.map(node, "`match`", &MATCH_KEYS)?;
        let mut m = Matcher::default();
        for (k, v) in entries {
            match k.as_str().unwrap_or_default() {
                "ecosystem" => m.ecosystem = Some(self.string(v, "ecosystem")?),
                "path" => m.path = Some(self.glob(v, "path")?),
                "purl" => {
                    let p = self.glob(v, "purl")?;
                    if !p.starts_with("pkg:") {
                        return Err(self.err(
                            v,
                            format!("`purl` pattern {p:?} does not start with `pkg:`"),
                            "write a package URL pattern like `pkg:npm/lodash` or `pkg:deb/debian/*`",
                        ));
                    }
                    m.purl = Some(p);
                }
                _ => {}
            }
        }
        if m.is_empty() {
            return Err(self.err(
                node,
                "`match` names nothing to match",
                "set at least one of ecosystem, path, purl",
            ));
        }
        Ok(m)
    }

    fn rule(&self, node: &Node) -> Result<Rule, PolicyError> {
        let entries = self.map(node, "a rule", &RULE_KEYS)?;
        let m = node.get("match").ok_or_else(|| {
            self.err(
                node,
                "a rule needs `match:`",
                "add `match: {ecosystem: npm}` (or path, purl)",
            )
        })?;
        Ok(Rule {
            matcher: self.matcher(m)?,
            settings: self.settings(node, entries)?,
            source: self.source(node),
        })
    }

    fn exception(&self, node: &Node) -> Result<Exception, PolicyError> {
        self.map(node, "an exception", &EXCEPTION_KEYS)?;
        let required = |key: &str, hint: &str| -> Result<String, PolicyError> {
            match node.get(key) {
                Some(v) => self.string(v, key),
                None => Err(self.err(node, format!("an exception needs `{key}`"), hint)),
            }
        };
        let id = required("id", "add `id: CVE-2024-1234` (any alias works)")?;
        let justification = required(
            "justification",
            "say why the risk is acceptable: `justification: not reachable from the API`",
        )?;
        let approved_by = required("approved_by", "add who accepted it: `approved_by: alice`")?;
        let ticket = required("ticket", "add the tracking reference: `ticket: SEC-123`")?;
        let expires_node = node.get("expires").ok_or_else(|| {
            self.err(
                node,
                "an exception needs `expires`",
                "add the last day it applies: `expires: 2025-12-31`",
            )
        })?;
        let text = self.string(expires_node, "expires")?;
        let expires = Date::parse(&text)
            .filter(|_| text.trim().len() == 10)
            .ok_or_else(|| {
                self.err(
                    expires_node,
                    format!("`expires` {text:?} is not a date"),
                    "write it as YYYY-MM-DD, for example 2025-12-31",
                )
            })?;
        let opt = |key: &str| -> Result<Option<String>, PolicyError> {
            node.get(key).map(|v| self.glob(v, key)).transpose()
        };
        let vex_justification = opt("vex_justification")?;
        if let (Some(j), Some(v)) = (&vex_justification, node.get("vex_justification"))
            && !VEX_JUSTIFICATIONS.contains(&j.as_str())
        {
            return Err(self.err(
                v,
                format!("unknown `vex_justification` {j:?}"),
                format!("use one of {}", VEX_JUSTIFICATIONS.join(", ")),
            ));
        }
        Ok(Exception {
            id,
            purl: opt("purl")?,
            path: opt("path")?,
            image: opt("image")?,
            justification,
            approved_by,
            ticket,
            expires,
            vex_justification,
            source: self.source(node),
        })
    }
}

/// Parses a policy or exceptions file. `file` names it in errors and sources.
pub fn parse(text: &str, file: &str, kind: FileKind) -> Result<Policy, PolicyError> {
    let r = Reader { file };
    if text.len() > MAX_FILE_SIZE {
        return Err(PolicyError::Invalid {
            file: file.to_owned(),
            line: 1,
            col: 1,
            message: format!("larger than {} MiB", MAX_FILE_SIZE >> 20),
            hint: "a policy file is written by hand; is this the right file?".into(),
        });
    }
    let docs = yaml::parse_documents(text).map_err(|e| PolicyError::Invalid {
        file: file.to_owned(),
        line: e.line,
        col: e.col,
        message: format!("invalid YAML: {}", e.message),
        hint: "check the indentation and quoting near this position".into(),
    })?;
    let mut policy = Policy {
        file: Some(file.to_owned()),
        ..Policy::default()
    };
    let root = match docs.as_slice() {
        [] => return Ok(policy),
        [one] if one.is_null() => return Ok(policy),
        [one] => one,
        [_, second, ..] => {
            return Err(r.err(
                second,
                "more than one YAML document",
                "keep one document (remove the `---`)",
            ));
        }
    };
    let known: &[&str] = match kind {
        FileKind::Policy => &POLICY_KEYS,
        FileKind::Exceptions => &["version", "exceptions"],
    };
    let entries = r.map(root, "the file", known)?;
    for (k, v) in entries {
        match k.as_str().unwrap_or_default() {
            "version" => {
                let s = r.string(v, "version")?;
                if s != "1" {
                    return Err(r.err(v, format!("unsupported version {s:?}"), "use `version: 1`"));
                }
            }
            "kev" => {
                policy.kev = match r.string(v, "kev")?.as_str() {
                    "fail" => KevAction::Fail,
                    "ignore" => KevAction::Ignore,
                    other => {
                        return Err(r.err(
                            v,
                            format!("`kev: {other}` is not an action"),
                            "use `kev: fail` (the default) or `kev: ignore`",
                        ));
                    }
                }
            }
            "max" => {
                let Value::Map(items) = &v.value else {
                    return Err(r.err(v, "`max` must be a mapping", "write `max: {high: 5}`"));
                };
                for (sk, sv) in items {
                    let sev = r.severity(sk, "max")?;
                    let n = r.count(sv, "max")?;
                    policy.max.insert(sev, n as usize);
                }
            }
            "rules" => {
                let Value::Seq(items) = &v.value else {
                    return Err(r.err(
                        v,
                        "`rules` must be a list",
                        "write `rules:` then `- match: {...}` items",
                    ));
                };
                for item in items {
                    policy.rules.push(r.rule(item)?);
                }
            }
            "exceptions" => match &v.value {
                Value::Seq(items) => {
                    for item in items {
                        policy.exceptions.push(r.exception(item)?);
                    }
                }
                Value::Null => {}
                _ => {
                    return Err(r.err(
                        v,
                        "`exceptions` must be a list",
                        "write `exceptions:` then `- id: CVE-...` items",
                    ));
                }
            },
            _ => {}
        }
    }
    policy.defaults = r.settings(root, entries)?;
    Ok(policy)
}

/// The known word closest to `word`, when it is close enough to be a typo.
fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (levenshtein(word, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let v = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            cur.push(v);
        }
        prev = cur;
    }
    prev[b.len()]
}
