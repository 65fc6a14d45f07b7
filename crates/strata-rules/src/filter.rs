//! Compiling condition ASTs into evaluable filters, and evaluating them against events.
//!
//! Compilation resolves fields against the field table, type-checks operators and values,
//! expands list references, builds hash sets, prefix trees, globs and regexes once, and
//! interns every constant string. Evaluation does no parsing and no allocation in steady
//! state: computed strings go to caller-owned scratch buffers that keep their capacity.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

use crate::condition::{Expr, FieldRef, Literal, Op, Operand, Transformer};
use crate::event::Event;
use crate::evttypes::{self, TypeSet};
use crate::fields::{self, ArgSpec, FieldError, FieldId, FieldType, Source};
use crate::time;

/// A small, fast, non-cryptographic hasher for interned constant sets.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Hash set with [`FxHasher`].
pub type FxSet<T> = HashSet<T, BuildHasherDefault<FxHasher>>;
/// Hash map with [`FxHasher`].
pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Interns constant strings so equal constants share one allocation.
#[derive(Default, Debug)]
pub struct Interner {
    map: FxSet<Arc<str>>,
}

impl Interner {
    /// Returns the shared copy of `s`.
    pub fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.map.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.map.insert(a.clone());
        a
    }
    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Why a condition does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// A field that is not in the table.
    #[error("{err}{}", in_macro(.macro_name))]
    Field {
        /// The field problem.
        err: FieldError,
        /// Offset of the field in the (rule or macro) condition.
        offset: usize,
        /// Set when the field is inside a macro.
        macro_name: Option<String>,
    },
    /// Anything else: bad operator for the type, bad value, bad regex.
    #[error("{message}{}", in_macro(.macro_name))]
    Invalid {
        /// What is wrong.
        message: String,
        /// Offset in the condition.
        offset: usize,
        /// Set when inside a macro.
        macro_name: Option<String>,
    },
}

fn in_macro(m: &Option<String>) -> String {
    m.as_ref()
        .map(|m| format!(" (in macro '{m}')"))
        .unwrap_or_default()
}

impl CompileError {
    /// The innermost macro the error is in, if any.
    pub fn macro_name(&self) -> Option<&str> {
        match self {
            CompileError::Field { macro_name, .. } | CompileError::Invalid { macro_name, .. } => {
                macro_name.as_deref()
            }
        }
    }
    /// Offset in the condition text of the innermost macro (or the rule).
    pub fn raw_offset(&self) -> usize {
        match self {
            CompileError::Field { offset, .. } | CompileError::Invalid { offset, .. } => *offset,
        }
    }
    /// Offset in the condition text, when the error is not inside a macro.
    pub fn offset(&self) -> Option<usize> {
        match self {
            CompileError::Field {
                offset,
                macro_name: None,
                ..
            }
            | CompileError::Invalid {
                offset,
                macro_name: None,
                ..
            } => Some(*offset),
            _ => None,
        }
    }
    /// True for an unknown field (what `skip-if-unknown-filter` tolerates).
    pub fn is_unknown_field(&self) -> bool {
        matches!(
            self,
            CompileError::Field {
                err: FieldError::Unknown(_),
                ..
            }
        )
    }
}

/// The argument of an extractor.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// None.
    None,
    /// A numeric index.
    Index(usize),
    /// A key.
    Key(Arc<str>),
}

/// Extracts one field's value from an event.
#[derive(Debug, Clone)]
pub struct Extractor {
    /// Field name as written (for outputs).
    pub name: Arc<str>,
    /// The table name of the field (`proc.aname`, `ka.verb`).
    pub field: &'static str,
    /// Which field.
    pub id: FieldId,
    /// Its argument.
    pub arg: Arg,
    /// Transformers, outermost first.
    pub transformers: Box<[Transformer]>,
    /// The field's own type.
    pub field_ty: FieldType,
    /// The type after transformers.
    pub ty: FieldType,
    /// Multi-valued (any ancestor; either side of a connection).
    pub multi: bool,
}

/// An extracted value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum V<'a> {
    /// Text.
    Str(&'a str),
    /// A number.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// No value.
    Missing,
}

/// Scratch buffers for evaluation; reuse one per thread to avoid allocating per event.
#[derive(Debug, Default)]
pub struct Scratch {
    a: String,
    b: String,
    t: Tmp,
}

/// Temporary buffers for transformers.
#[derive(Debug, Default)]
pub struct Tmp {
    t: String,
    u: String,
}

#[derive(Debug, Clone)]
struct Net {
    addr: u128,
    prefix: u8,
    v4: bool,
}

impl Net {
    fn parse(s: &str) -> Option<Net> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let ip: IpAddr = a.trim().parse().ok()?;
        let (addr, v4, max) = ip_bits(ip);
        let prefix = p.unwrap_or(max);
        if prefix > max {
            return None;
        }
        Some(Net { addr, prefix, v4 })
    }
    fn contains(&self, ip: IpAddr) -> bool {
        let (addr, v4, max) = ip_bits(ip);
        if v4 != self.v4 {
            return false;
        }
        let shift = u32::from(max - self.prefix);
        if shift >= 128 {
            return true;
        }
        (addr >> shift) == (self.addr >> shift)
    }
}

fn ip_bits(ip: IpAddr) -> (u128, bool, u8) {
    match ip {
        IpAddr::V4(a) => (u128::from(u32::from(a)), true, 32),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => (u128::from(u32::from(v4)), true, 32),
            None => (u128::from(a), false, 128),
        },
    }
}

/// A path-prefix tree for `pmatch`.
#[derive(Debug, Default, Clone)]
pub struct PrefixTree {
    children: FxMap<Arc<str>, PrefixTree>,
    terminal: bool,
}

impl PrefixTree {
    fn insert(&mut self, path: &str, interner: &mut Interner) {
        let mut node = self;
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            node = node.children.entry(interner.intern(comp)).or_default();
        }
        node.terminal = true;
    }
    /// True when `path` equals a stored prefix or lies below one.
    pub fn matches(&self, path: &str) -> bool {
        let mut node = self;
        if node.terminal {
            return true;
        }
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            match node.children.get(comp) {
                Some(n) => node = n,
                None => return false,
            }
            if node.terminal {
                return true;
            }
        }
        false
    }
}

#[derive(Debug, Clone)]
enum Cmp {
    Exists,
    StrEq(Arc<str>),
    StrNe(Arc<str>),
    StrLt(Arc<str>, Op),
    Contains(Arc<str>),
    IContains(Arc<str>),
    StartsWith(Arc<str>),
    EndsWith(Arc<str>),
    BContains(Box<[u8]>),
    BStartsWith(Box<[u8]>),
    Glob(Box<[u8]>, bool),
    Regex(Box<regex::Regex>),
    StrIn(FxSet<Arc<str>>),
    /// A non-equality operator applied to each list item.
    AnyOf(Box<[Cmp]>),
    Pmatch(PrefixTree),
    Num(Op, i64),
    NumIn(FxSet<i64>),
    Bool(bool, bool),
    Ip(bool, Box<[Net]>),
    Field(Op, Box<Extractor>),
    Never,
}

/// One compiled field check.
#[derive(Debug, Clone)]
pub struct Check {
    lhs: Extractor,
    cmp: Cmp,
    /// `in` on a list field: every value must be in the set (Falco's list semantics).
    all: bool,
}

/// A compiled filter.
#[derive(Debug, Clone)]
pub enum Filter {
    /// All must hold.
    And(Box<[Filter]>),
    /// Any must hold.
    Or(Box<[Filter]>),
    /// Negation.
    Not(Box<Filter>),
    /// `evt.type` in a set (fast path).
    EvtType(Box<TypeSet>),
    /// A field check.
    Check(Box<Check>),
    /// Constant.
    Const(bool),
}

