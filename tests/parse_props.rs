//! Property tests: `syntax::parse` never panics, and every diagnostic points inside the
//! text on character boundaries, whatever the input (random text, token soup, and
//! mutations of the spec recipe). Case counts are bounded so this runs in seconds.

use proptest::prelude::*;
use rulec::source::{SourceFile, SourceId, Span};

const RECIPE: &str = include_str!("fixtures/recipe.rule");

/// Pieces of the language, so random sequences reach deep into the grammar.
const FRAGMENTS: &[&str] = &[
    "rule",
    "schema",
    "when",
    "if",
    "then",
    "else",
    "parallel",
    "post",
    "put",
    "delete",
    "header",
    "sign",
    "hmac-sha256",
    "standard-webhooks",
    "with",
    "body",
    "timeout",
    "retry",
    "never",
    "times",
    "throttle",
    "per",
    "case",
    "contact",
    "minute",
    "60",
    "-1.5e3",
    "field",
    "tags",
    "secret",
    "text",
    "number",
    "list",
    "of",
    "one",
    "not",
    "and",
    "or",
    "contains",
    "is",
    "empty",
    "in",
    "starts",
    "ends",
    "==",
    "!=",
    "<=",
    ">",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "\"",
    "\"a\"",
    "\"{{case.id}}\"",
    "{{",
    "}}",
    "??",
    "'x'",
    "\\",
    "\\u00e9",
    "\\q",
    "case.id",
    "secrets.K",
    "#",
    "# note\n",
    " ",
    "\n",
    "\t",
    "é",
    "😀",
    "true",
    "null",
];

fn check(text: &str) {
    let file = SourceFile::new(SourceId(0), "prop.rule", text);
    let (ast, diags) = rulec::syntax::parse(&file);
    let ok = |span: Span| {
        span.start <= span.end
            && (span.end as usize) <= text.len()
            && text.is_char_boundary(span.start as usize)
            && text.is_char_boundary(span.end as usize)
    };
    for d in &diags {
        assert!(!d.labels.is_empty(), "diagnostic without a label: {d:?}");
        for label in &d.labels {
            assert!(
                ok(label.span),
                "bad span {:?} in {:?} for {text:?}",
                label.span,
                d
            );
        }
        assert!(!d.message.is_empty());
    }
    for item in &ast.items {
        let span = match item {
            rulec::ast::Item::Rule(r) => r.span,
            rulec::ast::Item::Schema(s) => s.span,
        };
        assert!(ok(span), "bad item span {span:?} for {text:?}");
    }
}

/// A char-boundary-safe byte offset into `text` derived from `seed`.
fn boundary(text: &str, seed: usize) -> usize {
    let mut at = seed % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    Replace(usize, char),
    Truncate(usize),
    Duplicate(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..40usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), prop::sample::select(FRAGMENTS))
            .prop_map(|(at, s)| Mutation::Insert(at, s.to_owned())),
        (any::<usize>(), any::<char>()).prop_map(|(at, c)| Mutation::Replace(at, c)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1..200usize, any::<usize>())
            .prop_map(|(at, n, to)| Mutation::Duplicate(at, n, to)),
    ]
}

fn apply(text: &mut String, m: &Mutation) {
    match m {
        Mutation::Delete(at, n) => {
            let start = boundary(text, *at);
            let end = boundary(text, start + n);
            text.replace_range(start..end.max(start), "");
        }
        Mutation::Insert(at, s) => {
            let at = boundary(text, *at);
            text.insert_str(at, s);
        }
        Mutation::Replace(at, c) => {
            let at = boundary(text, *at);
            if let Some(old) = text[at..].chars().next() {
                text.replace_range(at..at + old.len_utf8(), &c.to_string());
            }
        }
        Mutation::Truncate(at) => {
            let at = boundary(text, *at);
            text.truncate(at);
        }
        Mutation::Duplicate(at, n, to) => {
            let start = boundary(text, *at);
            let end = boundary(text, start + n).max(start);
            let slice = text[start..end].to_owned();
            let to = boundary(text, *to);
            text.insert_str(to, &slice);
        }
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

proptest! {
    // 300 cases each by default (a few seconds); `PROPTEST_CASES=N` runs more.
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn token_soup_never_panics(parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..80)) {
        check(&parts.join(" "));
        check(&parts.concat());
    }

    #[test]
    fn recipe_mutations_never_panic(mutations in prop::collection::vec(mutation(), 1..6)) {
        let mut text = RECIPE.to_owned();
        for m in &mutations {
            apply(&mut text, m);
        }
        check(&text);
    }

    #[test]
    fn recipe_mutations_inside_the_rule_keep_the_schema(m in mutation()) {
        // Any single change after the schema block leaves the schema block parsed.
        let split = RECIPE.find("\nrule ").unwrap_or(RECIPE.len());
        let (head, tail) = RECIPE.split_at(split);
        let mut tail = tail.to_owned();
        apply(&mut tail, &m);
        let text = format!("{head}\n{tail}");
        check(&text);
        let file = SourceFile::new(SourceId(0), "prop.rule", text.as_str());
        let (ast, _) = rulec::syntax::parse(&file);
        let schemas = ast.items.iter().filter(|i| matches!(i, rulec::ast::Item::Schema(_))).count();
        prop_assert!(schemas >= 1, "schema lost for {text:?}");
    }
}
