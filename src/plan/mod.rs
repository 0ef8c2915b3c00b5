//! Lowering a checked program to a flat, serialisable plan.
//!
//! A [`Plan`] is a flat list of [`Instr`] (a small `Copy` enum) for conditions and control
//! flow, plus side tables: constants, templates (typed segments), actions, rules indexed
//! by trigger, and a location table mapping every instruction back to its file and line.
//! Paths are resolved to slots at compile time, so the VM never looks a field up by name.
//! The plan is serde-serialisable with a format version (`rulec compile -o`).

mod listing;
mod lower;

use serde::{Deserialize, Serialize};

use crate::schema::{self, Trigger};

pub use lower::compile;

/// The plan format this build writes and reads. Bump on any change to the shape.
pub const FORMAT_VERSION: u32 = 1;

/// A compiled set of rules, ready for [`crate::vm::evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// [`FORMAT_VERSION`] when written.
    pub version: u32,
    /// Source file paths, indexed by [`Loc::file`].
    pub files: Vec<String>,
    /// Custom fields in slot order (slot = built-ins count + index), for decoding events.
    pub fields: Vec<FieldSpec>,
    /// Secrets declared in `schema { }` blocks.
    pub declared_secrets: Vec<String>,
    /// Constants the instructions and templates refer to by index.
    pub consts: Vec<Const>,
    /// Every rule's code, one after the other; each rule ends with [`Instr::Return`].
    pub code: Vec<Instr>,
    /// Parallel to `code`: where each instruction comes from.
    pub locs: Vec<Loc>,
    /// URL, header and body templates.
    pub templates: Vec<Template>,
    /// Every action of every rule, rules in order, actions by position.
    pub actions: Vec<ActionPlan>,
    /// Rules in source order.
    pub rules: Vec<RulePlan>,
    /// Rule indices per trigger, in the order of [`Trigger::ALL`].
    pub by_trigger: Vec<Vec<u32>>,
    /// Every slot a condition or template reads, sorted. Decoding keeps only these (plus
    /// the ids); the other fields are validated but not stored.
    pub read_slots: Vec<u16>,
}

/// A source location: file index and 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loc {
    pub file: u32,
    pub line: u32,
}

/// A custom field and its declared type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub name: String,
    pub ty: ValueType,
}

/// A value type (the serialisable mirror of [`schema::Type`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    Text,
    Number,
    Bool,
    Timestamp,
    ListOfText,
    OneOf(Vec<String>),
}

impl From<&schema::Type> for ValueType {
    fn from(ty: &schema::Type) -> ValueType {
        match ty {
            schema::Type::Text => ValueType::Text,
            schema::Type::Number => ValueType::Number,
            schema::Type::Bool => ValueType::Bool,
            schema::Type::Timestamp => ValueType::Timestamp,
            schema::Type::ListOfText => ValueType::ListOfText,
            schema::Type::OneOf(v) => ValueType::OneOf(v.clone()),
        }
    }
}

impl ValueType {
    /// The schema type it mirrors.
    pub fn to_schema(&self) -> schema::Type {
        match self {
            ValueType::Text => schema::Type::Text,
            ValueType::Number => schema::Type::Number,
            ValueType::Bool => schema::Type::Bool,
            ValueType::Timestamp => schema::Type::Timestamp,
            ValueType::ListOfText => schema::Type::ListOfText,
            ValueType::OneOf(v) => schema::Type::OneOf(v.clone()),
        }
    }
}

/// A constant: a condition literal or a merge-tag fallback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Const {
    Str(String),
    Num(f64),
    Bool(bool),
    /// An RFC 3339 literal compared with a timestamp: nanoseconds since the epoch.
    Time(i64),
    /// The literals of `in [ ... ]`.
    List(Vec<Const>),
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rhs {
    /// An index into [`Plan::consts`].
    Const(u32),
    /// Another path's slot.
    Slot(u16),
}

/// One instruction. Tests set the VM's flag; jumps read it. Slots index the decoded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Instr {
    /// flag = the slot is empty (absent, `null`, `""` or `[]`).
    IsEmpty { slot: u16 },
    /// flag = the slot is not empty.
    IsNotEmpty { slot: u16 },
    /// flag = list slot holds rhs, or text slot has rhs as a substring (false if empty).
    Contains { slot: u16, rhs: Rhs },
    /// flag = not `contains` (true if empty).
    NotContains { slot: u16, rhs: Rhs },
    /// flag = slot equals rhs (false if either is empty).
    Eq { slot: u16, rhs: Rhs },
    /// flag = slot differs from rhs (true if either is empty).
    Ne { slot: u16, rhs: Rhs },
    /// flag = slot < rhs, numbers or timestamps (false if either is empty).
    Lt { slot: u16, rhs: Rhs },
    /// flag = slot <= rhs.
    Le { slot: u16, rhs: Rhs },
    /// flag = slot > rhs.
    Gt { slot: u16, rhs: Rhs },
    /// flag = slot >= rhs.
    Ge { slot: u16, rhs: Rhs },
    /// flag = slot equals one of the list constant's items (false if empty).
    In { slot: u16, list: u32 },
    /// flag = not `in` (true if empty).
    NotIn { slot: u16, list: u32 },
    /// flag = text slot starts with rhs (false if empty).
    StartsWith { slot: u16, rhs: Rhs },
    /// flag = text slot ends with rhs (false if empty).
    EndsWith { slot: u16, rhs: Rhs },
    /// flag = !flag.
    Not,
    /// Go to the target if the flag is false.
    JumpIfFalse { to: u32 },
    /// Go to the target if the flag is true.
    JumpIfTrue { to: u32 },
    /// Go to the target.
    Jump { to: u32 },
    /// Record that a branch was entered (its label joins the execution's branch path).
    Enter { branch: BranchLabel },
    /// Select one action (an index into [`Plan::actions`]) as the next step.
    Send { action: u32 },
    /// Select `count` actions from `first` as one parallel step.
    Parallel { first: u32, count: u32 },
    /// End of the rule.
    Return,
}