/// What compilation needs from the loader.
pub struct CompileCtx<'a, 'b> {
    /// Source of the rule.
    pub source: Source,
    /// Compiled lists by name.
    pub lists: &'a dyn Fn(&str) -> Option<&'a [String]>,
    /// The interner.
    pub interner: &'b mut Interner,
    /// Non-fatal findings (unknown event type names...).
    pub warnings: Vec<String>,
    macro_stack: Vec<String>,
}

impl<'a, 'b> CompileCtx<'a, 'b> {
    /// A new context.
    pub fn new(
        source: Source,
        lists: &'a dyn Fn(&str) -> Option<&'a [String]>,
        interner: &'b mut Interner,
    ) -> Self {
        CompileCtx {
            source,
            lists,
            interner,
            warnings: Vec::new(),
            macro_stack: Vec::new(),
        }
    }
    fn invalid(&self, offset: usize, message: String) -> CompileError {
        CompileError::Invalid {
            message,
            offset,
            macro_name: self.macro_stack.last().cloned(),
        }
    }
}

/// Strips one level of matching quotes from a list item (`'"sh -c"'` in YAML).
pub fn unquote_item(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2
        && ((b[0] == b'"' && b[b.len() - 1] == b'"') || (b[0] == b'\'' && b[b.len() - 1] == b'\''))
    {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Builds an extractor for a field reference.
pub fn extractor(f: &FieldRef, cx: &mut CompileCtx<'_, '_>) -> Result<Extractor, CompileError> {
    let r = fields::resolve(&f.name, f.arg.as_deref(), cx.source).map_err(|err| {
        CompileError::Field {
            err,
            offset: f.offset,
            macro_name: cx.macro_stack.last().cloned(),
        }
    })?;
    let arg = match (&r.arg, r.info.arg) {
        (None, _) => Arg::None,
        (Some(a), ArgSpec::OptIndex) => Arg::Index(a.parse().unwrap_or(0)),
        (Some(a), ArgSpec::Required) if !a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()) => {
            Arg::Index(a.parse().unwrap_or(0))
        }
        (Some(a), _) => Arg::Key(cx.interner.intern(a)),
    };
    let multi = matches!(
        r.info.id,
        FieldId::ProcAname
            | FieldId::ProcAexe
            | FieldId::ProcAexepath
            | FieldId::ProcApid
            | FieldId::ProcAcmdline
    ) && arg == Arg::None
        || matches!(r.info.id, FieldId::FdIp | FieldId::FdPort | FieldId::FdNet)
        || (r.info.id == FieldId::K8sAudit && r.info.ty == FieldType::StringList);
    let mut ty = r.info.ty;
    for t in f.transformers.iter().rev() {
        match t {
            Transformer::Len => ty = FieldType::Uint64,
            _ => {
                if ty != FieldType::String {
                    return Err(cx.invalid(
                        f.offset,
                        format!(
                            "transformer '{}' needs a string field, '{}' is {}",
                            t.as_str(),
                            f.name,
                            ty.falco_name()
                        ),
                    ));
                }
            }
        }
    }
    let name = match &f.arg {
        Some(a) => format!("{}[{a}]", f.name),
        None => f.name.clone(),
    };
    let name = f
        .transformers
        .iter()
        .rev()
        .fold(name, |acc, t| format!("{}({acc})", t.as_str()));
    Ok(Extractor {
        name: cx.interner.intern(&name),
        field: r.info.name,
        id: r.info.id,
        arg,
        transformers: f.transformers.clone().into_boxed_slice(),
        field_ty: r.info.ty,
        ty,
        multi,
    })
}

/// Expands list references among literals.
fn expand_items(items: &[Literal], cx: &CompileCtx<'_, '_>) -> Vec<String> {
    let mut out = Vec::new();
    for l in items {
        match (!l.quoted).then(|| (cx.lists)(&l.text)).flatten() {
            Some(list) => out.extend(list.iter().map(|s| unquote_item(s).to_string())),
            None => out.push(l.text.clone()),
        }
    }
    out
}

/// Compiles an AST whose macros have been expanded (see [`Expr`]; `Macro` nodes must be gone).
pub fn compile(e: &Expr, cx: &mut CompileCtx<'_, '_>) -> Result<Filter, CompileError> {
    match e {
        Expr::And(v) => Ok(flatten(
            true,
            v.iter().map(|x| compile(x, cx)).collect::<Result<_, _>>()?,
        )),
        Expr::Or(v) => Ok(flatten(
            false,
            v.iter().map(|x| compile(x, cx)).collect::<Result<_, _>>()?,
        )),
        Expr::Not(x) => Ok(Filter::Not(Box::new(compile(x, cx)?))),
        Expr::Macro { name, offset } => Err(cx.invalid(
            *offset,
            format!("undefined macro '{name}' (or a field name without a '.')"),
        )),
        Expr::Check { field, op, rhs } => compile_check(field, *op, rhs.as_ref(), cx),
    }
}

/// Compiles an expression that may contain expanded macros marked with [`Expanded`].
pub fn compile_expanded(e: &Expanded, cx: &mut CompileCtx<'_, '_>) -> Result<Filter, CompileError> {
    match e {
        Expanded::Plain(x) => compile(x, cx),
        Expanded::And(v) => Ok(flatten(
            true,
            v.iter()
                .map(|x| compile_expanded(x, cx))
                .collect::<Result<_, _>>()?,
        )),
        Expanded::Or(v) => Ok(flatten(
            false,
            v.iter()
                .map(|x| compile_expanded(x, cx))
                .collect::<Result<_, _>>()?,
        )),
        Expanded::Not(x) => Ok(Filter::Not(Box::new(compile_expanded(x, cx)?))),
        Expanded::Macro(name, body) => {
            cx.macro_stack.push(name.clone());
            let r = compile_expanded(body, cx);
            cx.macro_stack.pop();
            r
        }
    }
}

/// Builds an `and` (or `or`) node, splicing in children of the same kind (macros in
/// parentheses nest them) so evaluation walks a flat list.
fn flatten(and: bool, items: Vec<Filter>) -> Filter {
    let mut out = Vec::with_capacity(items.len());
    for f in items {
        match f {
            Filter::And(v) if and => out.extend(v.into_vec()),
            Filter::Or(v) if !and => out.extend(v.into_vec()),
            other => out.push(other),
        }
    }
    if out.len() == 1
        && let Some(f) = out.pop()
    {
        return f;
    }
    if and {
        Filter::And(out.into_boxed_slice())
    } else {
        Filter::Or(out.into_boxed_slice())
    }
}

/// A condition with macros expanded in place (the macro name kept for error messages).
#[derive(Debug, Clone)]
pub enum Expanded {
    /// A macro-free subtree.
    Plain(Expr),
    /// And.
    And(Vec<Expanded>),
    /// Or.
    Or(Vec<Expanded>),
    /// Not.
    Not(Box<Expanded>),
    /// An expanded macro.
    Macro(String, Box<Expanded>),
}

fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(h, 16).ok();
    }
    t.parse::<i64>()
        .ok()
        .or_else(|| t.parse::<u64>().ok().map(|u| u as i64))
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "TRUE" | "True" | "1" => Some(true),
        "false" | "FALSE" | "False" | "0" => Some(false),
        _ => None,
    }
}

fn hex_bytes(s: &str) -> Option<Box<[u8]>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

fn compile_check(
    field: &FieldRef,
    op: Op,
    rhs: Option<&Operand>,
    cx: &mut CompileCtx<'_, '_>,
) -> Result<Filter, CompileError> {
    let mut f = compile_check_inner(field, op, rhs, cx)?;
    if let Filter::Check(c) = &mut f
        && op == Op::In
        && c.lhs.field_ty == FieldType::StringList
    {
        c.all = true;
    }
    Ok(f)
}

