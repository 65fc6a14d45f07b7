//! Loading Falco rule files: lists, macros, rules, appends, overrides, exceptions, version
//! requirements; then compiling everything into a [`RuleSet`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::condition::{self, Expr, FieldRef, Literal, Op, Operand};
use crate::engine::{CompiledRule, RuleSet};
use crate::fields::Source;
use crate::filter::{self, CompileCtx, Expanded, Interner};
use crate::output;
use crate::yaml::{self, Node, Value};

/// The engine version strata implements (Falco's rules engine versioning).
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 57, 0);
/// Plugins whose fields strata provides natively, with the version it is compatible with.
pub const BUILTIN_PLUGINS: &[(&str, &str)] = &[
    ("container", "0.6.0"),
    ("k8saudit", "0.18.0"),
    ("k8smeta", "0.4.0"),
    ("json", "0.7.0"),
];
/// Largest rules file accepted.
pub const MAX_FILE_BYTES: usize = 16 << 20;
/// Deepest chain of macros inside macros.
pub const MAX_MACRO_DEPTH: usize = 32;
/// Largest number of AST nodes in one rule after macro expansion.
pub const MAX_EXPANDED_NODES: usize = 1_000_000;

/// A rule's priority, as Falco names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Priority {
    /// Emergency.
    Emergency,
    /// Alert.
    Alert,
    /// Critical.
    Critical,
    /// Error.
    Error,
    /// Warning.
    Warning,
    /// Notice.
    Notice,
    /// Informational (`INFO` in rule files).
    Informational,
    /// Debug.
    Debug,
}

impl Priority {
    /// Parses a rule file priority (case-insensitive; `INFO` is Informational).
    pub fn parse(s: &str) -> Option<Priority> {
        Some(match s.to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "info" | "informational" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }
    /// Falco's name in alerts (`Warning`, `Informational`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Loading fails.
    Error,
    /// Loading succeeds; something deserves attention.
    Warning,
}

/// What kind of problem a diagnostic reports (stable, for tests and tools).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The file could not be read.
    Io,
    /// YAML syntax error.
    YamlSyntax,
    /// The document is not a sequence of items.
    NotASequence,
    /// An item is not a mapping.
    ItemNotMapping,
    /// An item of unknown kind.
    UnknownItem,
    /// A required key is missing or empty.
    MissingKey,
    /// A key has a value of the wrong shape.
    InvalidValue,
    /// An unexpected key.
    UnknownKey,
    /// `append`/`override` of something not defined earlier.
    AppendWithoutBase,
    /// `required_engine_version` is higher than strata's engine.
    EngineVersion,
    /// A required plugin is not available.
    PluginVersion,
    /// Condition syntax error.
    ConditionSyntax,
    /// A macro reference that does not resolve.
    UndefinedMacro,
    /// Macros referring to themselves.
    MacroLoop,
    /// A field that strata does not know.
    UnknownField,
    /// Type errors, bad values, bad regexes.
    InvalidCondition,
    /// Output string error.
    InvalidOutput,
    /// Malformed exception.
    InvalidException,
    /// A rule for an event source strata does not support (skipped).
    UnknownSource,
    /// A rule that runs for every event type.
    NoEventTypeFilter,
    /// An event type name that does not exist.
    UnknownEventType,
}

impl Code {
    /// The advice given when the place that found the problem has nothing more specific:
    /// every diagnostic carries a hint.
    pub fn default_hint(self) -> &'static str {
        match self {
            Code::Io => "check that the path exists and is readable",
            Code::YamlSyntax => "fix the YAML at the position shown (indentation, quoting, colons)",
            Code::NotASequence => {
                "a rules file is a YAML list of `- rule:`, `- macro:` and `- list:` items"
            }
            Code::ItemNotMapping => "each list item is a mapping such as `- rule: NAME`",
            Code::UnknownItem => {
                "items are rule, macro, list, required_engine_version or required_plugin_versions"
            }
            Code::MissingKey => "add the key with a non-empty value",
            Code::InvalidValue => "see Falco's rules reference for the expected type of this key",
            Code::UnknownKey => "remove the key or fix its spelling",
            Code::AppendWithoutBase => {
                "define the item in an earlier file, or load the file that defines it first"
            }
            Code::EngineVersion => "use a rules file written for an older Falco engine",
            Code::PluginVersion => "remove the plugin requirement; strata has no such plugin",
            Code::ConditionSyntax => "fix the condition at the position shown",
            Code::UndefinedMacro => "define the macro or list before use, or fix its name",
            Code::MacroLoop => "a macro must not refer to itself, directly or through other macros",
            Code::UnknownField => {
                "see docs/fields.md for the supported fields, or set skip-if-unknown-filter: true"
            }
            Code::InvalidCondition => {
                "check that the operator suits the field's type and that values and regexes are valid"
            }
            Code::InvalidOutput => {
                "output fields are written %field or %field[arg]; see docs/fields.md"
            }
            Code::InvalidException => {
                "an exception has a name, fields (a field or a list of them), comps and values"
            }
            Code::UnknownSource => "strata evaluates the syscall and k8s_audit sources",
            Code::NoEventTypeFilter => {
                "restrict the condition with evt.type = ... or evt.type in (...) so it is indexed"
            }
            Code::UnknownEventType => "see docs/fields.md for the event type names",
        }
    }
}

/// One problem found while loading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem.
    pub code: Code,
    /// File name as given.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub col: usize,
    /// The item (`rule 'Foo'`, `macro 'bar'`), if any.
    pub item: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}:{}: {sev}", self.file, self.line, self.col)?;
        if let Some(item) = &self.item {
            write!(f, " in {item}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// A source location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// File.
    pub file: Arc<str>,
    /// Line.
    pub line: usize,
    /// Column.
    pub col: usize,
}

/// A piece of a condition and where it was written.
#[derive(Debug, Clone)]
struct Seg {
    text: String,
    loc: Loc,
    /// Where each source line of the scalar starts: (line, column, length in bytes). Offsets
    /// in the folded text walk these, one separator between lines.
    layout: Vec<(usize, usize, usize)>,
}

#[derive(Debug, Clone, Default)]
struct CondText {
    segs: Vec<Seg>,
}

impl CondText {
    fn new(text: String, loc: Loc, layout: Vec<(usize, usize, usize)>) -> Self {
        CondText {
            segs: vec![Seg { text, loc, layout }],
        }
    }
    fn text(&self) -> String {
        let parts: Vec<&str> = self.segs.iter().map(|s| s.text.as_str()).collect();
        parts.join(" ")
    }
    fn append(&mut self, text: String, loc: Loc, layout: Vec<(usize, usize, usize)>) {
        self.segs.push(Seg { text, loc, layout });
    }
    /// Maps an offset in `text()` to a file position.
    fn locate(&self, mut off: usize) -> Loc {
        for s in &self.segs {
            if off <= s.text.len() {
                let mut loc = s.loc.clone();
                let mut rest = off;
                for &(line, col, len) in &s.layout {
                    loc.line = line;
                    loc.col = col + rest.min(len);
                    if rest <= len {
                        break;
                    }
                    rest -= len + 1;
                }
                return loc;
            }
            off = off.saturating_sub(s.text.len() + 1);
        }
        self.segs.first().map_or(
            Loc {
                file: Arc::from(""),
                line: 0,
                col: 0,
            },
            |s| s.loc.clone(),
        )
    }
    fn loc(&self) -> Loc {
        self.locate(0)
    }
}

#[derive(Debug, Clone)]
struct ListDef {
    name: String,
    items: Vec<String>,
    index: usize,
    visibility: usize,
}

#[derive(Debug, Clone)]
struct MacroDef {
    name: String,
    cond: CondText,
    loc: Loc,
}

#[derive(Debug, Clone)]
enum ExFields {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone)]
enum ExComps {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone)]
struct ExceptionDef {
    name: String,
    fields: ExFields,
    comps: Option<ExComps>,
    values: Vec<Node>,
    loc: Loc,
}

