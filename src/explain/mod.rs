//! `explain`: a plain AST interpreter that records why each rule did or did not fire.
//!
//! It reads the same decoded [`Event`] as the VM but walks the syntax tree directly,
//! resolving paths by name and rendering templates recursively, so it is a second,
//! independent evaluator: the differential tests hold the VM and this interpreter to
//! the same branch and the same requests.

mod interp;
mod render;
mod report;

use crate::ast;
use crate::schema::Schema;
use crate::secrets::Secrets;
use crate::source::SourceMap;
use crate::vm::effect::Step;
use crate::vm::Event;

pub use report::{human, json};

/// How one rule treated one event.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleReport {
    pub rule: String,
    /// `FILE:LINE` of the rule.
    pub location: String,
    /// The rule's `when` trigger.
    pub trigger: String,
    /// Whether the event's type is the rule's trigger.
    pub trigger_matched: bool,
    /// Every condition evaluated, in evaluation order (nested ones included).
    pub conditions: Vec<CondReport>,
    /// `always`, `if 1`, `else if 2 > if 1`, ...; `None` when the trigger did not match
    /// or no branch was taken.
    pub branch: Option<String>,
    /// The requests it would send, in order (real secret values: redact to show).
    pub steps: Vec<Step>,
    /// One line saying why the rule sent nothing, when it did not.
    pub reason: Option<String>,
}

/// One `if` or `else if` condition and the tests it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct CondReport {
    /// `if 1`, `else if 2`, with enclosing branches (`if 1 > else if 2`).
    pub branch: String,
    pub line: usize,
    /// The condition as written.
    pub text: String,
    pub value: bool,
    pub tests: Vec<TestReport>,
}

/// One comparison, its value and the values it read.
#[derive(Debug, Clone, PartialEq)]
pub struct TestReport {
    /// The test as written (`case.tags contains "VIP-Refund"`).
    pub text: String,
    pub value: bool,
    /// `(path, value as JSON)` for every path it read.
    pub reads: Vec<(String, String)>,
}

/// Explains every rule of a checked, error-free set of files for one event.
pub fn explain(
    sources: &SourceMap,
    files: &[ast::File],
    schema: &Schema,
    event: &Event,
    secrets: &Secrets,
) -> Vec<RuleReport> {
    let mut out = Vec::new();
    for file in files {
        let source = sources.get(file.source);
        for item in &file.items {
            if let ast::Item::Rule(rule) = item {
                let interp = interp::Interp::new(source, schema, event, secrets, rule);
                out.push(interp.run(rule));
            }
        }
    }
    out
}
