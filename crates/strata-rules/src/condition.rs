//! The filter (condition) language: a recursive-descent parser producing an AST.
//!
//! Grammar (after libsinsp's `filter/parser.h`):
//!
//! ```text
//! Expr        ::= OrExpr
//! OrExpr      ::= AndExpr ('or' AndExpr)*
//! AndExpr     ::= NotExpr ('and' NotExpr)*
//! NotExpr     ::= 'not' NotExpr | Check
//! Check       ::= '(' Expr ')' | FieldOrTr UnaryOp | FieldOrTr BinaryOp Value
//!               | FieldOrTr ListOp ListValue | MacroName
//! FieldOrTr   ::= Field | Transformer '(' FieldOrTr ')'
//! Field       ::= name ('.' name)+ ('[' arg ']')?
//! Value       ::= 'val' '(' FieldOrTr ')' | Transformer '(' FieldOrTr ')' | QuotedStr | BareStr
//! ListValue   ::= '(' (ListItem (',' ListItem)*)? ')' | ListName
//! ```

/// Deepest nesting of parentheses and `not` accepted.
pub const MAX_NESTING: usize = 100;
/// Longest condition accepted, in bytes.
pub const MAX_CONDITION_LEN: usize = 4 << 20;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    In,
    Intersects,
    Pmatch,
    Exists,
}

impl Op {
    /// The operator as written in conditions.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::Regex => "regex",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::Pmatch => "pmatch",
            Op::Exists => "exists",
        }
    }
    /// Parses an operator name (as used in exception `comps`).
    pub fn from_name(s: &str) -> Option<Op> {
        Some(match s {
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "bcontains" => Op::BContains,
            "startswith" => Op::StartsWith,
            "bstartswith" => Op::BStartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "iglob" => Op::IGlob,
            "regex" => Op::Regex,
            "in" => Op::In,
            "intersects" => Op::Intersects,
            "pmatch" => Op::Pmatch,
            "exists" => Op::Exists,
            _ => return None,
        })
    }
    /// Operators whose right-hand side is a list.
    pub fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::Pmatch)
    }
}

/// A field transformer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Transformer {
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
    Trim,
    LTrim,
    RTrim,
}

impl Transformer {
    /// Parses a transformer name.
    pub fn from_name(s: &str) -> Option<Transformer> {
        Some(match s {
            "tolower" => Transformer::ToLower,
            "toupper" => Transformer::ToUpper,
            "b64" => Transformer::B64,
            "basename" => Transformer::Basename,
            "len" => Transformer::Len,
            "trim" => Transformer::Trim,
            "ltrim" => Transformer::LTrim,
            "rtrim" => Transformer::RTrim,
            _ => return None,
        })
    }
    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Transformer::ToLower => "tolower",
            Transformer::ToUpper => "toupper",
            Transformer::B64 => "b64",
            Transformer::Basename => "basename",
            Transformer::Len => "len",
            Transformer::Trim => "trim",
            Transformer::LTrim => "ltrim",
            Transformer::RTrim => "rtrim",
        }
    }
}

/// A field reference with optional argument and transformers (innermost last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    /// Field name (`proc.aname`, `evt.arg.flags`).
    pub name: String,
    /// Argument in brackets.
    pub arg: Option<String>,
    /// Transformers, outermost first.
    pub transformers: Vec<Transformer>,
    /// Byte offset in the condition.
    pub offset: usize,
}

/// A literal or list item: its text and whether it was quoted (quoted text never names a list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// Unescaped text.
    pub text: String,
    /// Written with quotes.
    pub quoted: bool,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// One value.
    Value(Literal),
    /// A parenthesised list.
    List(Vec<Literal>),
    /// Another field: `val(field)` or a transformer.
    Field(FieldRef),
}

/// A condition AST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// All must hold.
    And(Vec<Expr>),
    /// Any must hold.
    Or(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// A macro reference.
    Macro {
        /// Macro name.
        name: String,
        /// Byte offset.
        offset: usize,
    },
    /// A field check.
    Check {
        /// The field.
        field: FieldRef,
        /// The operator.
        op: Op,
        /// The right-hand side (`None` for `exists`).
        rhs: Option<Operand>,
    },
}

