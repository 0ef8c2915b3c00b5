//! Lowering: the checked AST to flat code and side tables.
//!
//! Conditions become tests that set a flag plus short-circuit jumps; if-chains become
//! conditional jumps around their blocks; actions become `send`/`parallel` instructions
//! pointing into the action table. Merge-tag paths are resolved to slots here.

use chrono::DateTime;

use super::{
    ActionPlan, BranchLabel, Const, FieldSpec, Instr, Loc, Plan, RetryPlan, Rhs, RulePlan, Segment,
    SignPlan, Template, TemplateContext, ThrottleKeyPlan, ThrottlePlan, ValueType, FORMAT_VERSION,
};
use crate::ast::{self, Cond, JsonKind, LitKind, Op, Operand, Stmt, TemplatePart};
use crate::schema::{Schema, Trigger, Type, SECRETS};
use crate::source::{SourceFile, SourceMap, Span};

/// The slot of a path the schema does not know: reads as absent. (The checker rejects
/// such paths, so a compiled program never holds one.)
pub const UNKNOWN_SLOT: u16 = u16::MAX;

/// The default `timeout` of an action, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

/// The default header of `sign hmac-sha256`.
pub const DEFAULT_HMAC_HEADER: &str = "X-Atender-Signature";

/// Lowers every rule of a checked, error-free set of files.
pub fn compile(sources: &SourceMap, files: &[ast::File], schema: &Schema) -> Plan {
    let plan = Plan {
        version: FORMAT_VERSION,
        files: sources.files().iter().map(|f| f.path.clone()).collect(),
        fields: schema
            .custom_fields
            .iter()
            .map(|f| FieldSpec {
                name: f.name.clone(),
                ty: ValueType::from(&f.ty),
            })
            .collect(),
        declared_secrets: schema.secrets.clone(),
        consts: Vec::new(),
        code: Vec::new(),
        locs: Vec::new(),
        templates: Vec::new(),
        actions: Vec::new(),
        rules: Vec::new(),
        by_trigger: vec![Vec::new(); Trigger::ALL.len()],
        read_slots: Vec::new(),
    };
    let mut lowerer = Lowerer {
        schema,
        plan,
        file: None,
        rule: 0,
        position: 0,
    };
    for file in files {
        lowerer.file = Some(sources.get(file.source));
        for item in &file.items {
            if let ast::Item::Rule(rule) = item {
                lowerer.rule(rule);
            }
        }
    }
    let mut plan = lowerer.plan;
    plan.read_slots = read_slots(&plan);
    plan
}

/// The slots the code and templates read.
fn read_slots(plan: &Plan) -> Vec<u16> {
    let mut slots = Vec::new();
    for instr in &plan.code {
        match *instr {
            Instr::IsEmpty { slot }
            | Instr::IsNotEmpty { slot }
            | Instr::In { slot, .. }
            | Instr::NotIn { slot, .. } => slots.push(slot),
            _ => {}
        }
        if let Some(rhs) = super::instr_rhs(instr) {
            if let Some(slot) = instr_lhs(instr) {
                slots.push(slot);
            }
            if let Rhs::Slot(slot) = rhs {
                slots.push(slot);
            }
        }
    }
    for t in &plan.templates {
        for s in &t.segments {
            if let Segment::Text { slot, .. } | Segment::Json { slot, .. } = s {
                slots.push(*slot);
            }
        }
    }
    slots.retain(|s| *s != UNKNOWN_SLOT);
    slots.sort_unstable();
    slots.dedup();
    slots
}

fn instr_lhs(instr: &Instr) -> Option<u16> {
    match *instr {
        Instr::Contains { slot, .. }
        | Instr::NotContains { slot, .. }
        | Instr::Eq { slot, .. }
        | Instr::Ne { slot, .. }
        | Instr::Lt { slot, .. }
        | Instr::Le { slot, .. }
        | Instr::Gt { slot, .. }
        | Instr::Ge { slot, .. }
        | Instr::StartsWith { slot, .. }
        | Instr::EndsWith { slot, .. } => Some(slot),
        _ => None,
    }
}

struct Lowerer<'a> {
    schema: &'a Schema,
    plan: Plan,
    file: Option<&'a SourceFile>,
    /// Index of the rule being lowered.
    rule: u32,
    /// Last action position given in this rule.
    position: u32,
}

