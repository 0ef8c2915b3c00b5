//! Checker tests on hand-built syntax trees: they run without the parser, so the fact
//! logic is pinned down independently of the grammar. Tests from source text are in
//! `tests/check*.rs`.

use crate::ast::*;
use crate::diag::Code;
use crate::source::{SourceMap, Span};

use super::check;

/// Builds nodes whose spans point at the `n`th occurrence of a needle in the text.
struct Tree<'s> {
    text: &'s str,
}

impl Tree<'_> {
    fn at(&self, needle: &str, nth: usize) -> Span {
        let mut from = 0;
        for _ in 0..nth {
            from += self.text[from..].find(needle).expect(needle) + 1;
        }
        let start = from + self.text[from..].find(needle).expect(needle);
        Span::new(start, start + needle.len())
    }

    fn path(&self, text: &str, nth: usize) -> Path {
        Path {
            span: self.at(text, nth),
        }
    }

    fn test(&self, whole: &str, nth: usize, lhs: &str, op: Op, rhs: Operand) -> Cond {
        let span = self.at(whole, nth);
        let lhs_span = Span::new(span.start as usize, span.start as usize + lhs.len());
        Cond::Test(Test {
            span,
            lhs: Path { span: lhs_span },
            op,
            op_span: span,
            rhs,
        })
    }

    fn tag(&self, path: &str, nth: usize) -> TemplatePart {
        let p = self.path(path, nth);
        TemplatePart::Tag(MergeTag {
            span: Span::new(p.span.start as usize - 2, p.span.end as usize + 2),
            path: p,
            fallback: None,
        })
    }

    fn action(&self, url: &str, body_tags: Vec<TemplatePart>) -> Stmt {
        let span = self.at(url, 0);
        Stmt::Action(Action {
            span,
            method: Method::Post,
            method_span: span,
            url: Template {
                span,
                parts: vec![TemplatePart::Text(url.trim_matches('"').to_string())],
            },
            headers: Vec::new(),
            sign: None,
            body: Some(Json {
                span,
                kind: JsonKind::Array(
                    body_tags
                        .into_iter()
                        .map(|t| Json {
                            span,
                            kind: JsonKind::String(Template {
                                span,
                                parts: vec![t],
                            }),
                        })
                        .collect(),
                ),
            }),
            timeout: None,
            retry: None,
        })
    }

    fn rule(&self, trigger: &str, body: Vec<Stmt>) -> File {
        let name = self.at("\"r\"", 0);
        File {
            source: crate::source::SourceId(0),
            items: vec![Item::Rule(Rule {
                span: name,
                name: StrLit {
                    span: name,
                    value: "r".into(),
                },
                trigger: Trigger {
                    span: self.at(trigger, 0),
                    name: self.at(trigger, 0),
                },
                throttles: Vec::new(),
                body,
            })],
        }
    }
}

fn chain(branches: Vec<(Cond, Vec<Stmt>)>, otherwise: Option<Vec<Stmt>>) -> Stmt {
    let span = Span::default();
    Stmt::If(IfChain {
        span,
        branches: branches
            .into_iter()
            .map(|(cond, stmts)| Branch {
                span,
                cond,
                block: Block { span, stmts },
            })
            .collect(),
        otherwise: otherwise.map(|stmts| Block { span, stmts }),
    })
}

fn codes(text: &str, file: File) -> Vec<(Code, String)> {
    let mut sources = SourceMap::new();
    let id = sources.add("t.rule", text);
    let checked = check(&sources, &[file]);
    checked
        .diagnostics
        .iter()
        .map(|d| {
            let span = d.primary().map(|l| l.span).unwrap_or_default();
            (d.code, sources.get(id).slice(span).to_string())
        })
        .collect()
}

const TEXT: &str = r#"rule "r" { when case.updated
  if contact.email is empty then { post "https://a.example/1" { body [ "{{case.id}}" ] } }
  else if contact.name is not empty and contact.email == "x" then { post "https://a.example/2" { body [ "{{contact.name}}", "{{contact.email}}", "{{case.subject}}" ] } }
  else if contact.email is empty then { post "https://a.example/3" { body [ "{{case.closed_at}}" ] } }
  else { post "https://a.example/4" { body [ "{{contact.email}}", "{{contact.name}}" ] } }
}"#;

#[test]
fn facts_follow_branches_negations_and_conjunctions() {
    let t = Tree { text: TEXT };
    let first = t.test(
        "contact.email is empty",
        0,
        "contact.email",
        Op::IsEmpty,
        Operand::None,
    );
    let name = t.test(
        "contact.name is not empty",
        0,
        "contact.name",
        Op::IsNotEmpty,
        Operand::None,
    );
    let eq = t.test(
        "contact.email == \"x\"",
        0,
        "contact.email",
        Op::Eq,
        Operand::Literal(Literal {
            span: t.at("\"x\"", 0),
            kind: LitKind::Str("x".into()),
        }),
    );
    let again = t.test(
        "contact.email is empty",
        1,
        "contact.email",
        Op::IsEmpty,
        Operand::None,
    );
    let body = vec![chain(
        vec![
            (
                first,
                vec![t.action("\"https://a.example/1\"", vec![t.tag("case.id", 0)])],
            ),
            (
                Cond::And(Box::new(name), Box::new(eq)),
                vec![t.action(
                    "\"https://a.example/2\"",
                    vec![
                        t.tag("contact.name", 1),
                        t.tag("contact.email", 2),
                        t.tag("case.subject", 0),
                    ],
                )],
            ),
            (
                again,
                vec![t.action("\"https://a.example/3\"", vec![t.tag("case.closed_at", 0)])],
            ),
        ],
        Some(vec![t.action(
            "\"https://a.example/4\"",
            vec![t.tag("contact.email", 4), t.tag("contact.name", 2)],
        )]),
    )];
    let found = codes(TEXT, t.rule("case.updated", body));
    assert_eq!(
        found,
        [
            // Branch 2 knows both names; the subject is unguarded.
            (Code::MayRenderEmpty, "{{case.subject}}".to_string()),
            // Branch 3 repeats branch 1's condition.
            (
                Code::UnreachableBranch,
                "contact.email is empty".to_string()
            ),
            // The else knows the email (not empty) but not the name.
            (Code::MayRenderEmpty, "{{contact.name}}".to_string()),
        ]
    );
}