fn compile_check_inner(
    field: &FieldRef,
    op: Op,
    rhs: Option<&Operand>,
    cx: &mut CompileCtx<'_, '_>,
) -> Result<Filter, CompileError> {
    let lhs = extractor(field, cx)?;
    let off = field.offset;
    let ty = lhs.ty;
    // Operator/type compatibility.
    let ok = match ty {
        FieldType::String => true,
        FieldType::StringList => true,
        t if t.is_numeric() => matches!(
            op,
            Op::Eq
                | Op::Ne
                | Op::Lt
                | Op::Le
                | Op::Gt
                | Op::Ge
                | Op::In
                | Op::Intersects
                | Op::Exists
        ),
        FieldType::Bool => matches!(op, Op::Eq | Op::Ne | Op::In | Op::Exists),
        FieldType::IpAddr | FieldType::IpNet => {
            matches!(op, Op::Eq | Op::Ne | Op::In | Op::Intersects | Op::Exists)
        }
        _ => true,
    };
    if !ok {
        return Err(cx.invalid(
            off,
            format!(
                "operator '{}' cannot be used with field '{}' of type {}",
                op.as_str(),
                field.name,
                ty.falco_name()
            ),
        ));
    }
    if op == Op::Exists {
        return Ok(Filter::Check(Box::new(Check {
            lhs,
            cmp: Cmp::Exists,
            all: false,
        })));
    }
    let Some(rhs) = rhs else {
        return Err(cx.invalid(off, format!("operator '{}' needs a value", op.as_str())));
    };
    // Values: expand list references (Falco substitutes lists in any value position).
    let (values, is_list) = match rhs {
        Operand::Field(f) => {
            let r = extractor(f, cx)?;
            if r.ty.is_numeric() != ty.is_numeric() {
                return Err(cx.invalid(
                    f.offset,
                    format!(
                        "cannot compare '{}' ({}) with '{}' ({})",
                        field.name,
                        ty.falco_name(),
                        f.name,
                        r.ty.falco_name()
                    ),
                ));
            }
            if op.takes_list() {
                return Err(cx.invalid(
                    f.offset,
                    format!("operator '{}' needs a list, not a field", op.as_str()),
                ));
            }
            return Ok(Filter::Check(Box::new(Check {
                lhs,
                cmp: Cmp::Field(op, Box::new(r)),
                all: false,
            })));
        }
        Operand::List(items) => (expand_items(items, cx), true),
        Operand::Value(l) => {
            let named = (!l.quoted).then(|| (cx.lists)(&l.text)).flatten();
            match named {
                Some(list) => (
                    list.iter().map(|s| unquote_item(s).to_string()).collect(),
                    true,
                ),
                None => (vec![l.text.clone()], false),
            }
        }
    };
    // evt.type gets the indexed fast path.
    if lhs.id == FieldId::EvtType && lhs.transformers.is_empty() {
        let mut set = TypeSet::none();
        for v in &values {
            match evttypes::id_of(v) {
                Some(id) => set.insert(usize::from(id)),
                None => cx.warnings.push(format!("unknown event type '{v}'")),
            }
        }
        let f = match op {
            Op::Eq | Op::In | Op::Intersects => Filter::EvtType(Box::new(set)),
            Op::Ne => Filter::Not(Box::new(Filter::EvtType(Box::new(set)))),
            _ => return string_check(lhs, op, values, is_list, off, cx),
        };
        return Ok(f);
    }
    string_or_typed(lhs, op, values, is_list, off, cx)
}

fn string_or_typed(
    lhs: Extractor,
    op: Op,
    values: Vec<String>,
    is_list: bool,
    off: usize,
    cx: &mut CompileCtx<'_, '_>,
) -> Result<Filter, CompileError> {
    let ty = lhs.ty;
    let cmp = if ty.is_numeric() {
        let mut nums = Vec::with_capacity(values.len());
        for v in &values {
            nums.push(parse_int(v).ok_or_else(|| {
                cx.invalid(
                    off,
                    format!(
                        "'{v}' is not a number (field '{}' is {})",
                        lhs.name,
                        ty.falco_name()
                    ),
                )
            })?);
        }
        num_cmp(op, nums, is_list)
    } else if ty == FieldType::Bool {
        let mut bs = Vec::new();
        for v in &values {
            bs.push(parse_bool(v).ok_or_else(|| {
                cx.invalid(
                    off,
                    format!("'{v}' is not a boolean (field '{}')", lhs.name),
                )
            })?);
        }
        match (op, bs.as_slice()) {
            (Op::Ne, [b]) => Cmp::Bool(false, *b),
            (_, [b]) => Cmp::Bool(true, *b),
            (Op::Ne, _) => Cmp::Never,
            (_, many) => {
                let t = many.contains(&true);
                let f = many.contains(&false);
                match (t, f) {
                    (true, true) => Cmp::Exists,
                    (true, false) => Cmp::Bool(true, true),
                    (false, true) => Cmp::Bool(true, false),
                    _ => Cmp::Never,
                }
            }
        }
    } else if matches!(ty, FieldType::IpAddr | FieldType::IpNet) {
        let mut nets = Vec::new();
        for v in &values {
            nets.push(Net::parse(v).ok_or_else(|| {
                cx.invalid(
                    off,
                    format!(
                        "'{v}' is not an IP address or network (field '{}')",
                        lhs.name
                    ),
                )
            })?);
        }
        Cmp::Ip(op != Op::Ne, nets.into_boxed_slice())
    } else {
        return string_check(lhs, op, values, is_list, off, cx);
    };
    Ok(Filter::Check(Box::new(Check {
        lhs,
        cmp,
        all: false,
    })))
}

fn num_cmp(op: Op, nums: Vec<i64>, is_list: bool) -> Cmp {
    match op {
        Op::In | Op::Intersects => Cmp::NumIn(nums.into_iter().collect()),
        Op::Eq if is_list && nums.len() != 1 => Cmp::NumIn(nums.into_iter().collect()),
        Op::Ne if is_list && nums.len() != 1 => {
            Cmp::AnyOf(nums.into_iter().map(|n| Cmp::Num(Op::Ne, n)).collect())
        }
        _ => match nums.first() {
            Some(n) => Cmp::Num(op, *n),
            None => Cmp::Never,
        },
    }
}

fn string_check(
    lhs: Extractor,
    op: Op,
    values: Vec<String>,
    is_list: bool,
    off: usize,
    cx: &mut CompileCtx<'_, '_>,
) -> Result<Filter, CompileError> {
    let one = |op: Op, v: &str, cx: &mut CompileCtx<'_, '_>| -> Result<Cmp, CompileError> {
        let a = cx.interner.intern(v);
        Ok(match op {
            Op::Eq | Op::In | Op::Intersects => Cmp::StrEq(a),
            Op::Ne => Cmp::StrNe(a),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => Cmp::StrLt(a, op),
            Op::Contains => Cmp::Contains(a),
            Op::IContains => Cmp::IContains(cx.interner.intern(&v.to_ascii_lowercase())),
            Op::StartsWith => Cmp::StartsWith(a),
            Op::EndsWith => Cmp::EndsWith(a),
            Op::BContains | Op::BStartsWith => {
                let b = hex_bytes(v).ok_or_else(|| {
                    cx.invalid(
                        off,
                        format!("'{v}' is not a hex byte string for '{}'", op.as_str()),
                    )
                })?;
                if op == Op::BContains {
                    Cmp::BContains(b)
                } else {
                    Cmp::BStartsWith(b)
                }
            }
            Op::Glob => Cmp::Glob(v.as_bytes().into(), false),
            Op::IGlob => Cmp::Glob(v.to_ascii_lowercase().as_bytes().into(), true),
            Op::Regex => {
                let re = regex::RegexBuilder::new(&format!("^(?:{v})$"))
                    .size_limit(1 << 20)
                    .dfa_size_limit(1 << 20)
                    .build()
                    .map_err(|e| {
                        cx.invalid(off, format!("invalid regular expression '{v}': {e}"))
                    })?;
                Cmp::Regex(Box::new(re))
            }
            Op::Pmatch => {
                let mut t = PrefixTree::default();
                t.insert(v, cx.interner);
                Cmp::Pmatch(t)
            }
            Op::Exists => Cmp::Exists,
        })
    };
    let cmp = match op {
        Op::In | Op::Intersects => {
            Cmp::StrIn(values.iter().map(|v| cx.interner.intern(v)).collect())
        }
        Op::Pmatch => {
            let mut t = PrefixTree::default();
            for v in &values {
                t.insert(v, cx.interner);
            }
            Cmp::Pmatch(t)
        }
        Op::Eq if is_list && values.len() != 1 => {
            Cmp::StrIn(values.iter().map(|v| cx.interner.intern(v)).collect())
        }
        _ if is_list && values.len() != 1 => {
            let mut v = Vec::new();
            for x in &values {
                v.push(one(op, x, cx)?);
            }
            Cmp::AnyOf(v.into_boxed_slice())
        }
        _ => match values.first() {
            Some(v) => one(op, v, cx)?,
            None => Cmp::Never,
        },
    };
    Ok(Filter::Check(Box::new(Check {
        lhs,
        cmp,
        all: false,
    })))
}