/// Which branch of an if-chain: `if 1`, `else if 2`, `else`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BranchLabel {
    /// The first branch of a chain: `if 1`.
    If,
    /// The n-th branch of the chain (2 for the first `else if`).
    ElseIf(u32),
    Else,
}

impl BranchLabel {
    /// `if 1`, `else if 2`, `else`.
    pub fn render(self) -> String {
        match self {
            BranchLabel::If => "if 1".to_string(),
            BranchLabel::ElseIf(n) => format!("else if {n}"),
            BranchLabel::Else => "else".to_string(),
        }
    }
}

/// A template: typed segments rendered in order, escaping by construction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub context: TemplateContext,
    pub segments: Vec<Segment>,
}

/// Where a template renders, which decides how merge tags are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateContext {
    /// Tags are percent-encoded (every byte outside RFC 3986 unreserved).
    Url,
    /// Tags render raw; the rendered value must not hold CR or LF.
    Header,
    /// A JSON body: literal segments are already JSON; tags are escaped or typed.
    Body,
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// Output as is (in a body: already valid JSON text).
    Lit(String),
    /// A merge tag rendered as text: in a body inside a JSON string (escaped), in a URL
    /// percent-encoded, in a header raw. `fallback` is a const used when the value is empty.
    Text { slot: u16, fallback: Option<u32> },
    /// A bare merge tag in a body: the typed JSON value (`null` when absent).
    Json { slot: u16, fallback: Option<u32> },
    /// `{{secrets.NAME}}` (header values only).
    Secret(String),
}

/// One action of one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionPlan {
    /// Index into [`Plan::rules`].
    pub rule: u32,
    /// Number within its rule, from 1, in source order.
    pub position: u32,
    /// `POST`, `PUT`, `PATCH`, `DELETE`.
    pub method: String,
    /// Template indices.
    pub url: u32,
    pub headers: Vec<(String, u32)>,
    pub body: Option<u32>,
    pub sign: Option<SignPlan>,
    pub timeout_secs: u64,
    pub retry: RetryPlan,
    pub loc: Loc,
}

/// `sign ... with secrets.NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignPlan {
    HmacSha256 { secret: String, header: String },
    StandardWebhooks { secret: String },
}

/// `retry N times` / `retry never` / the default schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryPlan {
    Default,
    Times(u32),
    Never,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePlan {
    pub name: String,
    /// The event type, e.g. `case.closed`.
    pub trigger: String,
    pub throttles: Vec<ThrottlePlan>,
    /// First instruction.
    pub entry: u32,
    /// Its actions: `actions[first_action .. first_action + action_count]`.
    pub first_action: u32,
    pub action_count: u32,
    pub loc: Loc,
}

/// `throttle [per case|contact] N per WINDOW`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrottlePlan {
    /// `None` (global), `case` or `contact`.
    pub key: Option<ThrottleKeyPlan>,
    pub limit: u64,
    pub window_secs: u64,
}

/// What a keyed throttle counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleKeyPlan {
    Case,
    Contact,
}

/// Why a plan file could not be read.
#[derive(Debug)]
pub enum PlanError {
    /// Not a plan at all (or damaged).
    Json(String),
    /// Written by a build with another format version.
    Version { found: u32, expected: u32 },
    /// Parses but refers outside its own tables.
    Invalid(String),
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::Json(e) => write!(f, "not a rulec plan: {e}"),
            PlanError::Version { found, expected } => write!(
                f,
                "plan format version {found} is not supported (this rulec reads version {expected})"
            ),
            PlanError::Invalid(e) => write!(f, "damaged plan: {e}"),
        }
    }
}

impl std::error::Error for PlanError {}

