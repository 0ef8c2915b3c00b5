//! Parsing: `.rule` text to [`ast::File`] plus syntax diagnostics. Never fails at the API.
//!
//! Steps: pre-scan for too-deep nesting and unterminated strings (`prescan`); parse
//! chunks of whole items with the tolerant `file` rule of `grammar/rules.pest` (a broken
//! item becomes `junk` up to the next `rule`/`schema` line); build the AST from the pairs
//! (`build`, `action`, `cond`); re-parse each junk item strictly to report its
//! precise error (`errors`, `hints`). Nothing of pest leaves this module. The design is
//! described in `docs/grammar.md`.

mod action;
mod build;
mod cond;
mod errors;
mod hints;
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

/// Bytes of text handed to pest at once. pest records every pair of its input in one
/// token queue and the AST builder then walks it: parsing a large file in chunks of whole
/// items keeps that queue small and in cache (measured: see docs/benchmarks.md).
const CHUNK_BYTES: usize = 16 * 1024;

/// Parses one file. Broken items are skipped (with a diagnostic each); the rest are kept.
pub fn parse(file: &SourceFile) -> (ast::File, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let scanned = prescan::scan(&file.text, file.id, &mut diags);
    let text: &str = &scanned.text;
    let mut builder = build::Builder::new(text, file.id);
    let mut items = Vec::new();
    for (start, end) in chunks(&scanned.item_starts, text.len()) {
        parse_chunk(text, file, start, end, &mut builder, &mut items, &mut diags);
    }
    diags.extend(builder.into_diagnostics());
    diags.sort_by_key(|d| d.primary().map(|l| l.span).unwrap_or_default());
    let ast = ast::File {
        source: file.id,
        items,
    };
    (ast, diags)
}

/// Cuts `0..len` at item starts into pieces of at least [`CHUNK_BYTES`] (but the last).
fn chunks(item_starts: &[usize], len: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in item_starts {
        if cut >= start + CHUNK_BYTES {
            out.push((start, cut));
            start = cut;
        }
    }
    out.push((start, len));
    out
}

/// Parses `text[start..end]` with the tolerant `file` rule: every item that parses goes
/// to `items`; every broken one (`junk`) is re-parsed strictly for its diagnostic.
fn parse_chunk<'a>(
    text: &'a str,
    file: &SourceFile,
    start: usize,
    end: usize,
    builder: &mut build::Builder<'a>,
    items: &mut Vec<ast::Item>,
    diags: &mut Vec<Diagnostic>,
) {
    builder.base = start;
    match RulesParser::parse(Rule::file, &text[start..end]) {
        Ok(mut pairs) => {
            let children = pairs.next().map(|file| file.into_inner());
            for pair in children.into_iter().flatten() {
                match pair.as_rule() {
                    Rule::junk => {
                        let at = start + pair.as_span().start();
                        diags.push(strict_error(text, file, at));
                    }
                    Rule::schema_block | Rule::rule_def => items.extend(builder.item(pair)),
                    _ => {}
                }
            }
        }
        // The tolerant rule accepts any text; keep a diagnostic in case it ever does not.
        Err(err) => diags.push(errors::from_pest(text, file.id, start, &err)),
    }
}

/// Re-parses the item at `start` strictly to report where and why it fails. It reads on
/// past the chunk, so a missing `}` is reported where the next item begins, not at a
/// chunk's end.
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

/// Runs what `parse` runs before building the AST (pre-scan, chunked pest parse) and
/// counts the pairs: for benchmarks, to split parse time between pest and AST building.
#[doc(hidden)]
pub fn pest_pair_count(text: &str) -> usize {
    let mut diags = Vec::new();
    let scanned = prescan::scan(text, crate::source::SourceId(0), &mut diags);
    let text: &str = &scanned.text;
    chunks(&scanned.item_starts, text.len())
        .into_iter()
        .map(
            |(start, end)| match RulesParser::parse(Rule::file, &text[start..end]) {
                Ok(pairs) => pairs.flatten().count(),
                Err(_) => 0,
            },
        )
        .sum()
}