/// The event types a filter can match (Falco's event-type index), using De Morgan under `not`.
pub fn evttypes(f: &Filter) -> TypeSet {
    fn go(f: &Filter, neg: bool) -> TypeSet {
        match f {
            Filter::EvtType(s) => {
                if neg {
                    s.complement()
                } else {
                    (**s).clone()
                }
            }
            Filter::Not(x) => go(x, !neg),
            Filter::And(v) | Filter::Or(v) => {
                let intersect = matches!(f, Filter::And(_)) != neg;
                let mut acc = if intersect {
                    TypeSet::all()
                } else {
                    TypeSet::none()
                };
                for x in v.iter() {
                    let s = go(x, neg);
                    if intersect {
                        acc.intersect(&s);
                    } else {
                        acc.union(&s);
                    }
                }
                acc
            }
            Filter::Const(b) => {
                if *b != neg {
                    TypeSet::all()
                } else {
                    TypeSet::none()
                }
            }
            Filter::Check(_) => TypeSet::all(),
        }
    }
    go(f, false)
}

/// Per-event information computed once for all rules.
#[derive(Debug, Clone, Copy)]
pub struct EvtInfo {
    /// The event type id, if the type is known.
    pub type_id: Option<u16>,
}

impl Filter {
    /// Evaluates the filter.
    pub fn eval(&self, ev: &Event, info: EvtInfo, s: &mut Scratch) -> bool {
        match self {
            Filter::And(v) => v.iter().all(|x| x.eval(ev, info, s)),
            Filter::Or(v) => v.iter().any(|x| x.eval(ev, info, s)),
            Filter::Not(x) => !x.eval(ev, info, s),
            Filter::EvtType(set) => info.type_id.is_some_and(|t| set.contains(usize::from(t))),
            Filter::Const(b) => *b,
            Filter::Check(c) => c.eval(ev, s),
        }
    }
}

impl Check {
    fn eval(&self, ev: &Event, s: &mut Scratch) -> bool {
        let Scratch { a, b, t } = s;
        if self.lhs.multi {
            // Any value may match; a negative comparison (`!=`) must hold for every value.
            let n = multi_len(ev, &self.lhs);
            let neg = matches!(
                self.cmp,
                Cmp::StrNe(_) | Cmp::Num(Op::Ne, _) | Cmp::Ip(false, _)
            );
            let mut present = 0usize;
            for i in 0..n {
                let v = extract_nth(ev, &self.lhs, i, a, t);
                if v == V::Missing {
                    continue;
                }
                present += 1;
                let r = cmp(&self.cmp, v, ev, b, t);
                if (neg || self.all) && !r {
                    return false;
                }
                if !neg && !self.all && r {
                    return true;
                }
            }
            return (neg || self.all) && present > 0;
        }
        let v = extract(ev, &self.lhs, a, t);
        cmp(&self.cmp, v, ev, b, t)
    }
}

fn icontains(hay: &str, needle_lower: &str) -> bool {
    let h = hay.as_bytes();
    let n = needle_lower.as_bytes();
    if n.is_empty() {
        return true;
    }
    if n.len() > h.len() {
        return false;
    }
    h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Glob matching with `*`, `?` and `[...]` classes (linear backtracking on the last `*`).
pub fn glob_match(pat: &[u8], s: &[u8], fold: bool) -> bool {
    let norm = |c: u8| if fold { c.to_ascii_lowercase() } else { c };
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        let c = norm(s[i]);
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class(pat, p, c) {
                        if matched {
                            p = next;
                            i += 1;
                            continue;
                        }
                    } else if c == b'[' {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pat.len() && pat[p + 1] == c => {
                    p += 2;
                    i += 1;
                    continue;
                }
                pc if pc == c => {
                    p += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, si)) => {
                p = sp + 1;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            None => return false,
        }
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

fn class(pat: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut j = start + 1;
    let neg = matches!(pat.get(j), Some(b'!' | b'^'));
    if neg {
        j += 1;
    }
    let mut matched = false;
    let first = j;
    while j < pat.len() && (pat[j] != b']' || j == first) {
        if j + 2 < pat.len() && pat[j + 1] == b'-' && pat[j + 2] != b']' {
            if pat[j] <= c && c <= pat[j + 2] {
                matched = true;
            }
            j += 3;
        } else {
            if pat[j] == c {
                matched = true;
            }
            j += 1;
        }
    }
    if j >= pat.len() {
        return None;
    }
    Some((matched != neg, j + 1))
}

fn str_cmp(op: Op, v: &str, k: &str) -> bool {
    match op {
        Op::Eq | Op::In | Op::Intersects => v == k,
        Op::Ne => v != k,
        Op::Lt => v < k,
        Op::Le => v <= k,
        Op::Gt => v > k,
        Op::Ge => v >= k,
        Op::Contains => v.contains(k),
        Op::IContains => icontains(v, &k.to_ascii_lowercase()),
        Op::StartsWith | Op::BStartsWith => v.starts_with(k),
        Op::EndsWith => v.ends_with(k),
        Op::BContains => v.contains(k),
        Op::Glob => glob_match(k.as_bytes(), v.as_bytes(), false),
        Op::IGlob => glob_match(k.to_ascii_lowercase().as_bytes(), v.as_bytes(), true),
        Op::Pmatch => v == k || v.strip_prefix(k).is_some_and(|r| r.starts_with('/')),
        Op::Regex => false,
        Op::Exists => true,
    }
}

fn num_op(op: Op, v: i64, k: i64) -> bool {
    match op {
        Op::Eq | Op::In | Op::Intersects => v == k,
        Op::Ne => v != k,
        Op::Lt => v < k,
        Op::Le => v <= k,
        Op::Gt => v > k,
        Op::Ge => v >= k,
        _ => false,
    }
}

fn as_int(v: V<'_>) -> Option<i64> {
    match v {
        V::Int(i) => Some(i),
        V::Str(s) => parse_int(s),
        V::Bool(b) => Some(i64::from(b)),
        V::Missing => None,
    }
}

fn cmp(c: &Cmp, v: V<'_>, ev: &Event, b: &mut String, t: &mut Tmp) -> bool {
    if v == V::Missing {
        return false;
    }
    match c {
        Cmp::Exists => true,
        Cmp::Never => false,
        Cmp::Num(op, k) => as_int(v).is_some_and(|x| num_op(*op, x, *k)),
        Cmp::NumIn(set) => as_int(v).is_some_and(|x| set.contains(&x)),
        Cmp::Bool(eq, k) => match v {
            V::Bool(x) => (x == *k) == *eq,
            V::Str(s) => parse_bool(s).is_some_and(|x| (x == *k) == *eq),
            V::Int(i) => ((i != 0) == *k) == *eq,
            V::Missing => false,
        },
        Cmp::Ip(pos, nets) => {
            let V::Str(s) = v else { return false };
            let Ok(ip) = s.parse::<IpAddr>() else {
                return false;
            };
            nets.iter().any(|n| n.contains(ip)) == *pos
        }
        Cmp::AnyOf(items) => items.iter().any(|x| cmp(x, v, ev, b, t)),
        Cmp::Field(op, rhs) => {
            let r = extract(ev, rhs, b, t);
            if r == V::Missing {
                return false;
            }
            match (as_int(v), as_int(r), rhs.ty.is_numeric()) {
                (Some(x), Some(y), true) => num_op(*op, x, y),
                _ => match (v, r) {
                    (V::Str(x), V::Str(y)) => str_cmp(*op, x, y),
                    _ => false,
                },
            }
        }
        _ => {
            let s: &str = match v {
                V::Str(s) => s,
                V::Int(_) | V::Bool(_) => {
                    // A string operator on a computed non-string (e.g. `len()` vs text).
                    return match (c, as_int(v)) {
                        (Cmp::StrEq(k), Some(x)) => parse_int(k) == Some(x),
                        (Cmp::StrNe(k), Some(x)) => parse_int(k) != Some(x),
                        _ => false,
                    };
                }
                V::Missing => return false,
            };
            match c {
                Cmp::StrEq(k) => s == &**k,
                Cmp::StrNe(k) => s != &**k,
                Cmp::StrLt(k, op) => str_cmp(*op, s, k),
                Cmp::Contains(k) => s.contains(&**k),
                Cmp::IContains(k) => icontains(s, k),
                Cmp::StartsWith(k) => s.starts_with(&**k),
                Cmp::EndsWith(k) => s.ends_with(&**k),
                Cmp::BContains(k) => {
                    k.is_empty() || s.as_bytes().windows(k.len()).any(|w| w == &**k)
                }
                Cmp::BStartsWith(k) => s.as_bytes().starts_with(k),
                Cmp::Glob(p, fold) => glob_match(p, s.as_bytes(), *fold),
                Cmp::Regex(re) => re.is_match(s),
                Cmp::StrIn(set) => set.contains(s),
                Cmp::Pmatch(tree) => tree.matches(s),
                _ => false,
            }
        }
    }
}

fn multi_len(ev: &Event, x: &Extractor) -> usize {
    match x.id {
        FieldId::K8sAudit => crate::k8saudit::count(ev, x),
        FieldId::FdIp | FieldId::FdPort | FieldId::FdNet => 2,
        _ => ev.proc.ancestors.len(),
    }
}

fn extract_nth<'a>(
    ev: &'a Event,
    x: &Extractor,
    i: usize,
    buf: &'a mut String,
    t: &mut Tmp,
) -> V<'a> {
    if x.transformers.is_empty() {
        return nth_raw(ev, x, i, buf);
    }
    if !to_tmp(nth_raw(ev, x, i, &mut *buf), t) {
        return V::Missing;
    }
    finish_transform(x, buf, t)
}

