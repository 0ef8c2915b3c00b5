//! Parser tests: the spec recipe, every construct, recovery and exact spans.
//! Diagnostics by code are in `syntax_errors.rs`.

mod syntax_dump;

use rulec::ast::{Item, JsonKind, Stmt, TemplatePart};
use rulec::diag::{Code, Diagnostic};
use rulec::source::{SourceFile, SourceId};

fn parse(text: &str) -> (SourceFile, rulec::ast::File, Vec<Diagnostic>) {
    let file = SourceFile::new(SourceId(0), "test.rule", text);
    let (ast, diags) = rulec::syntax::parse(&file);
    (file, ast, diags)
}

fn snapshot(name: &str, text: &str) {
    let (file, ast, diags) = parse(text);
    assert!(diags.is_empty(), "{diags:#?}");
    let dump = syntax_dump::dump(&file, &ast);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, dump);
    });
}

#[test]
fn recipe_parses_without_diagnostics() {
    let text = include_str!("fixtures/recipe.rule");
    let (_, ast, diags) = parse(text);
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
    snapshot("syntax_recipe_ast", text);
}

#[test]
fn every_construct_parses_without_diagnostics() {
    let text = include_str!("fixtures/all_features.rule");
    let (_, ast, _) = parse(text);
    assert_eq!(ast.items.len(), 3);
    snapshot("syntax_all_features_ast", text);
}

#[test]
fn precedence_is_not_then_and_then_or() {
    let text = r#"rule "p" { when case.created
      if not case.subject is empty and case.id == "a" or not (case.id == "b" or case.id == "c") and case.tags contains "x" then { } }"#;
    let (file, ast, diags) = parse(text);
    assert!(diags.is_empty(), "{diags:#?}");
    let dump = syntax_dump::dump(&file, &ast);
    let shape = "(or (and (not (`case.subject` IsEmpty`is empty`)) (`case.id` Eq`==` Str(\"a\")`\"a\"`)) \
                 (and (not (or (`case.id` Eq`==` Str(\"b\")`\"b\"`) (`case.id` Eq`==` Str(\"c\")`\"c\"`))) \
                 (`case.tags` Contains`contains` Str(\"x\")`\"x\"`)))";
    assert!(dump.contains(shape), "{dump}");
}

#[test]
fn spans_cover_exactly_paths_tags_and_templates() {
    let text = "rule \"s\" {\n  when case.closed\n  post \"https://x.example/{{ case.id }}\" {\n    body { \"e\": \"<{{contact.email ?? 'n/a'}}>\", \"n\": {{case.custom_fields.amount}} }\n  }\n}\n";
    let (file, ast, diags) = parse(text);
    assert!(diags.is_empty(), "{diags:#?}");
    let Item::Rule(rule) = &ast.items[0] else {
        panic!("a rule")
    };
    assert_eq!(file.slice(rule.trigger.name), "case.closed");
    assert_eq!(file.slice(rule.trigger.span), "when case.closed");
    let Stmt::Action(action) = &rule.body[0] else {
        panic!("an action")
    };
    assert_eq!(file.slice(action.method_span), "post");
    assert_eq!(
        file.slice(action.url.span),
        "\"https://x.example/{{ case.id }}\""
    );
    let TemplatePart::Tag(url_tag) = &action.url.parts[1] else {
        panic!("a tag")
    };
    assert_eq!(file.slice(url_tag.span), "{{ case.id }}");
    assert_eq!(file.slice(url_tag.path.span), "case.id");
    let Some(JsonKind::Object(members)) = action.body.as_ref().map(|b| &b.kind) else {
        panic!("an object body")
    };
    let JsonKind::String(email) = &members[0].1.kind else {
        panic!("a string")
    };
    assert_eq!(file.slice(email.span), "\"<{{contact.email ?? 'n/a'}}>\"");
    assert_eq!(email.parts.len(), 3);
    let TemplatePart::Tag(tag) = &email.parts[1] else {
        panic!("a tag")
    };
    assert_eq!(file.slice(tag.span), "{{contact.email ?? 'n/a'}}");
    assert_eq!(file.slice(tag.path.span), "contact.email");
    let fallback = tag.fallback.as_ref().map(|f| file.slice(f.span));
    assert_eq!(fallback, Some("'n/a'"));
    let JsonKind::Tag(bare) = &members[1].1.kind else {
        panic!("a bare tag")
    };
    assert_eq!(file.slice(bare.span), "{{case.custom_fields.amount}}");
    assert_eq!(file.slice(bare.path.span), "case.custom_fields.amount");
    assert_eq!(file.slice(members[1].0.span), "\"n\"");
}

