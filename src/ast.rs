//! The syntax tree of a `.rule` file: plain enums and structs with byte spans.
//!
//! Identifiers and paths are spans into the file's text (read them with
//! [`SourceFile::slice`](crate::source::SourceFile::slice)); string literals carry their
//! decoded value. Nothing from pest appears here.

use crate::source::{SourceId, Span};

/// One parsed file. Items that failed to parse are absent (their diagnostics say why).
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub source: SourceId,
    pub items: Vec<Item>,
}

/// A top-level item of a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Schema(SchemaBlock),
    Rule(Rule),
}

/// `schema { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaBlock {
    pub span: Span,
    pub decls: Vec<SchemaDecl>,
}

/// One declaration inside a `schema { }` block.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaDecl {
    /// `field NAME: TYPE`
    Field {
        span: Span,
        name: Ident,
        ty: FieldType,
    },
    /// `tags "A", "B"`
    Tags { span: Span, tags: Vec<StrLit> },
    /// `secret NAME`
    Secret { span: Span, name: Ident },
}

/// The declared type of a custom field, with the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldType {
    pub span: Span,
    pub kind: FieldTypeKind,
}

/// The custom field types of spec §3.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldTypeKind {
    Text,
    Number,
    Bool,
    Timestamp,
    ListOfText,
    OneOf(Vec<StrLit>),
}

/// A bare identifier (a field or secret name); its text is the source under `span`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ident {
    pub span: Span,
}

/// A dotted path such as `case.custom_fields.refund_amount` or `secrets.TOKEN`; its text is
/// the source under `span` (paths contain no whitespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path {
    pub span: Span,
}

/// A double-quoted string literal without merge tags, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrLit {
    pub span: Span,
    pub value: String,
}

/// `rule "NAME" { ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub span: Span,
    pub name: StrLit,
    pub trigger: Trigger,
    pub throttles: Vec<Throttle>,
    pub body: Vec<Stmt>,
}

/// `when case.closed`: the text under `span` is the trigger name, checked by `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    /// The whole `when ...` line.
    pub span: Span,
    /// Just the trigger name.
    pub name: Span,
}

/// What a keyed throttle counts per: `throttle per case ...` or `per contact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleKey {
    Case,
    Contact,
}

/// `throttle [per case|contact] N per UNIT`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub span: Span,
    pub key: Option<ThrottleKey>,
    pub rate: Rate,
}

/// `N per minute` or `N per 60 minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub span: Span,
    pub count: u64,
    pub per: Duration,
}

/// A duration unit (written singular or plural).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Second,
    Minute,
    Hour,
    Day,
}

impl TimeUnit {
    /// The unit in seconds.
    pub fn seconds(self) -> u64 {
        match self {
            TimeUnit::Second => 1,
            TimeUnit::Minute => 60,
            TimeUnit::Hour => 3600,
            TimeUnit::Day => 86400,
        }
    }
}

/// `60 minutes`; `per minute` is `1 minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    pub span: Span,
    pub amount: u64,
    pub unit: TimeUnit,
}

impl Duration {
    /// Total seconds, saturating.
    pub fn seconds(self) -> u64 {
        self.amount.saturating_mul(self.unit.seconds())
    }
}

/// A statement: an action, a `parallel` group or an if-chain.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Action(Action),
    /// `parallel { ACTIONS }`
    Parallel {
        span: Span,
        actions: Vec<Action>,
    },
    If(IfChain),
}

/// `if C then { } else if C then { } else { }`
#[derive(Debug, Clone, PartialEq)]
pub struct IfChain {
    pub span: Span,
    /// The `if` and every `else if`, in order.
    pub branches: Vec<Branch>,
    pub otherwise: Option<Block>,
}

/// `if C then { ... }` or one `else if C then { ... }` of a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    pub span: Span,
    pub cond: Cond,
    pub block: Block,
}