#[derive(Debug, Clone)]
struct RuleDef {
    name: String,
    desc: String,
    cond: CondText,
    output: String,
    output_loc: Loc,
    priority: Priority,
    source: String,
    tags: Vec<String>,
    enabled: bool,
    exceptions: Vec<ExceptionDef>,
    warn_evttypes: bool,
    skip_if_unknown_filter: bool,
    loc: Loc,
}

/// Ordered definitions with redefinition keeping the original position.
#[derive(Debug)]
struct Ordered<T> {
    items: Vec<T>,
    by_name: HashMap<String, usize>,
}

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered {
            items: Vec::new(),
            by_name: HashMap::new(),
        }
    }
}

impl<T> Ordered<T> {
    fn get(&self, name: &str) -> Option<&T> {
        self.by_name.get(name).and_then(|&i| self.items.get(i))
    }
    fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        self.by_name
            .get(name)
            .copied()
            .and_then(|i| self.items.get_mut(i))
    }
    fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }
    fn define(&mut self, name: &str, v: T) -> usize {
        match self.by_name.get(name) {
            Some(&i) => {
                if let Some(slot) = self.items.get_mut(i) {
                    *slot = v;
                }
                i
            }
            None => {
                let i = self.items.len();
                self.items.push(v);
                self.by_name.insert(name.to_string(), i);
                i
            }
        }
    }
}

/// Loads rule files in order (later definitions win) and compiles them.
#[derive(Debug, Default)]
pub struct Loader {
    lists: Ordered<ListDef>,
    macros: Ordered<MacroDef>,
    rules: Ordered<RuleDef>,
    diagnostics: Vec<Diagnostic>,
}

/// The outcome of loading: the rules (when there was no error) and every diagnostic.
#[derive(Debug)]
pub struct LoadResult {
    /// Compiled rules; rules with errors are left out.
    pub ruleset: RuleSet,
    /// Errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadResult {
    /// True when there is no error.
    pub fn ok(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }
}

struct Ctx<'a> {
    file: &'a Arc<str>,
}

impl Ctx<'_> {
    fn loc(&self, n: &Node) -> Loc {
        Loc {
            file: self.file.clone(),
            line: n.pos.line,
            col: n.pos.col,
        }
    }
}

fn semver(s: &str) -> Option<(u64, u64, u64)> {
    let mut it = s.trim().split('.');
    let a = it.next()?.parse().ok()?;
    let b = it.next().map_or(Some(0), |x| x.parse().ok())?;
    let c = it.next().map_or(Some(0), |x| {
        x.split(['-', '+']).next().and_then(|y| y.parse().ok())
    })?;
    if it.next().is_some() {
        return None;
    }
    Some((a, b, c))
}

/// Where a scalar's text starts (after an opening quote; the first line of a block).
fn text_start(cx: &Ctx<'_>, n: &Node, src: &str) -> Loc {
    let mut loc = cx.loc(n);
    if let Some(&(line, col, _)) = layout(n, src, n.as_str().unwrap_or("")).first() {
        loc.line = line;
        loc.col = col;
    }
    loc
}

/// Where the lines of a scalar's text are in the source, for mapping offsets to positions.
fn layout(n: &Node, src: &str, text: &str) -> Vec<(usize, usize, usize)> {
    let lines: Vec<&str> = src.lines().collect();
    let first = lines
        .get(n.pos.line.saturating_sub(1))
        .copied()
        .unwrap_or("");
    let start = first
        .char_indices()
        .nth(n.pos.col.saturating_sub(1))
        .map_or(first.len(), |(i, _)| i);
    let rest = first.get(start..).unwrap_or("");
    let mut out = Vec::new();
    if rest.starts_with('>') || rest.starts_with('|') {
        // Block scalar: content lines follow, at the indentation of the first one.
        let mut indent = None;
        for (i, l) in lines.iter().enumerate().skip(n.pos.line) {
            let trimmed = l.trim_start();
            let ind = l.len() - trimmed.len();
            if trimmed.is_empty() {
                continue;
            }
            match indent {
                None => indent = Some(ind),
                Some(x) if ind < x => break,
                _ => {}
            }
            out.push((i + 1, ind + 1, trimmed.trim_end().len()));
        }
        return out;
    }
    // Plain or quoted scalar, possibly continued on following lines.
    let quote = usize::from(rest.starts_with('"') || rest.starts_with('\''));
    let mut total = 0usize;
    let first_len = rest.trim_end().len().saturating_sub(quote);
    out.push((n.pos.line, n.pos.col + quote, first_len));
    total += first_len;
    for (i, l) in lines.iter().enumerate().skip(n.pos.line) {
        if total >= text.len() {
            break;
        }
        let trimmed = l.trim_start();
        let ind = l.len() - trimmed.len();
        let len = trimmed.trim_end().len();
        out.push((i + 1, ind + 1, len));
        total += len + 1;
    }
    out
}

impl Loader {
    /// A new, empty loader.
    pub fn new() -> Self {
        Self::default()
    }

    fn diag(
        &mut self,
        severity: Severity,
        code: Code,
        loc: &Loc,
        item: Option<String>,
        message: impl Into<String>,
        hint: Option<&str>,
    ) {
        self.diagnostics.push(Diagnostic {
            severity,
            code,
            file: loc.file.to_string(),
            line: loc.line,
            col: loc.col,
            item,
            message: message.into(),
            hint: Some(hint.unwrap_or_else(|| code.default_hint()).to_string()),
        });
    }

    fn err(
        &mut self,
        code: Code,
        loc: &Loc,
        item: Option<String>,
        message: impl Into<String>,
        hint: Option<&str>,
    ) {
        self.diag(Severity::Error, code, loc, item, message, hint);
    }