/// A syntax error in a condition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at offset {offset}: {message}")]
pub struct ParseError {
    /// Byte offset in the condition.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

struct P<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
    depth: usize,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}
fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
fn is_bare(c: u8) -> bool {
    !(c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b','))
}

/// Parses a condition.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    if src.len() > MAX_CONDITION_LEN {
        return Err(ParseError {
            offset: MAX_CONDITION_LEN,
            message: format!("condition longer than {MAX_CONDITION_LEN} bytes"),
        });
    }
    let mut p = P {
        s: src.as_bytes(),
        src,
        i: 0,
        depth: 0,
    };
    p.ws();
    if p.i >= p.s.len() {
        return Err(p.err("empty condition"));
    }
    let e = p.or()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err(&format!("unexpected '{}'", p.rest_token())));
    }
    Ok(e)
}

/// Parses a lone field reference (`proc.aname[2]`, `tolower(proc.name)`).
pub fn parse_field(src: &str) -> Result<FieldRef, ParseError> {
    let mut p = P {
        s: src.as_bytes(),
        src,
        i: 0,
        depth: 0,
    };
    let f = p.field_or_tr()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err(&format!("unexpected '{}' after field", p.rest_token())));
    }
    Ok(f)
}

impl P<'_> {
    fn err(&self, m: &str) -> ParseError {
        ParseError {
            offset: self.i,
            message: m.to_string(),
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    fn rest_token(&self) -> String {
        let rest = self.src.get(self.i..).unwrap_or("");
        rest.chars().take(20).collect()
    }
    /// Matches a keyword followed by a non-identifier character.
    fn keyword(&mut self, kw: &str) -> bool {
        let end = self.i + kw.len();
        if self.s.get(self.i..end) == Some(kw.as_bytes())
            && !self.s.get(end).copied().is_some_and(is_ident)
        {
            self.i = end;
            true
        } else {
            false
        }
    }
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.err(&format!("nesting deeper than {MAX_NESTING} levels")));
        }
        Ok(())
    }
    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.and()?];
        loop {
            self.ws();
            if self.keyword("or") {
                self.ws();
                items.push(self.and()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::Or(Vec::new()))
        } else {
            Expr::Or(items)
        })
    }
    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.not()?];
        loop {
            self.ws();
            if self.keyword("and") {
                self.ws();
                items.push(self.not()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::And(Vec::new()))
        } else {
            Expr::And(items)
        })
    }
    fn not(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        let mut count = 0usize;
        while self.keyword("not") {
            count += 1;
            self.enter()?;
            self.ws();
        }
        let mut e = self.check()?;
        for _ in 0..count {
            e = Expr::Not(Box::new(e));
            self.depth -= 1;
        }
        Ok(e)
    }
    fn check(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        match self.peek() {
            None => Err(self.err("unexpected end of condition, expected a check")),
            Some(b'(') => {
                self.i += 1;
                self.enter()?;
                self.ws();
                let e = self.or()?;
                self.ws();
                if self.peek() != Some(b')') {
                    return Err(self.err("expected ')'"));
                }
                self.i += 1;
                self.depth -= 1;
                Ok(e)
            }
            Some(c) if is_ident_start(c) => {
                let start = self.i;
                let name = self.name().to_string();
                if Transformer::from_name(&name).is_some() && self.peek() == Some(b'(') {
                    self.i = start;
                    let field = self.field_or_tr()?;
                    return self.condition(field);
                }
                if name.contains('.') {
                    self.i = start;
                    let field = self.field_or_tr()?;
                    return self.condition(field);
                }
                Ok(Expr::Macro {
                    name,
                    offset: start,
                })
            }
            Some(_) => Err(self.err(&format!(
                "expected a field, a macro name, 'not' or '(' but found '{}'",
                self.rest_token()
            ))),
        }
    }
    fn name(&mut self) -> &str {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| is_ident(c) || c == b'.' || c == b'-')
        {
            self.i += 1;
        }
        // A trailing '.' or '-' is not part of a name.
        while self.i > start && matches!(self.s.get(self.i - 1), Some(b'.' | b'-')) {
            self.i -= 1;
        }
        self.src.get(start..self.i).unwrap_or("")
    }
    fn field_or_tr(&mut self) -> Result<FieldRef, ParseError> {
        self.ws();
        let start = self.i;
        if !self.peek().is_some_and(is_ident_start) {
            return Err(self.err("expected a field name"));
        }
        let name = self.name().to_string();
        if let Some(tr) = Transformer::from_name(&name)
            && self.peek() == Some(b'(')
        {
            self.i += 1;
            self.enter()?;
            let mut inner = self.field_or_tr()?;
            self.ws();
            if self.peek() != Some(b')') {
                return Err(self.err("expected ')' after transformer argument"));
            }
            self.i += 1;
            self.depth -= 1;
            inner.transformers.insert(0, tr);
            inner.offset = start;
            return Ok(inner);
        }
        if !name.contains('.') {
            self.i = start;
            return Err(self.err(&format!("'{name}' is not a field name")));
        }
        let mut arg = None;
        if self.peek() == Some(b'[') {
            let astart = self.i + 1;
            let Some(len) = self
                .s
                .get(astart..)
                .and_then(|r| r.iter().position(|&c| c == b']'))
            else {
                return Err(self.err("unterminated '[' in field argument"));
            };
            arg = Some(self.src.get(astart..astart + len).unwrap_or("").to_string());
            self.i = astart + len + 1;
        }
        Ok(FieldRef {
            name,
            arg,
            transformers: Vec::new(),
            offset: start,
        })
    }
    fn op(&mut self) -> Option<Op> {
        for (sym, op) in [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if self.s.get(self.i..self.i + sym.len()) == Some(sym.as_bytes()) {
                self.i += sym.len();
                return Some(op);
            }
        }
        for (kw, op) in [
            ("contains", Op::Contains),
            ("icontains", Op::IContains),
            ("bcontains", Op::BContains),
            ("startswith", Op::StartsWith),
            ("bstartswith", Op::BStartsWith),
            ("endswith", Op::EndsWith),
            ("glob", Op::Glob),
            ("iglob", Op::IGlob),
            ("regex", Op::Regex),
            ("intersects", Op::Intersects),
            ("in", Op::In),
            ("pmatch", Op::Pmatch),
            ("exists", Op::Exists),
        ] {
            if self.keyword(kw) {
                return Some(op);
            }
        }
        None
    }
    fn condition(&mut self, field: FieldRef) -> Result<Expr, ParseError> {
        self.ws();
        let Some(op) = self.op() else {
            return Err(self.err(&format!(
                "expected an operator after field '{}' but found '{}'",
                field.name,
                self.rest_token()
            )));
        };
        if op == Op::Exists {
            return Ok(Expr::Check {
                field,
                op,
                rhs: None,
            });
        }
        self.ws();
        let rhs = if op.takes_list() {
            if self.peek() == Some(b'(') {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b')') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        items.push(self.literal()?);
                        self.ws();
                        match self.peek() {
                            Some(b',') => self.i += 1,
                            Some(b')') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(self.err("expected ',' or ')' in list")),
                        }
                    }
                }
                Operand::List(items)
            } else if self.peek().is_some_and(is_ident_start) {
                // A bare list name.
                let l = self.literal()?;
                Operand::List(vec![l])
            } else {
                return Err(self.err(&format!("operator '{}' needs a list '(...)'", op.as_str())));
            }
        } else {
            self.value()?
        };
        Ok(Expr::Check {
            field,
            op,
            rhs: Some(rhs),
        })
    }
    fn value(&mut self) -> Result<Operand, ParseError> {
        let start = self.i;
        if self.peek().is_some_and(is_ident_start) {
            let name = self.name().to_string();
            if self.peek() == Some(b'(') {
                if name == "val" {
                    self.i += 1;
                    self.enter()?;
                    let f = self.field_or_tr()?;
                    self.ws();
                    if self.peek() != Some(b')') {
                        return Err(self.err("expected ')' after val(...)"));
                    }
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(Operand::Field(f));
                }
                if Transformer::from_name(&name).is_some() {
                    self.i = start;
                    return Ok(Operand::Field(self.field_or_tr()?));
                }
            }
            self.i = start;
        }
        Ok(Operand::Value(self.literal()?))
    }
    fn literal(&mut self) -> Result<Literal, ParseError> {
        match self.peek() {
            Some(q @ (b'"' | b'\'')) => {
                let start = self.i;
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    match self.peek() {
                        None => {
                            self.i = start;
                            return Err(self.err("unterminated quoted string"));
                        }
                        Some(c) if c == q => {
                            self.i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            self.i += 1;
                            let Some(c) = self.peek() else {
                                return Err(self.err("unterminated escape"));
                            };
                            self.i += 1;
                            match c {
                                b'n' => out.push(b'\n'),
                                b't' => out.push(b'\t'),
                                b'r' => out.push(b'\r'),
                                b'0' => out.push(0),
                                b'b' => out.push(8),
                                b'f' => out.push(12),
                                b'x' => {
                                    let hex = self
                                        .src
                                        .get(self.i..self.i + 2)
                                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                                    let Some(b) = hex else {
                                        return Err(self.err("invalid \\x escape"));
                                    };
                                    self.i += 2;
                                    out.push(b);
                                }
                                other => out.push(other),
                            }
                        }
                        Some(c) => {
                            out.push(c);
                            self.i += 1;
                        }
                    }
                }
                Ok(Literal {
                    text: String::from_utf8_lossy(&out).into_owned(),
                    quoted: true,
                })
            }
            Some(c) if is_bare(c) => {
                let start = self.i;
                while self.peek().is_some_and(is_bare) {
                    self.i += 1;
                }
                Ok(Literal {
                    text: self.src.get(start..self.i).unwrap_or("").to_string(),
                    quoted: false,
                })
            }
            _ => Err(self.err(&format!(
                "expected a value but found '{}'",
                self.rest_token()
            ))),
        }
    }
}

