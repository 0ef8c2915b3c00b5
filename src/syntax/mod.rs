//! Parsing: `.rule` text to [`ast::File`] plus syntax diagnostics. Never fails at the API.
//!
//! Steps: pre-scan for too-deep nesting and unterminated strings ([`prescan`]), parse with the tolerant `file` rule of
//! `grammar/rules.pest` (a broken item becomes `junk` up to the next `rule`/`schema`
//! line), build the AST from the pairs ([`build`]), and re-parse each junk item strictly
//! to report its precise error ([`errors`]). Nothing of pest leaves this module.

mod build;
mod cond;
mod errors;
mod prescan;
mod strings;

use pest::Parser;

use crate::ast;
use crate::diag::Diagnostic;
use crate::source::{SourceFile, Span};

pub use cond::MAX_COND_DEPTH;
pub use prescan::MAX_NESTING;

mod grammar {
    //! The pest binding; `Rule` stays private to `syntax`.
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/rules.pest"]
    pub(super) struct RulesParser;
}

use grammar::{Rule, RulesParser};

/// Parses one file. Broken items are skipped (with a diagnostic each); the rest are kept.
pub fn parse(file: &SourceFile) -> (ast::File, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let text = prescan::scan(&file.text, file.id, &mut diags);
    let text: &str = &text;
    let mut builder = build::Builder::new(text, file.id);
    let mut items = Vec::new();
    match RulesParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let children = pairs.next().map(|file| file.into_inner());
            for pair in children.into_iter().flatten() {
                match pair.as_rule() {
                    Rule::junk => diags.push(strict_error(text, file, pair.as_span().start())),
                    Rule::schema_block | Rule::rule_def => items.extend(builder.item(pair)),
                    _ => {}
                }
            }
        }
        // The tolerant rule accepts any text; keep a diagnostic in case it ever does not.
        Err(err) => diags.push(errors::from_pest(text, file.id, 0, &err)),
    }
    diags.extend(builder.into_diagnostics());
    diags.sort_by_key(|d| d.primary().map(|l| l.span).unwrap_or_default());
    let ast = ast::File {
        source: file.id,
        items,
    };
    (ast, diags)
}

/// Re-parses the item at `start` strictly to report where and why it fails.
fn strict_error(text: &str, file: &SourceFile, start: usize) -> Diagnostic {
    match RulesParser::parse(Rule::strict_item, &text[start..]) {
        Err(err) => errors::from_pest(text, file.id, start, &err),
        // Unreachable in practice (the tolerant parse already rejected this item).
        Ok(_) => Diagnostic::new(
            crate::diag::Code::Syntax,
            "this item could not be parsed",
            file.id,
            Span::new(start, start + 1),
        ),
    }
}

/// Parses `text` with pest only and counts the pairs (no AST): for benchmarks, to split
/// parse time between pest and AST building.
#[doc(hidden)]
pub fn pest_pair_count(text: &str) -> usize {
    match RulesParser::parse(Rule::file, text) {
        Ok(pairs) => pairs.flatten().count(),
        Err(_) => 0,
    }
}
