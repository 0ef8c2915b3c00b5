//! The AST interpreter: conditions, branches and action positions, recorded as it goes.

use super::render;
use super::{CondReport, RuleReport, TestReport};
use crate::ast::{self, Cond, LitKind, Op, Operand, Stmt};
use crate::schema::{Schema, Type};
use crate::secrets::Secrets;
use crate::source::{SourceFile, Span};
use crate::vm::effect::Step;
use crate::vm::{parse_stamp, Event, Value};

/// One rule being interpreted for one event.
pub struct Interp<'a> {
    pub source: &'a SourceFile,
    pub schema: &'a Schema,
    pub event: &'a Event,
    pub secrets: &'a Secrets,
    pub rule_name: String,
    /// Last action position numbered (every action counts, taken or not).
    position: u32,
    /// Labels of the branches entered.
    path: Vec<String>,
    conditions: Vec<CondReport>,
    steps: Vec<Step>,
}

/// The right side of a test, as values.
enum Rhs {
    None,
    One(Value),
    List(Vec<Value>),
}

impl<'a> Interp<'a> {
    pub fn new(
        source: &'a SourceFile,
        schema: &'a Schema,
        event: &'a Event,
        secrets: &'a Secrets,
        rule: &ast::Rule,
    ) -> Interp<'a> {
        Interp {
            source,
            schema,
            event,
            secrets,
            rule_name: rule.name.value.clone(),
            position: 0,
            path: Vec::new(),
            conditions: Vec::new(),
            steps: Vec::new(),
        }
    }

    pub fn line(&self, span: Span) -> usize {
        self.source.line_col(span.start).0
    }

    pub fn run(mut self, rule: &ast::Rule) -> RuleReport {
        let trigger = self.source.slice(rule.trigger.name).to_string();
        let location = format!("{}:{}", self.source.path, self.line(rule.span));
        let event_type = self.event.trigger().as_str();
        if trigger != event_type {
            return RuleReport {
                rule: self.rule_name,
                location,
                reason: Some(format!(
                    "trigger `{trigger}` does not match event type `{event_type}`"
                )),
                trigger,
                trigger_matched: false,
                conditions: Vec::new(),
                branch: None,
                steps: Vec::new(),
            };
        }
        self.stmts(&rule.body, true);
        let branch = if self.path.is_empty() {
            "always".to_string()
        } else {
            self.path.join(" > ")
        };
        let (branch, reason) = if !self.steps.is_empty() {
            (Some(branch), None)
        } else if self.path.is_empty() && !self.conditions.is_empty() {
            let reason = "no condition holds, so no branch is taken and nothing is sent";
            (None, Some(reason.to_string()))
        } else {
            let reason = format!("the branch taken (`{branch}`) sends nothing");
            (Some(branch), Some(reason))
        };
        RuleReport {
            rule: self.rule_name,
            location,
            trigger,
            trigger_matched: true,
            conditions: self.conditions,
            branch,
            steps: self.steps,
            reason,
        }
    }

    /// Walks statements; `run` is false for blocks not taken (their actions still count
    /// for positions).
    fn stmts(&mut self, stmts: &[Stmt], run: bool) {
        for stmt in stmts {
            match stmt {
                Stmt::Action(action) => {
                    self.position += 1;
                    if run {
                        let r = render::request(&*self, action, self.position);
                        self.steps.push(Step::One(r));
                    }
                }
                Stmt::Parallel { actions, .. } => {
                    let mut requests = Vec::new();
                    for action in actions {
                        self.position += 1;
                        if run {
                            requests.push(render::request(&*self, action, self.position));
                        }
                    }
                    if run {
                        self.steps.push(Step::Parallel(requests));
                    }
                }
                Stmt::If(chain) => self.if_chain(chain, run),
            }
        }
    }

    fn if_chain(&mut self, chain: &ast::IfChain, run: bool) {
        let mut taken = !run;
        for (i, branch) in chain.branches.iter().enumerate() {
            if taken {
                self.stmts(&branch.block.stmts, false);
                continue;
            }
            let label = if i == 0 {
                "if 1".to_string()
            } else {
                format!("else if {}", i + 1)
            };
            let mut tests = Vec::new();
            let value = self.cond(&branch.cond, &mut tests);
            let mut shown = self.path.clone();
            shown.push(label.clone());
            self.conditions.push(CondReport {
                branch: shown.join(" > "),
                line: self.line(branch.cond.span()),
                text: self.source.slice(branch.cond.span()).to_string(),
                value,
                tests,
            });
            if value {
                taken = true;
                self.path.push(label);
                self.stmts(&branch.block.stmts, true);
            } else {
                self.stmts(&branch.block.stmts, false);
            }
        }
        if let Some(block) = &chain.otherwise {
            if !taken {
                self.path.push("else".to_string());
            }
            self.stmts(&block.stmts, !taken);
        }
    }

    /// Evaluates every test (no short circuit: each is shown), combining them as written.
    fn cond(&self, cond: &Cond, tests: &mut Vec<TestReport>) -> bool {
        match cond {
            Cond::And(a, b) => {
                let x = self.cond(a, tests);
                let y = self.cond(b, tests);
                x && y
            }
            Cond::Or(a, b) => {
                let x = self.cond(a, tests);
                let y = self.cond(b, tests);
                x || y
            }
            Cond::Not { inner, .. } => !self.cond(inner, tests),
            Cond::Test(test) => {
                let report = self.test(test);
                let value = report.value;
                tests.push(report);
                value
            }
        }
    }

    /// The value at a path (absent when the path is unknown).
    pub fn read(&self, path: &str) -> Value {
        match self.schema.resolve(path) {
            Some(info) => self.event.value(info.slot.0).clone(),
            None => Value::Missing,
        }
    }

    fn literal(&self, lit: &ast::Literal, lhs_type: Option<&Type>) -> Value {
        match &lit.kind {
            LitKind::Str(s) if lhs_type == Some(&Type::Timestamp) => match parse_stamp(s) {
                Some(t) => Value::Time(t),
                None => Value::Text(s.clone()),
            },
            LitKind::Str(s) => Value::Text(s.clone()),
            LitKind::Num(n) => Value::Number(*n),
            LitKind::Bool(b) => Value::Bool(*b),
        }
    }

    fn test(&self, test: &ast::Test) -> TestReport {
        let lhs_path = self.source.slice(test.lhs.span);
        let lhs_type = self.schema.resolve(lhs_path).map(|i| i.ty);
        let lhs = self.read(lhs_path);
        let mut reads = vec![(lhs_path.to_string(), lhs.show())];
        let rhs = match &test.rhs {
            Operand::None => Rhs::None,
            Operand::Literal(lit) => Rhs::One(self.literal(lit, lhs_type.as_ref())),
            Operand::Path(p) => {
                let path = self.source.slice(p.span);
                let v = self.read(path);
                reads.push((path.to_string(), v.show()));
                Rhs::One(v)
            }
            Operand::List { items, .. } => Rhs::List(
                items
                    .iter()
                    .map(|l| self.literal(l, lhs_type.as_ref()))
                    .collect(),
            ),
        };
        TestReport {
            text: self.source.slice(test.span).to_string(),
            value: apply(test.op, &lhs, &rhs),
            reads,
        }
    }
}