/// Visits every field reference and macro name in an expression (iteratively).
pub fn walk<'a>(e: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        f(e);
        match e {
            Expr::And(v) | Expr::Or(v) => stack.extend(v.iter()),
            Expr::Not(x) => stack.push(x),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn lit(s: &str) -> Literal {
        Literal {
            text: s.into(),
            quoted: false,
        }
    }

    #[test]
    fn parses_checks() {
        let e = parse("evt.type in (open,openat) and not proc.name=cat").unwrap();
        let Expr::And(v) = e else { panic!() };
        assert_eq!(v.len(), 2);
        assert_eq!(
            v[0],
            Expr::Check {
                field: FieldRef {
                    name: "evt.type".into(),
                    arg: None,
                    transformers: vec![],
                    offset: 0
                },
                op: Op::In,
                rhs: Some(Operand::List(vec![lit("open"), lit("openat")]))
            }
        );
        assert!(matches!(&v[1], Expr::Not(_)));
    }

    #[test]
    fn parses_args_transformers_val() {
        let e = parse("tolower(proc.aname[2]) = val(proc.name)").unwrap();
        let Expr::Check { field, op, rhs } = e else {
            panic!()
        };
        assert_eq!(field.name, "proc.aname");
        assert_eq!(field.arg.as_deref(), Some("2"));
        assert_eq!(field.transformers, vec![Transformer::ToLower]);
        assert_eq!(op, Op::Eq);
        assert!(matches!(rhs, Some(Operand::Field(f)) if f.name == "proc.name"));
        assert!(parse("fd.name exists").is_ok());
        assert!(parse("proc.cmdline contains \"a \\\"b\"").is_ok());
        assert!(matches!(parse("my_macro"), Ok(Expr::Macro { .. })));
        let e = parse("evt.res startswith E").unwrap();
        assert!(matches!(
            e,
            Expr::Check {
                op: Op::StartsWith,
                ..
            }
        ));
    }

    #[test]
    fn errors() {
        assert_eq!(parse("").unwrap_err().message, "empty condition");
        assert_eq!(parse("(proc.name=cat").unwrap_err().offset, 14);
        assert!(parse("proc.name").unwrap_err().message.contains("operator"));
        assert!(
            parse("proc.name=cat foo")
                .unwrap_err()
                .message
                .contains("unexpected")
        );
        let deep = format!("{}proc.name=a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&deep).unwrap_err().message.contains("nesting"));
        let nots = format!("{}proc.name=a", "not ".repeat(100_000));
        assert!(parse(&nots).unwrap_err().message.contains("nesting"));
        assert!(parse("proc.name in").is_err());
        assert!(parse("proc.name='abc").is_err());
    }
}
