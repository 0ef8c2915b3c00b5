//! Parser tests: the spec recipe, every construct, diagnostics by code, recovery, spans.

use rulec::ast::{Item, Stmt};
use rulec::diag::Diagnostic;
use rulec::source::{SourceFile, SourceId};

fn parse(text: &str) -> (SourceFile, rulec::ast::File, Vec<Diagnostic>) {
    let file = SourceFile::new(SourceId(0), "test.rule", text);
    let (ast, diags) = rulec::syntax::parse(&file);
    (file, ast, diags)
}

#[test]
fn recipe_parses_without_diagnostics() {
    let (_, ast, diags) = parse(include_str!("fixtures/recipe.rule"));
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(ast.items.len(), 2);
    let Item::Rule(rule) = &ast.items[1] else {
        panic!("second item should be the rule")
    };
    assert_eq!(rule.name.value, "VIP refund to finance");
    assert_eq!(rule.throttles.len(), 2);
    let [Stmt::If(chain)] = rule.body.as_slice() else {
        panic!("the rule body is one if-chain")
    };
    assert_eq!(chain.branches.len(), 2);
}

#[test]
fn every_construct_parses_without_diagnostics() {
    let (_, ast, diags) = parse(include_str!("fixtures/all_features.rule"));
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(ast.items.len(), 3);
}