    /// Reads and adds one file.
    pub fn add_file(&mut self, path: &std::path::Path) {
        let name: Arc<str> = Arc::from(path.display().to_string());
        let loc = Loc {
            file: name.clone(),
            line: 0,
            col: 0,
        };
        match std::fs::metadata(path) {
            Ok(m) if m.len() > MAX_FILE_BYTES as u64 => {
                self.err(
                    Code::Io,
                    &loc,
                    None,
                    format!("file is larger than {MAX_FILE_BYTES} bytes"),
                    None,
                );
                return;
            }
            _ => {}
        }
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(s) => self.add_str(&name, &s),
                Err(e) => {
                    let off = e.utf8_error().valid_up_to();
                    self.err(
                        Code::Io,
                        &loc,
                        None,
                        format!("not valid UTF-8 at byte offset {off}"),
                        None,
                    );
                }
            },
            Err(e) => self.err(Code::Io, &loc, None, format!("cannot read: {e}"), None),
        }
    }

    /// Adds rules from a string; `name` is used in diagnostics.
    pub fn add_str(&mut self, name: &str, src: &str) {
        let file: Arc<str> = Arc::from(name);
        let floc = Loc {
            file: file.clone(),
            line: 1,
            col: 1,
        };
        if src.len() > MAX_FILE_BYTES {
            self.err(
                Code::Io,
                &floc,
                None,
                format!("file is larger than {MAX_FILE_BYTES} bytes"),
                None,
            );
            return;
        }
        let docs = match yaml::parse_documents(src) {
            Ok(d) => d,
            Err(e) => {
                let loc = Loc {
                    file: file.clone(),
                    line: e.line,
                    col: e.col,
                };
                self.err(
                    Code::YamlSyntax,
                    &loc,
                    None,
                    format!("YAML syntax error: {}", e.message),
                    Some("check indentation and quoting around this position"),
                );
                return;
            }
        };
        let cx = Ctx { file: &file };
        for doc in &docs {
            match &doc.value {
                Value::Null => {}
                Value::Seq(items) => {
                    for item in items {
                        self.add_item(&cx, item, src);
                    }
                }
                _ => {
                    self.err(
                        Code::NotASequence,
                        &cx.loc(doc),
                        None,
                        format!(
                            "rules file must be a sequence of items, found a {}",
                            doc.kind()
                        ),
                        Some("start each item with '- rule:', '- macro:' or '- list:'"),
                    );
                }
            }
        }
    }

    fn add_item(&mut self, cx: &Ctx<'_>, item: &Node, src: &str) {
        let loc = cx.loc(item);
        let Value::Map(_) = &item.value else {
            self.err(
                Code::ItemNotMapping,
                &loc,
                None,
                format!(
                    "unexpected {} item; each item must be a mapping",
                    item.kind()
                ),
                Some("write items as '- rule: NAME' with keys below"),
            );
            return;
        };
        if let Some(v) = item.get("required_engine_version") {
            self.engine_version(cx, v);
        } else if let Some(v) = item.get("required_plugin_versions") {
            self.plugin_versions(cx, v);
        } else if item.get("list").is_some() {
            self.list(cx, item);
        } else if item.get("macro").is_some() {
            self.macro_item(cx, item, src);
        } else if item.get("rule").is_some() {
            self.rule(cx, item, src);
        } else {
            self.diag(
                Severity::Warning,
                Code::UnknownItem,
                &loc,
                None,
                "unknown top-level item, ignored",
                Some("items are 'rule', 'macro', 'list', 'required_engine_version' or 'required_plugin_versions'"),
            );
        }
    }

    fn engine_version(&mut self, cx: &Ctx<'_>, v: &Node) {
        let loc = cx.loc(v);
        let req = v.as_str().and_then(|s| {
            if let Ok(n) = s.trim().parse::<u64>() {
                Some((0, n, 0))
            } else {
                semver(s)
            }
        });
        match req {
            None => self.err(
                Code::InvalidValue,
                &loc,
                None,
                format!(
                    "required_engine_version must be a number or a semver string, found '{}'",
                    v.as_str().unwrap_or(v.kind())
                ),
                Some("write e.g. 'required_engine_version: 0.57.0'"),
            ),
            Some(r) if r > ENGINE_VERSION => self.err(
                Code::EngineVersion,
                &loc,
                None,
                format!(
                    "rules require engine version {}.{}.{}, strata implements {}.{}.{}",
                    r.0, r.1, r.2, ENGINE_VERSION.0, ENGINE_VERSION.1, ENGINE_VERSION.2
                ),
                Some("use a rules release made for this engine version"),
            ),
            Some(_) => {}
        }
    }

    fn plugin_versions(&mut self, cx: &Ctx<'_>, v: &Node) {
        let loc = cx.loc(v);
        let Value::Seq(items) = &v.value else {
            self.err(
                Code::InvalidValue,
                &loc,
                None,
                "required_plugin_versions must be a sequence",
                None,
            );
            return;
        };
        for it in items {
            let iloc = cx.loc(it);
            let (Some(name), Some(ver)) = (
                it.get("name").and_then(Node::as_str),
                it.get("version").and_then(Node::as_str),
            ) else {
                self.err(
                    Code::MissingKey,
                    &iloc,
                    None,
                    "a required plugin needs 'name' and 'version'",
                    None,
                );
                continue;
            };
            let mut candidates = vec![(name.to_string(), ver.to_string())];
            if let Some(Value::Seq(alts)) = it.get("alternatives").map(|a| &a.value) {
                for a in alts {
                    if let (Some(n), Some(v)) = (
                        a.get("name").and_then(Node::as_str),
                        a.get("version").and_then(Node::as_str),
                    ) {
                        candidates.push((n.to_string(), v.to_string()));
                    }
                }
            }
            let satisfied = candidates.iter().any(|(n, v)| {
                BUILTIN_PLUGINS.iter().any(|(bn, bv)| {
                    bn == n
                        && match (semver(v), semver(bv)) {
                            (Some(req), Some(have)) => req.0 == have.0 && have >= req,
                            _ => false,
                        }
                })
            });
            if !satisfied {
                self.err(
                    Code::PluginVersion,
                    &iloc,
                    None,
                    format!(
                        "plugin '{name}' version {ver} is required but strata does not provide it"
                    ),
                    Some("strata provides: container, k8saudit, k8smeta, json"),
                );
            }
        }
    }

    fn name_of(&mut self, cx: &Ctx<'_>, item: &Node, kind: &str) -> Option<String> {
        let n = item.get(kind)?;
        match n.as_str() {
            Some(s) if !s.trim().is_empty() => Some(s.to_string()),
            _ => {
                self.err(
                    Code::MissingKey,
                    &cx.loc(n),
                    None,
                    format!("{kind} name is missing or empty"),
                    Some("give the item a name: '- {kind}: my_name'"),
                );
                None
            }
        }
    }

    /// Reads `append` and `override`; returns (append, override map) or None after an error.
    fn modifiers(
        &mut self,
        cx: &Ctx<'_>,
        item: &Node,
        what: &str,
        allowed_keys: &[&str],
    ) -> Option<(bool, Vec<(String, bool)>)> {
        let append = match item.get("append") {
            None => false,
            Some(a) => match a.as_bool() {
                Some(b) => b,
                None => {
                    self.err(
                        Code::InvalidValue,
                        &cx.loc(a),
                        Some(what.to_string()),
                        "'append' must be true or false",
                        None,
                    );
                    return None;
                }
            },
        };
        let mut ov = Vec::new();
        if let Some(o) = item.get("override") {
            let Value::Map(entries) = &o.value else {
                self.err(
                    Code::InvalidValue,
                    &cx.loc(o),
                    Some(what.to_string()),
                    "'override' must be a mapping of key: append|replace",
                    None,
                );
                return None;
            };
            if append {
                self.err(
                    Code::InvalidValue,
                    &cx.loc(o),
                    Some(what.to_string()),
                    "'override' and 'append: true' cannot be used together",
                    Some("remove 'append'"),
                );
                return None;
            }
            for (k, v) in entries {
                let key = k.as_str().unwrap_or("").to_string();
                let mode = v.as_str().unwrap_or("");
                let is_append = match mode {
                    "append" => true,
                    "replace" => false,
                    _ => {
                        self.err(
                            Code::InvalidValue,
                            &cx.loc(v),
                            Some(what.to_string()),
                            format!("override of '{key}' must be 'append' or 'replace'"),
                            None,
                        );
                        return None;
                    }
                };
                if !allowed_keys.contains(&key.as_str()) {
                    self.err(
                        Code::InvalidValue,
                        &cx.loc(k),
                        Some(what.to_string()),
                        format!("key '{key}' cannot be overridden"),
                        Some(&format!("overridable keys: {}", allowed_keys.join(", "))),
                    );
                    return None;
                }
                if item.get(&key).is_none() {
                    self.err(
                        Code::MissingKey,
                        &cx.loc(k),
                        Some(what.to_string()),
                        format!("override of '{key}' but the item has no '{key}' key"),
                        None,
                    );
                    return None;
                }
                ov.push((key, is_append));
            }
        }
        Some((append, ov))
    }

    fn list(&mut self, cx: &Ctx<'_>, item: &Node) {
        let loc = cx.loc(item);
        let Some(name) = self.name_of(cx, item, "list") else {
            return;
        };
        let what = format!("list '{name}'");
        let Some((append, ov)) = self.modifiers(cx, item, &what, &["items"]) else {
            return;
        };
        let items = match item.get("items").map(|n| &n.value) {
            Some(Value::Seq(v)) => {
                let mut out = Vec::new();
                for n in v {
                    match n.as_str() {
                        Some(s) => out.push(s.to_string()),
                        None => {
                            self.err(
                                Code::InvalidValue,
                                &cx.loc(n),
                                Some(what.clone()),
                                format!("list items must be scalars, found a {}", n.kind()),
                                None,
                            );
                            return;
                        }
                    }
                }
                out
            }
            Some(Value::Null) => Vec::new(),
            _ => {
                self.err(
                    Code::MissingKey,
                    &loc,
                    Some(what),
                    "list has no 'items' sequence",
                    Some("add 'items: [a, b]'"),
                );
                return;
            }
        };
        let vis = self.lists.items.len() + usize::from(self.lists.index(&name).is_none());
        let is_append = append || ov.iter().any(|(_, a)| *a);
        if append || !ov.is_empty() {
            let Some(prev) = self.lists.get_mut(&name) else {
                self.err(
                    Code::AppendWithoutBase,
                    &loc,
                    Some(what),
                    "list has 'append'/'override' but no list by that name is defined earlier",
                    Some("define the list first, or remove 'append'"),
                );
                return;
            };
            if is_append {
                prev.items.extend(items);
            } else {
                prev.items = items;
            }
            prev.visibility = vis;
            return;
        }
        let index = self.lists.index(&name).unwrap_or(self.lists.items.len());
        self.lists.define(
            &name,
            ListDef {
                name: name.clone(),
                items,
                index,
                visibility: vis,
            },
        );
    }

    fn cond_of(&mut self, cx: &Ctx<'_>, n: &Node, what: &str, src: &str) -> Option<CondText> {
        match n.as_str() {
            Some(s) => Some(CondText::new(s.to_string(), cx.loc(n), layout(n, src, s))),
            None => {
                self.err(
                    Code::MissingKey,
                    &cx.loc(n),
                    Some(what.to_string()),
                    "condition must be a non-empty string",
                    None,
                );
                None
            }
        }
    }

    fn macro_item(&mut self, cx: &Ctx<'_>, item: &Node, src: &str) {
        let loc = cx.loc(item);
        let Some(name) = self.name_of(cx, item, "macro") else {
            return;
        };
        let what = format!("macro '{name}'");
        let Some((append, ov)) = self.modifiers(cx, item, &what, &["condition"]) else {
            return;
        };
        let Some(cn) = item.get("condition") else {
            self.err(
                Code::MissingKey,
                &loc,
                Some(what),
                "macro has no 'condition'",
                Some("add 'condition: ...'"),
            );
            return;
        };
        let Some(cond) = self.cond_of(cx, cn, &what, src) else {
            return;
        };
        if append || !ov.is_empty() {
            let is_append = append || ov.iter().any(|(_, a)| *a);
            let Some(prev) = self.macros.get_mut(&name) else {
                self.err(
                    Code::AppendWithoutBase,
                    &loc,
                    Some(what),
                    "macro has 'append'/'override' but no macro by that name is defined earlier",
                    Some("define the macro first, or remove 'append'"),
                );
                return;
            };
            if is_append {
                for s in cond.segs {
                    prev.cond.append(s.text, s.loc, s.layout);
                }
            } else {
                prev.cond = cond;
            }
            return;
        }
        self.macros.define(
            &name,
            MacroDef {
                name: name.clone(),
                cond,
                loc,
            },
        );
    }

    fn string_key(&mut self, cx: &Ctx<'_>, item: &Node, key: &str, what: &str) -> Option<String> {
        let n = item.get(key)?;
        match &n.value {
            Value::Scalar { text, .. } => Some(text.clone()),
            Value::Null => Some(String::new()),
            _ => {
                self.err(
                    Code::InvalidValue,
                    &cx.loc(n),
                    Some(what.to_string()),
                    format!("'{key}' must be a string, found a {}", n.kind()),
                    None,
                );
                None
            }
        }
    }

    fn bool_key(
        &mut self,
        cx: &Ctx<'_>,
        item: &Node,
        key: &str,
        what: &str,
    ) -> Option<Option<bool>> {
        match item.get(key) {
            None => Some(None),
            Some(n) => match n.as_bool() {
                Some(b) => Some(Some(b)),
                None => {
                    self.err(
                        Code::InvalidValue,
                        &cx.loc(n),
                        Some(what.to_string()),
                        format!("'{key}' must be true or false"),
                        None,
                    );
                    None
                }
            },
        }
    }

    fn tags(&mut self, cx: &Ctx<'_>, item: &Node, what: &str) -> Option<Vec<String>> {
        match item.get("tags").map(|n| (n, &n.value)) {
            None | Some((_, Value::Null)) => Some(Vec::new()),
            Some((_, Value::Seq(v))) => Some(
                v.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect(),
            ),
            Some((n, _)) => {
                self.err(
                    Code::InvalidValue,
                    &cx.loc(n),
                    Some(what.to_string()),
                    "'tags' must be a sequence",
                    None,
                );
                None
            }
        }
    }

    fn exceptions(
        &mut self,
        cx: &Ctx<'_>,
        item: &Node,
        what: &str,
        base: Option<&RuleDef>,
        appending: bool,
    ) -> Option<Vec<ExceptionDef>> {
        let Some(n) = item.get("exceptions") else {
            return Some(Vec::new());
        };
        let list = match &n.value {
            Value::Seq(v) => v,
            Value::Null => return Some(Vec::new()),
            _ => {
                self.err(
                    Code::InvalidException,
                    &cx.loc(n),
                    Some(what.to_string()),
                    "'exceptions' must be a sequence",
                    None,
                );
                return None;
            }
        };
        let mut out = Vec::new();
        for ex in list {
            let eloc = cx.loc(ex);
            let Some(name) = ex.get("name").and_then(Node::as_str).map(str::to_string) else {
                self.err(
                    Code::InvalidException,
                    &eloc,
                    Some(what.to_string()),
                    "exception item has no 'name'",
                    Some("add 'name: my_exception'"),
                );
                return None;
            };
            let existing = base.and_then(|b| b.exceptions.iter().find(|e| e.name == name));
            let fields = match ex.get("fields").map(|f| (f, &f.value)) {
                Some((_, Value::Scalar { text, .. })) => Some(ExFields::One(text.clone())),
                Some((_, Value::Seq(v))) => Some(ExFields::Many(
                    v.iter()
                        .map(|x| x.as_str().unwrap_or("").to_string())
                        .collect(),
                )),
                Some((f, _)) => {
                    self.err(
                        Code::InvalidException,
                        &cx.loc(f),
                        Some(what.to_string()),
                        format!("exception '{name}': 'fields' must be a field or a list of fields"),
                        None,
                    );
                    return None;
                }
                None => None,
            };
            let fields = match (fields, existing) {
                (Some(f), _) => f,
                (None, Some(e)) if appending => e.fields.clone(),
                (None, _) => {
                    self.err(
                        Code::InvalidException,
                        &eloc,
                        Some(what.to_string()),
                        format!("exception '{name}' has no 'fields'"),
                        Some("list the fields the values apply to: 'fields: [proc.name]'"),
                    );
                    return None;
                }
            };
            let comps = match ex.get("comps").map(|c| (c, &c.value)) {
                Some((_, Value::Scalar { text, .. })) => Some(ExComps::One(text.clone())),
                Some((_, Value::Seq(v))) => Some(ExComps::Many(
                    v.iter()
                        .map(|x| x.as_str().unwrap_or("").to_string())
                        .collect(),
                )),
                Some((c, _)) => {
                    self.err(
                        Code::InvalidException,
                        &cx.loc(c),
                        Some(what.to_string()),
                        format!("exception '{name}': 'comps' must be an operator or a list"),
                        None,
                    );
                    return None;
                }
                None => existing.filter(|_| appending).and_then(|e| e.comps.clone()),
            };
            // Shape checks.
            match (&fields, &comps) {
                (ExFields::Many(f), Some(ExComps::Many(c))) if f.len() != c.len() => {
                    self.err(
                        Code::InvalidException,
                        &eloc,
                        Some(what.to_string()),
                        format!(
                            "exception '{name}': {} fields but {} comps",
                            f.len(),
                            c.len()
                        ),
                        Some("give one comparison operator per field"),
                    );
                    return None;
                }
                (ExFields::One(_), Some(ExComps::Many(_)))
                | (ExFields::Many(_), Some(ExComps::One(_))) => {
                    self.err(
                        Code::InvalidException,
                        &eloc,
                        Some(what.to_string()),
                        format!("exception '{name}': 'fields' and 'comps' must both be lists or both be single values"),
                        None,
                    );
                    return None;
                }
                _ => {}
            }
            let comp_names: Vec<&String> = match &comps {
                Some(ExComps::One(c)) => vec![c],
                Some(ExComps::Many(c)) => c.iter().collect(),
                None => Vec::new(),
            };
            for c in comp_names {
                if Op::from_name(c).is_none_or(|o| o == Op::Exists) {
                    self.err(
                        Code::InvalidException,
                        &eloc,
                        Some(what.to_string()),
                        format!("exception '{name}': unknown comparison operator '{c}'"),
                        Some("use =, !=, <, <=, >, >=, contains, icontains, startswith, endswith, glob, in, pmatch, ..."),
                    );
                    return None;
                }
            }
            let values: Vec<Node> = match ex.get("values").map(|v| &v.value) {
                Some(Value::Seq(v)) => v.clone(),
                Some(Value::Null) | None => Vec::new(),
                Some(_) => {
                    self.err(
                        Code::InvalidException,
                        &eloc,
                        Some(what.to_string()),
                        format!("exception '{name}': 'values' must be a sequence"),
                        None,
                    );
                    return None;
                }
            };
            if let ExFields::Many(f) = &fields {
                for v in &values {
                    let n = match &v.value {
                        Value::Seq(t) => t.len(),
                        _ => 1,
                    };
                    if n != f.len() {
                        self.err(
                            Code::InvalidException,
                            &cx.loc(v),
                            Some(what.to_string()),
                            format!(
                                "exception '{name}': a value has {n} items but there are {} fields",
                                f.len()
                            ),
                            Some("give one value per field, e.g. [nginx, /tmp/foo]"),
                        );
                        return None;
                    }
                }
            }
            out.push(ExceptionDef {
                name,
                fields,
                comps,
                values,
                loc: eloc,
            });
        }
        Some(out)
    }

    fn rule(&mut self, cx: &Ctx<'_>, item: &Node, src: &str) {
        let loc = cx.loc(item);
        let Some(name) = self.name_of(cx, item, "rule") else {
            return;
        };
        let what = format!("rule '{name}'");
        const OVERRIDABLE: &[&str] = &[
            "condition",
            "output",
            "desc",
            "priority",
            "tags",
            "exceptions",
            "enabled",
            "warn_evttypes",
            "skip-if-unknown-filter",
        ];
        const APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
        let Some((append, ov)) = self.modifiers(cx, item, &what, OVERRIDABLE) else {
            return;
        };
        for (k, a) in &ov {
            if *a && !APPENDABLE.contains(&k.as_str()) {
                self.err(
                    Code::InvalidValue,
                    &loc,
                    Some(what.clone()),
                    format!("key '{k}' can only be replaced, not appended"),
                    Some(&format!("appendable keys: {}", APPENDABLE.join(", "))),
                );
                return;
            }
        }
        if let Value::Map(entries) = &item.value {
            for (k, _) in entries {
                let key = k.as_str().unwrap_or("");
                const KNOWN: &[&str] = &[
                    "rule",
                    "desc",
                    "condition",
                    "output",
                    "priority",
                    "enabled",
                    "tags",
                    "source",
                    "exceptions",
                    "warn_evttypes",
                    "skip-if-unknown-filter",
                    "append",
                    "override",
                    "capture",
                    "capture_duration",
                ];
                if !KNOWN.contains(&key) {
                    self.diag(
                        Severity::Warning,
                        Code::UnknownKey,
                        &cx.loc(k),
                        Some(what.clone()),
                        format!("unknown key '{key}' ignored"),
                        None,
                    );
                } else if !ov.is_empty()
                    && !matches!(key, "rule" | "override" | "source" | "append")
                    && !ov.iter().any(|(o, _)| o == key)
                {
                    self.err(
                        Code::InvalidValue,
                        &cx.loc(k),
                        Some(what.clone()),
                        format!("key '{key}' is given without being listed in 'override'"),
                        Some(&format!("add '{key}: replace' (or append) to 'override'")),
                    );
                    return;
                }
            }
        }
        // `append: true` or `override`.
        if append || !ov.is_empty() {
            let Some(idx) = self.rules.index(&name) else {
                self.err(
                    Code::AppendWithoutBase,
                    &loc,
                    Some(what),
                    "rule has 'append'/'override' but no rule by that name is defined earlier",
                    Some("define the rule first (load its file earlier), or remove 'append'"),
                );
                return;
            };
            let base = self.rules.items.get(idx).cloned();
            let mode = |k: &str| -> Option<bool> {
                if append {
                    Some(true).filter(|_| matches!(k, "condition" | "exceptions"))
                } else {
                    ov.iter().find(|(o, _)| o == k).map(|(_, a)| *a)
                }
            };
            if append && item.get("condition").is_none() && item.get("exceptions").is_none() {
                self.err(
                    Code::MissingKey,
                    &loc,
                    Some(what),
                    "appended rule must have 'condition' or 'exceptions'",
                    Some(
                        "add the condition text to append, e.g. 'condition: and not proc.name=foo'",
                    ),
                );
                return;
            }
            let cond = match (mode("condition"), item.get("condition")) {
                (Some(_), Some(n)) => match self.cond_of(cx, n, &what, src) {
                    Some(c) => Some(c),
                    None => return,
                },
                _ => None,
            };
            let appending_ex = mode("exceptions") == Some(true);
            let exceptions = if mode("exceptions").is_some() {
                match self.exceptions(cx, item, &what, base.as_ref(), appending_ex) {
                    Some(e) => Some(e),
                    None => return,
                }
            } else {
                None
            };
            let output = match mode("output") {
                Some(_) => self.string_key(cx, item, "output", &what),
                None => None,
            };
            let desc = match mode("desc") {
                Some(_) => self.string_key(cx, item, "desc", &what),
                None => None,
            };
            let tags = match mode("tags") {
                Some(_) => match self.tags(cx, item, &what) {
                    Some(t) => Some(t),
                    None => return,
                },
                None => None,
            };
            let priority = match (mode("priority"), item.get("priority")) {
                (Some(_), Some(p)) => match p.as_str().and_then(Priority::parse) {
                    Some(p) => Some(p),
                    None => {
                        self.err(
                            Code::InvalidValue,
                            &cx.loc(p),
                            Some(what),
                            format!("invalid priority '{}'", p.as_str().unwrap_or("")),
                            Some("use EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFO or DEBUG"),
                        );
                        return;
                    }
                },
                _ => None,
            };
            let mut flags = [None, None, None];
            for (i, k) in ["enabled", "warn_evttypes", "skip-if-unknown-filter"]
                .iter()
                .enumerate()
            {
                if mode(k).is_some() {
                    match self.bool_key(cx, item, k, &what) {
                        Some(v) => flags[i] = v,
                        None => return,
                    }
                }
            }
            let out_loc = item.get("output").map(|n| text_start(cx, n, src));
            let Some(prev) = self.rules.get_mut(&name) else {
                return;
            };
            if let Some(c) = cond {
                if mode("condition") == Some(true) {
                    for s in c.segs {
                        prev.cond.append(s.text, s.loc, s.layout);
                    }
                } else {
                    prev.cond = c;
                }
            }
            if let Some(e) = exceptions {
                if appending_ex {
                    for ex in e {
                        match prev.exceptions.iter_mut().find(|p| p.name == ex.name) {
                            Some(p) => p.values.extend(ex.values),
                            None => prev.exceptions.push(ex),
                        }
                    }
                } else {
                    prev.exceptions = e;
                }
            }
            if let Some(o) = output {
                if mode("output") == Some(true) {
                    prev.output.push(' ');
                    prev.output.push_str(&o);
                } else {
                    prev.output = o;
                }
                if let Some(l) = out_loc {
                    prev.output_loc = l;
                }
            }
            if let Some(d) = desc {
                if mode("desc") == Some(true) {
                    prev.desc.push(' ');
                    prev.desc.push_str(&d);
                } else {
                    prev.desc = d;
                }
            }
            if let Some(t) = tags {
                if mode("tags") == Some(true) {
                    for x in t {
                        if !prev.tags.contains(&x) {
                            prev.tags.push(x);
                        }
                    }
                } else {
                    prev.tags = t;
                }
            }
            if let Some(p) = priority {
                prev.priority = p;
            }
            if let Some(v) = flags[0] {
                prev.enabled = v;
            }
            if let Some(v) = flags[1] {
                prev.warn_evttypes = v;
            }
            if let Some(v) = flags[2] {
                prev.skip_if_unknown_filter = v;
            }
            return;
        }
        // Only `enabled`: toggles an existing rule.
        let keys: Vec<&str> = match &item.value {
            Value::Map(e) => e.iter().filter_map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        };
        if keys.iter().all(|k| matches!(*k, "rule" | "enabled")) && keys.contains(&"enabled") {
            let Some(Some(enabled)) = self.bool_key(cx, item, "enabled", &what) else {
                return;
            };
            match self.rules.get_mut(&name) {
                Some(prev) => prev.enabled = enabled,
                None => self.err(
                    Code::AppendWithoutBase,
                    &loc,
                    Some(what),
                    "rule has only 'enabled' but no rule by that name is defined earlier",
                    Some("define the rule first, or give the full rule"),
                ),
            }
            return;
        }
        // A full definition.
        let mut missing = Vec::new();
        for k in ["condition", "output", "desc", "priority"] {
            if item.get(k).is_none() {
                missing.push(k);
            }
        }
        if !missing.is_empty() {
            self.err(
                Code::MissingKey,
                &loc,
                Some(what),
                format!("rule is missing required key(s): {}", missing.join(", ")),
                Some("a rule needs desc, condition, output and priority"),
            );
            return;
        }
        let Some(cond) = item
            .get("condition")
            .and_then(|n| self.cond_of(cx, n, &what, src))
        else {
            return;
        };
        let Some(output) = self.string_key(cx, item, "output", &what) else {
            return;
        };
        let output_loc = item
            .get("output")
            .map_or(loc.clone(), |n| text_start(cx, n, src));
        let desc = self.string_key(cx, item, "desc", &what).unwrap_or_default();
        let pnode = item.get("priority");
        let Some(priority) = pnode.and_then(Node::as_str).and_then(Priority::parse) else {
            let p = pnode.map_or(loc.clone(), |n| cx.loc(n));
            self.err(
                Code::InvalidValue,
                &p,
                Some(what),
                format!(
                    "invalid priority '{}'",
                    pnode.and_then(Node::as_str).unwrap_or("")
                ),
                Some("use EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFO or DEBUG"),
            );
            return;
        };
        let source = self
            .string_key(cx, item, "source", &what)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "syscall".to_string());
        let Some(tags) = self.tags(cx, item, &what) else {
            return;
        };
        let Some(enabled) = self.bool_key(cx, item, "enabled", &what) else {
            return;
        };
        let Some(warn) = self.bool_key(cx, item, "warn_evttypes", &what) else {
            return;
        };
        let Some(skip) = self.bool_key(cx, item, "skip-if-unknown-filter", &what) else {
            return;
        };
        let Some(exceptions) = self.exceptions(cx, item, &what, None, false) else {
            return;
        };
        self.rules.define(
            &name,
            RuleDef {
                name: name.clone(),
                desc,
                cond,
                output,
                output_loc,
                priority,
                source,
                tags,
                enabled: enabled.unwrap_or(true),
                exceptions,
                warn_evttypes: warn.unwrap_or(true),
                skip_if_unknown_filter: skip.unwrap_or(false),
                loc,
            },
        );
    }

    /// Compiles everything loaded so far.
    pub fn finish(mut self) -> LoadResult {
        let mut interner = Interner::default();
        // Lists: each may reference lists defined before it (Falco's visibility rule).
        let mut order: Vec<usize> = (0..self.lists.items.len()).collect();
        order.sort_by_key(|&i| self.lists.items.get(i).map_or(0, |l| l.index));
        let mut compiled: HashMap<String, Vec<String>> = HashMap::new();
        for i in order {
            let Some(l) = self.lists.items.get(i) else {
                continue;
            };
            let mut items = Vec::new();
            for it in &l.items {
                let r = self
                    .lists
                    .by_name
                    .get(it)
                    .and_then(|&j| self.lists.items.get(j))
                    .filter(|r| r.index != l.index && r.index < l.visibility);
                match r {
                    // Defined before: its compiled items.
                    Some(r) if r.index < l.index => match compiled.get(&r.name) {
                        Some(sub) => items.extend(sub.iter().cloned()),
                        None => items.push(it.clone()),
                    },
                    // Defined later but visible when this list was (re)defined: its own items.
                    Some(r) => items.extend(r.items.iter().cloned()),
                    None => items.push(it.clone()),
                }
            }
            compiled.insert(l.name.clone(), items);
        }
        // Macros: parse each.
        let mut macro_ast: HashMap<String, Expr> = HashMap::new();
        let macros = std::mem::take(&mut self.macros);
        for m in &macros.items {
            match condition::parse(&m.cond.text()) {
                Ok(e) => {
                    macro_ast.insert(m.name.clone(), e);
                }
                Err(e) => {
                    let l = m.cond.locate(e.offset);
                    self.err(
                        Code::ConditionSyntax,
                        &l,
                        Some(format!("macro '{}'", m.name)),
                        format!("condition syntax error: {}", e.message),
                        Some("check the operators, quotes and parentheses here"),
                    );
                }
            }
        }
        // Macro references: undefined and loops.
        let mut bad_macros: std::collections::HashSet<String> = Default::default();
        for m in &macros.items {
            let Some(ast) = macro_ast.get(&m.name) else {
                bad_macros.insert(m.name.clone());
                continue;
            };
            let mut refs = Vec::new();
            condition::walk(ast, &mut |e| {
                if let Expr::Macro { name, offset } = e {
                    refs.push((name.clone(), *offset));
                }
            });
            for (r, off) in refs {
                if !macros.by_name.contains_key(&r) {
                    let l = m.cond.locate(off);
                    self.err(
                        Code::UndefinedMacro,
                        &l,
                        Some(format!("macro '{}'", m.name)),
                        format!("undefined macro '{r}'"),
                        Some("define the macro before use, or check the spelling (fields contain a '.')"),
                    );
                    bad_macros.insert(m.name.clone());
                }
            }
            if reaches_itself(&m.name, &macro_ast) {
                self.err(
                    Code::MacroLoop,
                    &m.loc,
                    Some(format!("macro '{}'", m.name)),
                    "reference loop in macro",
                    Some("a macro must not refer to itself, directly or through other macros"),
                );
                bad_macros.insert(m.name.clone());
            }
        }
        // Rules.
        let rules = std::mem::take(&mut self.rules);
        let lists_fn = |n: &str| compiled.get(n).map(Vec::as_slice);
        let mut out = Vec::new();
        for r in rules.items {
            let what = format!("rule '{}'", r.name);
            let Some(source) = Source::from_name(&r.source) else {
                self.diag(
                    Severity::Warning,
                    Code::UnknownSource,
                    &r.loc,
                    Some(what),
                    format!("rule for unknown event source '{}' skipped", r.source),
                    Some("strata supports the 'syscall' and 'k8s_audit' sources"),
                );
                continue;
            };
            let text = r.cond.text();
            let ast = match condition::parse(&text) {
                Ok(a) => a,
                Err(e) => {
                    let l = r.cond.locate(e.offset);
                    self.err(
                        Code::ConditionSyntax,
                        &l,
                        Some(what),
                        format!("condition syntax error: {}", e.message),
                        Some("check the operators, quotes and parentheses here"),
                    );
                    continue;
                }
            };
            if let Some((loc, e)) = exception_field_error(&r.exceptions, source) {
                if e.is_unknown_field() && r.skip_if_unknown_filter {
                    self.diag(
                        Severity::Warning,
                        Code::UnknownField,
                        &loc,
                        Some(what),
                        format!("{e}; rule skipped (skip-if-unknown-filter)"),
                        None,
                    );
                } else {
                    let code = if e.is_unknown_field() {
                        Code::UnknownField
                    } else {
                        Code::InvalidException
                    };
                    self.err(
                        code,
                        &loc,
                        Some(what),
                        format!("exception field: {e}"),
                        None,
                    );
                }
                continue;
            }
            let ast = match with_exceptions(ast, &r.exceptions) {
                Ok(a) => a,
                Err((loc, msg)) => {
                    self.err(Code::InvalidException, &loc, Some(what), msg, None);
                    continue;
                }
            };
            // Expand macros.
            let mut budget = MAX_EXPANDED_NODES;
            let expanded = match expand(&ast, &macro_ast, &mut Vec::new(), &mut budget) {
                Ok(x) => x,
                Err(ExpandError::Undefined(name, off)) => {
                    let l = r.cond.locate(off);
                    self.err(
                        Code::UndefinedMacro,
                        &l,
                        Some(what),
                        format!("undefined macro '{name}'"),
                        Some("define the macro before use, or check the spelling (fields contain a '.')"),
                    );
                    continue;
                }
                Err(ExpandError::Loop(name)) => {
                    self.err(
                        Code::MacroLoop,
                        &r.cond.loc(),
                        Some(what),
                        format!("reference loop in macro '{name}'"),
                        None,
                    );
                    continue;
                }
                Err(ExpandError::TooLarge) => {
                    self.err(
                        Code::InvalidCondition,
                        &r.cond.loc(),
                        Some(what),
                        format!(
                            "condition expands to more than {MAX_EXPANDED_NODES} nodes or \
                             {MAX_MACRO_DEPTH} nested macros"
                        ),
                        Some("simplify the macros this rule uses"),
                    );
                    continue;
                }
            };
            let (compiled_filter, warnings) = {
                let mut cx = CompileCtx::new(source, &lists_fn, &mut interner);
                let f = filter::compile_expanded(&expanded, &mut cx);
                (f, cx.warnings)
            };
            let filter = match compiled_filter {
                Ok(f) => f,
                Err(e) => {
                    // Point at the macro's own text when the problem is inside a macro.
                    let l = match e.macro_name().and_then(|m| macros.get(m)) {
                        Some(m) => m.cond.locate(e.raw_offset()),
                        None => e
                            .offset()
                            .map_or_else(|| r.cond.loc(), |o| r.cond.locate(o)),
                    };
                    if e.is_unknown_field() && r.skip_if_unknown_filter {
                        self.diag(
                            Severity::Warning,
                            Code::UnknownField,
                            &l,
                            Some(what),
                            format!("{e}; rule skipped (skip-if-unknown-filter)"),
                            None,
                        );
                    } else if e.is_unknown_field() {
                        self.err(
                            Code::UnknownField,
                            &l,
                            Some(what),
                            e.to_string(),
                            Some("see docs/fields.md for the fields strata supports; set 'skip-if-unknown-filter: true' to skip such rules"),
                        );
                    } else {
                        self.err(Code::InvalidCondition, &l, Some(what), e.to_string(), None);
                    }
                    continue;
                }
            };
            for w in warnings {
                self.diag(
                    Severity::Warning,
                    Code::UnknownEventType,
                    &r.cond.loc(),
                    Some(what.clone()),
                    w,
                    None,
                );
            }
            let format = match output::compile_output(&r.output, source, &mut interner) {
                Ok(f) => f,
                Err((off, e)) => {
                    let mut l = r.output_loc.clone();
                    l.col += off;
                    self.err(
                        Code::InvalidOutput,
                        &l,
                        Some(what),
                        format!("invalid output: {e}"),
                        Some("see docs/fields.md for the fields strata supports"),
                    );
                    continue;
                }
            };
            let types = filter::evttypes(&filter);
            // Falco's heuristic: warn when a rule matches more than 100 event types.
            if source == Source::Syscall && types.len() > 100 && r.warn_evttypes {
                self.diag(
                    Severity::Warning,
                    Code::NoEventTypeFilter,
                    &r.cond.loc(),
                    Some(what.clone()),
                    format!(
                        "rule matches too many event types ({}); it runs for almost every event",
                        types.len()
                    ),
                    Some("add an 'evt.type in (...)' check, or set 'warn_evttypes: false'"),
                );
            }
            out.push(CompiledRule {
                name: r.name,
                desc: r.desc,
                condition: text,
                output: r.output,
                format,
                priority: r.priority,
                source: source.name().to_string(),
                tags: r.tags,
                enabled: r.enabled,
                filter,
                types,
                file: r.loc.file.to_string(),
                line: r.loc.line,
            });
        }
        LoadResult {
            ruleset: RuleSet::new(out, interner),
            diagnostics: self.diagnostics,
        }
    }
}

