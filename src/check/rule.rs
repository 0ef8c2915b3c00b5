//! Walking one rule: its trigger, throttles and statements, with the facts that hold on
//! each branch's path. Branches that can never be taken and rules that never send are
//! found here; the leaves are in `cond` (tests), `paths` (reads) and `action`.

use crate::ast::{self, Block, IfChain, Stmt};
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::schema::{Slot, Trigger};
use crate::source::{SourceFile, Span};

use super::env::Env;
use super::facts::{self, Fact, RTest};

/// What made a set of facts inconsistent: the test whose fact was being added, and what
/// it contradicts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Conflict {
    pub new: Origin,
    pub old: Against,
}

/// A test, and whether it was true or false on this path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Origin {
    pub span: Span,
    pub held: bool,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Against {
    /// An earlier or sibling test.
    Test(Origin),
    /// The trigger guarantees this path has a value.
    Trigger(Slot),
}

/// The state of checking one rule.
pub(super) struct RuleCx<'a, 'e> {
    pub env: &'e Env<'a>,
    pub file: &'a SourceFile,
    pub rule: &'a ast::Rule,
    /// `None` when the trigger is unknown (already reported).
    pub trigger: Option<Trigger>,
    pub diags: &'e mut Vec<Diagnostic>,
    /// Facts on the current path, innermost last; truncated when a block ends.
    pub facts: Vec<Fact<'a>>,
    /// Checked tests of the condition being analysed (a stack: conditions do not nest
    /// while their facts are collected, but it costs nothing to allow it).
    pub tests: Vec<Option<RTest<'a>>>,
    /// Actions that some event could reach.
    pub reachable_actions: usize,
    /// Nesting depth of branches whose condition (or an earlier one of the chain) held an
    /// error: what they prove is unknown, so "may render empty" stays quiet there.
    pub uncertain: usize,
}

/// Checks one rule, appending its diagnostics.
pub(super) fn check_rule<'a>(
    env: &Env<'a>,
    file: &'a SourceFile,
    rule: &'a ast::Rule,
    diags: &mut Vec<Diagnostic>,
) {
    let trigger = check_trigger(file, rule, diags);
    let mut cx = RuleCx {
        env,
        file,
        rule,
        trigger,
        diags,
        facts: Vec::new(),
        tests: Vec::new(),
        reachable_actions: 0,
        uncertain: 0,
    };
    for throttle in &rule.throttles {
        cx.check_rate(&throttle.rate);
    }
    cx.check_block(&rule.body, true);
    if cx.reachable_actions == 0 {
        cx.never_sends();
    }
}

fn check_trigger(
    file: &SourceFile,
    rule: &ast::Rule,
    diags: &mut Vec<Diagnostic>,
) -> Option<Trigger> {
    let name = file.slice(rule.trigger.name);
    let trigger = Trigger::parse(name);
    if trigger.is_none() {
        let names = Trigger::ALL.map(Trigger::as_str);
        let all = names.map(|n| format!("`{n}`")).join(", ");
        let help = match did_you_mean(name, names) {
            Some(best) => format!("did you mean `{best}`? the triggers are {all}"),
            None => format!("use one of the triggers: {all}"),
        };
        diags.push(
            Diagnostic::new(
                Code::UnknownTrigger,
                format!("unknown trigger `{name}`"),
                file.id,
                rule.trigger.name,
            )
            .with_label_message("not an event of a case")
            .with_help(help),
        );
    }
    trigger
}