fn nth_raw<'a>(ev: &'a Event, x: &Extractor, i: usize, buf: &'a mut String) -> V<'a> {
    match x.id {
        FieldId::K8sAudit => crate::k8saudit::extract(ev, x, i, buf),
        FieldId::FdIp | FieldId::FdNet => {
            let fd = ev.fd.as_ref();
            let ip = if i == 0 {
                fd.and_then(|f| f.cip.as_deref())
            } else {
                fd.and_then(|f| f.sip.as_deref())
            };
            ip.map_or(V::Missing, V::Str)
        }
        FieldId::FdPort => {
            let fd = ev.fd.as_ref();
            let p = if i == 0 {
                fd.and_then(|f| f.cport)
            } else {
                fd.and_then(|f| f.sport)
            };
            p.map_or(V::Missing, V::Int)
        }
        _ => match ev.proc.ancestors.get(i) {
            None => V::Missing,
            Some(a) => match x.id {
                FieldId::ProcAname => V::Str(&a.name),
                FieldId::ProcAexe => V::Str(&a.exe),
                FieldId::ProcAexepath => V::Str(&a.exepath),
                FieldId::ProcApid => V::Int(a.pid),
                FieldId::ProcAcmdline => {
                    cmdline(buf, &a.name, &a.args);
                    V::Str(buf)
                }
                _ => V::Missing,
            },
        },
    }
}

fn cmdline(buf: &mut String, name: &str, args: &[String]) {
    buf.clear();
    buf.push_str(name);
    for a in args {
        buf.push(' ');
        buf.push_str(a);
    }
}

fn join(buf: &mut String, items: &[String], sep: &str) {
    buf.clear();
    for (i, a) in items.iter().enumerate() {
        if i > 0 {
            buf.push_str(sep);
        }
        buf.push_str(a);
    }
}

/// Applies transformers (outermost first) to the text in `t`; returns the length for `len`.
fn apply_transformers(trs: &[Transformer], t: &mut String, tmp: &mut String) -> Option<i64> {
    for tr in trs.iter().rev() {
        tmp.clear();
        match tr {
            Transformer::ToLower => {
                t.make_ascii_lowercase();
                continue;
            }
            Transformer::ToUpper => {
                t.make_ascii_uppercase();
                continue;
            }
            Transformer::Len => return Some(t.len() as i64),
            Transformer::Trim => tmp.push_str(t.trim()),
            Transformer::LTrim => tmp.push_str(t.trim_start()),
            Transformer::RTrim => tmp.push_str(t.trim_end()),
            Transformer::Basename => tmp.push_str(t.rsplit('/').next().unwrap_or("")),
            Transformer::B64 => b64_decode_into(t, tmp),
        }
        std::mem::swap(t, tmp);
    }
    None
}

/// Decodes standard or URL-safe base64 (padding optional); invalid input decodes to nothing.
pub fn b64_decode(s: &str) -> Option<String> {
    let mut out = String::new();
    b64_decode_into(s, &mut out);
    Some(out)
}

fn b64_decode_into(s: &str, into: &mut String) {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut n = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b'\n' | b'\r' | b' ' => continue,
            _ => return,
        };
        acc = (acc << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((acc >> n) as u8);
            acc &= (1 << n) - 1;
        }
    }
    into.push_str(&String::from_utf8_lossy(&out));
}

static ERRNO: &[&str] = &[
    "SUCCESS", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF",
    "ECHILD", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV",
    "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG",
    "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE",
];

/// The errno name for a negative return value (`-2` is `ENOENT`).
pub fn errno_name(res: i64) -> &'static str {
    if res >= 0 {
        return "SUCCESS";
    }
    match res {
        -110 => "ETIMEDOUT",
        -111 => "ECONNREFUSED",
        -113 => "EHOSTUNREACH",
        -115 => "EINPROGRESS",
        -98 => "EADDRINUSE",
        -99 => "EADDRNOTAVAIL",
        -104 => "ECONNRESET",
        -38 => "ENOSYS",
        -95 => "EOPNOTSUPP",
        -40 => "ELOOP",
        -36 => "ENAMETOOLONG",
        -39 => "ENOTEMPTY",
        _ => usize::try_from(-res)
            .ok()
            .and_then(|i| ERRNO.get(i))
            .copied()
            .unwrap_or("E"),
    }
}

const O_RDONLY: u8 = 1;
const O_WRONLY: u8 = 2;
const O_RDWR: u8 = 4;
const O_CREAT: u8 = 8;
const O_TMPFILE: u8 = 16;

/// The open flags strata cares about, from Falco's rendering (`O_WRONLY|O_CREAT|O_TRUNC`).
fn flag_bits(f: &str) -> u8 {
    let mut b = 0;
    for t in f.as_bytes().split(|&c| c == b'|') {
        b |= match t.trim_ascii() {
            b"O_RDONLY" => O_RDONLY,
            b"O_WRONLY" => O_WRONLY,
            b"O_RDWR" => O_RDWR,
            b"O_CREAT" => O_CREAT,
            b"O_TMPFILE" => O_TMPFILE,
            _ => 0,
        };
    }
    b
}