fn reaches_itself(start: &str, asts: &HashMap<String, Expr>) -> bool {
    let mut seen: std::collections::HashSet<String> = Default::default();
    let mut stack: Vec<String> = Vec::new();
    let push_refs = |name: &str, stack: &mut Vec<String>| {
        if let Some((_, ast)) = asts.get_key_value(name) {
            condition::walk(ast, &mut |e| {
                if let Expr::Macro { name, .. } = e {
                    stack.push(name.clone());
                }
            });
        }
    };
    push_refs(start, &mut stack);
    while let Some(n) = stack.pop() {
        if n == start {
            return true;
        }
        if seen.insert(n.clone()) {
            push_refs(&n, &mut stack);
        }
    }
    false
}

enum ExpandError {
    Undefined(String, usize),
    Loop(String),
    TooLarge,
}

fn expand(
    e: &Expr,
    macros: &HashMap<String, Expr>,
    stack: &mut Vec<String>,
    budget: &mut usize,
) -> Result<Expanded, ExpandError> {
    *budget = budget.checked_sub(1).ok_or(ExpandError::TooLarge)?;
    if stack.len() > MAX_MACRO_DEPTH {
        return Err(ExpandError::TooLarge);
    }
    if !has_macro(e) {
        return Ok(Expanded::Plain(e.clone()));
    }
    Ok(match e {
        Expr::And(v) => Expanded::And(
            v.iter()
                .map(|x| expand(x, macros, stack, budget))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(v) => Expanded::Or(
            v.iter()
                .map(|x| expand(x, macros, stack, budget))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Not(x) => Expanded::Not(Box::new(expand(x, macros, stack, budget)?)),
        Expr::Macro { name, offset } => {
            if stack.contains(name) {
                return Err(ExpandError::Loop(name.clone()));
            }
            let Some(body) = macros.get(name) else {
                return Err(ExpandError::Undefined(name.clone(), *offset));
            };
            stack.push(name.clone());
            // Offsets inside macro bodies do not refer to the rule's text.
            let inner = expand(body, macros, stack, budget).map_err(|e| match e {
                ExpandError::Undefined(n, _) => ExpandError::Undefined(n, *offset),
                other => other,
            })?;
            stack.pop();
            Expanded::Macro(name.clone(), Box::new(inner))
        }
        Expr::Check { .. } => Expanded::Plain(e.clone()),
    })
}

fn has_macro(e: &Expr) -> bool {
    let mut found = false;
    condition::walk(e, &mut |x| {
        if matches!(x, Expr::Macro { .. }) {
            found = true;
        }
    });
    found
}

fn exception_field_error(
    exceptions: &[ExceptionDef],
    source: Source,
) -> Option<(Loc, filter::CompileError)> {
    let mut interner = Interner::default();
    let lists = |_: &str| None;
    let mut cx = CompileCtx::new(source, &lists, &mut interner);
    for ex in exceptions {
        let names: Vec<&String> = match &ex.fields {
            ExFields::One(f) => vec![f],
            ExFields::Many(v) => v.iter().collect(),
        };
        for f in names {
            let fr = match field_ref(f, &ex.loc) {
                Ok(fr) => fr,
                Err((loc, msg)) => {
                    return Some((
                        loc,
                        filter::CompileError::Invalid {
                            message: msg,
                            offset: 0,
                            macro_name: None,
                        },
                    ));
                }
            };
            if let Err(e) = filter::extractor(&fr, &mut cx) {
                return Some((ex.loc.clone(), e));
            }
        }
    }
    None
}

fn field_ref(text: &str, loc: &Loc) -> Result<FieldRef, (Loc, String)> {
    condition::parse_field(text).map_err(|e| {
        (
            loc.clone(),
            format!("'{text}' is not a field: {}", e.message),
        )
    })
}

fn literal_of(n: &Node, list_ok: bool) -> Literal {
    let text = n.as_str().unwrap_or("").to_string();
    let unq = filter::unquote_item(&text);
    if unq.len() != text.len() {
        return Literal {
            text: unq.to_string(),
            quoted: true,
        };
    }
    Literal {
        text,
        quoted: !list_ok,
    }
}

/// The right side of a list comparison (`in`, `pmatch`, `intersects`) in an exception
/// tuple. Falco writes the value into the condition as it stands, so `(a, "b c", lst)` is a
/// list of its items (list names among them expanded) and a bare `lst` a list reference.
fn list_value(n: &Node) -> Vec<Literal> {
    let text = n.as_str().unwrap_or("").trim();
    let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) else {
        return vec![literal_of(n, true)];
    };
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in inner.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.push(c);
            }
            (None, ',') => items.push(std::mem::take(&mut cur)),
            (None, c) => cur.push(c),
        }
    }
    items.push(cur);
    items
        .iter()
        .map(|i| i.trim())
        .filter(|i| !i.is_empty())
        .map(|i| {
            let unq = filter::unquote_item(i);
            Literal {
                text: unq.to_string(),
                quoted: unq.len() != i.len(),
            }
        })
        .collect()
}