impl<'a> RuleCx<'a, '_> {
    /// Records an error or warning of this rule.
    pub(super) fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// A diagnostic in this rule's file.
    pub(super) fn diag(&self, code: Code, message: String, span: Span) -> Diagnostic {
        Diagnostic::new(code, message, self.file.id, span)
    }

    fn check_block(&mut self, stmts: &'a [Stmt], reachable: bool) {
        for stmt in stmts {
            match stmt {
                Stmt::Action(action) => self.check_action(action, reachable),
                Stmt::Parallel { actions, .. } => {
                    for action in actions {
                        self.check_action(action, reachable);
                    }
                }
                Stmt::If(chain) => self.check_chain(chain, reachable),
            }
        }
    }

    /// `if C1 then {..} else if C2 then {..} else {..}`: branch `i` knows `C_i` and the
    /// negation of every earlier condition; the `else` knows every negation.
    fn check_chain(&mut self, chain: &'a IfChain, reachable: bool) {
        let base = self.facts.len();
        // Set once the earlier conditions together cover every event.
        let mut exhausted: Option<Conflict> = None;
        // Set once a condition of the chain had an error (it and later branches).
        let mut poisoned = false;
        for branch in &chain.branches {
            let (holds, fails, had_error) = self.condition_facts(&branch.cond);
            poisoned |= had_error;
            self.uncertain += usize::from(poisoned);
            let mark = self.facts.len();
            let conflict = exhausted.or_else(|| self.assume(&holds));
            if reachable {
                if let Some(conflict) = conflict {
                    self.unreachable(branch.cond.span(), conflict);
                }
            }
            self.check_block(&branch.block.stmts, reachable && conflict.is_none());
            self.uncertain -= usize::from(poisoned);
            self.facts.truncate(mark);
            if exhausted.is_none() {
                exhausted = self.assume(&fails);
            }
        }
        if let Some(Block { span, stmts }) = &chain.otherwise {
            if reachable {
                if let Some(conflict) = exhausted {
                    // The opening brace: the whole block would drown the report.
                    let brace = Span::new(span.start as usize, span.start as usize + 1);
                    self.unreachable(brace, conflict);
                }
            }
            self.uncertain += usize::from(poisoned);
            self.check_block(stmts, reachable && exhausted.is_none());
            self.uncertain -= usize::from(poisoned);
        }
        self.facts.truncate(base);
    }

    /// Type-checks a condition and returns what it proves when true and when false, and
    /// whether some test of it had an error.
    fn condition_facts(&mut self, cond: &'a ast::Cond) -> (Vec<Fact<'a>>, Vec<Fact<'a>>, bool) {
        let start = self.tests.len();
        self.check_cond(cond);
        let mut holds = Vec::new();
        let mut fails = Vec::new();
        let mut next = start;
        facts::prove(cond, true, &self.tests, &mut next, &mut holds);
        next = start;
        facts::prove(cond, false, &self.tests, &mut next, &mut fails);
        let had_error = self.tests[start..].iter().any(Option::is_none);
        self.tests.truncate(start);
        (holds, fails, had_error)
    }

    /// Adds facts to the current path; returns the first inconsistency found.
    fn assume(&mut self, new: &[Fact<'a>]) -> Option<Conflict> {
        let mut conflict = None;
        for fact in new {
            if conflict.is_none() {
                conflict = self.conflict_with(fact);
            }
            self.facts.push(*fact);
        }
        conflict
    }

    fn conflict_with(&self, fact: &Fact<'a>) -> Option<Conflict> {
        let trigger_sets_it = matches!(fact.atom, facts::Atom::Empty)
            && fact.holds
            && !self.env.may_be_empty(fact.slot, self.trigger)
            && self.trigger.is_some();
        let new = origin(fact);
        if trigger_sets_it {
            return Some(Conflict {
                new,
                old: Against::Trigger(fact.slot),
            });
        }
        self.facts
            .iter()
            .rev()
            .find(|g| facts::contradicts(fact, g))
            .map(|g| Conflict {
                new,
                old: Against::Test(origin(g)),
            })
    }

    /// Whether the facts on the current path prove `slot` has a value.
    pub(super) fn known_non_empty(&self, slot: Slot) -> bool {
        !self.env.may_be_empty(slot, self.trigger)
            || self.facts.iter().any(|f| f.proves_non_empty(slot))
    }

    /// W0203 at `span` (a condition, or an `else` block's opening brace), labelling the
    /// tests that contradict each other outside it.
    fn unreachable(&mut self, span: Span, conflict: Conflict) {
        let mut d = self
            .diag(
                Code::UnreachableBranch,
                "this branch can never be taken".into(),
                span,
            )
            .with_label_message("no event can reach this branch");
        let mut labels: Vec<Origin> = Vec::new();
        if let Against::Test(old) = conflict.old {
            if old.span != span {
                labels.push(old);
            }
        }
        let new = conflict.new;
        let new_inside = new.span.start >= span.start && new.span.end <= span.end;
        if !new_inside && !labels.contains(&new) {
            labels.push(new);
        }
        labels.sort_by_key(|o| o.span.start);
        for test in labels {
            let text = squash(self.file.slice(test.span));
            let truth = if test.held { "true" } else { "false" };
            d = d.with_label(
                self.file.id,
                test.span,
                format!("`{text}` is {truth} on this path"),
            );
        }
        match conflict.old {
            Against::Test(_) => {}
            Against::Trigger(slot) => {
                let trigger = self.trigger.map_or("", Trigger::as_str);
                d = d.with_label(
                    self.file.id,
                    self.rule.trigger.name,
                    format!(
                        "events of `{trigger}` always carry `{}`",
                        self.env.name(slot)
                    ),
                );
            }
        }
        self.report(d.with_help(
            "remove the branch, or change its condition (or an earlier one) so some event can take it",
        ));
    }

    fn never_sends(&mut self) {
        let name = self.rule.name.value.clone();
        let has_actions = contains_action(&self.rule.body);
        let help = if has_actions {
            "every action sits in a branch that can never be taken: fix the conditions of those branches"
        } else {
            "add an action, e.g. `post \"https://example.com/hook\" { body { \"case\": \"{{case.id}}\" } }`"
        };
        let d = self
            .diag(
                Code::NeverSends,
                format!("rule `{name}` can never send anything"),
                self.rule.name.span,
            )
            .with_label_message(if has_actions {
                "no action of this rule can be reached"
            } else {
                "this rule has no action"
            })
            .with_help(help);
        self.report(d);
    }
}

fn contains_action(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match s {
        Stmt::Action(_) => true,
        Stmt::Parallel { actions, .. } => !actions.is_empty(),
        Stmt::If(chain) => {
            chain
                .branches
                .iter()
                .any(|b| contains_action(&b.block.stmts))
                || chain
                    .otherwise
                    .as_ref()
                    .is_some_and(|b| contains_action(&b.stmts))
        }
    })
}

fn origin(fact: &Fact<'_>) -> Origin {
    Origin {
        span: fact.origin,
        held: fact.origin_held,
    }
}

/// Source text on one line with runs of whitespace collapsed, for labels.
pub(super) fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