fn open_flags(ev: &Event) -> Option<&str> {
    if !matches!(
        ev.evt_type.as_str(),
        "open" | "openat" | "openat2" | "creat" | "open_by_handle_at"
    ) {
        return None;
    }
    Some(ev.arg("flags").unwrap_or(""))
}

fn typechar(t: &str) -> &'static str {
    match t {
        "file" => "f",
        "directory" => "d",
        "ipv4" => "4",
        "ipv6" => "6",
        "unix" => "u",
        "pipe" => "p",
        "event" => "e",
        "signalfd" => "s",
        "eventpoll" => "l",
        "inotify" => "i",
        "timerfd" => "t",
        "netlink" => "n",
        "bpf" => "b",
        "userfaultfd" => "u",
        "io_uring" => "r",
        "memfd" => "m",
        _ => "o",
    }
}

fn is_file(t: &str) -> bool {
    matches!(t, "file" | "directory" | "memfd")
}

/// Extracts a field's value. Computed strings are written to `buf`.
pub fn extract<'a>(ev: &'a Event, x: &Extractor, buf: &'a mut String, t: &mut Tmp) -> V<'a> {
    if x.transformers.is_empty() {
        return extract_raw(ev, x, buf);
    }
    if !to_tmp(extract_raw(ev, x, &mut *buf), t) {
        return V::Missing;
    }
    finish_transform(x, buf, t)
}

/// Copies `v` into the temp buffer, applies the transformers, and leaves the result in `buf`.
fn to_tmp(v: V<'_>, t: &mut Tmp) -> bool {
    let t = &mut t.t;
    t.clear();
    match v {
        V::Str(s) => t.push_str(s),
        V::Missing => return false,
        V::Int(i) => {
            use std::fmt::Write;
            let _ = write!(t, "{i}");
        }
        V::Bool(b) => t.push_str(if b { "true" } else { "false" }),
    }
    true
}

fn finish_transform<'a>(x: &Extractor, buf: &'a mut String, t: &mut Tmp) -> V<'a> {
    let Tmp { t, u } = t;
    if let Some(n) = apply_transformers(&x.transformers, t, u) {
        return V::Int(n);
    }
    buf.clear();
    buf.push_str(t);
    V::Str(buf)
}

fn opt(s: &str) -> V<'_> {
    V::Str(s)
}

fn nonempty(s: &str) -> V<'_> {
    if s.is_empty() { V::Missing } else { V::Str(s) }
}