impl<'a> Lowerer<'a> {
    fn text(&self, span: Span) -> &'a str {
        self.file.map(|f| f.slice(span)).unwrap_or("")
    }

    fn loc(&self, span: Span) -> Loc {
        match self.file {
            Some(f) => Loc {
                file: f.id.0,
                line: f.line_col(span.start).0 as u32,
            },
            None => Loc { file: 0, line: 0 },
        }
    }

    fn emit(&mut self, instr: Instr, span: Span) -> usize {
        let loc = self.loc(span);
        self.plan.code.push(instr);
        self.plan.locs.push(loc);
        self.plan.code.len() - 1
    }

    /// Points the jump at `at` to the next instruction to be emitted.
    fn patch(&mut self, at: usize) {
        let here = self.plan.code.len() as u32;
        match &mut self.plan.code[at] {
            Instr::JumpIfFalse { to } | Instr::JumpIfTrue { to } | Instr::Jump { to } => *to = here,
            _ => {}
        }
    }

    fn constant(&mut self, c: Const) -> u32 {
        if let Some(i) = self.plan.consts.iter().position(|k| *k == c) {
            return i as u32;
        }
        self.plan.consts.push(c);
        (self.plan.consts.len() - 1) as u32
    }

    fn rule(&mut self, rule: &ast::Rule) {
        self.rule = self.plan.rules.len() as u32;
        self.position = 0;
        let trigger = self.text(rule.trigger.name).to_string();
        if let Some(i) = Trigger::ALL.iter().position(|t| t.as_str() == trigger) {
            self.plan.by_trigger[i].push(self.rule);
        }
        let entry = self.plan.code.len() as u32;
        let first_action = self.plan.actions.len() as u32;
        self.stmts(&rule.body);
        let end = Span::new(rule.span.end as usize, rule.span.end as usize);
        self.emit(Instr::Return, end);
        let throttles = rule.throttles.iter().map(throttle).collect();
        self.plan.rules.push(RulePlan {
            name: rule.name.value.clone(),
            trigger,
            throttles,
            entry,
            first_action,
            action_count: self.plan.actions.len() as u32 - first_action,
            loc: self.loc(rule.span),
        });
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for stmt in stmts {
            match stmt {
                Stmt::Action(action) => {
                    let index = self.action(action);
                    self.emit(Instr::Send { action: index }, action.span);
                }
                Stmt::Parallel { span, actions } => {
                    let first = self.plan.actions.len() as u32;
                    for action in actions {
                        self.action(action);
                    }
                    let count = actions.len() as u32;
                    self.emit(Instr::Parallel { first, count }, *span);
                }
                Stmt::If(chain) => self.if_chain(chain),
            }
        }
    }

    fn if_chain(&mut self, chain: &ast::IfChain) {
        let mut to_end = Vec::new();
        let last = chain.branches.len().saturating_sub(1);
        for (i, branch) in chain.branches.iter().enumerate() {
            self.cond(&branch.cond);
            let skip = self.emit(Instr::JumpIfFalse { to: 0 }, branch.cond.span());
            let label = if i == 0 {
                BranchLabel::If
            } else {
                BranchLabel::ElseIf(i as u32 + 1)
            };
            self.emit(Instr::Enter { branch: label }, branch.span);
            self.stmts(&branch.block.stmts);
            if i < last || chain.otherwise.is_some() {
                to_end.push(self.emit(Instr::Jump { to: 0 }, branch.block.span));
            }
            self.patch(skip);
        }
        if let Some(block) = &chain.otherwise {
            self.emit(
                Instr::Enter {
                    branch: BranchLabel::Else,
                },
                block.span,
            );
            self.stmts(&block.stmts);
        }
        for at in to_end {
            self.patch(at);
        }
    }

    fn cond(&mut self, cond: &Cond) {
        match cond {
            Cond::And(a, b) => {
                self.cond(a);
                let skip = self.emit(Instr::JumpIfFalse { to: 0 }, a.span());
                self.cond(b);
                self.patch(skip);
            }
            Cond::Or(a, b) => {
                self.cond(a);
                let skip = self.emit(Instr::JumpIfTrue { to: 0 }, a.span());
                self.cond(b);
                self.patch(skip);
            }
            Cond::Not { span, inner } => {
                self.cond(inner);
                self.emit(Instr::Not, *span);
            }
            Cond::Test(test) => {
                let instr = self.test(test);
                self.emit(instr, test.span);
            }
        }
    }

    fn slot_and_type(&self, path: ast::Path) -> (u16, Option<Type>) {
        match self.schema.resolve(self.text(path.span)) {
            Some(info) => (info.slot.0, Some(info.ty)),
            None => (UNKNOWN_SLOT, None),
        }
    }

    fn literal(&mut self, lit: &ast::Literal, lhs: Option<&Type>) -> Const {
        match &lit.kind {
            LitKind::Str(s) if lhs == Some(&Type::Timestamp) => match parse_time(s) {
                Some(nanos) => Const::Time(nanos),
                None => Const::Str(s.clone()),
            },
            LitKind::Str(s) => Const::Str(s.clone()),
            LitKind::Num(n) => Const::Num(*n),
            LitKind::Bool(b) => Const::Bool(*b),
        }
    }

    fn test(&mut self, test: &ast::Test) -> Instr {
        let (slot, ty) = self.slot_and_type(test.lhs);
        if let Operand::List { items, .. } = &test.rhs {
            let items = items.iter().map(|l| self.literal(l, ty.as_ref())).collect();
            let list = self.constant(Const::List(items));
            return match test.op {
                Op::NotIn => Instr::NotIn { slot, list },
                _ => Instr::In { slot, list },
            };
        }
        let rhs = match &test.rhs {
            Operand::Literal(lit) => {
                let c = self.literal(lit, ty.as_ref());
                Rhs::Const(self.constant(c))
            }
            Operand::Path(path) => Rhs::Slot(self.slot_and_type(*path).0),
            Operand::None | Operand::List { .. } => Rhs::Slot(UNKNOWN_SLOT),
        };
        match test.op {
            Op::IsEmpty => Instr::IsEmpty { slot },
            Op::IsNotEmpty => Instr::IsNotEmpty { slot },
            Op::Contains => Instr::Contains { slot, rhs },
            Op::NotContains => Instr::NotContains { slot, rhs },
            Op::Eq => Instr::Eq { slot, rhs },
            Op::Ne => Instr::Ne { slot, rhs },
            Op::Lt => Instr::Lt { slot, rhs },
            Op::Le => Instr::Le { slot, rhs },
            Op::Gt => Instr::Gt { slot, rhs },
            Op::Ge => Instr::Ge { slot, rhs },
            // A single literal after `in` (not a list) tests equality.
            Op::In => Instr::Eq { slot, rhs },
            Op::NotIn => Instr::Ne { slot, rhs },
            Op::StartsWith => Instr::StartsWith { slot, rhs },
            Op::EndsWith => Instr::EndsWith { slot, rhs },
        }
    }

    fn action(&mut self, action: &ast::Action) -> u32 {
        self.position += 1;
        let url = self.template(&action.url, TemplateContext::Url);
        let headers = action
            .headers
            .iter()
            .map(|h| {
                let t = self.template(&h.value, TemplateContext::Header);
                (h.name.value.clone(), t)
            })
            .collect();
        let body = action.body.as_ref().map(|json| {
            let mut b = SegmentBuilder::default();
            self.json(json, &mut b);
            self.add_template(TemplateContext::Body, b.finish())
        });
        let sign = action.sign.as_ref().map(|s| {
            let path = self.text(s.secret.span);
            let secret = path.strip_prefix(SECRETS).unwrap_or(path).to_string();
            match &s.scheme {
                ast::SignScheme::HmacSha256 { header } => SignPlan::HmacSha256 {
                    secret,
                    header: header
                        .as_ref()
                        .map(|h| h.value.clone())
                        .unwrap_or_else(|| DEFAULT_HMAC_HEADER.to_string()),
                },
                ast::SignScheme::StandardWebhooks => SignPlan::StandardWebhooks { secret },
            }
        });
        let retry = match action.retry.map(|r| r.kind) {
            None => RetryPlan::Default,
            Some(ast::RetryKind::Times(n)) => RetryPlan::Times(n),
            Some(ast::RetryKind::Never) => RetryPlan::Never,
        };
        self.plan.actions.push(ActionPlan {
            rule: self.rule,
            position: self.position,
            method: action.method.as_str().to_string(),
            url,
            headers,
            body,
            sign,
            timeout_secs: action
                .timeout
                .map(|d| d.seconds())
                .unwrap_or(DEFAULT_TIMEOUT_SECS),
            retry,
            loc: self.loc(action.span),
        });
        (self.plan.actions.len() - 1) as u32
    }

    fn add_template(&mut self, context: TemplateContext, segments: Vec<Segment>) -> u32 {
        self.plan.templates.push(Template { context, segments });
        (self.plan.templates.len() - 1) as u32
    }

    fn template(&mut self, template: &ast::Template, context: TemplateContext) -> u32 {
        let mut b = SegmentBuilder::default();
        for part in &template.parts {
            match part {
                TemplatePart::Text(text) => b.lit(text),
                TemplatePart::Tag(tag) => {
                    let seg = self.tag(tag, false);
                    b.push(seg);
                }
            }
        }
        self.add_template(context, b.finish())
    }

    /// A merge tag: `typed` for a bare tag standing as a JSON value.
    fn tag(&mut self, tag: &ast::MergeTag, typed: bool) -> Segment {
        let path = self.text(tag.path.span);
        if let Some(name) = path.strip_prefix(SECRETS) {
            return Segment::Secret(name.to_string());
        }
        let (slot, ty) = self.slot_and_type(tag.path);
        let fallback = tag.fallback.as_ref().map(|l| {
            let c = self.literal(l, ty.as_ref());
            // A fallback renders as written, even for a timestamp path.
            let c = match c {
                Const::Time(_) => match &l.kind {
                    LitKind::Str(s) => Const::Str(s.clone()),
                    _ => c,
                },
                c => c,
            };
            self.constant(c)
        });
        if typed {
            Segment::Json { slot, fallback }
        } else {
            Segment::Text { slot, fallback }
        }
    }

    /// Flattens a body template: JSON structure and literal strings become literal
    /// segments (serialised here by serde_json, so they are valid JSON by construction).
    fn json(&mut self, json: &ast::Json, b: &mut SegmentBuilder) {
        match &json.kind {
            JsonKind::Null => b.lit("null"),
            JsonKind::Bool(v) => b.lit(if *v { "true" } else { "false" }),
            JsonKind::Number(n) => b.lit(&n.to_string()),
            JsonKind::String(t) => {
                b.lit("\"");
                for part in &t.parts {
                    match part {
                        TemplatePart::Text(text) => b.lit(&json_string_inner(text)),
                        TemplatePart::Tag(tag) => {
                            let seg = self.tag(tag, false);
                            b.push(seg);
                        }
                    }
                }
                b.lit("\"");
            }
            JsonKind::Tag(tag) => {
                let seg = self.tag(tag, true);
                b.push(seg);
            }
            JsonKind::Array(items) => {
                b.lit("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        b.lit(",");
                    }
                    self.json(item, b);
                }
                b.lit("]");
            }
            JsonKind::Object(members) => {
                b.lit("{");
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        b.lit(",");
                    }
                    b.lit(&format!("\"{}\":", json_string_inner(&key.value)));
                    self.json(value, b);
                }
                b.lit("}");
            }
        }
    }
}

fn throttle(t: &ast::Throttle) -> ThrottlePlan {
    ThrottlePlan {
        key: t.key.map(|k| match k {
            ast::ThrottleKey::Case => ThrottleKeyPlan::Case,
            ast::ThrottleKey::Contact => ThrottleKeyPlan::Contact,
        }),
        limit: t.rate.count,
        window_secs: t.rate.per.seconds(),
    }
}

/// Parses an RFC 3339 timestamp to nanoseconds since the epoch.
pub fn parse_time(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
}

/// The JSON string encoding of `text`, without the surrounding quotes.
fn json_string_inner(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    crate::vm::render::escape_json_into(&mut out, text);
    out
}

/// Collects segments, merging adjacent literals.
#[derive(Default)]
struct SegmentBuilder {
    segments: Vec<Segment>,
}

impl SegmentBuilder {
    fn lit(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(Segment::Lit(last)) = self.segments.last_mut() {
            last.push_str(text);
        } else {
            self.segments.push(Segment::Lit(text.to_string()));
        }
    }

    fn push(&mut self, segment: Segment) {
        match segment {
            Segment::Lit(text) => self.lit(&text),
            other => self.segments.push(other),
        }
    }

    fn finish(self) -> Vec<Segment> {
        self.segments
    }
}