impl Plan {
    /// The plan as JSON (pretty, stable field order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a plan written by [`Plan::to_json`]; refuses another format version.
    pub fn from_json(text: &str) -> Result<Plan, PlanError> {
        #[derive(Deserialize)]
        struct Header {
            version: Option<u32>,
        }
        let header: Header =
            serde_json::from_str(text).map_err(|e| PlanError::Json(e.to_string()))?;
        match header.version {
            Some(FORMAT_VERSION) => {}
            Some(found) => {
                return Err(PlanError::Version {
                    found,
                    expected: FORMAT_VERSION,
                })
            }
            None => return Err(PlanError::Json("no `version` field".into())),
        }
        let plan: Plan = serde_json::from_str(text).map_err(|e| PlanError::Json(e.to_string()))?;
        plan.validate()?;
        Ok(plan)
    }

    /// The secrets the rules reference (headers and signing), sorted, without duplicates.
    pub fn secret_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for t in &self.templates {
            for s in &t.segments {
                if let Segment::Secret(name) = s {
                    names.push(name.clone());
                }
            }
        }
        for a in &self.actions {
            match &a.sign {
                Some(SignPlan::HmacSha256 { secret, .. })
                | Some(SignPlan::StandardWebhooks { secret }) => names.push(secret.clone()),
                None => {}
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// The readable disassembly (see `docs/plan.md`).
    pub fn listing(&self) -> String {
        listing::render(self)
    }

    /// Rule indices triggered by an event type.
    pub fn rules_for(&self, trigger: Trigger) -> &[u32] {
        let i = Trigger::ALL.iter().position(|t| *t == trigger).unwrap_or(0);
        self.by_trigger.get(i).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The schema the plan was compiled against (built-ins plus its custom fields).
    pub fn schema(&self) -> schema::Schema {
        schema::Schema {
            custom_fields: self
                .fields
                .iter()
                .map(|f| schema::CustomField {
                    name: f.name.clone(),
                    ty: f.ty.to_schema(),
                })
                .collect(),
            tags: Vec::new(),
            secrets: self.declared_secrets.clone(),
        }
    }

    /// `FILE:LINE` of a location.
    pub fn describe_loc(&self, loc: Loc) -> String {
        let file = self
            .files
            .get(loc.file as usize)
            .map(String::as_str)
            .unwrap_or("?");
        format!("{file}:{}", loc.line)
    }

    /// Checks every index stays inside its table, so a hand-edited plan cannot make the VM
    /// read out of bounds.
    fn validate(&self) -> Result<(), PlanError> {
        let bad = |what: &str| Err(PlanError::Invalid(what.to_string()));
        let code_len = self.code.len() as u32;
        if self.locs.len() != self.code.len() {
            return bad("the location table does not match the code");
        }
        if self.by_trigger.len() != Trigger::ALL.len() {
            return bad("the trigger index has the wrong length");
        }
        for (at, instr) in self.code.iter().enumerate() {
            let ok = match *instr {
                // Forward only, so evaluating always ends.
                Instr::JumpIfFalse { to } | Instr::JumpIfTrue { to } | Instr::Jump { to } => {
                    to < code_len && to as usize > at
                }
                Instr::Send { action } => (action as usize) < self.actions.len(),
                Instr::Parallel { first, count } => {
                    (first as usize + count as usize) <= self.actions.len()
                }
                Instr::In { list, .. } | Instr::NotIn { list, .. } => {
                    matches!(self.consts.get(list as usize), Some(Const::List(_)))
                }
                _ => instr_rhs(instr).is_none_or(|r| match r {
                    Rhs::Const(c) => (c as usize) < self.consts.len(),
                    Rhs::Slot(_) => true,
                }),
            };
            if !ok {
                return bad("an instruction refers outside the plan");
            }
        }
        for rule in &self.rules {
            if rule.entry >= code_len
                || rule.first_action as usize + rule.action_count as usize > self.actions.len()
            {
                return bad("a rule refers outside the plan");
            }
        }
        if self
            .by_trigger
            .iter()
            .flatten()
            .any(|r| *r as usize >= self.rules.len())
        {
            return bad("the trigger index refers to a missing rule");
        }
        let templates = self.templates.len() as u32;
        for a in &self.actions {
            let ts = std::iter::once(a.url)
                .chain(a.headers.iter().map(|h| h.1))
                .chain(a.body);
            if ts.into_iter().any(|t| t >= templates) {
                return bad("an action refers to a missing template");
            }
        }
        for t in &self.templates {
            for s in &t.segments {
                if let Segment::Text { fallback, .. } | Segment::Json { fallback, .. } = s {
                    if fallback.is_some_and(|c| c as usize >= self.consts.len()) {
                        return bad("a template refers to a missing constant");
                    }
                }
            }
        }
        Ok(())
    }
}

/// The right-hand side of a comparison instruction, if it has one.
pub fn instr_rhs(instr: &Instr) -> Option<Rhs> {
    match *instr {
        Instr::Contains { rhs, .. }
        | Instr::NotContains { rhs, .. }
        | Instr::Eq { rhs, .. }
        | Instr::Ne { rhs, .. }
        | Instr::Lt { rhs, .. }
        | Instr::Le { rhs, .. }
        | Instr::Gt { rhs, .. }
        | Instr::Ge { rhs, .. }
        | Instr::StartsWith { rhs, .. }
        | Instr::EndsWith { rhs, .. } => Some(rhs),
        _ => None,
    }
}