fn apply(op: Op, lhs: &Value, rhs: &Rhs) -> bool {
    let one = match rhs {
        Rhs::One(v) => Some(v),
        _ => None,
    };
    let with = |f: fn(&Value, &Value) -> bool| one.is_some_and(|r| f(lhs, r));
    match op {
        Op::IsEmpty => lhs.is_empty(),
        Op::IsNotEmpty => !lhs.is_empty(),
        Op::Contains => with(contains),
        Op::NotContains => !with(contains),
        Op::Eq => with(same),
        Op::Ne => !with(same),
        Op::Lt => with(|a, b| before(a, b).is_some_and(|o| o.is_lt())),
        Op::Le => with(|a, b| before(a, b).is_some_and(|o| o.is_le())),
        Op::Gt => with(|a, b| before(a, b).is_some_and(|o| o.is_gt())),
        Op::Ge => with(|a, b| before(a, b).is_some_and(|o| o.is_ge())),
        Op::In | Op::NotIn => {
            let found = match rhs {
                Rhs::List(items) => items.iter().any(|i| same(lhs, i)),
                Rhs::One(v) => same(lhs, v),
                Rhs::None => false,
            };
            (op == Op::In) == found
        }
        Op::StartsWith => with(|a, b| match (a, b) {
            (Value::Text(a), Value::Text(b)) if !a.is_empty() && !b.is_empty() => {
                a.starts_with(b.as_str())
            }
            _ => false,
        }),
        Op::EndsWith => with(|a, b| match (a, b) {
            (Value::Text(a), Value::Text(b)) if !a.is_empty() && !b.is_empty() => {
                a.ends_with(b.as_str())
            }
            _ => false,
        }),
    }
}

fn contains(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (_, Value::Text(needle)) if needle.is_empty() => false,
        (Value::List(items), Value::Text(needle)) => items.contains(needle),
        (Value::Text(hay), Value::Text(needle)) if !hay.is_empty() => hay.contains(needle.as_str()),
        _ => false,
    }
}

/// Equal, with an empty value on either side never equal.
fn same(a: &Value, b: &Value) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Time(x), Value::Time(y)) => x.nanos == y.nanos,
        (Value::List(x), Value::List(y)) => x == y,
        _ => false,
    }
}

fn before(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::Time(x), Value::Time(y)) => Some(x.nanos.cmp(&y.nanos)),
        _ => None,
    }
}