/// Adds `and not (...)` for each exception, as Falco does.
fn with_exceptions(cond: Expr, exceptions: &[ExceptionDef]) -> Result<Expr, (Loc, String)> {
    let mut parts = vec![cond];
    for ex in exceptions {
        if ex.values.is_empty() {
            continue;
        }
        let mut alts = Vec::new();
        match &ex.fields {
            ExFields::One(f) => {
                let op = match &ex.comps {
                    Some(ExComps::One(c)) => Op::from_name(c).unwrap_or(Op::In),
                    _ => Op::In,
                };
                let field = field_ref(f, &ex.loc)?;
                let items: Vec<Literal> = ex
                    .values
                    .iter()
                    .flat_map(|v| match &v.value {
                        Value::Seq(s) => s.iter().map(|x| literal_of(x, true)).collect(),
                        _ => vec![literal_of(v, true)],
                    })
                    .collect();
                let rhs = if op.takes_list() {
                    Operand::List(items)
                } else {
                    // One check per value.
                    for it in items {
                        alts.push(Expr::Check {
                            field: field.clone(),
                            op,
                            rhs: Some(Operand::Value(it)),
                        });
                    }
                    continue_alts(&mut parts, alts);
                    continue;
                };
                alts.push(Expr::Check {
                    field,
                    op,
                    rhs: Some(rhs),
                });
            }
            ExFields::Many(fs) => {
                let fields: Vec<FieldRef> = fs
                    .iter()
                    .map(|f| field_ref(f, &ex.loc))
                    .collect::<Result<_, _>>()?;
                let ops: Vec<Op> = match &ex.comps {
                    Some(ExComps::Many(c)) => c
                        .iter()
                        .map(|c| Op::from_name(c).unwrap_or(Op::Eq))
                        .collect(),
                    _ => vec![Op::Eq; fs.len()],
                };
                for v in &ex.values {
                    let tuple: Vec<&Node> = match &v.value {
                        Value::Seq(s) => s.iter().collect(),
                        _ => vec![v],
                    };
                    let mut checks = Vec::new();
                    for ((f, op), val) in fields.iter().zip(&ops).zip(tuple) {
                        let rhs = match (&val.value, op.takes_list()) {
                            (Value::Seq(items), _) => {
                                Operand::List(items.iter().map(|x| literal_of(x, true)).collect())
                            }
                            (_, true) => Operand::List(list_value(val)),
                            (_, false) => Operand::Value(literal_of(val, false)),
                        };
                        checks.push(Expr::Check {
                            field: f.clone(),
                            op: *op,
                            rhs: Some(rhs),
                        });
                    }
                    alts.push(if checks.len() == 1 {
                        checks.remove(0)
                    } else {
                        Expr::And(checks)
                    });
                }
            }
        }
        continue_alts(&mut parts, alts);
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Expr::And(parts)
    })
}

fn continue_alts(parts: &mut Vec<Expr>, mut alts: Vec<Expr>) {
    if alts.is_empty() {
        return;
    }
    let inner = if alts.len() == 1 {
        alts.remove(0)
    } else {
        Expr::Or(alts)
    };
    parts.push(Expr::Not(Box::new(inner)));
}

/// Loads files in order and compiles them.
pub fn load_files<P: AsRef<std::path::Path>>(paths: &[P]) -> LoadResult {
    let mut l = Loader::new();
    for p in paths {
        l.add_file(p.as_ref());
    }
    l.finish()
}

/// Loads `(name, content)` pairs in order and compiles them.
pub fn load_strs(files: &[(&str, &str)]) -> LoadResult {
    let mut l = Loader::new();
    for (n, s) in files {
        l.add_str(n, s);
    }
    l.finish()
}
