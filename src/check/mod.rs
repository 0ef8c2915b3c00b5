//! The checker: names, types, trigger availability and emptiness facts.
//!
//! `check` first collects the schema of the whole set (built-ins plus every `schema { }`
//! block), then walks each rule once, carrying the facts its enclosing conditions prove.
//! Every problem becomes a [`Diagnostic`]; a bad node is poisoned (it proves nothing and
//! is not type-checked further) so one mistake reports one error.

mod action;
mod collect;
mod cond;
mod env;
mod facts;
mod paths;
mod rule;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use crate::ast;
use crate::diag::{Code, Diagnostic};
use crate::schema::Schema;
use crate::source::{SourceId, SourceMap, Span};

/// The result of checking a set of files.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Built-ins plus every `schema { }` declaration of the set.
    pub schema: Schema,
    /// Sorted by file, then position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks every file of a set together (rule names and schema blocks span files).
pub fn check(sources: &SourceMap, files: &[ast::File]) -> Checked {
    let mut diagnostics = Vec::new();
    let schema = collect::collect(sources, files, &mut diagnostics);
    {
        let env = env::Env::new(&schema);
        for file in files {
            let text = sources.get(file.source);
            for item in &file.items {
                if let ast::Item::Rule(r) = item {
                    rule::check_rule(&env, text, r, &mut diagnostics);
                }
            }
        }
    }
    duplicate_rules(files, &mut diagnostics);
    sort(&mut diagnostics);
    Checked {
        schema,
        diagnostics,
    }
}

/// Rule names are unique across the whole set: each repeat points at the first one.
fn duplicate_rules(files: &[ast::File], diags: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, (SourceId, Span)> = HashMap::new();
    for file in files {
        for item in &file.items {
            let ast::Item::Rule(rule) = item else {
                continue;
            };
            let name = rule.name.value.as_str();
            match seen.get(name) {
                None => {
                    seen.insert(name, (file.source, rule.name.span));
                }
                Some(&(first_file, first_span)) => diags.push(
                    Diagnostic::new(
                        Code::DuplicateRule,
                        format!("rule `{name}` is defined more than once"),
                        file.source,
                        rule.name.span,
                    )
                    .with_label_message("defined again here")
                    .with_label(first_file, first_span, "first defined here")
                    .with_help(
                        "rename one of the rules: rule names are unique across all files, \
                         and the run log tells executions apart by them",
                    ),
                ),
            }
        }
    }
}

/// By file, then position, then code: stable output whatever order the passes ran in.
fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let key = |d: &Diagnostic| d.primary().map(|l| (l.file, l.span.start, l.span.end));
        key(a).cmp(&key(b)).then(a.code.cmp(&b.code))
    });
}