#[allow(clippy::too_many_lines)]
fn extract_raw<'a>(ev: &'a Event, x: &Extractor, buf: &'a mut String) -> V<'a> {
    use FieldId as F;
    let p = &ev.proc;
    let parent = p.ancestors.first();
    let fd = ev.fd.as_ref();
    let ct = ev.container.as_ref();
    let idx = |arg: &Arg| match arg {
        Arg::Index(i) => Some(*i),
        _ => None,
    };
    match x.id {
        F::EvtNum => V::Int(ev.num as i64),
        F::EvtTime => {
            time::fmt_time(buf, ev.ts, true);
            V::Str(buf)
        }
        F::EvtTimeS => {
            time::fmt_time(buf, ev.ts, false);
            V::Str(buf)
        }
        F::EvtTimeIso8601 => {
            time::fmt_iso8601(buf, ev.ts);
            V::Str(buf)
        }
        F::EvtDatetime => {
            time::fmt_datetime(buf, ev.ts, true);
            V::Str(buf)
        }
        F::EvtDatetimeS => {
            time::fmt_datetime(buf, ev.ts, false);
            V::Str(buf)
        }
        F::EvtRawtime => V::Int(ev.ts as i64),
        F::EvtRawtimeS => V::Int((ev.ts / 1_000_000_000) as i64),
        F::EvtRawtimeNs => V::Int((ev.ts % 1_000_000_000) as i64),
        F::EvtType => V::Str(&ev.evt_type),
        F::EvtDir => V::Str(ev.dir.as_deref().unwrap_or("<")),
        F::EvtRes => V::Str(errno_name(ev.res)),
        F::EvtRawres => V::Int(ev.res),
        F::EvtFailed => V::Bool(ev.res < 0),
        F::EvtArgs => {
            buf.clear();
            for (i, a) in ev.args.iter().enumerate() {
                if i > 0 {
                    buf.push(' ');
                }
                buf.push_str(&a.name);
                buf.push('=');
                buf.push_str(&a.value);
            }
            V::Str(buf)
        }
        F::EvtArg | F::EvtRawarg => match &x.arg {
            Arg::Key(k) => ev.arg(k).map_or(V::Missing, V::Str),
            Arg::Index(i) => ev.args.get(*i).map_or(V::Missing, |a| V::Str(&a.value)),
            Arg::None => V::Missing,
        },
        F::EvtIsOpenRead => open_flags(ev).map_or(V::Missing, |f| {
            let b = flag_bits(f);
            V::Bool(b & (O_RDWR | O_RDONLY) != 0 || b & O_WRONLY == 0)
        }),
        F::EvtIsOpenWrite => open_flags(ev).map_or(V::Missing, |f| {
            V::Bool(flag_bits(f) & (O_WRONLY | O_RDWR) != 0)
        }),
        F::EvtIsOpenCreate => {
            open_flags(ev).map_or(V::Missing, |f| V::Bool(flag_bits(f) & O_CREAT != 0))
        }
        F::EvtIsOpenExec => open_flags(ev).map_or(V::Missing, |f| {
            let mode = ev
                .arg("mode")
                .and_then(|m| i64::from_str_radix(m.trim_start_matches("0o"), 8).ok())
                .unwrap_or(0);
            V::Bool(flag_bits(f) & (O_CREAT | O_TMPFILE) != 0 && mode & 0o111 != 0)
        }),
        F::EvtBuffer => ev.arg("data").map_or(V::Missing, V::Str),
        F::EvtBuflen => ev
            .arg("data")
            .map_or(V::Missing, |d| V::Int(d.len() as i64)),
        F::EvtHostname => ev.hostname.as_deref().map_or(V::Missing, V::Str),
        F::EvtSource => V::Str("syscall"),
        F::EvtLatency => V::Missing,
        F::ProcPid => V::Int(p.pid),
        F::ProcTid | F::ThreadTid => V::Int(if p.tid != 0 { p.tid } else { p.pid }),
        F::ProcPpid => V::Int(p.ppid),
        F::ProcVpid => V::Int(p.vpid),
        F::ProcSid => V::Int(p.sid),
        F::ProcVpgid => V::Int(p.vpgid),
        F::ProcName => V::Str(&p.name),
        F::ProcExe => V::Str(&p.exe),
        F::ProcExepath => V::Str(&p.exepath),
        F::ProcArgs => {
            join(buf, &p.args, " ");
            V::Str(buf)
        }
        F::ProcCmdline => {
            cmdline(buf, &p.name, &p.args);
            V::Str(buf)
        }
        F::ProcCmdnargs => V::Int(p.args.len() as i64),
        F::ProcCmdlenargs => V::Int(p.args.iter().map(|a| a.len() as i64).sum::<i64>()),
        F::ProcPname => parent.map_or(V::Missing, |a| V::Str(&a.name)),
        F::ProcPexe => parent.map_or(V::Missing, |a| V::Str(&a.exe)),
        F::ProcPexepath => parent.map_or(V::Missing, |a| V::Str(&a.exepath)),
        F::ProcPcmdline => match parent {
            Some(a) => {
                cmdline(buf, &a.name, &a.args);
                V::Str(buf)
            }
            None => V::Missing,
        },
        F::ProcAname | F::ProcAexe | F::ProcAexepath | F::ProcApid | F::ProcAcmdline => {
            // Index 0 is the process itself, 1 its parent.
            let i = idx(&x.arg).unwrap_or(1);
            if i == 0 {
                return match x.id {
                    F::ProcAname => V::Str(&p.name),
                    F::ProcAexe => V::Str(&p.exe),
                    F::ProcAexepath => V::Str(&p.exepath),
                    F::ProcApid => V::Int(p.pid),
                    _ => {
                        cmdline(buf, &p.name, &p.args);
                        V::Str(buf)
                    }
                };
            }
            match p.ancestors.get(i - 1) {
                None => V::Missing,
                Some(a) => match x.id {
                    F::ProcAname => V::Str(&a.name),
                    F::ProcAexe => V::Str(&a.exe),
                    F::ProcAexepath => V::Str(&a.exepath),
                    F::ProcApid => V::Int(a.pid),
                    _ => {
                        cmdline(buf, &a.name, &a.args);
                        V::Str(buf)
                    }
                },
            }
        }
        F::ProcCwd => V::Str(&p.cwd),
        F::ProcTty => V::Int(p.tty),
        F::ProcEnv => match &x.arg {
            Arg::Key(k) => p
                .env
                .iter()
                .find_map(|e| e.strip_prefix(&**k).and_then(|r| r.strip_prefix('=')))
                .map_or(V::Missing, V::Str),
            _ => {
                join(buf, &p.env, " ");
                V::Str(buf)
            }
        },
        F::ProcSname => nonempty(&p.sname),
        F::ProcVpgidName => nonempty(&p.vpgid_name),
        F::ProcVpgidExe => nonempty(&p.vpgid_exe),
        F::ProcIsVpgidLeader => V::Bool(p.is_vpgid_leader),
        F::ProcIsExeUpperLayer => V::Bool(p.is_exe_upper_layer),
        F::ProcIsContainerHealthcheck => V::Bool(p.is_container_healthcheck),
        F::ProcIsExeFromMemfd => V::Bool(p.is_exe_from_memfd),
        F::ProcExeInoCtime => time_or_missing(p.exe_ino_ctime),
        F::ProcExeInoMtime => time_or_missing(p.exe_ino_mtime),
        F::ProcExeInoCtimeDurationProcStart => {
            if p.exe_ino_ctime > 0 && p.start_ts > 0 {
                V::Int(saturating_diff(p.start_ts, p.exe_ino_ctime))
            } else {
                V::Missing
            }
        }
        F::ProcDuration => since(ev.ts, p.start_ts),
        F::ProcPpidDuration => parent.map_or(V::Missing, |a| since(ev.ts, a.start_ts)),
        F::ProcStartTs => time_or_missing(p.start_ts),
        F::ThreadCapPermitted => V::Str(&p.cap_permitted),
        F::ThreadCapEffective => V::Str(&p.cap_effective),
        F::ThreadCapInheritable => V::Str(&p.cap_inheritable),
        F::UserUid => V::Int(ev.user.uid),
        F::UserName => opt(&ev.user.name),
        F::UserLoginuid => V::Int(ev.user.loginuid),
        F::UserLoginname => opt(&ev.user.loginname),
        F::UserHomedir => nonempty(&ev.user.homedir),
        F::UserShell => nonempty(&ev.user.shell),
        F::GroupGid => V::Int(ev.group.gid),
        F::GroupName => opt(&ev.group.name),
        F::FsPathName | F::FsPathNameraw => ev
            .arg("path")
            .or_else(|| ev.arg("name"))
            .or_else(|| ev.arg("filename"))
            .map_or(V::Missing, V::Str),
        F::FsPathSource => ev
            .arg("oldpath")
            .or_else(|| ev.arg("target"))
            .map_or(V::Missing, V::Str),
        F::FsPathTarget => ev
            .arg("newpath")
            .or_else(|| ev.arg("linkpath"))
            .map_or(V::Missing, V::Str),
        F::ContainerId => V::Str(ct.map_or("host", |c| c.id.as_str())),
        F::ContainerName => V::Str(ct.map_or("host", |c| c.name.as_str())),
        F::K8sNsName => ev.k8s.as_ref().map_or(V::Missing, |k| nonempty(&k.ns_name)),
        F::K8sPodName => ev
            .k8s
            .as_ref()
            .map_or(V::Missing, |k| nonempty(&k.pod_name)),
        F::K8sPodUid => ev.k8s.as_ref().map_or(V::Missing, |k| nonempty(&k.pod_uid)),
        F::K8sPodLabel => match (&ev.k8s, &x.arg) {
            (Some(k), Arg::Key(key)) => k
                .pod_labels
                .iter()
                .find(|l| *l.key == **key)
                .map_or(V::Missing, |l| V::Str(&l.value)),
            _ => V::Missing,
        },
        F::K8sPodLabels => match &ev.k8s {
            Some(k) => {
                buf.clear();
                for (i, l) in k.pod_labels.iter().enumerate() {
                    if i > 0 {
                        buf.push_str(", ");
                    }
                    buf.push_str(&l.key);
                    buf.push(':');
                    buf.push_str(&l.value);
                }
                V::Str(buf)
            }
            None => V::Missing,
        },
        F::Unavailable => V::Missing,
        F::K8sAudit => crate::k8saudit::extract(ev, x, 0, buf),
        _ if matches!(
            x.id,
            F::FdNum
                | F::FdType
                | F::FdTypechar
                | F::FdName
                | F::FdNameraw
                | F::FdDirectory
                | F::FdFilename
                | F::FdIp
                | F::FdCip
                | F::FdSip
                | F::FdLip
                | F::FdRip
                | F::FdPort
                | F::FdCport
                | F::FdSport
                | F::FdLport
                | F::FdRport
                | F::FdL4proto
                | F::FdSockfamily
                | F::FdNet
                | F::FdCnet
                | F::FdSnet
                | F::FdLnet
                | F::FdRnet
                | F::FdConnected
                | F::FdNameChanged
                | F::FdCipName
                | F::FdSipName
                | F::FdLipName
                | F::FdRipName
                | F::FdDev
                | F::FdIno
                | F::FdIsServer
        ) =>
        {
            let Some(fd) = fd else { return V::Missing };
            let local_is_server = fd.is_server;
            let (lip, rip) = if local_is_server {
                (&fd.sip, &fd.cip)
            } else {
                (&fd.cip, &fd.sip)
            };
            let (lport, rport) = if local_is_server {
                (fd.sport, fd.cport)
            } else {
                (fd.cport, fd.sport)
            };
            let (lname, rname) = if local_is_server {
                (&fd.sip_name, &fd.cip_name)
            } else {
                (&fd.cip_name, &fd.sip_name)
            };
            let o = |s: &'a Option<String>| s.as_deref().map_or(V::Missing, V::Str);
            let port = |p: Option<i64>| p.map_or(V::Missing, V::Int);
            match x.id {
                F::FdNum => V::Int(fd.num),
                F::FdType => V::Str(&fd.fd_type),
                F::FdTypechar => V::Str(typechar(&fd.fd_type)),
                F::FdName => V::Str(&fd.name),
                F::FdNameraw => V::Str(if fd.nameraw.is_empty() {
                    &fd.name
                } else {
                    &fd.nameraw
                }),
                F::FdDirectory => {
                    if !is_file(&fd.fd_type) {
                        return V::Missing;
                    }
                    if fd.fd_type == "directory" {
                        return V::Str(&fd.name);
                    }
                    match fd.name.rfind('/') {
                        Some(0) => V::Str("/"),
                        Some(i) => V::Str(fd.name.get(..i).unwrap_or("")),
                        None => V::Str(""),
                    }
                }
                F::FdFilename => {
                    if !is_file(&fd.fd_type) || fd.fd_type == "directory" {
                        return V::Missing;
                    }
                    V::Str(fd.name.rsplit('/').next().unwrap_or(""))
                }
                F::FdCip | F::FdCnet => o(&fd.cip),
                F::FdSip | F::FdSnet => o(&fd.sip),
                F::FdLip | F::FdLnet => o(lip),
                F::FdRip | F::FdRnet => o(rip),
                F::FdIp | F::FdNet => o(&fd.cip),
                F::FdPort => port(fd.cport),
                F::FdCport => port(fd.cport),
                F::FdSport => port(fd.sport),
                F::FdLport => port(lport),
                F::FdRport => port(rport),
                F::FdL4proto => nonempty(&fd.l4proto),
                F::FdSockfamily => match fd.fd_type.as_str() {
                    "ipv4" | "ipv6" => V::Str("ip"),
                    "unix" => V::Str("unix"),
                    _ => V::Missing,
                },
                F::FdConnected => V::Bool(fd.connected),
                F::FdNameChanged => V::Bool(fd.name_changed),
                F::FdCipName => o(&fd.cip_name),
                F::FdSipName => o(&fd.sip_name),
                F::FdLipName => o(lname),
                F::FdRipName => o(rname),
                F::FdDev => V::Int(fd.dev),
                F::FdIno => V::Int(fd.ino),
                F::FdIsServer => V::Bool(fd.is_server),
                _ => V::Missing,
            }
        }
        _ => {
            let Some(c) = ct else { return V::Missing };
            let mount = |arg: &Arg, by_dest: bool| match arg {
                Arg::Index(i) => c.mounts.get(*i),
                Arg::Key(k) => c.mounts.iter().find(|m| {
                    let probe = if by_dest { &m.dest } else { &m.source };
                    glob_match(k.as_bytes(), probe.as_bytes(), false)
                }),
                Arg::None => None,
            };
            match x.id {
                F::ContainerFullId => nonempty(&c.full_id),
                F::ContainerImage => nonempty(&c.image),
                F::ContainerImageId => nonempty(&c.image_id),
                F::ContainerImageRepository => nonempty(&c.image_repository),
                F::ContainerImageTag => nonempty(&c.image_tag),
                F::ContainerImageDigest => nonempty(&c.image_digest),
                F::ContainerType => nonempty(&c.runtime),
                F::ContainerPrivileged => V::Bool(c.privileged),
                F::ContainerHostNetwork => V::Bool(c.host_network),
                F::ContainerHostPid => V::Bool(c.host_pid),
                F::ContainerHostIpc => V::Bool(c.host_ipc),
                F::ContainerHealthcheck => nonempty(&c.healthcheck),
                F::ContainerIp => nonempty(&c.ip),
                F::ContainerCapAdd | F::ContainerCapDrop => {
                    let caps = if x.id == F::ContainerCapAdd {
                        &c.cap_add
                    } else {
                        &c.cap_drop
                    };
                    buf.clear();
                    for (i, cap) in caps.iter().enumerate() {
                        if i > 0 {
                            buf.push(',');
                        }
                        buf.push_str(cap);
                    }
                    V::Str(buf)
                }
                F::ContainerStartTs => time_or_missing(c.start_ts),
                F::ContainerDuration => since(ev.ts, c.start_ts),
                F::ContainerLabel => match &x.arg {
                    Arg::Key(k) => c
                        .labels
                        .iter()
                        .find(|l| *l.key == **k)
                        .map_or(V::Missing, |l| V::Str(&l.value)),
                    _ => V::Missing,
                },
                F::ContainerLabels => {
                    buf.clear();
                    for (i, l) in c.labels.iter().enumerate() {
                        if i > 0 {
                            buf.push_str(", ");
                        }
                        buf.push_str(&l.key);
                        buf.push(':');
                        buf.push_str(&l.value);
                    }
                    V::Str(buf)
                }
                F::ContainerMounts => {
                    buf.clear();
                    for (i, m) in c.mounts.iter().enumerate() {
                        if i > 0 {
                            buf.push(',');
                        }
                        mount_str(buf, m);
                    }
                    V::Str(buf)
                }
                F::ContainerMount => match mount(&x.arg, false) {
                    Some(m) => {
                        buf.clear();
                        mount_str(buf, m);
                        V::Str(buf)
                    }
                    None => V::Missing,
                },
                F::ContainerMountSource => {
                    mount(&x.arg, true).map_or(V::Missing, |m| V::Str(&m.source))
                }
                F::ContainerMountDest => {
                    mount(&x.arg, false).map_or(V::Missing, |m| V::Str(&m.dest))
                }
                F::ContainerMountMode => {
                    mount(&x.arg, false).map_or(V::Missing, |m| V::Str(&m.mode))
                }
                F::ContainerMountRdwr => mount(&x.arg, false).map_or(V::Missing, |m| {
                    V::Str(if m.rdwr { "true" } else { "false" })
                }),
                F::ContainerMountPropagation => {
                    mount(&x.arg, false).map_or(V::Missing, |m| V::Str(&m.propagation))
                }
                _ => V::Missing,
            }
        }
    }
}

