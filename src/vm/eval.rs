//! Running a rule's code against a decoded event: which branch, which actions.

use std::cmp::Ordering;

use super::decode::Event;
use super::effect::{Execution, Step, ThrottleSpec};
use super::render;
use super::value::Value;
use crate::ast::ThrottleKey;
use crate::plan::{BranchLabel, Const, Instr, Plan, Rhs, ThrottleKeyPlan};
use crate::secrets::Secrets;

/// What one rule selected for one event, before anything is rendered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    /// The branches entered, in order.
    pub branch: Vec<BranchLabel>,
    /// The steps, in order.
    pub steps: Vec<Selected>,
}

/// A selected step: indices into [`Plan::actions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selected {
    One(u32),
    /// `first .. first + count`, started together.
    Parallel {
        first: u32,
        count: u32,
    },
}

impl Selection {
    /// `always`, or the labels of the branches entered joined with ` > `.
    pub fn branch_path(&self) -> String {
        branch_path(&self.branch)
    }
}

/// The readable branch path of a list of labels.
pub fn branch_path(labels: &[BranchLabel]) -> String {
    if labels.is_empty() {
        return "always".to_string();
    }
    labels
        .iter()
        .map(|l| l.render())
        .collect::<Vec<_>>()
        .join(" > ")
}

/// Evaluates every rule triggered by the event, in rule order; a rule that selects at
/// least one action becomes an execution with its requests rendered.
pub fn evaluate(plan: &Plan, event: &Event, secrets: &Secrets) -> Vec<Execution> {
    let mut out = Vec::new();
    for &index in plan.rules_for(event.trigger()) {
        let selection = select(plan, index as usize, event);
        if selection.steps.is_empty() {
            continue;
        }
        let Some(rule) = plan.rules.get(index as usize) else {
            continue;
        };
        let request = |a: u32| {
            let action = &plan.actions[a as usize];
            render::request(plan, action, &rule.name, event, secrets)
        };
        let steps = selection
            .steps
            .iter()
            .map(|s| match *s {
                Selected::One(a) => Step::One(request(a)),
                Selected::Parallel { first, count } => {
                    Step::Parallel((first..first + count).map(request).collect())
                }
            })
            .collect();
        out.push(Execution {
            rule: rule.name.clone(),
            event_id: event.id().to_string(),
            case_id: event.case_id().to_string(),
            contact_id: event.contact_id().to_string(),
            branch: selection.branch_path(),
            steps,
            throttles: rule
                .throttles
                .iter()
                .map(|t| ThrottleSpec {
                    key: t.key.map(|k| match k {
                        ThrottleKeyPlan::Case => ThrottleKey::Case,
                        ThrottleKeyPlan::Contact => ThrottleKey::Contact,
                    }),
                    limit: t.limit,
                    window_secs: t.window_secs,
                })
                .collect(),
        });
    }
    out
}

/// Runs one rule's code: the branches it enters and the actions it selects. Does not
/// check the trigger.
pub fn select(plan: &Plan, rule: usize, event: &Event) -> Selection {
    let mut selection = Selection::default();
    let Some(rule) = plan.rules.get(rule) else {
        return selection;
    };
    let mut pc = rule.entry as usize;
    let mut flag = false;
    // Jumps only go forward (checked when a plan is read), so this ends.
    while let Some(instr) = plan.code.get(pc) {
        pc += 1;
        match *instr {
            Instr::Not => flag = !flag,
            Instr::JumpIfFalse { to } if !flag => pc = to as usize,
            Instr::JumpIfTrue { to } if flag => pc = to as usize,
            Instr::Jump { to } => pc = to as usize,
            Instr::JumpIfFalse { .. } | Instr::JumpIfTrue { .. } => {}
            Instr::Enter { branch } => selection.branch.push(branch),
            Instr::Send { action } => selection.steps.push(Selected::One(action)),
            Instr::Parallel { first, count } => {
                selection.steps.push(Selected::Parallel { first, count })
            }
            Instr::Return => break,
            test => flag = run_test(plan, event, test),
        }
    }
    selection
}

/// A comparison operand, borrowed from the event or the plan.
#[derive(Clone, Copy)]
enum Operand<'a> {
    Empty,
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Time(i64),
    List(&'a [String]),
    Consts(&'a [Const]),
}

fn of_value(v: &Value) -> Operand<'_> {
    match v {
        Value::Missing => Operand::Empty,
        Value::Text(s) if s.is_empty() => Operand::Empty,
        Value::Text(s) => Operand::Str(s),
        Value::Number(n) => Operand::Num(*n),
        Value::Bool(b) => Operand::Bool(*b),
        Value::Time(t) => Operand::Time(t.nanos),
        Value::List(l) if l.is_empty() => Operand::Empty,
        Value::List(l) => Operand::List(l),
    }
}