/// `{ STATEMENTS }`
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub span: Span,
    pub stmts: Vec<Stmt>,
}

/// A condition. Precedence (`not` > `and` > `or`) is resolved by the parser;
/// parentheses leave no node.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not { span: Span, inner: Box<Cond> },
    Test(Test),
}

impl Cond {
    /// The span of the whole condition.
    pub fn span(&self) -> Span {
        match self {
            Cond::And(a, b) | Cond::Or(a, b) => a.span().to(b.span()),
            Cond::Not { span, .. } => *span,
            Cond::Test(t) => t.span,
        }
    }
}

/// `PATH OP [OPERAND]`
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    pub span: Span,
    pub lhs: Path,
    pub op: Op,
    pub op_span: Span,
    pub rhs: Operand,
}

/// A comparison operator (spec §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Contains,
    NotContains,
    IsEmpty,
    IsNotEmpty,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    StartsWith,
    EndsWith,
}

impl Op {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Contains => "contains",
            Op::NotContains => "not contains",
            Op::IsEmpty => "is empty",
            Op::IsNotEmpty => "is not empty",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::StartsWith => "starts with",
            Op::EndsWith => "ends with",
        }
    }
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `is empty` / `is not empty` take none.
    None,
    Literal(Literal),
    Path(Path),
    /// `in [ ... ]`
    List {
        span: Span,
        items: Vec<Literal>,
    },
}

/// A literal value: in a comparison, a list, or a merge-tag fallback.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub span: Span,
    pub kind: LitKind,
}

/// A literal's decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum LitKind {
    Str(String),
    Num(f64),
    Bool(bool),
}

/// The HTTP method of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The method as sent on the wire (`POST`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// `post "URL" { clauses }`. Clauses may come in any order; the parser reports duplicates.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub span: Span,
    pub method: Method,
    pub method_span: Span,
    pub url: Template,
    pub headers: Vec<Header>,
    pub sign: Option<Sign>,
    pub body: Option<Json>,
    pub timeout: Option<Duration>,
    pub retry: Option<Retry>,
}

/// `header "Name" = "TEMPLATE"`
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub span: Span,
    pub name: StrLit,
    pub value: Template,
}

/// `sign SCHEME with secrets.NAME [header "X"]`
#[derive(Debug, Clone, PartialEq)]
pub struct Sign {
    pub span: Span,
    pub scheme: SignScheme,
    /// `secrets.NAME`
    pub secret: Path,
}

/// How a request is signed.
#[derive(Debug, Clone, PartialEq)]
pub enum SignScheme {
    /// `hmac-sha256 ... [header "X-..."]`
    HmacSha256 {
        header: Option<StrLit>,
    },
    StandardWebhooks,
}

/// `retry N times` or `retry never`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub span: Span,
    pub kind: RetryKind,
}

/// The retry policy an action asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryKind {
    /// `retry N times`: N attempts in all.
    Times(u32),
    Never,
}

/// A string that may hold merge tags: `"Bearer {{secrets.T}}"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Including the quotes.
    pub span: Span,
    pub parts: Vec<TemplatePart>,
}

/// A piece of a template: literal text or a merge tag.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Decoded literal text.
    Text(String),
    Tag(MergeTag),
}

/// `{{ path }}` or `{{ path ?? 'fallback' }}`
#[derive(Debug, Clone, PartialEq)]
pub struct MergeTag {
    /// From `{{` to `}}` inclusive.
    pub span: Span,
    pub path: Path,
    pub fallback: Option<Literal>,
}

/// A JSON body template.
#[derive(Debug, Clone, PartialEq)]
pub struct Json {
    pub span: Span,
    pub kind: JsonKind,
}

/// A JSON template value.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonKind {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Template),
    /// A bare merge tag standing as a value: renders typed JSON.
    Tag(MergeTag),
    Array(Vec<Json>),
    Object(Vec<(StrLit, Json)>),
}