fn mount_str(buf: &mut String, m: &crate::event::Mount) {
    buf.push_str(&m.source);
    buf.push(':');
    buf.push_str(&m.dest);
    buf.push(':');
    buf.push_str(&m.mode);
    buf.push(':');
    buf.push_str(if m.rdwr { "true" } else { "false" });
    buf.push(':');
    buf.push_str(&m.propagation);
}

fn time_or_missing(t: u64) -> V<'static> {
    if t == 0 {
        V::Missing
    } else {
        V::Int(i64::try_from(t).unwrap_or(i64::MAX))
    }
}

/// `a - b` as a signed number, saturating: event timestamps come from outside (replay
/// files) and may be anything, so this must neither overflow nor wrap.
fn saturating_diff(a: u64, b: u64) -> i64 {
    let d = i128::from(a) - i128::from(b);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

fn since(now: u64, start: u64) -> V<'static> {
    if start == 0 {
        V::Missing
    } else {
        V::Int(saturating_diff(now, start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_differences_saturate_instead_of_overflowing() {
        assert_eq!(saturating_diff(10, 3), 7);
        assert_eq!(saturating_diff(3, 10), -7);
        assert_eq!(saturating_diff(u64::MAX, 1), i64::MAX);
        assert_eq!(saturating_diff(1, u64::MAX), i64::MIN);
        assert!(matches!(since(u64::MAX, 1), V::Int(i64::MAX)));
        assert!(matches!(time_or_missing(u64::MAX), V::Int(i64::MAX)));
    }

    #[test]
    fn globbing() {
        assert!(glob_match(b"/etc/*", b"/etc/passwd", false));
        assert!(glob_match(b"*.so.?", b"libc.so.6", false));
        assert!(glob_match(b"[a-c]at", b"bat", false));
        assert!(!glob_match(b"[!a-c]at", b"bat", false));
        assert!(glob_match(b"*a*b*c*", b"xxaxxbxxcxx", false));
        assert!(!glob_match(b"*a*b*c", b"xxaxxbxxcxx", false));
        assert!(glob_match(b"abc", b"ABC", true));
    }

    #[test]
    fn prefix_tree() {
        let mut i = Interner::default();
        let mut t = PrefixTree::default();
        t.insert("/etc", &mut i);
        t.insert("/usr/bin/", &mut i);
        assert!(t.matches("/etc/passwd"));
        assert!(t.matches("/etc"));
        assert!(!t.matches("/etcx"));
        assert!(t.matches("/usr/bin/ls"));
        assert!(!t.matches("/usr/lib"));
    }

    #[test]
    fn nets() {
        let n = Net::parse("127.0.0.1/24").unwrap_or(Net {
            addr: 0,
            prefix: 0,
            v4: false,
        });
        assert!(n.contains("127.0.0.200".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(!n.contains("127.0.1.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert_eq!(b64_decode("aGVsbG8="), Some("hello".to_string()));
        assert_eq!(errno_name(-2), "ENOENT");
    }
}