fn of_const(c: &Const) -> Operand<'_> {
    match c {
        Const::Str(s) if s.is_empty() => Operand::Empty,
        Const::Str(s) => Operand::Str(s),
        Const::Num(n) => Operand::Num(*n),
        Const::Bool(b) => Operand::Bool(*b),
        Const::Time(t) => Operand::Time(*t),
        Const::List(items) => Operand::Consts(items),
    }
}

fn rhs<'a>(plan: &'a Plan, event: &'a Event, rhs: Rhs) -> Operand<'a> {
    match rhs {
        Rhs::Const(k) => plan.consts.get(k as usize).map_or(Operand::Empty, of_const),
        Rhs::Slot(s) => of_value(event.value(s)),
    }
}

fn run_test(plan: &Plan, event: &Event, instr: Instr) -> bool {
    let lhs = |slot: u16| of_value(event.value(slot));
    match instr {
        Instr::IsEmpty { slot } => event.value(slot).is_empty(),
        Instr::IsNotEmpty { slot } => !event.value(slot).is_empty(),
        Instr::Contains { slot, rhs: r } => contains(lhs(slot), rhs(plan, event, r)),
        Instr::NotContains { slot, rhs: r } => !contains(lhs(slot), rhs(plan, event, r)),
        Instr::Eq { slot, rhs: r } => equals(lhs(slot), rhs(plan, event, r)),
        Instr::Ne { slot, rhs: r } => !equals(lhs(slot), rhs(plan, event, r)),
        Instr::Lt { slot, rhs: r } => {
            order(lhs(slot), rhs(plan, event, r)).is_some_and(|o| o.is_lt())
        }
        Instr::Le { slot, rhs: r } => {
            order(lhs(slot), rhs(plan, event, r)).is_some_and(|o| o.is_le())
        }
        Instr::Gt { slot, rhs: r } => {
            order(lhs(slot), rhs(plan, event, r)).is_some_and(|o| o.is_gt())
        }
        Instr::Ge { slot, rhs: r } => {
            order(lhs(slot), rhs(plan, event, r)).is_some_and(|o| o.is_ge())
        }
        Instr::In { slot, list } => within(lhs(slot), rhs(plan, event, Rhs::Const(list))),
        Instr::NotIn { slot, list } => !within(lhs(slot), rhs(plan, event, Rhs::Const(list))),
        Instr::StartsWith { slot, rhs: r } => match (lhs(slot), rhs(plan, event, r)) {
            (Operand::Str(a), Operand::Str(b)) => a.starts_with(b),
            _ => false,
        },
        Instr::EndsWith { slot, rhs: r } => match (lhs(slot), rhs(plan, event, r)) {
            (Operand::Str(a), Operand::Str(b)) => a.ends_with(b),
            _ => false,
        },
        _ => false,
    }
}

/// List membership or substring; false when either side is empty.
fn contains(a: Operand, b: Operand) -> bool {
    match (a, b) {
        (Operand::List(items), Operand::Str(s)) => items.iter().any(|i| i == s),
        (Operand::Str(hay), Operand::Str(needle)) => hay.contains(needle),
        _ => false,
    }
}

/// Same type and value; false when either side is empty.
fn equals(a: Operand, b: Operand) -> bool {
    match (a, b) {
        (Operand::Str(x), Operand::Str(y)) => x == y,
        (Operand::Num(x), Operand::Num(y)) => x == y,
        (Operand::Bool(x), Operand::Bool(y)) => x == y,
        (Operand::Time(x), Operand::Time(y)) => x == y,
        (Operand::List(x), Operand::List(y)) => x == y,
        _ => false,
    }
}

/// Numbers and timestamps only.
fn order(a: Operand, b: Operand) -> Option<Ordering> {
    match (a, b) {
        (Operand::Num(x), Operand::Num(y)) => x.partial_cmp(&y),
        (Operand::Time(x), Operand::Time(y)) => Some(x.cmp(&y)),
        _ => None,
    }
}

/// `in [ ... ]`: equal to one of the literals; false when empty.
fn within(a: Operand, list: Operand) -> bool {
    match list {
        Operand::Consts(items) => items.iter().any(|c| equals(a, of_const(c))),
        _ => false,
    }
}