#[test]
fn recovery_reports_each_broken_rule_and_keeps_the_good_one() {
    let text = "rule \"a\" {\n  when case.closed\n  if case.id == \"x\" tehn { }\n}\n\nrule \"good\" {\n  when case.created\n  post \"https://ok.example\" { }\n}\n\nrule \"b\" {\n  when case.closed\n  post \"https://x.example\" { body { \"k\" 1 } }\n}\n";
    let (file, ast, diags) = parse(text);
    let found: Vec<(Code, (usize, usize))> = diags
        .iter()
        .map(|d| (d.code, file.line_col(d.primary().unwrap().span.start)))
        .collect();
    assert_eq!(found, [(Code::Syntax, (3, 21)), (Code::Syntax, (13, 41))]);
    let names: Vec<&str> = ast
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Rule(r) => Some(r.name.value.as_str()),
            Item::Schema(_) => None,
        })
        .collect();
    assert_eq!(names, ["good"]);
}

#[test]
fn recovery_keeps_schema_blocks_around_a_broken_one() {
    let text = "schema { secret A }\nschema { field x: numbr }\nschema { tags \"T\" }\n";
    let (_, ast, diags) = parse(text);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(ast.items.len(), 2);
}

#[test]
fn comments_and_keyword_prefixes_are_not_keywords() {
    let text = "# top\nrule \"c\" { # after brace\n  when case.created # trigger\n  if case.custom_fields.iffy == \"then\" then { } # done\n}\n# end";
    let (_, ast, diags) = parse(text);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(ast.items.len(), 1);
}

#[test]
fn empty_and_comment_only_files_have_no_items() {
    for text in ["", "   \n\t", "# only a comment\n# and another"] {
        let (_, ast, diags) = parse(text);
        assert!(diags.is_empty() && ast.items.is_empty(), "{text:?}");
    }
}

#[test]
fn large_files_parse_in_chunks_with_exact_spans_and_errors() {
    // Well over the parser's chunk size, with broken rules spread through it.
    let mut text = String::new();
    let mut broken_lines = Vec::new();
    for i in 0..500 {
        let line = text.lines().count() + 1;
        if i % 97 == 13 {
            broken_lines.push(line + 2);
            text.push_str(&format!(
                "rule \"r{i}\" {{\n  when case.closed\n  if case.id == \"x\" tehn {{ }}\n}}\n"
            ));
        } else {
            text.push_str(&format!(
                "rule \"r{i}\" {{\n  when case.closed\n  post \"https://x.example/{{{{case.id}}}}\" {{\n    body {{ \"n\": \"{i}\", \"id\": \"{{{{case.id}}}}\" }}\n  }}\n}}\n"
            ));
        }
    }
    assert!(text.len() > 50_000, "{}", text.len());
    let (file, ast, diags) = parse(&text);
    let lines: Vec<usize> = diags
        .iter()
        .map(|d| file.line_col(d.labels[0].span.start).0)
        .collect();
    assert_eq!(lines, broken_lines);
    assert_eq!(ast.items.len(), 500 - broken_lines.len());
    for item in &ast.items {
        let Item::Rule(rule) = item else {
            panic!("only rules")
        };
        assert_eq!(
            file.slice(rule.name.span),
            format!("\"{}\"", rule.name.value)
        );
        assert!(file.slice(rule.span).starts_with("rule \"r"));
        assert!(file.slice(rule.span).ends_with('}'));
        let Stmt::Action(action) = &rule.body[0] else {
            panic!("an action")
        };
        let TemplatePart::Tag(tag) = &action.url.parts[1] else {
            panic!("a tag")
        };
        assert_eq!(file.slice(tag.path.span), "case.id");
    }
}

#[test]
fn a_missing_closing_brace_is_reported_where_the_next_rule_starts() {
    let text = "rule \"a\" {\n  when case.closed\n  post \"https://x.example\" { }\n\nrule \"b\" {\n  when case.created\n}\n";
    let (file, ast, diags) = parse(text);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(file.line_col(diags[0].labels[0].span.start), (5, 1));
    assert_eq!(
        diags[0].message,
        "expected a statement (`if`, `parallel`, `post`, `put`, `patch` or `delete`) or `}`, \
         found `rule`"
    );
    assert_eq!(ast.items.len(), 1);
}

#[test]
fn crlf_line_ends_and_a_byte_order_mark_parse_like_the_original() {
    let recipe = include_str!("fixtures/recipe.rule");
    for text in [recipe.replace('\n', "\r\n"), format!("\u{feff}{recipe}")] {
        let (file, ast, diags) = parse(&text);
        assert!(diags.is_empty(), "{diags:#?}");
        assert_eq!(ast.items.len(), 2);
        let Item::Rule(rule) = &ast.items[1] else {
            panic!("a rule")
        };
        assert_eq!(file.slice(rule.trigger.name), "case.closed");
    }
}
